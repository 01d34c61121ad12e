from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.selectors import root_of
from shuangsuiji.audit.services import audit_record
from shuangsuiji.catalog.models import InspectionItem, ResultCodeSet
from shuangsuiji.planning.models import Plan, Task, TaskDepartment, TaskStratum
from shuangsuiji.planning.strata import default_strata

PLAN_FIELDS = (
    "title",
    "kind",
    "methods",
    "planned_ratio",
    "basis",
    "period_start",
    "period_end",
    "deploy_start",
    "deploy_end",
    "implement_start",
    "implement_end",
    "summary_start",
    "summary_end",
)
TASK_FIELDS = (
    "title",
    "result_code_set",
    "methods",
    "period_start",
    "period_end",
    "directory",
    "scope_entity_types",
    "scope_industries",
    "scope_fire_categories",
    "scope_credit_classes",
    "scope_uses_list",
    "low_ratio_reason",
    "team_draw",
)


def _check_dates(obj: Any) -> None:
    if obj.period_start and obj.period_end and obj.period_end < obj.period_start:
        raise ValidationError("结束日期不能早于开始日期。")
    for start, end, label in (
        ("deploy_start", "deploy_end", "部署阶段"),
        ("implement_start", "implement_end", "实施阶段"),
        ("summary_start", "summary_end", "总结阶段"),
    ):
        a, b = getattr(obj, start, None), getattr(obj, end, None)
        if a and b and b < a:
            raise ValidationError(f"{label}的结束日期不能早于开始日期。")


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    department: Department,
    year: int,
    items: Iterable[InspectionItem],
    participants: Iterable[Department] = (),
    **fields: Any,
) -> Plan:
    department = Department.objects.select_for_update().get(pk=department.pk)
    number = (Plan.objects.filter(department=department, year=year).aggregate(n=Max("number"))["n"] or 0) + 1
    plan = Plan(
        department=department,
        year=year,
        number=number,
        ref=f"{department.short_name or department.name}{year}年第{number}号",
        created_by=actor,
        **{k: v for k, v in fields.items() if k in PLAN_FIELDS},
    )
    if plan.kind == Plan.Kind.TEMPORARY and not plan.basis.strip():
        raise ValidationError("临时性联合抽查须写明上级转办交办的依据（004 第八条）。")
    _check_dates(plan)
    plan.full_clean()
    plan.save()
    plan.items.set(items)
    plan.participants.set([p for p in participants if p.pk != department.pk])
    if plan.is_joint and not plan.participants.exists():
        raise ValidationError("部门联合抽查计划至少需要一个参与部门。")
    audit_record(actor=actor, action="plan.create", obj=plan, summary=f"新建抽查计划 {plan.ref} {plan.title}")
    return plan


@transaction.atomic
def plan_update(
    *,
    actor: Any,
    plan: Plan,
    items: Iterable[InspectionItem] | None = None,
    participants: Iterable[Department] | None = None,
    **fields: Any,
) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.state != Plan.State.DRAFT:
        raise ValidationError("只有草稿状态的计划可以修改；已报送的计划请先由联席办退回。")
    for key, value in fields.items():
        if key in PLAN_FIELDS:
            setattr(plan, key, value)
    _check_dates(plan)
    plan.full_clean()
    plan.save()
    if items is not None:
        plan.items.set(items)
    if participants is not None:
        plan.participants.set([p for p in participants if p.pk != plan.department_id])
    audit_record(actor=actor, action="plan.update", obj=plan, summary=f"修改抽查计划 {plan.ref}")
    return plan


# who may move a plan to each state
_TRANSITION_ROLES = {
    Plan.State.SUBMITTED: {Role.MANAGER},
    Plan.State.PUBLISHED: {Role.OVERSIGHT},
    Plan.State.DRAFT: {Role.OVERSIGHT},
    Plan.State.CLOSED: {Role.MANAGER, Role.LEADER},
}
_VERBS = {
    Plan.State.SUBMITTED: "报送联席办",
    Plan.State.PUBLISHED: "公示",
    Plan.State.DRAFT: "退回修改",
    Plan.State.CLOSED: "结束",
}


