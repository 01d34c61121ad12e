"""File-level and cell-level errors, and the capped, counted log of row errors.

Every message is Simplified Chinese, written for a county civil servant; the technical detail (English,
for logs) goes in ``detail``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from shuangsuiji.tabular._text import column_letter, shorten


class TabularError(Exception):
    """The file cannot be imported at all (wrong type, encrypted, corrupt, no header, …).

    ``code`` is stable and machine-readable; ``message`` is what the user reads.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.row = row
        self.column = column
        self.detail = detail

    def __repr__(self) -> str:
        return f"TabularError({self.code!r}, {self.message!r}, row={self.row!r})"


class CellError(ValueError):
    """Raised by a normaliser: the value cannot be accepted. The message names neither row nor column."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row: ``row`` as Excel shows it (1-based), ``column`` the header text."""

    row: int | None
    column: str
    value: str
    message: str
    column_index: int | None = None  # 0-based; None when the problem concerns the whole row

    @property
    def column_letter(self) -> str:
        return "" if self.column_index is None else column_letter(self.column_index)

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row is not None else "文件"
        if self.column:
            where += f"“{self.column}”列"
        shown = f"（{self.value}）" if self.value else ""
        return f"{where}{shown}：{self.message}"


@dataclass
class ErrorLog:
    """Collects row errors. Keeps the first ``max_kept`` in memory but counts them all, so a file with a
    million bad rows neither exhausts memory nor hides how bad it is."""

    max_kept: int = 10_000
    items: list[RowError] = field(default_factory=list)
    count: int = 0
    rows_with_errors: int = 0
    _last_row: int | None = None

    def add(
        self,
        row: int | None,
        column: str,
        value: object,
        message: str,
        column_index: int | None = None,
    ) -> None:
        self.count += 1
        if row is None or row != self._last_row:
            self.rows_with_errors += 1
            self._last_row = row
        if len(self.items) < self.max_kept:
            self.items.append(RowError(row, column, _display(value), message, column_index))

    @property
    def truncated(self) -> bool:
        return self.count > len(self.items)

    def __bool__(self) -> bool:
        return self.count > 0

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[RowError]:
        return iter(self.items)

    def summary(self) -> str:
        if not self.count:
            return "未发现错误"
        text = f"共发现{self.count}处错误，涉及{self.rows_with_errors}行，未导入任何数据"
        if self.truncated:
            text += f"；下载的错误清单列出前{len(self.items)}处"
        return text

    def to_xlsx(self, fileobj: BinaryIO | str) -> None:
        errors_to_xlsx(self, fileobj)


def _display(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return shorten(text, 100)


ERROR_HEADERS = ("行号", "列", "列名", "单元格内容", "错误说明")


def errors_to_xlsx(errors: ErrorLog | list[RowError], fileobj: BinaryIO | str) -> None:
    """The full error list as an .xlsx the user can download, sort and filter."""
    from shuangsuiji.tabular.writing import ExportValue, write_xlsx

    items = errors.items if isinstance(errors, ErrorLog) else errors
    rows: list[list[ExportValue]] | Iterator[list[ExportValue]]
    rows = ([e.row, e.column_letter, e.column, e.value, e.message] for e in items)
    if isinstance(errors, ErrorLog):
        rows = itertools.chain(rows, [[None, "", "", "", errors.summary()]])
    write_xlsx(
        fileobj,
        ERROR_HEADERS,
        rows,
        sheet_name="错误清单",
        column_widths=(8, 6, 24, 40, 60),
    )
