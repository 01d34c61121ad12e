"""Working-day calendar: the national holiday schedule, its make-up workdays (调休) and local overrides.

Where a day's status comes from, in order of precedence:

1. ``override`` — the table administrators maintain in the app (``True`` = working day, ``False`` = day
   off). It wins over everything, so a wrong or late library entry can always be corrected.
2. ``calendar`` — the State Council schedule as packaged by ``chinesecalendar`` (holidays and 调休
   make-up workdays). The library covers whole years (1.11.0: 2004–2026) and raises
   ``NotImplementedError`` outside them.
3. ``override`` again, for a year the administrators declared *complete* (``complete_years``): they
   entered every exception of that year's published schedule, so its other days are ordinary
   Monday–Friday days and are certain.
4. ``weekday-rule`` — anything else: Monday–Friday work, Saturday–Sunday rest. Such a day is a guess
   (the schedule for next year is published each November and the library may lag), so every result
   whose span touched one lists it in ``uncovered`` and says ``uncertain``; the page must flag it.

Counting convention (the seeds' "within N working days after the event"): the day of the event is not
counted, 第1个工作日 is the next working day. So:

* ``add(d, n)`` is the n-th working day strictly after ``d``; ``add(d, 0) == d`` whatever ``d`` is.
* ``between(a, b)`` counts the working days in ``(a, b]`` when ``a <= b``, and ``between(a, b) ==
  -between(b, a)`` otherwise. Hence ``between(a, add(a, n)) == n`` and
  ``between(a, b) + between(b, c) == between(a, c)``.

"Span" of a result, for ``uncovered``: the days whose status the result depended on — ``(d, add(d,
n)]`` for ``add``, ``(min(a, b), max(a, b)]`` for ``between``. The start day itself is never looked at.

Datetimes are refused: a deadline is a calendar date in China, and silently taking ``.date()`` of a UTC
timestamp gives the wrong day for eight hours of every day. Localise to Asia/Shanghai first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal, cast

import chinese_calendar

Source = Literal["override", "calendar", "weekday-rule"]
DueState = Literal["overdue", "due_today", "due_soon", "on_track"]

#: 检查结果 entered and published within 20 working days after the inspection ends (000, 004).
RESULT_PUBLICATION_WORKDAYS: Final = 20
#: 移送/转办 of suspected violations within 7 working days after the result is formed (004).
TRANSFER_WORKDAYS: Final = 7
#: "Due soon": at most this many working days left.
DUE_SOON_WORKDAYS: Final = 3

# Per-day codes kept in the lookup cache (ordinal -> code): bit 0 = working day, bit 1 = weekday rule.
_WORK: Final = 1
_GUESS: Final = 2
# The per-day cache is a plain dict for speed; it is dropped when it grows past this many days (about
# 270 years), so a caller walking the whole date range cannot grow it without bound.
_DAY_CACHE_LIMIT: Final = 100_000
_RESULT_CACHE_SIZE: Final = 1 << 16

_ORD_MAX: Final = dt.date.max.toordinal()

# chinesecalendar names holidays in English; the page wants the Chinese names.
_CHINESE_NAMES: Final[dict[str, str]] = {
    cast(str, h.value): cast(str, h.chinese) for h in chinese_calendar.Holiday
}


class DateRangeError(ValueError):
    """The result would fall after 9999-12-31."""


def _library_coverage() -> tuple[int, int]:
    years = [d.year for d in cast("Iterable[dt.date]", chinese_calendar.holidays)]
    return min(years), max(years)


#: The years the installed chinesecalendar covers, inclusive (1.11.0: 2004–2026).
LIBRARY_YEARS: Final[tuple[int, int]] = _library_coverage()


def _library_detail(day: dt.date) -> tuple[bool, str | None] | None:
    """``(is_workday, english holiday name)`` from chinesecalendar, or ``None`` if it does not cover ``day``."""
    try:
        is_off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # the library's signal for a year it has no data for
        return None
    return (not bool(is_off)), (None if name is None else str(name))


def _check_date(value: object, what: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise TypeError(
            f"{what} must be a datetime.date (not {type(value).__name__}); localise datetimes first"
        )
    return value


def _check_count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"the number of working days must be an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError(f"the number of working days must be >= 0, got {n}")
    return n


@dataclass(frozen=True, slots=True)
class DayInfo:
    """One day's status and where it came from."""

    date: dt.date
    workday: bool
    source: Source
    #: Chinese festival name from the national schedule (春节, 国庆节, 中秋 …): for a day off, the holiday;
    #: for a working day, the festival whose make-up workday (调休上班) it is. ``None`` otherwise and for
    #: overrides.
    holiday_name: str | None = None

    @property
    def uncertain(self) -> bool:
        """Decided by the Monday–Friday rule only: flag it on the page."""
        return self.source == "weekday-rule"

    @property
    def label(self) -> str:
        """A short Chinese description for the page: 春节 / 春节调休上班 / 工作日 / 休息日."""
        if self.holiday_name:
            return f"{self.holiday_name}调休上班" if self.workday else self.holiday_name
        return "工作日" if self.workday else "休息日"


