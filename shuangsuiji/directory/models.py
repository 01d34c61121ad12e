"""The two directories (两库): regulated entities and enforcement inspectors, plus 回避 declarations."""

from django.conf import settings
from django.db import models

from shuangsuiji.accounts.models import Department


class EntityType(models.TextChoices):
    COMPANY = "company", "企业"
    INDIVIDUAL = "individual", "个体工商户"
    COOPERATIVE = "cooperative", "农民专业合作社"
    GOVERNMENT = "government", "机关"
    INSTITUTION = "institution", "事业单位"
    ASSOCIATION = "association", "社会团体"
    OTHER = "other", "其他主体"


class Status(models.TextChoices):
    ACTIVE = "active", "存续"
    SUSPENDED = "suspended", "停业"
    MOVED_OUT = "moved_out", "迁出"
    REVOKED = "revoked", "吊销"
    DEREGISTERED = "deregistered", "注销"


class CreditRiskClass(models.TextChoices):
    # 企业信用风险分类 (001 二(二)): internal, never published.
    A = "A", "A类（信用风险低）"
    B = "B", "B类（信用风险一般）"
    C = "C", "C类（信用风险较高）"
    D = "D", "D类（信用风险高）"


class FireSafetyCategory(models.TextChoices):
    KEY = "key", "消防安全重点单位"
    GENERAL = "general", "一般单位"
    SMALL = "small", "九小场所"


class BuildingCategory(models.TextChoices):
    HIGH_RISE = "high_rise", "高层建筑"
    MULTI_STOREY = "multi_storey", "多层建筑"
    SINGLE_STOREY = "single_storey", "单层建筑"
    UNDERGROUND = "underground", "地下建筑"


class Occupancy(models.TextChoices):
    CROWDED = "crowded", "人员密集场所"
    FLAMMABLE = "flammable", "易燃易爆场所"
    PRODUCTION = "production", "生产加工场所"
    STORAGE = "storage", "仓储物流场所"
    OFFICE = "office", "办公场所"
    OTHER = "other", "其他场所"


class Scale(models.TextChoices):
    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"


