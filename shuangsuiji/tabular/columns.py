"""Column specifications and header matching.

Headers are matched after normalisation: NFKC (full-width brackets and letters → half-width), all
spaces and required-marks (*, ※) removed, trailing "(必填)"/"(选填)" notes dropped, case folded. Each
column also answers to its synonyms, and to its header without the bracketed part ("住所(经营场所)" →
"住所") unless that would be ambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from shuangsuiji.tabular._text import column_letter
from shuangsuiji.tabular.cells import Cell, Formula
from shuangsuiji.tabular.normalize import ExportScalar, Normalizer, Text

_BRACKETS: Final = str.maketrans(
    {"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")", "<": "(", ">": ")"}
)
_DROP_RE: Final = re.compile(r"[\s*※★☆:：\u200b\ufeff]+")
_NOTE_RE: Final = re.compile(r"\((?:必填|选填|可选|非必填|必须填写|可不填|必填项|选填项)[^)]*\)$")
_BRACKETED_RE: Final = re.compile(r"\([^)]*\)")


def normalize_header(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    s = _DROP_RE.sub("", s)
    s = _NOTE_RE.sub("", s)
    return s.casefold()


# A row hook sees a row's normalised values; it may adjust them in place and returns problems as
# (column key or None for the whole row, Chinese message).
RowHook = Callable[[dict[str, Any]], Iterable[tuple[str | None, str]] | None]


@dataclass(frozen=True, eq=False)
class ColumnSpec:
    """One column of an import: ``key`` is the field name, ``header`` the Chinese header of our template.

    ``required``: the column must be in the file and no cell in it may be empty. ``blank`` is the value
    an empty optional cell gives. ``example`` fills the template's example row; ``note`` adds to the
    template's notes sheet.
    """

    key: str
    header: str
    normalizer: Normalizer[Any] = field(default_factory=Text)
    required: bool = False
    synonyms: tuple[str, ...] = ()
    blank: Any = None
    example: str = ""
    note: str = ""
    width: int | None = None

    def display(self, value: Any) -> ExportScalar:
        if value is None or value == "":
            return None
        return self.normalizer.display(value)


@dataclass(frozen=True, eq=False)
class TableSpec:
    """The columns of one import, the keys that must be unique within a file, and the template's text."""

    title: str
    columns: tuple[ColumnSpec, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    notes: tuple[str, ...] = ()
    row_hooks: tuple[RowHook, ...] = ()
    ignored: tuple[str, ...] = ("序号", "编号", "备注")  # known columns skipped without a warning
    max_columns: int = 200
    header_search_rows: int = 10
    _lookup: dict[str, str] = field(init=False, repr=False)
    _by_key: dict[str, ColumnSpec] = field(init=False, repr=False)
    _ignored: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_key = {c.key: c for c in self.columns}
        if len(by_key) != len(self.columns):
            raise ValueError(f"{self.title}: duplicate column keys")
        for names in self.unique:
            for key in names:
                if key not in by_key:
                    raise ValueError(f"{self.title}: unique key {key!r} is not a column")
        strong: dict[str, str] = {}
        weak: dict[str, set[str]] = {}
        for column in self.columns:
            for name in (column.header, *column.synonyms):
                norm = normalize_header(name)
                if strong.setdefault(norm, column.key) != column.key:
                    raise ValueError(f"{self.title}: header {name!r} maps to two columns")
                bare = _BRACKETED_RE.sub("", norm)
                if bare and bare != norm:
                    weak.setdefault(bare, set()).add(column.key)
        lookup = dict(strong)
        for bare, keys in weak.items():
            if bare not in lookup and len(keys) == 1:
                lookup[bare] = next(iter(keys))
        object.__setattr__(self, "_lookup", lookup)
        object.__setattr__(self, "_ignored", frozenset(normalize_header(h) for h in self.ignored))
        object.__setattr__(self, "_by_key", by_key)

    def column(self, key: str) -> ColumnSpec:
        return self._by_key[key]

    def key_for(self, header_text: str) -> str | None:
        """The column a file header names: exactly (after normalisation), or without its bracketed
        part ("管辖单位(所属监管所)" → 管辖单位)."""
        norm = normalize_header(header_text)
        key = self._lookup.get(norm)
        if key is None and "(" in norm:
            bare = _BRACKETED_RE.sub("", norm)
            key = self._lookup.get(bare) if bare else None
        return key

    @property
    def required_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.required)

    def headers(self) -> list[str]:
        """The template/export header row."""
        return [c.header for c in self.columns]

    def export_row(self, values: Mapping[str, Any]) -> list[ExportScalar]:
        """A stored record as export cells, in template column order (importable again)."""
        return [c.display(values.get(c.key)) for c in self.columns]

    def match_header(self, row_number: int, cells: Sequence[Cell]) -> HeaderMatch:
        match = HeaderMatch(row=row_number)
        for index, cell in enumerate(cells):
            if isinstance(cell, Formula):
                cell = cell.cached
            text = cell if isinstance(cell, str) else str(cell)
            text = text.strip()
            if not text:
                continue
            match.width += 1
            key = self.key_for(text)
            if key is None:
                if normalize_header(text) not in self._ignored:
                    match.unknown.append((index, text))
            elif key in match.columns:
                match.duplicates.setdefault(key, [match.columns[key]]).append(index)
            else:
                match.columns[key] = index
                match.headers[key] = text
        match.missing = [c for c in self.columns if c.required and c.key not in match.columns]
        return match


@dataclass
class HeaderMatch:
    """Where each known column is in the file. ``unknown`` columns are reported and ignored."""

    row: int
    columns: dict[str, int] = field(default_factory=dict)  # key → 0-based column index
    headers: dict[str, str] = field(default_factory=dict)  # key → header text as written in the file
    unknown: list[tuple[int, str]] = field(default_factory=list)
    duplicates: dict[str, list[int]] = field(default_factory=dict)
    missing: list[ColumnSpec] = field(default_factory=list)
    width: int = 0  # non-empty header cells

    @property
    def score(self) -> int:
        return len(self.columns)

    def warnings(self) -> list[str]:
        """Messages to show next to the preview (not errors)."""
        if not self.unknown:
            return []
        names = "、".join(f"“{text}”（{column_letter(i)}列）" for i, text in self.unknown[:20])
        more = f"等{len(self.unknown)}列" if len(self.unknown) > 20 else ""
        return [f"以下列不是模板中的列，已忽略：{names}{more}"]
