"""CSV: encodings detected (never asked), delimiters sniffed, rows numbered as Excel shows them."""

from __future__ import annotations

import io

import pytest

from shuangsuiji.tabular import ENTITY_SPEC, TabularError, open_table, read_records
from shuangsuiji.tabular.tests.helpers import ENTITY_HEADERS_003, csv_bytes, entity_row, read_all

RARE_NAMES = ["㐀记商行", "䶮氏餐馆", "𠮷野家", "赵𬌗", "喆㵘"]  # CJK Ext A/B/… (GB18030 4-byte in part)


def _rows(names: list[str]) -> list[list[str]]:
    rows = [ENTITY_HEADERS_003]
    for i, name in enumerate(names):
        row = entity_row(i)
        row[0] = name
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_encoding_is_detected(encoding: str, detected: str) -> None:
    names = ["偃师区老街饭店", "洛阳市偃师区某某五金（个体）", "首阳山镇农民专业合作社"]
    data = csv_bytes(_rows(names), encoding)
    with open_table(io.BytesIO(data), "名录.csv") as table:
        assert table.encoding == detected
        records = list(read_records(table, ENTITY_SPEC))
    assert [r.values["name"] for r in records] == names


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_gb18030_only_characters_and_rare_surnames_survive(encoding: str) -> None:
    data = csv_bytes(_rows(RARE_NAMES), encoding)
    records, errors = read_all(data, ENTITY_SPEC)
    assert not errors
    assert [r.values["name"] for r in records] == RARE_NAMES


def test_gbk_cannot_hold_ext_a_but_gb18030_can() -> None:
    with pytest.raises(UnicodeEncodeError):
        "㐀".encode("gbk")
    assert "㐀".encode("gb18030") == b"\x81\x39\xee\x39"


def test_ascii_header_then_gbk_is_gbk() -> None:
    rows = [["name", "uscc"], *([["x", "y"]] * 500), ["偃师区", "z"]]
    with open_table(io.BytesIO(csv_bytes(rows, "gbk")), "a.csv") as table:
        assert table.encoding == "gb18030"
        assert list(table.rows())[-1] == (502, ["偃师区", "z"])


def test_damaged_utf8_is_reported_not_reread_as_gbk() -> None:
    data = bytearray(csv_bytes(_rows(["偃师区老街饭店", "首阳山镇合作社"]), "utf-8"))
    position = data.index("首".encode())
    data[position + 1] = 0x41  # break the middle of a character on line 3
    with pytest.raises(TabularError) as caught:
        open_table(io.BytesIO(bytes(data)), "名录.csv")
    assert caught.value.code == "encoding"
    assert caught.value.message == (
        f"文件第3行（第{position + 1}个字节）有无效的 UTF-8 字节 0xE9。"
        "文件可能已损坏，或混用了不同的编码；请用 Excel 打开检查后另存为“CSV UTF-8（逗号分隔）”再导入"
    )


def test_damage_late_in_a_big_utf8_file_is_found_while_reading() -> None:
    rows = _rows([f"第{i}号商店" for i in range(20_000)])  # > 1 MiB: detection stops early
    data = bytearray(csv_bytes(rows, "utf-8"))
    data[-10] = 0xFF
    with open_table(io.BytesIO(bytes(data)), "名录.csv") as table:
        assert table.encoding == "utf-8"
        reader = read_records(table, ENTITY_SPEC)
        with pytest.raises(TabularError) as caught:
            list(reader)
    assert caught.value.code == "encoding" and caught.value.row == 20_001
    with pytest.raises(UnicodeDecodeError) as python:
        bytes(data).decode("utf-8")
    start = python.value.start  # the lead byte of the broken character
    assert caught.value.message.startswith(
        f"文件第20001行（第{start + 1}个字节）有无效的 UTF-8 字节 0x{data[start]:02X}。"
    )


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_delimiter_is_sniffed_from_the_header_line(delimiter: str) -> None:
    rows = [["检查对象名录"], *_rows(["甲商店"])]
    with open_table(io.BytesIO(csv_bytes(rows, delimiter=delimiter)), "名录.txt") as table:
        assert table.delimiter == delimiter
        records = list(read_records(table, ENTITY_SPEC))
    assert records[0].row == 3


def test_excel_sep_line_is_honoured_and_not_counted() -> None:
    data = b"sep=;\r\n" + csv_bytes(_rows(["甲商店"]), delimiter=";")
    with open_table(io.BytesIO(data), "名录.csv") as table:
        assert table.delimiter == ";"
        assert [r.row for r in read_records(table, ENTITY_SPEC)] == [2]


def test_rows_are_numbered_as_excel_shows_them_with_blank_lines_and_multiline_cells() -> None:
    rows = [ENTITY_HEADERS_003, [], entity_row(1), ["", "", "", "", "", ""], entity_row(2)]
    rows[2][3] = "商城路\n1号"  # a line break inside a quoted cell is still one Excel row
    data = csv_bytes(rows)
    records, errors = read_all(data, ENTITY_SPEC)
    assert not errors
    assert [r.row for r in records] == [3, 5]
    assert records[0].values["address"] == "商城路 1号"  # single-line text: the break becomes a space


def test_lf_only_and_cr_only_line_ends() -> None:
    for terminator in ("\n", "\r"):
        data = csv_bytes(_rows(["甲", "乙"]), lineterminator=terminator)
        records, errors = read_all(data, ENTITY_SPEC)
        assert not errors and [r.row for r in records] == [2, 3]


def test_truncation_found_while_iterating_a_long_file() -> None:
    rows = _rows([f"第{i}号商店" for i in range(100)])
    data = csv_bytes(rows) + '"偃师区未写完'.encode()
    with open_table(io.BytesIO(data), "名录.csv") as table:
        reader = read_records(table, ENTITY_SPEC)
        got = []
        with pytest.raises(TabularError) as caught:
            for record in reader:
                got.append(record)
    assert caught.value.code == "truncated" and caught.value.row == 102
    assert len(got) == 100  # the caller must roll back: the error comes last


def test_bad_quoting_is_explained() -> None:
    data = csv_bytes([ENTITY_HEADERS_003]) + b'"a"b,c,d,e,f,g\r\n'
    with pytest.raises(TabularError) as caught:
        read_all(data, ENTITY_SPEC)
    assert caught.value.code == "csv_syntax" and caught.value.row == 2


def test_unseekable_stream_is_spooled() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self._inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = csv_bytes(_rows(["甲商店"]), "gbk")
    with open_table(Pipe(data), "名录.csv") as table:  # type: ignore[arg-type]
        assert [r.values["name"] for r in read_records(table, ENTITY_SPEC)] == ["甲商店"]


def test_open_by_path_and_close(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "名录.csv"
    path.write_bytes(csv_bytes(_rows(["甲商店"]), "utf-8-sig"))
    with open_table(path) as table:
        assert table.filename == "名录.csv"
        assert len(list(read_records(table, ENTITY_SPEC))) == 1
        assert table.progress() == 1.0


def test_table_rows_can_be_read_twice() -> None:
    with open_table(io.BytesIO(csv_bytes(_rows(["甲", "乙"]))), "a.csv") as table:
        assert list(table.rows()) == list(table.rows())