def plan_allowed_transitions(user: Any, plan: Plan) -> list[tuple[str, str]]:
    return [
        (str(state), _VERBS[state])
        for state in Plan.TRANSITIONS[Plan.State(plan.state)]
        if user.role_set & _TRANSITION_ROLES[state]
    ]


@transaction.atomic
def plan_transition(*, actor: Any, plan: Plan, to: str, reason: str = "") -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    target = Plan.State(to)
    if target not in Plan.TRANSITIONS[Plan.State(plan.state)]:
        raise ValidationError(f"计划当前为「{plan.get_state_display()}」，不能{_VERBS.get(target, '变更')}。")
    if not actor.role_set & _TRANSITION_ROLES[target]:
        raise ValidationError(f"您的角色不能{_VERBS[target]}计划。")
    if target == Plan.State.SUBMITTED and not plan.items.exists():
        raise ValidationError("计划至少需要一个抽查事项。")
    if target == Plan.State.DRAFT and not reason.strip():
        raise ValidationError("退回须写明理由。")
    before = plan.state
    plan.state = target
    now = timezone.now()
    if target == Plan.State.SUBMITTED:
        plan.submitted_at, plan.return_reason = now, ""
    elif target == Plan.State.PUBLISHED:
        plan.published_at = now
    elif target == Plan.State.CLOSED:
        plan.closed_at = now
    else:
        plan.return_reason = reason.strip()
    plan.save()
    audit_record(
        actor=actor,
        action="plan.transition",
        obj=plan,
        summary=f"计划 {plan.ref}：{_VERBS[target]}",
        detail={"before": before, "after": str(target), "reason": reason},
    )
    return plan


def _set_default_strata(task: Task) -> None:
    industries = None
    if task.stratification == Task.Stratification.INDUSTRY:
        from shuangsuiji.draws.eligibility import scope_industries

        industries = scope_industries(task)
    task.strata.all().delete()
    TaskStratum.objects.bulk_create(
        [
            TaskStratum(task=task, label=s.label, name=s.name, rate_bp=s.rate_bp)
            for s in default_strata(task.stratification, industries)
        ]
    )


def _add_missing_industries(task: Task) -> None:
    """The scope changed: new industries get a stratum at the default rate; set rates are kept."""
    from shuangsuiji.draws.eligibility import scope_industries

    have = set(task.strata.values_list("label", flat=True))
    TaskStratum.objects.bulk_create(
        [
            TaskStratum(task=task, label=s.label, name=s.name, rate_bp=s.rate_bp)
            for s in default_strata("industry", scope_industries(task))
            if s.label not in have
        ]
    )


def _set_default_departments(task: Task) -> None:
    plan = task.plan
    TaskDepartment.objects.create(
        task=task, department=plan.department, lead=True, per_object=1 if plan.is_joint else 2
    )
    for department in plan.participants.all():
        TaskDepartment.objects.create(task=task, department=department, per_object=1)


@transaction.atomic
def task_create(
    *,
    actor: Any,
    plan: Plan,
    items: Iterable[InspectionItem],
    jurisdictions: Iterable[Department] = (),
    **fields: Any,
) -> Task:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.state == Plan.State.CLOSED:
        raise ValidationError("计划已结束，不能再新建任务。")
    number = (plan.tasks.aggregate(n=Max("number"))["n"] or 0) + 1
    fields.setdefault("directory", root_of(plan.department))
    fields.setdefault("result_code_set", ResultCodeSet.objects.get(code="joint-2025"))
    fields.setdefault("period_start", plan.period_start)
    fields.setdefault("period_end", plan.period_end)
    task = Task(
        plan=plan,
        number=number,
        ref=f"{plan.ref}-{number}",
        created_by=actor,
        stratification=fields.pop("stratification", Task.Stratification.CREDIT),
        **{k: v for k, v in fields.items() if k in TASK_FIELDS},
    )
    _check_dates(task)
    task.full_clean()
    task.save()
    items = list(items)
    if not items:
        raise ValidationError("任务至少需要一个抽查事项。")
    foreign = [i.name for i in items if not plan.items.filter(pk=i.pk).exists()]
    if foreign:
        raise ValidationError(f"抽查事项不在计划中：{'、'.join(foreign)}")
    task.items.set(items)
    task.scope_jurisdictions.set(jurisdictions)
    _set_default_strata(task)
    _set_default_departments(task)
    audit_record(actor=actor, action="task.create", obj=task, summary=f"新建抽查任务 {task.ref} {task.title}")
    return task


