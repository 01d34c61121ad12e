"""Properties of add/between over 2024–2027 (2027 is beyond the data: weekday rule), with and without overrides."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.workdays import LIBRARY_YEARS, WorkCalendar

CAL = WorkCalendar()
dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))
counts = st.integers(min_value=0, max_value=60)
override_tables = st.dictionaries(dates, st.booleans(), max_size=40)


def _covered(d: dt.date) -> bool:
    return LIBRARY_YEARS[0] <= d.year <= LIBRARY_YEARS[1]


@given(dates, counts)
def test_between_inverts_add(a: dt.date, n: int) -> None:
    deadline = CAL.add(a, n)
    count = CAL.between(a, deadline.date)
    assert count.days == n
    assert count.uncovered == deadline.uncovered


@given(dates, counts)
def test_add_monotone_and_lands_on_workdays(a: dt.date, n: int) -> None:
    this, following = CAL.add(a, n).date, CAL.add(a, n + 1).date
    assert this < following
    assert CAL.is_workday(following)
    # Nothing working in between: the (n+1)-th is the next working day after the n-th.
    assert CAL.add(this, 1).date == following


@given(dates, counts, override_tables)
def test_properties_hold_with_overrides(a: dt.date, n: int, table: dict[dt.date, bool]) -> None:
    cal = WorkCalendar(table)
    deadline = cal.add(a, n)
    assert cal.between(a, deadline.date).days == n
    if n >= 1:
        assert cal.is_workday(deadline.date)
        assert deadline.date > a
    for day, workday in table.items():
        assert cal.is_workday(day) is workday


@given(dates, dates, dates)
def test_between_antisymmetric_and_additive(a: dt.date, b: dt.date, c: dt.date) -> None:
    assert CAL.between(a, b).days == -CAL.between(b, a).days
    assert CAL.between(a, b).days + CAL.between(b, c).days == CAL.between(a, c).days


@given(dates, dates)
def test_uncovered_is_exactly_the_uncovered_days_in_span(a: dt.date, b: dt.date) -> None:
    lo, hi = min(a, b), max(a, b)
    expected = tuple(lo + dt.timedelta(days=i) for i in range(1, (hi - lo).days + 1))
    expected = tuple(d for d in expected if not _covered(d))
    assert CAL.between(a, b).uncovered == expected


@settings(max_examples=50)
@given(dates, dates)
def test_between_matches_chinese_calendar_where_covered(a: dt.date, b: dt.date) -> None:
    lo, hi = min(a, b), max(a, b)
    hi = min(hi, dt.date(LIBRARY_YEARS[1], 12, 31))
    if lo >= hi:
        return
    oracle = len(chinese_calendar.get_workdays(lo + dt.timedelta(days=1), hi))
    assert CAL.between(lo, hi).days == oracle
