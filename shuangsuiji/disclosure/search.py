"""The results search (检查结果公示), in SQL: its conditions, and the portal page that walks them.

Every visitor may search, each search its own, so a search nobody made in the last minute (the page cache's)
must be cheap. Through the ORM a page cost ~10 ms of CPU at 10^6 published results, most of it building and
compiling 2–5 querysets and turning rows into models; the same statements written here cost a tenth of that
(benchmarks/bench_portal.py). The export (`selectors.result_search`) takes the same conditions, so the page and
the CSV/JSON select the same rows.

How the indexes are used:
- a name (two characters or more) on SQLite is matched in the FTS5 bigram index (`disclosure.names`); the page
  starts from the index's rows, so FTS5 walks its matches newest first and stops at a page, where `id IN
  (matches)` would collect every match first (half the results for a common 字号);
- a name on PostgreSQL is matched in the bigram GIN index (migration 0003), except when the planner expects so
  many matches that reading results newest first finds a page and its capped count sooner (`_walk_newest_first`);
- a year is also a band of keys (results are published in time order), which bounds the walk of any other index
  to the year; the pager merges its cursor into the band, as SQLite takes only one lower and one upper bound of
  a column to an index and may take the looser (a year's deep page scanned the year from its start).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from django.db import connection

from shuangsuiji.core.pagination import PAGE_SIZE, Page
from shuangsuiji.disclosure import names

# The page counts matches up to this many and says "超过 N 条" beyond: counting 10,000 sparse matches of two
# filters cost 60–130 ms a search at 10^6 results (benchmarks/bench_portal.py), 200 a fiftieth of it.
COUNT_CAP = 200
# a row found through the bigram index costs this many rows of the newest-first walk (_walk_newest_first)
INDEX_ROW_COST = 16
RESULTS = '"disclosure_publishedresult"'
INDEX = f'"{names.TABLE}"'
COLUMNS = (
    "id",
    "entity_name",
    "entity_code",
    "department_name",
    "item_name",
    "code_number",
    "code_label",
    "inspected_on",
    "corrected_at",
)


def column(name: str) -> str:
    return f'{RESULTS}."{name}"'


@dataclass(frozen=True, slots=True)
class Row:
    """What the results table shows of a published result."""

    pk: int
    entity_name: str
    entity_code: str
    department_name: str
    item_name: str
    code_number: int
    code_label: str
    inspected_on: date
    corrected_at: datetime | None

    @classmethod
    def of(cls, values: tuple[Any, ...]) -> Row:
        pk, name, code, department, item, number, label, inspected, corrected = values
        if (
            corrected is not None and corrected.tzinfo is None
        ):  # SQLite's: naive, in UTC as Django stores them
            corrected = corrected.replace(tzinfo=UTC)
        return cls(pk, name, code, department, item, number, label, inspected, corrected)


@dataclass
class ResultFilters:
    q: str = ""
    department: int | None = None
    item: int | None = None
    year: int | None = None
    code: int | None = None


@dataclass
class Search:
    """`SELECT … FROM {source} WHERE {where}`, its rows keyed (and paged) by `key`; `band` the (first, last)
    key the rows lie in, when known. `lead`, a column every row has the same value of, goes before the key in
    ORDER BY: the same order, but the planner then walks that filter's (column, id) index down. PostgreSQL
    walked the primary key down and filtered, as it takes matches to be spread evenly over the keys (item 7,
    last published 77,000 results ago: 46 ms instead of 0.2; department 10 in 2025, inside the year's band:
    15 ms). On PostgreSQL the lead's condition is `BETWEEN v AND v`: with `= v` the planner knows the column
    constant, drops it from ORDER BY, and walks the primary key again."""

    source: str
    key: str
    lead: str = ""
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    band: tuple[int, int] | None = None

    def add(self, condition: str, *params: Any) -> None:
        self.where.append(condition)
        self.params.extend(params)


def is_name_search(q: str) -> bool:
    """Only a name can match q: codes are ASCII letters and digits (tabular.normalize.Uscc). (A Chinese name
    of 15 or 18 characters is a name: `str.isalnum` is true of Chinese characters too.)"""
    return bool(q) and not (q.isascii() and q.isalnum())


def conditions(filters: ResultFilters, *, from_index: bool) -> Search:
    """The search's conditions on the results table. `from_index`: a name search on SQLite reads the FTS5
    index itself (joined to the results when filters need their columns), for a page; otherwise the index
    gives an `id IN (…)`, for the export."""
    search = Search(RESULTS, column("id"))
    q, walk = filters.q, False
    if q:
        code = q.upper()
        if is_name_search(q) and from_index and len(q) >= 2 and names.available(connection):
            # the phrase of q's bigrams matches exactly the names containing q (`names`): no LIKE to check
            search.source, search.key = INDEX, f'{INDEX}."rowid"'
            search.add(f'{INDEX}."tokens" MATCH %s', names.phrase(q))
        elif is_name_search(q):
            condition, params, walk = _name_contains(q)
            search.add(condition, *params)
        elif len(code) in (15, 18):
            search.add(f"{column('entity_code')} = %s", code)
        else:
            condition, params, _ = _name_contains(q)
            search.add(f"(({condition}) OR {column('entity_code')} = %s)", *params, code)
    # the lead: a filter's column when nothing is searched, or a name so common that the results are read
    # newest first (a rarer name's index, or a code's, finds the rows then); not the year, whose band already
    # bounds the walk (as lead, PostgreSQL sorted the whole band)
    lead = not q or walk
    for name, value in [
        ("item_id", filters.item),
        ("department_id", filters.department),
        ("code_number", filters.code),
    ]:
        if value is None:
            continue
        if not lead or search.lead:
            search.add(f"{column(name)} = %s", value)
            continue
        search.lead = column(name)
        if connection.vendor == "postgresql":  # `=` would let the planner drop the lead from ORDER BY
            search.add(f"{column(name)} BETWEEN %s AND %s", value, value)
        else:
            search.add(f"{column(name)} = %s", value)
    if filters.year is not None:
        search.add(f"{column('year')} = %s", filters.year)
        search.band = _year_band(filters.year)
    if search.source == INDEX and len(search.where) > 1:  # the filters are the results' columns
        search.source = f'{INDEX} INNER JOIN {RESULTS} ON ({INDEX}."rowid" = {column("id")})'
    return search


def _like() -> str:
    return f"{column('entity_name')} LIKE %s ESCAPE '\\'"  # SQLite: no escape character unless named


def _pattern(q: str) -> str:
    return f"%{connection.ops.prep_for_like_query(q)}%"


def _name_contains(q: str) -> tuple[str, list[Any], bool]:
    """The condition "entity_name contains q", its parameters, and whether it is to be read newest first
    (PostgreSQL, a common name). From two characters on, an index first finds the rows that can hold q and the
    substring test checks them: PostgreSQL's bigram GIN index (rows holding every bigram of q), SQLite's FTS5
    index (rows holding q's bigrams in a row). A trigram index would not serve the two-character searches
    Chinese names are mostly searched by (benchmarks/bench_portal.py)."""
    if connection.vendor == "postgresql":
        # strpos, not LIKE: planning a LIKE reads the names' statistics (0.75 ms a clause, strpos 0.18 ms)
        contains = f"strpos({column('entity_name')}, %s) > 0"
        if len(q) < 2:
            return contains, [q], False
        if _walk_newest_first(q):
            return contains, [q], True
        grams = sorted({q[i : i + 2] for i in range(len(q) - 1)})
        return f"ssj_bigrams({column('entity_name')}) @> %s::text[] AND {contains}", [grams, q], False
    like = _like()
    if len(q) >= 2 and names.available(connection):
        in_index = f'{column("id")} IN (SELECT "rowid" FROM {INDEX} WHERE "tokens" MATCH %s)'  # noqa: S608  # nosec B608
        return f"{in_index} AND {like}", [names.phrase(q), _pattern(q)], False
    return like, [_pattern(q)], False


def _walk_newest_first(q: str) -> bool:
    """PostgreSQL: whether a name search for q reads results newest first and checks the LIKE on each (many
    names hold q: a page and its capped count come within a few thousand rows), rather than asking the
    bigram index, which hands back every name holding q's bigrams, to be fetched and sorted (43,000 rows for
    美发有 at 10^6 results: 120 ms). The planner cannot choose itself: it multiplies the bigrams' shares as
    if independent (美发 and 发有 are not) and expected 105 rows. Its estimate of the LIKE alone is good
    (migration 0005 samples the names more). The walk reads ~ cap × results / matches rows, the index
    ~ matches rows, each ~16 times dearer (bitmap heap fetch, recheck, sort: measured at 10^6 results, 锁有
    17,881 matches: walk 6 ms, index 42 ms; 峰机 311 matches: walk 248 ms, index 1.5 ms), so the walk wins
    above sqrt(cap × results / 16) matches, ~3,500 (benchmarks/bench_portal.py)."""
    matches = _estimated_rows(f" WHERE {column('entity_name')} LIKE %s", [_pattern(q)])
    return matches * matches * INDEX_ROW_COST > COUNT_CAP * _estimated_rows("", [])


def _estimated_rows(where: str, params: list[Any]) -> float:
    """The planner's estimate of the results `where` selects, asked once a minute per condition: planning a
    LIKE reads the names' statistics (1,000 values and histogram bounds, migration 0005), ~1 ms."""

    def ask() -> float:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {RESULTS}{where}", params)  # noqa: S608  # nosec B608
            return float(_plan(cursor.fetchone())["Plan Rows"])

    return cast(float, _remembered(("rows", where, *params), ask))


