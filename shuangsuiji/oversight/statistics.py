"""The figures of 效果可评: each a plain table (headers + rows) computed in SQL aggregates, so a chart, a page
table, an export and the year-end report all show the same numbers.

Conventions (the tests compute each by hand):
- The year of a record is its plan's year; a department's "drawn" are its parts (one per drawn entity it
  must inspect); "inspected" has an inspection date; "entered" is submitted; "published" is in a published
  record; "on time" was published no later than `results_due`; "overdue" is unpublished past `results_due`
  and counts as not done (004 第二十九条).
- A record "found a problem" when any current result's code `is_problem`.

Scale (benchmarks/bench_oversight.py, 10^6 results a year): every table is one or two grouped scans of the year's
rows, filtered on the year's few hundred task or draw ids; nothing per row comes into Python. Even so the
fifteen tables read the year several times over (seconds, not milliseconds, at 10^6), so the page reads a
`DashboardSnapshot` per (year, scope) and the worker computes the next one when it is older than FRESH_SECONDS
or of another day (`dashboard_for_page`); `compute_dashboard()` always computes.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.core.models import Job
from shuangsuiji.directory.models import CreditRiskClass, DirectoryListing, Entity, EntityType, Status
from shuangsuiji.draws.models import Draw, DrawSelection, TeamMember
from shuangsuiji.inspections.models import FollowUp, InspectionRecord, RecordPart, Result
from shuangsuiji.oversight.models import DashboardSnapshot
from shuangsuiji.planning.models import Plan, Task


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""
    # which columns a chart shows: (label column, [value columns])
    chart: tuple[int, list[int]] | None = None
    chart_kind: str = "bar"

    def chart_data(self) -> dict[str, Any] | None:
        if self.chart is None or not self.rows:
            return None
        label, values = self.chart
        return {
            "kind": self.chart_kind,
            "labels": [str(r[label]) for r in self.rows],
            "series": [{"name": self.headers[v], "data": [r[v] for r in self.rows]} for v in values],
        }


def percent(part: int | float, whole: int | float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _scoped(qs: QuerySet[Any], field_name: str, ids: frozenset[int] | None) -> QuerySet[Any]:
    return qs if ids is None else qs.filter(**{f"{field_name}__in": ids})


# --- the year's tasks and draws (a few hundred ids: every big query filters on them, no join to plans) ---


def _year_tasks(year: int) -> list[int]:
    return list(Task.objects.filter(plan__year=year).values_list("pk", flat=True))


def _drawn(year: int) -> QuerySet[Draw]:
    """The year's drawn draws, never loading their big texts (exclusions, result: megabytes at 10^7)."""
    return Draw.objects.filter(task__plan__year=year, state=Draw.State.DRAWN)


def _strata(commitment_json: str) -> list[Any]:
    from shuangsuiji.draws.services import committed_strata

    return committed_strata(Draw(commitment_json=commitment_json))


# --- progress per department and per plan ------------------------------------------------------------

# (department_id, task_id) → the counts of PROGRESS_HEADERS' first seven columns, and open follow-ups
Cells = tuple[dict[tuple[int, int], dict[str, int]], dict[tuple[int, int], tuple[int, int]]]
COUNTS = ("drawn", "inspected", "entered", "published", "on_time", "late", "overdue")


def _progress_cells(year: int, ids: frozenset[int] | None, today: date) -> Cells:
    """One grouped scan of the year's parts (and one of its open follow-ups), by department × task: both
    progress tables are sums of these cells."""
    tasks = _year_tasks(year)
    published = Q(record__state=InspectionRecord.State.PUBLISHED)
    parts = _scoped(RecordPart.objects.filter(record__task_id__in=tasks), "department_id", ids)
    rows = (
        parts.values("department_id", "record__task_id")
        .annotate(
            drawn=Count("pk"),
            inspected=Count("pk", filter=Q(record__inspected_from__isnull=False)),
            entered=Count("pk", filter=Q(state=RecordPart.State.ENTERED)),
            published=Count("pk", filter=published),
            on_time=Count(
                "pk", filter=published & Q(record__published_at__date__lte=F("record__results_due"))
            ),
            late=Count("pk", filter=published & Q(record__published_at__date__gt=F("record__results_due"))),
            overdue=Count("pk", filter=~published & Q(record__results_due__lt=today)),
        )
        .order_by()
    )
    counts = {(r["department_id"], r["record__task_id"]): {k: r[k] for k in COUNTS} for r in rows}
    followups = _scoped(
        FollowUp.objects.filter(record__task_id__in=tasks, state=FollowUp.State.OPEN), "department_id", ids
    )
    open_ = {
        (r["department_id"], r["record__task_id"]): (r["n"], r["overdue"])
        for r in followups.values("department_id", "record__task_id")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(due__lt=today)))
        .order_by()
    }
    return counts, open_


