"""Serve the site in production with waitress (pure Python: the same on a county's Windows server and on
Linux); put a TLS proxy in front. Static files are served by WhiteNoise from `collectstatic`'s folder.

One Python process runs Python code on one core at a time, so on Linux the command starts `--processes`
copies of the server (default: one per core) sharing one listening socket, and restarts any that dies; on
Windows (no fork) it runs one."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

CAN_FORK = hasattr(os, "fork")


def _serve(sock: socket.socket | None, options: dict[str, Any]) -> None:
    from waitress import serve

    from config.wsgi import application

    if sock is None:
        serve(application, host=options["host"], port=options["port"], threads=options["threads"], ident="")
    else:
        serve(application, sockets=[sock], threads=options["threads"], ident="")


class Command(BaseCommand):
    help = (
        "以生产方式提供网站服务（waitress）：shuangsuiji serve [--host 127.0.0.1] [--port 8000] [--threads 8] "
        "[--processes N]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="threads per process")
        parser.add_argument(
            "--processes",
            type=int,
            default=(os.cpu_count() or 1) if CAN_FORK else 1,
            help="server processes sharing the port (Linux; default one per core; Windows: always 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        processes = options["processes"]
        if processes < 1:
            raise CommandError("--processes 至少为 1")
        if processes > 1 and not CAN_FORK:
            self.stderr.write("本系统不支持多进程（Windows），以 1 个进程运行。")
            processes = 1
        where = f"http://{options['host']}:{options['port']}"
        self.stdout.write(
            f"serving on {where} with {processes} process(es) × {options['threads']} threads", ending="\n"
        )
        self.stdout.flush()
        if processes == 1:
            _serve(None, options)
            return
        sock = socket.create_server((options["host"], options["port"]), backlog=1024)
        sock.set_inheritable(True)
        children: set[int] = set()
        stopping = False

        def start() -> None:
            pid = os.fork()
            if pid == 0:  # the child: its own Django, its own database connections
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                try:
                    _serve(sock, options)
                finally:
                    os._exit(0)
            children.add(pid)

        def stop(signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True
            for pid in list(children):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    children.discard(pid)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for _ in range(processes):
            start()
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            children.discard(pid)
            if not stopping:
                self.stderr.write(f"服务进程 {pid} 已退出（状态 {status}），正在重新启动。")
                time.sleep(1)  # a child that dies at once must not spin
                start()
        sock.close()
        sys.exit(0)
