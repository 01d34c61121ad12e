"""Evidence-like uploads (ceremony photos and videos, later inspection evidence): checked by content,
stored under a random name with their SHA-256, served back only as attachments."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

# (magic prefix, offset, content type, extension)
_SIGNATURES = [
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"%PDF-", 0, "application/pdf", ".pdf"),
    (b"ftyp", 4, "video/mp4", ".mp4"),
]
MAX_BYTES = {
    "image/jpeg": 20 << 20,
    "image/png": 20 << 20,
    "application/pdf": 50 << 20,
    "video/mp4": 500 << 20,
}


@dataclass(frozen=True)
class StoredFile:
    name: str
    content_type: str
    size: int
    sha256: str


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, offset, content_type, extension in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return content_type, extension
    return None


def store_upload(upload: IO[bytes], *, folder: str, size: int) -> StoredFile:
    head = upload.read(16)
    kind = sniff(head)
    if kind is None:
        raise ValidationError("只接受 JPEG、PNG 照片，PDF 文件和 MP4 视频（按文件内容判断，而不是扩展名）。")
    content_type, extension = kind
    if size > MAX_BYTES[content_type]:
        raise ValidationError(f"文件过大：{content_type} 最大 {MAX_BYTES[content_type] >> 20} MB。")
    name = f"{folder}/{uuid.uuid4().hex}{extension}"
    target = Path(default_storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(head)
    with open(target, "wb") as out:
        out.write(head)
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    return StoredFile(name, content_type, target.stat().st_size, digest.hexdigest())
