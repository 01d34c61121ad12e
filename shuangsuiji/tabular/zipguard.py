"""Open an xlsx/xlsb/ods zip safely before calamine sees it, and find the formula cells of a sheet.

Every member is decompressed once here, by us, with hard caps: the declared sizes are checked against
the real ones (a lying header cannot smuggle a bomb past the size limit), the total and the per-member
compression ratio are bounded, and XML parts declaring a DOCTYPE or ENTITY are refused outright (calamine's
quick-xml does not expand entities, but such a part has no business in a workbook).
"""

from __future__ import annotations

import html
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Final

from shuangsuiji.tabular.errors import TabularError
from shuangsuiji.tabular.sniff import CORRUPT_MESSAGE, ENCRYPTED_MESSAGE, UPLOAD_HINT, extension_note
from shuangsuiji.tabular.table import Limits, TableFormat

_CHUNK: Final = 1 << 20
_XML_SUFFIXES: Final = (".xml", ".rels", ".vml")
_DTD_RE: Final = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_ROOT_TAG_RE: Final = re.compile(rb"<[A-Za-z_]")


def _declares_dtd(first_chunk: bytes) -> bool:
    """Whether the XML prolog (everything before the root element) declares a DOCTYPE or an ENTITY."""
    root = _ROOT_TAG_RE.search(first_chunk)
    return _DTD_RE.search(first_chunk, 0, root.start() if root else len(first_chunk)) is not None


_BOMB_MESSAGE: Final = "文件解压后过大或压缩比异常（疑似“压缩炸弹”），为保护系统已拒绝读取。请确认文件来源，或另存为新的 .xlsx 后再导入"


@dataclass
class ZipReport:
    kind: TableFormat  # "xlsx" | "xlsb" | "ods" (or "xls" before classification)
    sheets: list[tuple[str, str, str]] = field(default_factory=list)  # (name, state, part path); xlsx only
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row 1-based, col 0-based) → text
    formula_count: int = 0
    rows: int = 0  # <row> elements in the sheet (approximate at chunk boundaries)
    cells: int = 0  # <c> elements in the sheet


def open_zip(fileobj: BinaryIO, filename: str | None) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise TabularError("corrupt", CORRUPT_MESSAGE, detail=f"zip: {exc!r}") from None


def classify_zip(fileobj: BinaryIO, zf: zipfile.ZipFile, filename: str | None) -> TableFormat:
    """Which spreadsheet the zip is (call after :func:`check_directory`), or raise for other zips."""
    names = set(zf.namelist())
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    note = extension_note(filename)
    if "mimetype" in names:
        mimetype = b"".join(iter_member(fileobj, zf.getinfo("mimetype"), 1024))
        if mimetype.strip() == b"application/vnd.oasis.opendocument.spreadsheet":
            return "ods"
        raise TabularError(
            "wrong_type", f"{note}文件内容是 OpenDocument 文字或演示文档，不是表格。{UPLOAD_HINT}"
        )
    if "word/document.xml" in names:
        raise TabularError("wrong_type", f"{note}文件内容是 Word 文档（.docx），不是表格。{UPLOAD_HINT}")
    if "ppt/presentation.xml" in names:
        raise TabularError("wrong_type", f"{note}文件内容是 PowerPoint 演示文稿，不是表格。{UPLOAD_HINT}")
    if any(n.startswith("xl/") for n in names):
        raise TabularError("corrupt", CORRUPT_MESSAGE, detail="xl/ without xl/workbook.xml")
    raise TabularError("wrong_type", f"{note}文件内容是一个压缩包（.zip），不是 Excel 表格。{UPLOAD_HINT}")


