"""The web flow around `imports.register_import`: keep the upload, preview it, then confirm it."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from shuangsuiji.core.jobs import Report, job_kind
from shuangsuiji.core.models import Job
from shuangsuiji.directory.imports import KINDS, ImportOutcome, register_import
from shuangsuiji.directory.models import ImportBatch

FIRST_ERRORS = 20


def batch_create(
    *,
    actor: Any,
    kind: str,
    upload: IO[bytes],
    filename: str,
    size: int,
    update_existing: bool,
    mark_missing: str = "",
) -> ImportBatch:
    if kind not in KINDS:
        raise ValidationError("未知的导入类型。")
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            f"文件大小 {size // (1024 * 1024)} MB 超过上传限制 "
            f"{settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB。"
        )
    if size == 0:
        raise ValidationError("文件是空的（0 字节）。")
    safe = "".join(c for c in Path(filename).name if c.isalnum() or c in "._-（）()")[-100:] or "upload"
    name = f"imports/{uuid.uuid4().hex}-{safe}"
    target = Path(default_storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    return ImportBatch.objects.create(
        kind=kind,
        filename=Path(filename).name[:200],
        stored=name,
        size=size,
        sha256=digest.hexdigest(),
        update_existing=update_existing,
        mark_missing=mark_missing,
        created_by=actor,
    )


def _run(batch: ImportBatch, *, commit: bool, report: Report | None = None) -> ImportOutcome:
    outcome = register_import(
        kind=batch.kind,
        source=default_storage.path(batch.stored),
        filename=batch.filename,
        actor=batch.created_by,
        update_existing=batch.update_existing,
        valid_rows_only=batch.valid_rows_only,
        mark_missing=batch.mark_missing or None,
        commit=commit,
        report=report,
        max_bytes=settings.UPLOAD_MAX_BYTES,
    )
    batch.counts = outcome.counts()
    batch.summary = outcome.summary()
    batch.file_error = outcome.file_error
    batch.warnings = outcome.warnings
    batch.first_errors = [
        {"row": e.row, "column": e.column, "value": e.value, "message": e.message}
        for e in list(outcome.errors)[:FIRST_ERRORS]
    ]
    if outcome.errors:
        name = f"{batch.stored}.errors.xlsx"
        outcome.errors.to_xlsx(default_storage.path(name))
        batch.errors_file = name
    return outcome


def batch_preview(*, batch: ImportBatch, report: Report | None = None) -> ImportBatch:
    outcome = _run(batch, commit=False, report=report)
    batch.state = ImportBatch.State.REJECTED if outcome.file_error else ImportBatch.State.PREVIEWED
    batch.save()
    return batch


def batch_confirm(*, batch: ImportBatch, valid_rows_only: bool, report: Report | None = None) -> ImportBatch:
    # Claim the batch atomically: a double click or two tabs cannot import the same file twice.
    claimed = ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.PREVIEWED).update(
        state=ImportBatch.State.COMMITTING
    )
    if not claimed:
        raise ValidationError("此文件已处理过（或正在导入），请勿重复提交。")
    batch.valid_rows_only = valid_rows_only
    outcome = _run(batch, commit=True, report=report)
    batch.state = ImportBatch.State.COMMITTED if outcome.committed else ImportBatch.State.REJECTED
    batch.committed_at = timezone.now() if outcome.committed else None
    batch.save()
    return batch


def in_background(batch: ImportBatch) -> bool:
    return batch.size > settings.SHUANGSUIJI_IMPORT_BACKGROUND_BYTES


@job_kind("import.preview")
def preview_job(job: Job, report: Report) -> dict[str, Any]:
    batch = batch_preview(batch=ImportBatch.objects.get(pk=job.params["batch"]), report=report)
    return {"url": f"/staff/directory/imports/{batch.pk}/"}


@job_kind("import.confirm")
def confirm_job(job: Job, report: Report) -> dict[str, Any]:
    batch = ImportBatch.objects.get(pk=job.params["batch"])
    batch = batch_confirm(batch=batch, valid_rows_only=bool(job.params.get("valid_rows_only")), report=report)
    return {"url": f"/staff/directory/imports/{batch.pk}/"}
