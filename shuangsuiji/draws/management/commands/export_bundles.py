import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shuangsuiji.audit.services import audit_record
from shuangsuiji.draws.models import Draw
from shuangsuiji.draws.services import bundle_write


def safe_name(text: str) -> str:
    return re.sub(r"[^\w\-]+", "_", text).strip("_")[:120] or "draw"


class Command(BaseCommand):
    help = "把每个已完成抽取的任务的抽取包（.zip，含 verify_draw.py）写入目录 DIR。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"无法创建目录 {directory}：{error}") from error
        count = 0
        for draw in Draw.objects.filter(state=Draw.State.DRAWN).select_related("task").order_by("pk"):
            target = directory / f"{safe_name(draw.task.ref)}-{draw.commitment_sha256[:12]}.zip"
            bundle_write(draw=draw, target=target)
            count += 1
            self.stdout.write(str(target))
        audit_record(
            actor="system", action="draw.bundle_export", summary=f"导出 {count} 个抽取包到 {directory}"
        )
        self.stdout.write(self.style.SUCCESS(f"已导出 {count} 个抽取包。"))