class FireFacilities(models.TextChoices):
    AUTOMATIC = "automatic", "设有自动消防设施"
    HYDRANT = "hydrant", "设有室内消火栓系统"
    BASIC = "basic", "仅配备灭火器材"


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Entity(models.Model):
    """检查对象: one regulated entity. The district keeps one register; each department lists the
    entities in its own object directory (`DirectoryListing`), and stations see their jurisdiction."""

    name = models.CharField("单位名称", max_length=200)  # searched by the trigram index (PostgreSQL)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    reg_no = models.CharField("注册号", max_length=30, unique=True, null=True, blank=True)
    legal_representative = models.CharField("法定代表人/负责人", max_length=50)
    address = models.CharField("住所/经营场所", max_length=300)
    town = models.CharField("所在镇（街道）", max_length=30, blank=True)
    registration_authority = models.CharField("登记机关", max_length=100)
    jurisdiction = models.ForeignKey(
        Department,
        verbose_name="管辖单位",
        on_delete=models.PROTECT,
        related_name="jurisdiction_entities",
        db_index=False,  # the (jurisdiction, status) index serves
    )
    entity_type = models.CharField(
        "主体类型", max_length=16, choices=EntityType.choices, default=EntityType.COMPANY
    )
    industry = models.CharField("行业", max_length=60, blank=True)
    status = models.CharField("登记状态", max_length=16, choices=Status.choices, default=Status.ACTIVE)
    established_on = models.DateField("成立日期", null=True, blank=True)
    credit_risk_class = models.CharField(
        "信用风险分类", max_length=1, choices=CreditRiskClass.choices, blank=True
    )
    fire_safety_category = models.CharField(
        "消防安全类别", max_length=16, choices=FireSafetyCategory.choices, blank=True
    )
    building_category = models.CharField(
        "建筑类别", max_length=16, choices=BuildingCategory.choices, blank=True
    )
    occupancy = models.CharField("场所性质", max_length=16, choices=Occupancy.choices, blank=True)
    scale = models.CharField("规模", max_length=8, choices=Scale.choices, blank=True)
    fire_facilities = models.CharField(
        "建筑消防设施类别", max_length=16, choices=FireFacilities.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "检查对象"
        indexes = [
            models.Index(fields=["jurisdiction", "status"]),
            models.Index(fields=["status", "credit_risk_class"]),
            models.Index(fields=["fire_safety_category"]),
            models.Index(fields=["legal_representative"]),
            # plain b-trees: equality only (db_index=True would add a LIKE-prefix twin on PostgreSQL that no
            # query uses and every write pays for)
            models.Index(fields=["town"]),
            models.Index(fields=["industry"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(uscc__isnull=False) | models.Q(reg_no__isnull=False),
                name="entity_has_uscc_or_reg_no",
            )
        ]

    # What a user may set by hand or by import (one list for the form, the services and the import).
    EDITABLE_FIELDS = (
        "name",
        "uscc",
        "reg_no",
        "legal_representative",
        "address",
        "town",
        "registration_authority",
        "jurisdiction",
        "entity_type",
        "industry",
        "status",
        "established_on",
        "credit_risk_class",
        "fire_safety_category",
        "building_category",
        "occupancy",
        "scale",
        "fire_facilities",
    )

    def __str__(self) -> str:
        return self.name

    @property
    def draw_key(self) -> str:
        """The entity's key in ssj-draw/1: its USCC, else its registration number."""
        return self.uscc or self.reg_no or ""


class DirectoryListing(models.Model):
    """Entity X is in department Y's object directory (检查对象名录库)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="listings")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="listings")
    listed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "名录库收录"
        constraints = [models.UniqueConstraint(fields=["department", "entity"], name="unique_listing")]

    def __str__(self) -> str:
        return f"{self.department_id} ∋ {self.entity_id}"


class Inspector(models.Model):
    """执法检查人员. Only holders of 行政执法资格 who are on duty can ever be drawn (001)."""

    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    department = models.ForeignKey(
        Department, verbose_name="单位", on_delete=models.PROTECT, related_name="inspectors"
    )
    post = models.CharField("职务/岗位", max_length=60, blank=True)
    title_category = models.CharField("专业技术职称类别", max_length=60, blank=True)
    specialties = models.CharField("业务专长", max_length=200, blank=True)
    cert_no = models.CharField("执法证号", max_length=40, unique=True)
    years_of_service = models.PositiveSmallIntegerField("执法工作年限", default=0)
    qualified = models.BooleanField("具有行政执法资格", default=True)
    on_duty = models.BooleanField("在岗", default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="系统账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspector",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "执法检查人员"
        indexes = [models.Index(fields=["department", "qualified", "on_duty"])]

    EDITABLE_FIELDS = (
        "name",
        "gender",
        "department",
        "post",
        "title_category",
        "specialties",
        "cert_no",
        "years_of_service",
        "qualified",
        "on_duty",
    )

    def __str__(self) -> str:
        return f"{self.name}（{self.cert_no}）"

    @property
    def drawable(self) -> bool:
        return self.qualified and self.on_duty


class Conflict(models.Model):
    """利害关系 / 回避: this inspector must never be sent to this entity."""

    inspector = models.ForeignKey(
        Inspector, verbose_name="执法检查人员", on_delete=models.CASCADE, related_name="conflicts"
    )
    entity = models.ForeignKey(
        Entity, verbose_name="检查对象", on_delete=models.CASCADE, related_name="conflicts"
    )
    reason = models.CharField("利害关系", max_length=200)
    declared_on = models.DateField("申报日期")
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "回避申报"
        constraints = [models.UniqueConstraint(fields=["inspector", "entity"], name="unique_conflict")]

    def __str__(self) -> str:
        return f"{self.inspector.name} ↔ {self.entity.name}"


class ImportBatch(models.Model):
    """One uploaded file on its way in: preview (counts and errors, nothing written), then confirm."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", "已上传，检查中"
        PREVIEWED = "previewed", "已检查，待确认"
        COMMITTING = "committing", "导入中"
        COMMITTED = "committed", "已导入"
        REJECTED = "rejected", "未导入"

    kind = models.CharField(max_length=16)
    filename = models.CharField("文件名", max_length=200)
    stored = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    update_existing = models.BooleanField("更新已有记录", default=False)
    mark_missing = models.CharField("文件未列出的对象", max_length=16, blank=True)
    valid_rows_only = models.BooleanField("仅导入无误的行", default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.UPLOADED)
    counts = models.JSONField(default=dict)
    summary = models.TextField(blank=True)
    first_errors = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    errors_file = models.CharField(max_length=255, blank=True)
    file_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "导入批次"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_state_display()}）"
