"""Who can be drawn for a task, and why the others cannot — computed in the database, streamed in order.

The population is every entity in the task's scope that is not excluded; the exclusions say why each
other in-scope entity is left out. Both feed `ssj-draw/1`'s commitment, so they must be exact.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from array import array
from collections import Counter, deque
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress, groupby, pairwise
from operator import itemgetter
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Collate

from shuangsuiji.accounts.models import Department
from shuangsuiji.directory.models import DirectoryListing, Entity, Inspector, Status
from shuangsuiji.draws.models import DrawSelection
from shuangsuiji.lottery import TsvLines, parse_tsv
from shuangsuiji.planning.models import Plan, Task, TaskDepartment
from shuangsuiji.planning.strata import label_expression

EXCLUSION_REASONS = {
    "deregistered": "已注销",
    "revoked": "已吊销",
    "moved-out": "已迁出",
    "suspended": "停业",
    "inspected-this-year": "本年度已就同一事项抽查（003）",
    "joint-cap": "本年度已接受两次联合抽查（004 第十条）",
}
_STATUS_REASON = {
    Status.DEREGISTERED: "deregistered",
    Status.REVOKED: "revoked",
    Status.MOVED_OUT: "moved-out",
    Status.SUSPENDED: "suspended",
}
JOINT_CAP = 2


def scope(task: Task) -> QuerySet[Entity]:
    """Entities in the task's scope, whatever their eligibility."""
    qs = Entity.objects.all()
    if task.scope_uses_list:
        qs = qs.filter(pk__in=task.scope_entities.values("entity_id"))
    else:
        # The jurisdiction test first, as `jurisdiction_id IN (subtree)`: PostgreSQL hashes the subtree once and
        # probes the listing (a correlated EXISTS) only for entities outside it — at 10^6 entities, 2.6 million
        # index probes fewer (benchmarks/bench_draw.py, P1).
        subtree = Department.objects.filter(path__startswith=task.directory.path).values("pk")
        listed = DirectoryListing.objects.filter(entity=OuterRef("pk"), department=task.directory)
        qs = qs.filter(Q(jurisdiction_id__in=subtree) | Q(Exists(listed)))
    jurisdictions = list(task.scope_jurisdictions.values_list("pk", flat=True)) if task.pk else []
    if jurisdictions:
        qs = qs.filter(jurisdiction_id__in=jurisdictions)
    for field, values in (
        ("entity_type", task.scope_entity_types),
        ("industry", task.scope_industries),
        ("fire_safety_category", task.scope_fire_categories),
        ("credit_risk_class", task.scope_credit_classes),
    ):
        if values:
            qs = qs.filter(**{f"{field}__in": values})
    return qs


def scope_industries(task: Task) -> list[str]:
    from shuangsuiji.planning.strata import UNCLASSIFIED_INDUSTRY

    values = scope(task).order_by().values_list("industry", flat=True).distinct()
    return sorted({value or UNCLASSIFIED_INDUSTRY for value in values})


def _earlier_selections(task: Task) -> QuerySet[DrawSelection]:
    return DrawSelection.objects.filter(draw__task__plan__year=task.plan.year).exclude(draw__task=task)


def _excluded_ids(task: Task) -> list[tuple[str, QuerySet[Any]]]:
    """(reason, entity ids) for the exclusions that depend on earlier draws, in the order they apply."""
    earlier = _earlier_selections(task)
    # IN (subquery) rather than correlated EXISTS: PostgreSQL hashes it once instead of probing per row.
    same_item = earlier.filter(draw__task__items__in=task.items.all()).values("entity_id")
    out: list[tuple[str, QuerySet[Any]]] = [("inspected-this-year", same_item)]
    if task.is_joint:
        capped = (
            earlier.filter(draw__task__plan__kind__in=[Plan.Kind.JOINT, Plan.Kind.TEMPORARY])
            .values("entity_id")
            .annotate(n=Count("draw", distinct=True))
            .filter(n__gte=JOINT_CAP)
            .values("entity_id")
        )
        out.append(("joint-cap", capped))
    return out


