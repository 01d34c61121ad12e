"""A whole ceremony through the pages, as the bureau's 抽查管理员 runs it in Chrome."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from shuangsuiji import lottery
from shuangsuiji.draws.models import Draw
from shuangsuiji.planning.models import Task
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_manager_runs_a_ceremony_from_task_to_verified_bundle(page: Any) -> None:
    task = Task.objects.get(plan__kind="annual", state="draft")
    sign_in(page, "scjg.manager")
    page.get_by_role("link", name="抽查计划").click()
    page.get_by_role("link", name=task.plan.title).click()
    page.get_by_role("link", name=task.title).click()
    assert "抽取前核对" in page.content()
    page.get_by_role("button", name="生成抽取承诺").click()
    draw = Draw.objects.get(task=task)
    assert draw.commitment_sha256 in page.locator(".digest").inner_text()
    page.get_by_label("姓名").fill("孙监督")
    page.get_by_label("身份").select_option("integrity")
    page.get_by_role("button", name="登记见证人").click()
    assert "孙监督" in page.locator("table.data").inner_text()
    page.get_by_label("现场随机数", exact=True).fill("6 6 1 3 5 2 4 4 1 2")
    page.get_by_label("我已核对承诺摘要与公告一致，现场随机数已当众确认").check()
    page.get_by_role("button", name="开始抽取").click()
    page.wait_for_url(f"**/staff/draws/tasks/{task.pk}/result/")
    draw.refresh_from_db()
    assert draw.state == Draw.State.DRAWN and draw.ceremony_entropy == "6 6 1 3 5 2 4 4 1 2"
    first = draw.selections.order_by("rank").first()
    assert first.key in page.locator("table.data").last.inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载抽取包（供核验）").click()
    data = open(download_info.value.path(), "rb").read()
    assert zipfile.ZipFile(io.BytesIO(data)).read("verify_draw.py")
    assert lottery.verify_bundle(io.BytesIO(data)).ok
    page.get_by_role("button", name="派发至检查小组").click()
    assert "已于" in page.content()
