import os
import subprocess  # nosec B404
import sys
import unicodedata
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuangsuiji.demo.county import demo_accounts, demo_load


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal where CJK characters take two columns."""
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - shown)


class Command(BaseCommand):
    help = "创建（或复用）数据库，加载演示县区并启动站点 http://127.0.0.1:8000。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="只建库和加载数据，不启动站点")
        parser.add_argument("--port", type=int, default=8000, help="站点端口（默认 8000）")
        parser.add_argument("--entities", type=int, default=20_000, help="检查对象名录库规模（默认 20000）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["entities"] < 100:
            raise CommandError("--entities 至少为 100。")
        if not 0 < options["port"] < 65536:
            raise CommandError("--port 应在 1–65535 之间。")
        database = settings.DATABASES["default"]
        self.stdout.write(f"数据库：{str(database['ENGINE']).rsplit('.', 1)[-1]} {database['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"正在生成演示县区（{options['entities']} 个检查对象）…")
        load = demo_load(entities=options["entities"])
        if load is None:
            self.stdout.write("演示数据已存在，未重复加载。（要重新生成，请删除数据目录后再运行。）")
        else:
            self.stdout.write(self.style.SUCCESS(f"已加载演示县区：{load.entities} 个检查对象。"))
        self.stdout.write("\n演示账号（密码相同）：")
        self.stdout.write("  " + _pad("用户名", 17) + _pad("密码", 15) + _pad("角色", 14) + "部门")
        for account in demo_accounts():
            self.stdout.write(
                "  "
                + _pad(account["username"], 17)
                + _pad(account["password"], 15)
                + _pad(account["role"], 14)
                + account["department"]
            )
        if options["no_serve"]:
            return
        self.stdout.write(
            self.style.SUCCESS(f"\n站点：http://127.0.0.1:{options['port']}/  （Ctrl+C 停止）\n")
        )
        # The background worker (big imports and draws) runs beside the site and stops with it.
        worker = subprocess.Popen(  # nosec B603
            [sys.executable, "-m", "shuangsuiji.cli", "db_worker", "--interval", "1", "--no-startup-delay"],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
            },
        )
        try:
            call_command("runserver", f"127.0.0.1:{options['port']}", use_reloader=False, skip_checks=True)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
