"""Big commits and draws run in the background worker; small ones run in the request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from shuangsuiji.core.jobs import Report, job_kind
from shuangsuiji.core.models import Job
from shuangsuiji.draws import services
from shuangsuiji.draws.models import Draw
from shuangsuiji.planning.models import Task


def in_background(population: int) -> bool:
    return population > int(getattr(settings, "SHUANGSUIJI_BACKGROUND_THRESHOLD", 100_000))


@job_kind("draws.commit")
def commit_job(job: Job, report: Report) -> dict[str, Any]:
    task = Task.objects.get(pk=job.params["task"])
    report(100, "正在冻结可抽取对象、排除名单和人员库…")
    draw = services.draw_commit(actor=job.created_by, task=task, ip=job.params.get("ip", ""))
    return {
        "url": reverse("draws:ceremony", kwargs={"pk": task.pk}),
        "commitment_sha256": draw.commitment_sha256,
    }


@job_kind("draws.execute")
def execute_job(job: Job, report: Report) -> dict[str, Any]:
    draw = Draw.objects.select_related("task").get(pk=job.params["draw"])
    report(100, f"正在为 {draw.population_size} 个对象计算抽签值…")
    draw = services.draw_execute(
        actor=job.created_by,
        draw=draw,
        ceremony_entropy=job.params["entropy"],
        place=job.params.get("place", ""),
        ip=job.params.get("ip", ""),
    )
    return {"url": reverse("draws:result", kwargs={"pk": draw.task_id}), "seed": draw.seed_hex}
