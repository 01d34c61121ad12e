"""Serve the site in production with waitress (pure Python: the same on a county's Windows server and on
Linux); put a TLS proxy in front. Static files are served by WhiteNoise from `collectstatic`'s folder.

One Python process runs Python code on one core at a time, so on Linux the command starts `--processes`
copies of the server (default: one per core) on the same port; if one dies, it stops the others and exits
with status 1, for the service manager (systemd, NSSM) to restart the whole server. On Windows (no fork) it
runs one.

Each copy listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new connections over them
evenly. With one socket shared, whichever copy was awake took the connections: 50 clients opening at once
(a proxy's pool, or benchmarks/bench_portal.py) were split 34/16, and the busier copy's clients waited twice
as long while the other's core had time to spare."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

CAN_FORK = hasattr(os, "fork")


def _socket(host: str, port: int, *, shared: bool) -> socket.socket:
    """A TCP socket bound to the port; `shared`: other processes may bind it too (SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _listen(host: str, port: int) -> socket.socket:
    """This process's own listening socket on the port its sibling processes listen on too."""
    sock = _socket(host, port, shared=True)
    sock.listen(1024)
    return sock


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
        # the port is free: an unshared bind fails if anything listens there, a second server of ours too
        try:
            _socket(options["host"], options["port"], shared=False).close()
        except OSError as error:
            raise CommandError(f"无法在 {where} 提供服务（端口已被占用？）：{error}") from error
        children: set[int] = set()
        stopping: list[float] = []  # when the stop began (empty: serving)
        failed = False
        signals = {signal.SIGTERM, signal.SIGINT}

        def start() -> None:
            # signals wait until the parent knows the child's pid (a stop during fork kills it too)
            signal.pthread_sigmask(signal.SIG_BLOCK, signals)
            pid = os.fork()
            if pid == 0:  # the child: its own Django, its own database connections
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
                try:
                    _serve(_listen(options["host"], options["port"]), options)
                finally:
                    os._exit(0)
            children.add(pid)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)

        def kill(signum: int) -> None:
            for pid in list(children):
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    children.discard(pid)

        def stop(signum: int, _frame: Any) -> None:
            if not stopping:
                stopping.append(time.monotonic())
            kill(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for _ in range(processes):
            start()
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG if stopping else 0)
            except ChildProcessError:
                break
            if pid == 0:  # stopping, and nobody has exited yet
                if time.monotonic() - stopping[0] > 10:
                    kill(signal.SIGKILL)
                time.sleep(0.1)
                continue
            children.discard(pid)
            if not stopping:  # a worker died: stop the rest and exit, for the service manager to restart
                self.stderr.write(f"服务进程 {pid} 意外退出（状态 {status}），正在停止其余进程。")
                failed = True
                stop(signal.SIGTERM, None)
        sys.exit(1 if failed else 0)
