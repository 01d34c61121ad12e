"""Working-day deadline arithmetic (pure: no Django).

The national holiday schedule with its make-up workdays (调休) from ``chinesecalendar``, overridden by
the table administrators maintain in the app; dates neither decides follow the Monday–Friday rule and
are flagged as uncertain. The day of the event is not counted: 第1个工作日 is the next working day.
See :mod:`shuangsuiji.workdays.core` for the precise conventions.
"""

from shuangsuiji.workdays.core import (
    DUE_SOON_WORKDAYS,
    LIBRARY_YEARS,
    RESULT_PUBLICATION_WORKDAYS,
    TRANSFER_WORKDAYS,
    DateRangeError,
    DayInfo,
    Deadline,
    DueState,
    DueStatus,
    Source,
    WorkCalendar,
    WorkdayCount,
    default_calendar,
)

__all__ = [
    "DUE_SOON_WORKDAYS",
    "LIBRARY_YEARS",
    "RESULT_PUBLICATION_WORKDAYS",
    "TRANSFER_WORKDAYS",
    "DateRangeError",
    "DayInfo",
    "Deadline",
    "DueState",
    "DueStatus",
    "Source",
    "WorkCalendar",
    "WorkdayCount",
    "default_calendar",
]
