"""Writing audit events. Call `audit_record` inside the same transaction as the change it records."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from shuangsuiji.audit.models import AuditEvent, AuditHead

# "From where" for every event: the request's address, set by the middleware for the request's duration,
# so services need not pass it down.
REQUEST_IP: ContextVar[str] = ContextVar("audit_request_ip", default="")


class RequestAddressMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = REQUEST_IP.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            REQUEST_IP.reset(token)


# Never let a secret reach the log, whatever a caller passes in `detail`.
_SECRET_FIELDS = {
    "password",
    "password1",
    "password2",
    "new_password",
    "secret",
    "token",
    "server_nonce",
    "otp",
}


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k.lower() in _SECRET_FIELDS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)


def event_content(
    *,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_name: str,
    ip: str,
    action: str,
    object_type: str,
    object_id: str,
    summary: str,
    detail: Any,
    success: bool,
) -> bytes:
    content = {
        "seq": seq,
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "ip": ip,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
        "detail": detail,
        "success": success,
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + content).hexdigest()


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    summary: str = "",
    detail: dict[str, Any] | None = None,
    success: bool = True,
    ip: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    actor_name = actor.get_username() if actor_id else (str(actor) if isinstance(actor, str) else "")
    clean_detail = _scrub(detail or {})
    ip = ip or REQUEST_IP.get()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        seq = head.seq + 1
        occurred_at = timezone.now()
        content = event_content(
            seq=seq,
            occurred_at=occurred_at,
            actor_id=actor_id,
            actor_name=actor_name,
            ip=ip,
            action=action,
            object_type=object_type,
            object_id=object_id,
            summary=summary,
            detail=clean_detail,
            success=success,
        )
        digest = chain_hash(head.hash, content)
        event = AuditEvent.objects.create(
            seq=seq,
            occurred_at=occurred_at,
            actor_id=actor_id,
            actor_name=actor_name,
            ip=ip,
            action=action,
            object_type=object_type,
            object_id=object_id,
            summary=summary,
            detail=clean_detail,
            success=success,
            prev_hash=head.hash,
            hash=digest,
        )
        head.seq, head.hash = seq, digest
        head.save(update_fields=["seq", "hash"])
    return event


def client_ip(request: Any) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:64] if request is not None else ""
