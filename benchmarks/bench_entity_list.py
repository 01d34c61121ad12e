"""Scale benchmark (not a test): the entity list page at 10^6 rows, on SQLite and PostgreSQL.

Claim under test: /staff/directory/entities/ "stays fast at 10^6 rows (indexed filters, keyset or bounded
pagination, no full COUNT on every page)". Target: every list request under ~300 ms on a 2-core machine.

Each database gets a fresh database of its own (SQLite in a temp dir; PostgreSQL `ssj_bench_list`, dropped
and recreated), the migrations, the small demo county (`demo_load(entities=100)`: departments, users,
items), then N extra entities bulk-loaded (COPY on PostgreSQL, executemany on SQLite) with one
DirectoryListing per entity for SCJG and one for XFJY for about half of them.

Requests go through Django's test Client, logged in as `scjg.manager` (bureau subtree), `cg.manager`
(one station), `lxb.oversight` (everything) and `xfjy.manager` (sees entities only through XFJY's
DirectoryListing rows: the EXISTS branch of the scope). Each database runs in a child process (Django is
set up once per process); the parent prints both side by side. For the slowest requests the slowest
statement is EXPLAINed (ANALYZE, BUFFERS on PostgreSQL; QUERY PLAN on SQLite).

    uv run python benchmarks/bench_entity_list.py                       # 10^6 rows, both databases
    uv run python benchmarks/bench_entity_list.py --db sqlite --rows 50000 --reps 3
    uv run python benchmarks/bench_entity_list.py --no-fixes --keep

Then it prototypes fixes, cumulatively, in its own database and process only (no app file changes) and
measures everything again after each step. PostgreSQL: `jit = off`; a pg_trgm GIN index on the name;
a paginate() variant (monkeypatched into the view: COUNT only when the first page is full, a search
counted up to 1,000); a bigram GIN expression index plus a rewritten name search. SQLite: the paginate()
variant; an FTS5 table of name bigrams plus the rewritten search; ANALYZE (what PRAGMA optimize would do).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = "ssj_bench_list"
TARGET_MS = 300.0
USERS = ("scjg.manager", "cg.manager", "lxb.oversight", "xfjy.manager")
DB_LABEL = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
URL = "/staff/directory/entities/"
CHUNK = 50_000
SEED = 20260302

# Characters of 字号 (trade names), none of them a common surname, so "王商贸" matches nothing.
ZIHAO = (
    "鑫源华泰恒通达昌盛隆兴发宏运嘉瑞丰祥顺安康宁德福新创科信联合宇航博远天成正大银海洋东方北南中原"
    "伊龙门凯旋星光辉煌明亮伟业永久长青松柏云峰川湖美佳优良品尚雅诚惠众益民乐家欣荣耀锦绣夏九州万千"
    "百汇集聚力腾飞跃升君豪泽润晨曦若彤睿智卓越朗逸怡然翔宇骏驰铭坤鼎晟"
)
REGION_PREFIXES = ("洛阳", "洛阳", "偃师", "河南")
PERSON_POOL = 20_000


# --------------------------------------------------------------------------------------------- data


def _uscc_body(n: int) -> str:
    """Seven base-31 characters, a bijection of n < 31**7 (so every generated code is unique)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    value = (n * 2_654_435_761 + 97_531) % 31**7  # 2654435761 is coprime with 31: a permutation
    chars = []
    for _ in range(7):
        value, digit = divmod(value, 31)
        chars.append(alphabet[digit])
    return "".join(chars)