@dataclass(frozen=True, slots=True)
class Deadline:
    """``date`` is the ``workdays``-th working day after ``start`` (``start`` itself when 0)."""

    start: dt.date
    workdays: int
    date: dt.date
    #: Days in ``(start, date]`` decided by the weekday rule only, ascending.
    uncovered: tuple[dt.date, ...] = ()

    @property
    def uncertain(self) -> bool:
        return bool(self.uncovered)


@dataclass(frozen=True, slots=True)
class WorkdayCount:
    """``days`` = working days in ``(start, end]``; negative (``-count((end, start])``) when ``end < start``."""

    start: dt.date
    end: dt.date
    days: int
    #: Days in the span decided by the weekday rule only, ascending.
    uncovered: tuple[dt.date, ...] = ()

    @property
    def uncertain(self) -> bool:
        return bool(self.uncovered)


@dataclass(frozen=True, slots=True)
class DueStatus:
    """Where a deadline stands on ``today``.

    ``remaining`` is ``between(today, deadline)``: the working days after today up to and including the
    deadline — on the deadline day it is 0, on the day the clock started it is the full allowance.
    ``state``:

    * ``overdue`` — ``today`` is after the deadline (``remaining <= 0``; ``-remaining`` working days late);
    * ``due_today`` — ``today`` is the deadline;
    * ``due_soon`` — before the deadline with ``remaining <= soon`` (default 3);
    * ``on_track`` — otherwise.
    """

    state: DueState
    deadline: dt.date
    today: dt.date
    remaining: int
    #: Weekday-rule days between today and the deadline, plus those the deadline itself relied on.
    uncovered: tuple[dt.date, ...] = ()

    @property
    def uncertain(self) -> bool:
        return bool(self.uncovered)

    @property
    def overdue_by(self) -> int:
        """Working days late (0 unless overdue; can be 0 when overdue only by a weekend)."""
        return -self.remaining if self.state == "overdue" else 0


