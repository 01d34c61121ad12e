"""Every bad input listed in issue 3: each gives a precise Chinese error (with row and column where there
is one), and no record comes out of a file with an error."""

from __future__ import annotations

import io
from typing import Any

import pytest

from shuangsuiji.tabular import (
    ENTITY_SPEC,
    INSPECTOR_SPEC,
    ColumnSpec,
    TableSpec,
    TabularError,
    Text,
    Uscc,
    open_table,
    read_records,
)
from shuangsuiji.tabular.records import FORMULA_MESSAGE, REQUIRED_MESSAGE
from shuangsuiji.tabular.sniff import CORRUPT_MESSAGE, ENCRYPTED_MESSAGE
from shuangsuiji.tabular.tests.helpers import (
    ENTITY_HEADERS_003,
    csv_bytes,
    entity_row,
    errors_of,
    read_all,
    xlsx_bytes,
)
from shuangsuiji.tabular.tests.oldformats import biff8, encrypted_xlsx

CODE = "统一社会信用代码（注册号）"


def file_error(data: bytes, filename: str = "upload.xlsx", spec: TableSpec = ENTITY_SPEC) -> TabularError:
    with pytest.raises(TabularError) as caught:
        read_all(data, spec, filename)
    return caught.value


def test_empty_file_is_refused() -> None:
    error = file_error(b"", "名录.xlsx")
    assert (error.code, error.message) == ("empty", "文件是空的（0字节），请确认选择了正确的文件")


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", b"\r\n\r\n,,,\r\n", b"   "])
def test_file_with_only_blank_lines_is_empty(data: bytes) -> None:
    error = file_error(data, "名录.csv")
    assert (error.code, error.message) == ("empty", "文件中没有任何内容（空表格或只有空行）")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_header_only_is_refused(kind: str) -> None:
    rows = [ENTITY_HEADERS_003, ["", "", "", "", "", ""]]
    data = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    error = file_error(data, f"名录.{kind}")
    assert (error.code, error.message, error.row) == ("header_only", "文件只有表头（第1行），没有数据行", 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"%PDF-1.7\n...",
            "文件扩展名是 .xlsx，但文件内容是PDF 文档，不是表格。请上传 Excel 工作簿（.xlsx、.xls）或 CSV 文件",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "文件扩展名是 .xlsx，但文件内容是图片（PNG），不是表格。请上传 Excel 工作簿（.xlsx、.xls）或 CSV 文件",
        ),
        (
            b"\x00\x01\x02binary\x00",
            "文件扩展名是 .xlsx，但无法识别文件格式：它不是 Excel 工作簿，也不是 CSV 文本文件。请上传 Excel 工作簿（.xlsx、.xls）或 CSV 文件",
        ),
    ],
)
def test_wrong_file_type_renamed_to_xlsx(data: bytes, message: str) -> None:
    error = file_error(data)
    assert (error.code, error.message) == ("wrong_type", message)


def test_word_document_renamed_to_xlsx() -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    error = file_error(buffer.getvalue())
    assert (
        error.message
        == "文件扩展名是 .xlsx，但文件内容是 Word 文档（.docx），不是表格。请上传 Excel 工作簿（.xlsx、.xls）或 CSV 文件"
    )


def test_html_saved_as_xls_by_another_system() -> None:
    error = file_error(b"<html><body><table><tr><td>\xe5\x8d\x95\xe4\xbd\x8d</td></tr></table>", "导出.xls")
    assert error.code == "html_table"
    assert error.message.startswith("文件扩展名是 .xls，但文件内容是网页（HTML）格式")


def test_csv_renamed_to_xlsx_is_read_by_content() -> None:
    records, errors = read_all(csv_bytes([ENTITY_HEADERS_003, entity_row(1)]), ENTITY_SPEC, "名录.xlsx")
    assert not errors and len(records) == 1


def test_password_protected_xlsx() -> None:
    error = file_error(encrypted_xlsx())
    assert (error.code, error.message) == ("encrypted", ENCRYPTED_MESSAGE)
    assert ENCRYPTED_MESSAGE == "文件已加密（设置了打开密码），请在 Excel 中取消密码后另存为 .xlsx 再导入"


def test_password_protected_xls() -> None:
    error = file_error(biff8([["单位名称"], ["x"]], password=True), "名录.xls")
    assert (error.code, error.message) == ("encrypted", ENCRYPTED_MESSAGE)


