"""Header matching on real-world files and the record pipeline (duplicates, example rows, hooks, caps)."""

from __future__ import annotations

import io

import pytest

from shuangsuiji.tabular import (
    CONFLICT_SPEC,
    ENTITY_SPEC,
    INSPECTION_ITEM_SPEC,
    INSPECTOR_SPEC,
    CellError,
    ColumnSpec,
    ErrorLog,
    TableSpec,
    TabularError,
    Text,
    normalize_header,
    open_table,
    read_records,
)
from shuangsuiji.tabular.registers import EXAMPLE_USCC
from shuangsuiji.tabular.tests.helpers import (
    ENTITY_HEADERS_003,
    csv_bytes,
    entity_row,
    errors_of,
    make_uscc,
    read_all,
    xlsx_bytes,
)


def test_a_file_with_just_the_003_columns_imports() -> None:
    records, errors = read_all(csv_bytes([ENTITY_HEADERS_003, entity_row(1)]), ENTITY_SPEC)
    assert not errors
    values = records[0].values
    assert set(values) == {
        "name", "code", "legal_representative", "address", "registration_authority", "jurisdiction", "uscc", "reg_no",
    }  # fmt: skip
    assert values["uscc"] == values["code"] and values["reg_no"] is None


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("*单位名称", "name"), ("单位名称（必填）", "name"), (" 单位 名称 ", "name"), ("企业名称", "name"),
        ("统一社会信用代码(注册号)", "code"), ("统一社会信用代码（注册号）", "code"), ("信用代码", "code"),
        ("注册号", "code"), ("统一社会信用代码/注册号", "code"), ("统一社会信用代码【注册号】", "code"),
        ("法定代表人/负责人", "legal_representative"), ("负责人", "legal_representative"),
        ("法定代表人（负责人）", "legal_representative"), ("经营者", "legal_representative"),
        ("住　所", "address"), ("住所（经营场所）", "address"), ("经营场所", "address"),
        ("登记机关：", "registration_authority"), ("管辖单位(所属监管所)", "jurisdiction"),
        ("所属监管所", "jurisdiction"), ("登记状态", "status"), ("经营状态", "status"),
        ("企业类型", "entity_type"), ("成立日期", "established_on"), ("消防安全类别", "fire_safety_category"),
        ("ＦＯＯ", None), ("序号", None),
    ],
)  # fmt: skip
def test_real_world_headers(written: str, key: str | None) -> None:
    assert ENTITY_SPEC.key_for(written) == key


def test_normalize_header() -> None:
    assert normalize_header(" *统一社会信用代码（注册号）(必填) ") == "统一社会信用代码(注册号)"


def test_export_from_the_credit_information_system_with_title_and_extra_columns() -> None:
    header = ["序号", "企业名称", "统一社会信用代码", "法定代表人", "企业类型", "成立日期", "登记机关", "登记状态",
              "住所", "管辖单位", "经营范围"]  # fmt: skip
    row = ["1", "偃师区老街饭店有限公司", make_uscc(), "王五", "有限责任公司(自然人投资或控股)", "2019-06-03",
           "偃师区市场监督管理局", "存续（在营、开业、在册）", "偃师区老街1号", "城关市场监管所", "餐饮服务"]  # fmt: skip
    data = xlsx_bytes([["偃师区市场主体名录（导出时间：2025-03-01）"], [], header, row], merged=["A1:K1"])
    with open_table(io.BytesIO(data), "导出.xlsx") as table:
        reader = read_records(table, ENTITY_SPEC)
        records = list(reader)
    assert reader.header.row == 3
    assert reader.warnings() == [
        "以下列不是模板中的列，已忽略：“经营范围”（K列）"
    ]  # 序号 is silently ignored
    assert not reader.errors
    values = records[0].values
    assert (values["entity_type"], values["status"], values["established_on"].isoformat()) == (
        "company", "active", "2019-06-03",
    )  # fmt: skip


def test_columns_in_any_order() -> None:
    order = [3, 0, 5, 1, 4, 2]
    rows = [[r[i] for i in order] for r in (ENTITY_HEADERS_003, entity_row(1))]
    records, errors = read_all(csv_bytes(rows), ENTITY_SPEC)
    assert not errors and records[0].values["name"] == entity_row(1)[0]