def _plan(row: Any) -> dict[str, Any]:
    plan = row[0]
    return cast(dict[str, Any], (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])


def _year_band(year: int) -> tuple[int, int]:
    """The first and last key of a year's results (two probes of the (year, id) index, one statement, asked
    once a minute: a result published since shows within the minute, as the pages do). Results are published
    in time order, so a year is a band of keys; neither planner knows that, and given `year = Y ORDER BY id
    DESC LIMIT 21` PostgreSQL walks the primary key down from the newest result through every later year
    (SQLite does the same from another filter's index). Bounding the key to the band keeps any such walk
    inside the year; it selects exactly the same rows (benchmarks/bench_portal.py)."""
    probe = f"SELECT {column('id')} FROM {RESULTS} WHERE {column('year')} = %s ORDER BY {column('id')}"  # noqa: S608  # nosec B608

    def ask() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT ({probe} LIMIT 1), ({probe} DESC LIMIT 1)", [year, year])  # nosec B608
            first, last = cursor.fetchone()
        return (first, last) if first is not None else (0, -1)

    return cast(tuple[int, int], _remembered(("band", year), ask))


def _remembered(key: tuple[Any, ...], ask: Callable[[], Any]) -> Any:
    """`ask()`, kept a minute per database and key (per server process)."""
    key = (connection.alias, *key)
    now = time.monotonic()
    known = _memory.get(key)
    if known is None or known[0] < now:
        if len(_memory) >= 10_000:
            _memory.clear()
        known = _memory[key] = (now + 60, ask())
    return known[1]


