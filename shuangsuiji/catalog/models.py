from django.db import models

from shuangsuiji.accounts.models import Department


class Method(models.TextChoices):
    ONSITE = "onsite", "现场检查"
    DOCUMENTARY = "documentary", "书面检查"
    ONLINE = "online", "网络检查"
    SAMPLING = "sampling", "抽样送检"
    THIRD_PARTY = "third_party", "委托专业机构"


class ResultCodeSet(models.Model):
    """A set of result codes a task may use (004 附件2, or 000's annex); chosen per task."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    source = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "检查结果代码集"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ResultCode(models.Model):
    code_set = models.ForeignKey(ResultCodeSet, on_delete=models.CASCADE, related_name="codes")
    number = models.PositiveSmallIntegerField("编号")
    label = models.CharField("检查结果", max_length=60)
    is_problem = models.BooleanField("发现问题", default=True)
    # 004 第二十一条: may be recorded without a substantive inspection, with evidence.
    without_inspection = models.BooleanField("可不经实质检查直接形成", default=False)
    # 000 三(四)2: 无法联系 → 列入经营异常名录.
    proposes_abnormal_listing = models.BooleanField("建议列入经营异常名录", default=False)

    class Meta:
        verbose_name = "检查结果代码"
        ordering = ["code_set", "number"]
        constraints = [models.UniqueConstraint(fields=["code_set", "number"], name="unique_result_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.label}"


class InspectionItem(models.Model):
    """抽查事项: one line of a department's 抽查事项清单 (001 annex columns)."""

    class Category(models.TextChoices):
        GENERAL = "general", "一般检查事项"
        KEY = "key", "重点检查事项"

    code = models.CharField("事项编码", max_length=40, unique=True)
    name = models.CharField("抽查事项名称", max_length=200)
    basis = models.TextField("抽查依据")
    object_type = models.CharField("检查对象", max_length=200)
    category = models.CharField("事项类别", max_length=16, choices=Category.choices, default=Category.GENERAL)
    methods = models.JSONField("检查方式", default=list)
    department = models.ForeignKey(
        Department, verbose_name="检查主体", on_delete=models.PROTECT, related_name="items"
    )
    # Joint items (河南省市场监管领域部门联合抽查事项清单) bundle department items checked in one visit.
    components = models.ManyToManyField(
        "self", verbose_name="联合事项包含", symmetrical=False, blank=True, related_name="joint_items"
    )
    default_rate_bp = models.PositiveIntegerField("默认抽查比例（基点）", null=True, blank=True)
    plan_note = models.CharField("抽查计划说明", max_length=200, blank=True)
    period_note = models.CharField("抽查时间", max_length=100, blank=True)
    result_code_set = models.ForeignKey(
        ResultCodeSet, verbose_name="默认检查结果代码集", null=True, blank=True, on_delete=models.PROTECT
    )
    is_active = models.BooleanField("有效", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "抽查事项"
        ordering = ["department__path", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_joint(self) -> bool:
        return self.components.exists()

    def method_labels(self) -> list[str]:
        return [Method(m).label for m in self.methods if m in Method.values]

    @property
    def default_rate_percent(self) -> str:
        if self.default_rate_bp is None:
            return ""
        return f"{self.default_rate_bp / 100:g}%"
