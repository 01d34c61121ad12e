"""Real published schedules (国务院办公厅关于节假日安排的通知, 2024–2026) and hand-computed deadlines."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import chinese_calendar
import pytest

from shuangsuiji.workdays import (
    LIBRARY_YEARS,
    RESULT_PUBLICATION_WORKDAYS,
    TRANSFER_WORKDAYS,
    DateRangeError,
    DayInfo,
    WorkCalendar,
    default_calendar,
)

D = dt.date
CAL = WorkCalendar()


def span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# (days off, make-up workdays on a weekend) straight from the State Council notices.
SCHEDULES = {
    "2024 春节": (span(D(2024, 2, 10), D(2024, 2, 17)), [D(2024, 2, 4), D(2024, 2, 18)]),
    "2024 国庆": (span(D(2024, 10, 1), D(2024, 10, 7)), [D(2024, 9, 29), D(2024, 10, 12)]),
    "2025 春节": (span(D(2025, 1, 28), D(2025, 2, 4)), [D(2025, 1, 26), D(2025, 2, 8)]),
    "2025 国庆中秋": (span(D(2025, 10, 1), D(2025, 10, 8)), [D(2025, 9, 28), D(2025, 10, 11)]),
    # 国办发明电〔2025〕7号: 春节 2月15日（周日）至23日（周一），2月14日（周六）、2月28日（周六）上班；
    # 中秋 9月25日至27日；国庆 10月1日至7日，9月20日（周日）、10月10日（周六）上班。
    "2026 春节": (span(D(2026, 2, 15), D(2026, 2, 23)), [D(2026, 2, 14), D(2026, 2, 28)]),
    "2026 中秋": (span(D(2026, 9, 25), D(2026, 9, 27)), []),
    "2026 国庆": (span(D(2026, 10, 1), D(2026, 10, 7)), [D(2026, 9, 20), D(2026, 10, 10)]),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_published_schedule(name: str) -> None:
    off, makeup = SCHEDULES[name]
    for day in off:
        info = CAL.day_info(day)
        assert (info.workday, info.source) == (False, "calendar"), day
        assert info.holiday_name in {"春节", "国庆节", "中秋"}, day
    for day in makeup:
        assert day.weekday() >= 5, "a make-up workday is a weekend day"
        info = CAL.day_info(day)
        assert (info.workday, info.source) == (True, "calendar"), day
        assert info.label.endswith("调休上班")


def test_eves_are_working_days_unless_scheduled() -> None:
    assert CAL.is_workday(D(2024, 2, 9))  # 2024 除夕 was not a public holiday
    assert not CAL.is_workday(D(2026, 2, 15))  # 2026 腊月二十八 (Sunday) opens the 9-day break
    assert CAL.is_workday(D(2026, 10, 8)) and CAL.is_workday(D(2026, 10, 9))  # 2026 国庆 only 7 days
    assert not CAL.is_workday(D(2025, 10, 8))  # 2025 国庆中秋 8 days


def test_day_info_names_and_labels() -> None:
    assert CAL.day_info(D(2025, 10, 6)) == DayInfo(D(2025, 10, 6), False, "calendar", "中秋")
    assert CAL.day_info(D(2025, 10, 1)).label == "国庆节"
    assert CAL.day_info(D(2025, 3, 3)) == DayInfo(D(2025, 3, 3), True, "calendar", None)
    assert CAL.day_info(D(2025, 3, 3)).label == "工作日"
    assert CAL.day_info(D(2025, 3, 1)).label == "休息日"
    assert not CAL.day_info(D(2025, 3, 1)).uncertain


# Each expected value counted by hand on the published schedule (see comments).
ADD_CASES = [
    # Mon 1/20 → 21,22,23,24 (4), Sun 1/26 调休 (5), 1/27 (6), 1/28–2/4 off, 2/5,6,7 (9), Sat 2/8 调休 (10),
    # 2/10–14 (15), 2/17–21 (20).
    (D(2025, 1, 20), 20, D(2025, 2, 21)),
    # Thu 2/1 → Fri 2/2 (1), Sun 2/4 调休 (2), 2/5–9 (7), 2/10–17 off, Sun 2/18 调休 (8), 2/19–23 (13),
    # 2/26–3/1 (18), 3/4 (19), 3/5 (20).
    (D(2024, 2, 1), 20, D(2024, 3, 5)),
    # Fri 9/27 → Sun 9/29 调休 (1), 9/30 (2), 10/1–7 off, 10/8–11 (6), Sat 10/12 调休 (7).
    (D(2024, 9, 27), TRANSFER_WORKDAYS, D(2024, 10, 12)),
    # Fri 9/26 → Sun 9/28 调休 (1), 9/29, 9/30 (3), 10/1–8 off, 10/9, 10/10 (5), Sat 10/11 调休 (6), Mon 10/13 (7).
    (D(2025, 9, 26), TRANSFER_WORKDAYS, D(2025, 10, 13)),
    # Tue 9/30 → 10/9, 10/10, Sat 10/11 (3), 10/13–17 (8), 10/20–24 (13), 10/27–31 (18), 11/3, 11/4 (20).
    (D(2025, 9, 30), RESULT_PUBLICATION_WORKDAYS, D(2025, 11, 4)),
    # Fri 2/6 → 2/9–13 (5), Sat 2/14 调休 (6), 2/15–23 off, 2/24–27 (10), Sat 2/28 调休 (11), 3/2–6 (16),
    # 3/9–12 (20).
    (D(2026, 2, 6), RESULT_PUBLICATION_WORKDAYS, D(2026, 3, 12)),
    # Thu 9/24 → 9/25–27 中秋 off, 9/28–30 (3), 10/1–7 off, 10/8, 10/9 (5), Sat 10/10 调休 (6), Mon 10/12 (7).
    (D(2026, 9, 24), TRANSFER_WORKDAYS, D(2026, 10, 12)),
    # Saturday start: Sat 2/17 2024 (holiday) → Sun 2/18 调休 is the first working day.
    (D(2024, 2, 17), 1, D(2024, 2, 18)),
    # add(d, 0) == d, even on a holiday.
    (D(2025, 1, 29), 0, D(2025, 1, 29)),
]


@pytest.mark.parametrize(("start", "n", "expected"), ADD_CASES)
def test_add_hand_computed(start: dt.date, n: int, expected: dt.date) -> None:
    deadline = CAL.add(start, n)
    assert deadline.date == expected
    assert (deadline.start, deadline.workdays) == (start, n)
    assert not deadline.uncertain and deadline.uncovered == ()
    assert CAL.between(start, expected).days == n


BETWEEN_CASES = [
    # Fri 9/18 2026 → Sun 9/20 调休 (1), 9/21–24 (5), 9/25–27 off, 9/28–30 (8), 10/1–7 off, 10/8, 9, Sat 10 (11).
    (D(2026, 9, 18), D(2026, 10, 10), 11),
    # The whole 2025 Spring Festival break and its two make-up days: Sat 1/25 .. Sun 2/9 →
    # 1/26 (1), 1/27 (2), 2/5, 2/6, 2/7 (5), 2/8 (6).
    (D(2025, 1, 25), D(2025, 2, 9), 6),
    # Inside a holiday: nothing.
    (D(2024, 10, 1), D(2024, 10, 7), 0),
    # b == a
    (D(2024, 10, 1), D(2024, 10, 1), 0),
    # A plain month: March 2025 has 31 days − 10 weekend days = 21 working days.
    (D(2025, 2, 28), D(2025, 3, 31), 21),
]


@pytest.mark.parametrize(("a", "b", "expected"), BETWEEN_CASES)
def test_between_hand_computed(a: dt.date, b: dt.date, expected: int) -> None:
    assert CAL.between(a, b).days == expected
    assert CAL.between(b, a).days == -expected


def test_between_matches_library_for_whole_years() -> None:
    for year in (2024, 2025, 2026):
        start, end = D(year - 1, 12, 31), D(year, 12, 31)
        expected = len(chinese_calendar.get_workdays(D(year, 1, 1), end))
        assert CAL.between(start, end).days == expected
    # By hand: weekdays − public holidays falling on weekdays + weekend make-up workdays.
    # 2024: 262 − 19 + 8; 2025: 261 − 18 + 5; 2026: 261 − 19 + 6.
    assert CAL.between(D(2023, 12, 31), D(2024, 12, 31)).days == 251
    assert CAL.between(D(2024, 12, 31), D(2025, 12, 31)).days == 248
    assert CAL.between(D(2025, 12, 31), D(2026, 12, 31)).days == 248


def test_between_negative_when_b_before_a() -> None:
    # Fri 2025-10-10 back to Tue 2025-09-30: working days in (9/30, 10/10] = 10/9, 10/10 → 2.
    count = CAL.between(D(2025, 10, 10), D(2025, 9, 30))
    assert count.days == -2
    assert (count.start, count.end) == (D(2025, 10, 10), D(2025, 9, 30))


# ---------------------------------------------------------------------------------------- overrides


def test_override_wins_over_library() -> None:
    # Declare Mon 2025-01-27 (a library working day) a day off, and Sun 2025-02-02 (library holiday) a workday.
    cal = WorkCalendar({D(2025, 1, 27): False, D(2025, 2, 2): True})
    assert cal.day_info(D(2025, 1, 27)) == DayInfo(D(2025, 1, 27), False, "override", None)
    assert cal.day_info(D(2025, 2, 2)) == DayInfo(D(2025, 2, 2), True, "override", None)
    # 1/21–24 (4), 1/26 (5), 2/2 (6), 2/5–7 (9), 2/8 (10), 2/10–14 (15), 2/17–21 (20): net unchanged.
    assert cal.add(D(2025, 1, 20), 20).date == D(2025, 2, 21)
    # Only the extra day off: one working day later.
    cal = WorkCalendar({D(2025, 1, 27): False})
    assert cal.add(D(2025, 1, 20), 20).date == D(2025, 2, 24)
    assert cal.between(D(2025, 1, 20), D(2025, 2, 21)).days == 19
    # Override for a make-up workday turned back into a day off.
    cal = WorkCalendar({D(2024, 10, 12): False})
    assert cal.add(D(2024, 9, 27), 7).date == D(2024, 10, 14)


def test_overrides_are_copied() -> None:
    table = {D(2025, 3, 3): False}
    cal = WorkCalendar(table)
    table[D(2025, 3, 3)] = True
    assert not cal.is_workday(D(2025, 3, 3))
    assert cal.overrides == {D(2025, 3, 3): False}


def test_bad_overrides_rejected() -> None:
    with pytest.raises(TypeError):
        WorkCalendar({dt.datetime(2025, 3, 3): False})
    with pytest.raises(TypeError):
        WorkCalendar({D(2025, 3, 3): 0})  # type: ignore[dict-item]


# ---------------------------------------------------------------------------------- uncovered dates


def test_library_coverage() -> None:
    first, last = LIBRARY_YEARS
    assert first <= 2024 and last >= 2026
    with pytest.raises(NotImplementedError):  # how chinesecalendar signals a year it lacks
        chinese_calendar.is_workday(D(last + 1, 1, 4))


def test_uncovered_year_uses_weekday_rule_and_is_flagged() -> None:
    year = LIBRARY_YEARS[1] + 1
    new_year = D(year, 1, 1)
    info = CAL.day_info(new_year)
    assert info.source == "weekday-rule" and info.uncertain
    assert info.workday == (new_year.weekday() < 5)  # New Year's Day, but no data: the guess is Mon–Fri
    assert not CAL.is_covered(new_year)
    assert CAL.is_covered(D(year - 1, 12, 31))
    # Before the data starts too.
    assert CAL.day_info(D(2003, 12, 31)).source == "weekday-rule"


@pytest.mark.skipif(LIBRARY_YEARS[1] != 2026, reason="hand-computed for data ending in 2026")
def test_deadline_running_into_2027() -> None:
    # Fri 2026-12-25 → 12/28–31 (4), Fri 2027-01-01 (5, a guess: it will surely be 元旦).
    deadline = CAL.add(D(2026, 12, 25), 5)
    assert deadline.date == D(2027, 1, 1)
    assert deadline.uncertain and deadline.uncovered == (D(2027, 1, 1),)
    # Inside 2026 nothing is flagged even though the start is late in the year.
    assert not CAL.add(D(2026, 12, 25), 4).uncertain
    # An override for 元旦 decides that day; the weekend and Monday after are still guesses.
    cal = WorkCalendar({D(2027, 1, 1): False})
    deadline = cal.add(D(2026, 12, 25), 5)
    assert deadline.date == D(2027, 1, 4)
    assert deadline.uncovered == (D(2027, 1, 2), D(2027, 1, 3), D(2027, 1, 4))
    count = cal.between(D(2027, 1, 4), D(2026, 12, 25))
    assert count.days == -5 and count.uncovered == deadline.uncovered


def test_complete_override_year_is_not_flagged() -> None:
    year = LIBRARY_YEARS[1] + 1
    start = D(year, 3, 2)
    cal = WorkCalendar({D(year, 1, 1): False}, complete_years=[year])
    assert cal.day_info(start) == DayInfo(start, start.weekday() < 5, "override", None)
    assert not cal.add(start, 20).uncertain
    # A complete year never changes what the library says.
    cal = WorkCalendar(complete_years=[2025])
    assert cal.day_info(D(2025, 1, 26)).source == "calendar"
    assert cal.day_info(D(2025, 1, 26)).workday


# ---------------------------------------------------------------------------------------- due status


def test_due_status_states() -> None:
    # Inspection ends Mon 2025-01-20; publication due Fri 2025-02-21 (20 working days).
    deadline = CAL.add(D(2025, 1, 20), RESULT_PUBLICATION_WORKDAYS)
    status = CAL.due_status(deadline, D(2025, 1, 20))
    assert (status.state, status.remaining) == ("on_track", 20)
    status = CAL.due_status(deadline, D(2025, 2, 17))  # Mon: 18, 19, 20, 21 left
    assert (status.state, status.remaining) == ("on_track", 4)
    status = CAL.due_status(deadline, D(2025, 2, 18))
    assert (status.state, status.remaining) == ("due_soon", 3)
    status = CAL.due_status(deadline.date, D(2025, 2, 21))
    assert (status.state, status.remaining, status.overdue_by) == ("due_today", 0, 0)
    status = CAL.due_status(deadline, D(2025, 2, 22))  # Saturday after: late by a weekend only
    assert (status.state, status.remaining, status.overdue_by) == ("overdue", 0, 0)
    status = CAL.due_status(deadline, D(2025, 2, 25))
    assert (status.state, status.remaining, status.overdue_by) == ("overdue", -2, 2)


def test_due_status_across_spring_festival() -> None:
    # Due Fri 2025-02-07; on Fri 2025-01-24 it looks far away but only 1/26, 1/27, 2/5, 2/6, 2/7 remain.
    status = CAL.due_status(D(2025, 2, 7), D(2025, 1, 24))
    assert (status.state, status.remaining) == ("on_track", 5)
    status = CAL.due_status(D(2025, 2, 7), D(2025, 1, 26))  # Sunday 调休: 1/27, 2/5, 2/6, 2/7
    assert (status.state, status.remaining) == ("on_track", 4)
    status = CAL.due_status(D(2025, 2, 7), D(2025, 1, 27))
    assert (status.state, status.remaining) == ("due_soon", 3)
    assert CAL.due_status(D(2025, 2, 7), D(2025, 1, 27), soon=2).state == "on_track"


def test_due_status_carries_uncertainty() -> None:
    deadline = CAL.add(D(2026, 12, 25), 5)  # 2027-01-01, guessed
    status = CAL.due_status(deadline, D(2026, 12, 28))
    assert status.uncertain and D(2027, 1, 1) in status.uncovered
    # Even if today is already past the guessed stretch, the deadline's own guess is kept.
    status = CAL.due_status(deadline, D(2027, 1, 1))
    assert status.state == "due_today" and status.uncovered == (D(2027, 1, 1),)
    assert not CAL.due_status(D(2026, 12, 31), D(2026, 12, 28)).uncertain


# ---------------------------------------------------------------------------------------- input checks


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        CAL.add(D(2025, 1, 1), -1)
    with pytest.raises(TypeError):
        CAL.add(D(2025, 1, 1), 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        CAL.add(D(2025, 1, 1), True)
    with pytest.raises(TypeError):
        CAL.add(dt.datetime(2025, 1, 1, 12), 1)
    with pytest.raises(TypeError):
        CAL.between(D(2025, 1, 1), "2025-02-01")  # type: ignore[arg-type]
    with pytest.raises(DateRangeError):
        CAL.add(dt.date.max - dt.timedelta(days=3), 10)


def test_default_calendar_is_shared() -> None:
    assert default_calendar() is default_calendar()
    assert default_calendar().add(D(2025, 1, 20), 20).date == D(2025, 2, 21)


def test_package_does_not_import_django() -> None:
    code = "import sys, shuangsuiji.workdays, shuangsuiji.workdays.cli; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
