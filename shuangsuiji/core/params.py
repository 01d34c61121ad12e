"""Numbers in query strings and form fields, read once for every view.

`int()` reads exactly what `str.isdecimal()` accepts (full-width digits too; not superscripts, which
`isdigit()` lets through), and raises above 4,300 digits: both were 500s. A number out of its range is no
number, as a year of 99999 would not fit the database's column."""

from __future__ import annotations

LARGEST = 10**17  # below any key of a BIGINT column


def number(raw: str | None, low: int = 0, high: int = LARGEST) -> int | None:
    """`raw` as an int in [low, high], or None for anything else (empty, text, too long, out of range)."""
    raw = (raw or "").strip()
    if not raw.isdecimal() or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None