def _sum(cells: list[dict[str, int]]) -> dict[str, int]:
    return {k: sum(c[k] for c in cells) for k in COUNTS}


PROGRESS_HEADERS = [
    "抽中对象",
    "已检查",
    "已录入",
    "已公示",
    "按期公示",
    "逾期公示",
    "逾期未公示（视为未完成）",
    "按期完成率%",
    "后续处置未办结",
    "其中逾期",
]


def _progress_row(counts: dict[str, Any], followups: tuple[int, int]) -> list[Any]:
    return [
        counts["drawn"],
        counts["inspected"],
        counts["entered"],
        counts["published"],
        counts["on_time"],
        counts["late"],
        counts["overdue"],
        percent(counts["on_time"], counts["drawn"]),
        followups[0],
        followups[1],
    ]


def progress_by_department(
    year: int, ids: frozenset[int] | None, today: date, cells: Cells | None = None
) -> Table:
    table = Table(
        "progress_departments",
        "各部门任务进度",
        ["部门", *PROGRESS_HEADERS],
        note="逾期未录入、未公示的视为未完成任务（004 第二十九条）。",
        chart=(0, [5, 6, 7]),
    )
    counts, followups = cells or _progress_cells(year, ids, today)
    by_department: dict[int, list[dict[str, int]]] = defaultdict(list)
    for (department_id, _task), cell in counts.items():
        by_department[department_id].append(cell)
    open_by: Counter[int] = Counter()
    overdue_by: Counter[int] = Counter()
    for (department_id, _task), (n, overdue) in followups.items():
        open_by[department_id] += n
        overdue_by[department_id] += overdue
    for department in Department.objects.filter(pk__in=list(by_department)).order_by("path"):
        total = _sum(by_department[department.pk])
        table.rows.append(
            [department.name, *_progress_row(total, (open_by[department.pk], overdue_by[department.pk]))]
        )
    return table


def progress_by_plan(year: int, ids: frozenset[int] | None, today: date, cells: Cells | None = None) -> Table:
    table = Table("progress_plans", "各计划任务进度", ["计划", "发起部门", *PROGRESS_HEADERS])
    counts, followups = cells or _progress_cells(year, ids, today)
    plan_of = dict(Task.objects.filter(plan__year=year).values_list("pk", "plan_id"))
    by_plan: dict[int, list[dict[str, int]]] = defaultdict(list)
    for (_department, task_id), cell in counts.items():
        by_plan[plan_of[task_id]].append(cell)
    open_by: Counter[int] = Counter()
    overdue_by: Counter[int] = Counter()
    for (_department, task_id), (n, overdue) in followups.items():
        open_by[plan_of[task_id]] += n
        overdue_by[plan_of[task_id]] += overdue
    for plan in Plan.objects.filter(pk__in=list(by_plan)).select_related("department").order_by("ref"):
        total = _sum(by_plan[plan.pk])
        table.rows.append(
            [
                plan.ref,
                plan.department.name,
                *_progress_row(total, (open_by[plan.pk], overdue_by[plan.pk])),
            ]
        )
    return table


# --- results ------------------------------------------------------------------------------------------

DIMENSIONS = ("code", "item", "department", "entity_type", "credit")


