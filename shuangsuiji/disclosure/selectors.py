"""Reads for the public portal. Plans are public once published; drawn entities, tickets and results only
once their inspection results are published; the draw's secret inputs only when every result of the task is."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from django.core.cache import cache
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.models import InspectionItem, ResultCode
from shuangsuiji.core.params import number
from shuangsuiji.disclosure import search
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.disclosure.search import ResultFilters
from shuangsuiji.draws.models import Draw, DrawSelection
from shuangsuiji.inspections.models import InspectionRecord
from shuangsuiji.planning.models import Plan, Task

PUBLIC_PLAN_STATES = (Plan.State.PUBLISHED, Plan.State.CLOSED)


def public_plans() -> QuerySet[Plan]:
    return (
        Plan.objects.filter(state__in=PUBLIC_PLAN_STATES)
        .select_related("department")
        .prefetch_related("participants")
        .order_by("-year", "-published_at", "-pk")
    )


def public_tasks() -> QuerySet[Task]:
    return Task.objects.filter(plan__state__in=PUBLIC_PLAN_STATES).select_related("plan__department")


@dataclass
class TaskDisclosure:
    task: Task
    draw: Draw | None
    witnesses: list[str] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0
    published: int = 0
    revealed: dict[str, str] | None = None

    @property
    def complete(self) -> bool:
        return self.records > 0 and self.published == self.records


def task_disclosure(task: Task) -> TaskDisclosure:
    draw = Draw.objects.filter(task=task).first()
    out = TaskDisclosure(task=task, draw=draw)
    if draw is None:
        return out
    if draw.state != Draw.State.COMMITTED:
        out.witnesses = [w.get_role_display() for w in draw.witnesses.all()]
    out.records, out.published = _record_counts(task)
    # Tuples, not model instances: a big task publishes thousands of entities (benchmarks/bench_portal.py).
    fields = ("rank", "key", "name", "ticket", "record", "published_at")
    selections = (
        DrawSelection.objects.filter(draw=draw, record__state=InspectionRecord.State.PUBLISHED)
        .order_by("rank")
        .values_list("rank", "key", "entity__name", "ticket", "record__pk", "record__published_at")
    )
    out.entities = [dict(zip(fields, row, strict=True)) for row in selections]
    if out.complete and draw.state == Draw.State.DRAWN:
        out.revealed = {
            "commitment_sha256": draw.commitment_sha256,
            "server_nonce": draw.server_nonce_hex,
            "ceremony_entropy": draw.ceremony_entropy,
            "seed": draw.seed_hex,
        }
    return out


def _record_counts(task: Task) -> tuple[int, int]:
    """(records, published records) of a task, in one query."""
    row = InspectionRecord.objects.filter(task=task).aggregate(
        records=Count("pk"), published=Count("pk", filter=Q(state=InspectionRecord.State.PUBLISHED))
    )
    return row["records"], row["published"]


def task_open_data(info: TaskDisclosure) -> dict[str, Any]:
    """The published part of a draw, as JSON for the verifier (browser or script)."""
    task, draw = info.task, info.draw
    return {
        "protocol": "ssj-draw/1",
        "task": task.ref,
        "title": task.title,
        "plan": task.plan.ref,
        "commitment_sha256": draw.commitment_sha256 if draw else None,
        "committed_at": draw.committed_at.isoformat() if draw else None,
        "drawn_at": draw.drawn_at.isoformat() if draw and draw.drawn_at else None,
        "witness_roles": info.witnesses,
        "records": info.records,
        "published": info.published,
        "reveal": info.revealed,
        "selected": [{"key": e["key"], "name": e["name"], "ticket": e["ticket"]} for e in info.entities],
    }


def check_published_draw(data: dict[str, Any]) -> list[str]:
    """What the browser page and verify_published.py check, in Python (used by tests): the seed from the
    revealed inputs, and each published entity's ticket. Returns the problems (empty when all holds)."""
    problems: list[str] = []
    reveal = data.get("reveal")
    if not reveal:
        return ["尚未公开抽取的种子输入：该任务的检查结果全部公示后公开。"]
    seed = hashlib.sha256(
        b"ssj-draw/1\x00"
        + bytes.fromhex(reveal["commitment_sha256"])
        + bytes.fromhex(reveal["server_nonce"])
        + unicodedata.normalize("NFC", reveal["ceremony_entropy"]).encode()
    ).digest()
    if seed.hex() != reveal["seed"]:
        problems.append("种子与公开的承诺摘要、服务器随机数和现场随机数不符。")
    for entry in data.get("selected", []):
        ticket = hashlib.sha256(seed + b"obj\x00" + entry["key"].encode()).hexdigest()
        if ticket != entry["ticket"]:
            problems.append(f"{entry['key']} 的抽签值不符。")
    return problems


