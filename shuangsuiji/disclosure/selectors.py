"""Reads for the public portal. Plans are public once published; drawn entities, tickets and results only
once their inspection results are published; the draw's secret inputs only when every result of the task is."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.http import HttpRequest
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.models import InspectionItem, ResultCode
from shuangsuiji.disclosure import names
from shuangsuiji.disclosure.models import PublishedResult, ResultName
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


@dataclass
class ResultFilters:
    q: str = ""
    department: int | None = None
    item: int | None = None
    year: int | None = None
    code: int | None = None


def result_filters(request: HttpRequest) -> ResultFilters:
    def number(name: str, low: int, high: int) -> int | None:
        raw = request.GET.get(name, "").strip()
        return int(raw) if raw.isdigit() and low <= int(raw) <= high else None

    return ResultFilters(
        q=unicodedata.normalize("NFKC", request.GET.get("q", "")).strip()[:100],
        department=number("department", 1, 10**9),
        item=number("item", 1, 10**9),
        year=number("year", 2000, 2100),
        code=number("code", 0, 99),
    )


def _bigrams(text: str) -> list[str]:
    return sorted({text[i : i + 2] for i in range(len(text) - 1)})


class _HoldsBigrams(Func):
    """PostgreSQL: `ssj_bigrams(name) @> ARRAY[…]`, the expression of migration 0003's GIN index."""

    arity = 2
    output_field = BooleanField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        (name, name_params), (grams, grams_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        return f"ssj_bigrams({name}) @> {grams}::text[]", [*name_params, *grams_params]


def _name_contains(q: str) -> Q:
    """entity_name contains q. A name search of two characters or more first asks an index for the rows that
    can hold q, and the LIKE checks them: on PostgreSQL the GIN index of the names' character bigrams
    (migration 0003) for the rows that hold every bigram of q; on SQLite the FTS5 index of `names` for those
    that hold q's bigrams in a row. A trigram index would not serve the two-character searches that Chinese
    names are mostly searched by (benchmarks/bench_portal.py)."""
    contains = Q(entity_name__contains=q)
    if len(q) < 2:
        return contains
    if connection.vendor == "postgresql":
        if _walk_newest_first(q):
            return contains
        return Q(_HoldsBigrams(F("entity_name"), Value(_bigrams(q)))) & contains
    if names.available(connection):
        return Q(pk__in=ResultName.objects.filter(tokens__match=names.phrase(q)).values("pk")) & contains
    return contains


def _walk_newest_first(q: str) -> bool:
    """PostgreSQL: whether a name search for q reads results newest first and checks the LIKE on each (many
    names hold q: a page and its capped count come within a few thousand rows), rather than asking the
    bigram index, which hands back every name holding q's bigrams, to be fetched and sorted (43,000 rows for
    美发有 at 10^6 results: 120 ms). The planner cannot choose itself: it multiplies the bigrams' shares as
    if independent (美发 and 发有 are not) and expected 105 rows. Its estimate of the LIKE alone is good
    (migration 0005 samples the names more): the walk costs ~ cap × results / matches rows, the index
    ~ matches, so the walk wins above sqrt(cap × results) matches (benchmarks/bench_portal.py)."""
    pattern = f"%{connection.ops.prep_for_like_query(q)}%"
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM disclosure_publishedresult WHERE entity_name LIKE %s",
            [pattern],
        )
        matches = float(_plan(cursor.fetchone())["Plan Rows"])
        cursor.execute("EXPLAIN (FORMAT JSON) SELECT 1 FROM disclosure_publishedresult")
        results = float(_plan(cursor.fetchone())["Plan Rows"])
    return matches * matches > SEARCH_COUNT_CAP * results


# The search page counts matches up to this many and says "超过 N 条" beyond: counting 10,000 sparse matches
# of two filters cost 60–130 ms a search at 10^6 results (benchmarks/bench_portal.py), 200 a fiftieth of it.
SEARCH_COUNT_CAP = 200


def _plan(row: Any) -> dict[str, Any]:
    plan = row[0]
    return cast(dict[str, Any], (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])


def _year_pk_range(year: int) -> tuple[int, int]:
    """The first and last key of a year's results (two probes of the (year, id) index). Results are
    published in time order, so a year is a band of keys; neither planner knows that, and given `year = Y
    ORDER BY id DESC LIMIT 21` PostgreSQL walks the primary key down from the newest result through every
    later year (SQLite does the same from another filter's index). Bounding the key to the band keeps any
    such walk inside the year; it selects exactly the same rows (benchmarks/bench_portal.py)."""
    keys = PublishedResult.objects.filter(year=year).values_list("pk", flat=True)
    first, last = keys.order_by("pk").first(), keys.order_by("-pk").first()
    return (first, last) if first is not None and last is not None else (0, -1)


def _is_name_search(q: str) -> bool:
    """Only a name can match q: codes are ASCII letters and digits. (A Chinese name of 15 or 18 characters
    is a name: `str.isalnum` is true of Chinese characters too.)"""
    return bool(q) and not (q.isascii() and q.isalnum())


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
    qs = PublishedResult.objects.all()
    if filters.q:
        code = filters.q.upper()
        if _is_name_search(filters.q):
            # codes are ASCII letters and digits (tabular.normalize.Uscc): only the name can match
            qs = qs.filter(_name_contains(filters.q))
        elif len(code) in (15, 18):
            qs = qs.filter(entity_code=code)
        else:
            qs = qs.filter(_name_contains(filters.q) | Q(entity_code=code))
    return _filtered(qs, filters, "")


def _filtered(qs: QuerySet[Any], filters: ResultFilters, prefix: str) -> QuerySet[Any]:
    """The filters other than q, on results (prefix "") or on rows that lead to them ("result__")."""
    if filters.department:
        qs = qs.filter(**{f"{prefix}department_id": filters.department})
    if filters.item:
        qs = qs.filter(**{f"{prefix}item_id": filters.item})
    if filters.year:
        first, last = _year_pk_range(filters.year)
        qs = qs.filter(**{f"{prefix}year": filters.year}, pk__gte=first, pk__lte=last)
    if filters.code is not None:
        qs = qs.filter(**{f"{prefix}code_number": filters.code})
    return qs


def result_page_search(filters: ResultFilters) -> QuerySet[Any]:
    """What the search page pages through (newest first, by key): `result_search`, except for a name search
    on SQLite with the FTS5 index, which starts from the index's rows (`ResultName`, key = the result's id):
    FTS5 then walks its matches newest first and the page stops after 21 of them, where `id IN (matches)`
    would collect every match first — half the results for a common 字号 (benchmarks/bench_portal.py).
    `page_results` turns a page's rows into results."""
    q = filters.q
    if len(q) < 2 or not _is_name_search(q) or not names.available(connection):
        return result_search(filters)
    qs = ResultName.objects.filter(tokens__match=names.phrase(q), result__entity_name__contains=q)
    return _filtered(qs.select_related("result"), filters, "result__")


def page_results(rows: list[Any]) -> list[PublishedResult]:
    return [row.result if isinstance(row, ResultName) else row for row in rows]


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
