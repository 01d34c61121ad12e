"""Exports: .xlsx (streaming, openpyxl write-only) and UTF-8-with-BOM .csv with CRLF for Excel.

Every text cell beginning with =, +, -, @, TAB or CR is neutralised with a leading apostrophe (OWASP
CSV injection), and so is text that already begins with an apostrophe followed by one of those or by
another apostrophe — which makes the prefix unambiguous: the importer removes exactly one, so any text
survives export → import unchanged. Characters XML cannot carry (C0 controls) are dropped.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from shuangsuiji.tabular._text import FORMULA_TRIGGERS, UNQUOTE_AFTER_APOSTROPHE, XML_ILLEGAL_RE

ExportValue = str | int | float | bool | Decimal | datetime.date | datetime.datetime | None
Destination = str | os.PathLike[str] | IO[bytes]

EXCEL_MAX_ROWS: Final = 1_048_576
EXCEL_MAX_CELL_CHARS: Final = 32_767
HEADER_FONT: Final = Font(bold=True)
HEADER_FILL: Final = PatternFill("solid", fgColor="DDEBF7")


def neutralize(text: str) -> str:
    """Make text safe to open in a spreadsheet program (see the module docstring)."""
    if not text.isprintable():
        text = XML_ILLEGAL_RE.sub("", text)
    if text and (
        text[0] in FORMULA_TRIGGERS
        or (text[0] == "'" and len(text) > 1 and text[1] in UNQUOTE_AFTER_APOSTROPHE)
    ):
        return "'" + text
    return text


def _csv_cell(value: ExportValue) -> str | int | float | Decimal:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralize(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        return value.isoformat(" ", "seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def csv_chunks(
    headers: Sequence[str], rows: Iterable[Sequence[ExportValue]], *, chunk_size: int = 64 * 1024
) -> Iterator[bytes]:
    """The CSV as byte chunks (for a streaming HTTP response): BOM, header, rows, CRLF line ends."""
    buffer = io.StringIO()
    # Every text cell is quoted: a tab or semicolon inside one can then never be taken for the delimiter.
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    buffer.write("\ufeff")
    writer.writerow([neutralize(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def write_csv(
    destination: Destination, headers: Sequence[str], rows: Iterable[Sequence[ExportValue]]
) -> None:
    if isinstance(destination, str | os.PathLike):
        with open(destination, "wb") as fileobj:
            for chunk in csv_chunks(headers, rows):
                fileobj.write(chunk)
        return
    for chunk in csv_chunks(headers, rows):
        destination.write(chunk)


def _xlsx_cells(ws: Any, row: Sequence[ExportValue], date_style: dict[str, Any]) -> list[Any]:
    cells: list[Any] = []
    for value in row:
        if isinstance(value, str):
            text = neutralize(value)
            if len(text) > EXCEL_MAX_CELL_CHARS:
                text = text[: EXCEL_MAX_CELL_CHARS - 1] + "…"
            cells.append(text)
        elif isinstance(value, bool):
            cells.append("是" if value else "否")
        elif isinstance(value, datetime.date):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = date_style["datetime" if isinstance(value, datetime.datetime) else "date"]
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def write_xlsx(
    destination: Destination,
    headers: Sequence[str],
    rows: Iterable[Sequence[ExportValue]],
    *,
    sheet_name: str = "Sheet1",
    column_widths: Sequence[int] | None = None,
    date_format: str = "yyyy-mm-dd",
    datetime_format: str = "yyyy-mm-dd hh:mm:ss",
) -> None:
    """Stream rows into an .xlsx with a bold, frozen header row. Past Excel's 1,048,576 rows the export
    continues on a second sheet ("Sheet1 (2)")."""
    wb = Workbook(write_only=True)
    date_style = {"date": date_format, "datetime": datetime_format}
    part = 1

    def new_sheet() -> Any:
        title = sheet_name[:31] if part == 1 else f"{sheet_name[:26]} ({part})"
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        widths = column_widths or [max(10, min(40, display_width(h) + 4)) for h in headers]
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        header_cells = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=neutralize(h))
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            header_cells.append(cell)
        ws.append(header_cells)
        return ws

    ws = new_sheet()
    written = 1
    for row in rows:
        if written >= EXCEL_MAX_ROWS:
            part += 1
            ws = new_sheet()
            written = 1
        ws.append(_xlsx_cells(ws, row, date_style))
        written += 1
    wb.save(destination)


def display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