_memory: dict[tuple[Any, ...], tuple[float, Any]] = {}


def forget() -> None:
    """Drop what `_remembered` keeps (tests: ids and counts change with every test's data)."""
    _memory.clear()


def page(filters: ResultFilters, after: int | None, before: int | None, query: dict[str, str]) -> Page:
    """The search page: 20 results newest first (keyset: `after`/`before` a key) and the count up to
    `COUNT_CAP`, in one statement. Its `WITH` reads the keys of the page's matches in the page's order: on the
    first page the first `COUNT_CAP` + 1, which are the count (through the bigram index a page and a separate
    count each fetched and sorted every match), on a later page 21, with the count and "is there a newer row"
    as subqueries; then the page's 20 rows by key. The count is taken in the page's order: unordered,
    PostgreSQL counted "department 10, 2025" by a sequential scan that read every earlier year first."""
    search = conditions(filters, from_index=True)
    low, high = search.band if search.band else (None, None)
    out = Page([], 0, False, query)

    def select(what: str, above: int | None, below: int | None, order: str, limit: int) -> str:
        where = list(search.where)
        lower = max((v for v in (low, above) if v is not None), default=None)
        upper = min((v for v in (high, below) if v is not None), default=None)
        if lower is not None:
            where.append(f"{search.key} >= {int(lower)}")
        if upper is not None:
            where.append(f"{search.key} <= {int(upper)}")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        keys = f"{search.lead} {order}, {search.key} {order}" if search.lead else f"{search.key} {order}"
        return f"SELECT {what} FROM {search.source}{clause} ORDER BY {keys} LIMIT {limit}"  # noqa: S608  # nosec B608

    count = f"(SELECT COUNT(*) FROM ({select('1', None, None, 'DESC', COUNT_CAP + 1)}) counted)"  # noqa: S608  # nosec B608
    shown = ", ".join(column(c) for c in COLUMNS)
    # the keys to read in the page's order, the page's end of them, and the subqueries after the columns
    if before is not None:
        keys = select(f"{search.key} AS k", before + 1, None, "ASC", PAGE_SIZE + 1)
        order, extra, statements = "ASC", f", {count}", 2
    elif after is not None:
        newer = f"(SELECT COUNT(*) FROM ({select('1', after, None, 'ASC', 1)}) newer)"  # noqa: S608  # nosec B608
        keys = select(f"{search.key} AS k", None, after - 1, "DESC", PAGE_SIZE + 1)
        order, extra, statements = "DESC", f", {count}, {newer}", 3
    else:
        keys = select(f"{search.key} AS k", None, None, "DESC", COUNT_CAP + 1)
        order, extra, statements = "DESC", "", 1
    sql = (
        f"WITH page_keys AS ({keys}) SELECT {shown}, (SELECT COUNT(*) FROM page_keys){extra} FROM {RESULTS} "  # noqa: S608  # nosec B608
        f"WHERE {column('id')} IN (SELECT k FROM page_keys ORDER BY k {order} LIMIT {PAGE_SIZE})"
    )  # no ORDER BY: without sorts (`_executor`) PostgreSQL walked the whole primary key to give 20 rows in order
    with connection.cursor() as cursor:
        execute = _executor(search, cursor)
        execute(sql, search.params * statements)  # each SELECT takes the conditions' parameters
        rows = cursor.fetchall()
        out.items = sorted((Row.of(r[: len(COLUMNS)]) for r in rows), key=lambda row: -row.pk)
        if rows:
            read = rows[0][len(COLUMNS)]  # keys read: more than a page's means another page that way
            total = read if before is None and after is None else rows[0][len(COLUMNS) + 1]
        elif before is None and after is None:
            read = total = 0
        else:  # past either end: only the count
            execute(f"SELECT {count}", search.params)  # nosec B608
            read, total = 0, cursor.fetchone()[0]
    if out.items:
        more = read > PAGE_SIZE
        if before is not None:
            out.next_cursor = ("after", out.items[-1].pk)  # back to the page it came from
            out.prev_cursor = ("before", out.items[0].pk) if more else None
        else:
            out.next_cursor = ("after", out.items[-1].pk) if more else None
            if after is not None and rows[0][-1]:  # a row at or above `after`: rows newer than this page
                out.prev_cursor = ("before", out.items[0].pk)
    out.total, out.total_capped = min(total, COUNT_CAP), total > COUNT_CAP
    return out


def _executor(search: Search, cursor: Any) -> Callable[[str, list[Any]], None]:
    """How to run the page's statements: as they are, or (PostgreSQL, a search with a lead: filters alone)
    with sorts off, so that the rows come down the lead's index in the page's order. The planner takes a year
    and its band of keys for independent and chose bitmap scans and a sort of every match (department 12 in
    2020: 40 ms; without: 0.3 ms). `SET LOCAL` and the statement go as one query string, so in one round trip
    and one implicit transaction, which the setting ends with (a transaction of their own was three round
    trips more: BEGIN, SET, COMMIT; benchmarks/bench_portal.py)."""
    if connection.vendor != "postgresql" or not search.lead:
        return cast(Callable[[str, list[Any]], None], cursor.execute)

    def execute(sql: str, params: list[Any]) -> None:
        cursor.execute(f"SET LOCAL enable_sort = off; {sql}", params)
        cursor.nextset()  # past the SET's result, to the statement's rows

    return execute
