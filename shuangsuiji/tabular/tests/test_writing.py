"""Exports and templates: neutralised cells, Excel-friendly CSV, drop-downs, and round trips."""

from __future__ import annotations

import datetime
import io
import zipfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from shuangsuiji.tabular import (
    CONFLICT_SPEC,
    ENTITY_SPEC,
    INSPECTION_ITEM_SPEC,
    INSPECTOR_SPEC,
    SPECS,
    CellError,
    ColumnSpec,
    ErrorLog,
    TableSpec,
    TabularError,
    Text,
    csv_chunks,
    errors_to_xlsx,
    neutralize,
    open_table,
    read_records,
    unneutralize,
    write_csv,
    write_template,
    write_xlsx,
)
from shuangsuiji.tabular._text import TRIM, XML_ILLEGAL_RE
from shuangsuiji.tabular.registers import (
    BUILDING_CATEGORIES,
    CREDIT_RISK_CLASSES,
    ENTITY_STATUSES,
    ENTITY_TYPES,
    FIRE_SAFETY_CATEGORIES,
)
from shuangsuiji.tabular.tests.helpers import USCC_ALPHABET, make_uscc, read_all


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
        ("\rx", "'\rx"), ("'=x", "''=x"), ("''", "'''"), ("'abc", "'abc"), ("'", "'"), ("偃师", "偃师"), ("", ""),
        ("a\x00b", "ab"), ("\x01=x", "'=x"),
    ],
)  # fmt: skip
def test_neutralize(value: str, safe: str) -> None:
    assert neutralize(value) == safe


@given(st.text())
def test_unneutralize_inverts_neutralize(value: str) -> None:
    clean = value.translate(
        {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]}
    )
    assert unneutralize(neutralize(value)) == clean


def test_csv_is_utf8_with_bom_and_crlf() -> None:
    data = b"".join(
        csv_chunks(
            ["单位名称", "金额"],
            [["=cmd|' /C calc'!A0", 5], ["甲,乙", None], [True, datetime.date(2025, 3, 1)]],
        )
    )
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == (
        '"单位名称","金额"\r\n"\'=cmd|\' /C calc\'!A0",5\r\n"甲,乙",""\r\n"是","2025-03-01"\r\n'
    )


def test_csv_chunks_stream_big_exports() -> None:
    chunks = list(csv_chunks(["a"], ([str(i)] for i in range(50_000)), chunk_size=4096))
    assert len(chunks) > 10 and b"".join(chunks).count(b"\r\n") == 50_001


def test_xlsx_export_neutralises_and_types_cells(tmp_path: object) -> None:
    out = io.BytesIO()
    rows: list[list[Any]] = [
        ['=HYPERLINK("http://evil")', 41001, datetime.date(2025, 3, 1), True, None, "a\x02b"]
    ]
    write_xlsx(out, ["名称", "编号", "日期", "是否", "空", "控制"], rows, sheet_name="检查对象")
    wb = load_workbook(io.BytesIO(out.getvalue()))
    ws = wb["检查对象"]
    assert [c.value for c in ws[2]] == [
        '\'=HYPERLINK("http://evil")',
        41001,
        datetime.datetime(2025, 3, 1),
        "是",
        None,
        "ab",
    ]
    assert ws["A2"].data_type == "s" and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["A1"].font.bold and ws.freeze_panes == "A2"
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")


def test_xlsx_export_continues_on_a_new_sheet_past_excel_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import shuangsuiji.tabular.writing as writing

    monkeypatch.setattr(writing, "EXCEL_MAX_ROWS", 4)
    out = io.BytesIO()
    write_xlsx(out, ["a"], [[i] for i in range(7)], sheet_name="名录")
    wb = load_workbook(io.BytesIO(out.getvalue()))
    assert wb.sheetnames == ["名录", "名录 (2)", "名录 (3)"]
    assert [c.value for c in wb["名录 (3)"]["A"]] == ["a", 6]