def entity_rows(
    rows: int, first_id: int, stations: dict[str, int], used: set[str], sqlite: bool
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[int, str]]]]:
    """Chunks of (entity rows, [(entity id, listing department code)]), generated column-wise."""
    from faker import Faker
    from stdnum.cn import uscc as stdnum_uscc

    from shuangsuiji.demo.county import DISTRICT, INDUSTRIES, STATIONS

    rng = random.Random(SEED + rows)  # nosec B311 — deterministic bench data
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    people = [fake.name() for _ in range(PERSON_POOL)]
    streets = [fake.street_name() for _ in range(2_000)]
    town_station = [(town, stations[code]) for code, _, towns in STATIONS for town in towns]
    industry_weights = [i.weight for i in INDUSTRIES]
    status_pop, status_w = ["active", "suspended", "deregistered", "revoked", "moved_out"], [92, 3, 2, 2, 1]
    credit_pop, credit_w = ["A", "B", "C", "D"], [60, 30, 8, 2]
    building_pop, building_w = ["multi_storey", "single_storey", "high_rise", "underground"], [50, 35, 10, 5]
    today = date(2026, 1, 1)
    stamp = "2026-03-02 02:00:00" if sqlite else "2026-03-02 10:00:00+08"
    short = DISTRICT[3:]
    serial = 0
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        industries = rng.choices(INDUSTRIES, weights=industry_weights, k=n)
        places = rng.choices(town_station, k=n)
        statuses = rng.choices(status_pop, weights=status_w, k=n)
        credits = rng.choices(credit_pop, weights=credit_w, k=n)
        buildings = rng.choices(building_pop, weights=building_w, k=n)
        persons = rng.choices(people, k=n)
        out: list[tuple[Any, ...]] = []
        listings: list[tuple[int, str]] = []
        for k in range(n):
            pk = first_id + start + k
            industry, (town, station_id), person = industries[k], places[k], persons[k]
            roll = rng.random()
            established = today - timedelta(days=rng.randint(30, 365 * 25))
            old = established.year < 2021
            region = "410381" if old else "410307"
            authority = "偃师市市场监督管理局" if old else "洛阳市偃师区市场监督管理局"
            fire = industry.fire_company
            credit = credits[k]
            if industry.shop_suffixes and roll < 0.30:
                kind, prefix = "individual", "92"
                name = f"{short}{town}{person}{rng.choice(industry.shop_suffixes)}"
                fire = industry.fire_shop
                credit = credit if rng.random() < 0.5 else ""
            elif industry.name == "农业" and roll < 0.6:
                kind, prefix = "cooperative", "93"
                name = f"{short}{town}{person[0]}{rng.choice(['种植', '养殖', '农机'])}专业合作社"
            elif roll > 0.985:
                kind = rng.choice(["institution", "government"])
                prefix = "12" if kind == "institution" else "11"
                unit = (
                    rng.choice(["中心小学", "卫生院", "敬老院", "文化站"]) if prefix == "12" else "人民政府"
                )
                name = f"{short}{town}{unit}"
                authority = "偃师区委机构编制委员会办公室"
                fire = "key" if prefix == "12" and rng.random() < 0.5 else "general"
            else:
                kind, prefix = "company", "91"
                zihao = "".join(rng.choices(ZIHAO, k=rng.choice((2, 2, 2, 3, 4))))
                name = f"{rng.choice(REGION_PREFIXES)}{zihao}{rng.choice(industry.company_suffixes)}"
                if fire == "general" and rng.random() < 0.06:
                    fire = "key"
            if fire and rng.random() >= 0.6:
                fire = ""  # about half of all entities are in the fire brigade's directory
            while True:
                body = f"{prefix}{region}MA{_uscc_body(serial)}"
                serial += 1
                code = body + stdnum_uscc.calc_check_digit(body)
                if code not in used:
                    break
            scale = building = occupancy = facilities = ""
            if fire:
                building, occupancy = buildings[k], industry.occupancy
                scale = rng.choice(("large", "medium")) if fire == "key" else rng.choice(("small", "micro"))
                facilities = "automatic" if fire == "key" else rng.choice(("hydrant", "basic"))
                listings.append((pk, "XFJY"))
            listings.append((pk, "SCJG"))
            out.append(
                (
                    pk,
                    name,
                    code,
                    None,
                    person,
                    f"{DISTRICT}{town}{rng.choice(streets)}{rng.randint(1, 399)}号",
                    town,
                    authority,
                    station_id,
                    kind,
                    industry.name,
                    statuses[k],
                    established.isoformat(),
                    credit,
                    fire,
                    building,
                    occupancy,
                    scale,
                    facilities,
                    stamp,
                    stamp,
                )
            )
        yield out, listings