def _result_cells(year: int, ids: frozenset[int] | None) -> list[dict[str, Any]]:
    """The year's current published results counted in one grouped scan by code × item × department ×
    entity type × credit class (a few thousand cells at most); each distribution is a sum of these."""
    results = Result.objects.filter(
        current=True,
        code__isnull=False,
        part__record__state=InspectionRecord.State.PUBLISHED,
        part__record__task_id__in=_year_tasks(year),
    )
    return list(
        _scoped(results, "part__department_id", ids)
        .values(
            "code_id",
            "item_id",
            "part__department_id",
            "part__record__entity__entity_type",
            "part__record__entity__credit_risk_class",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )


def results_by(
    year: int, ids: frozenset[int] | None, dimension: str, cells: list[dict[str, Any]] | None = None
) -> Table:
    from shuangsuiji.catalog.models import InspectionItem, ResultCode

    cells = _result_cells(year, ids) if cells is None else cells
    codes = {c.pk: c for c in ResultCode.objects.filter(pk__in={c["code_id"] for c in cells})}
    if dimension == "code":
        table = Table(
            "results_code",
            "检查结果分布（按结果）",
            ["检查结果", "结果数", "占比%"],
            chart=(0, [1]),
            chart_kind="pie",
        )
        by_code: Counter[tuple[int, str]] = Counter()
        for c in cells:
            code = codes[c["code_id"]]
            by_code[(code.number, code.label)] += c["n"]
        total = sum(by_code.values())
        table.rows = [
            [f"{number}. {label}", n, percent(n, total)] for (number, label), n in sorted(by_code.items())
        ]
        return table
    fields = {
        "item": ("results_item", "检查结果分布（按抽查事项）", "抽查事项", "item_id"),
        "department": ("results_department", "检查结果分布（按部门）", "部门", "part__department_id"),
        "entity_type": (
            "results_entity_type",
            "检查结果分布（按主体类型）",
            "主体类型",
            "part__record__entity__entity_type",
        ),
        "credit": (
            "results_credit",
            "检查结果分布（按信用风险分类）",
            "信用风险分类",
            "part__record__entity__credit_risk_class",
        ),
    }
    key, title, label, path = fields[dimension]
    table = Table(key, title, [label, "结果数", "发现问题", "问题发现率%"], chart=(0, [1, 2]))
    # grouped by what is shown (an item's or a department's name, a class's code), ordered by it
    if dimension == "item":
        values = dict(
            InspectionItem.objects.filter(pk__in={c["item_id"] for c in cells}).values_list("pk", "name")
        )
    elif dimension == "department":
        values = dict(Department.objects.filter(pk__in={c[path] for c in cells}).values_list("pk", "name"))
    else:
        values = {c[path]: c[path] for c in cells}
    totals: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for c in cells:
        cell = totals[values[c[path]]]
        cell[0] += c["n"]
        cell[1] += c["n"] if codes[c["code_id"]].is_problem else 0
    names = {
        "entity_type": dict(EntityType.choices),
        "credit": dict(CreditRiskClass.choices),
    }.get(dimension, {})
    for value, (n, problems) in sorted(totals.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        shown = names.get(value, value) or "（未分类）"
        table.rows.append([shown, n, problems, percent(problems, n)])
    return table


def problem_rate_by_stratum(year: int, ids: frozenset[int] | None) -> Table:
    """Per stratum of each drawn task: population, sample, problem rate; and the comparison with uniform
    sampling: the problems a uniform sample of the same size would be expected to find, Σ n·(N_s/N)·p_s,
    against those the risk-based sample found, Σ n_s·p_s (p_s estimated from the sample itself)."""
    table = Table(
        "strata",
        "问题发现率（按分层）与均匀抽样比较",
        ["任务", "分层", "名录库对象数", "抽查数", "已公示", "发现问题", "问题发现率%"],
        chart=(1, [6]),
    )
    totals: list[list[Any]] = []
    of_year = {"task_id__in": _year_tasks(year), "state": InspectionRecord.State.PUBLISHED}
    records = InspectionRecord.objects.filter(**of_year)
    # A record found a problem when any current result of any of its parts did: the distinct records among
    # the year's current problem results (joins and a grouping, no subquery per record).
    problems = Result.objects.filter(
        current=True, code__is_problem=True, **{f"part__record__{k}": v for k, v in of_year.items()}
    )
    if ids is not None:
        records = records.filter(
            Exists(RecordPart.objects.filter(record_id=OuterRef("pk"), department_id__in=ids))
        )
        problems = problems.filter(
            Exists(RecordPart.objects.filter(record_id=OuterRef("part__record_id"), department_id__in=ids))
        )
    by_task: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for task_id, stratum, n in (
        records.values_list("task_id", "selection__stratum").annotate(n=Count("pk")).order_by()
    ):
        by_task[task_id][stratum][1] = n
    for task_id, stratum, n in (
        problems.values_list("part__record__task_id", "part__record__selection__stratum")
        .annotate(n=Count("part__record_id", distinct=True))
        .order_by()
    ):
        by_task[task_id][stratum][2] = n
    sampled = (
        DrawSelection.objects.filter(draw__task_id__in=list(by_task))
        .values_list("draw__task_id", "stratum")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for task_id, stratum, n in sampled:
        by_task[task_id][stratum][0] = n

    found_total = expected_total = 0.0
    draws = (
        Draw.objects.filter(task_id__in=list(by_task))
        .order_by("pk")
        .values_list("task_id", "task__ref", "commitment_json")
    )
    for task_id, ref, commitment_json in draws:
        strata = {s.label: s for s in _strata(commitment_json)}
        population = sum(s.size for s in strata.values())
        sample = sum(cell[0] for cell in by_task[task_id].values())
        found = expected = 0.0
        for label, (n, published, problems_) in sorted(by_task[task_id].items()):
            size = strata[label].size if label in strata else 0
            rate = problems_ / published if published else 0.0
            found += n * rate
            expected += sample * (size / population if population else 0) * rate
            name = strata[label].name if label in strata else label
            table.rows.append([ref, name, size, n, published, problems_, percent(problems_, published)])
        found_total += found
        expected_total += expected
        totals.append([ref, round(found, 1), round(expected, 1)])
    if totals:
        lift = f"{found_total / expected_total:.2f} 倍" if expected_total else "—"
        table.note = (
            f"按风险分层抽取，预计发现问题 {found_total:.1f} 户；同样数量均匀抽取，按各层问题发现率估计为 {expected_total:.1f} 户"
            f"（分层抽取为均匀抽取的 {lift}）。未抽到的层无法估计，按 0 计。"
        )
    return table


# --- coverage -----------------------------------------------------------------------------------------


def _entities(ids: frozenset[int] | None) -> QuerySet[Entity]:
    """Active entities in scope: under the departments' jurisdiction or in one of their directories (an
    EXISTS, not a join: no DISTINCT over the register)."""
    qs = Entity.objects.filter(status=Status.ACTIVE)
    if ids is None:
        return qs
    listed = DirectoryListing.objects.filter(entity_id=OuterRef("pk"), department_id__in=ids)
    return qs.filter(Q(jurisdiction_id__in=ids) | Exists(listed))


def _by_credit(qs: QuerySet[Entity]) -> dict[str, int]:
    return dict(qs.values_list("credit_risk_class").annotate(n=Count("pk")).order_by())


def coverage(year: int, ids: frozenset[int] | None) -> Table:
    table = Table(
        "coverage",
        "检查覆盖（按信用风险分类）",
        [
            "信用风险分类",
            "在册对象",
            f"{year}年已检查",
            "覆盖率%",
            f"{year - 2}–{year}年已检查",
            "三年覆盖率%",
        ],
        chart=(0, [3, 5]),
    )
    entities = _entities(ids)
    inspected = InspectionRecord.objects.filter(inspected_from__isnull=False)
    this_year = inspected.filter(task__plan__year=year).values("entity_id")
    three = inspected.filter(task__plan__year__gte=year - 2, task__plan__year__lte=year).values("entity_id")
    # `pk IN (subquery)` in WHERE is a semi-join (hashed once); inside an aggregate's FILTER it would be a
    # subplan run per entity, which PostgreSQL cannot hash once the subquery outgrows work_mem.
    registered = _by_credit(entities)
    in_year = _by_credit(entities.filter(pk__in=this_year))
    in_three = _by_credit(entities.filter(pk__in=three))
    names = dict(CreditRiskClass.choices)
    for credit in sorted(registered):
        n, y, t = registered[credit], in_year.get(credit, 0), in_three.get(credit, 0)
        table.rows.append([names.get(credit, "（未分类）"), n, y, percent(y, n), t, percent(t, n)])
    return table


def never_inspected(ids: frozenset[int] | None, limit: int = 200) -> Table:
    inspected = InspectionRecord.objects.filter(entity_id=OuterRef("pk"), inspected_from__isnull=False)
    qs = _entities(ids).filter(~Exists(inspected))
    total = qs.count()
    table = Table(
        "never",
        "从未检查的对象",
        ["单位名称", "统一社会信用代码", "信用风险分类", "管辖单位"],
        note=f"共 {total} 户（此处列出前 {min(total, limit)} 户，导出可得全部）。",
    )
    table.rows = [
        [e.name, e.uscc or e.reg_no, e.get_credit_risk_class_display(), e.jurisdiction.name]
        for e in qs.select_related("jurisdiction").order_by("uscc")[:limit]
    ]
    return table


def over_inspected(year: int, ids: frozenset[int] | None) -> Table:
    """An entity drawn twice in one year for the same item (003: in principle not again that year), or in
    more than two joint tasks (004 第十条). Should be empty; when not, each is listed."""
    table = Table("over", "超过规定频次的检查", ["单位名称", "统一社会信用代码", "情况", "任务"])
    draws = _drawn(year).filter(task__origin="drawn")
    if ids is not None:
        draws = draws.filter(task__plan__department_id__in=ids)
    draw_ids = list(draws.values_list("pk", flat=True))
    selections = DrawSelection.objects.filter(draw_id__in=draw_ids)
    # Aggregate in SQL first (10^6 selections a year must not come into Python), then fetch the few rows.
    # An entity is selected at most once per draw and a task has one draw: rows counted = tasks.
    twice = set(
        selections.values("entity_id", "draw__task__items")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("entity_id", "draw__task__items")
        .order_by()
    )
    joint_kinds = [Plan.Kind.JOINT, Plan.Kind.TEMPORARY]
    joint = selections.filter(draw__task__plan__kind__in=joint_kinds)
    thrice = list(
        joint.values("entity_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=2)
        .values_list("entity_id", flat=True)
        .order_by()
    )
    refs: dict[tuple[int, int], set[str]] = defaultdict(set)
    for entity_id, item_id, ref in selections.filter(entity_id__in={e for e, _ in twice}).values_list(
        "entity_id", "draw__task__items", "draw__task__ref"
    ):
        if (entity_id, item_id) in twice:
            refs[(entity_id, item_id)].add(ref)
    joint_refs: dict[int, set[str]] = defaultdict(set)
    for entity_id, ref in joint.filter(entity_id__in=thrice).values_list("entity_id", "draw__task__ref"):
        joint_refs[entity_id].add(ref)
    problems: dict[int, list[tuple[str, list[str]]]] = defaultdict(list)
    for (entity_id, _item), found in sorted(refs.items()):
        problems[entity_id].append((f"同一事项一年内被抽中 {len(found)} 次", sorted(found)))
    for entity_id in sorted(thrice):
        found = joint_refs[entity_id]
        problems[entity_id].append((f"一年内 {len(found)} 次联合抽查（上限 2 次）", sorted(found)))
    entities = Entity.objects.in_bulk(list(problems))
    for entity_id, found_list in problems.items():
        for what, task_refs in found_list:
            table.rows.append(
                [entities[entity_id].name, entities[entity_id].uscc, what, "、".join(task_refs)]
            )
    table.note = "应当为空。" if not table.rows else "请核查以上对象的抽取情况。"
    return table


# --- joint-inspection duties --------------------------------------------------------------------------


def joint_duties(year: int) -> Table:
    table = Table("joint", "部门联合抽查（004 第九条）", ["部门", "要求", "发起", "参与", "情况"])
    joint = Plan.objects.filter(year=year, kind__in=[Plan.Kind.JOINT, Plan.Kind.TEMPORARY]).exclude(
        state=Plan.State.DRAFT
    )
    initiated = Counter(joint.values_list("department_id", flat=True))
    joined = Counter(joint.values_list("participants", flat=True))
    for department in Department.objects.filter(
        parent__isnull=True, kind=Department.Kind.BUREAU, is_active=True
    ).order_by("path"):
        started, took_part = initiated.get(department.pk, 0), joined.get(department.pk, 0)
        duty = department.joint_duty
        if duty == Department.JointDuty.INITIATE:
            status = "已完成" if started else "尚未发起"
        elif duty == Department.JointDuty.JOIN:
            status = "已完成" if started or took_part else "尚未发起或参与"
        else:
            status = "—"
        table.rows.append([department.name, department.get_joint_duty_display(), started, took_part, status])
    return table


# --- fairness -----------------------------------------------------------------------------------------


def _pools(pool_tsvs: list[tuple[int, str]]) -> dict[int, dict[str, list[str]]]:
    pools: dict[int, dict[str, list[str]]] = {}
    for draw_id, pool_tsv in pool_tsvs:
        by_department: dict[str, list[str]] = defaultdict(list)
        for line in pool_tsv.splitlines():
            if "\t" in line:
                department, cert = line.split("\t", 1)
                by_department[department].append(cert)
        pools[draw_id] = by_department
    return pools


def _pairs_sql(draw_ids: list[int], ids: frozenset[int] | None, minimum: int) -> list[tuple[int, int, int]]:
    """(inspector id, inspector id, times) of inspectors drawn onto the same entity's team, counted in SQL
    (a self-join over the year's seats)."""
    from django.db import connection

    if not draw_ids:
        return []
    seat = TeamMember._meta.db_table
    where = [f"a.draw_id IN ({', '.join(['%s'] * len(draw_ids))})", "a.drawn", "b.drawn"]
    params: list[Any] = list(draw_ids)
    if ids is not None:
        marks = ", ".join(["%s"] * len(ids))
        where.append(f"a.department_id IN ({marks}) AND b.department_id IN ({marks})")
        params += list(ids) * 2
    # The table name comes from the model and the values are parameters.
    sql = (
        f"SELECT a.inspector_id, b.inspector_id, COUNT(*) FROM {seat} a "  # noqa: S608  # nosec B608
        f"JOIN {seat} b ON a.selection_id = b.selection_id AND a.inspector_id < b.inspector_id "
        f"WHERE {' AND '.join(where)} GROUP BY a.inspector_id, b.inspector_id HAVING COUNT(*) >= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, minimum])
        return [(a, b, n) for a, b, n in cursor.fetchall()]


def inspector_fairness(year: int, ids: frozenset[int] | None) -> tuple[Table, Table]:
    """Each inspector's drawn seats against the expected share: in every team draw, a department's seats
    (entities × per object) spread evenly over its pool, Σ seats_d / |pool_d| for the draws the inspector
    was in the pool of. And the pairs drawn together more often than chance would make likely."""
    from shuangsuiji.directory.models import Inspector

    pools = _pools(list(_drawn(year).exclude(pool_tsv="").values_list("pk", "pool_tsv")))
    seats = TeamMember.objects.filter(draw_id__in=list(pools), drawn=True)
    if ids is not None:
        seats = seats.filter(department_id__in=ids)
    # one grouped scan of the year's seats: per draw × department × inspector
    grouped = list(
        seats.values_list("draw_id", "department_id", "inspector_id").annotate(n=Count("pk")).order_by()
    )
    code_of = dict(Department.objects.values_list("pk", "code"))
    per_draw: Counter[tuple[int, str]] = Counter()
    by_inspector: Counter[int] = Counter()
    for draw_id, department_id, inspector_id, n in grouped:
        per_draw[(draw_id, code_of[department_id])] += n
        by_inspector[inspector_id] += n
    expected: dict[str, float] = defaultdict(float)
    departments: dict[str, str] = {}
    for (draw_id, department), n in per_draw.items():
        pool = pools.get(draw_id, {}).get(department, [])
        for cert in pool:
            expected[cert] += n / len(pool)
            departments.setdefault(cert, department)
    people = {
        pk: (cert, name)
        for pk, cert, name in Inspector.objects.filter(
            Q(pk__in=list(by_inspector)) | Q(cert_no__in=list(expected))
        ).values_list("pk", "cert_no", "name")
    }
    observed = {people[pk][0]: n for pk, n in by_inspector.items()}
    names = {cert: name for cert, name in people.values()}
    department_names = dict(Department.objects.values_list("code", "name"))
    table = Table(
        "inspectors",
        "执法检查人员被抽中次数与期望",
        ["执法证号", "姓名", "部门", "抽中次数", "期望次数", "偏差（标准差倍数）"],
        chart=(1, [3, 4]),
    )
    deviations = []
    shown = {cert: department_names.get(code, code) for cert, code in departments.items()}
    for cert in sorted(expected, key=lambda c: (shown.get(c, ""), c)):
        e = expected[cert]
        o = observed.get(cert, 0)
        z = (o - e) / math.sqrt(e) if e else 0.0
        deviations.append(z)
        table.rows.append([cert, names.get(cert, ""), shown.get(cert, ""), o, round(e, 2), round(z, 2)])
    if deviations:
        spread = math.sqrt(sum(z * z for z in deviations) / len(deviations))
        table.note = (
            f"{len(deviations)} 名人员；偏差的均方根 {spread:.2f}（随机抽取时约为 1）；"
            f"最大偏差 {max(deviations, key=abs):+.2f}。"
        )
    pairs = Table(
        "pairs",
        "经常同组的人员",
        ["人员一", "人员二", "同组次数", "期望次数"],
        note=(
            "只列出同组次数显著高于随机期望的人员组合：随机抽取时出现这么多次的概率低于 1%（已按人员组合数校正，"
            "泊松分布上尾概率），至少 3 次。随机抽取时本表通常为空。"
        ),
    )
    # Expected co-occurrence over the draws: per entity, a department with k seats per entity and a pool of
    # m puts a given member on the team with probability k/m, and two given members with k(k-1)/(m(m-1)).
    # Entities per draw: every selection of a team draw has its drawn team.
    entities = dict(
        DrawSelection.objects.filter(draw_id__in={d for d, _ in per_draw})
        .values_list("draw_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    placed: dict[str, dict[int, tuple[str, float, int]]] = defaultdict(dict)  # cert → draw → (dept, k, m)
    for (draw_id, department), n in per_draw.items():
        pool = pools.get(draw_id, {}).get(department, [])
        k = n / entities[draw_id] if entities.get(draw_id) else 0.0
        for cert in pool:
            placed[cert][draw_id] = (department, k, len(pool))
    members = len(placed)
    candidates = []
    for a_id, b_id, n in _pairs_sql(list(entities), ids, 3):
        a, b = people[a_id][0], people[b_id][0]
        candidates.append((a, b, n) if a < b else (b, a, n))
    for a, b, n in sorted(candidates, key=lambda t: (-t[2], t[0], t[1])):
        in_a, in_b = placed.get(a, {}), placed.get(b, {})
        e = 0.0
        for draw_id in in_a.keys() & in_b.keys():
            (da, ka, ma), (db, kb, mb) = in_a[draw_id], in_b[draw_id]
            if da == db:
                e += entities[draw_id] * (ka * (ka - 1)) / (ma * (ma - 1)) if ma > 1 else 0.0
            else:
                e += entities[draw_id] * (ka / ma) * (kb / mb)
        if pair_is_flagged(n, e, members):
            pairs.rows.append([f"{names.get(a, '')}（{a}）", f"{names.get(b, '')}（{b}）", n, round(e, 2)])
    return table, pairs


PAIRS_ALPHA = 0.01  # the chance that random draws alone put any pair on the list, over all pairs


def pair_is_flagged(together: int, expected: float, members: int) -> bool:
    """Two inspectors put together `together` times where chance expects `expected`: flagged when that
    many or more has probability under PAIRS_ALPHA / (number of pairs of the `members` pool members)
    (Bonferroni: random draws alone list any pair at all with probability under PAIRS_ALPHA), and at
    least 3 times."""
    pairs = max(1, members * (members - 1) // 2)
    return together >= 3 and poisson_tail(together, expected) < PAIRS_ALPHA / pairs


def poisson_tail(n: int, mean: float) -> float:
    """P(X ≥ n) for X ~ Poisson(mean): how often chance alone puts a pair together n times or more (a pair's
    count is a sum of many rare, independent co-draws)."""
    if n <= 0:
        return 1.0
    if mean <= 0:
        return 0.0

    def pmf(i: int) -> float:
        return math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1))

    if n <= mean:  # the bulk: 1 − P(X < n) is accurate here (at least about one half)
        return max(0.0, 1.0 - math.fsum(pmf(i) for i in range(n)))
    # the upper tail, summed from n upward (1 − P(X < n) would round to 0 far out)
    term = pmf(n)
    total, i = 0.0, n
    while term > total * 1e-17:
        total += term
        i += 1
        term *= mean / i
    return min(1.0, total)


def draw_frequency(year: int, ids: frozenset[int] | None) -> Table:
    """Entities' draw frequency against their stratum's rate, per drawn task."""
    table = Table(
        "frequency",
        "对象被抽中频率与分层比例",
        ["任务", "分层", "对象数", "抽中数", "实际比例%", "规定比例%"],
        chart=(1, [4, 5]),
    )
    draws = _drawn(year)
    if ids is not None:
        draws = draws.filter(task__plan__department_id__in=ids)
    rows = list(draws.order_by("task__ref").values_list("pk", "task__ref", "commitment_json"))
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for draw_id, stratum, n in (
        DrawSelection.objects.filter(draw_id__in=[pk for pk, _, _ in rows])
        .values_list("draw_id", "stratum")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[draw_id][stratum] = n
    for draw_id, ref, commitment_json in rows:
        for s in _strata(commitment_json):
            drawn = counts[draw_id].get(s.label, 0)
            table.rows.append([ref, s.name, s.size, drawn, percent(drawn, s.size), s.rate_bp / 100])
    return table


# --- the dashboard ------------------------------------------------------------------------------------

# A snapshot older than this (or of another day) is shown as it is while the worker computes the next one.
FRESH_SECONDS = 300
# A refresh job queued or running for longer than this is taken as lost (worker stopped): another may start.
STUCK_SECONDS = 3600
REFRESH_KIND = "oversight.refresh"


@dataclass
class Dashboard:
    tables: list[Table]
    computed_at: datetime
    day: date
    seconds: float = 0.0
    refreshing: Job | None = None  # the job computing a newer snapshot, if one is under way


def compute_dashboard(
    year: int, ids: frozenset[int] | None, today: date, progress: Callable[[int, int], None] | None = None
) -> list[Table]:
    """Every table of the dashboard, computed now (the two progress tables share one scan, the five
    result distributions another). `progress(done, total)` is called as the scans finish."""

    def progress_tables() -> list[Table]:
        cells = _progress_cells(year, ids, today)
        return [progress_by_department(year, ids, today, cells), progress_by_plan(year, ids, today, cells)]

    def result_tables() -> list[Table]:
        results = _result_cells(year, ids)
        return [results_by(year, ids, dimension, results) for dimension in DIMENSIONS]

    steps: list[Callable[[], list[Table]]] = [
        progress_tables,
        result_tables,
        lambda: [problem_rate_by_stratum(year, ids)],
        lambda: [coverage(year, ids)],
        lambda: [never_inspected(ids)],
        lambda: [over_inspected(year, ids)],
        lambda: [joint_duties(year)],
        lambda: list(inspector_fairness(year, ids)),
        lambda: [draw_frequency(year, ids)],
    ]
    tables: list[Table] = []
    for done, step in enumerate(steps, start=1):
        tables.extend(step())
        if progress is not None:
            progress(done, len(steps))
    return tables


def _scope_key(ids: frozenset[int] | None) -> str:
    if ids is None:
        return "all"
    return hashlib.sha256(",".join(str(pk) for pk in sorted(ids)).encode()).hexdigest()[:32]


def _tables_json(tables: list[Table]) -> list[dict[str, Any]]:
    return [
        {
            "key": t.key,
            "title": t.title,
            "headers": t.headers,
            "rows": t.rows,
            "note": t.note,
            "chart": list(t.chart) if t.chart else None,
            "chart_kind": t.chart_kind,
        }
        for t in tables
    ]


def _tables_from_json(data: list[dict[str, Any]]) -> list[Table]:
    return [
        Table(
            key=t["key"],
            title=t["title"],
            headers=t["headers"],
            rows=t["rows"],
            note=t["note"],
            chart=(t["chart"][0], list(t["chart"][1])) if t["chart"] else None,
            chart_kind=t["chart_kind"],
        )
        for t in data
    ]


def _from_snapshot(snapshot: DashboardSnapshot) -> Dashboard:
    return Dashboard(_tables_from_json(snapshot.tables), snapshot.computed_at, snapshot.day, snapshot.seconds)


def snapshot_compute(
    year: int, ids: frozenset[int] | None, today: date, progress: Callable[[int, int], None] | None = None
) -> DashboardSnapshot:
    """Compute the dashboard of (year, scope) now and keep it as that scope's snapshot."""
    started = time.perf_counter()
    tables = compute_dashboard(year, ids, today, progress)
    # rows go through JSON once here, so that a fresh dashboard and a stored one are the same values
    snapshot, _ = DashboardSnapshot.objects.update_or_create(
        year=year,
        scope=_scope_key(ids),
        defaults={
            "day": today,
            "tables": _tables_json(tables),
            "computed_at": timezone.now(),
            "seconds": time.perf_counter() - started,
        },
    )
    snapshot.refresh_from_db()
    return snapshot


def _ids_param(ids: frozenset[int] | None) -> list[int] | None:
    return None if ids is None else sorted(ids)


def refresh_pending(year: int, ids: frozenset[int] | None) -> Job | None:
    """The refresh job of (year, scope) queued or running now, if any (not one the worker lost)."""
    recent = timezone.now() - timedelta(seconds=STUCK_SECONDS)
    for job in Job.objects.filter(
        kind=REFRESH_KIND, state__in=(Job.State.QUEUED, Job.State.RUNNING), created_at__gte=recent
    ).order_by("created_at"):
        if job.params.get("year") == year and job.params.get("ids") == _ids_param(ids):
            return job
    return None


def refresh_enqueue(year: int, ids: frozenset[int] | None, today: date, *, user: Any, query: str = "") -> Job:
    """Have the worker compute (year, scope) anew; one job at a time per scope."""
    from shuangsuiji.core.jobs import job_enqueue

    pending = refresh_pending(year, ids)
    if pending is not None:
        return pending
    return job_enqueue(
        kind=REFRESH_KIND,
        title=f"统计数据更新（{year}年）",
        params={"year": year, "ids": _ids_param(ids), "today": today.isoformat(), "query": query},
        user=user,
    )


def _year_is_large(year: int) -> bool:
    """Too many records to compute the year while a page waits (the threshold of the other big jobs)."""
    threshold = int(getattr(settings, "SHUANGSUIJI_BACKGROUND_THRESHOLD", 100_000))
    return InspectionRecord.objects.filter(task__plan__year=year)[threshold : threshold + 1].exists()


def dashboard_for_page(
    year: int, ids: frozenset[int] | None, today: date, *, user: Any, query: str = ""
) -> Dashboard | Job:
    """What the dashboard page shows: the scope's snapshot, never waiting for the year's scans.

    No snapshot yet: a small year is computed now; a large one is handed to the worker and its Job is
    returned (the page says so). A snapshot older than FRESH_SECONDS or of another day is shown with a
    refresh under way in the worker."""
    snapshot = DashboardSnapshot.objects.filter(year=year, scope=_scope_key(ids)).first()
    if snapshot is None:
        if _year_is_large(year):
            return refresh_enqueue(year, ids, today, user=user, query=query)
        return _from_snapshot(snapshot_compute(year, ids, today))
    shown = _from_snapshot(snapshot)
    age = (timezone.now() - snapshot.computed_at).total_seconds()
    if snapshot.day != today or age > FRESH_SECONDS:
        shown.refreshing = refresh_enqueue(year, ids, today, user=user, query=query)
    return shown


def dashboard(year: int, ids: frozenset[int] | None, today: date) -> list[Table]:
    """The tables of (year, scope) as the page shows them (exports and the summary read the same
    figures): the snapshot, or computed now when there is none."""
    snapshot = DashboardSnapshot.objects.filter(year=year, scope=_scope_key(ids)).first()
    if snapshot is None:
        snapshot = snapshot_compute(year, ids, today)
    return _tables_from_json(snapshot.tables)
