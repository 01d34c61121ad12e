"""Register import and export through the pages and the CLI, on the real database."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from stdnum.cn import uscc

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.directory.imports import register_import
from shuangsuiji.directory.models import Entity, ImportBatch, Inspector, Status

pytestmark = pytest.mark.django_db
HEADER_003 = "单位名称,统一社会信用代码（注册号）,法定代表人,住所,登记机关,管辖单位"


def code(n: int) -> str:
    body = f"92410381MA{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def csv_003(rows: list[tuple[str, ...]], encoding: str = "gbk") -> bytes:
    lines = [HEADER_003] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def shop(n: int, name: str = "") -> tuple[str, ...]:
    return (
        name or f"偃师区城关镇测试{n}号便利店",
        code(n),
        "张三",
        "洛阳市偃师区城关镇华夏路1号",
        "洛阳市偃师区市场监督管理局",
        "城关市场监管所",
    )


def upload(
    client: Any, data: bytes, name: str = "名录.csv", kind: str = "entities", **options: Any
) -> ImportBatch:
    response = client.post(
        f"/staff/directory/import/{kind}/", {"file": SimpleUploadedFile(name, data), **options}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.order_by("-pk").first()


def test_a_gbk_file_with_only_the_003_columns_imports_after_preview_and_confirm(client_for: Any) -> None:
    client = client_for("cg.manager")
    before = Entity.objects.count()
    batch = upload(client, csv_003([shop(1), shop(2), shop(3)]))
    assert batch.state == ImportBatch.State.PREVIEWED and batch.counts["new"] == 3
    assert Entity.objects.count() == before  # preview writes nothing
    page = client.get(f"/staff/directory/imports/{batch.pk}/").content.decode()
    assert "确认导入" in page
    client.post(f"/staff/directory/imports/{batch.pk}/")
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.COMMITTED
    created = Entity.objects.get(uscc=code(2))
    assert created.name == "偃师区城关镇测试2号便利店" and created.jurisdiction.code == "SCJG-CG"
    assert created.status == Status.ACTIVE and created.listings.filter(department__code="SCJG").exists()
    event = AuditEvent.objects.get(action="import.entities")
    assert event.detail["new"] == 3 and event.detail["valid_rows_only"] is False


def test_a_file_with_errors_imports_nothing_unless_valid_rows_only_is_chosen(client_for: Any) -> None:
    client = client_for("cg.manager")
    wrong = code(5)[:-1] + ("0" if code(5)[-1] != "0" else "1")
    bad_digit = (shop(5)[0], wrong, *shop(5)[2:])
    rows = [shop(4), bad_digit, shop(6), shop(4, "重复的一行")]
    batch = upload(client, csv_003(rows, "utf-8-sig"))
    assert batch.counts["rejected"] == 2 and batch.counts["new"] == 2
    messages = " ".join(e["message"] for e in batch.first_errors)
    assert "校验位" in messages and "第2行" in messages  # the duplicate names the first row (header is row 1)
    client.post(f"/staff/directory/imports/{batch.pk}/")  # plain confirm is refused
    assert not Entity.objects.filter(uscc__in=[code(4), code(6)]).exists()
    errors = client.get(f"/staff/directory/imports/{batch.pk}/errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(errors.streaming_content))).active
    assert sheet.max_row >= 3
    client.post(f"/staff/directory/imports/{batch.pk}/", {"valid_rows_only": "1"})
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.COMMITTED and "仅导入无误的行" in batch.summary
    assert Entity.objects.filter(uscc__in=[code(4), code(6)]).count() == 2
    assert AuditEvent.objects.get(action="import.entities").detail["valid_rows_only"] is True


def test_update_existing_changes_only_what_differs_and_marks_the_missing(
    client_for: Any, tmp_path: Path
) -> None:
    client = client_for("cg.manager")
    batch = upload(client, csv_003([shop(7), shop(8), shop(9)]))
    client.post(f"/staff/directory/imports/{batch.pk}/")
    listed_before = (
        Entity.objects.filter(listings__department__code="SCJG").exclude(status="moved_out").count()
    )
    renamed = shop(7, "偃师区城关镇测试7号便利店（新址）")
    batch = upload(client, csv_003([renamed, shop(8)]), update_existing="on", mark_missing="moved_out")
    assert (batch.counts["updated"], batch.counts["unchanged"]) == (1, 1)
    assert batch.counts["marked"] == listed_before - 2
    client.post(f"/staff/directory/imports/{batch.pk}/")
    assert Entity.objects.get(uscc=code(7)).name.endswith("（新址）")
    assert Entity.objects.get(uscc=code(9)).status == Status.MOVED_OUT  # not deleted, marked
    assert Entity.objects.get(uscc=code(8)).status == Status.ACTIVE


def test_without_update_mode_an_existing_code_is_an_error(client_for: Any) -> None:
    existing = Entity.objects.filter(jurisdiction__code="SCJG-CG").first()
    row = (existing.name, existing.uscc, "李四", "地址", "登记机关", "城关市场监管所")
    batch = upload(client_for("cg.manager"), csv_003([row]))
    assert "已在名录库中" in batch.first_errors[0]["message"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "空"),
        (HEADER_003.encode("gbk") + b"\r\n", "header.csv", "没有数据"),
        (b"PK\x03\x04 this is not really a workbook", "fake.xlsx", ""),
        ("单位名称,法定代表人\r\n某店,张三\r\n".encode("gbk"), "missing.csv", "缺少"),
    ],
)
def test_unusable_files_are_refused_with_a_reason_and_write_nothing(
    client_for: Any, content: bytes, name: str, message: str
) -> None:
    client = client_for("cg.manager")
    before = Entity.objects.count()
    response = client.post("/staff/directory/import/entities/", {"file": SimpleUploadedFile(name, content)})
    if response.status_code == 200:  # refused at upload (empty file)
        assert message in response.content.decode()
    else:
        batch = ImportBatch.objects.order_by("-pk").first()
        assert batch.state == ImportBatch.State.REJECTED and batch.file_error
        assert message in batch.file_error
    assert Entity.objects.count() == before


def test_big_files_are_checked_and_imported_in_the_background(
    client_for: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from shuangsuiji.core.models import Job

    settings.SHUANGSUIJI_IMPORT_BACKGROUND_BYTES = 10
    client = client_for("cg.manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/directory/import/entities/",
            {"file": SimpleUploadedFile("big.csv", csv_003([shop(n) for n in range(20, 40)]))},
        )
    job = Job.objects.get(kind="import.preview")
    assert response["Location"] == f"/staff/jobs/{job.pk}/" and job.state == Job.State.SUCCEEDED
    batch = ImportBatch.objects.order_by("-pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/directory/imports/{batch.pk}/")
    assert Job.objects.get(kind="import.confirm").state == Job.State.SUCCEEDED
    assert Entity.objects.filter(uscc__in=[code(n) for n in range(20, 40)]).count() == 20


def test_a_confirmed_batch_cannot_be_imported_twice(client_for: Any) -> None:
    client = client_for("cg.manager")
    batch = upload(client, csv_003([shop(50)]))
    client.post(f"/staff/directory/imports/{batch.pk}/")
    client.post(f"/staff/directory/imports/{batch.pk}/")
    assert AuditEvent.objects.filter(action="import.entities").count() == 1


def test_exports_re_import_unchanged_and_neutralise_formulas(
    client_for: Any, cast: Any, tmp_path: Path
) -> None:
    target = Entity.objects.filter(jurisdiction__code="SCJG-CG").first()
    Entity.objects.filter(pk=target.pk).update(name='=HYPERLINK("http://x")')
    client = client_for("cg.manager")
    response = client.get(
        "/staff/directory/export/entities/", {"format": "csv", "jurisdiction": target.jurisdiction_id}
    )
    data = b"".join(response.streaming_content)
    assert data.startswith("\ufeff".encode()) and b"'=HYPERLINK" in data
    xlsx = client.get("/staff/directory/export/entities/", {"format": "xlsx"})
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"".join(xlsx.streaming_content))
    sheet = openpyxl.load_workbook(path).active
    assert (
        sheet.max_row - 1 == Entity.objects.filter(jurisdiction__code="SCJG-CG").count() or sheet.max_row > 1
    )
    outcome = register_import(
        kind="entities",
        source=path,
        filename="export.xlsx",
        actor=cast["cg.manager"],
        update_existing=True,
        commit=False,
    )
    assert outcome.ok and outcome.updated == 0 and outcome.unchanged == sheet.max_row - 1
    assert AuditEvent.objects.filter(action="export.entities").count() == 2


def test_the_template_has_drop_downs_and_notes(client_for: Any) -> None:
    response = client_for("cg.manager").get("/staff/directory/template/entities.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    assert sheet.cell(1, 1).value.strip("*") == "单位名称"
    assert sheet.data_validations.dataValidation
    assert len(book.worksheets) >= 2


def test_inspectors_import_only_into_the_importers_departments(client_for: Any) -> None:
    data = (
        "姓名,性别,单位,执法证号\r\n王五,男,城关市场监管所,豫执0499001\r\n赵六,女,区消防救援大队,XF-0381-99\r\n"
        "钱七,男,城关市场监管所,\r\n"
    ).encode("gbk")
    batch = upload(client_for("cg.manager"), data, "人员.csv", kind="inspectors")
    errors = {e["row"]: e["message"] for e in batch.first_errors}
    assert "不是您可管理的部门" in errors[3] and 4 in errors  # other department; missing certificate number
    assert batch.counts["new"] == 1 and not Inspector.objects.filter(cert_no="豫执0499001").exists()


def test_cli_exit_codes(tmp_path: Path) -> None:
    good, bad, unreadable = tmp_path / "good.csv", tmp_path / "bad.csv", tmp_path / "x.xlsx"
    good.write_bytes(csv_003([shop(60)]))
    bad.write_bytes(csv_003([shop(61), shop(61)]))
    unreadable.write_bytes(b"not a workbook at all")
    call_command("import", "entities", str(good), "--dry-run")  # exit 0: returns normally
    assert not Entity.objects.filter(uscc=code(60)).exists()
    with pytest.raises(SystemExit) as caught:
        call_command("import", "entities", str(bad))
    assert caught.value.code == 1 and not Entity.objects.filter(uscc=code(61)).exists()
    with pytest.raises(SystemExit) as caught:
        call_command("import", "entities", str(unreadable))
    assert caught.value.code == 2
    call_command("import", "entities", str(good), "--department", "SCJG")
    assert Entity.objects.get(uscc=code(60)).listings.filter(department__code="SCJG").exists()
    out = tmp_path / "all.csv"
    call_command("export", "inspectors", str(out))
    assert out.read_bytes().startswith("\ufeff".encode())
