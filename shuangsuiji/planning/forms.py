from __future__ import annotations

from typing import Any

from django import forms

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.models import InspectionItem, Method, ResultCodeSet
from shuangsuiji.core.forms import set_queryset
from shuangsuiji.directory.models import CreditRiskClass, EntityType, FireSafetyCategory
from shuangsuiji.planning.models import Plan, Task, TaskDepartment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(forms.Form):
    kind = forms.ChoiceField(label="计划类型", choices=Plan.Kind.choices)
    title = forms.CharField(label="计划名称", max_length=200)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    items = forms.ModelMultipleChoiceField(
        label="抽查事项",
        queryset=InspectionItem.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    participants = forms.ModelMultipleChoiceField(
        label="参与部门（联合抽查）",
        required=False,
        queryset=Department.objects.filter(parent=None, kind="bureau"),
        widget=forms.CheckboxSelectMultiple,
    )
    methods = forms.MultipleChoiceField(
        label="检查方式", choices=Method.choices, widget=forms.CheckboxSelectMultiple
    )
    planned_ratio = forms.CharField(
        label="计划抽查比例",
        max_length=200,
        required=False,
        help_text="如：按信用风险分类 A 类 3%、B 类 10%、C 类 30%、D 类 80%，重点单位 100%",
    )
    basis = forms.CharField(label="依据/说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    period_start = forms.DateField(label="实施开始", widget=DATE)
    period_end = forms.DateField(label="实施结束", widget=DATE)
    deploy_start = forms.DateField(label="部署阶段开始", widget=DATE, required=False)
    deploy_end = forms.DateField(label="部署阶段结束", widget=DATE, required=False)
    implement_start = forms.DateField(label="实施阶段开始", widget=DATE, required=False)
    implement_end = forms.DateField(label="实施阶段结束", widget=DATE, required=False)
    summary_start = forms.DateField(label="总结阶段开始", widget=DATE, required=False)
    summary_end = forms.DateField(label="总结阶段结束", widget=DATE, required=False)


class TaskForm(forms.Form):
    title = forms.CharField(label="任务名称", max_length=200)
    items = forms.ModelMultipleChoiceField(
        label="抽查事项", queryset=InspectionItem.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    result_code_set = forms.ModelChoiceField(label="检查结果代码集", queryset=ResultCodeSet.objects.all())
    methods = forms.MultipleChoiceField(
        label="检查方式", choices=Method.choices, widget=forms.CheckboxSelectMultiple
    )
    period_start = forms.DateField(label="检查开始", widget=DATE)
    period_end = forms.DateField(label="检查结束", widget=DATE)
    directory = forms.ModelChoiceField(
        label="检查对象名录库", queryset=Department.objects.filter(parent=None)
    )
    jurisdictions = forms.ModelMultipleChoiceField(
        label="管辖单位（不选为全部）",
        required=False,
        queryset=Department.objects.filter(kind="station"),
        widget=forms.CheckboxSelectMultiple,
    )
    scope_entity_types = forms.MultipleChoiceField(
        label="主体类型（不选为全部）",
        choices=EntityType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    scope_fire_categories = forms.MultipleChoiceField(
        label="消防安全类别（不选为全部）",
        choices=FireSafetyCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    scope_credit_classes = forms.MultipleChoiceField(
        label="信用风险分类（不选为全部）",
        choices=CreditRiskClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    scope_industries = forms.CharField(
        label="行业（以顿号或逗号分隔，不填为全部）", required=False, max_length=300
    )
    stratification = forms.ChoiceField(label="分层方式", choices=Task.Stratification.choices)
    team_draw = forms.BooleanField(label="同时随机抽取检查小组", required=False, initial=True)
    low_ratio_reason = forms.CharField(
        label="总体比例低于 2% 的理由", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "items", plan.items.all())

    def clean_scope_industries(self) -> list[str]:
        raw = self.cleaned_data.get("scope_industries", "") or ""
        for sep in "，、;；":
            raw = raw.replace(sep, ",")
        return [part.strip() for part in raw.split(",") if part.strip()]


class TaskDepartmentForm(forms.Form):
    per_object = forms.IntegerField(label="每个对象人数", min_value=0, max_value=10)
    lead = forms.BooleanField(label="牵头", required=False)
    pool_scope = forms.ChoiceField(label="人员库范围", choices=TaskDepartment.PoolScope.choices)
    stations = forms.ModelMultipleChoiceField(
        label="所（队）",
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, department: Department, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.department = department
        stations = Department.objects.filter(path__startswith=department.path).exclude(pk=department.pk)
        set_queryset(self, "stations", stations)


class PlanTransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Plan.State.choices)
    reason = forms.CharField(required=False, max_length=300)