def _draft(task: Task) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.state != Task.State.DRAFT:
        raise ValidationError("任务已生成抽取承诺，范围、分层和比例都已冻结。")
    return task


@transaction.atomic
def task_update(
    *,
    actor: Any,
    task: Task,
    items: Iterable[InspectionItem] | None = None,
    jurisdictions: Iterable[Department] | None = None,
    **fields: Any,
) -> Task:
    task = _draft(task)
    scheme_before = task.stratification
    for key, value in fields.items():
        if key in TASK_FIELDS or key == "stratification":
            setattr(task, key, value)
    _check_dates(task)
    task.full_clean()
    task.save()
    if items is not None:
        task.items.set(items)
    if jurisdictions is not None:
        task.scope_jurisdictions.set(jurisdictions)
    if task.stratification != scheme_before:
        _set_default_strata(task)
    elif task.stratification == Task.Stratification.INDUSTRY:
        _add_missing_industries(task)
    audit_record(actor=actor, action="task.update", obj=task, summary=f"修改抽查任务 {task.ref}")
    return task


@transaction.atomic
def task_set_rates(*, actor: Any, task: Task, rates_bp: dict[str, int]) -> Task:
    task = _draft(task)
    before = dict(task.strata.values_list("label", "rate_bp"))
    for label, rate in rates_bp.items():
        if not 1 <= rate <= 10000:
            raise ValidationError(f"分层 {label} 的比例须在 0.01%–100% 之间。")
        task.strata.filter(label=label).update(rate_bp=rate)
    audit_record(
        actor=actor,
        action="task.rates",
        obj=task,
        summary=f"设置 {task.ref} 的分层比例",
        detail={"before": before, "after": rates_bp},
    )
    return task


@transaction.atomic
def task_set_departments(*, actor: Any, task: Task, rows: list[dict[str, Any]]) -> Task:
    """rows: {department, per_object, lead, pool_scope, stations}; replaces the task's team spec."""
    task = _draft(task)
    if sum(1 for r in rows if r["lead"]) != 1:
        raise ValidationError("必须且只能指定一个牵头部门（组长所在部门）。")
    for row in rows:
        if (
            row["pool_scope"]
            in (
                TaskDepartment.PoolScope.STATIONS,
                TaskDepartment.PoolScope.STATION,
                TaskDepartment.PoolScope.BUREAU_AND_STATIONS,
            )
            and not row["stations"]
        ):
            raise ValidationError(f"{row['department'].name}：请选择所（队）。")
        if row["pool_scope"] == TaskDepartment.PoolScope.STATION and len(row["stations"]) != 1:
            raise ValidationError(f"{row['department'].name}：单一所（队）随机只能选择一个所（队）。")
    task.departments.all().delete()
    for row in rows:
        td = TaskDepartment.objects.create(
            task=task,
            department=row["department"],
            per_object=row["per_object"],
            lead=row["lead"],
            pool_scope=row["pool_scope"],
        )
        td.pool_stations.set(row["stations"])
    audit_record(
        actor=actor,
        action="task.departments",
        obj=task,
        summary=f"设置 {task.ref} 的检查小组构成",
        detail={
            "departments": [
                {
                    "code": r["department"].code,
                    "per_object": r["per_object"],
                    "lead": r["lead"],
                    "pool_scope": r["pool_scope"],
                }
                for r in rows
            ]
        },
    )
    return task


def year_of(day: date) -> int:
    return day.year
