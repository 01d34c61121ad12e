"""``shuangsuiji workdays add DATE N`` and ``shuangsuiji workdays between A B``.

Pure (no Django): the app wraps :func:`workdays_main` in a management command that loads the overrides
from its database and passes the arguments after ``workdays``.

* ``add DATE N`` prints the date N working days after DATE (DATE itself not counted; N = 0 prints DATE).
* ``between A B`` prints the number of working days after A up to and including B (negative when B is
  before A), so ``between A $(add A N)`` prints N.

Dates may be written 2025-03-01, 2025/3/1 or 2025年3月1日. Bad input: a Chinese message on stderr, exit 2.
When the result relied on the Monday–Friday rule for days the holiday data does not cover, a warning
line goes to stderr; stdout carries only the result, so scripts can use it.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Final, TextIO

from shuangsuiji.workdays.core import DateRangeError, WorkCalendar

USAGE: Final = """\
用法：
  shuangsuiji workdays add 日期 N        输出“日期”之后第 N 个工作日（当天不计；N 为 0 时输出日期本身）
  shuangsuiji workdays between 日期A 日期B  输出 A 之后至 B（含 B）的工作日数（B 早于 A 时为负数）
日期格式：2025-03-01、2025/3/1 或 2025年3月1日。
工作日按国务院节假日安排（含调休上班日）及管理员维护的调整表计算。"""

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2

_DATE_FORMS: Final = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
)
_COUNT: Final = re.compile(r"\d+")


class _UsageError(Exception):
    pass


def parse_date(text: str) -> dt.date:
    """Parse ``2025-03-01``, ``2025/3/1`` or ``2025年3月1日``; raise ``ValueError`` with a Chinese message."""
    stripped = text.strip()
    for form in _DATE_FORMS:
        match = form.fullmatch(stripped)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise ValueError(f"日期“{text}”不存在（{year}年没有{month}月{day}日）") from None
    raise ValueError(f"无法识别的日期“{text}”，请写成 2025-03-01、2025/3/1 或 2025年3月1日")


def _parse_count(text: str) -> int:
    stripped = text.strip()
    if not _COUNT.fullmatch(stripped):
        raise ValueError(f"工作日数必须是非负整数，收到“{text}”")
    return int(stripped)


def _ranges(days: Sequence[dt.date]) -> list[str]:
    """Consecutive dates collapsed: ``2027-01-01 至 2027-01-04``."""
    out: list[str] = []
    start = prev = None
    for day in sorted(days):
        if prev is not None and (day - prev).days == 1:
            prev = day
            continue
        if start is not None and prev is not None:
            out.append(start.isoformat() if start == prev else f"{start.isoformat()} 至 {prev.isoformat()}")
        start = prev = day
    if start is not None and prev is not None:
        out.append(start.isoformat() if start == prev else f"{start.isoformat()} 至 {prev.isoformat()}")
    return out


def uncovered_warning(days: Sequence[dt.date]) -> str | None:
    """The stderr warning for results that relied on the weekday rule, or ``None``."""
    if not days:
        return None
    return f"注意：{'、'.join(_ranges(days))} 不在节假日数据覆盖范围内，按周一至周五为工作日推算"


def _need(args: Sequence[str], count: int, what: str) -> None:
    if len(args) != count:
        raise _UsageError(f"{what} 需要 {count} 个参数，收到 {len(args)} 个")


def workdays_main(
    argv: list[str],
    overrides: Mapping[dt.date, bool] | None = None,
    *,
    complete_years: Sequence[int] = (),
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``add DATE N`` or ``between A B`` (``argv`` = the arguments after ``workdays``)."""
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, file=out if argv else err)
        return EXIT_OK if argv else EXIT_USAGE
    command, args = argv[0], argv[1:]
    try:
        calendar = WorkCalendar(overrides, complete_years=complete_years)
        if command == "add":
            _need(args, 2, "add")
            start, n = parse_date(args[0]), _parse_count(args[1])
            deadline = calendar.add(start, n)
            result, uncovered = deadline.date.isoformat(), deadline.uncovered
        elif command == "between":
            _need(args, 2, "between")
            count = calendar.between(parse_date(args[0]), parse_date(args[1]))
            result, uncovered = str(count.days), count.uncovered
        else:
            raise _UsageError(f"未知的子命令“{command}”，可用：add、between")
    except DateRangeError:
        print("错误：结果超出可计算的日期范围（最晚 9999-12-31）", file=err)
        return EXIT_USAGE
    except (_UsageError, ValueError) as exc:
        print(f"错误：{exc}", file=err)
        print(USAGE, file=err)
        return EXIT_USAGE
    print(result, file=out)
    warning = uncovered_warning(uncovered)
    if warning:
        print(warning, file=err)
    return EXIT_OK


def main() -> int:  # pragma: no cover - for `python -m shuangsuiji.workdays.cli`
    return workdays_main(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