def _keys(task: Task) -> dict[str, Any]:
    return {
        "entity_key": Coalesce("uscc", "reg_no", output_field=CharField()),
        "stratum": label_expression(task.stratification),
    }


def _annotated(task: Task) -> Any:
    """The scope annotated with entity_key, stratum and exclusion ('' when eligible): the first reason that
    applies, statuses before earlier draws (the preview counts by it)."""
    whens = [When(status=status, then=Value(reason)) for status, reason in _STATUS_REASON.items()]
    whens += [When(pk__in=ids, then=Value(reason)) for reason, ids in _excluded_ids(task)]
    return scope(task).annotate(
        **_keys(task), exclusion=Case(*whens, default=Value(""), output_field=CharField())
    )


def _bytewise(expression: str) -> Any:
    # population.tsv is sorted by UTF-8 bytes: PostgreSQL's "C" collation; SQLite's default BINARY.
    return Collate(expression, "C") if connection.vendor == "postgresql" else F(expression)


def keys_are_distinct() -> bool:
    """Whether every entity's draw key (USCC, else registration number) is its own. Each column is unique; only
    an entity without a USCC whose registration number is another entity's USCC could share a key."""
    without_uscc = Entity.objects.filter(uscc=None, reg_no__isnull=False)
    return not without_uscc.filter(Exists(Entity.objects.filter(uscc=OuterRef("reg_no")))).exists()


