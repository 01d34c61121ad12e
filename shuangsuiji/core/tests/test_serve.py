"""`shuangsuiji serve` in production mode: several processes on one port, stopped cleanly."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(proc.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


@pytest.mark.skipif(
    not hasattr(os, "fork") or not Path("/proc").exists(), reason="prefork serving is for Linux"
)
def test_serve_runs_several_processes_on_one_port_and_stops_them(tmp_path: Path) -> None:
    command = str(Path(sys.executable).parent / "shuangsuiji")
    env = {
        **os.environ,
        "SHUANGSUIJI_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SHUANGSUIJI_SSL_REDIRECT": "0",
        "SHUANGSUIJI_HSTS_SECONDS": "0",
        "SHUANGSUIJI_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DATABASE_URL", None)  # its own SQLite database in tmp_path
    subprocess.run([command, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    subprocess.run([command, "collectstatic", "--noinput", "-v", "0"], env=env, check=True, timeout=300)

    def serve() -> tuple[subprocess.Popen[bytes], Path, list[int]]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = tmp_path / f"serve-{port}.log"
        server = subprocess.Popen(
            [command, "serve", "--port", str(port), "--processes", "2", "--threads", "2"],
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        statuses = []
        while len(statuses) < 20:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                    statuses.append(response.status)
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert statuses == [200] * 20
        workers = _children(server.pid)
        assert len(workers) == 2
        return server, log, workers

    def gone(pids: list[int]) -> bool:
        return not [pid for pid in pids if Path(f"/proc/{pid}").exists()]

    # SIGTERM stops the workers and the server, status 0
    server, log, workers = serve()
    # each worker listens on a socket of its own (SO_REUSEPORT); a second server on the port is refused
    port = log.name.removeprefix("serve-").removesuffix(".log")
    second = subprocess.run(
        [command, "serve", "--port", port, "--processes", "2"], env=env, capture_output=True, timeout=60
    )
    assert second.returncode != 0 and "端口已被占用" in second.stderr.decode(), second
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0, log.read_text()
    assert "2 process(es)" in log.read_text()
    time.sleep(0.5)
    assert gone(workers)
    # a worker that dies takes the server down (status 1) for the service manager to restart it
    server, log, workers = serve()
    os.kill(workers[0], signal.SIGKILL)
    try:
        assert server.wait(timeout=30) == 1, log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
    assert "意外退出" in log.read_text()
    time.sleep(0.5)
    assert gone(workers)
