from django.conf import settings
from django.db import models


class AuditHead(models.Model):
    """One row: the chain's last sequence number and hash. Locked (SELECT … FOR UPDATE) by every
    writer, so events are numbered and chained strictly one after another."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash}"


class AuditEvent(models.Model):
    """Append-only, hash-chained: `hash = SHA256(prev_hash + canonical JSON of the content)`."""

    seq = models.BigIntegerField("序号", unique=True)
    occurred_at = models.DateTimeField("时间", db_index=True)
    # No cascade and no constraint: deleting an account must never touch (or be blocked by) the log;
    # `actor_name` keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    ip = models.CharField("来源地址", max_length=64, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象", max_length=64, blank=True)
    summary = models.TextField("摘要", blank=True)
    detail = models.JSONField("变更", default=dict, blank=True)
    success = models.BooleanField("成功", default=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计事件"
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
