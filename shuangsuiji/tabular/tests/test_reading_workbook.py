"""xlsx and xls: typed cells, title rows, offsets, sheet choice, formulas, zip bombs, XML entities."""

from __future__ import annotations

import datetime
import io
import struct
import zipfile
from typing import Any

import pytest

from shuangsuiji.tabular import (
    ENTITY_SPEC,
    INSPECTOR_SPEC,
    Formula,
    Limits,
    TabularError,
    open_table,
    read_records,
)
from shuangsuiji.tabular.tests.helpers import (
    ENTITY_HEADERS_003,
    entity_row,
    errors_of,
    read_all,
    rewrite_zip,
    xlsx_bytes,
)
from shuangsuiji.tabular.tests.oldformats import biff8

INSPECTOR_HEADERS = ["姓名", "性别", "单位", "执法证号", "执法工作年限"]


def test_numbers_come_back_as_ints_and_dates_as_dates() -> None:
    rows: list[list[Any]] = [
        ["a", "b", "c", "d", "e", "f"],
        [41001, 41001.0, 1.5, datetime.date(2025, 3, 1), True, 914101001234567890],
    ]
    with open_table(io.BytesIO(xlsx_bytes(rows)), "x.xlsx") as table:
        cells = list(table.rows())[1][1]
    assert cells[:5] == [41001, 41001, 1.5, datetime.date(2025, 3, 1), True]
    assert type(cells[0]) is int and type(cells[1]) is int
    assert isinstance(cells[5], float)  # beyond 15 digits Excel has already lost precision


def test_certificate_number_stored_as_number_imports_without_decimal() -> None:
    rows: list[list[Any]] = [INSPECTOR_HEADERS, ["李四", "男", "偃师区消防救援大队", 41001, 5.0]]
    records, errors = read_all(xlsx_bytes(rows), INSPECTOR_SPEC, "人员.xlsx")
    assert not errors
    assert records[0].values["cert_no"] == "41001" and records[0].values["years_of_service"] == 5


def test_uscc_stored_as_number_explains_the_lost_digits() -> None:
    row: list[object] = list(entity_row(1))
    row[1] = 914101001234567890
    _, errors = read_all(xlsx_bytes([ENTITY_HEADERS_003, row]), ENTITY_SPEC, "名录.xlsx")
    assert errors_of(errors) == [
        (
            2,
            "统一社会信用代码（注册号）",
            "统一社会信用代码被 Excel 存成了数字（显示为9.14101e+17），第15位以后的数字已经丢失；"
            "请把该列设置为“文本”格式，重新填写后再导入",
        )
    ]


def test_registration_number_stored_as_number_is_exact() -> None:
    row: list[object] = list(entity_row(1))
    row[1] = 410381600012345
    records, errors = read_all(xlsx_bytes([ENTITY_HEADERS_003, row]), ENTITY_SPEC, "名录.xlsx")
    assert not errors
    assert records[0].values["code"] == "410381600012345"
    assert (records[0].values["uscc"], records[0].values["reg_no"]) == (None, "410381600012345")


def test_date_cells_and_excel_serials_in_a_date_column() -> None:
    header = [*ENTITY_HEADERS_003, "成立日期"]
    rows: list[list[Any]] = [
        header,
        [*entity_row(1), datetime.date(2020, 5, 18)],
        [*entity_row(2), 45717],
        [*entity_row(3), "2025年3月1日"],
    ]
    records, errors = read_all(xlsx_bytes(rows), ENTITY_SPEC, "名录.xlsx")
    assert not errors
    assert [r.values["established_on"] for r in records] == [
        datetime.date(2020, 5, 18),
        datetime.date(2025, 3, 1),
        datetime.date(2025, 3, 1),
    ]


def test_data_starting_at_c4_keeps_excel_row_numbers_and_columns() -> None:
    # Pins python-calamine's iter_rows offsets (rows from the sheet's first row, cells from the first
    # used column): the reader must undo both.
    rows = [["检查对象名录"], [], ENTITY_HEADERS_003, entity_row(1)]
    rows[3][2] = ""
    data = xlsx_bytes(rows, start="C4")
    with open_table(io.BytesIO(data), "名录.xlsx") as table:
        raw = list(table.rows())
        assert raw[0][0] == 1 and raw[3][0] == 4 and raw[3][1][:3] == ["", "", "检查对象名录"]
        assert raw[5][1][2:] == ENTITY_HEADERS_003
    _, errors = read_all(data, ENTITY_SPEC, "名录.xlsx")
    assert [(e.row, e.column, e.column_letter) for e in errors] == [(7, "法定代表人", "E")]


