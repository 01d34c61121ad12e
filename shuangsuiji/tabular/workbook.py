"""Excel and OpenDocument workbooks, read with python-calamine after the zip guard has vetted them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, BinaryIO, Final

import python_calamine as pc

from shuangsuiji.tabular.cells import Cell, CellRange, Formula
from shuangsuiji.tabular.errors import TabularError
from shuangsuiji.tabular.sniff import CORRUPT_MESSAGE, ENCRYPTED_MESSAGE, classify_ole
from shuangsuiji.tabular.table import Limits, Table, TableFormat
from shuangsuiji.tabular.zipguard import (
    ZipReport,
    check_directory,
    classify_zip,
    open_zip,
    scan_members,
    xlsx_sheets,
)

_EXACT: Final = 1e15


def _calamine_error(exc: BaseException) -> TabularError:
    if isinstance(exc, pc.PasswordError):
        return TabularError("encrypted", ENCRYPTED_MESSAGE, detail=repr(exc))
    return TabularError("corrupt", CORRUPT_MESSAGE, detail=f"calamine: {exc!r}")


def _reraise_fatal(exc: BaseException) -> None:
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit | MemoryError):
        raise exc


SheetSelector = str | int | None


class WorkbookTable(Table):
    def __init__(
        self,
        fileobj: BinaryIO,
        path: str | None,
        container: str,
        *,
        filename: str | None,
        sheet: SheetSelector,
        limits: Limits,
    ) -> None:
        self.filename = filename
        report = ZipReport(kind="xls")
        self.unlocated_formulas = 0
        part: str | None = None
        index: int | None = None
        if container == "ole":
            classify_ole(fileobj, filename)
        else:
            zf = open_zip(fileobj, filename)
            with zf:
                check_directory(zf, limits)
                report.kind = classify_zip(fileobj, zf, filename)
                if report.kind == "xlsx":
                    report.sheets = xlsx_sheets(fileobj, zf, limits)
                    index = _choose_xlsx_sheet(report.sheets, sheet)
                    part = report.sheets[index][2]
                self.unlocated_formulas = scan_members(fileobj, zf, limits, part, report)
                if report.cells > limits.max_workbook_cells:
                    raise TabularError(
                        "too_many_cells",
                        f"工作表数据量过大（约{report.rows:,}行、{report.cells:,}个单元格，"
                        f"上限{limits.max_workbook_cells:,}个单元格）。请在 Excel 中“另存为”"
                        "“CSV UTF-8（逗号分隔）”后再导入，CSV 文件没有这个限制",
                    )
        self.format: TableFormat = report.kind
        self.formula_count = report.formula_count
        self.formulas_truncated = report.formula_count > len(report.formulas)
        self._formulas: dict[int, list[tuple[int, str]]] = {}
        for (row, col), text in report.formulas.items():
            self._formulas.setdefault(row, []).append((col, text))
        try:
            # calamine picks its reader by extension when given a path: use it only when it agrees.
            if path is not None and os.path.splitext(path)[1].lower() == f".{self.format}":
                self._book = pc.CalamineWorkbook.from_path(path)
            else:
                fileobj.seek(0)
                self._book = pc.CalamineWorkbook.from_filelike(fileobj)
            self.sheet_names = tuple(self._book.sheet_names)
            if index is None:
                index = _choose_sheet(self._book, sheet)
            self.sheet_name = self.sheet_names[index]
            self._sheet = self._book.get_sheet_by_index(index)
            merged = self._sheet.merged_cell_ranges or []
        except TabularError:
            raise
        except BaseException as exc:  # pyo3 panics derive from BaseException
            _reraise_fatal(exc)
            raise _calamine_error(exc) from None
        self.merged_ranges = tuple(CellRange(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in merged)
        end = self._sheet.end
        self._total = end[0] + 1 if end else 0
        self._done = 0

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        sheet = self._sheet
        start, end = sheet.start, sheet.end
        self._done = 0
        if start is None or end is None:
            return
        it: Iterator[list[Any]] = iter(sheet.iter_rows())
        first = next(it, None)
        if first is None:
            return
        # python-calamine 0.9 yields rows from row 1 of the sheet but cells from the first used column;
        # detect both offsets rather than trust one version's behaviour (pinned by a test).
        row_offset = start[0] if start[0] and any(v != "" for v in first) else 0
        col_offset = start[1] if len(first) != end[1] + 1 else 0
        pad: list[Cell] = [""] * col_offset
        formulas = self._formulas
        number = row_offset
        raw: list[Any] | None = first
        while raw is not None:
            number += 1
            cells: list[Cell] = [
                int(v) if type(v) is float and v.is_integer() and -_EXACT < v < _EXACT else v for v in raw
            ]
            if col_offset:
                cells = pad + cells
            if formulas and number in formulas:
                for col, text in formulas[number]:
                    if col < len(cells):
                        cached = cells[col]
                        cells[col] = Formula(
                            text, cached if not isinstance(cached, Formula) else cached.cached
                        )
            self._done = number
            yield number, cells
            raw = next(it, None)

    def progress(self) -> float:
        return min(1.0, self._done / self._total) if self._total else 1.0

    def close(self) -> None:
        try:
            self._book.close()
        except BaseException as exc:  # already closed
            _reraise_fatal(exc)


def _choose_xlsx_sheet(sheets: list[tuple[str, str, str]], selector: SheetSelector) -> int:
    if not sheets:
        raise TabularError("corrupt", CORRUPT_MESSAGE, detail="no sheets in workbook.xml")
    if isinstance(selector, int):
        if not 0 <= selector < len(sheets):
            raise TabularError("no_sheet", f"工作簿中没有第{selector + 1}个工作表")
        return selector
    if isinstance(selector, str):
        for i, (name, _state, _part) in enumerate(sheets):
            if name == selector:
                return i
        raise TabularError("no_sheet", f"工作簿中没有名为“{selector}”的工作表")
    for i, (_name, state, part) in enumerate(sheets):
        if state == "visible" and "/worksheets/" in f"/{part}":
            return i
    raise TabularError("no_sheet", "工作簿中没有可见的工作表")


def _choose_sheet(book: pc.CalamineWorkbook, selector: SheetSelector) -> int:
    names = book.sheet_names
    if isinstance(selector, int):
        if not 0 <= selector < len(names):
            raise TabularError("no_sheet", f"工作簿中没有第{selector + 1}个工作表")
        return selector
    if isinstance(selector, str):
        if selector not in names:
            raise TabularError("no_sheet", f"工作簿中没有名为“{selector}”的工作表")
        return names.index(selector)
    for i, meta in enumerate(book.sheets_metadata):
        if meta.typ == pc.SheetTypeEnum.WorkSheet and meta.visible == pc.SheetVisibleEnum.Visible:
            return i
    raise TabularError("no_sheet", "工作簿中没有可见的工作表")
