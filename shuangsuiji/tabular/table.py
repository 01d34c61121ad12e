"""The table abstraction every reader returns, and the limits that keep hostile files harmless."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

from shuangsuiji.tabular.cells import Cell, CellRange

TableFormat = Literal["csv", "xlsx", "xls", "xlsb", "ods"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Upload and decompression limits. ``max_file_bytes`` mirrors the upload limit (default 200 MB)."""

    max_file_bytes: int = 200 * 1024 * 1024
    # Zip (xlsx/xlsb/ods) guards against decompression bombs.
    max_uncompressed_bytes: int = 2 * 1024 * 1024 * 1024
    max_compression_ratio: int = 200
    ratio_applies_above_bytes: int = 1024 * 1024
    max_zip_members: int = 10_000
    # Formula cells remembered to report them at their row; more than this and the file is refused.
    max_formula_cells: int = 10_000
    # calamine holds a whole sheet in memory (≈ 100 bytes a cell): 5 million cells ≈ 500 MB. Bigger
    # .xlsx sheets are refused before loading, with the advice to save them as CSV (streamed).
    max_workbook_cells: int = 5_000_000


DEFAULT_LIMITS = Limits()


class Table:
    """A sheet or CSV file, read lazily. ``rows()`` yields ``(row_number, cells)`` with the row number as
    Excel shows it (1-based, blank rows counted); it may be called again for a second pass.

    Cells are raw: ``str`` for CSV; for workbooks also ``int`` (whole numbers), ``float``, ``bool``,
    ``datetime.date``/``datetime``/``time``/``timedelta`` and :class:`Formula` for formula cells. A CSV
    cell beginning with "=" is a formula Excel would evaluate (``text_formulas``); the record reader
    interprets that and the apostrophe our exporter adds in front of formula-like text.
    """

    format: TableFormat
    filename: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet_name: str | None = None
    sheet_names: tuple[str, ...] = ()
    merged_ranges: tuple[CellRange, ...] = ()
    text_formulas: bool = False

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        raise NotImplementedError

    def progress(self) -> float:
        """How far the current pass has got, 0.0–1.0 (for a progress bar)."""
        return 0.0

    def close(self) -> None:
        """Release the file (only if the table opened it) and the parsed sheet."""

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