ENTITY_COLUMNS = (
    "id",
    "name",
    "uscc",
    "reg_no",
    "legal_representative",
    "address",
    "town",
    "registration_authority",
    "jurisdiction_id",
    "entity_type",
    "industry",
    "status",
    "established_on",
    "credit_risk_class",
    "fire_safety_category",
    "building_category",
    "occupancy",
    "scale",
    "fire_facilities",
    "created_at",
    "updated_at",
)


def _copy_text(rows: list[tuple[Any, ...]]) -> str:
    # Generated values never hold a tab, newline or backslash, so no escaping is needed.
    return "".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n" for row in rows)


def bulk_load(rows: int, db: str) -> dict[str, Any]:
    from django.db import connection, transaction

    from shuangsuiji.accounts.models import Department
    from shuangsuiji.directory.models import DirectoryListing, Entity

    departments = dict(Department.objects.values_list("code", "id"))
    stations = {
        code: pk for code, pk in departments.items() if code.startswith("SCJG-") and code != "SCJG-XYK"
    }
    used = set(Entity.objects.exclude(uscc=None).values_list("uscc", flat=True))
    first_id = (Entity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    entity_table, listing_table = Entity._meta.db_table, DirectoryListing._meta.db_table
    cols = ", ".join(ENTITY_COLUMNS)
    listings = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if db == "postgres":
            raw = cursor.cursor
            raw.execute("SET LOCAL synchronous_commit = off")
            for chunk, chunk_listings in entity_rows(rows, first_id, stations, used, sqlite=False):
                with raw.copy(f"COPY {entity_table} ({cols}) FROM STDIN") as copy:
                    copy.write(_copy_text(chunk))
                with raw.copy(
                    f"COPY {listing_table} (entity_id, department_id, listed_at) FROM STDIN"
                ) as copy:
                    copy.write(
                        "".join(
                            f"{pk}\t{departments[c]}\t2026-03-02 10:00:00+08\n" for pk, c in chunk_listings
                        )
                    )
                listings += len(chunk_listings)
            raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{entity_table}', 'id'), (SELECT max(id) FROM {entity_table}))"
            )
        else:
            raw = connection.connection
            marks = ", ".join("?" for _ in ENTITY_COLUMNS)
            raw.execute(
                "PRAGMA cache_size = -262144"
            )  # 256 MB for the load only (the connection closes after)
            for chunk, chunk_listings in entity_rows(rows, first_id, stations, used, sqlite=True):
                raw.executemany(f"INSERT INTO {entity_table} ({cols}) VALUES ({marks})", chunk)
                raw.executemany(
                    f"INSERT INTO {listing_table} (entity_id, department_id, listed_at) VALUES (?, ?, ?)",
                    [(pk, departments[c], "2026-03-02 02:00:00") for pk, c in chunk_listings],
                )
                listings += len(chunk_listings)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    if db == "postgres":
        with connection.cursor() as cursor:
            # What autovacuum does after a bulk insert (statistics + visibility map for index-only scans).
            cursor.execute(f"VACUUM ANALYZE {entity_table}")
            cursor.execute(f"VACUUM ANALYZE {listing_table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return {
        "load_s": load_s,
        "post_s": time.perf_counter() - started,
        "entities": rows,
        "listings": listings,
        "first_id": first_id,
    }


# -------------------------------------------------------------------------------------- measuring

_TOTAL = re.compile(r"(超过|共) ([\d,]+) 条")


def _total(html: str) -> str:
    found = _TOTAL.search(html)
    if not found:
        return "?"
    return (">" if found.group(1) == "超过" else "") + found.group(2).replace(",", "")


def _shape(sql: str) -> str:
    """A short name for a statement: COUNT (the capped count), PAGE (the rows), EXISTS (prev-page check)."""
    if sql.startswith("SELECT COUNT(*)"):
        return "capped COUNT"
    if 'SELECT 1 AS "a" FROM "directory_entity"' in sql and "LIMIT 1" in sql[-12:]:
        return "prev-page EXISTS"
    return "page rows"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def build_cases(ctx: dict[str, Any], username: str) -> list[tuple[str, dict[str, str]]]:
    station = ctx["own_station"] if username == "cg.manager" else ctx["other_station"]
    return [
        ("first page", {}),
        ("status=active&credit_risk_class=C", {"status": "active", "credit_risk_class": "C"}),
        ("fire_safety_category=key", {"fire_safety_category": "key"}),
        ("q=<USCC> (exact)", {"q": ctx["uscc"]}),
        ("q=商贸 (name, many)", {"q": "商贸"}),
        ("q=王商贸 (name, none)", {"q": "王商贸"}),
        ("q=鼎晟 (name, few, 2 chars)", {"q": "鼎晟"}),
        ("after=<id at 50%> (deep keyset)", {"after": str(ctx["mid_id"])}),
        ("jurisdiction=<station>", {"jurisdiction": str(station)}),
    ]


