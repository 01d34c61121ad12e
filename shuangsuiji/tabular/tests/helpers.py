"""Builders for test files: CSV bytes in any encoding, xlsx via openpyxl, valid USCCs."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

from openpyxl import Workbook
from stdnum.cn import uscc as stdnum_uscc

from shuangsuiji.tabular import ErrorLog, Record, TableSpec, open_table, read_records

ENTITY_HEADERS_003 = ["单位名称", "统一社会信用代码（注册号）", "法定代表人", "住所", "登记机关", "管辖单位"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(rng: random.Random | None = None, prefix: str = "91410381") -> str:
    rng = rng or random.Random(1)
    base = prefix + "".join(rng.choice(USCC_ALPHABET) for _ in range(17 - len(prefix)))
    return base + stdnum_uscc.calc_check_digit(base)


def entity_row(i: int, rng: random.Random | None = None) -> list[str]:
    rng = rng or random.Random(i)
    return [
        f"偃师区第{i}号商店",
        make_uscc(rng),
        "张三",
        f"商城路{i}号",
        "偃师区市场监督管理局",
        "城关市场监管所",
    ]


def csv_bytes(
    rows: Sequence[Sequence[Any]],
    encoding: str = "utf-8",
    delimiter: str = ",",
    lineterminator: str = "\r\n",
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(
    rows: Sequence[Sequence[Any]],
    *,
    start: str = "A1",
    merged: Sequence[str] = (),
    sheet_title: str = "Sheet1",
    before: Callable[[Workbook], None] | None = None,
    after: Callable[[Any], None] | None = None,
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if before is not None:
        before(wb)
    ws.title = sheet_title
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    col_letter, first_row = coordinate_from_string(start)
    first_col = column_index_from_string(col_letter)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.cell(row=first_row + r, column=first_col + c, value=value)
    for ref in merged:
        ws.merge_cells(ref)
    if after is not None:
        after(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rewrite_zip(
    data: bytes, change: Callable[[str, bytes], bytes | None], add: dict[str, bytes] | None = None
) -> bytes:
    """Copy a zip, transforming (or, returning None, dropping) members, and adding others."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = change(info.filename, src.read(info))
            if content is not None:
                dst.writestr(info.filename, content)
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def read_all(
    data: bytes, spec: TableSpec, filename: str = "upload.csv", **kwargs: Any
) -> tuple[list[Record], ErrorLog]:
    with open_table(io.BytesIO(data), filename) as table:
        reader = read_records(table, spec, **kwargs)
        records = list(reader)
        return records, reader.errors


def errors_of(errors: ErrorLog) -> list[tuple[int | None, str, str]]:
    return [(e.row, e.column, e.message) for e in errors]


def ods_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    """A minimal OpenDocument spreadsheet (what WPS or LibreOffice would save)."""

    def cell(value: Any) -> str:
        if isinstance(value, str):
            return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'

    body = "".join(f"<table:table-row>{''.join(cell(v) for v in row)}</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Sheet1">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
        )
    return out.getvalue()