def test_first_visible_sheet_is_read_and_others_can_be_chosen() -> None:
    def hidden_first(wb: object) -> None:
        hidden = wb.create_sheet("说明", 0)  # type: ignore[attr-defined]
        hidden["A1"] = "说明文字"
        hidden.sheet_state = "hidden"

    data = xlsx_bytes([ENTITY_HEADERS_003, entity_row(1)], sheet_title="名录", before=hidden_first)
    with open_table(io.BytesIO(data), "x.xlsx") as table:
        assert table.sheet_name == "名录" and table.sheet_names == ("说明", "名录")
    with open_table(io.BytesIO(data), "x.xlsx", sheet="说明") as table:
        assert list(table.rows()) == [(1, ["说明文字"])]
    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(data), "x.xlsx", sheet="不存在")
    assert caught.value.message == "工作簿中没有名为“不存在”的工作表"


def test_shared_formula_followers_are_found_too() -> None:
    rows = [ENTITY_HEADERS_003, entity_row(1), entity_row(2)]
    rows[1][2] = "=A2"
    rows[2][2] = "=A3"

    def share(name: str, xml: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return xml
        xml = xml.replace(b"<f>A2</f>", b'<f t="shared" ref="C2:C3" si="0">A2</f>', 1)
        return xml.replace(b"<f>A3</f>", b'<f t="shared" si="0"/>', 1)

    data = rewrite_zip(xlsx_bytes(rows), share)
    with open_table(io.BytesIO(data), "x.xlsx") as table:
        cells = {n: c for n, c in table.rows()}
    assert cells[2][2] == Formula("A2", "") and cells[3][2] == Formula("", "")
    _, errors = read_all(data, ENTITY_SPEC, "x.xlsx")
    assert [(e.row, e.column, e.value) for e in errors] == [
        (2, "法定代表人", "=A2"),
        (3, "法定代表人", "（公式）"),
    ]


def test_formulas_outside_the_imported_columns_do_not_matter() -> None:
    rows = [[*ENTITY_HEADERS_003, "合计"], [*entity_row(1), "=1+1"]]
    records, errors = read_all(xlsx_bytes(rows), ENTITY_SPEC, "x.xlsx")
    assert not errors and len(records) == 1


def _without_declaration(xml: bytes) -> bytes:
    return xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml


def test_xml_entity_declarations_are_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'

    def inject(name: str, xml: bytes) -> bytes:
        return bomb + _without_declaration(xml) if name == "xl/styles.xml" else xml

    data = rewrite_zip(xlsx_bytes([ENTITY_HEADERS_003, entity_row(1)]), inject)
    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(data), "x.xlsx")
    assert caught.value.code == "xml_entities"
    assert caught.value.message == (
        "文件中含有不安全的 XML 声明（DOCTYPE/ENTITY），不是 Excel 正常保存的文件，已拒绝读取。"
        "请在 Excel 中打开后另存为 .xlsx 再导入"
    )


def test_doctype_in_workbook_xml_is_refused_before_parsing() -> None:
    def inject(name: str, xml: bytes) -> bytes:
        if name != "xl/workbook.xml":
            return xml
        return b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd">' + _without_declaration(xml)

    data = rewrite_zip(xlsx_bytes([ENTITY_HEADERS_003]), inject)
    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(data), "x.xlsx")
    assert caught.value.code == "xml_entities"


BOMB_MESSAGE = "文件解压后过大或压缩比异常（疑似“压缩炸弹”），为保护系统已拒绝读取。请确认文件来源，或另存为新的 .xlsx 后再导入"


def test_zip_bomb_ratio_is_refused() -> None:
    data = rewrite_zip(
        xlsx_bytes([ENTITY_HEADERS_003]), lambda n, x: x, add={"xl/media/image1.bin": b"\0" * (8 << 20)}
    )
    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(data), "x.xlsx")
    assert (caught.value.code, caught.value.message) == ("zip_bomb", BOMB_MESSAGE)


def test_total_uncompressed_size_is_bounded() -> None:
    data = xlsx_bytes([ENTITY_HEADERS_003, entity_row(1)])
    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(data), "x.xlsx", limits=Limits(max_uncompressed_bytes=1000))
    assert caught.value.code == "zip_bomb"


