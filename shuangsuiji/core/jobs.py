"""Background jobs: long operations run by the worker (`shuangsuiji db_worker`, django-tasks with its
database backend), with progress stored in `Job` for the page to poll.

Register a function with `@job_kind("draws.execute")`; it receives the Job and a `report(per_mille, message)`
callback and returns a dict stored as the job's result. `job_enqueue` creates the Job and hands it to the
worker once the surrounding transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from shuangsuiji.core.models import Job

logger = logging.getLogger(__name__)
Report = Callable[[int, str], None]
JobFunction = Callable[[Job, Report], dict[str, Any]]
_REGISTRY: dict[str, JobFunction] = {}


def job_kind(kind: str) -> Callable[[JobFunction], JobFunction]:
    def register(function: JobFunction) -> JobFunction:
        _REGISTRY[kind] = function
        return function

    return register


def job_enqueue(*, kind: str, title: str, params: dict[str, Any], user: Any) -> Job:
    if kind not in _REGISTRY:
        raise KeyError(f"unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, title=title, params=params, created_by=user)
    transaction.on_commit(lambda: run_job.enqueue(job.pk))
    return job


def _report(job_id: int) -> Report:
    def report(per_mille: int, message: str) -> None:
        Job.objects.filter(pk=job_id).update(progress=max(0, min(1000, per_mille)), message=message[:300])

    return report


@task()
def run_job(job_id: int) -> None:
    job = Job.objects.get(pk=job_id)
    if job.state != Job.State.QUEUED:
        return
    Job.objects.filter(pk=job_id).update(state=Job.State.RUNNING, started_at=timezone.now())
    try:
        result = _REGISTRY[job.kind](job, _report(job_id))
    except ValidationError as error:
        Job.objects.filter(pk=job_id).update(
            state=Job.State.FAILED, error="；".join(error.messages), finished_at=timezone.now()
        )
        return
    except Exception as error:  # the job page must say it failed, whatever the cause
        logger.exception("job %s failed", job_id)
        Job.objects.filter(pk=job_id).update(
            state=Job.State.FAILED, error=f"系统错误：{type(error).__name__}", finished_at=timezone.now()
        )
        return
    Job.objects.filter(pk=job_id).update(
        state=Job.State.SUCCEEDED,
        progress=1000,
        result=result,
        result_url=str(result.get("url", "")),
        finished_at=timezone.now(),
    )
