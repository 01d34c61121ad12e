"""Serve the site in production with waitress (pure Python: the same on a county's Windows server and on
Linux); put a TLS proxy in front. Static files are served by WhiteNoise from `collectstatic`'s folder."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "以生产方式提供网站服务（waitress）：shuangsuiji serve [--host 127.0.0.1] [--port 8000] [--threads 8]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from config.wsgi import application

        self.stdout.write(
            f"serving on http://{options['host']}:{options['port']} with {options['threads']} threads"
        )
        serve(application, host=options["host"], port=options["port"], threads=options["threads"], ident="")
