from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shuangsuiji import tabular
from shuangsuiji.audit.exports import HEADERS, chain_head, events_between, export_rows
from shuangsuiji.audit.selectors import audit_chain_verify


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{text}") from None


class Command(BaseCommand):
    help = (
        "审计日志：verify 校验哈希链（被改动、删除或插入的第一条事件，退出码 1）；"
        "head 打印链头（序号与哈希，供定期打印留存）；export 导出日期范围（.xlsx/.csv）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "head", "export"])
        parser.add_argument("file", nargs="?", type=Path, help="export 的目标文件（.xlsx 或 .csv）")
        parser.add_argument("--from", dest="start", help="起始日期 YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="截止日期 YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            report = audit_chain_verify()
            if not report.ok:
                raise CommandError(report.message, returncode=1)
            self.stdout.write(report.message)
        elif options["action"] == "head":
            head = chain_head()
            at = timezone.localtime(head["at"]).isoformat(timespec="seconds") if head["at"] else "—"
            self.stdout.write(f"审计链头：第 {head['seq']} 条，时间 {at}\nSHA-256 {head['hash']}")
        else:
            path: Path | None = options["file"]
            if path is None or path.suffix.lower() not in (".xlsx", ".csv"):
                raise CommandError("请给出以 .xlsx 或 .csv 结尾的目标文件。")
            start = _date(options["start"]) if options["start"] else None
            end = _date(options["end"]) if options["end"] else None
            rows = export_rows(events_between(start, end))
            if path.suffix.lower() == ".xlsx":
                tabular.write_xlsx(str(path), HEADERS, rows, sheet_name="审计日志")
            else:
                tabular.write_csv(str(path), HEADERS, rows)
            self.stdout.write(f"已导出到 {path}")