def test_too_many_members_is_refused() -> None:
    data = xlsx_bytes([ENTITY_HEADERS_003, entity_row(1)])
    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(data), "x.xlsx", limits=Limits(max_zip_members=3))
    assert caught.value.code == "zip_bomb"


def _lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """Patch both the local and the central header of ``member`` to declare ``declared`` bytes."""
    blob = bytearray(data)
    name = member.encode()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    local = info.header_offset
    struct.pack_into("<I", blob, local + 22, declared)
    central = blob.index(
        b"PK\x01\x02" + blob[blob.index(b"PK\x01\x02") + 4 : blob.index(b"PK\x01\x02") + 4][:0]
    )
    while True:
        central = blob.index(b"PK\x01\x02", central)
        name_len = struct.unpack_from("<H", blob, central + 28)[0]
        if bytes(blob[central + 46 : central + 46 + name_len]) == name:
            struct.pack_into("<I", blob, central + 24, declared)
            return bytes(blob)
        central += 4


def test_member_larger_than_declared_is_refused() -> None:
    data = rewrite_zip(
        xlsx_bytes([ENTITY_HEADERS_003]), lambda n, x: x, add={"xl/media/a.bin": b"\0" * 300_000}
    )
    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(_lie_about_size(data, "xl/media/a.bin", 1000)), "x.xlsx")
    assert caught.value.code == "zip_bomb"


def test_xls_is_read_with_merged_title_and_rare_characters() -> None:
    rows: list[list[Any]] = [["检查对象名录"], ENTITY_HEADERS_003, entity_row(1), entity_row(2)]
    rows[2][0] = "𠮷野家（偃师店）"
    rows[3][1] = 410381600012345  # a registration number stored as a number
    data = biff8(rows, merged=[(0, 0, 0, 5)])
    with open_table(io.BytesIO(data), "名录.xls") as table:
        assert table.format == "xls"
        assert [r.ref for r in table.merged_ranges] == ["A1:F1"]
        records = list(read_records(table, ENTITY_SPEC))
    assert [r.row for r in records] == [3, 4]
    assert records[0].values["name"] == "𠮷野家（偃师店）"
    assert records[1].values["code"] == "410381600012345"


def test_word_97_document_is_not_a_workbook() -> None:
    from shuangsuiji.tabular.tests.oldformats import cfb

    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(cfb({"WordDocument": b"\0" * 100})), "x.xls")
    assert (
        caught.value.message
        == "文件扩展名是 .xls，但文件内容是 Word 文档（.doc），不是表格。请上传 Excel 工作簿（.xlsx、.xls）或 CSV 文件"
    )


def test_progress_reaches_one() -> None:
    data = xlsx_bytes([ENTITY_HEADERS_003] + [entity_row(i) for i in range(50)])
    with open_table(io.BytesIO(data), "x.xlsx") as table:
        reader = read_records(table, ENTITY_SPEC)
        assert 0 <= reader.progress() < 1
        assert len(list(reader)) == 50
        assert reader.progress() == 1.0


def test_open_xlsx_by_path_with_wrong_extension(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "名录.xls"  # really an xlsx
    path.write_bytes(xlsx_bytes([ENTITY_HEADERS_003, entity_row(1)]))
    with open_table(path) as table:
        assert table.format == "xlsx" and len(list(read_records(table, ENTITY_SPEC))) == 1


def test_ods_from_wps_or_libreoffice() -> None:
    from shuangsuiji.tabular.tests.helpers import ods_bytes

    rows: list[list[Any]] = [ENTITY_HEADERS_003, entity_row(1)]
    records, errors = read_all(ods_bytes(rows), ENTITY_SPEC, "名录.ods")
    assert not errors and records[0].values["name"] == entity_row(1)[0]


def test_huge_xlsx_sheet_is_refused_before_loading_with_csv_advice() -> None:
    data = xlsx_bytes([ENTITY_HEADERS_003] + [entity_row(i) for i in range(20)])
    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(data), "x.xlsx", limits=Limits(max_workbook_cells=100))
    assert caught.value.code == "too_many_cells"
    assert caught.value.message == (
        "工作表数据量过大（约21行、126个单元格，上限100个单元格）。"
        "请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”后再导入，CSV 文件没有这个限制"
    )
