import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shuangsuiji import tabular
from shuangsuiji.audit.services import audit_record
from shuangsuiji.directory.imports import EXPORT_HEADERS, KINDS, export_rows, register_queryset


class Command(BaseCommand):
    help = "导出两库或抽查事项清单：shuangsuiji export {entities,inspectors,items,conflicts} FILE（.xlsx 或 .csv）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        kind = options["kind"]
        suffix = path.suffix.lower()
        if suffix not in (".xlsx", ".csv"):
            self.stderr.write("文件名须以 .xlsx 或 .csv 结尾。")
            sys.exit(2)
        rows = export_rows(kind, register_queryset(kind, None))
        with open(path, "wb") as target:
            if suffix == ".xlsx":
                tabular.write_xlsx(target, EXPORT_HEADERS[kind], rows, sheet_name=KINDS[kind][1])
            else:
                tabular.write_csv(target, EXPORT_HEADERS[kind], rows)
        audit_record(
            actor="system", action=f"export.{kind}", summary=f"命令行导出{KINDS[kind][1]}到 {path.name}"
        )
        self.stdout.write(f"已导出到 {path}")
