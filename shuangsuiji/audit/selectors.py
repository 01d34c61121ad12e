from __future__ import annotations

from dataclasses import dataclass

from shuangsuiji.audit.models import AuditEvent, AuditHead
from shuangsuiji.audit.services import chain_hash, event_content


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    message: str


def audit_chain_verify() -> ChainReport:
    """Walk the chain in sequence order and name the first event that was changed, removed or inserted."""
    prev_hash = "0" * 64
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                return ChainReport(
                    False, checked, f"事件 #{expected_seq} 缺失（被删除）；下一条是 #{event.seq}。"
                )
            return ChainReport(False, checked, f"事件 #{event.seq} 序号重复或被插入。")
        if event.prev_hash != prev_hash:
            return ChainReport(
                False, checked, f"事件 #{event.seq} 的前序哈希与链不符：此前的事件被改动、删除或插入。"
            )
        content = event_content(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            ip=event.ip,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            summary=event.summary,
            detail=event.detail,
            success=event.success,
        )
        if chain_hash(prev_hash, content) != event.hash:
            return ChainReport(False, checked, f"事件 #{event.seq} 的内容被改动（哈希不符）。")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return ChainReport(
            False,
            checked,
            f"链尾不符：记录的链头是 #{head.seq}，实际最后一条是 #{expected_seq - 1}（末尾事件被删除或改动）。",
        )
    return ChainReport(True, checked, f"审计链完整：共 {checked} 条事件，链头 {prev_hash}。")
