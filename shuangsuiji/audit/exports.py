"""Exports of the audit log for the 审计管理员 and the chain head for printing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from shuangsuiji.audit.models import AuditEvent, AuditHead

HEADERS = ("序号", "时间", "操作人", "来源地址", "操作", "对象类型", "对象", "摘要", "结果", "变更", "哈希")


def events_between(start: date | None, end: date | None, action: str = "") -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.order_by("seq")
    tz = timezone.get_current_timezone()
    if start:
        qs = qs.filter(occurred_at__gte=datetime.combine(start, time.min, tzinfo=tz))
    if end:
        qs = qs.filter(occurred_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz))
    if action:
        qs = qs.filter(action__startswith=action)
    return qs


def export_rows(qs: QuerySet[AuditEvent]) -> Iterator[list[Any]]:
    import json

    for e in qs.iterator(chunk_size=5000):
        yield [
            e.seq,
            timezone.localtime(e.occurred_at).replace(tzinfo=None),
            e.actor_name,
            e.ip,
            e.action,
            e.object_type,
            e.object_id,
            e.summary,
            "成功" if e.success else "失败",
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
            e.hash,
        ]


def chain_head() -> dict[str, Any]:
    head = AuditHead.objects.filter(pk=1).first()
    last = AuditEvent.objects.order_by("-seq").first()
    return {
        "seq": head.seq if head else 0,
        "hash": head.hash if head else "0" * 64,
        "at": last.occurred_at if last else None,
        "exported_at": timezone.now(),
    }