class Freeze:
    """One ordered pass over a task's scope, for the commitment: the population as (label, keys) runs, one per
    stratum (`runs()`, for `lottery.build_commitment(population_runs=…)`), the entity id of each population
    line in order (64-bit integers, written to `ids`), and the exclusions with their reasons (`exclusions`, a
    `lottery.TsvLines` complete once `runs()` is exhausted: each piece's lines are checked and encoded as it
    is read, while the database scans the next, and only sorted at the end).

    The database sorts (an index at 10^7 entities, migration 0003) and hands over every entity in scope once;
    the exclusions are split off here. On PostgreSQL each stratum comes as one row — its keys joined by LF,
    its ids as 8-byte integers, its status codes as digits (`string_agg` over the ordered scope), in binary —
    since a row per entity costs the driver more than the database; a big stratum comes as several rows, one
    per piece of about PIECE entities (`cuts`), so that this process handles one piece while the database
    scans the next. Asking the database for the eligible ones
    instead (`id NOT IN` earlier draws: a hashed probe a row) and for the excluded ones in a second scan cost
    more again (at 10^7 entities the commit took 51 s that way, 10–16 s now; benchmarks/bench_draw.py)."""

    def __init__(self, task: Task, ids: IO[bytes] | None = None, *, chunk_size: int = 20_000) -> None:
        self.task = task
        self.ids = ids
        self.chunk_size = chunk_size
        self.exclusions = TsvLines(file="exclusions.tsv")

    def _ordered(self) -> tuple[str, Any]:
        """stratum, entity_key, eid, code (the status: '0' drawable, '1'… its exclusion) of the scope, sorted."""
        whens = [When(status=status, then=Value(str(n))) for n, status in enumerate(_STATUS_REASON, 1)]
        qs = (
            scope(self.task)
            .annotate(**_keys(self.task))
            .annotate(
                stratum_b=_bytewise("stratum"),
                key_b=_bytewise("entity_key"),
                eid=F("pk"),
                code=Case(*whens, default=Value("0"), output_field=CharField()),
            )
            .order_by("stratum_b", "key_b")
            .values_list("stratum_b", "key_b", "eid", "code")
        )
        sql, params = qs.query.get_compiler(using=qs.db).as_sql()
        return str(sql), params

    # PostgreSQL's planner settings for `grouped()`: one group at a time, fed by the ordered scan, not a hash
    # of every group at once.
    GROUPED_SETTINGS = {"enable_hashagg": "off"}

    def grouped(self, cuts: Mapping[str, Sequence[str]] | None = None) -> tuple[str, Any]:
        """PostgreSQL: a row per stratum of `_ordered()` — label, keys joined by LF, ids as big-endian 8-byte
        integers, status codes — in population order. With `cuts` (stratum → keys in order, see `cuts()`),
        such a stratum comes as consecutive rows, one per piece between its cut keys."""
        sql, params = self._ordered()
        columns = (
            "string_agg(s.key_b, E'\\n'), string_agg(int8send(s.eid), ''::bytea), string_agg(s.code, '')"
        )
        # Each part of the query as conditions the index serves as bounds: a range of strata, or one stratum
        # between two keys (a bound on the pair (stratum, key) would not end the scan within the stratum).
        cuts = cuts or {}
        parts: list[tuple[list[str], list[Any]]] = []
        previous: str | None = None
        for label in sorted(cuts, key=str.encode):
            parts.append(_strata_between(previous, label))
            for low, high in pairwise([None, *cuts[label], None]):
                where = (
                    ["s.stratum_b = %s"]
                    + (["s.key_b >= %s"] if low else [])
                    + (["s.key_b < %s"] if high else [])
                )
                parts.append((where, [label, *([low] if low else []), *([high] if high else [])]))
            previous = label
        if parts:
            parts.append(_strata_between(previous, None))
        else:
            parts = [([], [])]
        arms: list[str] = []
        arm_params: list[Any] = []
        for where, values in parts:
            arms.append(
                f"SELECT s.stratum_b, {columns} FROM ({sql}) s"  # noqa: S608  # nosec B608
                + (f" WHERE {' AND '.join(where)}" if where else "")
                + " GROUP BY s.stratum_b ORDER BY s.stratum_b"
            )
            arm_params += [*params, *values]
        if len(arms) == 1:
            return arms[0], arm_params
        # UNION ALL runs its parts in order, each as it is read: the first rows come while the rest is scanned.
        return " UNION ALL ".join(f"({arm})" for arm in arms), arm_params

    # Entities per piece when a big stratum is read in pieces (`cuts`).
    PIECE = 250_000

    def cuts(self) -> dict[str, list[str]]:
        """PostgreSQL, industry strata (read through the covering index of migration 0003, so that a piece costs
        only its own entities): for each stratum of more than two pieces of about PIECE entities, the keys
        that cut it into such pieces, from a sample of the directory's pages; none for a small directory.

        A stratum of millions is otherwise one row: it arrives whole after the database has scanned all of
        it, and this process then handles it while the database waits. In pieces, the two work at once. The
        keys come from a sample, so the pieces differ in size; the population does not depend on them."""
        if connection.vendor != "postgresql" or self.task.stratification != "industry":
            return {}
        table = Entity._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            row = cursor.fetchone()
            estimated = int(row[0]) if row and row[0] > 0 else 0
            if estimated < 2 * self.PIECE:
                return {}
            qs = (
                Entity.objects.annotate(**_keys(self.task))
                .annotate(stratum_b=_bytewise("stratum"), key_b=_bytewise("entity_key"))
                .order_by("stratum_b", "key_b")
                .values_list("stratum_b", "key_b")
            )
            sql, params = qs.query.get_compiler(using=qs.db).as_sql()
            source = f'FROM "{table}"'
            if sql.count(source) != 1:
                return {}
            # About 100 sampled entities a piece: SYSTEM samples whole pages, so it reads only those.
            sampled = f"{source} TABLESAMPLE SYSTEM ({min(100.0, 100 * 100 / self.PIECE):f}) REPEATABLE (0)"
            cursor.execute(sql.replace(source, sampled), params)
            sample = [(label, key) for label, key in cursor.fetchall() if key is not None]
        if not sample:
            return {}
        per_piece = len(sample) * self.PIECE / estimated  # sampled entities a piece
        cuts: dict[str, list[str]] = {}
        for label, group in groupby(sample, itemgetter(0)):
            keys = [key for _, key in group]
            pieces = int(len(keys) / per_piece)
            if pieces >= 2:
                cuts[label] = sorted(
                    {keys[len(keys) * i // pieces] for i in range(1, pieces)}, key=str.encode
                )
        return cuts

    def _runs(self) -> Iterator[tuple[str, Iterator[tuple[list[str], array[int], str]]]]:
        """Each stratum in population order: its label and its entities as pieces of (keys, ids, codes)."""
        if connection.vendor == "postgresql":
            rows = chain.from_iterable(
                _chunks(*self.grouped(self.cuts()), 1, settings=self.GROUPED_SETTINGS, binary=True)
            )
            for label, pieces in groupby(rows, itemgetter(0)):  # a stratum cut into pieces: consecutive rows
                yield label, (_piece(label, keys, ids, codes) for _, keys, ids, codes in pieces)
            return
        for label, group in groupby(
            chain.from_iterable(_chunks(*self._ordered(), self.chunk_size)), itemgetter(0)
        ):
            run = list(group)
            keys = list(map(itemgetter(1), run))
            yield label, iter([(keys, array("q", map(itemgetter(2), run)), "".join(map(itemgetter(3), run)))])

    def runs(self) -> Generator[tuple[str, Iterator[str]], None, None]:
        """(label, its eligible keys) of each stratum, in order; a run may be empty (every entity excluded).
        Each run must be read to its end before the next: reading it writes the ids and the exclusions."""
        # Earlier draws' exclusions as a byte per entity id (0, or 1 + the index of the first reason that
        # applies): 10 MB at 10^7 entities, read in C — a set of a million ids costs a cache miss a lookup.
        earlier = [(reason, _id_array(drawn)) for reason, drawn in _excluded_ids(self.task)]
        reasons = [reason for reason, _ in earlier]
        marked = bytearray(max((max(ids, default=0) for _, ids in earlier), default=0) + 1)
        for n, (_, drawn_ids) in reversed(list(enumerate(earlier, 1))):
            for pk in drawn_ids:
                marked[pk] = n
        del earlier
        for label, pieces in self._runs():
            yield label, chain.from_iterable(self._eligible(pieces, marked, reasons))

    def _eligible(
        self, pieces: Iterator[tuple[list[str], array[int], str]], marked: bytearray, reasons: list[str]
    ) -> Iterator[list[str]]:
        """The eligible keys of each piece; the ids of the eligible ones written, the others' reasons noted."""
        for keys, ids, codes in pieces:
            top = max(ids, default=0)
            if top >= len(marked):
                marked.extend(bytes(top + 1 - len(marked)))
            # A byte per entity, all in C: its earlier-draw mark, whether its status excludes it, their OR.
            marks = bytes(itemgetter(*ids)(marked)) if len(ids) > 1 else bytes(map(marked.__getitem__, ids))
            n = len(marks)
            if codes.count("0") != n or marks.count(0) != n:
                status = codes.encode("ascii").translate(_NOT_ZERO_DIGIT)
                out = (int.from_bytes(status, "big") | int.from_bytes(marks, "big")).to_bytes(n, "big")
                why = zip(compress(codes, out), compress(marks, out), strict=True)
                self.exclusions.add(
                    zip(
                        compress(keys, out),
                        [_BY_STATUS.get(code) or reasons[mark - 1] for code, mark in why],
                        strict=True,
                    )
                )
                kept = out.translate(_ZERO)
                keys, ids = list(compress(keys, kept)), array("q", compress(ids, kept))
            if self.ids is not None:
                self.ids.write(ids.tobytes())
            yield keys


def _strata_between(low: str | None, high: str | None) -> tuple[list[str], list[Any]]:
    """Conditions for the strata strictly between two labels (None: no bound)."""
    where = (["s.stratum_b > %s"] if low is not None else []) + (
        ["s.stratum_b < %s"] if high is not None else []
    )
    return where, [label for label in (low, high) if label is not None]


_BY_STATUS = {str(n): reason for n, reason in enumerate(_STATUS_REASON.values(), 1)}


def _piece(label: str, text: str, ids: bytes, codes: str) -> tuple[list[str], array[int], str]:
    """A stratum, or a piece of one, as PostgreSQL aggregates it: its keys (joined by LF), ids, status codes."""
    keys = text.split("\n")
    numbers = _int8s(ids)
    if not (len(keys) == len(numbers) == len(codes)):
        raise ValidationError(
            f"分层 {label} 中有检查对象的代码含有换行符，无法生成抽取名录，请先更正名录库。"
        )
    return keys, numbers, codes


def _id_array(entity_ids: QuerySet[Any]) -> array[int]:
    """The entity ids a `.values("entity_id")` query gives, as 64-bit integers. On PostgreSQL in one row (as
    8-byte big-endian integers joined): at 10^7 entities a year's earlier draws hold a million ids, a second
    as a million rows. In no order: with the selections' default ordering (draw, rank) PostgreSQL sorted that
    million on disk first (the query 0.8-1.3 s with it, 0.5 s without; EXPLAIN ANALYZE at 10^7 entities)."""
    entity_ids = entity_ids.order_by()
    if connection.vendor != "postgresql":
        return array("q", entity_ids.values_list("entity_id", flat=True).iterator(chunk_size=20_000))
    sql, params = entity_ids.query.get_compiler(using=entity_ids.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT string_agg(int8send(t.entity_id), ''::bytea) FROM ({sql}) t", params)  # noqa: S608  # nosec B608
        return _int8s(cursor.fetchone()[0] or b"")


def _int8s(packed: bytes) -> array[int]:
    """PostgreSQL's `int8send` values joined (8-byte big-endian integers) as an array."""
    numbers = array("q")
    numbers.frombytes(packed)
    if sys.byteorder == "little":
        numbers.byteswap()
    return numbers


_NOT_ZERO_DIGIT = bytes(int(b != ord("0")) for b in range(256))  # b"0" → 0, any other byte → 1
_ZERO = bytes(int(b == 0) for b in range(256))  # 0 → 1, any other byte → 0


def _chunks(
    sql: str,
    params: Any,
    chunk_size: int,
    *,
    settings: Mapping[str, str] | None = None,
    binary: bool = False,
) -> Iterator[list[Any]]:
    """The rows of a query in lists of `chunk_size`. On PostgreSQL inside a transaction, from a server-side
    cursor, with a thread fetching the next chunk while the caller handles this one: the database computes the
    rows (at 10^7 entities, most of the commit) while this process checks and hashes them, not in turn.
    `settings` (PostgreSQL planner settings) hold while the query is planned, and are restored after.
    `binary`: PostgreSQL sends the rows in its binary format (bytea as it is, not as hex text to decode).

    The thread only calls fetchmany() on a cursor declared here in the caller's transaction (same connection,
    same snapshot); the caller issues no other query until the stream ends or is closed."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(chunk_size):
                yield rows
        return
    previous: list[tuple[str, str]] = []
    with connection.cursor() as plain:
        for name, value in (settings or {}).items():
            plain.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
            previous.append((name, plain.fetchone()[0]))
    cursor = connection.chunked_cursor()
    if binary:  # past Django's wrapper, which has no such argument (its error translation kept)
        with connection.wrap_database_errors:
            cursor.cursor.execute(sql, params, binary=True)  # DECLARE: planned now
    else:
        cursor.execute(sql, params)
    with connection.cursor() as plain:
        for name, value in previous:
            plain.execute("SELECT set_config(%s, %s, true)", [name, value])
    chunks: queue.Queue[Any] = queue.Queue(maxsize=4)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                rows = cursor.fetchmany(chunk_size)
                chunks.put(rows)
                if not rows:
                    return
        except BaseException as error:  # handed to the consumer, raised there
            chunks.put(error)

    thread = threading.Thread(target=fetch, name="ssj-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a fetch waiting on a full queue
            with contextlib.suppress(queue.Empty):
                chunks.get_nowait()
            thread.join(0.01)
        cursor.close()


def population_pairs(task: Task, *, chunk_size: int = 20_000) -> Generator[tuple[str, str], None, None]:
    """(stratum_label, entity_key) of every eligible entity, sorted as population.tsv requires."""
    for label, keys in Freeze(task, chunk_size=chunk_size).runs():
        for key in keys:
            yield label, key


def exclusion_lines(task: Task) -> TsvLines:
    """(entity_key, reason) of every entity in scope that cannot be drawn, for exclusions.tsv."""
    freeze = Freeze(task)
    for _, keys in freeze.runs():
        deque(keys, maxlen=0)
    return freeze.exclusions


def exclusion_pairs(task: Task) -> list[tuple[str, str]]:
    """(entity_key, reason) of every entity in scope that cannot be drawn, in key order (exclusions.tsv's)."""
    return [(key, reason) for key, reason in parse_tsv(exclusion_lines(task).tsv(), file="exclusions.tsv")]


@dataclass
class Preview:
    """What the task page shows before any draw."""

    strata: list[dict[str, Any]]
    eligible: int
    selected: int
    excluded: dict[str, int]

    @property
    def overall_bp(self) -> int:
        return (self.selected * 10000) // self.eligible if self.eligible else 0

    @property
    def overall_percent(self) -> str:
        return f"{self.selected * 100 / self.eligible:.2f}%" if self.eligible else "—"

    @property
    def below_minimum(self) -> bool:
        return self.eligible > 0 and self.selected * 50 < self.eligible  # < 2% (000)


def preview(task: Task) -> Preview:
    """Eligible count per stratum and excluded count per reason, in one scan (GROUP BY stratum, exclusion)."""
    counts = (
        _annotated(task)
        .order_by()
        .values_list("stratum", "exclusion")
        .annotate(n=Count("pk"))
        .values_list("stratum", "exclusion", "n")
    )
    sizes: Counter[str] = Counter()
    excluded: Counter[str] = Counter()
    for stratum, exclusion, n in counts:
        if exclusion:
            excluded[str(exclusion)] += int(n)
        else:
            sizes[str(stratum)] += int(n)
    return preview_from_sizes(task, sizes, excluded)


def preview_from_sizes(task: Task, sizes: Mapping[str, int], excluded: Mapping[str, int]) -> Preview:
    """The preview of `task` for given stratum sizes and excluded counts per reason code."""
    from shuangsuiji.lottery import quota

    rows: list[dict[str, Any]] = []
    eligible = selected = 0
    for stratum in task.strata.all():
        size = sizes.get(stratum.label, 0)
        share = quota(size, stratum.rate_bp)
        eligible, selected = eligible + size, selected + share
        rows.append(
            {
                "label": stratum.label,
                "name": stratum.name,
                "rate_bp": stratum.rate_bp,
                "rate_percent": stratum.rate_percent,
                "size": size,
                "quota": share,
            }
        )
    return Preview(
        rows,
        eligible,
        selected,
        {EXCLUSION_REASONS.get(str(k), str(k)): int(v) for k, v in sorted(excluded.items())},
    )


def pool_inspectors(task_department: TaskDepartment) -> QuerySet[Inspector]:
    """Drawable inspectors (qualified, on duty) of one participating department, per its pool scope."""
    department = task_department.department
    qs = Inspector.objects.filter(qualified=True, on_duty=True)
    scope_ = task_department.pool_scope
    stations = list(task_department.pool_stations.all()) if task_department.pk else []
    if scope_ == TaskDepartment.PoolScope.WHOLE:
        return qs.filter(department__path__startswith=department.path)
    if scope_ == TaskDepartment.PoolScope.BUREAU_AND_STATIONS:
        bureau = Q(department=department) | Q(department__parent=department, department__kind="section")
        return qs.filter(bureau | Q(department__in=stations))
    return qs.filter(department__in=stations)
