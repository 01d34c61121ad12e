"""Recognise a file by its content, not its name: people rename files, and some systems' "导出Excel"
writes HTML or XML with an .xls extension."""

from __future__ import annotations

import os
import re
import struct
from typing import BinaryIO, Final, Literal

from shuangsuiji.tabular.errors import TabularError

Container = Literal["zip", "ole", "text"]

OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

UPLOAD_HINT: Final = "请上传 Excel 工作簿（.xlsx、.xls）或 CSV 文件"
ENCRYPTED_MESSAGE: Final = "文件已加密（设置了打开密码），请在 Excel 中取消密码后另存为 .xlsx 再导入"
CORRUPT_MESSAGE: Final = "文件不完整或已损坏（可能是下载、复制或上传时中断），无法读取。请重新导出，或在 Excel 中打开后另存为 .xlsx 再导入"

_BINARY_KINDS: Final = (
    (b"%PDF", "PDF 文档"),
    (b"\x89PNG", "图片（PNG）"),
    (b"\xff\xd8\xff", "图片（JPEG）"),
    (b"GIF8", "图片（GIF）"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"{\\rtf", "RTF 文档"),
    (b"MZ", "程序文件"),
)
_HTML_RE: Final = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|body|table|meta|style|div|title)\b", re.I)
_SPREADSHEET_ML_RE: Final = re.compile(
    rb"urn:schemas-microsoft-com:office:spreadsheet|progid=\"excel\.sheet\"", re.I
)
_MHT_RE: Final = re.compile(rb"^\s*mime-version:", re.I)


def extension_note(filename: str | None) -> str:
    ext = os.path.splitext(filename or "")[1].lower()
    return f"文件扩展名是 {ext}，但" if ext else ""


def sniff_container(head: bytes, filename: str | None) -> Container:
    """Classify by magic bytes; raise a Chinese :class:`TabularError` for anything that is not a table."""
    if not head:
        raise TabularError("empty", "文件是空的（0字节），请确认选择了正确的文件")
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    note = extension_note(filename)
    for magic, kind in _BINARY_KINDS:
        if head.startswith(magic):
            raise TabularError("wrong_type", f"{note}文件内容是{kind}，不是表格。{UPLOAD_HINT}")
    body = head.removeprefix(b"\xef\xbb\xbf")
    if _HTML_RE.match(body):
        raise TabularError(
            "html_table",
            f"{note}文件内容是网页（HTML）格式，不是真正的 Excel 文件（有些系统的“导出 Excel”会生成这种文件）。"
            "请用 Excel 打开它，“另存为”Excel 工作簿（.xlsx）后再导入",
        )
    if body.lstrip().startswith(b"<?xml") or _MHT_RE.match(body):
        kind = "Excel 2003 XML 表格" if _SPREADSHEET_ML_RE.search(body) else "XML 或网页存档文件"
        raise TabularError(
            "xml_table",
            f"{note}文件内容是{kind}，无法直接导入。请用 Excel 打开它，“另存为”Excel 工作簿（.xlsx）后再导入",
        )
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in head:
        raise TabularError(
            "wrong_type", f"{note}无法识别文件格式：它不是 Excel 工作簿，也不是 CSV 文本文件。{UPLOAD_HINT}"
        )
    return "text"


# Compound File Binary (OLE2) directory entries are 128 bytes, sector-aligned; the name is UTF-16LE,
# followed at byte 64 by its length in bytes (with the terminating NUL) and at byte 66 by the type.
_OLE_STREAMS: Final = {
    name: (name.encode("utf-16-le") + b"\x00\x00", (len(name) + 1) * 2)
    for name in (
        "EncryptedPackage",
        "EncryptionInfo",
        "Workbook",
        "Book",
        "WordDocument",
        "PowerPoint Document",
    )
}


def ole_streams(fileobj: BinaryIO, chunk_size: int = 1 << 20) -> dict[str, tuple[int, int]]:
    """Interesting streams of an OLE2 file, found by their directory entries: name → (first sector,
    size)."""
    found: dict[str, tuple[int, int]] = {}
    fileobj.seek(0)
    base = 0
    tail = b""
    while True:
        chunk = fileobj.read(chunk_size)
        if not chunk:
            break
        data = tail + chunk
        start = base - len(tail)
        for name, (pattern, length) in _OLE_STREAMS.items():
            if name in found:
                continue
            pos = data.find(pattern)
            while pos != -1:
                if (start + pos) % 128 == 0 and pos + 128 <= len(data):
                    name_len, kind = struct.unpack_from("<HB", data, pos + 64)
                    if name_len == length and kind in (1, 2):
                        found[name] = struct.unpack_from("<IQ", data, pos + 116)
                        break
                pos = data.find(pattern, pos + 1)
        if "EncryptedPackage" in found:
            break
        base += len(chunk)
        tail = data[-128:]
    fileobj.seek(0)
    return found


def _xls_has_filepass(fileobj: BinaryIO, start_sector: int, size: int) -> bool:
    """Whether the BIFF globals begin with a FILEPASS record (an .xls with an opening password).
    Looks at the stream's first sector only, which is where FILEPASS sits (right after BOF)."""
    fileobj.seek(0)
    header = fileobj.read(512)
    if len(header) < 512 or size < 4096:  # small streams live in the mini stream: not worth parsing
        return False
    sector_size = 1 << struct.unpack_from("<H", header, 30)[0]
    if sector_size not in (512, 4096):
        return False
    fileobj.seek((start_sector + 1) * sector_size)
    first = fileobj.read(512)
    fileobj.seek(0)
    pos = 0
    for _ in range(20):
        if pos + 4 > len(first):
            return False
        kind, length = struct.unpack_from("<HH", first, pos)
        if kind == 0x002F:
            return True
        if kind == 0x0085:  # BOUNDSHEET: past the place FILEPASS would be
            return False
        pos += 4 + length
    return False


def classify_ole(fileobj: BinaryIO, filename: str | None) -> None:
    """Raise unless the OLE2 file is an .xls workbook (without an opening password)."""
    streams = ole_streams(fileobj)
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise TabularError("encrypted", ENCRYPTED_MESSAGE)
    book = streams.get("Workbook") or streams.get("Book")
    if book is not None:
        if _xls_has_filepass(fileobj, *book):
            raise TabularError("encrypted", ENCRYPTED_MESSAGE, detail="BIFF FILEPASS")
        return
    note = extension_note(filename)
    if "WordDocument" in streams:
        raise TabularError("wrong_type", f"{note}文件内容是 Word 文档（.doc），不是表格。{UPLOAD_HINT}")
    if "PowerPoint Document" in streams:
        raise TabularError("wrong_type", f"{note}文件内容是 PowerPoint 演示文稿，不是表格。{UPLOAD_HINT}")
    raise TabularError("wrong_type", f"{note}无法识别文件格式（不是 Excel 工作簿）。{UPLOAD_HINT}")
