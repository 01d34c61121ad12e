from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.selectors import root_of
from shuangsuiji.core.forms import set_queryset
from shuangsuiji.core.pagination import paginate
from shuangsuiji.core.params import number
from shuangsuiji.core.permissions import rule
from shuangsuiji.draws import eligibility
from shuangsuiji.draws.selectors import sees_whole_list, task_visible_to
from shuangsuiji.planning import selectors, services
from shuangsuiji.planning.forms import PlanForm, PlanTransitionForm, TaskDepartmentForm, TaskForm
from shuangsuiji.planning.models import Plan, Task


def _errors(form: Any, error: ValidationError) -> None:
    form.add_error(None, error.messages)


def _plan(request: HttpRequest, pk: int) -> Plan:
    plan = selectors.plans_visible_to(request.user).filter(pk=pk).first()
    if plan is None:
        raise Http404("抽查计划不存在或不在您的可见范围内。")
    return plan


def _task(request: HttpRequest, pk: int) -> Task:
    task = (
        Task.objects.select_related("plan", "plan__department", "directory", "result_code_set")
        .filter(pk=pk)
        .first()
    )
    if task is None or not task_visible_to(request.user, task):
        raise Http404("抽查任务不存在或不在您的可见范围内。")
    return task


@rule("plans.view")
def plan_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.plans_visible_to(request.user)
    year = number(request.GET.get("year"), 2000, 2100)
    if year is not None:
        qs = qs.filter(year=year)
    state = request.GET.get("state", "")
    if state in Plan.State.values:
        qs = qs.filter(state=state)
    return render(
        request,
        "planning/plan_list.html",
        {"page": paginate(request, qs), "year": year, "state": state, "states": Plan.State.choices},
    )


@rule("plans.edit")
def plan_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.department is None:
        raise PermissionDenied("您的账号未归属部门，不能制定计划。")
    department = root_of(user.department)
    form = PlanForm(
        request.POST or None, initial={"year": timezone.localdate().year, "kind": Plan.Kind.ANNUAL}
    )
    others = Department.objects.filter(parent=None, kind="bureau").exclude(pk=department.pk)
    set_queryset(form, "participants", others)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            plan = services.plan_create(
                actor=user,
                department=department,
                year=data.pop("year"),
                items=data.pop("items"),
                participants=data.pop("participants"),
                **data,
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, f"已新建抽查计划 {plan.ref}。")
            return redirect("planning:plan_detail", pk=plan.pk)
    return render(request, "planning/plan_form.html", {"form": form, "department": department})


@rule("plans.edit")
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    if not selectors.plan_editable_by(request.user, plan):
        raise PermissionDenied("只能修改本部门的计划。")
    initial = {
        f: getattr(plan, f)
        for f in PlanForm.base_fields
        if hasattr(plan, f) and f not in ("items", "participants")
    }
    initial.update(items=plan.items.all(), participants=plan.participants.all())
    form = PlanForm(request.POST or None, initial=initial)
    form.fields["year"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("year")
        try:
            services.plan_update(
                actor=request.user,
                plan=plan,
                items=data.pop("items"),
                participants=data.pop("participants"),
                **data,
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, "计划已保存。")
            return redirect("planning:plan_detail", pk=plan.pk)
    return render(
        request, "planning/plan_form.html", {"form": form, "plan": plan, "department": plan.department}
    )


@rule("plans.view")
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "tasks": plan.tasks.all(),
            "transitions": services.plan_allowed_transitions(request.user, plan),
            "can_edit": selectors.plan_editable_by(request.user, plan),
        },
    )


