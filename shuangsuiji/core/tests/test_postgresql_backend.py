"""The PostgreSQL backend's health check (shuangsuiji.core.postgresql): at most once a second per connection,
and a connection the server dropped is still replaced — before its use when idle, after one failed request
when it was checked moments before."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import close_old_connections, connection, connections
from django.db.utils import OperationalError

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the backend is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


def _terminate_this_connection() -> None:
    """Drop the server's end of this thread's connection, as a server restart would."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)  # the backend exits


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _pings(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    calls: list[bool] = []
    original = type(connections["default"]).is_usable

    def counted(self: object) -> bool:
        calls.append(original(self))
        return calls[-1]

    monkeypatch.setattr(type(connections["default"]), "is_usable", counted)
    return calls


def test_the_backend_is_ours() -> None:
    assert type(connections["default"]).__module__ == "shuangsuiji.core.postgresql.base"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_busy_connection_is_checked_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    pings = _pings(monkeypatch)
    first = _backend_pid()
    connections["default"]._checked_at = time.monotonic() - 5  # idle for 5 s
    for _ in range(20):  # twenty requests in a row
        close_old_connections()
        assert _backend_pid() == first
    assert pings == [True]  # the first request's check; the nineteen after it within the second: none
    connections["default"]._checked_at = time.monotonic() - connections["default"].HEALTH_CHECK_INTERVAL
    close_old_connections()
    _backend_pid()
    assert pings == [True, True]


def test_an_idle_dropped_connection_is_replaced_before_use() -> None:
    old = _backend_pid()
    _terminate_this_connection()
    connections["default"]._checked_at = time.monotonic() - 5  # idle for 5 s
    close_old_connections()  # the next request begins
    assert _backend_pid() != old


def test_a_connection_dropped_right_after_its_check_fails_one_request_then_is_replaced() -> None:
    old = _backend_pid()
    _terminate_this_connection()
    connections["default"]._checked_at = time.monotonic()  # checked a moment ago
    close_old_connections()  # a request begins
    with pytest.raises(OperationalError):
        _backend_pid()
    close_old_connections()  # that request ends: its error makes Django check and close the connection
    close_old_connections()  # the next request
    assert _backend_pid() != old
