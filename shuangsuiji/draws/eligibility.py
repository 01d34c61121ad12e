"""Who can be drawn for a task, and why the others cannot — computed in the database, streamed in order.

The population is every entity in the task's scope that is not excluded; the exclusions say why each
other in-scope entity is left out. Both feed `ssj-draw/1`'s commitment, so they must be exact.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import Counter
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Collate

from shuangsuiji.accounts.models import Department
from shuangsuiji.directory.models import DirectoryListing, Entity, Inspector, Status
from shuangsuiji.draws.models import DrawSelection
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
    applies, statuses before earlier draws (the preview and exclusions.tsv need the reason)."""
    whens = [When(status=status, then=Value(reason)) for status, reason in _STATUS_REASON.items()]
    whens += [When(pk__in=ids, then=Value(reason)) for reason, ids in _excluded_ids(task)]
    return scope(task).annotate(
        **_keys(task), exclusion=Case(*whens, default=Value(""), output_field=CharField())
    )


def eligible(task: Task) -> QuerySet[Entity]:
    """The scope minus every exclusion, as plain filters — the rows `_annotated(task)` gives exclusion ''.

    Plain `status NOT IN` / `id NOT IN (hashed subquery)` filters, not `CASE … = ''`: PostgreSQL estimates
    them well and keeps the scan's order, so an index on the population's ORDER BY (migration 0003) streams
    the population sorted, without a sort (benchmarks/bench_draw.py, P2 and P7)."""
    qs = scope(task).exclude(status__in=list(_STATUS_REASON))
    for _, ids in _excluded_ids(task):
        qs = qs.exclude(pk__in=ids)
    return qs


def _bytewise(expression: str) -> Any:
    # population.tsv is sorted by UTF-8 bytes: PostgreSQL's "C" collation; SQLite's default BINARY.
    return Collate(expression, "C") if connection.vendor == "postgresql" else expression


def population_pairs(task: Task, *, chunk_size: int = 20_000) -> Generator[tuple[str, str], None, None]:
    """(stratum_label, entity_key) of every eligible entity, sorted as population.tsv requires."""
    annotated: Any = eligible(task).annotate(**_keys(task))
    qs = annotated.order_by(_bytewise("stratum"), _bytewise("entity_key")).values_list(
        "stratum", "entity_key"
    )
    yield from _prefetched(qs, chunk_size)


def exclusion_pairs(task: Task) -> Generator[tuple[str, str], None, None]:
    yield from _prefetched(
        _annotated(task).exclude(exclusion="").values_list("entity_key", "exclusion"), 20_000
    )


def _prefetched(qs: Any, chunk_size: int) -> Iterator[Any]:
    """The rows of a values_list queryset, streamed; on PostgreSQL inside a transaction, a thread fetches the
    next chunks from the server-side cursor while the caller consumes this one, so that the database computes
    the rows (at 10^7 entities, ~15 s) while the lottery validates and hashes them, not in turn.

    The thread only calls fetchmany() on a cursor declared here in the caller's transaction (same connection,
    same snapshot); the caller issues no other query until the stream ends or is closed."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield from qs.iterator(chunk_size=chunk_size)
        return
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    cursor = connection.chunked_cursor()
    cursor.execute(sql, params)
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

    def results() -> Iterator[list[Any]]:
        while True:
            item = chunks.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item

    thread = threading.Thread(target=fetch, name="ssj-prefetch", daemon=True)
    thread.start()
    try:
        yield from compiler.results_iter(results=results(), tuple_expected=True)
    finally:
        stop.set()
        while thread.is_alive():  # unblock a fetch waiting on a full queue
            with contextlib.suppress(queue.Empty):
                chunks.get_nowait()
            thread.join(0.01)
        cursor.close()


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
