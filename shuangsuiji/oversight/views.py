from __future__ import annotations

import io
import tempfile
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuangsuiji import tabular
from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.selectors import root_of, visible_department_ids
from shuangsuiji.audit.services import audit_record, client_ip
from shuangsuiji.core.models import Job
from shuangsuiji.core.params import number
from shuangsuiji.core.permissions import rule
from shuangsuiji.oversight import reports, statistics
from shuangsuiji.planning.models import Plan


def _year(request: HttpRequest) -> int:
    return number(request.GET.get("year"), 2000, 2100) or timezone.localdate().year


def _scope(request: HttpRequest) -> tuple[frozenset[int] | None, Department | None]:
    """The oversight office sees every department (or one it picks); others their own subtree."""
    user: Any = request.user
    ids = visible_department_ids(user)
    chosen = None
    raw = number(request.GET.get("department"))
    if raw is not None:
        chosen = Department.objects.filter(pk=raw).first()
        if chosen is None or (ids is not None and chosen.pk not in ids):
            raise Http404("部门不存在或不在您的可见范围内。")
        from shuangsuiji.accounts.selectors import department_subtree

        ids = frozenset(department_subtree(chosen).values_list("pk", flat=True))
    return ids, chosen


def _years() -> list[int]:
    years = set(Plan.objects.values_list("year", flat=True)) | {timezone.localdate().year}
    return sorted(years, reverse=True)


def _query(request: HttpRequest) -> str:
    """The page's own query (year, department), to come back to the same view."""
    return urlencode({k: request.GET[k] for k in ("year", "department") if request.GET.get(k)})


@rule("oversight.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    ids, chosen = _scope(request)
    user: Any = request.user
    shown = statistics.dashboard_for_page(year, ids, timezone.localdate(), user=user, query=_query(request))
    first = shown if isinstance(shown, Job) else None
    board = shown if isinstance(shown, statistics.Dashboard) else None
    tables = board.tables if board else []
    pending = first or (board.refreshing if board else None)
    return render(
        request,
        "oversight/dashboard.html",
        {
            "year": year,
            "years": _years(),
            "board": board,
            "first": first,
            "pending_own": pending is not None and pending.created_by_id == user.pk,
            "pending": pending,
            "tables": tables,
            "charts": {t.key: t.chart_data() for t in tables if t.chart_data()},
            "chosen": chosen,
            "departments": Department.objects.filter(parent__isnull=True)
            .exclude(kind=Department.Kind.OFFICE)
            .order_by("path")
            if Role.OVERSIGHT in user.role_set
            else [],
            "query": _query(request),
        },
    )


@rule("oversight.view")
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """Compute the figures anew in the background (one job per year and scope at a time)."""
    year = _year(request)
    ids, _ = _scope(request)
    job = statistics.refresh_enqueue(
        year, ids, timezone.localdate(), user=request.user, query=_query(request)
    )
    if job.created_by_id == request.user.pk:
        return redirect("core:job", pk=job.pk)
    messages.info(request, "统计数据正在由他人发起的后台任务更新，稍后刷新本页即可看到。")
    return redirect(reverse("oversight:dashboard") + (f"?{_query(request)}" if _query(request) else ""))


def _named(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@rule("oversight.view")
def table_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    year = _year(request)
    ids, _ = _scope(request)
    tables = {t.key: t for t in statistics.dashboard(year, ids, timezone.localdate())}
    if key == "never":
        tables["never"] = statistics.never_inspected(ids, limit=10**7)
    table = tables.get(key)
    if table is None or fmt not in ("xlsx", "csv"):
        raise Http404("没有这张统计表。")
    name = f"{table.title}-{year}"
    if fmt == "csv":
        data = b"".join(tabular.csv_chunks(table.headers, table.rows))
        return _named(data, f"{name}.csv", "text/csv; charset=utf-8")
    out = io.BytesIO()
    tabular.write_xlsx(out, table.headers, table.rows, sheet_name=table.title[:28])
    return _named(
        out.getvalue(), f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


@rule("oversight.view")
def summary(request: HttpRequest, fmt: str) -> HttpResponse:
    year = _year(request)
    ids, chosen = _scope(request)
    user: Any = request.user
    if chosen is None and ids is not None and user.department is not None:
        chosen = root_of(user.department)
    tables = statistics.dashboard(year, ids, timezone.localdate())
    who = chosen.name if chosen else "全区"
    title = f"{who}{year}年度“双随机、一公开”监管工作总结"
    audit_record(
        actor=user, action="oversight.summary", ip=client_ip(request), summary=f"导出 {title}（{fmt}）"
    )
    if fmt == "docx":
        data = reports.summary_docx(title, year, tables, reports.summary_intro(year, tables))
        return _named(
            data, f"{title}.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
    if fmt == "xlsx":
        return _named(
            reports.summary_xlsx(title, tables),
            f"{title}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    raise Http404("总结报告提供 Word 和 Excel 两种格式。")


@rule("oversight.view")
def upstream(request: HttpRequest) -> FileResponse:
    """Published results in the layout of docs/upstream-export.md, to file them with the upper platforms."""
    year = _year(request)
    ids, _ = _scope(request)
    audit_record(
        actor=request.user,
        action="oversight.upstream_export",
        ip=client_ip(request),
        summary=f"导出{year}年检查结果（报送格式）",
    )
    handle = tempfile.TemporaryFile()
    tabular.write_xlsx(
        handle, reports.UPSTREAM_HEADERS, reports.upstream_rows(year, ids), sheet_name="抽查检查结果"
    )
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"抽查检查结果-报送-{year}.xlsx")
