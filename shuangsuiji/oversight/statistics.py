"""The figures of 效果可评: each a plain table (headers + rows) computed in SQL aggregates, so a chart, a page
table, an export and the year-end report all show the same numbers.

Conventions (the tests compute each by hand):
- The year of a record is its plan's year; a department's "drawn" are its parts (one per drawn entity it
  must inspect); "inspected" has an inspection date; "entered" is submitted; "published" is in a published
  record; "on time" was published no later than `results_due`; "overdue" is unpublished past `results_due`
  and counts as not done (004 第二十九条).
- A record "found a problem" when any current result's code `is_problem`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from shuangsuiji.accounts.models import Department
from shuangsuiji.directory.models import CreditRiskClass, Entity, EntityType, Status
from shuangsuiji.draws.models import Draw, DrawSelection, TeamMember
from shuangsuiji.inspections.models import FollowUp, InspectionRecord, RecordPart, Result
from shuangsuiji.planning.models import Plan


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


def _percent(part: int | float, whole: int | float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _scoped(qs: QuerySet[Any], field_name: str, ids: frozenset[int] | None) -> QuerySet[Any]:
    return qs if ids is None else qs.filter(**{f"{field_name}__in": ids})


def _published_problem(record_ref: str = "pk") -> Exists:
    return Exists(
        Result.objects.filter(part__record_id=OuterRef(record_ref), current=True, code__is_problem=True)
    )


# --- progress per department and per plan ------------------------------------------------------------


def _progress_counts(parts: QuerySet[RecordPart], today: date) -> dict[str, Any]:
    published = Q(record__state=InspectionRecord.State.PUBLISHED)
    return parts.aggregate(
        drawn=Count("pk"),
        inspected=Count("pk", filter=Q(record__inspected_from__isnull=False)),
        entered=Count("pk", filter=Q(state=RecordPart.State.ENTERED)),
        published=Count("pk", filter=published),
        on_time=Count("pk", filter=published & Q(record__published_at__date__lte=F("record__results_due"))),
        late=Count("pk", filter=published & Q(record__published_at__date__gt=F("record__results_due"))),
        overdue=Count("pk", filter=~published & Q(record__results_due__lt=today)),
    )


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
        _percent(counts["on_time"], counts["drawn"]),
        followups[0],
        followups[1],
    ]


def progress_by_department(year: int, ids: frozenset[int] | None, today: date) -> Table:
    table = Table(
        "progress_departments",
        "各部门任务进度",
        ["部门", *PROGRESS_HEADERS],
        note="逾期未录入、未公示的视为未完成任务（004 第二十九条）。",
        chart=(0, [5, 6, 7]),
    )
    parts = _scoped(RecordPart.objects.filter(record__task__plan__year=year), "department_id", ids)
    followups = _scoped(
        FollowUp.objects.filter(record__task__plan__year=year, state=FollowUp.State.OPEN),
        "department_id",
        ids,
    )
    open_by = dict(followups.values_list("department_id").annotate(n=Count("pk")))
    overdue_by = dict(followups.filter(due__lt=today).values_list("department_id").annotate(n=Count("pk")))
    for department in Department.objects.filter(pk__in=parts.values("department_id")).order_by("path"):
        counts = _progress_counts(parts.filter(department=department), today)
        table.rows.append(
            [
                department.name,
                *_progress_row(counts, (open_by.get(department.pk, 0), overdue_by.get(department.pk, 0))),
            ]
        )
    return table


def progress_by_plan(year: int, ids: frozenset[int] | None, today: date) -> Table:
    table = Table("progress_plans", "各计划任务进度", ["计划", "发起部门", *PROGRESS_HEADERS])
    parts = _scoped(RecordPart.objects.filter(record__task__plan__year=year), "department_id", ids)
    followups = _scoped(
        FollowUp.objects.filter(record__task__plan__year=year, state=FollowUp.State.OPEN),
        "department_id",
        ids,
    )
    for plan in (
        Plan.objects.filter(pk__in=parts.values("record__task__plan_id"))
        .select_related("department")
        .order_by("ref")
    ):
        counts = _progress_counts(parts.filter(record__task__plan=plan), today)
        mine = followups.filter(record__task__plan=plan)
        table.rows.append(
            [
                plan.ref,
                plan.department.name,
                *_progress_row(counts, (mine.count(), mine.filter(due__lt=today).count())),
            ]
        )
    return table


# --- results ------------------------------------------------------------------------------------------


def _current_published(year: int, ids: frozenset[int] | None) -> QuerySet[Result]:
    qs = Result.objects.filter(
        current=True,
        code__isnull=False,
        part__record__state=InspectionRecord.State.PUBLISHED,
        part__record__task__plan__year=year,
    )
    return _scoped(qs, "part__department_id", ids)


def results_by(year: int, ids: frozenset[int] | None, dimension: str) -> Table:
    results = _current_published(year, ids)
    if dimension == "code":
        table = Table(
            "results_code",
            "检查结果分布（按结果）",
            ["检查结果", "结果数", "占比%"],
            chart=(0, [1]),
            chart_kind="pie",
        )
        rows = (
            results.values("code__number", "code__label")
            .annotate(n=Count("pk"))
            .order_by("code__number", "code__label")
        )
        total = sum(r["n"] for r in rows)
        table.rows = [
            [f"{r['code__number']}. {r['code__label']}", r["n"], _percent(r["n"], total)] for r in rows
        ]
        return table
    fields = {
        "item": ("results_item", "检查结果分布（按抽查事项）", "抽查事项", "item__name"),
        "department": ("results_department", "检查结果分布（按部门）", "部门", "part__department__name"),
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
    rows = (
        results.values(path)
        .annotate(n=Count("pk"), problems=Count("pk", filter=Q(code__is_problem=True)))
        .order_by(path)
    )
    names = {
        "entity_type": dict(EntityType.choices),
        "credit": dict(CreditRiskClass.choices),
    }.get(dimension, {})
    for r in rows:
        shown = names.get(r[path], r[path]) or "（未分类）"
        table.rows.append([shown, r["n"], r["problems"], _percent(r["problems"], r["n"])])
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
    records = InspectionRecord.objects.filter(task__plan__year=year, state=InspectionRecord.State.PUBLISHED)
    if ids is not None:
        records = records.filter(parts__department_id__in=ids).distinct()
    records = records.annotate(problem=_published_problem())
    by_task: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for task_id, stratum, problem in records.values_list("task_id", "selection__stratum", "problem"):
        cell = by_task[task_id][stratum]
        cell[1] += 1
        cell[2] += int(problem)
    sampled = (
        DrawSelection.objects.filter(draw__task_id__in=list(by_task))
        .values_list("draw__task_id", "stratum")
        .annotate(n=Count("pk"))
    )
    for task_id, stratum, n in sampled:
        by_task[task_id][stratum][0] = n
    from shuangsuiji.draws.services import committed_strata

    found_total = expected_total = 0.0
    for draw in Draw.objects.filter(task_id__in=list(by_task)).select_related("task"):
        strata = {s.label: s for s in committed_strata(draw)}
        population = sum(s.size for s in strata.values())
        sample = sum(cell[0] for cell in by_task[draw.task_id].values())
        found = expected = 0.0
        for label, (n, published, problems) in sorted(by_task[draw.task_id].items()):
            size = strata[label].size if label in strata else 0
            rate = problems / published if published else 0.0
            found += n * rate
            expected += sample * (size / population if population else 0) * rate
            name = strata[label].name if label in strata else label
            table.rows.append(
                [draw.task.ref, name, size, n, published, problems, _percent(problems, published)]
            )
        found_total += found
        expected_total += expected
        totals.append([draw.task.ref, round(found, 1), round(expected, 1)])
    if totals:
        lift = f"{found_total / expected_total:.2f} 倍" if expected_total else "—"
        table.note = (
            f"按风险分层抽取，预计发现问题 {found_total:.1f} 户；同样数量均匀抽取，按各层问题发现率估计为 {expected_total:.1f} 户"
            f"（分层抽取为均匀抽取的 {lift}）。未抽到的层无法估计，按 0 计。"
        )
    return table


# --- coverage -----------------------------------------------------------------------------------------


def _entities(ids: frozenset[int] | None) -> QuerySet[Entity]:
    qs = Entity.objects.filter(status=Status.ACTIVE)
    return (
        qs
        if ids is None
        else qs.filter(Q(jurisdiction_id__in=ids) | Q(listings__department_id__in=ids)).distinct()
    )


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
    rows = (
        entities.values("credit_risk_class")
        .annotate(
            n=Count("pk", distinct=True),
            year=Count("pk", distinct=True, filter=Q(pk__in=this_year)),
            three=Count("pk", distinct=True, filter=Q(pk__in=three)),
        )
        .order_by("credit_risk_class")
    )
    names = dict(CreditRiskClass.choices)
    for r in rows:
        table.rows.append(
            [
                names.get(r["credit_risk_class"], "（未分类）"),
                r["n"],
                r["year"],
                _percent(r["year"], r["n"]),
                r["three"],
                _percent(r["three"], r["n"]),
            ]
        )
    return table


def never_inspected(ids: frozenset[int] | None, limit: int = 200) -> Table:
    qs = _entities(ids).exclude(
        pk__in=InspectionRecord.objects.filter(inspected_from__isnull=False).values("entity_id")
    )
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
    selections = DrawSelection.objects.filter(
        draw__task__plan__year=year, draw__task__origin="drawn", draw__state=Draw.State.DRAWN
    )
    if ids is not None:
        selections = selections.filter(draw__task__plan__department_id__in=ids)
    # Aggregate in SQL first (10^6 selections a year must not come into Python), then fetch the few rows.
    twice = (
        selections.values("entity_id", "draw__task__items")
        .annotate(n=Count("draw__task", distinct=True))
        .filter(n__gt=1)
        .values_list("entity_id", "draw__task__items")
    )
    joint_kinds = [Plan.Kind.JOINT, Plan.Kind.TEMPORARY]
    thrice = (
        selections.filter(draw__task__plan__kind__in=joint_kinds)
        .values("entity_id")
        .annotate(n=Count("draw__task", distinct=True))
        .filter(n__gt=2)
        .values_list("entity_id", flat=True)
    )
    problems: dict[int, list[tuple[str, list[str]]]] = defaultdict(list)
    for entity_id, item_id in twice:
        refs = sorted(
            set(
                selections.filter(entity_id=entity_id, draw__task__items=item_id).values_list(
                    "draw__task__ref", flat=True
                )
            )
        )
        problems[entity_id].append((f"同一事项一年内被抽中 {len(refs)} 次", refs))
    for entity_id in thrice:
        refs = sorted(
            set(
                selections.filter(entity_id=entity_id, draw__task__plan__kind__in=joint_kinds).values_list(
                    "draw__task__ref", flat=True
                )
            )
        )
        problems[entity_id].append((f"一年内 {len(refs)} 次联合抽查（上限 2 次）", refs))
    entities = Entity.objects.in_bulk(list(problems))
    for entity_id, found in problems.items():
        for what, refs in found:
            table.rows.append([entities[entity_id].name, entities[entity_id].uscc, what, "、".join(refs)])
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


def _pools(draws: QuerySet[Draw]) -> dict[int, dict[str, list[str]]]:
    pools: dict[int, dict[str, list[str]]] = {}
    for draw in draws:
        by_department: dict[str, list[str]] = defaultdict(list)
        for line in draw.pool_tsv.splitlines():
            if "\t" in line:
                department, cert = line.split("\t", 1)
                by_department[department].append(cert)
        pools[draw.pk] = by_department
    return pools


def _pairs_sql(draw_ids: list[int], ids: frozenset[int] | None, minimum: int) -> list[tuple[str, str, int]]:
    """Inspectors drawn onto the same entity's team, counted in SQL (a self-join over the year's seats)."""
    from django.db import connection

    from shuangsuiji.directory.models import Inspector

    if not draw_ids:
        return []
    seat, person = TeamMember._meta.db_table, Inspector._meta.db_table
    where = [f"a.draw_id IN ({', '.join(['%s'] * len(draw_ids))})", "a.drawn", "b.drawn"]
    params: list[Any] = list(draw_ids)
    if ids is not None:
        marks = ", ".join(["%s"] * len(ids))
        where.append(f"a.department_id IN ({marks}) AND b.department_id IN ({marks})")
        params += list(ids) * 2
    # Table names come from the models and the values are parameters.
    sql = (
        f"SELECT ia.cert_no, ib.cert_no, COUNT(*) FROM {seat} a "  # noqa: S608  # nosec B608
        f"JOIN {seat} b ON a.selection_id = b.selection_id AND a.inspector_id < b.inspector_id "
        f"JOIN {person} ia ON ia.id = a.inspector_id JOIN {person} ib ON ib.id = b.inspector_id "
        f"WHERE {' AND '.join(where)} GROUP BY ia.cert_no, ib.cert_no HAVING COUNT(*) >= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, minimum])
        return [(a, b, n) if a < b else (b, a, n) for a, b, n in cursor.fetchall()]


def inspector_fairness(year: int, ids: frozenset[int] | None) -> tuple[Table, Table]:
    """Each inspector's drawn seats against the expected share: in every team draw, a department's seats
    (entities × per object) spread evenly over its pool, Σ seats_d / |pool_d| for the draws the inspector
    was in the pool of. And the pairs drawn together more often than chance would make likely."""
    draws = Draw.objects.filter(task__plan__year=year, state=Draw.State.DRAWN).exclude(pool_tsv="")
    pools = _pools(draws)
    seats = TeamMember.objects.filter(draw__in=draws, drawn=True)
    if ids is not None:
        seats = seats.filter(department_id__in=ids)
    observed = dict(
        seats.values("inspector__cert_no").annotate(n=Count("pk")).values_list("inspector__cert_no", "n")
    )
    per_draw = {
        (draw_id, code): n
        for draw_id, code, n in seats.values("draw_id", "department__code")
        .annotate(n=Count("pk"))
        .values_list("draw_id", "department__code", "n")
    }
    expected: dict[str, float] = defaultdict(float)
    for (draw_id, department), n in per_draw.items():
        pool = pools.get(draw_id, {}).get(department, [])
        for cert in pool:
            expected[cert] += n / len(pool)
    people = TeamMember.objects.filter(draw__in=draws).values_list(
        "inspector__cert_no", "inspector__name", "department__name"
    )
    names = {cert: name for cert, name, _ in people.distinct()}
    departments = {cert: department for cert, _, department in people.distinct()}
    table = Table(
        "inspectors",
        "执法检查人员被抽中次数与期望",
        ["执法证号", "姓名", "部门", "抽中次数", "期望次数", "偏差（标准差倍数）"],
        chart=(1, [3, 4]),
    )
    deviations = []
    for cert in sorted(expected, key=lambda c: (departments.get(c, ""), c)):
        e = expected[cert]
        o = observed.get(cert, 0)
        z = (o - e) / math.sqrt(e) if e else 0.0
        deviations.append(z)
        table.rows.append([cert, names.get(cert, ""), departments.get(cert, ""), o, round(e, 2), round(z, 2)])
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
        note="只列出同组次数显著高于随机期望（超过期望 + 3 倍标准差且至少 3 次）的人员组合；应当很少。",
    )
    # Expected co-occurrence over the draws: per entity, a department with k seats per entity and a pool of
    # m puts a given member on the team with probability k/m, and two given members with k(k-1)/(m(m-1)).
    entities = dict(
        seats.values("draw_id").annotate(n=Count("selection_id", distinct=True)).values_list("draw_id", "n")
    )
    placed: dict[int, dict[str, tuple[str, float, int]]] = defaultdict(dict)
    for (draw_id, department), n in per_draw.items():
        pool = pools.get(draw_id, {}).get(department, [])
        k = n / entities[draw_id] if entities.get(draw_id) else 0.0
        for cert in pool:
            placed[draw_id][cert] = (department, k, len(pool))
    for a, b, n in sorted(_pairs_sql(list(entities), ids, 3), key=lambda t: -t[2]):
        e = 0.0
        for draw_id, n_entities in entities.items():
            if a in placed[draw_id] and b in placed[draw_id]:
                (da, ka, ma), (db, kb, mb) = placed[draw_id][a], placed[draw_id][b]
                if da == db:
                    e += n_entities * (ka * (ka - 1)) / (ma * (ma - 1)) if ma > 1 else 0.0
                else:
                    e += n_entities * (ka / ma) * (kb / mb)
        if n > e + 3 * math.sqrt(max(e, 1e-9)):
            pairs.rows.append([f"{names.get(a, '')}（{a}）", f"{names.get(b, '')}（{b}）", n, round(e, 2)])
    return table, pairs


def draw_frequency(year: int, ids: frozenset[int] | None) -> Table:
    """Entities' draw frequency against their stratum's rate, per drawn task."""
    table = Table(
        "frequency",
        "对象被抽中频率与分层比例",
        ["任务", "分层", "对象数", "抽中数", "实际比例%", "规定比例%"],
        chart=(1, [4, 5]),
    )
    draws = Draw.objects.filter(task__plan__year=year, state=Draw.State.DRAWN).select_related("task")
    if ids is not None:
        draws = draws.filter(task__plan__department_id__in=ids)
    from shuangsuiji.draws.services import committed_strata

    for draw in draws.order_by("task__ref"):
        counts = Counter(draw.selections.values_list("stratum", flat=True))
        for s in committed_strata(draw):
            table.rows.append(
                [
                    draw.task.ref,
                    s.name,
                    s.size,
                    counts.get(s.label, 0),
                    _percent(counts.get(s.label, 0), s.size),
                    s.rate_bp / 100,
                ]
            )
    return table


def dashboard(year: int, ids: frozenset[int] | None, today: date) -> list[Table]:
    fairness, pairs = inspector_fairness(year, ids)
    return [
        progress_by_department(year, ids, today),
        progress_by_plan(year, ids, today),
        results_by(year, ids, "code"),
        results_by(year, ids, "item"),
        results_by(year, ids, "department"),
        results_by(year, ids, "entity_type"),
        results_by(year, ids, "credit"),
        problem_rate_by_stratum(year, ids),
        coverage(year, ids),
        never_inspected(ids),
        over_inspected(year, ids),
        joint_duties(year),
        fairness,
        pairs,
        draw_frequency(year, ids),
    ]
