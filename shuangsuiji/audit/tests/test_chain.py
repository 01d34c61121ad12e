from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.audit.selectors import audit_chain_verify
from shuangsuiji.audit.services import audit_record

pytestmark = pytest.mark.django_db


def _three(cast: Any) -> list[AuditEvent]:
    return [
        audit_record(
            actor=cast["cg.manager"],
            action="test.event",
            summary=f"第{i}条",
            detail={"password": "Secret#1", "n": i},
        )
        for i in range(3)
    ]


def test_a_clean_chain_verifies(cast: Any, capsys: Any) -> None:
    _three(cast)
    assert audit_chain_verify().ok
    call_command("audit", "verify")
    assert "审计链完整" in capsys.readouterr().out


def test_passwords_never_reach_the_log(cast: Any) -> None:
    event = _three(cast)[0]
    assert event.detail["password"] == "***"
    assert "Secret#1" not in str(AuditEvent.objects.values_list("detail", flat=True))


def test_an_edited_event_is_named(cast: Any) -> None:
    events = _three(cast)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ["改过的", events[1].seq])
    report = audit_chain_verify()
    assert not report.ok and f"#{events[1].seq} 的内容被改动" in report.message
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_a_deleted_event_is_named(cast: Any) -> None:
    events = _three(cast)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])
    report = audit_chain_verify()
    assert not report.ok and f"#{events[1].seq} 缺失" in report.message


def test_a_deleted_last_event_is_caught_by_the_head(cast: Any) -> None:
    events = _three(cast)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [events[2].seq])
    report = audit_chain_verify()
    assert not report.ok and "链尾不符" in report.message
