"""004 第十五条: a drawn list can never change. Many simultaneous attempts → exactly one commitment and
exactly one draw (PostgreSQL row locks; SQLite serialises writers with IMMEDIATE transactions)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.demo.county import demo_load
from shuangsuiji.draws import services
from shuangsuiji.draws.models import Draw, DrawSelection
from shuangsuiji.draws.tests.test_ceremony import make_joint_task

ATTEMPTS = 8


def _race(function: Any) -> list[str]:
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(i: int) -> str:
        try:
            barrier.wait()
            function(i)
            return "ok"
        except ValidationError:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        return list(pool.map(attempt, range(ATTEMPTS)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_commits_and_draws_make_exactly_one_each(cast: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race test runs on PostgreSQL (CI runs the suite there too)")
    demo_load(entities=400)
    manager = cast["scjg.manager"]
    task = make_joint_task(cast)
    commits = _race(lambda i: services.draw_commit(actor=manager, task=task))
    assert commits.count("ok") == 1 and commits.count("refused") == ATTEMPTS - 1
    draw = Draw.objects.get(task=task)
    draws = _race(lambda i: services.draw_execute(actor=manager, draw=draw, ceremony_entropy=f"entropy {i}"))
    assert draws.count("ok") == 1 and draws.count("refused") == ATTEMPTS - 1
    draw.refresh_from_db()
    quota = sum(s.quota for s in services.committed_strata(draw))
    assert DrawSelection.objects.filter(draw=draw).count() == quota
    assert AuditEvent.objects.filter(action="draw.execute", object_id=str(draw.pk)).count() == 1
    assert AuditEvent.objects.filter(action="draw.commit", object_id=str(draw.pk)).count() == 1