def test_corrupt_xlsx() -> None:
    from shuangsuiji.tabular.tests.helpers import rewrite_zip

    good = xlsx_bytes([ENTITY_HEADERS_003, entity_row(1)])
    broken = rewrite_zip(
        good, lambda name, data: data[: len(data) // 2] if name.endswith("sheet1.xml") else data
    )
    error = file_error(broken)
    assert (error.code, error.message) == ("corrupt", CORRUPT_MESSAGE)


def test_gbk_csv_with_a_few_invalid_bytes_names_line_and_byte() -> None:
    rows = [ENTITY_HEADERS_003, entity_row(1), entity_row(2)]
    data = bytearray(csv_bytes(rows, "gbk"))
    line3 = data.index(b"\r\n", data.index(b"\r\n") + 2) + 2  # start of line 3
    data[line3 + 2] = 0xFF  # inside the name's first character
    data[-5] = 0x80
    error = file_error(bytes(data), "名录.csv")
    assert error.code == "encoding"
    assert error.row == 3
    assert error.message == (
        f"文件第3行（第{line3 + 3}个字节）有无法识别的字节 0xFF：按 GBK/GB18030 编码读取失败。"
        "文件可能已损坏，或混用了不同的编码；请用 Excel 打开检查后另存为“CSV UTF-8（逗号分隔）”再导入"
    )


def test_merged_header_cells() -> None:
    rows: list[list[Any]] = [["单位名称", None, "法定代表人", "住所", "登记机关", "管辖单位"], entity_row(1)]
    error = file_error(xlsx_bytes(rows, merged=["A1:B1"]))
    assert (error.code, error.row) == ("merged_header", 1)
    assert error.message == "表头（第1行）有合并单元格（A1:B1），请取消合并，让每一列都有自己的列名后再导入"


def test_merged_title_above_header_is_fine() -> None:
    rows = [["检查对象名录"], ENTITY_HEADERS_003, entity_row(1)]
    records, errors = read_all(xlsx_bytes(rows, merged=["A1:F1"]), ENTITY_SPEC, "名录.xlsx")
    assert not errors and [r.row for r in records] == [3]


def test_merged_cells_in_data_rows() -> None:
    rows: list[list[Any]] = [
        ENTITY_HEADERS_003,
        entity_row(1),
        [*entity_row(2)[:5], None],
        [*entity_row(3)[:5], None],
    ]
    rows[1][5] = "城关市场监管所"
    error = file_error(xlsx_bytes(rows, merged=["F2:F4"]))
    assert (error.code, error.row) == ("merged_cells", 2)
    assert (
        error.message
        == "数据区域有合并单元格（F2:F4）。合并后只有第一格有值，请取消合并并把每一行填写完整后再导入"
    )


def test_uscc_with_wrong_check_digit() -> None:
    row = entity_row(1)
    good = row[1]
    row[1] = good[:17] + ("0" if good[17] != "0" else "1")
    records, errors = read_all(csv_bytes([ENTITY_HEADERS_003, row]), ENTITY_SPEC)
    assert records == []
    assert errors_of(errors) == [
        (2, CODE, f"统一社会信用代码校验位错误（按前17位计算，第18位应为“{good[17]}”），请核对代码是否抄错")
    ]
    assert errors.items[0].value == row[1] and errors.items[0].column_letter == "B"


def test_full_width_uscc_is_converted_not_refused() -> None:
    row = entity_row(1)
    half = row[1]
    row[1] = "\u3000" + half.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}) + "\u00a0"
    records, errors = read_all(csv_bytes([ENTITY_HEADERS_003, row]), ENTITY_SPEC)
    assert not errors
    assert records[0].values["code"] == half and records[0].values["uscc"] == half


@pytest.mark.parametrize("length", [17, 19])
def test_17_and_19_character_codes(length: int) -> None:
    row = entity_row(1)
    row[1] = (row[1] + "1")[:length]
    _, errors = read_all(csv_bytes([ENTITY_HEADERS_003, row]), ENTITY_SPEC)
    assert errors_of(errors) == [(2, CODE, f"统一社会信用代码应为18位（或15位注册号），实际{length}位")]


@pytest.mark.parametrize("length", [17, 19])
def test_17_and_19_character_codes_in_a_uscc_only_column(length: int) -> None:
    spec = TableSpec("t", (ColumnSpec("uscc", "统一社会信用代码", Uscc(), required=True),))
    _, errors = read_all(csv_bytes([["统一社会信用代码"], ["9" * length]]), spec)
    assert errors_of(errors) == [(2, "统一社会信用代码", f"统一社会信用代码应为18位，实际{length}位")]