class WorkCalendar:
    """Working-day arithmetic over the national schedule plus the administrators' overrides.

    ``overrides`` maps a date to ``True`` (working day) or ``False`` (day off) and wins over the library.
    ``complete_years`` are years for which the overrides hold the *whole* published schedule's
    exceptions (entered from the State Council notice before the library caught up): their other days
    follow the weekday rule *without* being flagged. Years the library covers ignore this.

    Instances are immutable (the overrides are copied) and safe to share between threads; day lookups
    and ``add``/``between`` results are cached per instance. Build a new instance when the table changes.
    """

    __slots__ = ("_add_cached", "_between_cached", "_codes", "_complete_years", "_overrides")

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        *,
        complete_years: Iterable[int] = (),
    ) -> None:
        table: dict[dt.date, bool] = {}
        for day, workday in (overrides or {}).items():
            _check_date(day, "an override key")
            if not isinstance(workday, bool):
                raise TypeError(
                    f"override for {day.isoformat()} must be a bool, not {type(workday).__name__}"
                )
            table[day] = workday
        self._overrides: dict[dt.date, bool] = table
        self._complete_years: frozenset[int] = frozenset(complete_years)
        self._codes: dict[int, int] = {}
        self._add_cached = lru_cache(maxsize=_RESULT_CACHE_SIZE)(self._add)
        self._between_cached = lru_cache(maxsize=_RESULT_CACHE_SIZE)(self._between)

    # ----------------------------------------------------------------------------------- single days

    @property
    def overrides(self) -> Mapping[dt.date, bool]:
        return dict(self._overrides)

    def day_info(self, d: dt.date) -> DayInfo:
        d = _check_date(d, "d")
        if d in self._overrides:
            return DayInfo(d, self._overrides[d], "override")
        detail = _library_detail(d)
        if detail is not None:
            workday, name = detail
            chinese = None if name is None else _CHINESE_NAMES.get(name, name)
            return DayInfo(d, workday, "calendar", chinese)
        source: Source = "override" if d.year in self._complete_years else "weekday-rule"
        return DayInfo(d, d.weekday() < 5, source)

    def is_workday(self, d: dt.date) -> bool:
        d = _check_date(d, "d")
        return bool(self._code(d.toordinal()) & _WORK)

    def is_covered(self, d: dt.date) -> bool:
        """True when ``d`` is decided by an override or the library, i.e. not a weekday-rule guess."""
        d = _check_date(d, "d")
        return not self._code(d.toordinal()) & _GUESS

    def _code(self, ordinal: int) -> int:
        code = self._codes.get(ordinal)
        if code is None:
            info = self.day_info(dt.date.fromordinal(ordinal))
            code = (_WORK if info.workday else 0) | (_GUESS if info.uncertain else 0)
            if len(self._codes) >= _DAY_CACHE_LIMIT:
                self._codes.clear()
            self._codes[ordinal] = code
        return code

    # ----------------------------------------------------------------------------------- arithmetic

    def add(self, d: dt.date, n: int) -> Deadline:
        """The ``n``-th working day after ``d`` (``d`` itself not counted; ``add(d, 0) == d``)."""
        return self._add_cached(_check_date(d, "d"), _check_count(n))

    def between(self, a: dt.date, b: dt.date) -> WorkdayCount:
        """Working days in ``(a, b]``; ``between(a, b) == -between(b, a)``, so 0 when ``a == b``."""
        return self._between_cached(_check_date(a, "a"), _check_date(b, "b"))

    def due_status(
        self, deadline: dt.date | Deadline, today: dt.date, *, soon: int = DUE_SOON_WORKDAYS
    ) -> DueStatus:
        """Status of ``deadline`` (a date, or a :class:`Deadline` whose own uncertainty is carried over)."""
        earlier: tuple[dt.date, ...] = ()
        if isinstance(deadline, Deadline):
            earlier = deadline.uncovered
            deadline = deadline.date
        deadline = _check_date(deadline, "deadline")
        today = _check_date(today, "today")
        count = self.between(today, deadline)
        remaining = count.days
        state: DueState
        if today > deadline:
            state = "overdue"
        elif today == deadline:
            state = "due_today"
        elif remaining <= soon:
            state = "due_soon"
        else:
            state = "on_track"
        uncovered = tuple(sorted(set(earlier) | set(count.uncovered))) if earlier else count.uncovered
        return DueStatus(state, deadline, today, remaining, uncovered)

    def _add(self, d: dt.date, n: int) -> Deadline:
        if n == 0:
            return Deadline(d, 0, d, ())
        codes = self._codes
        ordinal = d.toordinal()
        left = n
        guessed: list[int] = []
        while left:
            if ordinal >= _ORD_MAX:
                raise DateRangeError(
                    f"{n} working days after {d.isoformat()} is beyond {dt.date.max.isoformat()}"
                )
            ordinal += 1
            code = codes.get(ordinal)
            if code is None:
                code = self._code(ordinal)
            if code & _GUESS:
                guessed.append(ordinal)
            if code & _WORK:
                left -= 1
        return Deadline(d, n, dt.date.fromordinal(ordinal), tuple(map(dt.date.fromordinal, guessed)))

    def _between(self, a: dt.date, b: dt.date) -> WorkdayCount:
        lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
        codes = self._codes
        count = 0
        guessed: list[int] = []
        for ordinal in range(lo.toordinal() + 1, hi.toordinal() + 1):
            code = codes.get(ordinal)
            if code is None:
                code = self._code(ordinal)
            if code & _GUESS:
                guessed.append(ordinal)
            if code & _WORK:
                count += 1
        return WorkdayCount(a, b, sign * count, tuple(map(dt.date.fromordinal, guessed)))


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """A shared calendar without overrides (library + weekday rule), for code that has no table."""
    return WorkCalendar()