def test_error_list_downloads_as_xlsx() -> None:
    log = ErrorLog()
    log.add(3, "单位名称", "=cmd", "单元格含公式", 0)
    log.add(5, "统一社会信用代码（注册号）", "9141", "统一社会信用代码应为18位，实际4位", 1)
    out = io.BytesIO()
    errors_to_xlsx(log, out)
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_name("错误清单").to_python()
    )
    assert rows[0] == ["行号", "列", "列名", "单元格内容", "错误说明"]
    assert rows[1] == [3.0, "A", "单位名称", "'=cmd", "单元格含公式"]
    assert rows[2][:3] == [5.0, "B", "统一社会信用代码（注册号）"]
    assert rows[3][4] == "共发现2处错误，涉及2行，未导入任何数据"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_template_has_headers_example_dropdowns_and_notes(name: str) -> None:
    spec = SPECS[name]
    out = io.BytesIO()
    write_template(spec, out)
    wb = load_workbook(io.BytesIO(out.getvalue()))
    assert wb.sheetnames == [spec.title, "选项", "填写说明"]
    assert wb["选项"].sheet_state == "hidden"
    ws = wb[spec.title]
    headers = [c.value for c in ws[1]]
    assert headers == [("*" if c.required else "") + c.header for c in spec.columns]
    dropdowns = {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): dv for dv in ws.data_validations.dataValidation
    }
    for i, column in enumerate(spec.columns):
        letter = ws.cell(row=1, column=i + 1).column_letter
        has_list = bool(column.normalizer.choices) and not column.normalizer.multiple
        assert (letter in dropdowns) == has_list, column.header
        if has_list:
            assert dropdowns[letter].type == "list" and dropdowns[letter].formula1.startswith("'选项'!$")
        if column.normalizer.number_format == "@":
            assert ws.column_dimensions[letter].number_format == "@", column.header
    notes = [row[0].value for row in wb["填写说明"].iter_rows()]
    assert any(str(v).startswith("2. 带 * 的红色列为必填列") for v in notes)
    assert all(c.header in notes for c in spec.columns)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_template_reimports_with_only_the_example_row_flagged(name: str) -> None:
    spec = SPECS[name]
    out = io.BytesIO()
    write_template(spec, out)
    with open_table(io.BytesIO(out.getvalue()), "模板.xlsx") as table:
        assert table.sheet_name == spec.title
        reader = read_records(table, spec)
        assert list(reader) == []
    assert [(e.row, e.message) for e in reader.errors] == [(2, "这是模板中的示例行，请删除后再导入")]
    assert reader.warnings() == []


def test_template_without_example_is_header_only() -> None:
    out = io.BytesIO()
    write_template(ENTITY_SPEC, out, example=False)
    with pytest.raises(TabularError) as caught:
        read_all(out.getvalue(), ENTITY_SPEC, "模板.xlsx")
    assert caught.value.code == "header_only"


# ---- round trips -------------------------------------------------------------------------------------

SPEC = TableSpec("值表", (ColumnSpec("v", "值", Text(max_length=5000, single_line=False)),))


def _expected(values: list[str]) -> list[str | CellError]:
    result: list[str | CellError] = []
    for value in values:
        stripped = XML_ILLEGAL_RE.sub("", value).strip(TRIM)  # the export drops what XML cannot carry
        if not stripped:
            continue
        try:
            result.append(SPEC.columns[0].normalizer(stripped))
        except CellError as exc:
            result.append(exc)
    return result


def _round_trip(values: list[str], kind: str) -> tuple[list[str], ErrorLog]:
    out = io.BytesIO()
    rows = [["起点"], *([v] for v in values)]
    (write_csv if kind == "csv" else write_xlsx)(out, ["值"], rows)
    with open_table(io.BytesIO(out.getvalue()), f"导出.{kind}") as table:
        reader = read_records(table, SPEC)
        got = [r.values["v"] for r in reader][1:]
    return got, reader.errors


