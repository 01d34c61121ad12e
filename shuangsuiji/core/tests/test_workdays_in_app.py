"""The holiday calendar as the app uses it: the library, the administrators' table and the CLI."""

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.core.calendar import work_calendar, workday_override_set

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("workdays", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_cli_uses_real_schedules_and_is_its_own_inverse() -> None:
    # 20 working days after 2025-01-20 crosses Spring Festival 2025 (Jan 28–Feb 4 off, Jan 26 and Feb 8 worked)
    assert run("add", "2025-01-20", "20")[0] == "2025-02-21"
    assert run("between", "2025-01-20", "2025-02-21")[0] == "20"
    assert run("add", "2025年9月26日", "7")[0] == "2025-10-13"  # across National Day and Mid-Autumn 2025


def test_an_uncovered_year_is_computed_by_weekday_and_flagged() -> None:
    out, err = run("add", "2026-12-30", "3")
    assert out == "2027-01-04" and "2027-01-01" in err and "不在节假日数据覆盖范围内" in err


def test_an_override_wins_and_is_audited(cast: Any) -> None:
    workday_override_set(actor=cast["scjg.sysadmin"], day=date(2027, 1, 1), workday=False, note="元旦")
    workday_override_set(actor=cast["scjg.sysadmin"], day=date(2027, 1, 4), workday=False, note="元旦调休")
    assert run("add", "2026-12-31", "1")[0] == "2027-01-05"
    assert not work_calendar().is_workday(date(2027, 1, 4))
    assert AuditEvent.objects.filter(action="workdays.override").count() == 2


def test_the_system_admin_maintains_the_table_through_the_page(client_for: Any) -> None:
    client = client_for("scjg.sysadmin")
    page = client.get("/staff/workdays/", {"year": 2027})
    assert "尚未内置" in page.content.decode()
    client.post("/staff/workdays/", {"date": "2027-02-06", "workday": "1", "note": "春节调休上班"})
    assert work_calendar().is_workday(date(2027, 2, 6))  # a Saturday made a working day
    client.post("/staff/workdays/?year=2027", {"complete": "1", "note": "国办发明电"})
    assert not work_calendar().add(date(2027, 3, 1), 5).uncertain