def measure_matrix(
    ctx: dict[str, Any], reps: int, tag: str, only: set[str] | None = None
) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.accounts.models import User

    results = []
    for username in USERS:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        for label, params in build_cases(ctx, username):
            if only is not None and label not in only:
                continue
            response = client.get(URL, params)  # warm-up, not counted
            if response.status_code != 200:
                raise SystemExit(f"{username} {label}: HTTP {response.status_code}")
            times = []
            for _ in range(reps):
                started = time.perf_counter()
                client.get(URL, params)
                times.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(URL, params)
            queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
            # The statements on the entity table (the session/user/department lookups are noise).
            entity_sql = [(t, sql) for t, sql in queries if '"directory_entity"' in sql] or queries
            slow_ms, slow_sql = max(entity_sql)
            row = {
                "tag": tag,
                "case": label,
                "user": username,
                "median": statistics.median(times),
                "max": max(times),
                "total": _total(response.content.decode()),
                "queries": len(queries),
                "sql_ms": sum(t for t, _ in queries),
                "slowest_sql_ms": slow_ms,
                "slowest_sql": slow_sql,
                "entity_sql": [(t, _shape(sql)) for t, sql in entity_sql],
            }
            results.append(row)
            print(
                f"  [{tag}] {username:14} {_pad(label, 34)} median {row['median']:8.1f} ms  max {row['max']:8.1f} ms"
                f"  rows {row['total']:>7}  {row['queries']} queries, SQL {row['sql_ms']:.1f} ms",
                flush=True,
            )
    return results


def naive_vs_keyset(ctx: dict[str, Any], reps: int) -> list[dict[str, Any]]:
    """Django's Paginator (full COUNT + OFFSET page 25,000) against the app's paginate() (capped COUNT +
    keyset `after=`), on the same queryset (the unfiltered list), ORM only (no template rendering)."""
    from django.core.paginator import Paginator
    from django.test import RequestFactory

    from shuangsuiji.accounts.models import User
    from shuangsuiji.core.pagination import paginate
    from shuangsuiji.directory.selectors import EntityFilters, entity_search

    out = []
    factory = RequestFactory()
    for username in USERS:
        user = User.objects.get(username=username)

        def naive(user: Any = user) -> tuple[int, int]:
            paginator = Paginator(entity_search(user, EntityFilters()).order_by("-pk"), 20)
            number = min(25_000, paginator.num_pages)  # .count: the full COUNT(*)
            return number, len(list(paginator.page(number).object_list))

        def keyset(user: Any = user) -> tuple[int, int]:
            request = factory.get(URL, {"after": str(ctx["mid_id"])})
            request.user = user
            return 0, len(paginate(request, entity_search(user, EntityFilters())).items)

        figures: dict[str, Any] = {"user": username}
        for name, fn in (("naive", naive), ("keyset", keyset)):
            times = []
            for _ in range(reps):
                started = time.perf_counter()
                page_number, _ = fn()
                times.append((time.perf_counter() - started) * 1000)
            figures[name] = statistics.median(times)
            if name == "naive":
                figures["page"] = page_number
        figures["ratio"] = figures["naive"] / figures["keyset"]
        print(
            f"  {username:14} naive Paginator page {figures['page']}: {figures['naive']:8.1f} ms   "
            f"keyset after=<50%>: {figures['keyset']:6.1f} ms   ratio {figures['ratio']:6.1f}x",
            flush=True,
        )
        out.append(figures)
    return out