def test_header_row_is_the_best_match_not_the_first_text() -> None:
    rows = [["单位名称：偃师区"], ["填报单位", "偃师区市场监管局"], ENTITY_HEADERS_003, entity_row(1)]
    records, _ = read_all(csv_bytes(rows), ENTITY_SPEC)
    assert records[0].row == 4


def test_optional_blank_cells_get_the_column_blank_value() -> None:
    header = [*ENTITY_HEADERS_003, "登记状态", "信用风险分类", "成立日期"]
    records, errors = read_all(csv_bytes([header, [*entity_row(1), "", " ", ""]]), ENTITY_SPEC)
    assert not errors
    assert (records[0].values["status"], records[0].values["credit_risk_class"], records[0].values["established_on"]) == (
        "active", "", None,
    )  # fmt: skip


def test_errors_of_one_row_come_in_column_order() -> None:
    header = [*ENTITY_HEADERS_003, "成立日期"]
    row = [*entity_row(1), "2025-2-30"]
    row[0], row[1] = "", "123"
    _, errors = read_all(csv_bytes([header, row]), ENTITY_SPEC)
    assert [(e.column_letter, e.message) for e in errors] == [
        ("A", "必填，不能为空"),
        ("B", "统一社会信用代码应为18位（或15位注册号），实际3位"),
        ("G", "日期不存在：2025年2月30日"),
    ]
    assert errors.rows_with_errors == 1


def test_the_template_example_row_left_in_is_an_error() -> None:
    example = [ENTITY_SPEC.column(k).example for k in
               ("name", "code", "legal_representative", "address", "registration_authority", "jurisdiction")]  # fmt: skip
    _, errors = read_all(csv_bytes([ENTITY_HEADERS_003, example]), ENTITY_SPEC)
    assert errors_of(errors) == [(2, "", "这是模板中的示例行，请删除后再导入")]
    edited = [*example[:1], make_uscc(), *example[2:]]  # the example, edited into a real row: fine
    _records, errors = read_all(csv_bytes([ENTITY_HEADERS_003, edited]), ENTITY_SPEC)
    assert not errors and example[1] == EXAMPLE_USCC


def test_duplicates_on_a_two_column_key() -> None:
    header = ["执法证号", "统一社会信用代码（注册号）", "利害关系", "申报日期"]
    code = make_uscc()
    rows = [header, ["41001", code, "配偶任职", "2025-03-01"], ["41002", code, "亲属", "2025-03-01"],
            ["41001", code.lower(), "同学", "2025/3/2"]]  # fmt: skip
    _, errors = read_all(csv_bytes(rows), CONFLICT_SPEC)
    assert errors_of(errors) == [(4, "执法证号", "与第2行重复（执法证号、统一社会信用代码（注册号）都相同）")]
    assert errors.items[0].value == f"41001／{code}"


def test_inspectors_and_items_import() -> None:
    inspectors = [["姓名", "性别", "单位", "职务/岗位", "执法证号", "执法工作年限", "具有行政执法资格", "在岗"],
                  ["李　四", "男", "偃师区消防救援大队", "监督员", "４１００１", "5年", "是", "√"]]  # fmt: skip
    records, errors = read_all(csv_bytes(inspectors, "gbk"), INSPECTOR_SPEC)
    assert not errors
    assert records[0].values == {
        "name": "李四", "gender": "M", "department": "偃师区消防救援大队", "post": "监督员", "cert_no": "41001",
        "years_of_service": 5, "qualified": True, "on_duty": True,
    }  # fmt: skip
    items = [["序号", "事项编码", "抽查事项名称", "抽查依据", "检查对象", "事项类别", "检查方式", "检查主体", "抽查比例"],
             ["1", "xf-001", "对单位履行消防安全职责情况的日常监督抽查", "《消防法》\n《消防监督检查规定》",
              "机关、团体、企业、事业等单位", "一般检查事项", "现场检查、抽样送检", "区消防救援大队", "5%"]]  # fmt: skip
    records, errors = read_all(csv_bytes(items), INSPECTION_ITEM_SPEC)
    assert not errors
    values = records[0].values
    assert (values["code"], values["basis"], values["methods"], values["default_rate_bp"], values["category"]) == (
        "XF-001", "《消防法》\n《消防监督检查规定》", ["onsite", "sampling"], 500, "general",
    )  # fmt: skip


