"""立卷归档 (004 第二十七条): one .zip per task with the draw bundle, every record as PDF, the evidence
files, the task's audit events, and a manifest of SHA-256 checksums (`sha256sum -c` reads it)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import PurePosixPath
from typing import IO, Any

from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.draws.models import Draw, DrawChange
from shuangsuiji.draws.services import bundle_bytes
from shuangsuiji.inspections.documents import record_form, render_pdf
from shuangsuiji.inspections.models import Correction, Evidence, FollowUp, InspectionRecord, RecordPart
from shuangsuiji.planning.models import Task


def _safe_name(text: str) -> str:
    cleaned = "".join("_" if ch in '\\/:*?"<>|\x00' or ord(ch) < 32 else ch for ch in text).strip(" .")
    return cleaned[:80] or "file"


def task_events(task: Task) -> list[AuditEvent]:
    """The audit events about the task, its draw and its records (by object), in chain order."""
    draw = Draw.objects.filter(task=task).first()
    records = list(InspectionRecord.objects.filter(task=task).values_list("pk", flat=True))

    def ids(values: Any) -> list[str]:
        return [str(v) for v in values]

    by_object = {
        "planning.task": [str(task.pk)],
        "draws.draw": [str(draw.pk)] if draw else [],
        "draws.drawchange": ids(DrawChange.objects.filter(draw=draw).values_list("pk", flat=True))
        if draw
        else [],
        "inspections.inspectionrecord": ids(records),
        "inspections.recordpart": ids(
            RecordPart.objects.filter(record__in=records).values_list("pk", flat=True)
        ),
        "inspections.evidence": ids(Evidence.objects.filter(record__in=records).values_list("pk", flat=True)),
        "inspections.followup": ids(FollowUp.objects.filter(record__in=records).values_list("pk", flat=True)),
        "inspections.correction": ids(
            Correction.objects.filter(result__part__record__in=records).values_list("pk", flat=True)
        ),
    }
    query = Q(pk__in=[])
    for object_type, object_ids in by_object.items():
        if object_ids:
            query |= Q(object_type=object_type, object_id__in=object_ids)
    return list(AuditEvent.objects.filter(query).order_by("seq"))


def archive_write(task: Task, target: IO[bytes], *, progress: Any = None) -> dict[str, str]:
    """Write the archive; returns the manifest (path → SHA-256)."""
    manifest: dict[str, str] = {}

    def add(archive: zipfile.ZipFile, path: str, data: bytes) -> None:
        manifest[path] = hashlib.sha256(data).hexdigest()
        archive.writestr(zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6]), data)

    records = list(
        InspectionRecord.objects.filter(task=task).select_related(
            "entity", "selection", "task__result_code_set"
        )
    )
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        draw = Draw.objects.filter(task=task).first()
        if draw is not None and draw.state != Draw.State.COMMITTED:
            add(archive, "draw/bundle.zip", bundle_bytes(draw))
        for index, record in enumerate(records, 1):
            folder = f"records/{record.selection.rank:04d}_{_safe_name(record.entity.name)}"
            add(archive, f"{folder}/检查情况记录表.pdf", render_pdf([record_form(record)]))
            for evidence in Evidence.objects.filter(record=record).order_by("pk"):
                with default_storage.open(evidence.file.name, "rb") as handle:
                    data = handle.read()
                if hashlib.sha256(data).hexdigest() != evidence.sha256:
                    raise ValueError(
                        f"证据文件 {evidence.original_name} 的校验值与入库时不一致，已停止归档。"
                    )
                suffix = PurePosixPath(evidence.file.name).suffix
                name = _safe_name(PurePosixPath(evidence.original_name).stem)
                add(archive, f"{folder}/证据/{evidence.pk:06d}_{name}{suffix}", data)
            if progress:
                progress(index, len(records))
        events = "".join(
            json.dumps(
                {
                    "seq": e.seq,
                    "occurred_at": e.occurred_at.isoformat(),
                    "actor": e.actor_name,
                    "ip": e.ip,
                    "action": e.action,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "summary": e.summary,
                    "detail": e.detail,
                    "success": e.success,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                },
                ensure_ascii=False,
                sort_keys=True,
            )
            + "\n"
            for e in task_events(task)
        ).encode()
        add(archive, "audit/events.jsonl", events)
        info = {
            "task": task.ref,
            "title": task.title,
            "plan": task.plan.ref,
            "records": len(records),
            "published": sum(r.state == InspectionRecord.State.PUBLISHED for r in records),
            "archived_at": timezone.localtime().isoformat(timespec="seconds"),
        }
        add(archive, "task.json", json.dumps(info, ensure_ascii=False, indent=2).encode())
        lines = "".join(f"{digest}  {path}\n" for path, digest in sorted(manifest.items()))
        archive.writestr("MANIFEST.sha256", lines.encode())
    return manifest
