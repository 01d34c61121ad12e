from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.audit.selectors import audit_chain_verify
from shuangsuiji.audit.services import audit_record

pytestmark = pytest.mark.django_db


def tamper(sql: str, params: list[Any]) -> None:
    """What a database administrator could do: on PostgreSQL first switch off the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        cursor.execute(sql, params)


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
    tamper("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ["改过的", events[1].seq])
    report = audit_chain_verify()
    assert not report.ok and f"#{events[1].seq} 的内容被改动" in report.message
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_a_deleted_event_is_named(cast: Any) -> None:
    events = _three(cast)
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])
    report = audit_chain_verify()
    assert not report.ok and f"#{events[1].seq} 缺失" in report.message


def test_a_deleted_last_event_is_caught_by_the_head(cast: Any) -> None:
    events = _three(cast)
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[2].seq])
    report = audit_chain_verify()
    assert not report.ok and "链尾不符" in report.message


def test_an_inserted_event_is_caught(cast: Any) -> None:
    events = _three(cast)
    # a forged event squeezed in: renumber the later ones and insert a plausible row in the gap
    tamper("UPDATE audit_auditevent SET seq = seq + 1 WHERE seq >= %s", [events[2].seq])
    forged = events[1]
    tamper(
        "INSERT INTO audit_auditevent (seq, occurred_at, actor_name, ip, action, object_type, object_id, summary, "
        "detail, success, prev_hash, hash) VALUES (%s, %s, %s, '', 'test.event', '', '', '伪造', %s, true, %s, %s)",
        [events[2].seq, forged.occurred_at, forged.actor_name, '{"n": 9}', forged.hash, "f" * 64],
    )
    report = audit_chain_verify()
    assert not report.ok and f"#{events[2].seq}" in report.message


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_of_audit_rows(cast: Any) -> None:
    from django.db import DatabaseError, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    event = _three(cast)[0]
    for sql in (
        "UPDATE audit_auditevent SET summary = 'x' WHERE seq = %s",
        "DELETE FROM audit_auditevent WHERE seq = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.seq])
    assert AuditEvent.objects.get(seq=event.seq).summary == event.summary


def test_head_and_export_commands(cast: Any, tmp_path: Any, capsys: Any) -> None:
    import openpyxl

    events = _three(cast)
    call_command("audit", "head")
    assert events[-1].hash in capsys.readouterr().out
    target = tmp_path / "audit.xlsx"
    call_command("audit", "export", str(target), "--from", "2000-01-01")
    sheet = openpyxl.load_workbook(target).active
    assert sheet.max_row - 1 == AuditEvent.objects.count()
    assert "Secret#1" not in str([c.value for row in sheet.iter_rows() for c in row])


def test_the_audit_admin_reads_and_exports_the_log(client_for: Any) -> None:
    client = client_for("scjg.auditor")
    page = client.get("/staff/audit/", {"action": "demo."})
    assert page.status_code == 200 and [e.action for e in page.context["page"].items] == ["demo.load"]
    download = client.get("/staff/audit/export/", {"format": "csv"})
    assert download.status_code == 200
    assert AuditEvent.objects.filter(action="audit.export", actor_name="scjg.auditor").exists()
    assert client.get("/staff/audit/verify/").context["report"].ok