def test_duplicate_usccs_in_one_file_name_both_rows() -> None:
    rows = [ENTITY_HEADERS_003, entity_row(1), entity_row(2), entity_row(3)]
    rows[3][1] = rows[1][1]
    records, errors = read_all(csv_bytes(rows), ENTITY_SPEC)
    assert errors_of(errors) == [(4, CODE, "与第2行重复（统一社会信用代码（注册号）相同）")]
    assert [r.row for r in records] == [2, 3]  # the caller writes nothing: errors is non-empty


def test_inspector_row_without_certificate_number() -> None:
    header = ["姓名", "性别", "单位", "执法证号"]
    rows = [
        header,
        ["李四", "男", "偃师区消防救援大队", "41030001"],
        ["王五", "女", "偃师区消防救援大队", " "],
    ]
    _records, errors = read_all(csv_bytes(rows), INSPECTOR_SPEC)
    assert errors_of(errors) == [(3, "执法证号", REQUIRED_MESSAGE)]
    assert REQUIRED_MESSAGE == "必填，不能为空"
    assert errors.items[0].column_letter == "D"


def test_formula_in_an_xlsx_cell() -> None:
    rows = [ENTITY_HEADERS_003, entity_row(1), entity_row(2)]
    rows[2][2] = '=CONCATENATE("张","三")'
    records, errors = read_all(xlsx_bytes(rows), ENTITY_SPEC, "名录.xlsx")
    assert errors_of(errors) == [(3, "法定代表人", FORMULA_MESSAGE)]
    assert errors.items[0].value == '=CONCATENATE("张","三")'
    assert FORMULA_MESSAGE == "单元格含公式，请把该列复制后“选择性粘贴→数值”，保存后再导入"
    assert [r.row for r in records] == [2]


def test_formula_text_in_a_csv_cell() -> None:
    rows = [ENTITY_HEADERS_003, entity_row(1)]
    rows[1][3] = '=HYPERLINK("http://x")'
    _, errors = read_all(csv_bytes(rows), ENTITY_SPEC)
    assert errors_of(errors) == [(2, "住所", FORMULA_MESSAGE)]


def _with_cached_formula_value() -> bytes:
    from shuangsuiji.tabular.tests.helpers import rewrite_zip

    rows = [ENTITY_HEADERS_003, entity_row(1)]
    rows[1][3] = '="商城路"&"1号"'
    data = xlsx_bytes(rows)

    def cache(name: str, xml: bytes) -> bytes:  # what Excel would have saved next to the formula
        if name != "xl/worksheets/sheet1.xml":
            return xml
        xml = xml.replace(b'<c r="D2">', b'<c r="D2" t="str">')
        return xml.replace(b"</f><v></v>", "</f><v>商城路1号</v>".encode(), 1)

    return rewrite_zip(data, cache)


def test_formula_with_cached_value_is_still_refused_by_default() -> None:
    _records, errors = read_all(_with_cached_formula_value(), ENTITY_SPEC, "x.xlsx")
    assert errors_of(errors) == [(2, "住所", FORMULA_MESSAGE)]
    assert errors.items[0].value == '="商城路"&"1号"'


def test_formula_values_can_be_accepted_explicitly() -> None:
    records, errors = read_all(
        _with_cached_formula_value(), ENTITY_SPEC, "x.xlsx", accept_formula_values=True
    )
    assert not errors
    assert records[0].values["address"] == "商城路1号"


def test_formula_without_cached_value_accepted_explicitly_is_empty() -> None:
    rows = [ENTITY_HEADERS_003, entity_row(1)]
    rows[1][3] = '="商城路"&"1号"'  # openpyxl stores no cached value
    _, errors = read_all(xlsx_bytes(rows), ENTITY_SPEC, "x.xlsx", accept_formula_values=True)
    assert errors_of(errors) == [(2, "住所", REQUIRED_MESSAGE)]


def test_100000_character_cell_in_csv() -> None:
    rows = [ENTITY_HEADERS_003, entity_row(1)]
    rows[1][0] = "长" * 100_000
    _, errors = read_all(csv_bytes(rows), ENTITY_SPEC)
    assert errors_of(errors) == [(2, "单位名称", "内容过长：100000个字符，最多允许200个字符")]
    assert len(errors.items[0].value) < 120  # the value is shortened in the report


