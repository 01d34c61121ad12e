"""An inspection through the pages: the inspector records results with a photo, the second department's
leader adds theirs, the lead department publishes, and the printed form downloads in Chinese."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shuangsuiji.draws.models import TeamMember
from shuangsuiji.inspections.models import Evidence, InspectionRecord, RecordPart
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r".*/staff/accounts/login/.*|.*/staff/$"))


def test_inspector_leader_and_publisher_complete_a_record(page: Any, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed; CI installs it")
    from shuangsuiji.accounts.models import User

    # The demo leaves the last record of its joint task untouched, with the demo inspector on its team.
    record = (
        InspectionRecord.objects.filter(task__title="消防产品使用及营业执照登记事项联合检查", state="open")
        .order_by("-selection__rank")
        .first()
    )
    assert record is not None
    inspector = User.objects.get(username="xfjy.inspector")
    assert TeamMember.objects.filter(
        selection=record.selection, inspector__user=inspector, active=True
    ).exists()
    assert not record.parts.exclude(state=RecordPart.State.PENDING).exists()

    # 1. The inspector finds the entity among their due items and opens the record.
    sign_in(page, "xfjy.inspector")
    page.get_by_role("link", name=re.compile(re.escape(record.entity.name))).first.click()
    page.wait_for_url(f"**/staff/inspections/records/{record.pk}/")
    assert "预查比对" in page.content()
    page.get_by_role("link", name="录入本部门检查结果").click()
    # a photo first (it comes back to this page), then the results
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(JPEG)
    page.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_role("button", name="上传证据").click()
    assert "已上传 现场照片.jpg" in page.content()
    page.get_by_label("检查日期（起）").fill("2026-10-12")
    page.get_by_label("检查日期（止）").fill("2026-10-12")
    page.get_by_label("现场检查").check()
    page.get_by_label("对使用领域的消防产品质量监督抽查", exact=True).select_option(label="3. 责令限期改正")
    page.get_by_label("对使用领域的消防产品质量监督抽查：发现问题").fill("疏散指示标志不亮")
    page.get_by_label("处理意见").fill("责令十日内改正")
    page.get_by_role("button", name="提交本部门结果").click()
    page.wait_for_url(f"**/staff/inspections/records/{record.pk}/")
    assert "已提交本部门的检查结果" in page.content()
    page.get_by_label("签字情况").select_option("signed")
    page.get_by_role("button", name="登记").click()
    assert "已登记签字情况" in page.content()
    assert Evidence.objects.filter(record=record, original_name="现场照片.jpg").exists()
    sign_out(page)

    # 2. The leader of the second department (market regulation) adds theirs.
    sign_in(page, "scjg.leader")
    page.goto(f"/staff/inspections/records/{record.pk}/")
    page.get_by_role("link", name="录入本部门检查结果").click()
    page.get_by_label("营业执照登记事项检查", exact=True).select_option(label="1. 未发现问题")
    page.get_by_role("button", name="提交本部门结果").click()
    page.wait_for_url(f"**/staff/inspections/records/{record.pk}/")
    record.refresh_from_db()
    assert record.state == InspectionRecord.State.COMPLETE
    # not the lead department: no publish button for them
    assert page.get_by_role("button", name="公示检查结果").count() == 0
    sign_out(page)

    # 3. The lead department publishes, and the printed form downloads with Chinese text.
    sign_in(page, "xfjy.manager")
    page.goto(f"/staff/inspections/records/{record.pk}/")
    page.get_by_role("button", name="公示检查结果").click()
    assert "检查结果已公示" in page.content()
    record.refresh_from_db()
    assert record.state == InspectionRecord.State.PUBLISHED
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(Path(download.value.path()).read_bytes())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace(" ", "").replace("\n", "")
    assert "消防产品质量监督" in flat and "联合执法检查表" in flat
    assert record.entity.name in flat
    assert "疏散指示标志不亮" in flat
