"""Who can be drawn for a task, and why the others cannot — computed in the database, streamed in order.

The population is every entity in the task's scope that is not excluded; the exclusions say why each
other in-scope entity is left out. Both feed `ssj-draw/1`'s commitment, so they must be exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Collate

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
        listed = DirectoryListing.objects.filter(entity=OuterRef("pk"), department=task.directory)
        qs = qs.filter(Q(Exists(listed)) | Q(jurisdiction__path__startswith=task.directory.path))
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


def _annotated(task: Task) -> Any:
    """The scope annotated with entity_key, stratum and exclusion ('' when eligible)."""
    year = task.plan.year
    earlier = DrawSelection.objects.filter(draw__task__plan__year=year).exclude(draw__task=task)
    # IN (subquery) rather than correlated EXISTS: PostgreSQL hashes it once instead of probing per row.
    same_item = earlier.filter(draw__task__items__in=task.items.all()).values("entity_id")
    whens = [When(status=status, then=Value(reason)) for status, reason in _STATUS_REASON.items()]
    whens.append(When(pk__in=same_item, then=Value("inspected-this-year")))
    if task.is_joint:
        capped = (
            earlier.filter(draw__task__plan__kind__in=[Plan.Kind.JOINT, Plan.Kind.TEMPORARY])
            .values("entity_id")
            .annotate(n=Count("draw", distinct=True))
            .filter(n__gte=JOINT_CAP)
            .values("entity_id")
        )
        whens.append(When(pk__in=capped, then=Value("joint-cap")))
    return scope(task).annotate(
        entity_key=Coalesce("uscc", "reg_no", output_field=CharField()),
        stratum=label_expression(task.stratification),
        exclusion=Case(*whens, default=Value(""), output_field=CharField()),
    )


def _bytewise(expression: str) -> Any:
    # population.tsv is sorted by UTF-8 bytes: PostgreSQL's "C" collation; SQLite's default BINARY.
    return Collate(expression, "C") if connection.vendor == "postgresql" else expression


def population_pairs(task: Task, *, chunk_size: int = 20_000) -> Iterator[tuple[str, str]]:
    """(stratum_label, entity_key) of every eligible entity, sorted as population.tsv requires."""
    qs = (
        _annotated(task)
        .filter(exclusion="")
        .order_by(_bytewise("stratum"), _bytewise("entity_key"))
        .values_list("stratum", "entity_key")
    )
    yield from qs.iterator(chunk_size=chunk_size)


def exclusion_pairs(task: Task) -> Iterator[tuple[str, str]]:
    yield from (
        _annotated(task)
        .exclude(exclusion="")
        .values_list("entity_key", "exclusion")
        .iterator(chunk_size=20_000)
    )


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
    from shuangsuiji.lottery import quota

    annotated = _annotated(task)
    sizes = Counter(
        dict(
            annotated.filter(exclusion="")
            .values_list("stratum")
            .annotate(n=Count("pk"))
            .values_list("stratum", "n")
        )
    )
    excluded = dict(
        annotated.exclude(exclusion="")
        .values_list("exclusion")
        .annotate(n=Count("pk"))
        .values_list("exclusion", "n")
    )
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
                "quota": quota(size, stratum.rate_bp),
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
