"""From a table to validated records: find the header, check the columns, normalise every cell, catch
duplicates within the file. Streaming: one row in memory at a time (plus the keys seen, for duplicates).

Usage::

    reader = read_records(table, ENTITY_SPEC)      # raises TabularError for header problems
    for record in reader:                          # only rows without errors
        ...
    if reader.errors: ...                          # then write nothing

Iteration raises :class:`TabularError` for file-level problems found on the way (a file that stops
half-way, an encoding error, a header without data rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from shuangsuiji.tabular._text import TRIM, UNQUOTE_AFTER_APOSTROPHE, column_letter, shorten
from shuangsuiji.tabular.cells import Cell, Formula
from shuangsuiji.tabular.columns import HeaderMatch, TableSpec
from shuangsuiji.tabular.errors import CellError, ErrorLog, TabularError
from shuangsuiji.tabular.table import Table

_MAX_SCAN_FOR_HEADER = 1000  # rows (blank ones included) looked at while searching for the header
FORMULA_MESSAGE = "单元格含公式，请把该列复制后“选择性粘贴→数值”，保存后再导入"
REQUIRED_MESSAGE = "必填，不能为空"
EXAMPLE_ROW_MESSAGE = "这是模板中的示例行，请删除后再导入"
_MEMO_LIMIT = 10_000  # distinct texts remembered per column
_UNKNOWN = object()


class Record(NamedTuple):
    row: int  # as Excel shows it
    values: dict[str, Any]  # a key for every spec column present in the file


def unneutralize(text: str) -> str:
    """Remove the apostrophe our exporter puts before formula-like text ("'=x" → "=x", "''x" → "'x")."""
    if len(text) > 1 and text[0] == "'" and text[1] in UNQUOTE_AFTER_APOSTROPHE:
        return text[1:]
    return text


def find_header(
    table: Table, spec: TableSpec, rows: Iterator[tuple[int, list[Cell]]]
) -> tuple[HeaderMatch, list[tuple[int, list[Cell]]]]:
    """Look at the first ``spec.header_search_rows`` non-blank rows (titles and blank rows come first in
    many exported files) and take the one that names the most spec columns. Returns the match and the
    rows already read after it."""
    candidates: list[tuple[int, list[Cell]]] = []
    scanned = 0
    for number, cells in rows:
        scanned += 1
        if any(_nonblank(c) for c in cells):
            candidates.append((number, cells))
            if len(candidates) >= spec.header_search_rows:
                break
        if scanned >= _MAX_SCAN_FOR_HEADER:
            break
    if not candidates:
        raise TabularError("empty", "文件中没有任何内容（空表格或只有空行）")
    best: HeaderMatch | None = None
    best_at = 0
    for i, (number, cells) in enumerate(candidates):
        match = spec.match_header(number, cells)
        if best is None or match.score > best.score:
            best, best_at = match, i
    if not (best is not None):
        raise RuntimeError("internal invariant broken: best is not None")
    if best.score == 0:
        examples = "、".join(f"“{c.header}”" for c in (spec.required_columns or spec.columns)[:3])
        raise TabularError(
            "no_header",
            f"没有找到表头：前{len(candidates)}行中没有一行包含模板中的列名（如{examples}）。"
            "请使用“模板下载”中的表格填写，或把列名改成与模板一致",
        )
    _check_header(table, spec, best)
    return best, candidates[best_at + 1 :]


def _check_header(table: Table, spec: TableSpec, match: HeaderMatch) -> None:
    if match.width > spec.max_columns:
        raise TabularError(
            "too_many_columns",
            f"表头（第{match.row}行）有{match.width}列，超过上限{spec.max_columns}列；请只保留模板中的列后再导入",
            row=match.row,
        )
    if match.duplicates:
        key, indexes = next(iter(match.duplicates.items()))
        letters = "、".join(f"{column_letter(i)}列" for i in indexes)
        raise TabularError(
            "duplicate_columns",
            f"列“{spec.column(key).header}”出现了不止一次（{letters}），请删除多余的列后再导入",
            row=match.row,
        )
    header_merges = [r for r in table.merged_ranges if r.first_row <= match.row <= r.last_row]
    if header_merges:
        refs = "、".join(r.ref for r in header_merges[:5])
        raise TabularError(
            "merged_header",
            f"表头（第{match.row}行）有合并单元格（{refs}），请取消合并，让每一列都有自己的列名后再导入",
            row=match.row,
        )
    if match.missing:
        names = "、".join(f"“{c.header}”" for c in match.missing)
        raise TabularError(
            "missing_columns",
            f"缺少必填列：{names}（表头在第{match.row}行）。请对照“模板下载”中的列名补齐后再导入",
            row=match.row,
        )
    data_merges = [r for r in table.merged_ranges if r.first_row > match.row]
    if data_merges:
        refs = "、".join(r.ref for r in data_merges[:5])
        more = f"等{len(data_merges)}处" if len(data_merges) > 5 else ""
        raise TabularError(
            "merged_cells",
            f"数据区域有合并单元格（{refs}{more}）。合并后只有第一格有值，请取消合并并把每一行填写完整后再导入",
            row=data_merges[0].first_row,
        )


def _nonblank(cell: Cell) -> bool:
    return not isinstance(cell, str) or bool(cell.strip(TRIM))


class RecordReader:
    """Iterate to get the valid records; errors accumulate in ``errors``. Single pass."""

    def __init__(
        self,
        table: Table,
        spec: TableSpec,
        *,
        errors: ErrorLog | None = None,
        accept_formula_values: bool = False,
        stop_after_errors: int | None = None,
    ) -> None:
        self.table = table
        self.spec = spec
        self.errors = errors if errors is not None else ErrorLog()
        self.accept_formula_values = accept_formula_values
        self.stop_after_errors = stop_after_errors
        self.data_rows = 0  # non-blank rows after the header
        self.blank_rows = 0
        self.records = 0
        self.stopped_early = False
        if not accept_formula_values:
            _refuse_unlocated_formulas(table)
        self._rows = table.rows()
        try:
            self.header, self._pending = find_header(table, spec, self._rows)
        except BaseException:
            close = getattr(self._rows, "close", None)  # a generator: release the file now
            if close is not None:
                close()
            raise
        self._consumed = False

    def warnings(self) -> list[str]:
        return self.header.warnings()

    def progress(self) -> float:
        return self.table.progress()

    def __iter__(self) -> Iterator[Record]:
        if self._consumed:
            raise RuntimeError("RecordReader is single-pass; open the table again for another pass")
        self._consumed = True
        return self._generate()

    def _generate(self) -> Iterator[Record]:
        spec, errors, header = self.spec, self.errors, self.header
        # The last item: a memo of text → result for normalisers whose values repeat (see `repeats`).
        bound: list[tuple[int, str, str, Callable[[Any], Any], bool, Any, dict[str, Any] | None]] = [
            (
                header.columns[c.key],
                c.key,
                header.headers[c.key],
                c.normalizer,
                c.required,
                c.blank,
                {} if getattr(c.normalizer, "repeats", False) else None,
            )
            for c in spec.columns
            if c.key in header.columns
        ]
        uniques: list[tuple[tuple[str, ...], int, str, dict[Any, int]]] = [
            (names, header.columns[names[0]], header.headers[names[0]], {})
            for names in spec.unique
            if all(n in header.columns for n in names)
        ]
        seen: list[dict[Any, int]] = [u[3] for u in uniques]
        hooks = spec.row_hooks
        text_formulas = self.table.text_formulas
        accept_formulas = self.accept_formula_values
        stop_after = self.stop_after_errors
        example = _example_values(spec, header)
        example_key, example_value = next(iter(example.items())) if example else ("", None)

        def rows() -> Iterator[tuple[int, list[Cell]]]:
            yield from self._pending
            self._pending = []
            yield from self._rows

        width = max((b[0] for b in bound), default=-1) + 1
        padding: list[Cell] = [""] * width
        for number, cells in rows():
            if len(cells) < width:  # a short row: the missing cells are empty
                cells = [*cells, *padding[len(cells) :]]
            values: dict[str, Any] = {}
            nonblank = False
            problems: list[tuple[int, str, Any, str]] | None = None
            for index, key, column, normalizer, required, blank, memo in bound:
                value: Cell = cells[index]
                if type(value) is str:
                    if value:
                        if value[0] in "='":
                            if value[0] == "=" and text_formulas and not accept_formulas:
                                problems = problems or []
                                problems.append((index, column, value, FORMULA_MESSAGE))
                                nonblank = True
                                continue
                            value = unneutralize(value)
                        value = value.strip(TRIM)
                    if not value:
                        if required:
                            problems = problems or []
                            problems.append((index, column, "", REQUIRED_MESSAGE))
                        values[key] = blank
                        continue
                elif isinstance(value, Formula):
                    nonblank = True
                    if not accept_formulas:
                        problems = problems or []
                        problems.append((index, column, str(value), FORMULA_MESSAGE))
                        continue
                    value = value.cached
                    if isinstance(value, str):
                        value = value.strip(TRIM)
                    if value == "":
                        if required:
                            problems = problems or []
                            problems.append((index, column, "", REQUIRED_MESSAGE))
                        values[key] = blank
                        continue
                nonblank = True
                if memo is not None and type(value) is str:
                    known = memo.get(value, _UNKNOWN)
                    if known is not _UNKNOWN:
                        values[key] = known
                        continue
                try:
                    result = normalizer(value)
                except CellError as exc:
                    problems = problems or []
                    problems.append((index, column, value, exc.message))
                    continue
                values[key] = result
                if memo is not None and type(value) is str and len(memo) < _MEMO_LIMIT:
                    memo[value] = result
            if not nonblank:
                self.blank_rows += 1
                continue
            self.data_rows += 1
            ok = problems is None
            if problems is not None:
                problems.sort(key=_first)
                for index, column, shown, message in problems:
                    errors.add(number, column, shown, message, index)
            if (
                example is not None
                and values.get(example_key) == example_value  # a real row differs here already
                and all(values.get(k) == v for k, v in example.items())
            ):
                errors.add(number, "", "", EXAMPLE_ROW_MESSAGE)
                ok = False
            for (names, index, column, _), first_rows in zip(uniques, seen, strict=True):
                if len(names) == 1:
                    key_value: Any = values.get(names[0])
                    if key_value is None or key_value == "":
                        continue
                else:
                    key_value = tuple(values.get(k) for k in names)
                    if any(v is None or v == "" for v in key_value):
                        continue
                first_row = first_rows.setdefault(key_value, number)
                if first_row != number:
                    what = "、".join(spec.column(k).header for k in names)
                    shown = key_value if len(names) == 1 else "／".join(map(str, key_value))
                    both = "都" if len(names) > 1 else ""
                    errors.add(number, column, shown, f"与第{first_row}行重复（{what}{both}相同）", index)
                    ok = False
            if ok and hooks:
                for hook in hooks:
                    for problem_key, message in hook(values) or ():
                        if problem_key is None:
                            errors.add(number, "", "", message)
                        else:
                            errors.add(
                                number,
                                header.headers.get(problem_key, spec.column(problem_key).header),
                                _shown(values.get(problem_key)),
                                message,
                                header.columns.get(problem_key),
                            )
                        ok = False
            if ok:
                self.records += 1
                yield Record(number, values)
            elif stop_after is not None and errors.count >= stop_after:
                self.stopped_early = True
                return
        if self.data_rows == 0:
            raise TabularError("header_only", f"文件只有表头（第{header.row}行），没有数据行", row=header.row)


def _first(problem: tuple[int, str, Any, str]) -> int:
    return problem[0]


def _shown(value: Any) -> str:
    return "" if value is None else shorten(str(value), 100)


def _example_values(spec: TableSpec, header: HeaderMatch) -> dict[str, Any] | None:
    """The template's example row, normalised, on every column that has an example and is in the file
    (the unique keys at least). A real row never equals it on all of them; None when the file cannot
    contain it."""
    keys = [c.key for c in spec.columns if c.example and c.key in header.columns]
    if not keys or any(k not in keys for names in spec.unique for k in names):
        return None
    return {key: spec.column(key).normalizer(spec.column(key).example) for key in keys}


def _refuse_unlocated_formulas(table: Table) -> None:
    unlocated = getattr(table, "unlocated_formulas", 0)
    truncated = getattr(table, "formulas_truncated", False)
    if unlocated or truncated:
        count = getattr(table, "formula_count", 0)
        raise TabularError(
            "formulas",
            f"工作表中有{count}个单元格含公式。请全选表格，复制后“选择性粘贴→数值”，保存后再导入",
        )


def read_records(
    table: Table,
    spec: TableSpec,
    *,
    errors: ErrorLog | None = None,
    accept_formula_values: bool = False,
    stop_after_errors: int | None = None,
) -> RecordReader:
    """Match the header now (raising :class:`TabularError` for missing, duplicate or merged header
    columns) and return a reader that yields :class:`Record` for every valid row.

    ``accept_formula_values`` takes the value Excel cached for a formula instead of refusing the cell.
    ``stop_after_errors`` ends the pass early (for a quick preview of a hopeless file).
    """
    return RecordReader(
        table,
        spec,
        errors=errors,
        accept_formula_values=accept_formula_values,
        stop_after_errors=stop_after_errors,
    )