def test_row_hooks_report_cross_field_problems() -> None:
    def needs_reason(values: dict[str, object]) -> list[tuple[str | None, str]]:
        return [("b", "填写了甲就必须填写乙")] if values["a"] and not values["b"] else []

    spec = TableSpec(
        "t",
        (ColumnSpec("a", "甲", Text()), ColumnSpec("b", "乙", Text(), blank="")),
        row_hooks=(needs_reason,),
    )
    _, errors = read_all(csv_bytes([["甲", "乙"], ["x", ""]]), spec)
    assert [(e.row, e.column, e.column_letter, e.message) for e in errors] == [
        (2, "乙", "B", "填写了甲就必须填写乙")
    ]


def test_error_log_keeps_a_bounded_sample_but_counts_everything() -> None:
    rows = [ENTITY_HEADERS_003] + [[f"店{i}", "bad", "", "x", "y", "z"] for i in range(300)]
    log = ErrorLog(max_kept=50)
    records, errors = read_all(csv_bytes(rows), ENTITY_SPEC, errors=log)
    assert records == [] and errors is log
    assert (errors.count, len(errors.items), errors.rows_with_errors, errors.truncated) == (
        600,
        50,
        300,
        True,
    )
    assert errors.summary() == "共发现600处错误，涉及300行，未导入任何数据；下载的错误清单列出前50处"


def test_stop_after_errors_for_a_quick_preview() -> None:
    rows = [ENTITY_HEADERS_003] + [[f"店{i}", "bad", "张三", "x", "y", "z"] for i in range(1000)]
    with open_table(io.BytesIO(csv_bytes(rows)), "a.csv") as table:
        reader = read_records(table, ENTITY_SPEC, stop_after_errors=20)
        assert list(reader) == []
    assert reader.stopped_early and reader.errors.count == 20


def test_reader_is_single_pass() -> None:
    with open_table(io.BytesIO(csv_bytes([ENTITY_HEADERS_003, entity_row(1)])), "a.csv") as table:
        reader = read_records(table, ENTITY_SPEC)
        list(reader)
        with pytest.raises(RuntimeError):
            list(reader)


def test_spec_rejects_ambiguous_headers() -> None:
    with pytest.raises(ValueError, match="maps to two columns"):
        TableSpec("t", (ColumnSpec("a", "名称"), ColumnSpec("b", "单位", synonyms=("名称",))))


def test_header_search_is_limited_to_the_first_rows() -> None:
    rows = [[f"说明{i}"] for i in range(12)] + [ENTITY_HEADERS_003, entity_row(1)]
    with pytest.raises(TabularError) as caught:
        read_all(csv_bytes(rows), ENTITY_SPEC)
    assert caught.value.code == "no_header"


def test_remembered_results_equal_the_normalisers_and_errors_are_reported_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shuangsuiji.tabular import records as records_module

    monkeypatch.setattr(records_module, "_MEMO_LIMIT", 3)  # past it, results are computed again
    statuses = ["在业", "吊销，未注销", "在业", "不知道", "注销", "不知道", "迁出", "在业", "迁出"]
    dates = [
        "2025年3月1日",
        "2025-3-1",
        "2025/03/01",
        "2025年3月1日",
        "45717",
        "2025-02-30",
        "1999.9.9",
        "",
        "45717",
    ]
    towns = ["城关镇", "城关镇", "　城关镇", "顾县镇", "", "顾县镇", "李村镇", "城关镇", "李村镇"]
    header = [*ENTITY_HEADERS_003, "登记状态", "成立日期", "所在镇（街道）"]
    rows = [[*entity_row(i), s, d, t] for i, (s, d, t) in enumerate(zip(statuses, dates, towns, strict=True))]
    records, errors = read_all(csv_bytes([header, *rows]), ENTITY_SPEC)
    expected, problems = {}, []
    for number, row in enumerate(rows, start=2):
        values = {}
        for key, cell in (("status", row[6]), ("established_on", row[7]), ("town", row[8])):
            column = ENTITY_SPEC.column(key)
            text = cell.strip("　 ")
            try:
                values[key] = column.normalizer(text) if text else column.blank
            except CellError as exc:
                problems.append((number, column.header, exc.message))
        if not any(p[0] == number for p in problems):
            expected[number] = values
    assert {
        r.row: {k: r.values[k] for k in ("status", "established_on", "town")} for r in records
    } == expected
    assert errors_of(errors) == problems and len(problems) == 3  # 不知道 twice, 2025-02-30 once
