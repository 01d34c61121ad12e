"""Open an uploaded table: detect its format by content, guard it, and return a lazy :class:`Table`."""

from __future__ import annotations

import os
import tempfile
from typing import BinaryIO

from shuangsuiji.tabular.csvfile import CsvTable
from shuangsuiji.tabular.errors import TabularError
from shuangsuiji.tabular.sniff import sniff_container
from shuangsuiji.tabular.table import DEFAULT_LIMITS, Limits, Table
from shuangsuiji.tabular.workbook import SheetSelector, WorkbookTable

Source = str | os.PathLike[str] | BinaryIO


def open_table(
    source: Source,
    filename: str | None = None,
    *,
    sheet: SheetSelector = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Table:
    """Open a .xlsx, .xls, .xlsb, .ods or .csv file (decided by content, not by ``filename``).

    ``source`` is a path or a binary file object (an unseekable one is spooled to a temporary file).
    ``filename`` is the name the user uploaded, used in messages. ``sheet`` picks a worksheet by name or
    0-based index; by default the first visible worksheet. Raises :class:`TabularError` with a Chinese
    message for anything that cannot be read. Use as a context manager, or call ``close()``.
    """
    path: str | None = None
    owned: BinaryIO | None = None
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        fileobj: BinaryIO = open(path, "rb")
        owned = fileobj
        filename = filename or os.path.basename(path)
    else:
        fileobj = source
        if not _seekable(fileobj):
            owned = fileobj = _spool(fileobj, limits)
    try:
        size = fileobj.seek(0, os.SEEK_END)
        if size > limits.max_file_bytes:
            raise TabularError(
                "too_large",
                f"文件大小为{_megabytes(size)}，超过上限{_megabytes(limits.max_file_bytes)}；"
                "请删除无关的工作表或列，或拆分为几个文件后分别导入",
            )
        fileobj.seek(0)
        head = fileobj.read(8192)
        fileobj.seek(0)
        container = sniff_container(head, filename)
        if container == "text":
            csv_table = CsvTable(fileobj, size, head, filename)
            csv_table.owned = owned
            return csv_table
        table = WorkbookTable(fileobj, path, container, filename=filename, sheet=sheet, limits=limits)
        if owned is not None:  # calamine holds its own copy or handle
            owned.close()
        return table
    except BaseException:
        if owned is not None:
            owned.close()
        raise


def _seekable(fileobj: BinaryIO) -> bool:
    try:
        return bool(fileobj.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _spool(fileobj: BinaryIO, limits: Limits) -> BinaryIO:
    spool = tempfile.TemporaryFile()
    copied = 0
    while chunk := fileobj.read(1 << 20):
        copied += len(chunk)
        if copied > limits.max_file_bytes:
            spool.close()
            raise TabularError("too_large", f"文件超过上限{_megabytes(limits.max_file_bytes)}")
        spool.write(chunk)
    spool.seek(0)
    return spool


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
