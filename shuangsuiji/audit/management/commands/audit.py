from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuangsuiji.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(report.message, returncode=1)
        self.stdout.write(report.message)
