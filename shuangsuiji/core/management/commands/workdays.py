import argparse
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from shuangsuiji.core.models import WorkdayOverride, WorkdayYear
from shuangsuiji.workdays.cli import workdays_main


class Command(BaseCommand):
    help = "工作日计算：workdays add 日期 N；workdays between 日期A 日期B（含管理员维护的调整表）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("rest", nargs=argparse.REMAINDER)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            overrides = dict(WorkdayOverride.objects.values_list("date", "workday"))
            years = list(WorkdayYear.objects.values_list("year", flat=True))
        except DatabaseError:
            # A fresh installation (not migrated yet): the national schedule alone still answers.
            self.stderr.write(
                "提示：数据库尚未初始化（请运行 shuangsuiji migrate），未计入管理员维护的工作日调整表。"
            )
            overrides, years = {}, []
        out: Any = self.stdout._out  # the underlying text streams, not Django's styling wrappers
        err: Any = self.stderr._out
        code = workdays_main(options["rest"], overrides, complete_years=years, stdout=out, stderr=err)
        if code:
            sys.exit(code)