formula_like = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.tuples(
            st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "''", "'=", " ="]), st.text(max_size=10)
        ).map("".join),
    ),
    max_size=8,
)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=formula_like)
def test_export_then_import_gives_the_same_text(kind: str, values: list[str]) -> None:
    got, errors = _round_trip(values, kind)
    expected = _expected(values)
    assert got == [v for v in expected if isinstance(v, str)]
    assert [e.message for e in errors] == [e.message for e in expected if isinstance(e, CellError)]


entity_values = st.fixed_dictionaries(
    {
        "name": st.text(alphabet=st.characters(codec="gb18030", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30),
        "code": st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9).map(lambda s: make_uscc(prefix="91410381" + s[:1]) if s else s),
        "legal_representative": st.sampled_from(["张三", "买买提·艾力", "O'Brien", "-", "=王五"]),
        "address": st.text(min_size=1, max_size=50),
        "registration_authority": st.just("偃师区市场监督管理局"),
        "jurisdiction": st.sampled_from(["城关市场监管所", "+首阳山所"]),
        "entity_type": st.sampled_from([o.code for o in ENTITY_TYPES.options]),
        "status": st.sampled_from([o.code for o in ENTITY_STATUSES.options]),
        "established_on": st.one_of(st.none(), st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 1, 1))),
        "credit_risk_class": st.sampled_from(["", *(o.code for o in CREDIT_RISK_CLASSES.options)]),
        "fire_safety_category": st.sampled_from(["", *(o.code for o in FIRE_SAFETY_CATEGORIES.options)]),
        "building_category": st.sampled_from(["", *(o.code for o in BUILDING_CATEGORIES.options)]),
    }
)  # fmt: skip


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@settings(max_examples=40, deadline=None)
@given(entity=entity_values)
def test_an_exported_register_imports_back_identically(kind: str, entity: dict[str, object]) -> None:
    cleaned = dict(entity)
    try:  # free text as the importer would have stored it (the register only holds clean values)
        for key in ("name", "address"):
            cleaned[key] = ENTITY_SPEC.column(key).normalizer(str(entity[key]).strip(TRIM))
    except CellError:
        return
    if not (cleaned["name"] and cleaned["address"]):
        return
    out = io.BytesIO()
    (write_csv if kind == "csv" else write_xlsx)(
        out, ENTITY_SPEC.headers(), [ENTITY_SPEC.export_row(cleaned)]
    )
    records, errors = read_all(out.getvalue(), ENTITY_SPEC, f"导出.{kind}")
    assert not errors, list(errors)
    got = records[0].values
    for key, value in cleaned.items():
        assert got[key] == (ENTITY_SPEC.column(key).blank if value == "" or value is None else value), key


def test_the_other_registers_round_trip() -> None:
    inspector = {"name": "李四", "gender": "F", "department": "偃师区消防救援大队", "post": "", "title_category": "",
                 "specialties": "消防", "cert_no": "41001", "years_of_service": 5, "qualified": True, "on_duty": False}  # fmt: skip
    conflict = {"cert_no": "41001", "inspector_name": "李四", "entity_code": make_uscc(), "entity_name": "甲",
                "reason": "配偶", "declared_on": datetime.date(2025, 3, 1)}  # fmt: skip
    item = {"code": "XF-002", "name": "抽查", "basis": "第一条\n第二条", "object_type": "单位", "category": "key",
            "methods": ["onsite", "third_party"], "department": "大队", "default_rate_bp": 250, "plan_note": "",
            "period_note": ""}  # fmt: skip
    for spec, values in (
        (INSPECTOR_SPEC, inspector),
        (CONFLICT_SPEC, conflict),
        (INSPECTION_ITEM_SPEC, item),
    ):
        out = io.BytesIO()
        write_xlsx(out, spec.headers(), [spec.export_row(values)])
        records, errors = read_all(out.getvalue(), spec, "导出.xlsx")
        assert not errors and records[0].values == values, spec.title
