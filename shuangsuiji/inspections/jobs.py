"""The task archive (立卷归档) is built by the background worker: PDFs take a moment each."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from shuangsuiji.audit.services import audit_record
from shuangsuiji.core.jobs import Report, job_kind
from shuangsuiji.core.models import Job
from shuangsuiji.planning.models import Task


def archive_name(task: Task) -> str:
    return f"archives/task-{task.pk}.zip"


@job_kind("inspections.archive")
def archive_job(job: Job, report: Report) -> dict[str, Any]:
    import io

    from shuangsuiji.inspections.archive import archive_write

    task = Task.objects.select_related("plan").get(pk=job.params["task"])
    buffer = io.BytesIO()
    manifest = archive_write(
        task,
        buffer,
        progress=lambda done, total: report(
            int(done * 100 / max(total, 1)), f"已生成 {done}/{total} 份记录表"
        ),
    )
    name = archive_name(task)
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(buffer.getvalue()))
    audit_record(
        actor=job.created_by,
        action="inspections.archive",
        obj=task,
        summary=f"{task.ref} 立卷归档：{len(manifest)} 个文件",
        detail={"files": len(manifest)},
    )
    return {"url": reverse("inspections:archive_file", kwargs={"pk": task.pk}), "files": len(manifest)}