def check_directory(zf: zipfile.ZipFile, limits: Limits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_zip_members:
        raise TabularError("zip_bomb", _BOMB_MESSAGE, detail=f"{len(infos)} members")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise TabularError("encrypted", ENCRYPTED_MESSAGE, detail=f"zip-encrypted member {info.filename}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise TabularError("corrupt", CORRUPT_MESSAGE, detail=f"compression {info.compress_type}")
        total += info.file_size
        if (
            info.file_size > limits.ratio_applies_above_bytes
            and info.file_size > max(info.compress_size, 1) * limits.max_compression_ratio
        ):
            raise TabularError("zip_bomb", _BOMB_MESSAGE, detail=f"ratio {info.filename}")
    if total > limits.max_uncompressed_bytes:
        raise TabularError("zip_bomb", _BOMB_MESSAGE, detail=f"total {total}")


def iter_member(fileobj: BinaryIO, info: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    """Decompress one member ourselves, refusing to produce more than its declared size (or ``limit``)."""
    fileobj.seek(info.header_offset)
    header = fileobj.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise TabularError("corrupt", CORRUPT_MESSAGE, detail=f"local header {info.filename}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fileobj.seek(info.header_offset + 30 + name_len + extra_len)
    remaining = info.compress_size
    produced = 0
    cap = min(info.file_size, limit)
    decomp = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    crc = 0
    while remaining > 0:
        raw = fileobj.read(min(_CHUNK, remaining))
        if not raw:
            raise TabularError("corrupt", CORRUPT_MESSAGE, detail=f"truncated member {info.filename}")
        remaining -= len(raw)
        if decomp is None:
            out = raw
        else:
            try:
                out = decomp.decompress(raw, cap - produced + 1)
            except zlib.error as exc:
                raise TabularError("corrupt", CORRUPT_MESSAGE, detail=f"{info.filename}: {exc}") from None
            if decomp.unconsumed_tail:
                raise TabularError("zip_bomb", _BOMB_MESSAGE, detail=f"{info.filename} larger than declared")
        produced += len(out)
        if produced > cap:
            raise TabularError("zip_bomb", _BOMB_MESSAGE, detail=f"{info.filename} larger than declared")
        crc = zlib.crc32(out, crc)
        if out:
            yield out
    if decomp is not None:
        out = decomp.flush()
        produced += len(out)
        crc = zlib.crc32(out, crc)
        if out:
            yield out
    if produced != info.file_size or crc != info.CRC:
        raise TabularError("corrupt", CORRUPT_MESSAGE, detail=f"{info.filename}: size/CRC mismatch")


def read_member(fileobj: BinaryIO, zf: zipfile.ZipFile, name: str, limits: Limits) -> bytes:
    data = b"".join(iter_member(fileobj, zf.getinfo(name), limits.max_uncompressed_bytes))
    if _declares_dtd(data):
        raise _dtd_error(name)
    return data


def _dtd_error(name: str) -> TabularError:
    return TabularError(
        "xml_entities",
        "文件中含有不安全的 XML 声明（DOCTYPE/ENTITY），不是 Excel 正常保存的文件，已拒绝读取。请在 Excel 中打开后另存为 .xlsx 再导入",
        detail=name,
    )


_SHEET_TAG_RE: Final = re.compile(rb"<(?:[\w.-]+:)?sheet\b([^>]*)/?>")
_REL_TAG_RE: Final = re.compile(rb"<(?:[\w.-]+:)?Relationship\b([^>]*)/?>")
_ATTR_RE: Final = re.compile(rb"([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _attrs(blob: bytes) -> dict[str, str]:
    result: dict[str, str] = {}
    for m in _ATTR_RE.finditer(blob):
        key = m[1].decode("utf-8", "replace")
        value = (m[2] if m[2] is not None else m[3]).decode("utf-8", "replace")
        result[key.rsplit(":", 1)[-1]] = html.unescape(value)
    return result


def xlsx_sheets(fileobj: BinaryIO, zf: zipfile.ZipFile, limits: Limits) -> list[tuple[str, str, str]]:
    """(name, state, part path) of each sheet in workbook order (calamine's order)."""
    workbook = read_member(fileobj, zf, "xl/workbook.xml", limits)
    rels_name = "xl/_rels/workbook.xml.rels"
    targets: dict[str, str] = {}
    if rels_name in zf.namelist():
        for m in _REL_TAG_RE.finditer(read_member(fileobj, zf, rels_name, limits)):
            a = _attrs(m[1])
            target = a.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            targets[a.get("Id", "")] = path
    sheets = []
    for m in _SHEET_TAG_RE.finditer(workbook):
        a = _attrs(m[1])
        sheets.append((a.get("name", ""), a.get("state", "visible"), targets.get(a.get("id", ""), "")))
    return sheets


# A cell holding a formula: <c r="C7" ...><f ...>A5*2</f> (optionally namespace-prefixed).
_CELL_FORMULA_RE: Final = re.compile(
    rb"<(?:[\w.-]+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"[^>]*>\s*<(?:[\w.-]+:)?f\b[^>]*?(?:/>|>([^<]*)<)"
)
_ANY_FORMULA_RE: Final = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_OVERLAP: Final = 64 * 1024
# Every formula element contains one of these (unprefixed or namespace-prefixed).
_FORMULA_MARKERS: Final = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/", b"<f\t", b"<f\n", b"<f\r")


class FormulaScanner:
    """Fed the decompressed sheet XML chunk by chunk; remembers where the formulas are."""

    def __init__(self, report: ZipReport, max_kept: int) -> None:
        self.report = report
        self.max_kept = max_kept
        self.located = 0
        self._tail = b""
        self._base = 0  # absolute offset of the start of _tail
        self._cell_end = -1
        self._any_end = -1

    def feed(self, chunk: bytes) -> None:
        report = self.report
        report.rows += chunk.count(b"<row ") + chunk.count(b"<row>") + chunk.count(b":row ")
        report.cells += chunk.count(b"<c ") + chunk.count(b"<c>") + chunk.count(b":c ")
        data = self._tail + chunk
        base = self._base
        if not any(marker in data for marker in _FORMULA_MARKERS):  # memchr-fast; the usual case
            keep = min(len(data), _OVERLAP)
            self._tail = data[len(data) - keep :]
            self._base = base + len(data) - keep
            return
        for m in _CELL_FORMULA_RE.finditer(data):
            if base + m.start() < self._cell_end:
                continue
            self._cell_end = base + m.end()
            self.located += 1
            if len(self.report.formulas) < self.max_kept:
                col = 0
                for ch in m[1]:
                    col = col * 26 + ch - 64
                text = html.unescape((m[3] or b"").decode("utf-8", "replace"))
                self.report.formulas[(int(m[2]), col - 1)] = text
        for m in _ANY_FORMULA_RE.finditer(data):
            if base + m.start() >= self._any_end:
                self._any_end = base + m.end()
                self.report.formula_count += 1
        keep = min(len(data), _OVERLAP)
        self._tail = data[len(data) - keep :]
        self._base = base + len(data) - keep


def scan_members(
    fileobj: BinaryIO,
    zf: zipfile.ZipFile,
    limits: Limits,
    sheet_part: str | None,
    report: ZipReport,
) -> int:
    """Decompress every member under the caps; scan ``sheet_part`` for formulas. Returns the number of
    formula cells that could not be located (cells without an ``r`` attribute)."""
    budget = limits.max_uncompressed_bytes
    scanner = FormulaScanner(report, limits.max_formula_cells)
    for info in zf.infolist():
        if info.is_dir():
            continue
        is_xml = info.filename.lower().endswith(_XML_SUFFIXES) or info.filename == "content.xml"
        feed: Callable[[bytes], None] | None = scanner.feed if info.filename == sheet_part else None
        prolog: bytes | None = b"" if is_xml else None  # until the root element is seen
        for chunk in iter_member(fileobj, info, budget):
            budget -= len(chunk)
            if prolog is not None:
                prolog += chunk[:_CHUNK]
                root = _ROOT_TAG_RE.search(prolog)
                if _DTD_RE.search(prolog, 0, root.start() if root else len(prolog)):
                    raise _dtd_error(info.filename)
                if root is not None:
                    prolog = None
                elif len(prolog) > _CHUNK:
                    raise _dtd_error(info.filename)  # a megabyte of prolog: not a file Excel wrote
            if feed is not None:
                feed(chunk)
    return report.formula_count - scanner.located
