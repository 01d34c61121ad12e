"""Pages for importing and exporting the registers: upload → preview → confirm; templates; exports."""

from __future__ import annotations

import tempfile
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from shuangsuiji import tabular
from shuangsuiji.accounts.rules import user_passes
from shuangsuiji.audit.services import audit_record, client_ip
from shuangsuiji.core.jobs import job_enqueue
from shuangsuiji.core.params import number
from shuangsuiji.core.permissions import AUTHENTICATED, rule
from shuangsuiji.directory import import_services
from shuangsuiji.directory.imports import EXPORT_HEADERS, KINDS, MARK_MISSING, export_rows, register_queryset
from shuangsuiji.directory.models import ImportBatch

EDIT_RULE = {
    "entities": "directory.edit",
    "inspectors": "directory.edit",
    "conflicts": "directory.edit",
    "items": "catalog.edit",
}
VIEW_RULE = {
    "entities": "directory.view",
    "inspectors": "directory.view",
    "conflicts": "directory.view",
    "items": "catalog.view",
}
LIST_URL = {
    "entities": "directory:entity_list",
    "inspectors": "directory:inspector_list",
    "conflicts": "directory:conflict_list",
    "items": "catalog:item_list",
}


class UploadForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx / .xls / .csv）")
    update_existing = forms.BooleanField(
        label="更新已有记录（按统一社会信用代码/执法证号/事项编码匹配）", required=False
    )
    mark_missing = forms.ChoiceField(
        label="本部门名录中、文件未列出的检查对象",
        required=False,
        choices=[("", "保持不变"), ("deregistered", "标记为注销"), ("moved_out", "标记为迁出")],
    )


def _kind(request: HttpRequest, kind: str, rules: dict[str, str]) -> str:
    if kind not in KINDS:
        raise Http404("未知的导入类型。")
    if not user_passes(request.user, rules[kind]):
        raise PermissionDenied("您的角色不能导入或导出此名录。")
    return kind


@rule(AUTHENTICATED)
def import_start(request: HttpRequest, kind: str) -> HttpResponseBase:
    kind = _kind(request, kind, EDIT_RULE)
    form = UploadForm(request.POST or None, request.FILES or None)
    if kind != "entities":
        del form.fields["mark_missing"]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = import_services.batch_create(
                actor=request.user,
                kind=kind,
                upload=upload,
                filename=upload.name,
                size=upload.size,
                update_existing=form.cleaned_data["update_existing"],
                mark_missing=form.cleaned_data.get("mark_missing") or "",
            )
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            if import_services.in_background(batch):
                job = job_enqueue(
                    kind="import.preview",
                    title=f"检查导入文件：{batch.filename}",
                    user=request.user,
                    params={"batch": batch.pk},
                )
                return redirect("core:job", pk=job.pk)
            import_services.batch_preview(batch=batch)
            return redirect("directory:import_batch", pk=batch.pk)
    return render(
        request,
        "directory/import_start.html",
        {"form": form, "kind": kind, "title": KINDS[kind][1], "list_url": LIST_URL[kind]},
    )


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    batch = ImportBatch.objects.filter(pk=pk, created_by_id=request.user.pk).first()
    if batch is None:
        raise Http404("导入批次不存在。")
    return batch


@rule(AUTHENTICATED)
def import_batch(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch = _batch(request, pk)
    _kind(request, batch.kind, EDIT_RULE)
    if request.method == "POST":
        valid_rows_only = request.POST.get("valid_rows_only") == "1"
        if batch.counts.get("rejected") and not valid_rows_only:
            messages.error(request, "文件中有错误。请修改后重新上传，或选择“仅导入无误的行”。")
            return redirect("directory:import_batch", pk=batch.pk)
        if import_services.in_background(batch):
            job = job_enqueue(
                kind="import.confirm",
                title=f"导入：{batch.filename}",
                user=request.user,
                params={"batch": batch.pk, "valid_rows_only": valid_rows_only},
            )
            return redirect("core:job", pk=job.pk)
        try:
            batch = import_services.batch_confirm(batch=batch, valid_rows_only=valid_rows_only)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            (messages.success if batch.state == ImportBatch.State.COMMITTED else messages.error)(
                request, batch.summary
            )
        return redirect("directory:import_batch", pk=batch.pk)
    return render(
        request,
        "directory/import_batch.html",
        {"batch": batch, "title": KINDS[batch.kind][1], "list_url": LIST_URL[batch.kind]},
    )


@rule(AUTHENTICATED)
def import_errors(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch = _batch(request, pk)
    if not batch.errors_file:
        raise Http404("没有错误清单。")
    return FileResponse(
        open(default_storage.path(batch.errors_file), "rb"),
        as_attachment=True,
        filename=f"错误清单-{batch.filename}.xlsx",
    )


@rule(AUTHENTICATED)
def import_template(request: HttpRequest, kind: str) -> HttpResponseBase:
    kind = _kind(request, kind, VIEW_RULE)
    spec, title = KINDS[kind]
    handle = tempfile.TemporaryFile()
    tabular.write_template(spec, handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{title}导入模板.xlsx")


def _filtered(request: HttpRequest, kind: str) -> Any:
    """The same filters as the list page, so "export" exports what the user is looking at."""
    from shuangsuiji.directory import selectors
    from shuangsuiji.directory.views import entity_filters

    if kind == "entities":
        return selectors.entity_search(request.user, entity_filters(request))
    if kind == "inspectors":
        g = request.GET
        department = number(g.get("department"))
        return selectors.inspector_search(
            request.user, q=g.get("q", "")[:100], department=department, qualified=g.get("qualified", "")
        )
    return register_queryset(kind, request.user)


@rule(AUTHENTICATED)
def export(request: HttpRequest, kind: str) -> HttpResponseBase:
    kind = _kind(request, kind, VIEW_RULE)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise Http404("只支持 xlsx 或 csv。")
    title = KINDS[kind][1]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action=f"export.{kind}",
            ip=client_ip(request),
            summary=f"导出{title}（{fmt}）",
            detail={"filters": dict(request.GET.items())},
        )
    rows = export_rows(kind, _filtered(request, kind).order_by("pk"))
    if fmt == "csv":
        response = StreamingHttpResponse(
            tabular.csv_chunks(EXPORT_HEADERS[kind], rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(title)}-{stamp}.csv"
        return response
    handle = tempfile.TemporaryFile()
    tabular.write_xlsx(handle, EXPORT_HEADERS[kind], rows, sheet_name=title)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{title}-{stamp}.xlsx")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


__all__ = ["MARK_MISSING"]
