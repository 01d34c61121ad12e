"""抽查计划 and 抽查任务: from an annual plan to a task ready for its draw."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.models import InspectionItem, ResultCodeSet
from shuangsuiji.directory.models import Entity


class Plan(models.Model):
    class Kind(models.TextChoices):
        ANNUAL = "annual", "年度抽查计划"
        JOINT = "joint", "部门联合抽查计划"
        TEMPORARY = "temporary", "临时性联合抽查（计划外）"

    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已报联席办"
        PUBLISHED = "published", "已公示"
        CLOSED = "closed", "已结束"

    # The only allowed state changes; services check them, nothing else sets `state`.
    TRANSITIONS = {
        State.DRAFT: {State.SUBMITTED},
        State.SUBMITTED: {State.PUBLISHED, State.DRAFT},
        State.PUBLISHED: {State.CLOSED},
        State.CLOSED: set(),
    }

    ref = models.CharField("计划编号", max_length=80, unique=True)
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveIntegerField("序号")
    department = models.ForeignKey(
        Department, verbose_name="发起部门", on_delete=models.PROTECT, related_name="plans"
    )
    participants = models.ManyToManyField(
        Department, verbose_name="参与部门", blank=True, related_name="joined_plans"
    )
    kind = models.CharField("计划类型", max_length=16, choices=Kind.choices, default=Kind.ANNUAL)
    title = models.CharField("计划名称", max_length=200)
    items = models.ManyToManyField(InspectionItem, verbose_name="抽查事项", related_name="plans")
    methods = models.JSONField("检查方式", default=list)
    planned_ratio = models.CharField("计划抽查比例", max_length=200, blank=True)
    basis = models.TextField(
        "依据/说明", blank=True, help_text="临时性联合抽查须写明上级转办交办事项（004 第八条）。"
    )
    period_start = models.DateField("实施开始")
    period_end = models.DateField("实施结束")
    deploy_start = models.DateField("部署阶段开始", null=True, blank=True)
    deploy_end = models.DateField("部署阶段结束", null=True, blank=True)
    implement_start = models.DateField("实施阶段开始", null=True, blank=True)
    implement_end = models.DateField("实施阶段结束", null=True, blank=True)
    summary_start = models.DateField("总结阶段开始", null=True, blank=True)
    summary_end = models.DateField("总结阶段结束", null=True, blank=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT)
    return_reason = models.CharField("退回理由", max_length=300, blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    published_at = models.DateTimeField("公示时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "抽查计划"
        ordering = ["-year", "department__path", "number"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year", "number"], name="unique_plan_number"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def is_joint(self) -> bool:
        return self.kind in (self.Kind.JOINT, self.Kind.TEMPORARY)


class Task(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "待抽取"
        COMMITTED = "committed", "已承诺（待抽取）"
        DRAWN = "drawn", "已抽取"
        DISPATCHED = "dispatched", "已派发"
        RECEIVED = "received", "上级下发（已接收）"

    class Stratification(models.TextChoices):
        NONE = "none", "不分层"
        CREDIT = "credit", "按信用风险分类"
        FIRE = "fire", "按消防安全类别"
        CREDIT_FIRE = "credit_fire", "信用风险分类 × 消防安全类别"
        INDUSTRY = "industry", "按行业（002：按行业风险等级 5%–100%）"

    class Origin(models.TextChoices):
        DRAWN = "drawn", "本级抽取"
        RECEIVED = "received", "上级抽取下发"

    plan = models.ForeignKey(Plan, verbose_name="所属计划", on_delete=models.PROTECT, related_name="tasks")
    number = models.PositiveIntegerField("序号")
    ref = models.CharField("任务编号", max_length=100, unique=True)
    title = models.CharField("任务名称", max_length=200)
    items = models.ManyToManyField(InspectionItem, verbose_name="抽查事项", related_name="tasks")
    result_code_set = models.ForeignKey(
        ResultCodeSet, verbose_name="检查结果代码集", on_delete=models.PROTECT
    )
    methods = models.JSONField("检查方式", default=list)
    period_start = models.DateField("检查开始")
    period_end = models.DateField("检查结束")
    origin = models.CharField("来源", max_length=16, choices=Origin.choices, default=Origin.DRAWN)
    # Entity scope: filters over the directory. Empty lists mean "any".
    directory = models.ForeignKey(
        Department,
        verbose_name="检查对象名录库",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="从哪个部门的检查对象名录库抽取",
    )
    scope_jurisdictions = models.ManyToManyField(
        Department, verbose_name="管辖单位", blank=True, related_name="+"
    )
    scope_entity_types = models.JSONField("主体类型", default=list, blank=True)
    scope_industries = models.JSONField("行业", default=list, blank=True)
    scope_fire_categories = models.JSONField("消防安全类别", default=list, blank=True)
    scope_credit_classes = models.JSONField("信用风险分类", default=list, blank=True)
    scope_uses_list = models.BooleanField("仅限导入的对象名单", default=False)
    stratification = models.CharField(
        "分层方式", max_length=16, choices=Stratification.choices, default=Stratification.CREDIT
    )
    low_ratio_reason = models.TextField("总体比例低于2%的理由", blank=True)
    team_draw = models.BooleanField("随机抽取检查小组", default=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "抽查任务"
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="unique_task_number")]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def is_joint(self) -> bool:
        return self.plan.is_joint

    @property
    def editable(self) -> bool:
        return self.state == self.State.DRAFT


class TaskStratum(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="strata")
    label = models.CharField("分层代码", max_length=60)
    name = models.CharField("分层名称", max_length=100)
    rate_bp = models.PositiveIntegerField("抽查比例（基点）")

    class Meta:
        verbose_name = "分层"
        ordering = ["task", "label"]
        constraints = [models.UniqueConstraint(fields=["task", "label"], name="unique_stratum_label")]

    def __str__(self) -> str:
        return f"{self.label} {self.name}"

    @property
    def rate_percent(self) -> str:
        return f"{self.rate_bp / 100:g}%"


class TaskDepartment(models.Model):
    """A department that sends inspectors in a team draw (参与部门), and where its pool comes from."""

    class PoolScope(models.TextChoices):
        # 002 七(三): 全局内随机、局机关与市场监管所随机、若干市场监管所随机、单一市场监管所随机
        WHOLE = "whole", "全局内随机"
        BUREAU_AND_STATIONS = "bureau_stations", "局机关与所选所（队）随机"
        STATIONS = "stations", "若干所（队）随机"
        STATION = "station", "单一所（队）随机"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="departments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    per_object = models.PositiveSmallIntegerField("每个对象人数", default=2)
    lead = models.BooleanField("牵头部门（组长所在部门）", default=False)
    pool_scope = models.CharField(
        "人员库范围", max_length=16, choices=PoolScope.choices, default=PoolScope.WHOLE
    )
    pool_stations = models.ManyToManyField(
        Department, verbose_name="所选所（队）", blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "参与部门"
        ordering = ["task", "department__code"]
        constraints = [models.UniqueConstraint(fields=["task", "department"], name="unique_task_department")]

    def __str__(self) -> str:
        return f"{self.task_id} · {self.department}"


class TaskScopeEntity(models.Model):
    """The single imported list a task may be limited to (e.g. 上级下发 or a targeted list)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="scope_entities")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "entity"], name="unique_scope_entity")]

    def __str__(self) -> str:
        return f"{self.task_id} ∋ {self.entity_id}"
