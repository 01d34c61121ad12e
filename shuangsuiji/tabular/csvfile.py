"""CSV (and Excel's tab-separated "Unicode 文本") with the encoding detected, never asked.

UTF-8 with a BOM, UTF-16 with a BOM, plain UTF-8, else GB18030 (a superset of GBK, which Excel on Chinese
Windows uses for "CSV（逗号分隔）"). A file is taken for UTF-8 when its first non-ASCII characters decode
as UTF-8 (GBK text practically never does for more than a character or two); one that starts as valid
UTF-8 and then breaks is reported as a damaged UTF-8 file, not silently re-read as GBK mojibake. Invalid
bytes are never replaced: the error names the line and the byte offset.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from shuangsuiji.tabular.cells import Cell
from shuangsuiji.tabular.errors import TabularError
from shuangsuiji.tabular.table import Table

_CHUNK: Final = 1 << 20
_DECIDE_AFTER_EXTRA_BYTES: Final = 128  # ≈ 64 CJK characters decoded as UTF-8 without error: it is UTF-8
_DAMAGED_AFTER_EXTRA_BYTES: Final = 6  # ≥ 3 CJK characters valid before the first error: damaged UTF-8
_DELIMITERS: Final = (",", "\t", ";", "|")
_SEP_LINE_RE: Final = re.compile(r"sep=(.)")
_QUOTED_RE: Final = re.compile(r'"(?:[^"]|"")*"')

ENCODING_NAMES: Final = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8（带BOM）",
    "gb18030": "GBK/GB18030",
    "utf-16": "UTF-16",
}
_RESAVE: Final = "请用 Excel 打开检查后另存为“CSV UTF-8（逗号分隔）”再导入"


@dataclass(frozen=True, slots=True)
class _Scan:
    offset: int | None  # absolute offset of the first undecodable byte
    byte: int = 0
    truncated: bool = False
    extra_bytes: int = 0  # bytes beyond one per character: how much multi-byte text decoded fine


def _scan(fileobj: BinaryIO, encoding: str, start: int, stop_after_extra: int | None) -> _Scan:
    fileobj.seek(start)
    data_start = start
    carry = b""
    extra = 0
    while True:
        chunk = fileobj.read(_CHUNK)
        last = not chunk
        data = carry + chunk
        if not data:
            return _Scan(None, extra_bytes=extra)
        try:
            text = data.decode(encoding)
            carry = b""
            extra += len(data) - len(text)
        except UnicodeDecodeError as exc:
            if not last and exc.end == len(data) and len(data) - exc.start < 4:
                carry = data[exc.start :]  # a character cut by the chunk boundary
                extra += exc.start - len(data[: exc.start].decode(encoding))
            else:
                extra += exc.start - len(data[: exc.start].decode(encoding, "replace"))
                truncated = last and exc.end == len(data) and len(data) - exc.start < 4
                return _Scan(data_start + exc.start, data[exc.start], truncated, extra)
        if last:
            return _Scan(None, extra_bytes=extra)
        if stop_after_extra is not None and extra >= stop_after_extra:
            return _Scan(None, extra_bytes=extra)
        data_start += len(data) - len(carry)


def _line_of(fileobj: BinaryIO, offset: int, encoding: str) -> int:
    """1-based line number of a byte offset."""
    fileobj.seek(0)
    lines = 1
    remaining = offset
    decoder = codecs.getincrementaldecoder(encoding)("replace") if encoding == "utf-16" else None
    while remaining > 0:
        chunk = fileobj.read(min(_CHUNK, remaining))
        if not chunk:
            break
        remaining -= len(chunk)
        lines += decoder.decode(chunk).count("\n") if decoder else chunk.count(b"\n")
    return lines


def _encoding_error(fileobj: BinaryIO, scan: _Scan, encoding: str) -> TabularError:
    if not (scan.offset is not None):
        raise RuntimeError("internal invariant broken: scan.offset is not None")
    line = _line_of(fileobj, scan.offset, encoding)
    detail = f"{encoding} decode error at byte {scan.offset}"
    if scan.truncated:
        return TabularError(
            "truncated",
            f"文件在末尾被截断（第{line}行最后一个字符不完整），可能没有完整导出或上传；请重新导出后再导入",
            row=line,
            detail=detail,
        )
    name = ENCODING_NAMES.get(encoding, encoding)
    if encoding == "gb18030":
        what = f"有无法识别的字节 0x{scan.byte:02X}：按 {name} 编码读取失败"
    else:
        what = f"有无效的 {name} 字节 0x{scan.byte:02X}"
    return TabularError(
        "encoding",
        f"文件第{line}行（第{scan.offset + 1}个字节）{what}。文件可能已损坏，或混用了不同的编码；{_RESAVE}",
        row=line,
        detail=detail,
    )


def detect_encoding(fileobj: BinaryIO, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    scan = _scan(fileobj, "utf-8", 0, _DECIDE_AFTER_EXTRA_BYTES)
    if scan.offset is None:
        return "utf-8"
    if scan.extra_bytes >= _DAMAGED_AFTER_EXTRA_BYTES or scan.truncated:
        raise _encoding_error(fileobj, scan, "utf-8")
    return "gb18030"


def sniff_delimiter(head: bytes, encoding: str) -> tuple[str, bool]:
    """The delimiter (from the line with the most of them: the header, not a title) and whether the
    first line is Excel's ``sep=X`` hint."""
    text = head.decode(encoding, "replace").lstrip("\ufeff")
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    if lines and (m := _SEP_LINE_RE.fullmatch(lines[0].strip())):
        return m[1], True
    lines = [_QUOTED_RE.sub("", line) for line in lines]  # a delimiter inside quotes is data
    best, best_count = ",", 0
    for delimiter in _DELIMITERS:
        count = max((line.count(delimiter) for line in lines), default=0)
        if count > best_count:
            best, best_count = delimiter, count
    return best, False


