"""The working-day calendar as the app uses it: `shuangsuiji.workdays` plus the administrators' table."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal

from shuangsuiji.audit.services import audit_record
from shuangsuiji.core.models import WorkdayOverride, WorkdayYear
from shuangsuiji.workdays import WorkCalendar

# Sent after a change to the working-day table commits, so that apps storing deadlines recompute them.
calendar_changed = Signal()


def _changed() -> None:
    transaction.on_commit(lambda: calendar_changed.send(sender=WorkCalendar))


def work_calendar() -> WorkCalendar:
    overrides = dict(WorkdayOverride.objects.values_list("date", "workday"))
    return WorkCalendar(overrides, complete_years=list(WorkdayYear.objects.values_list("year", flat=True)))


@transaction.atomic
def workday_override_set(*, actor: Any, day: date, workday: bool, note: str = "") -> WorkdayOverride:
    override, _ = WorkdayOverride.objects.update_or_create(
        date=day, defaults={"workday": workday, "note": note.strip(), "created_by": actor}
    )
    audit_record(
        actor=actor,
        action="workdays.override",
        obj=override,
        summary=f"设置 {day:%Y-%m-%d} 为{'工作日' if workday else '休息日'}"
        + (f"（{note}）" if note else ""),
    )
    _changed()
    return override


@transaction.atomic
def workday_override_delete(*, actor: Any, override: WorkdayOverride) -> None:
    audit_record(
        actor=actor,
        action="workdays.override_delete",
        obj=override,
        summary=f"删除 {override.date:%Y-%m-%d} 的工作日调整",
    )
    override.delete()
    _changed()


@transaction.atomic
def workday_year_complete(*, actor: Any, year: int, note: str = "") -> WorkdayYear:
    if not 2000 <= year <= 2100:
        raise ValidationError("年度应在 2000–2100 之间。")
    marked, _ = WorkdayYear.objects.update_or_create(
        year=year, defaults={"note": note.strip(), "created_by": actor}
    )
    audit_record(
        actor=actor, action="workdays.year_complete", obj=marked, summary=f"{year} 年节假日安排已录入完整"
    )
    _changed()
    return marked
