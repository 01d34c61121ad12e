"""Encodings of ssj-draw/1 (DRAW-PROTOCOL.md §1): keys, canonical JSON, canonical TSV, quota."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice, pairwise, repeat
from operator import lt
from typing import IO, Any

from .errors import InvalidInputError, TsvFormatError

PROTOCOL = "ssj-draw/1"
PathLike = str | os.PathLike[str]

_FORBIDDEN = ("\t", "\n", "\r", "\x00")
_FORBIDDEN_NAMES = {"\t": "TAB", "\n": "LF", "\r": "CR", "\x00": "NUL"}
_HEX64 = re.compile(r"[0-9a-f]{64}")
# ISO-8601 date-time with an explicit offset, e.g. 2026-03-02T09:30:00+08:00 (seconds and fraction optional).
_ISO_WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:\d{2}|Z)")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def quota(size: int, rate_bp: int) -> int:
    """Number of entities drawn from a stratum of ``size`` at ``rate_bp`` basis points (the ceiling)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidInputError(
            f"分层规模 {size!r} 不是非负整数", f"stratum size {size!r} is not a non-negative integer"
        )
    check_rate_bp(rate_bp, "?")
    return min(size, (size * rate_bp + 9999) // 10000)


def check_rate_bp(rate_bp: object, label: str) -> int:
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 1 <= rate_bp <= 10000:
        raise InvalidInputError(
            f"分层 {label} 的比例 {rate_bp!r} 不在 1–10000 基点之间",
            f"rate_bp {rate_bp!r} of stratum {label} out of range 1–10000",
        )
    return rate_bp


def field_problem(value: object) -> tuple[str, str] | None:
    """Why ``value`` cannot be a key or TSV field, as (中文, English), or None when it can."""
    if not isinstance(value, str):
        return f"不是字符串：{value!r}", f"not a string: {value!r}"
    if not value:
        return "为空", "is empty"
    for ch in _FORBIDDEN:
        if ch in value:
            name = _FORBIDDEN_NAMES[ch]
            return f"含有不允许的字符 {name}：{value!r}", f"contains a forbidden {name} character: {value!r}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"不是有效的 Unicode 文本：{value!r}", f"is not valid Unicode text: {value!r}"
    if not unicodedata.is_normalized("NFC", value):
        return f"不是 Unicode NFC 规范形式：{value!r}", f"is not in Unicode NFC: {value!r}"
    return None


def check_key(value: object, what_zh: str, what_en: str) -> str:
    """Return ``value`` if it is a valid key (non-empty NFC string without TAB, LF, CR, NUL)."""
    problem = field_problem(value)
    if problem is not None:
        raise InvalidInputError(f"{what_zh}{problem[0]}", f"{what_en} {problem[1]}")
    if not isinstance(value, str):
        raise RuntimeError("internal invariant broken")
    return value


def check_text(value: object, what_zh: str, what_en: str, *, allow_empty: bool = False) -> str:
    """Free text for JSON fields (names, reasons): any string encodable as UTF-8."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what_zh}不是字符串：{value!r}", f"{what_en} is not a string: {value!r}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(
            f"{what_zh}不是有效的 Unicode 文本", f"{what_en} is not valid Unicode text"
        ) from None
    if not allow_empty and not value.strip():
        raise InvalidInputError(f"{what_zh}为空", f"{what_en} is empty")
    return value


def check_created_at(value: object) -> str:
    text = check_text(value, "created_at ", "created_at")
    if not _ISO_WITH_OFFSET.fullmatch(text):
        raise InvalidInputError(
            f"created_at {text!r} 不是带时区偏移的 ISO-8601 时间（如 2026-03-02T09:30:00+08:00）",
            f"created_at {text!r} is not an ISO-8601 date-time with offset, e.g. 2026-03-02T09:30:00+08:00",
        )
    return text


def is_hex64(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


# ---------------------------------------------------------------------------------------------- JSON


def _check_integers_only(obj: object, path: str) -> None:
    if isinstance(obj, float):
        raise InvalidInputError(f"JSON 中不允许小数：{path}", f"floats are not allowed in JSON: {path}")
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise InvalidInputError(f"JSON 键不是字符串：{path}", f"JSON key is not a string: {path}")
            _check_integers_only(v, f"{path}.{k}")
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _check_integers_only(v, f"{path}[{i}]")
    elif not (obj is None or isinstance(obj, str | int)):
        raise InvalidInputError(f"JSON 中不允许的值类型：{path}", f"value type not allowed in JSON: {path}")


def canonical_json(obj: object) -> bytes:
    """Canonical JSON (§1): sorted keys, no spaces, UTF-8, integers only."""
    _check_integers_only(obj, "$")
    try:
        return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError("JSON 含有无效的 Unicode 文本", "JSON holds invalid Unicode text") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _reject_float(text: str) -> Any:
    raise ValueError(f"float {text}")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def loads_strict(data: bytes, name: str) -> Any:
    """Parse JSON that must be UTF-8 without floats, NaN or duplicate keys (not necessarily canonical)."""
    try:
        text = data.decode("utf-8")
        return json.loads(
            text,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicate_keys,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(
            f"{name} 不是有效的 JSON：{exc}", f"{name} is not valid JSON: {exc}"
        ) from None


def parse_canonical_json(data: bytes, name: str) -> Any:
    """Parse ``data`` and require that it is exactly the canonical JSON of what it holds."""
    obj = loads_strict(data, name)
    if canonical_json(obj) != data:
        raise InvalidInputError(f"{name} 不是规范 JSON 格式", f"{name} is not canonical JSON")
    return obj


# ----------------------------------------------------------------------------------------------- TSV


def _line_bytes(fields: Sequence[str], file: str, line: int | None) -> bytes:
    for f in fields:
        problem = field_problem(f)
        if problem is not None:
            raise TsvFormatError(f"字段{problem[0]}", f"field {problem[1]}", file=file, line=line)
    return "\t".join(fields).encode("utf-8") + b"\n"


def tsv_bytes(lines: Iterable[Sequence[str]], *, file: str = "TSV", fields: int = 2) -> bytes:
    """Canonical TSV of ``lines`` in any order: validated, sorted by UTF-8 bytes; duplicates are an error."""
    out = TsvLines(file=file, fields=fields)
    out.add(lines)
    return out.tsv()


class TsvLines:
    """``tsv_bytes`` in parts: the lines are validated and encoded as each batch is added, and sorted and checked
    for duplicates in ``tsv()``. A caller that gets its lines in batches (the exclusions of a big draw, piece by
    piece while a database scans the next) does most of the work while it would wait. Errors name a line by its
    place among all the lines added."""

    def __init__(self, *, file: str = "TSV", fields: int = 2) -> None:
        self._file = file
        self._fields = fields
        self._encoded: list[bytes] = []
        self._added = 0

    def add(self, lines: Iterable[Sequence[str]]) -> None:
        records = list(lines)
        encoded = _encoded_at_once(records, self._fields)
        if encoded is None:
            encoded = []
            for n, rec in enumerate(records, self._added + 1):
                if len(rec) != self._fields:
                    raise TsvFormatError(
                        f"应有 {self._fields} 个字段，实有 {len(rec)} 个",
                        f"expected {self._fields} fields, got {len(rec)}",
                        file=self._file,
                        line=n,
                    )
                encoded.append(_line_bytes(rec, self._file, n)[:-1])
        self._encoded += encoded
        self._added += len(records)

    def tsv(self) -> bytes:
        """The canonical TSV of every line added. Lines compare without their LF (as `LC_ALL=C sort` does); it
        matters only for keys holding control characters below LF."""
        encoded = self._encoded
        if not encoded:
            return b""
        encoded.sort()
        if not all(map(lt, encoded, islice(encoded, 1, None))):
            for a, b in pairwise(encoded):
                if a == b:
                    raise TsvFormatError(
                        f"重复的行：{a.decode()!r}", f"duplicate line: {a.decode()!r}", file=self._file
                    )
        return b"\n".join(encoded) + b"\n"


def _encoded_at_once(records: list[Sequence[str]], fields: int) -> list[bytes] | None:
    """The lines of ``records`` encoded, checked on their joined text in C (10^6 exclusions: a second, not ten),
    or None when something is wrong: the per-line pass then names it."""
    if not records:
        return []
    try:
        if set(map(len, records)) != {fields}:
            return None
        text = "\n".join(map("\t".join, records))
        if not (
            text.count("\t") == (fields - 1) * len(records)
            and text.count("\n") == len(records) - 1
            and "\r" not in text
            and "\x00" not in text
            and unicodedata.is_normalized("NFC", text)
        ):
            return None
        data = text.encode("utf-8")
    except (TypeError, UnicodeEncodeError):
        return None
    empty_field = b"\t\t" in data or b"\n\t" in data or b"\t\n" in data or b"\n\n" in data
    if empty_field or data.startswith((b"\t", b"\n")) or data.endswith((b"\t", b"\n")):
        return None
    return data.split(b"\n")


class TsvWriter:
    """Streaming canonical TSV writer: lines must arrive sorted; computes the SHA-256 on the way."""

    def __init__(self, out: IO[bytes] | None = None, *, file: str = "TSV", fields: int = 2) -> None:
        self._out = out
        self._file = file
        self._fields = fields
        self._prev: bytes | None = None
        self._hash = hashlib.sha256()
        self.lines = 0

    def write(self, rec: Sequence[str]) -> None:
        self.lines += 1
        if len(rec) != self._fields:
            raise TsvFormatError(
                f"应有 {self._fields} 个字段，实有 {len(rec)} 个",
                f"expected {self._fields} fields, got {len(rec)}",
                file=self._file,
                line=self.lines,
            )
        data = _line_bytes(rec, self._file, self.lines)
        if self._prev is not None and not data[:-1] > self._prev:
            raise TsvFormatError(
                "行未按 UTF-8 字节顺序排列" if data[:-1] != self._prev else "重复的行",
                "lines are not sorted by UTF-8 bytes" if data[:-1] != self._prev else "duplicate line",
                file=self._file,
                line=self.lines,
            )
        self._prev = data[:-1]
        self._hash.update(data)
        if self._out is not None:
            self._out.write(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _tsv_error_at(data: bytes, file: str, fields: int, line_base: int = 0) -> TsvFormatError:
    """Locate the first problem of a TSV blob known to be wrong, for a precise message."""
    prev: bytes | None = None
    lines = data.split(b"\n")
    if lines and lines[-1] != b"":
        return TsvFormatError(
            "最后一行未以换行符 LF 结尾",
            "the last line does not end in LF",
            file=file,
            line=line_base + len(lines),
        )
    for i, raw in enumerate(lines[:-1], 1):
        n = line_base + i
        if raw.endswith(b"\r"):
            return TsvFormatError(
                "行以 CR 结尾（Windows 换行），应只用 LF",
                "line ends in CR LF; use LF only",
                file=file,
                line=n,
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return TsvFormatError("不是有效的 UTF-8 编码", "not valid UTF-8", file=file, line=n)
        if n == 1 and text.startswith("\ufeff"):
            return TsvFormatError(
                "文件以 BOM 开头，请另存为无 BOM 的 UTF-8",
                "file starts with a BOM; save as UTF-8 without BOM",
                file=file,
                line=1,
            )
        parts = text.split("\t")
        if len(parts) != fields:
            return TsvFormatError(
                f"应有 {fields} 个以 TAB 分隔的字段，实有 {len(parts)} 个",
                f"expected {fields} TAB-separated fields, got {len(parts)}",
                file=file,
                line=n,
            )
        for f in parts:
            problem = field_problem(f)
            if problem is not None:
                return TsvFormatError(f"字段{problem[0]}", f"field {problem[1]}", file=file, line=n)
        if prev is not None and not raw > prev:
            if raw == prev:
                return TsvFormatError("重复的行", "duplicate line", file=file, line=n)
            return TsvFormatError(
                "行未按 UTF-8 字节顺序排列", "lines are not sorted by UTF-8 bytes", file=file, line=n
            )
        prev = raw
    return TsvFormatError("格式错误", "malformed", file=file)


def parse_tsv(data: bytes, *, file: str, fields: int = 2) -> list[tuple[str, ...]]:
    """Read a whole canonical TSV blob (small files: exclusions, pool, conflicts), validating everything."""
    if not data:
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _tsv_error_at(data, file, fields) from None
    if not text.endswith("\n") or text.startswith("\ufeff"):
        raise _tsv_error_at(data, file, fields)
    lines = text[:-1].split("\n")
    if set(map(str.count, lines, repeat("\t"))) != {fields - 1}:
        raise _tsv_error_at(data, file, fields)
    recs = [tuple(line.split("\t")) for line in lines]
    for rec in recs:
        for f in rec:
            if field_problem(f) is not None:
                raise _tsv_error_at(data, file, fields)
    raw = data[:-1].split(b"\n")
    if any(a >= b for a, b in pairwise(raw)):
        raise _tsv_error_at(data, file, fields)
    return recs


_BLOCK = 1 << 20


def iter_tsv_pairs(
    source: bytes | PathLike | IO[bytes], *, file: str = "population.tsv"
) -> Iterator[tuple[str, str]]:
    """Stream the (field1, field2) pairs of a two-field TSV, fast, in blocks.

    Checks here are structural only (UTF-8, LF endings, exactly one TAB per line, no CR); the population
    scanner that consumes the pairs checks keys, order and duplicates. Line numbers are tracked for errors.
    """
    if isinstance(source, bytes):
        yield from _pairs_from_blocks(iter((source,)), file)
        return
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            yield from _pairs_from_blocks(iter(lambda: fh.read(_BLOCK), b""), file)
        return
    yield from _pairs_from_blocks(iter(lambda: source.read(_BLOCK), b""), file)


def _pairs_from_blocks(blocks: Iterator[bytes], file: str) -> Iterator[tuple[str, str]]:
    rest = b""
    line_base = 0
    first = True
    for block in blocks:
        data = rest + block
        cut = data.rfind(b"\n") + 1
        whole, rest = data[:cut], data[cut:]
        if not whole:
            continue
        if first and whole.startswith(b"\xef\xbb\xbf"):
            raise TsvFormatError(
                "文件以 BOM 开头，请另存为无 BOM 的 UTF-8",
                "file starts with a BOM; save as UTF-8 without BOM",
                file=file,
                line=1,
            )
        first = False
        try:
            text = whole.decode("utf-8")
        except UnicodeDecodeError:
            raise _tsv_error_at(whole, file, 2, line_base) from None
        nlines = text.count("\n")
        if "\r" in text or text.count("\t") != nlines:
            raise _tsv_error_at(whole, file, 2, line_base)
        lines = text[:-1].split("\n")
        if set(map(str.count, lines, repeat("\t"))) != {1}:
            raise _tsv_error_at(whole, file, 2, line_base)
        flat = iter(text[:-1].replace("\n", "\t").split("\t"))
        yield from zip(flat, flat, strict=False)
        line_base += nlines
    if rest:
        raise TsvFormatError(
            "最后一行未以换行符 LF 结尾", "the last line does not end in LF", file=file, line=line_base + 1
        )