@rule("plans.transition")
@require_POST
def plan_transition(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = PlanTransitionForm(request.POST)
    if form.is_valid():
        try:
            services.plan_transition(
                actor=request.user, plan=plan, to=form.cleaned_data["to"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, "计划状态已更新。")
    return redirect("planning:plan_detail", pk=plan.pk)


def _task_form_initial(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "items": task.items.all(),
        "result_code_set": task.result_code_set,
        "methods": task.methods,
        "period_start": task.period_start,
        "period_end": task.period_end,
        "directory": task.directory,
        "jurisdictions": task.scope_jurisdictions.all(),
        "scope_entity_types": task.scope_entity_types,
        "scope_fire_categories": task.scope_fire_categories,
        "scope_credit_classes": task.scope_credit_classes,
        "scope_industries": "、".join(task.scope_industries),
        "stratification": task.stratification,
        "team_draw": task.team_draw,
        "low_ratio_reason": task.low_ratio_reason,
    }


@rule("plans.edit")
def task_edit(request: HttpRequest, plan_pk: int, pk: int | None = None) -> HttpResponse:
    plan = _plan(request, plan_pk)
    if not selectors.plan_editable_by(request.user, plan):
        raise PermissionDenied("只能为本部门的计划设置任务。")
    task = plan.tasks.filter(pk=pk).first() if pk else None
    if pk and task is None:
        raise Http404("抽查任务不存在。")
    initial = (
        _task_form_initial(task)
        if task
        else {
            "period_start": plan.period_start,
            "period_end": plan.period_end,
            "methods": plan.methods,
            "directory": root_of(plan.department),
            "stratification": Task.Stratification.CREDIT,
            "team_draw": True,
            "items": plan.items.all(),
            "result_code_set": None,
        }
    )
    form = TaskForm(request.POST or None, plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        items, jurisdictions = data.pop("items"), data.pop("jurisdictions")
        try:
            if task is None:
                task = services.task_create(
                    actor=request.user, plan=plan, items=items, jurisdictions=jurisdictions, **data
                )
            else:
                services.task_update(
                    actor=request.user, task=task, items=items, jurisdictions=jurisdictions, **data
                )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, f"任务 {task.ref} 已保存。")
            return redirect("planning:task_detail", pk=task.pk)
    return render(request, "planning/task_form.html", {"form": form, "plan": plan, "task": task})


@rule("plans.view")
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    draw = getattr(task, "draw", None)
    context: dict[str, Any] = {
        "task": task,
        "draw": draw,
        "can_edit": task.editable and selectors.plan_editable_by(request.user, task.plan),
        "sees_list": sees_whole_list(request.user, task),
    }
    if task.origin == Task.Origin.DRAWN and draw is None:
        context["preview"] = eligibility.preview(task)
    context["departments"] = task.departments.select_related("department").prefetch_related("pool_stations")
    if task.team_draw and draw is None:
        context["pool_sizes"] = {
            td.pk: eligibility.pool_inspectors(td).count() for td in context["departments"]
        }
    return render(request, "planning/task_detail.html", context)


@rule("plans.edit")
def task_rates(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    if not selectors.plan_editable_by(request.user, task.plan):
        raise PermissionDenied("只能修改本部门的任务。")
    strata = list(task.strata.all())
    errors: list[str] = []
    if request.method == "POST":
        rates: dict[str, int] = {}
        for stratum in strata:
            raw = request.POST.get(f"rate_{stratum.label}", "").strip().rstrip("%")
            try:
                rates[stratum.label] = round(float(raw) * 100)
            except ValueError:
                errors.append(f"{stratum.name}：比例「{raw}」不是数字。")
        if not errors:
            try:
                services.task_set_rates(actor=request.user, task=task, rates_bp=rates)
            except ValidationError as error:
                errors += error.messages
            else:
                messages.success(request, "分层比例已保存。")
                return redirect("planning:task_detail", pk=task.pk)
    return render(request, "planning/task_rates.html", {"task": task, "strata": strata, "errors": errors})


@rule("plans.edit")
def task_departments(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    if not selectors.plan_editable_by(request.user, task.plan):
        raise PermissionDenied("只能修改本部门的任务。")
    current = {td.department_id: td for td in task.departments.prefetch_related("pool_stations")}
    candidates = [task.plan.department, *task.plan.participants.all()]
    forms_ = []
    for department in candidates:
        td = current.get(department.pk)
        initial = (
            {
                "per_object": td.per_object,
                "lead": td.lead,
                "pool_scope": td.pool_scope,
                "stations": td.pool_stations.all(),
            }
            if td
            else {"per_object": 0, "pool_scope": "whole"}
        )
        forms_.append(
            TaskDepartmentForm(
                request.POST or None, prefix=f"d{department.pk}", department=department, initial=initial
            )
        )
    errors: list[str] = []
    if request.method == "POST" and all(f.is_valid() for f in forms_):
        rows = [
            {
                "department": f.department,
                **{k: f.cleaned_data[k] for k in ("per_object", "lead", "pool_scope")},
                "stations": list(f.cleaned_data["stations"]),
            }
            for f in forms_
            if f.cleaned_data["per_object"] > 0
        ]
        try:
            services.task_set_departments(actor=request.user, task=task, rows=rows)
        except ValidationError as error:
            errors += error.messages
        else:
            messages.success(request, "检查小组构成已保存。")
            return redirect("planning:task_detail", pk=task.pk)
    return render(
        request, "planning/task_departments.html", {"task": task, "forms": forms_, "errors": errors}
    )
