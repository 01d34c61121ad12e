"""The values a table yields: plain cell values, formula cells and merged ranges."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from shuangsuiji.tabular._text import column_letter

CellValue = str | int | float | bool | datetime.date | datetime.datetime | datetime.time | datetime.timedelta


@dataclass(frozen=True, slots=True)
class Formula:
    """A workbook cell holding a formula. ``text`` is the formula (without "="; empty for the followers of
    a shared formula), ``cached`` the value Excel last computed — which may be stale, or missing when a
    program other than Excel wrote the file. The importer refuses formulas by default."""

    text: str
    cached: CellValue

    def __str__(self) -> str:
        return f"={self.text}" if self.text else "（公式）"


Cell = CellValue | Formula


@dataclass(frozen=True, slots=True)
class CellRange:
    """A rectangle of cells, rows and columns 1-based as Excel shows them."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def ref(self) -> str:
        start = f"{column_letter(self.first_col - 1)}{self.first_row}"
        end = f"{column_letter(self.last_col - 1)}{self.last_row}"
        return start if start == end else f"{start}:{end}"

    def __str__(self) -> str:
        return self.ref
