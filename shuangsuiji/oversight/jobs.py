"""The dashboard's tables are computed by the background worker once the year is big (seconds at 10^6)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from shuangsuiji.core.jobs import Report, job_kind
from shuangsuiji.core.models import Job


@job_kind("oversight.refresh")
def refresh_job(job: Job, report: Report) -> dict[str, Any]:
    from shuangsuiji.oversight.statistics import snapshot_compute

    params = job.params
    ids = None if params["ids"] is None else frozenset(params["ids"])
    snapshot = snapshot_compute(
        params["year"],
        ids,
        date.fromisoformat(params["today"]),
        progress=lambda done, total: report(done * 1000 // total, f"已计算 {done}/{total} 张统计表"),
    )
    url = reverse("oversight:dashboard") + (f"?{params['query']}" if params.get("query") else "")
    return {"url": url, "seconds": round(snapshot.seconds, 1)}
