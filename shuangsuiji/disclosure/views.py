"""The public portal (一公开): the only login-free pages besides sign-in. No cookies, no external requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.views.decorators.cache import cache_control

from shuangsuiji import tabular
from shuangsuiji.core import pagecache
from shuangsuiji.core.pagination import int_param, query_of
from shuangsuiji.core.params import number
from shuangsuiji.core.permissions import PUBLIC, rule
from shuangsuiji.disclosure import search, selectors
from shuangsuiji.disclosure.models import ItemListVersion, PublishedResult
from shuangsuiji.disclosure.templatetags import portal

CACHE = {"public": True, "max_age": 60}
# The pages are the same for every visitor and the Cache-Control header already lets any proxy reuse them
# for CACHE["max_age"] seconds: each server process keeps its rendered pages as long (core.pagecache,
# benchmarks/bench_portal.py). A publication therefore shows within a minute, as it would behind a caching proxy.
kept = pagecache.keep(CACHE["max_age"])
TASK_PAGE = 200


@rule(PUBLIC)
@cache_control(**CACHE)
@kept
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "disclosure/home.html",
        {
            "plans": selectors.public_plans()[:8],
            "results": PublishedResult.objects.order_by("-published_at", "-pk")[:10],
        },
    )


@rule(PUBLIC)
@cache_control(**CACHE)
@kept
def item_lists(request: HttpRequest) -> HttpResponse:
    latest: dict[int, ItemListVersion] = {}
    older: dict[int, list[ItemListVersion]] = {}
    for version in ItemListVersion.objects.select_related("department").order_by(
        "department__path", "-version"
    ):
        if version.department_id not in latest:
            latest[version.department_id] = version
        else:
            older.setdefault(version.department_id, []).append(version)
    rows = [{"current": v, "older": older.get(d, [])} for d, v in latest.items()]
    return render(request, "disclosure/item_lists.html", {"rows": rows})


@rule(PUBLIC)
@cache_control(**CACHE)
@kept
def item_list(request: HttpRequest, code: str, version: int | None = None) -> HttpResponse:
    versions = ItemListVersion.objects.filter(department__code=code).select_related("department")
    chosen = versions.filter(version=version).first() if version else versions.order_by("-version").first()
    if chosen is None:
        raise Http404("该部门尚未发布抽查事项清单。")
    return render(
        request,
        "disclosure/item_list.html",
        {
            "list": chosen,
            "latest": versions.order_by("-version").first(),
            "versions": versions.order_by("-version"),
        },
    )


@rule(PUBLIC)
@cache_control(**CACHE)
@kept
def plans(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.public_plans(), 20)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "disclosure/plans.html", {"page": page})


@rule(PUBLIC)
@cache_control(**CACHE)
@kept
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(selectors.public_plans(), pk=pk)
    return render(
        request,
        "disclosure/plan.html",
        {"plan": found, "tasks": found.tasks.prefetch_related("items").order_by("number")},
    )


def _public_task(pk: int) -> Any:
    return get_object_or_404(selectors.public_tasks(), pk=pk)


@rule(PUBLIC)
@cache_control(**CACHE)
@kept
def task(request: HttpRequest, pk: int) -> HttpResponse:
    found = _public_task(pk)
    info = selectors.task_disclosure(found)
    # 200 entities a page keeps a big task's page small (issue 7: pages under 200 KB); the page is kept for
    # its Cache-Control minute like every portal page (`kept`)
    page = Paginator(info.entities, TASK_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/task.html",
        {
            "task": found,
            "info": info,
            "shown": page.object_list,
            "number": page.number,
            "pages": page.paginator.num_pages,
            "items": found.items.all(),
        },
    )


@rule(PUBLIC)
@cache_control(**CACHE)
def task_json(request: HttpRequest, pk: int) -> JsonResponse:
    info = selectors.task_disclosure(_public_task(pk))
    return JsonResponse(
        selectors.task_open_data(info), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )


@rule(PUBLIC)
@cache_control(**CACHE)
@kept
def results(request: HttpRequest) -> HttpResponse:
    filters = selectors.result_filters(request)
    page = search.page(filters, int_param(request, "after"), int_param(request, "before"), query_of(request))
    return _framed(request, "检查结果", portal.results_content(page, filters, selectors.search_choices()))


# The portal's layout around a page's content (disclosure/base.html: head, header, footer), by (title, path):
# rendered once per process and reused, as its parts (the static files' URLs, the header's links) change only
# with a deployment. For the results search, where every uncached search rendered it again: with its content
# through the template engine that was a third of the server's CPU a search (benchmarks/bench_portal.py).
_FRAME_CONTENT = SafeString("<!--ssj:content-->")  # nosec B703 — a fixed marker
_frames: dict[tuple[str, str], tuple[str, str]] = {}


def _framed(request: HttpRequest, title: str, content: SafeString) -> HttpResponse:
    key = (title, request.path)
    frame = None if settings.DEBUG else _frames.get(key)
    if frame is None:
        page = render_to_string("disclosure/frame.html", {"title": title, "content": _FRAME_CONTENT}, request)
        before, marker, after = page.partition(_FRAME_CONTENT)
        if not marker:
            raise RuntimeError("internal invariant broken: the frame holds its content's marker")
        frame = (before, after)
        if len(_frames) < 100:
            _frames[key] = frame
    return HttpResponse(frame[0] + content + frame[1])


@rule(PUBLIC)
@cache_control(**CACHE)
@kept
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    first = get_object_or_404(PublishedResult, pk=pk)
    rows = PublishedResult.objects.filter(record_id=first.record_id).order_by("department_name", "item_name")
    return render(request, "disclosure/result.html", {"first": first, "rows": rows})


@rule(PUBLIC)
@cache_control(**CACHE)
def verify(request: HttpRequest) -> HttpResponse:
    chosen = None
    raw = number(request.GET.get("task"))
    if raw is not None:
        chosen = selectors.public_tasks().filter(pk=raw).first()
    info = selectors.task_disclosure(chosen) if chosen else None
    return render(request, "disclosure/verify.html", {"task": chosen, "info": info})


STATIC = Path(__file__).resolve().parent / "static" / "disclosure"


@rule(PUBLIC)
@cache_control(**CACHE)
def verifier(request: HttpRequest, name: str) -> FileResponse:
    if name == "verify_published.py":
        path = STATIC / "verify_published.py"
    elif name == "verify_draw.py":
        path = Path(__file__).resolve().parents[1] / "lottery" / "verify_draw.py"
    else:
        raise Http404()
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type="text/x-python")


# --- open data ---------------------------------------------------------------------------------------


def _csv(headers: tuple[str, ...], rows: Any, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        tabular.csv_chunks(headers, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _json_stream(objects: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    yield b"["
    first = True
    for obj in objects:
        yield (b"" if first else b",\n") + json.dumps(obj, ensure_ascii=False).encode()
        first = False
    yield b"]\n"


PLAN_HEADERS = (
    "计划编号",
    "年度",
    "发起部门",
    "计划类型",
    "计划名称",
    "参与部门",
    "实施开始",
    "实施结束",
    "抽查比例",
    "公示时间",
)
ITEM_HEADERS = (
    "部门",
    "清单版本",
    "事项编码",
    "抽查事项",
    "抽查依据",
    "检查对象",
    "事项类别",
    "检查方式",
    "抽查比例",
    "抽查计划说明",
    "抽查时间",
)


def _plan_rows() -> list[dict[str, Any]]:
    return [
        {
            "ref": p.ref,
            "year": p.year,
            "department": p.department.name,
            "kind": p.get_kind_display(),
            "title": p.title,
            "participants": [d.name for d in p.participants.all()],
            "period_start": p.period_start.isoformat(),
            "period_end": p.period_end.isoformat(),
            "planned_ratio": p.planned_ratio,
            "published_at": p.published_at.isoformat() if p.published_at else None,
        }
        for p in selectors.public_plans()
    ]


def _plan_csv_row(r: dict[str, Any]) -> list[Any]:
    return [
        r["ref"],
        r["year"],
        r["department"],
        r["kind"],
        r["title"],
        "、".join(r["participants"]),
        r["period_start"],
        r["period_end"],
        r["planned_ratio"],
        r["published_at"],
    ]


def _item_rows() -> list[dict[str, Any]]:
    latest: dict[int, ItemListVersion] = {}
    for version in ItemListVersion.objects.select_related("department").order_by(
        "department__path", "-version"
    ):
        latest.setdefault(version.department_id, version)
    return [
        {"department": v.department.name, "version": v.version, **item}
        for v in latest.values()
        for item in v.items
    ]


def _item_csv_row(r: dict[str, Any]) -> list[Any]:
    return [
        r["department"],
        r["version"],
        r["code"],
        r["name"],
        r["basis"],
        r["object_type"],
        r["category"],
        "、".join(r["methods"]),
        r["rate"],
        r["plan_note"],
        r["period_note"],
    ]


@rule(PUBLIC)
@cache_control(**CACHE)
def open_data(request: HttpRequest, dataset: str, fmt: str) -> StreamingHttpResponse:
    if fmt not in ("csv", "json"):
        raise Http404("开放数据提供 CSV 和 JSON 两种格式。")
    objects: Iterator[dict[str, Any]]
    if dataset == "results":
        qs = selectors.result_search(selectors.result_filters(request)).order_by("pk")
        if fmt == "csv":
            return _csv(
                selectors.RESULT_HEADERS, (selectors.result_row(r) for r in qs.iterator(2000)), "results"
            )
        objects = (selectors.result_json(r) for r in qs.iterator(2000))
    elif dataset == "plans":
        plan_rows = _plan_rows()
        if fmt == "csv":
            return _csv(PLAN_HEADERS, (_plan_csv_row(r) for r in plan_rows), "plans")
        objects = iter(plan_rows)
    elif dataset == "items":
        item_rows = _item_rows()
        if fmt == "csv":
            return _csv(ITEM_HEADERS, (_item_csv_row(r) for r in item_rows), "items")
        objects = iter(item_rows)
    else:
        raise Http404("没有这个数据集。")
    return StreamingHttpResponse(_json_stream(objects), content_type="application/json; charset=utf-8")


@rule(PUBLIC)
@cache_control(**CACHE)
def open_data_index(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosure/open_data.html", {})
