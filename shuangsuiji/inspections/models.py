"""检查情况记录表 (004 附件2, 000 附件): one record per drawn entity, one part per department
(谁检查、谁录入), one result per department × item, versioned for corrections; evidence; follow-ups."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.models import InspectionItem, ResultCode
from shuangsuiji.directory.models import Entity
from shuangsuiji.draws.models import DrawSelection
from shuangsuiji.planning.models import Task


class InspectionRecord(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "检查/录入中"
        COMPLETE = "complete", "已录入，待公示"
        PUBLISHED = "published", "已公示"

    # The only allowed state changes; services check them, nothing else sets `state`.
    TRANSITIONS = {
        State.OPEN: {State.COMPLETE},
        State.COMPLETE: {State.PUBLISHED, State.OPEN},
        State.PUBLISHED: set(),
    }

    class Signature(models.TextChoices):
        PENDING = "pending", "未签字"
        SIGNED = "signed", "检查对象已签字（盖章）"
        REFUSED = "refused", "检查对象拒绝签字，检查人员已签字说明"
        NOT_APPLICABLE = "not_applicable", "未能实质检查（无法联系/不配合），不适用"

    selection = models.OneToOneField(DrawSelection, on_delete=models.PROTECT, related_name="record")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="records")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="records")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.OPEN)
    inspected_from = models.DateField("检查日期（起）", null=True, blank=True)
    inspected_to = models.DateField("检查日期（止）", null=True, blank=True)
    methods = models.JSONField("检查方式", default=list, blank=True)
    signature = models.CharField(
        "检查对象签字", max_length=16, choices=Signature.choices, default=Signature.PENDING
    )
    signature_note = models.TextField("签字情况说明", blank=True)
    # 20 working days after the inspection ends (task.period_end until the dates are entered).
    results_due = models.DateField("结果录入公示期限")
    results_due_uncertain = models.BooleanField("期限含未核定日历日", default=False)
    completed_at = models.DateTimeField("录入完成时间", null=True, blank=True)
    published_at = models.DateTimeField("公示时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "检查情况记录表"
        ordering = ["task", "selection__rank"]
        indexes = [
            models.Index(fields=["state", "results_due"]),
            models.Index(fields=["entity", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.task.ref} · {self.entity.name}"

    @property
    def number(self) -> str:
        return f"{self.task.ref}-{self.selection.rank:04d}"


class RecordPart(models.Model):
    """One department's part of a record: its items' results, its 处理意见 and 备注."""

    class State(models.TextChoices):
        PENDING = "pending", "待录入"
        ENTERED = "entered", "已提交"

    record = models.ForeignKey(InspectionRecord, on_delete=models.CASCADE, related_name="parts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.PENDING)
    opinion = models.TextField("处理意见", blank=True)
    remarks = models.TextField("备注", blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "部门检查情况"
        ordering = ["record", "department__path"]
        constraints = [
            models.UniqueConstraint(fields=["record", "department"], name="unique_record_department")
        ]

    def __str__(self) -> str:
        return f"{self.record_id} · {self.department}"


class Result(models.Model):
    """检查结果 of one item; `version` 1 is as entered, later versions are approved corrections."""

    part = models.ForeignKey(RecordPart, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(InspectionItem, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField("版本", default=1)
    current = models.BooleanField("现行版本", default=True)
    code = models.ForeignKey(
        ResultCode, verbose_name="检查结果", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finding = models.TextField("发现问题", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "检查结果"
        ordering = ["part", "item__code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["part", "item", "version"], name="unique_result_version"),
        ]
        indexes = [models.Index(fields=["current", "code"])]

    def __str__(self) -> str:
        return f"{self.item} v{self.version}: {self.code or '—'}"


class Correction(models.Model):
    """更正 of a published result (004 第二十二条): approved by the department's head."""

    class State(models.TextChoices):
        PENDING = "pending", "待负责人审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "已驳回"

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="corrections")
    new_code = models.ForeignKey(
        ResultCode, verbose_name="更正为", on_delete=models.PROTECT, related_name="+"
    )
    new_finding = models.TextField("更正后的发现问题", blank=True)
    reason = models.TextField("更正理由")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True)
    new_result = models.OneToOneField(
        Result, null=True, blank=True, on_delete=models.PROTECT, related_name="correction_of"
    )

    class Meta:
        verbose_name = "结果更正"
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"更正 {self.result_id} → {self.new_code}"


class Evidence(models.Model):
    record = models.ForeignKey(InspectionRecord, on_delete=models.CASCADE, related_name="evidence")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="evidence/%Y/")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "检查证据"
        ordering = ["record", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class FollowUp(models.Model):
    """后续处置 (004 第二十三条): each with an owner, a state and a deadline in working days."""

    class Kind(models.TextChoices):
        RECTIFICATION = "rectification", "限期整改（到期回访）"
        TRANSFER = "transfer", "移送/转办"
        ABNORMAL_LISTING = "abnormal_listing", "列入经营异常名录"
        CASE = "case", "立案查处"
        POLICE = "police", "涉嫌犯罪移送公安机关"

    class State(models.TextChoices):
        OPEN = "open", "办理中"
        DONE = "done", "已办结"
        CANCELLED = "cancelled", "已撤销"

    TRANSITIONS = {
        State.OPEN: {State.DONE, State.CANCELLED},
        State.DONE: set(),
        State.CANCELLED: set(),
    }

    record = models.ForeignKey(InspectionRecord, on_delete=models.CASCADE, related_name="followups")
    result = models.ForeignKey(Result, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name="承办部门", on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.OPEN)
    detail = models.TextField("要求/情况", blank=True)
    rectify_by = models.DateField("整改期限", null=True, blank=True)
    due = models.DateField("办理期限")
    due_uncertain = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # completion
    outcome = models.TextField("办理结果", blank=True)
    receiver = models.CharField("接收机关", max_length=100, blank=True)
    document_no = models.CharField("文书编号", max_length=100, blank=True)
    revisit_on = models.DateField("回访日期", null=True, blank=True)
    rectified = models.BooleanField("已整改到位", null=True, blank=True)
    done_at = models.DateTimeField("办结时间", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "后续处置"
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["state", "due"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.record_id}"
