from __future__ import annotations

import tempfile
from datetime import date

from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from shuangsuiji import tabular
from shuangsuiji.audit.exports import HEADERS, chain_head, events_between, export_rows
from shuangsuiji.audit.selectors import audit_chain_verify
from shuangsuiji.audit.services import audit_record, client_ip
from shuangsuiji.core.pagination import paginate
from shuangsuiji.core.permissions import rule


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@rule("audit.view")
def event_list(request: HttpRequest) -> HttpResponse:
    start, end = _date(request.GET.get("from", "")), _date(request.GET.get("to", ""))
    action = request.GET.get("action", "")[:64]
    qs = events_between(start, end, action)
    return render(
        request,
        "audit/event_list.html",
        {"page": paginate(request, qs), "start": start, "end": end, "action": action, "head": chain_head()},
    )


@rule("audit.view")
def verify(request: HttpRequest) -> HttpResponse:
    report = audit_chain_verify()
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="audit.verify",
            ip=client_ip(request),
            summary=report.message,
            success=report.ok,
        )
    return render(request, "audit/verify.html", {"report": report, "head": chain_head()})


@rule("audit.view")
def export(request: HttpRequest) -> HttpResponseBase:
    start, end = _date(request.GET.get("from", "")), _date(request.GET.get("to", ""))
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="audit.export",
            ip=client_ip(request),
            summary=f"导出审计日志 {start or '开始'} 至 {end or '现在'}（{fmt}）",
        )
    handle = tempfile.TemporaryFile()
    rows = export_rows(events_between(start, end, request.GET.get("action", "")[:64]))
    if fmt == "csv":
        tabular.write_csv(handle, HEADERS, rows)
    else:
        tabular.write_xlsx(handle, HEADERS, rows, sheet_name="审计日志")
    handle.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(handle, as_attachment=True, filename=f"审计日志-{stamp}.{fmt}")