class CsvTable(Table):
    format = "csv"
    text_formulas = True

    def __init__(self, fileobj: BinaryIO, size: int, head: bytes, filename: str | None) -> None:
        self.filename = filename
        self._raw = fileobj
        self._size = size
        self.encoding = detect_encoding(fileobj, head)
        self.delimiter, self._sep_line = sniff_delimiter(head, self.encoding)
        self.owned: BinaryIO | None = None  # the file to close with the table, if we opened it

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        raw = self._raw
        raw.seek(0)
        if not (self.encoding is not None and self.delimiter is not None):
            raise RuntimeError(
                "internal invariant broken: self.encoding is not None and self.delimiter is not None"
            )
        wrapper = io.TextIOWrapper(raw, encoding=self.encoding, errors="strict", newline="")
        number = 0
        try:
            reader = csv.reader(wrapper, delimiter=self.delimiter, strict=True)
            if self._sep_line:
                next(reader, None)
            for row in reader:
                number += 1
                yield number, row  # type: ignore[misc]
        except UnicodeDecodeError:
            start = 3 if self.encoding == "utf-8-sig" else 0
            encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
            scan = _scan(raw, encoding, start, None)
            if scan.offset is None:  # cannot happen; keep a sane message anyway
                raise TabularError("encoding", f"文件编码错误。{_RESAVE}") from None
            raise _encoding_error(raw, scan, encoding) from None
        except csv.Error as exc:
            raise _csv_error(exc, number + 1) from None
        finally:
            try:
                wrapper.detach()  # leave the caller's file open
            except ValueError:  # the file was closed before this generator was finished
                pass

    def progress(self) -> float:
        try:
            return min(1.0, self._raw.tell() / self._size) if self._size else 1.0
        except (OSError, ValueError):
            return 0.0

    def close(self) -> None:
        if self.owned is not None:
            self.owned.close()


def _csv_error(exc: csv.Error, row: int) -> TabularError:
    text = str(exc)
    if "unexpected end of data" in text:
        return TabularError(
            "truncated",
            f"文件在第{row}行意外结束：有一个引号没有闭合。文件可能不完整（导出或上传中断），"
            "或该行某个单元格里的引号不成对；请检查后重新导出再导入",
            row=row,
            detail=text,
        )
    if "field larger than field limit" in text:
        return TabularError(
            "cell_too_large",
            f"第{row}行有单元格超过{csv.field_size_limit()}个字符，文件可能已损坏（例如引号没有配对）；请检查该行",
            row=row,
            detail=text,
        )
    return TabularError(
        "csv_syntax",
        f"第{row}行格式错误（引号使用不规范）：带引号的单元格中，引号要成对出现。{_RESAVE}",
        row=row,
        detail=text,
    )
