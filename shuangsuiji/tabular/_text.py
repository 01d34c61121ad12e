"""Character tables shared by the reader, the normalisers and the writers (built once, used per cell)."""

from __future__ import annotations

import re
from typing import Final

# Characters trimmed from both ends of every cell: ASCII whitespace, the ideographic space U+3000 that
# Chinese users pad with, NBSP from web copies, the BOM and zero-width characters from other systems.
TRIM: Final = (
    " \t\r\n\x0b\x0c"
    "\u3000\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u180e"
    "\ufeff\u200b\u200c\u200d\u2060"
)

# Characters that are never meaningful inside any value and are removed everywhere (zero-width space,
# word joiner, BOM, soft hyphen). ZWJ/ZWNJ are kept inside names: they are part of some scripts.
_INVISIBLE_IN_TEXT: Final = "\u200b\u2060\ufeff\u00ad"

# Full-width ASCII (U+FF01–U+FF5E) → ASCII, ideographic space → space. Used for codes, numbers, dates
# and enumerations, never for names (names keep their exact characters).
HALF_WIDTH: Final[dict[int, int]] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# For codes: half-width, and every kind of space or invisible character removed.
CODE_TABLE: Final[dict[int, int | None]] = {**HALF_WIDTH, **dict.fromkeys(map(ord, TRIM), None)}
CODE_TABLE[0x20] = None

# For single-line text: line breaks and tabs become a space, C0/C1 controls and invisible characters go.
_CONTROLS: Final = [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + [0x7F, *range(0x80, 0xA0)]
SINGLE_LINE_TABLE: Final[dict[int, int | str | None]] = {
    **dict.fromkeys(_CONTROLS, None),
    **dict.fromkeys(map(ord, _INVISIBLE_IN_TEXT), None),
    0xFFFE: None,  # non-characters: never text, and XML cannot carry them
    0xFFFF: None,
    0x0D: None,
    0x0A: " ",
    0x09: " ",
    0x2028: " ",
    0x2029: " ",
}
MULTI_LINE_TABLE: Final[dict[int, int | str | None]] = {
    **SINGLE_LINE_TABLE,
    0x0A: "\n",
    0x2028: "\n",
    0x2029: "\n",
}
# Spaces of every kind, for person names ("张　三" → "张三").
SPACES_RE: Final = re.compile(r"[\s\u3000\u00a0\u200b\u2060\ufeff]+")
CRLF_RE: Final = re.compile(r"\r\n?")

# Excel/CSV formula injection: cells beginning with these are neutralised on export (OWASP).
FORMULA_TRIGGERS: Final = "=+-@\t\r"
# A leading apostrophe followed by one of these was added by our exporter and is removed on import.
UNQUOTE_AFTER_APOSTROPHE: Final = FORMULA_TRIGGERS + "'"

# Characters XML 1.0 cannot carry (openpyxl refuses them): removed from exported cells.
XML_ILLEGAL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def shorten(value: str, limit: int = 60) -> str:
    """A cell value cut for display in an error message."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}…（共{len(value)}个字符）"


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
