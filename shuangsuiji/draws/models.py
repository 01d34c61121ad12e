"""The draw ceremony (随机抽取) of one task, stored so that its bundle can be rebuilt byte for byte."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shuangsuiji.accounts.models import Department
from shuangsuiji.directory.models import Entity, Inspector
from shuangsuiji.planning.models import Task


class Draw(models.Model):
    """At most one per task (the OneToOne): one commitment, then at most one draw, frozen for ever."""

    class State(models.TextChoices):
        COMMITTED = "committed", "已承诺，待抽取"
        DRAWN = "drawn", "已抽取"
        RECEIVED = "received", "上级下发"

    task = models.OneToOneField(Task, on_delete=models.PROTECT, related_name="draw")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.COMMITTED)
    commitment_json = models.TextField("commitment.json")
    commitment_sha256 = models.CharField("承诺摘要", max_length=64, unique=True)
    # Secret until the draw: never shown, never exported before `state` is DRAWN.
    server_nonce_hex = models.CharField(max_length=64)
    population_file = models.CharField("population.tsv 存储路径", max_length=255)
    population_size = models.PositiveIntegerField("总体规模")
    excluded_count = models.PositiveIntegerField("排除数")
    exclusions_tsv = models.TextField(blank=True)
    pool_tsv = models.TextField(blank=True)
    conflicts_tsv = models.TextField(blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    committed_at = models.DateTimeField("承诺时间")
    ceremony_entropy = models.TextField("现场随机数", blank=True)
    ceremony_place = models.CharField("抽取地点", max_length=200, blank=True)
    seed_hex = models.CharField("种子", max_length=64, blank=True)
    result_json = models.TextField("result.json（抽取时）", blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drawn_at = models.DateTimeField("抽取时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("派发时间", null=True, blank=True)
    received_from = models.CharField("下发单位", max_length=200, blank=True)

    class Meta:
        verbose_name = "随机抽取"

    def __str__(self) -> str:
        return f"{self.task.ref} · {self.commitment_sha256[:12]}"


class Witness(models.Model):
    class Role(models.TextChoices):
        INTEGRITY = "integrity", "廉政监督员"
        ENTERPRISE = "enterprise", "企业代表"
        NPC = "npc", "人大代表"
        CPPCC = "cppcc", "政协委员"
        MEDIA = "media", "媒体"
        STAFF = "staff", "工作人员"

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="witnesses")
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("身份", max_length=16, choices=Role.choices)
    organisation = models.CharField("单位", max_length=100, blank=True)

    class Meta:
        verbose_name = "见证人"

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"


class CeremonyMedia(models.Model):
    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="ceremony/%Y/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "抽取影像资料"

    def __str__(self) -> str:
        return self.original_name


class DrawSelection(models.Model):
    """A drawn (or received) entity, in ticket order."""

    # No database foreign keys: PostgreSQL checks those row by row at COMMIT (at 10^7 entities a draw stores
    # ~600,000 rows: 8 s of checks, the entity's by locking each drawn entity's row; benchmarks/bench_draw.py).
    # What they would guard holds without them: rows are written once, in the draw's transaction, with the
    # draw locked and each entity id just looked up by its key (`services._selections_stored`); draws and
    # entities are never deleted (a draw is frozen, 004 第十五条; an entity is deregistered, not removed), and
    # deleting through Django still cascades (draw) or is refused (entity, PROTECT).
    # One index besides the primary key: unique (draw, rank), for lookups by draw — every query of this table
    # is by draw (a task's, a year's). No index by entity: the rows come in rank order, so an entity index is
    # filled at random, which cost the COPY of a big draw's rows 2 s of its 4 at 10^7 entities
    # (benchmarks/bench_draw.py; migration 0007). An entity is once in a draw by construction: the population
    # holds each entity once, and a received list is checked (`services.task_receive`).
    draw = models.ForeignKey(
        Draw, on_delete=models.CASCADE, related_name="selections", db_constraint=False, db_index=False
    )
    rank = models.PositiveIntegerField("序号")
    entity = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="selections", db_constraint=False, db_index=False
    )
    key = models.CharField(max_length=40)
    stratum = models.CharField(max_length=60)
    ticket = models.CharField(max_length=64, blank=True)
    inspection_started_at = models.DateTimeField("检查开始", null=True, blank=True)

    class Meta:
        verbose_name = "抽中对象"
        ordering = ["draw", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "rank"], name="unique_selection_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.key}"


class TeamMember(models.Model):
    """One seat in an entity's team. `drawn` seats are the lottery's; later changes deactivate a seat and
    add its successor, so the team as drawn and the team now are both kept."""

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="members")
    selection = models.ForeignKey(DrawSelection, on_delete=models.CASCADE, related_name="members")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="seats")
    position = models.PositiveSmallIntegerField("次序")
    leader = models.BooleanField("组长", default=False)
    drawn = models.BooleanField("抽取产生", default=True)
    active = models.BooleanField("现任", default=True)

    class Meta:
        verbose_name = "检查小组成员"
        ordering = ["selection", "department__code", "position"]
        indexes = [models.Index(fields=["inspector", "active"])]

    def __str__(self) -> str:
        return f"{self.inspector} @ {self.selection_id}"


class DrawChange(models.Model):
    """递补 (lottery) or 调整更换 (manual, with the department leader's approval). Applied changes carry
    `seq`, their place in the draw's one chronology."""

    class Kind(models.TextChoices):
        SUBSTITUTION = "substitution", "递补抽取"
        REPLACEMENT = "replacement", "调整更换"

    class State(models.TextChoices):
        PENDING = "pending", "待负责人审批"
        APPLIED = "applied", "已生效"
        REJECTED = "rejected", "已驳回"

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="changes")
    seq = models.PositiveIntegerField("序号", null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.APPLIED)
    selection = models.ForeignKey(DrawSelection, on_delete=models.PROTECT, related_name="changes")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    out_inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="+")
    in_inspector = models.ForeignKey(
        Inspector, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField("原因", max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "人员调整"
        ordering = ["draw", "seq", "pk"]
        constraints = [models.UniqueConstraint(fields=["draw", "seq"], name="unique_change_seq")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.seq}"
