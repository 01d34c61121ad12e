"""Django's PostgreSQL backend, its connection health check (CONN_HEALTH_CHECKS) taken at most once a
second per connection.

Django pings a kept connection (`SELECT 1`) before the first query of every request, so that a connection the
server dropped while it sat idle (a restart, an idle timeout) is replaced instead of failing the request. Under
load a connection serves request after request: the ping was one round trip of the two or three of an uncached
portal search, ~5% of its CPU (benchmarks/bench_portal.py). Here a connection that passed a check less than
`HEALTH_CHECK_INTERVAL` seconds ago is trusted: an idle connection is still checked before it is used, and a
connection lost in the second after a check fails at most the requests of that second, after which Django
closes it (a request's database errors make it check the connection as the request ends)."""

from __future__ import annotations

import time

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    HEALTH_CHECK_INTERVAL = 1.0  # seconds

    _checked_at = float("-inf")
    health_check_done: bool
    health_check_enabled: bool

    def close_if_health_check_failed(self) -> None:
        if self.connection is not None and self.health_check_enabled and not self.health_check_done:
            now = time.monotonic()
            if now - self._checked_at < self.HEALTH_CHECK_INTERVAL:
                self.health_check_done = True
                return
            self._checked_at = now
        super().close_if_health_check_failed()

    def connect(self) -> None:
        super().connect()
        self._checked_at = time.monotonic()  # a new connection needs no check this second
