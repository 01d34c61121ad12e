import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shuangsuiji.accounts.models import Department
from shuangsuiji.directory.imports import KINDS, MARK_MISSING, register_import

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = (
        "导入两库或抽查事项清单：shuangsuiji import {entities,inspectors,items,conflicts} FILE。"
        "退出码：0 已导入（或 --dry-run 时可全部导入），1 数据有误、未写入，2 文件无法读取。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--update-existing", action="store_true", help="按统一社会信用代码/执法证号更新已有记录"
        )
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--valid-rows-only", action="store_true", help="有错误时仍导入无误的行")
        parser.add_argument("--department", help="导入到哪个部门的检查对象名录库（部门代码，如 SCJG）")
        parser.add_argument(
            "--mark-missing",
            choices=sorted(MARK_MISSING),
            help="把本部门名录库中、文件未列出的检查对象标记为注销或迁出",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        directory = None
        if options["department"]:
            directory = Department.objects.filter(code=options["department"].upper()).first()
            if directory is None:
                self.stderr.write(f"没有代码为 {options['department']} 的部门。")
                sys.exit(2)
        if not path.is_file():
            self.stderr.write(f"文件不存在：{path}")
            sys.exit(2)
        outcome = register_import(
            kind=options["kind"],
            source=path,
            filename=path.name,
            actor=None,
            update_existing=options["update_existing"],
            valid_rows_only=options["valid_rows_only"],
            mark_missing=options["mark_missing"],
            commit=not options["dry_run"],
            directory=directory,
        )
        if outcome.file_error:
            self.stderr.write(f"{path.name}：{outcome.file_error}")
            sys.exit(2)
        for warning in outcome.warnings:
            self.stdout.write(f"提示：{warning}")
        for error in list(outcome.errors)[:SHOWN_ERRORS]:
            self.stdout.write(str(error))
        if len(outcome.errors) > SHOWN_ERRORS:
            self.stdout.write(f"……另有 {len(outcome.errors) - SHOWN_ERRORS} 处错误未列出")
        self.stdout.write(outcome.summary())
        if outcome.errors and not (options["valid_rows_only"] and (outcome.committed or options["dry_run"])):
            sys.exit(1)
