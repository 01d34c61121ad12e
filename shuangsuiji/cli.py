"""The `shuangsuiji` console command.

It wraps Django's management commands (`shuangsuiji migrate`, `shuangsuiji createsuperuser`, …) and
our own. Commands may be typed with hyphens (`verify-draw`, `export-bundles`): they map to the
underscore module names. The lottery's `verify-draw` and `draw-offline` run without Django, so an
auditor can use them on a machine with no database and no settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def _pure_commands() -> dict[str, Callable[[list[str]], int]]:
    from shuangsuiji.lottery.cli import draw_offline_main, verify_draw_main

    return {"verify-draw": verify_draw_main, "draw-offline": draw_offline_main}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "shuangsuiji"
    command = argv[1] if len(argv) > 1 else ""
    if command.replace("_", "-") in ("verify-draw", "draw-offline"):
        return _pure_commands()[command.replace("_", "-")](argv[2:])
    if command == "demo":
        # The demo is a local trial: debug mode unless the operator decided otherwise.
        os.environ.setdefault("SHUANGSUIJI_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if "-" in command and not command.startswith("-"):
        argv[1] = command.replace("-", "_")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as error:
        print(f"配置错误：{error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