def test_100000_character_cell_in_xlsx() -> None:
    from shuangsuiji.tabular.tests.helpers import rewrite_zip

    rows = [ENTITY_HEADERS_003, entity_row(1)]
    rows[1][0] = "PLACEHOLDER"  # openpyxl caps strings at Excel's 32,767; other programs do not
    data = rewrite_zip(
        xlsx_bytes(rows), lambda name, xml: xml.replace(b"PLACEHOLDER", "长".encode() * 100_000)
    )
    _, errors = read_all(data, ENTITY_SPEC, "x.xlsx")
    assert errors_of(errors) == [(2, "单位名称", "内容过长：100000个字符，最多允许200个字符")]


def test_1000_columns() -> None:
    header = ENTITY_HEADERS_003 + [f"附加列{i}" for i in range(994)]
    error = file_error(csv_bytes([header, entity_row(1) + [""] * 994]), "宽表.csv")
    assert (error.code, error.row) == ("too_many_columns", 1)
    assert error.message == "表头（第1行）有1000列，超过上限200列；请只保留模板中的列后再导入"


def test_csv_that_stops_half_way_inside_a_quoted_cell() -> None:
    data = csv_bytes([ENTITY_HEADERS_003, entity_row(1), entity_row(2)]) + '"偃师区未写完的'.encode()
    with open_table(io.BytesIO(data), "名录.csv") as table, pytest.raises(TabularError) as caught:
        list(read_records(table, ENTITY_SPEC))  # a small file is read whole while finding the header
    assert (caught.value.code, caught.value.row) == ("truncated", 4)
    assert caught.value.message == (
        "文件在第4行意外结束：有一个引号没有闭合。文件可能不完整（导出或上传中断），"
        "或该行某个单元格里的引号不成对；请检查后重新导出再导入"
    )


def test_utf8_csv_that_stops_inside_a_character() -> None:
    data = csv_bytes([ENTITY_HEADERS_003, entity_row(1), ["偃师区"]])[:-3]  # drop CRLF and half of 区
    error = file_error(data, "名录.csv")
    assert (error.code, error.row) == ("truncated", 3)
    assert (
        error.message
        == "文件在末尾被截断（第3行最后一个字符不完整），可能没有完整导出或上传；请重新导出后再导入"
    )


def test_xlsx_that_stops_half_way() -> None:
    data = xlsx_bytes([ENTITY_HEADERS_003] + [entity_row(i) for i in range(200)])
    error = file_error(data[: len(data) // 2])
    assert (error.code, error.message) == ("corrupt", CORRUPT_MESSAGE)
    assert CORRUPT_MESSAGE.startswith("文件不完整或已损坏")


def test_missing_required_columns_are_listed_together_up_front() -> None:
    error = file_error(csv_bytes([["单位名称", "住所", "备注"], ["甲", "某路"]]), "名录.csv")
    assert (error.code, error.row) == ("missing_columns", 1)
    assert error.message == (
        "缺少必填列：“统一社会信用代码（注册号）”、“法定代表人”、“登记机关”、“管辖单位”（表头在第1行）。"
        "请对照“模板下载”中的列名补齐后再导入"
    )


def test_no_header_at_all() -> None:
    error = file_error(csv_bytes([["a", "b"], ["1", "2"]]), "名录.csv")
    assert error.code == "no_header"
    assert error.message == (
        "没有找到表头：前2行中没有一行包含模板中的列名（如“单位名称”、“统一社会信用代码（注册号）”、“法定代表人”）。"
        "请使用“模板下载”中的表格填写，或把列名改成与模板一致"
    )


def test_duplicate_header_columns() -> None:
    header = [*ENTITY_HEADERS_003, "企业名称"]
    error = file_error(csv_bytes([header, [*entity_row(1), "x"]]), "名录.csv")
    assert error.code == "duplicate_columns"
    assert error.message == "列“单位名称”出现了不止一次（A列、G列），请删除多余的列后再导入"


def test_file_over_the_upload_limit() -> None:
    from shuangsuiji.tabular import Limits

    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(b"a" * 2048), "大.csv", limits=Limits(max_file_bytes=1024))
    assert caught.value.code == "too_large"
    assert caught.value.message.startswith("文件大小为0.0 MB，超过上限0.0 MB")


def test_nothing_comes_out_of_a_row_with_any_error() -> None:
    rows = [ENTITY_HEADERS_003, entity_row(1)]
    rows[1][2] = ""
    records, errors = read_all(csv_bytes(rows), ENTITY_SPEC)
    assert records == [] and errors.count == 1


def test_text_only_spec_unused_import_guard() -> None:
    assert Text()(" a ") == "a"