def explain(sql: str, db: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        rows = cursor.fetchall()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchall()
    lines.append(f"(executed in {(time.perf_counter() - started) * 1000:.1f} ms)")
    return "\n".join(lines)


def print_plans(
    results: list[dict[str, Any]], db: str, limit: int, previous: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """EXPLAIN the slowest entity statement of the requests that got more than 2x and 50 ms slower after a
    fix, then of those over the target; distinct statements, slowest first; at least the slowest one."""
    before = {(x["user"], x["case"]): x["median"] for x in previous or []}

    def regressed(row: dict[str, Any]) -> bool:
        was = before.get((row["user"], row["case"]))
        return was is not None and row["median"] > max(2 * was, was + 50)

    ranked = sorted(results, key=lambda r: -r["median"])
    chosen = [r for r in ranked if regressed(r)] + [r for r in ranked if r["median"] > TARGET_MS]
    chosen = chosen or ([ranked[0]] if previous is None else [])
    seen: set[str] = set()
    plans = []
    for row in chosen:
        if len(plans) >= limit:
            break
        shape = re.sub(r"\d+", "N", row["slowest_sql"])
        if shape in seen:
            continue
        seen.add(shape)
        plan = explain(row["slowest_sql"], db)
        plans.append({**row, "plan": plan})
        print(
            f"\n--- {DB_LABEL[db]} [{row['tag']}] {row['user']} · {row['case']}: request median {row['median']:.1f} ms, "
            f"slowest statement {row['slowest_sql_ms']:.1f} ms of {row['sql_ms']:.1f} ms SQL "
            f"({', '.join(f'{name} {t:.1f} ms' for t, name in row['entity_sql'])})\n"
            f"SQL: {row['slowest_sql']}\n{plan}",
            flush=True,
        )
    return plans


# ------------------------------------------------------------------------------------- fixes
# Prototypes only, applied to the benchmark's own database/process, cumulatively. Nothing in the app changes.


def paginate_prototype(request: Any, queryset: Any, *, order: str = "-pk", size: int = 20) -> Any:
    """core.pagination.paginate with two changes on the first page of a keyset list:
    the page rows are fetched first and the capped COUNT runs only when the page is full (else the total is
    the number of rows), and a free-text search (`q`) is counted up to 1,000 instead of 10,000."""
    from shuangsuiji.core import pagination

    cursors = ("after", "before", "page")
    if order != "-pk" or any(request.GET.get(k) for k in cursors):
        return pagination.paginate(request, queryset, order=order, size=size)
    filters = {str(k): str(v) for k, v in request.GET.items() if k not in cursors and v}
    rows = list(queryset.order_by("-pk")[: size + 1])
    cap = 1_000 if request.GET.get("q", "").strip() else pagination.COUNT_CAP
    counted = queryset.order_by()[: cap + 1].count() if len(rows) > size else len(rows)
    page = pagination.Page(rows[:size], min(counted, cap), counted > cap, filters)
    if len(rows) > size:
        page.next_cursor = ("after", page.items[-1].pk)
    return page


def _execute(*statements: str) -> Callable[[], None]:
    def apply() -> None:
        from django.db import connection, connections

        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        connections.close_all()  # new sessions pick up ALTER DATABASE settings

    return apply


def _patch_paginate() -> None:
    import shuangsuiji.directory.views as views

    views.paginate = paginate_prototype  # type: ignore[assignment]


def _bigrams(text: str) -> list[str]:
    return sorted({text[i : i + 2] for i in range(len(text) - 1)})


PG_BIGRAMS = """CREATE FUNCTION bench_bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}') FROM generate_series(1, length(t) - 1) AS i $$"""


def _build_sqlite_bigrams() -> None:
    """A contentless FTS5 table whose tokens are the name's character bigrams (FTS5's trigram tokenizer,
    like pg_trgm, cannot serve 2-character patterns, and CJK names have no spaces to tokenize on)."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("CREATE VIRTUAL TABLE bench_name_bigrams USING fts5(grams, content='', tokenize='unicode61')")
    rows = raw.execute("SELECT id, name FROM directory_entity")
    while batch := rows.fetchmany(CHUNK):
        raw.executemany(
            "INSERT INTO bench_name_bigrams (rowid, grams) VALUES (?, ?)",
            [(pk, " ".join(_bigrams(name))) for pk, name in batch],
        )
    raw.execute("COMMIT")


def _patch_bigram_search(db: str) -> Callable[[], None]:
    """Wrap selectors.entity_search: a name search of 2+ characters also requires the name's bigram index
    to hold every bigram of the term (the LIKE stays, as the recheck)."""

    def apply() -> None:
        from shuangsuiji.directory import selectors

        if db == "postgres":
            _execute(
                PG_BIGRAMS,
                "CREATE INDEX bench_entity_name_bigrams ON directory_entity USING gin (bench_bigrams(name))",
                "ANALYZE directory_entity",
            )()
        else:
            _build_sqlite_bigrams()
        original = selectors.entity_search

        def entity_search(user: Any, filters: Any) -> Any:
            qs = original(user, filters)
            q = filters.q.strip()
            if len(q) < 2 or selectors._CODE_LIKE.match(q.replace(" ", "").upper()):
                return qs
            rep = '"directory_entity"."legal_representative" = %s'
            if db == "postgres":
                where = f'(bench_bigrams("directory_entity"."name") @> %s::text[] OR {rep})'
                params: list[Any] = [_bigrams(q), q]
            else:
                where = (
                    '("directory_entity"."id" IN (SELECT rowid FROM bench_name_bigrams WHERE bench_name_bigrams '
                    f"MATCH %s) OR {rep})"
                )
                params = [" AND ".join('"' + g.replace('"', '""') + '"' for g in _bigrams(q)), q]
            return qs.extra(where=[where], params=params)

        selectors.entity_search = entity_search  # type: ignore[assignment]

    return apply


def fix_steps(db: str) -> list[tuple[str, Callable[[], None]]]:
    paginate_step = ("paginate: COUNT only if 1st page full; cap 1,000 for q", _patch_paginate)
    if db == "postgres":
        return [
            ("jit = off (ALTER DATABASE)", _execute(f"ALTER DATABASE {PG_DB} SET jit = off")),
            (
                "+ pg_trgm GIN index on name",
                _execute(
                    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                    "CREATE INDEX bench_entity_name_trgm ON directory_entity USING gin (name gin_trgm_ops)",
                    "ANALYZE directory_entity",
                ),
            ),
            ("+ " + paginate_step[0], paginate_step[1]),
            ("+ bigram GIN (expression index) + query rewrite", _patch_bigram_search(db)),
        ]
    return [
        paginate_step,
        ("+ FTS5 bigram table + query rewrite", _patch_bigram_search(db)),
        ("+ ANALYZE (as PRAGMA optimize would)", _execute("ANALYZE")),
    ]


# -------------------------------------------------------------------------------------- child


def _pg_admin(sql: str) -> None:
    """Run one statement on the server's `postgres` database. DROP DATABASE waits until every backend of the
    server has absorbed a signal barrier, which a backend stuck writing to a slow client of another database
    never does; the timeout keeps the benchmark from hanging on that."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute("SET statement_timeout = '120s'")
        conn.execute(sql)  # type: ignore[arg-type]


def _drop_bench_db() -> None:
    import psycopg

    try:
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    except psycopg.Error as error:
        print(
            f"  ! could not drop database {PG_DB} ({error.__class__.__name__}: {str(error).strip()}); "
            f"drop it later: psql {PG_SERVER}/postgres -c 'DROP DATABASE {PG_DB} WITH (FORCE)'",
            flush=True,
        )


def child(db: str, rows: int, reps: int, keep: bool, fixes: bool, out: Path) -> None:
    os.nice(5)
    tmp = Path(tempfile.mkdtemp(prefix=f"ssj-bench-list-{db}-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["SHUANGSUIJI_DEBUG"] = "1"
    os.environ["SHUANGSUIJI_DATA_DIR"] = str(tmp)
    os.environ.setdefault("SHUANGSUIJI_LOG_LEVEL", "ERROR")
    if db == "postgres":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        _pg_admin(f"CREATE DATABASE {PG_DB}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    report: dict[str, Any] = {"db": db}
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections
        from django.db.models import Max, Min

        from shuangsuiji.accounts.models import Department
        from shuangsuiji.demo.county import demo_load
        from shuangsuiji.directory.models import Entity

        print(f"== {DB_LABEL[db]}: {connection.settings_dict['NAME']}", flush=True)
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        try:
            demo_load(entities=100)
        except Exception as error:  # the demo's plans/draws are not needed by the entity list
            import shuangsuiji.demo.county as county

            if not hasattr(county, "_plans_and_ceremonies"):
                raise
            print(
                f"  ! demo_load(entities=100) failed: {error!r}; retrying without its plans and draws",
                flush=True,
            )
            county._plans_and_ceremonies = lambda *args, **kwargs: None  # type: ignore[attr-defined]
            demo_load(entities=100)
        report["setup_s"] = time.perf_counter() - started
        print(f"  migrate + demo_load(entities=100): {report['setup_s']:.1f} s", flush=True)
        report["load"] = bulk_load(rows, db)
        load = report["load"]
        print(
            f"  bulk load {load['entities']:,} entities + {load['listings']:,} listings: {load['load_s']:.1f} s "
            f"({load['entities'] / load['load_s']:,.0f} entities/s); "
            f"{'VACUUM ANALYZE' if db == 'postgres' else 'WAL checkpoint'} {load['post_s']:.1f} s",
            flush=True,
        )
        ids = Entity.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
        mid_id = ids["lo"] + (ids["hi"] - ids["lo"]) // 2
        cg = Department.objects.get(code="SCJG-CG").pk
        ctx = {
            "mid_id": mid_id,
            "own_station": cg,
            "other_station": Department.objects.get(code="SCJG-GX").pk,
            # A code visible to every user (城关所's jurisdiction, in XFJY's directory), near the middle.
            "uscc": Entity.objects.filter(
                pk__lte=mid_id, jurisdiction_id=cg, listings__department__code="XFJY"
            )
            .order_by("-pk")
            .values_list("uscc", flat=True)[0],
        }
        report["ctx"] = ctx
        report["count"] = Entity.objects.count()
        print(
            f"  {report['count']:,} entities; deep cursor after={mid_id}; exact USCC {ctx['uscc']}",
            flush=True,
        )
        report["results"] = measure_matrix(ctx, reps, "as is")
        print(f"\n  naive Paginator (full COUNT + OFFSET) vs keyset, {DB_LABEL[db]}:", flush=True)
        report["naive"] = naive_vs_keyset(ctx, max(1, min(reps, 3)))
        report["plans"] = print_plans(report["results"], db, limit=3)
        report["fixes"] = []
        previous = report["results"]
        for step, (name, apply) in enumerate(fix_steps(db) if fixes else [], start=1):
            started = time.perf_counter()
            apply()
            build_s = time.perf_counter() - started
            print(f"\n  prototype fix on {DB_LABEL[db]}: {name} ({build_s:.1f} s)", flush=True)
            after = measure_matrix(ctx, reps, f"fix {step}")
            plans = print_plans(after, db, limit=2, previous=previous)
            report["fixes"].append({"name": name, "build_s": build_s, "results": after, "plans": plans})
            previous = after
        connections.close_all()
    finally:
        out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        if keep:
            print(f"  kept: {tmp}" + (f" and database {PG_DB}" if db == "postgres" else ""), flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            if db == "postgres":
                _drop_bench_db()


# -------------------------------------------------------------------------------------- parent


def _flag(ms: float) -> str:
    return "!" if ms > TARGET_MS else " "


def print_table(
    reports: list[dict[str, Any]], rows: int, key: Callable[[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    dbs = [r["db"] for r in reports]
    by = {(r["db"], x["user"], x["case"]): x for r in reports for x in key(r)}
    order = [(x["user"], x["case"]) for x in key(reports[0])]
    head = f"{'user':14} {_pad('case', 34)}" + "".join(
        f" | {DB_LABEL[d] + ' med':>15} {'max':>8} {'rows':>7}" for d in dbs
    )
    print(head)
    print("-" * len(head))
    for user, case in order:
        line = f"{user:14} {_pad(case, 34)}"
        for d in dbs:
            x = by.get((d, user, case))
            line += (
                f" | {x['median']:14.1f}{_flag(x['median'])} {x['max']:8.1f} {x['total']:>7}"
                if x
                else f" | {'':15} {'':8} {'':7}"
            )
        print(line)
    print(
        f"(ms per request through the test Client; '!' = median over the {TARGET_MS:.0f} ms target; rows {rows:,})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5, help="timed requests per case (after one warm-up)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temp dir(s) and the PostgreSQL database"
    )
    parser.add_argument("--no-fixes", dest="fixes", action="store_false", help="skip the prototype fixes")
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_out:
        child(args.db, args.rows, args.reps, args.keep, args.fixes, args.child_out)
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    reports = []
    with tempfile.TemporaryDirectory(prefix="ssj-bench-list-out-") as out_dir:
        for db in dbs:
            out = Path(out_dir) / f"{db}.json"
            command = [sys.executable, str(Path(__file__).resolve()), "--db", db, "--rows", str(args.rows)]
            command += ["--reps", str(args.reps), "--child-out", str(out)]
            command += ["--keep"] if args.keep else []
            command += [] if args.fixes else ["--no-fixes"]
            started = time.perf_counter()
            code = subprocess.call(command, cwd=ROOT)  # nosec B603 — our own script
            print(
                f"== {DB_LABEL[db]} done in {time.perf_counter() - started:.0f} s (exit {code})\n", flush=True
            )
            if out.exists():
                report = json.loads(out.read_text(encoding="utf-8"))
                if report.get("results"):
                    reports.append(report)
    if not reports:
        raise SystemExit("no results")
    print(f"\n===== Entity list at {args.rows:,} extra entities: median / max of {args.reps} requests =====")
    for r in reports:
        load = r["load"]
        print(
            f"{DB_LABEL[r['db']]}: {r['count']:,} entities, {load['listings']:,} listings; "
            f"bulk load {load['load_s']:.1f} s ({load['entities'] / load['load_s']:,.0f}/s)"
        )
    print()
    print_table(reports, args.rows, lambda r: r["results"])
    print(
        "\nNaive Django Paginator (full COUNT(*) + OFFSET page 25,000 or the last page) vs the app's paginate()"
    )
    print("(capped COUNT + keyset after=<id at 50%>), unfiltered list, ORM only, median ms:")
    for r in reports:
        for x in r["naive"]:
            print(
                f"  {DB_LABEL[r['db']]:10} {x['user']:14} naive page {x['page']:>6}: {x['naive']:9.1f}   "
                f"keyset: {x['keyset']:7.1f}   ratio {x['ratio']:7.1f}x"
            )
    for r in reports:
        if not r.get("fixes"):
            continue
        phases = [("as is", r["results"])] + [(f["name"], f["results"]) for f in r["fixes"]]
        print(
            f"\nPrototype fixes on {DB_LABEL[r['db']]}, applied cumulatively (median ms; built in "
            + ", ".join(f"{f['build_s']:.1f} s" for f in r["fixes"])
            + "):"
        )
        for i, (name, _) in enumerate(phases):
            print(f"  [{i}] {name}")
        print(f"  {'user':14} {_pad('case', 34)}" + "".join(f" {f'[{i}]':>9}" for i in range(len(phases))))
        by_phase = [{(x["user"], x["case"]): x for x in results} for _, results in phases]
        for x in r["results"]:
            key = (x["user"], x["case"])
            cells = "".join(f" {p[key]['median']:8.1f}{_flag(p[key]['median'])}" for p in by_phase)
            print(f"  {x['user']:14} {_pad(x['case'], 34)}{cells}")
    for r in reports:
        for plan in r["plans"][:1]:
            print(
                f"\nSlowest request on {DB_LABEL[r['db']]} (as is): {plan['user']} · {plan['case']} "
                f"{plan['median']:.1f} ms; its slowest statement ({plan['slowest_sql_ms']:.1f} ms):\n"
                + "\n".join("    " + line for line in plan["plan"].splitlines())
            )
    for r in reports:
        phases = [("as is", r["results"])] + [(f["name"], f["results"]) for f in r.get("fixes", [])]
        for name, results in phases:
            slow = [x for x in results if x["median"] > TARGET_MS]
            print(
                f"{DB_LABEL[r['db']]:10} {name:58} {len(slow):2} of {len(results)} requests over "
                f"{TARGET_MS:.0f} ms"
                + (": " + "; ".join(f"{x['user']} {x['case']}" for x in slow) if slow else "")
            )


if __name__ == "__main__":
    main()