def result_filters(request: HttpRequest) -> ResultFilters:
    g = request.GET
    return ResultFilters(
        q=unicodedata.normalize("NFKC", g.get("q", "")).strip()[:100],
        department=number(g.get("department"), 1),
        item=number(g.get("item"), 1),
        year=number(g.get("year"), 2000, 2100),
        code=number(g.get("code"), 0, 99),
    )


CHOICES_SECONDS = 60  # the portal pages' own Cache-Control max-age (views.CACHE)


def search_choices() -> dict[str, list[tuple[int, str]]]:
    """The search form's choices, the same for every visitor: kept per process for the pages' minute.

    Departments and items are those with published results, each by an EXISTS (an index probe each), not a
    DISTINCT over 10^6 results (benchmarks/bench_portal.py: ~80 ms per request at 10^6 rows)."""

    def compute() -> dict[str, list[tuple[int, str]]]:
        def has_results(field: str) -> Exists:
            return Exists(PublishedResult.objects.filter(**{field: OuterRef("pk")}))

        departments = Department.objects.filter(has_results("department_id")).order_by("path")
        items = InspectionItem.objects.filter(has_results("item_id")).order_by("code")
        codes = sorted({(c.number, c.label) for c in ResultCode.objects.all()})
        return {
            "departments": list(departments.values_list("pk", "name")),
            "items": list(items.values_list("pk", "name")),
            "codes": [(number, f"{number}. {label}") for number, label in codes],
            "years": [(year, str(year)) for year in range(timezone.localdate().year, 2019, -1)],
        }

    return cast(
        dict[str, list[tuple[int, str]]], cache.get_or_set("portal:search-choices", compute, CHOICES_SECONDS)
    )


def result_search(filters: ResultFilters) -> QuerySet[PublishedResult]:
    """The results a search selects, for the export: the search page's conditions (`search.conditions`)."""
    found = search.conditions(filters, from_index=False)
    qs = PublishedResult.objects.all()
    if found.where:
        # the conditions' values are parameters; their SQL is search.py's own text
        qs = qs.filter(RawSQL(" AND ".join(found.where), found.params, output_field=BooleanField()))  # noqa: S611  # nosec B611
    if found.band:
        qs = qs.filter(pk__gte=found.band[0], pk__lte=found.band[1])
    return qs


RESULT_HEADERS = (
    "检查对象",
    "统一社会信用代码/注册号",
    "法定代表人/经营者",
    "检查部门",
    "检查事项",
    "检查日期",
    "检查结果编号",
    "检查结果",
    "公示日期",
    "更正日期",
    "更正前结果",
)


def result_row(r: PublishedResult) -> list[Any]:
    return [
        r.entity_name,
        r.entity_code,
        r.representative,
        r.department_name,
        r.item_name,
        r.inspected_on,
        r.code_number,
        r.code_label,
        r.published_at.date(),
        r.corrected_at.date() if r.corrected_at else None,
        r.previous_label,
    ]


def result_json(r: PublishedResult) -> dict[str, Any]:
    def iso(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": r.pk,
        "entity_name": r.entity_name,
        "entity_code": r.entity_code,
        "representative": r.representative,
        "department": r.department_name,
        "item": r.item_name,
        "inspected_on": iso(r.inspected_on),
        "result_code": r.code_number,
        "result": r.code_label,
        "published_on": iso(r.published_at.date()),
        "corrected_on": iso(r.corrected_at.date()) if r.corrected_at else None,
        "previous_result": r.previous_label or None,
    }
