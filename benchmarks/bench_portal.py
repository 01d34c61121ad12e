"""Load test (not a test): the public portal at 10^6 published results, on SQLite and PostgreSQL.

Claim under test (issue 7, "Quality"): the results search and a task page answer with p95 under 200 ms and
no errors at 50 concurrent clients on a 2-core machine, with 10^6 published results.

For each database the script builds a fresh database of its own (SQLite in a temp dir; PostgreSQL
`ssj_bench_portal`, dropped and recreated) in a child process: the migrations, the demo county
(`demo_load(entities=1000)`: departments, items, result codes, users), then in bulk (COPY on PostgreSQL,
executemany on SQLite; secondary indexes of the big tables dropped during the load and rebuilt after, FK
triggers off on PostgreSQL while loading) a synthetic history that references real rows all the way down:
N/10 entities, published plans 2020–2026 of six departments, their tasks with drawn draws, and per task
DrawSelection → InspectionRecord (published) → RecordPart → Result → PublishedResult, N published results
in all. One task of 2026 (the task page under test) has `--task-entities` published entities.

Then it serves the site the production way (`shuangsuiji serve`, waitress, SHUANGSUIJI_DEBUG=0, after
`collectstatic`) on 127.0.0.1 and drives it with Debian's `wrk` (one thread, 50 connections, keep-alive,
a Lua script that rotates through a fixed URL list and stops after a fixed number of responses):

    search mix  /results/?…  exact USCC, 2–4 character name fragments (some matching nothing), department /
                year / item / result-code filters, deep keyset pages (`after=`), with and without q
    task        /tasks/<pk>/ of the big task
    and, to see what the mix is made of, each search kind alone (fewer requests).

Two client models: `closed` (each of the 50 clients sends its next request as soon as the last one is
answered: the saturation throughput; latency is then mostly queueing, p50 ≈ 50 / throughput by Little's
law) and `paced` (each client waits a random think time, uniform in 0.5×–1.5× `--think-ms`, between its
requests: 50 people using the site at once; the offered load is ≈ 50 / think time). Printed per database and
URL kind: requests, throughput, p50/p95/p99/max latency, errors (socket errors, timeouts, non-200), the
CPU seconds per request of the server, of PostgreSQL's backends and of wrk itself, and `uptime`'s load
average when the run ended (other jobs may share the machine: read the figures with it).

    uv run python benchmarks/bench_portal.py                        # 10^6 rows, both databases
    uv run python benchmarks/bench_portal.py --db sqlite --rows 100000 --requests 500
    uv run python benchmarks/bench_portal.py --keep                 # keep the databases (see --reuse)
    uv run python benchmarks/bench_portal.py --reuse DIR            # measure a kept build again
    uv run python benchmarks/bench_portal.py --profile              # + the Django queries of each kind
    uv run python benchmarks/bench_portal.py --db postgres --only search --no-kinds --pg-db ssj_bench_portal_x

Requires `wrk` (`apt-get install -y wrk`). Only loopback is used; every run is bounded in requests and time.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import machine  # beside this file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_entity_list: realistic entity rows

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = os.environ.get("SSJ_BENCH_PORTAL_DB", "ssj_bench_portal")  # children inherit it
DB_LABEL = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
TARGET_P95_MS = 200.0
SEED = 20260307
CHUNK = 100_000
YEARS = range(2020, 2027)
# Departments that publish results (those with items in the demo county) and how many tasks a year each
# runs relative to the others: the market bureau and the fire brigade carry most of the load.
PUBLISHERS = {"SCJG": 6, "XFJY": 4, "YJJ": 1, "SGJ": 1, "WLJ": 1, "WJW": 1}
# result code weights (number, weight): mostly 未发现问题
CODE_WEIGHTS = {
    "joint-2025": [(1, 70), (2, 6), (3, 1), (4, 6), (5, 7), (6, 1), (7, 4), (8, 3), (9, 1), (10, 1)],
    "joint-no-pass-fail": [(1, 72), (2, 6), (3, 1), (4, 6), (5, 8), (6, 1), (7, 4), (8, 2)],
    "fire-product": [(1, 80), (2, 12), (3, 8)],
}
NO_MATCH = ("王商贸", "李记鑫", "张建国公司", "ZZZZ", "测试测试")


# ============================================================================================ building


class Loader:
    """Bulk writer of one table: COPY (PostgreSQL) or executemany (SQLite), buffered."""

    def __init__(self, db: str, raw: Any, table: str, columns: list[str]) -> None:
        self.db, self.raw, self.table, self.columns = db, raw, table, columns
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)

    def flush(self) -> None:
        if not self.rows:
            return
        cols = ", ".join(f'"{c}"' for c in self.columns)
        if self.db == "postgres":
            # Generated values never hold a tab, newline or backslash: no escaping needed.
            text = "".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n" for row in self.rows)
            with self.raw.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as copy:
                copy.write(text)
        else:
            marks = ", ".join("?" for _ in self.columns)
            self.raw.executemany(f'INSERT INTO "{self.table}" ({cols}) VALUES ({marks})', self.rows)
        self.count += len(self.rows)
        self.rows = []


def _columns(model: Any, names: list[str]) -> list[str]:
    return [model._meta.get_field(n).column for n in names]


def _secondary_indexes(db: str, cursor: Any, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's indexes that no constraint owns (those can be dropped)."""
    if db == "postgres":
        cursor.execute(
            """SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
               WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)""",
            [f'"{table}"'],
        )
    else:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
    return [(name, sql) for name, sql in cursor.fetchall()]


def _stamp(db: str, moment: datetime) -> str:
    """An aware UTC datetime as each backend stores it (SQLite: naive UTC text)."""
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return text if db == "sqlite" else text + "+00"


def bulk_build(db: str, rows: int, task_entities: int) -> dict[str, Any]:
    from bench_entity_list import ENTITY_COLUMNS, entity_rows
    from django.db import connection, transaction

    from shuangsuiji.accounts.models import Department
    from shuangsuiji.catalog.models import InspectionItem, ResultCode
    from shuangsuiji.directory.models import Entity, EntityType
    from shuangsuiji.disclosure.models import PublishedResult
    from shuangsuiji.disclosure.services import mask_person
    from shuangsuiji.draws.models import Draw, DrawSelection, Witness
    from shuangsuiji.inspections.models import InspectionRecord, RecordPart, Result
    from shuangsuiji.planning.models import Plan, Task

    rng = random.Random(SEED + rows)  # nosec B311 — deterministic bench data
    t_bool, f_bool = (1, 0) if db == "sqlite" else ("t", "f")
    departments = {d.code: d for d in Department.objects.all()}
    department_by_id = {d.pk: d for d in departments.values()}
    stations = {c: d.pk for c, d in departments.items() if c.startswith("SCJG-") and c != "SCJG-XYK"}
    items_by_dept: dict[str, list[InspectionItem]] = {}
    for item in InspectionItem.objects.select_related("department", "result_code_set").order_by("code"):
        if item.department.code in PUBLISHERS and not item.code.startswith("LH-"):
            items_by_dept.setdefault(item.department.code, []).append(item)
    codes: dict[int, dict[int, ResultCode]] = {}
    for code in ResultCode.objects.all():
        codes.setdefault(code.code_set_id, {})[code.number] = code

    started = time.perf_counter()
    timings: dict[str, float] = {}

    # ---- entities (the realistic generator of bench_entity_list; no directory listings needed here)
    n_entities = max(20_000, rows // 10)
    used = set(Entity.objects.exclude(uscc=None).values_list("uscc", flat=True))
    first_entity = (Entity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    people: list[tuple[int, str, str, str]] = []  # (pk, name, code, public representative)
    connection.ensure_connection()
    big_tables = [
        Entity._meta.db_table,
        DrawSelection._meta.db_table,
        InspectionRecord._meta.db_table,
        RecordPart._meta.db_table,
        Result._meta.db_table,
        PublishedResult._meta.db_table,
    ]
    dropped: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for table in big_tables:
            for name, sql in _secondary_indexes(db, cursor, table):
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append((name, sql))
    if db == "sqlite":
        # Parts are written before their records are (buffers fill at different rates): with the FK check
        # on, SQLite would look for orphans in the child table (index dropped) at every parent row.
        connection.connection.execute("PRAGMA foreign_keys = OFF")
    with transaction.atomic():
        raw = connection.connection.cursor() if db == "postgres" else connection.connection
        if db == "postgres":
            raw.execute("SET LOCAL synchronous_commit = off")
            # Django's FKs are deferred constraint triggers: 4·10^6 queued checks at COMMIT. The rows are
            # consistent by construction; the triggers are skipped for this transaction only.
            raw.execute("SET LOCAL session_replication_role = replica")
        else:
            raw.execute("PRAGMA cache_size = -262144")
        entity_loader = Loader(db, raw, Entity._meta.db_table, list(ENTITY_COLUMNS))
        for chunk, _listings in entity_rows(n_entities, first_entity, stations, used, sqlite=db == "sqlite"):
            entity_loader.flush()
            for row in chunk:
                entity_loader.add(row)
                pk, name, uscc, kind, representative = row[0], row[1], row[2], row[9], row[4]
                if kind == EntityType.INDIVIDUAL:
                    public = mask_person(representative)
                elif kind in (EntityType.COMPANY, EntityType.COOPERATIVE):
                    public = representative
                else:
                    public = ""
                people.append((pk, name, uscc, public))
        entity_loader.flush()
        timings["entities"] = time.perf_counter() - started

        # ---- plans, tasks, draws (a few hundred rows: the ORM)
        plan_specs: list[tuple[int, str, int]] = []  # (year, department code, tasks)
        for year in YEARS:
            for code, weight in PUBLISHERS.items():
                plan_specs.append((year, code, weight))
        total_weight = sum(w for _, _, w in plan_specs)
        avg_results = 3  # per record (1–2 items, sometimes joint)
        big_results = task_entities * 2
        per_weight = max(1, (rows - big_results) // avg_results // 1500 // total_weight)
        plans: list[Plan] = []
        for year, code, weight in plan_specs:
            plans.append(
                Plan(
                    ref=f"压测{code}{year}年第90号",
                    year=year,
                    number=90,
                    department=departments[code],
                    kind=Plan.Kind.ANNUAL,
                    title=f"{departments[code].name}{year}年度“双随机、一公开”抽查计划（压测）",
                    methods=["onsite"],
                    period_start=date(year, 3, 1),
                    period_end=date(year, 12, 20),
                    state=Plan.State.PUBLISHED if year == 2026 else Plan.State.CLOSED,
                    published_at=datetime(year, 2, 20, 2, 0, tzinfo=UTC),
                    closed_at=None if year == 2026 else datetime(year, 12, 25, 2, 0, tzinfo=UTC),
                )
            )
        Plan.objects.bulk_create(plans)
        plans = list(Plan.objects.filter(ref__startswith="压测").order_by("year", "pk"))
        # task layout: (plan, items, records); the big task first in 2026 so its rows are the newest
        layout: list[tuple[Plan, list[InspectionItem], int]] = []
        budget = rows - big_results
        scjg = items_by_dept["SCJG"]
        for plan in plans:
            code = plan.department.code
            for _ in range(PUBLISHERS[code] * per_weight):
                own = items_by_dept[code]
                if code != "SCJG" and rng.random() < 0.4:
                    chosen = [rng.choice(own), rng.choice(scjg)]  # joint with the market bureau
                else:
                    chosen = rng.sample(own, k=min(len(own), rng.choice((1, 2, 2, 3))))
                layout.append((plan, chosen, rng.randint(300, 2700)))
        total = sum(len(i) * n for _, i, n in layout)
        scale = budget / total
        layout = [(p, i, max(1, round(n * scale))) for p, i, n in layout]
        # exact total: trim or pad the last tasks
        diff = budget - sum(len(i) * n for _, i, n in layout)
        while diff != 0:
            for index in range(len(layout) - 1, -1, -1):
                p, i, n = layout[index]
                if diff > 0 and len(i) == 1:
                    layout[index] = (p, i, n + diff)
                    diff = 0
                    break
                if diff < 0 and len(i) == 1 and n + diff >= 1:
                    layout[index] = (p, i, n + diff)
                    diff = 0
                    break
            else:
                layout.append((plans[-1], [scjg[0]], diff))
                diff = 0
        big_plan = (
            plans[-1]
            if plans[-1].department.code == "SCJG"
            else next(p for p in plans if p.year == 2026 and p.department.code == "SCJG")
        )
        big = (big_plan, [scjg[0], scjg[1]], task_entities)
        layout.append(big)  # last: newest ids, the 2026 task page under test
        if max(n for _, _, n in layout) > len(people):
            raise SystemExit(f"a task has more records than the {len(people)} generated entities")

        tasks: list[Task] = []
        numbers: dict[int, int] = {}
        for plan, chosen, _n in layout:
            numbers[plan.pk] = numbers.get(plan.pk, 0) + 1
            tasks.append(
                Task(
                    plan=plan,
                    number=numbers[plan.pk],
                    ref=f"{plan.ref}-{numbers[plan.pk]}",
                    title=f"{'、'.join(i.name for i in chosen)}（{plan.year}年第{numbers[plan.pk]}批）",
                    result_code_set=chosen[0].result_code_set,
                    methods=["onsite"],
                    period_start=date(plan.year, 4, 1),
                    period_end=date(plan.year, 10, 31),
                    directory=plan.department,
                    stratification=Task.Stratification.CREDIT,
                    state=Task.State.DISPATCHED,
                )
            )
        Task.objects.bulk_create(tasks)
        tasks = list(Task.objects.filter(plan__in=plans).order_by("pk"))
        Task.items.through.objects.bulk_create(
            [
                Task.items.through(task_id=task.pk, inspectionitem_id=item.pk)
                for task, (_p, chosen, _n) in zip(tasks, layout, strict=True)
                for item in chosen
            ]
        )
        draws = []
        for task in tasks:
            digest = hashlib.sha256(f"bench-commit {task.ref}".encode()).hexdigest()
            nonce = hashlib.sha256(f"bench-nonce {task.ref}".encode()).hexdigest()
            draws.append(
                Draw(
                    task=task,
                    state=Draw.State.DRAWN,
                    commitment_json="{}",
                    commitment_sha256=digest,
                    server_nonce_hex=nonce,
                    population_file="",
                    population_size=len(people),
                    excluded_count=0,
                    committed_at=datetime(task.plan.year, 3, 20, 2, 0, tzinfo=UTC),
                    ceremony_entropy="3 1 4 1 5 9 2 6",
                    ceremony_place="会议室",
                    seed_hex=hashlib.sha256(f"bench-seed {task.ref}".encode()).hexdigest(),
                    drawn_at=datetime(task.plan.year, 3, 21, 2, 0, tzinfo=UTC),
                    dispatched_at=datetime(task.plan.year, 3, 21, 3, 0, tzinfo=UTC),
                )
            )
        Draw.objects.bulk_create(draws)
        draws = list(Draw.objects.filter(task__in=tasks).order_by("task_id"))
        Witness.objects.bulk_create(
            [
                Witness(draw=d, name="孙廉正", role=Witness.Role.INTEGRITY, organisation="纪检组")
                for d in draws
            ]
            + [Witness(draw=d, name="周企业", role=Witness.Role.ENTERPRISE) for d in draws]
        )
        timings["plans"] = time.perf_counter() - started

        # ---- the chain: selection → record → part → result → published result
        def next_id(model: Any) -> int:
            return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

        sel_id, rec_id, part_id, res_id, pub_id = (
            next_id(m) for m in (DrawSelection, InspectionRecord, RecordPart, Result, PublishedResult)
        )

        def loader(model: Any, names: str) -> Loader:
            return Loader(db, raw, model._meta.db_table, _columns(model, names.split()))

        loaders = {
            "sel": loader(
                DrawSelection,
                "id draw rank entity key stratum ticket",
            ),
            "rec": loader(
                InspectionRecord,
                "id selection task entity state inspected_from inspected_to methods signature signature_note "
                "results_due results_due_uncertain completed_at published_at created_at",
            ),
            "part": loader(
                RecordPart,
                "id record department state opinion remarks entered_at",
            ),
            "res": loader(
                Result,
                "id part item version current code finding created_at",
            ),
            "pub": loader(
                PublishedResult,
                "id record result task entity_name entity_code representative department department_name item "
                "item_name code_number code_label is_problem inspected_on year published_at corrected_at "
                "previous_label",
            ),
        }

        def flush_all() -> None:  # parents first
            for each in loaders.values():
                each.flush()

        strata = ("A", "B", "B", "B", "C", "D")
        for task, draw, (plan, chosen, n_records) in zip(tasks, draws, layout, strict=True):
            entities = rng.sample(people, n_records)
            by_dept: dict[int, list[InspectionItem]] = {}
            for item in chosen:
                by_dept.setdefault(item.department_id, []).append(item)
            weights = {
                item.pk: CODE_WEIGHTS.get(item.result_code_set.code, [(1, 1)])
                if item.result_code_set
                else [(1, 1)]
                for item in chosen
            }
            base = date(plan.year, 4, 1)
            for rank, (entity_pk, name, uscc, public) in enumerate(entities, start=1):
                day = base + timedelta(days=rng.randrange(200))
                published = datetime.combine(
                    day + timedelta(days=rng.randint(3, 20)), datetime.min.time(), tzinfo=UTC
                ) + timedelta(seconds=rng.randrange(36_000))
                stamp = _stamp(db, published)
                loaders["sel"].add(
                    (
                        sel_id,
                        draw.pk,
                        rank,
                        entity_pk,
                        uscc,
                        rng.choice(strata),
                        f"{rng.getrandbits(256):064x}",
                    )
                )
                loaders["rec"].add(
                    (
                        rec_id,
                        sel_id,
                        task.pk,
                        entity_pk,
                        "published",
                        day.isoformat(),
                        day.isoformat(),
                        '["onsite"]',
                        "signed",
                        "",
                        (day + timedelta(days=28)).isoformat(),
                        f_bool,
                        stamp,
                        stamp,
                        _stamp(db, datetime(plan.year, 3, 21, 3, 0, tzinfo=UTC)),
                    )
                )
                for department_id, dept_items in by_dept.items():
                    department = department_by_id[department_id]
                    loaders["part"].add((part_id, rec_id, department_id, "entered", "", "", stamp))
                    for item in dept_items:
                        set_id = item.result_code_set_id or chosen[0].result_code_set_id
                        table = weights[item.pk]
                        number = rng.choices([n for n, _ in table], weights=[w for _, w in table])[0]
                        code = codes[set_id].get(number) or codes[set_id][1]
                        loaders["res"].add((res_id, part_id, item.pk, 1, t_bool, code.pk, "", stamp))
                        corrected = rng.random() < 0.005
                        loaders["pub"].add(
                            (
                                pub_id,
                                rec_id,
                                res_id,
                                task.pk,
                                name,
                                uscc,
                                public,
                                department_id,
                                department.name,
                                item.pk,
                                item.name,
                                code.number,
                                code.label,
                                t_bool if code.is_problem else f_bool,
                                day.isoformat(),
                                day.year,
                                stamp,
                                _stamp(db, published + timedelta(days=30)) if corrected else None,
                                "未发现问题" if corrected else "",
                            )
                        )
                        res_id += 1
                        pub_id += 1
                    part_id += 1
                sel_id += 1
                rec_id += 1
                if len(loaders["pub"].rows) >= CHUNK:
                    flush_all()
        flush_all()
        timings["chain"] = time.perf_counter() - started
        if db == "postgres":
            for model in (Entity, DrawSelection, InspectionRecord, RecordPart, Result, PublishedResult):
                table = model._meta.db_table
                raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
                )
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute("SET maintenance_work_mem = '1GB'")
        for _name, sql in dropped:
            cursor.execute(sql)
    index_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if db == "postgres":
            # what autovacuum does after a bulk insert (statistics + visibility map for index-only scans)
            for table in big_tables:
                cursor.execute(f'VACUUM ANALYZE "{table}"')
        else:
            # The app never runs ANALYZE on SQLite: the planner works without statistics, as in production.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    post_s = time.perf_counter() - started
    connection.close()
    big_task = tasks[-1]
    return {
        "load_s": load_s,
        "index_s": index_s,
        "post_s": post_s,
        "timings": timings,
        "entities": len(people),
        "tasks": len(tasks),
        "records": rec_id,
        "indexes_rebuilt": len(dropped),
        "big_task": big_task.pk,
        "big_task_records": task_entities,
    }


# --------------------------------------------------------------------------------------- the URL mix


def build_urls(rows_hint: int) -> dict[str, list[str]]:
    """Realistic search URLs drawn from the data itself (deterministic)."""
    from django.db.models import Max, Min

    from shuangsuiji.disclosure import selectors
    from shuangsuiji.disclosure.models import PublishedResult

    rng = random.Random(SEED)  # nosec B311
    bounds = PublishedResult.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    lo, hi = bounds["lo"], bounds["hi"]

    def sample_rows(k: int) -> list[PublishedResult]:
        out: list[PublishedResult] = []
        while len(out) < k:
            row = PublishedResult.objects.filter(pk__gte=rng.randint(lo, hi)).order_by("pk").first()
            if row is not None:
                out.append(row)
        return out

    def url(**params: Any) -> str:
        return "/results/?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

    uscc = [url(q=r.entity_code) for r in sample_rows(120)]
    fragments: list[str] = []
    for r in sample_rows(120):
        name = r.entity_name
        size = rng.choice((2, 2, 3, 3, 4))
        start = rng.randrange(0, max(1, len(name) - size))
        fragments.append(name[start : start + size])
    fragments += list(NO_MATCH)
    names = [url(q=f) for f in fragments]
    departments = list(PublishedResult.objects.values_list("department_id", flat=True).distinct())
    items = list(PublishedResult.objects.values_list("item_id", flat=True).distinct())
    filters = []
    for _ in range(120):
        shape = rng.randrange(6)
        year = rng.choice(list(YEARS))
        if shape == 0:
            filters.append(url(department=rng.choice(departments), year=year))
        elif shape == 1:
            filters.append(url(year=year))
        elif shape == 2:
            filters.append(url(item=rng.choice(items)))
        elif shape == 3:
            filters.append(url(code=rng.choice((2, 4, 5, 8)), year=year))
        elif shape == 4:
            filters.append(url(department=rng.choice(departments), code=rng.choice((1, 5))))
        else:
            filters.append(url(q=rng.choice(fragments[:40]), year=year))
    deep = []
    for index in range(120):
        shape = index % 4
        if shape == 0:  # the whole list, somewhere deep
            deep.append(url(after=rng.randint(lo, hi)))
        elif shape == 1:  # a year, deep inside it
            year = rng.choice(list(YEARS)[:-1])
            in_year = PublishedResult.objects.filter(year=year).order_by("-pk").values_list("pk", flat=True)
            count = in_year.count()
            inside = in_year[rng.randrange(min(20, count - 1), min(20_000, count))]
            deep.append(url(year=year, after=inside))
        else:  # the 3rd–30th page of a name search that has that many
            fragment = rng.choice(fragments[:60])
            filters_ = selectors.ResultFilters(q=fragment)
            depth = 20 * rng.randint(2, 29)
            pks = list(
                selectors.result_search(filters_)
                .order_by("-pk")
                .values_list("pk", flat=True)[depth - 1 : depth]
            )
            deep.append(url(q=fragment, after=pks[0]) if pks else url(q=fragment, after=hi // 2))
    return {"uscc": uscc, "name": names, "filters": filters, "deep": deep}


def mix(urls: dict[str, list[str]]) -> list[str]:
    """The search mix: 30% exact USCC, 30% name fragments, 20% filters, 20% deep keyset pages."""
    rng = random.Random(SEED + 1)  # nosec B311
    out = urls["uscc"][:90] + urls["name"][:90] + urls["filters"][:60] + urls["deep"][:60]
    rng.shuffle(out)
    return out


# ======================================================================================== the child


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute("SET statement_timeout = '120s'")
        conn.execute(sql)  # type: ignore[arg-type]


def _django(db: str, data_dir: Path, debug: bool = True) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["SHUANGSUIJI_DEBUG"] = "1" if debug else "0"
    os.environ["SHUANGSUIJI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SHUANGSUIJI_LOG_LEVEL", "ERROR")
    if db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def child_build(db: str, rows: int, task_entities: int, data_dir: Path, out: Path) -> None:
    if db == "postgres":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        _pg_admin(f"CREATE DATABASE {PG_DB}")
    _django(db, data_dir)
    from django.core.management import call_command
    from django.db import connection

    from shuangsuiji.demo.county import demo_load
    from shuangsuiji.disclosure.models import PublishedResult
    from shuangsuiji.inspections.models import InspectionRecord

    print(f"== {DB_LABEL[db]}: {connection.settings_dict['NAME']}", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo_load(entities=1000)
    setup_s = time.perf_counter() - started
    print(f"  migrate + demo_load(entities=1000): {setup_s:.1f} s", flush=True)
    existing = PublishedResult.objects.count()
    report = bulk_build(db, rows - existing, task_entities)
    report["setup_s"] = setup_s
    report["published"] = PublishedResult.objects.count()
    report["records"] = InspectionRecord.objects.count()
    print(
        f"  bulk load: {report['published']:,} published results, {report['records']:,} records, "
        f"{report['entities']:,} entities, {report['tasks']} tasks in {report['load_s']:.1f} s "
        f"({', '.join(f'{k} done at {v:.0f} s' for k, v in report['timings'].items())}); "
        f"{report['indexes_rebuilt']} indexes rebuilt in {report['index_s']:.1f} s; "
        f"{'VACUUM ANALYZE' if db == 'postgres' else 'WAL checkpoint'} {report['post_s']:.1f} s",
        flush=True,
    )
    started = time.perf_counter()
    report["urls"] = build_urls(rows)
    report["urls"]["task"] = [f"/tasks/{report['big_task']}/"]
    report["urls"]["home"] = ["/"]
    print(f"  URL mix drawn from the data in {time.perf_counter() - started:.1f} s", flush=True)
    out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


def child_profile(db: str, data_dir: Path, urls: dict[str, list[str]], out: Path) -> None:
    """The Django queries of each URL kind through the test Client: time per request, the slowest
    statements, and (PostgreSQL) EXPLAIN ANALYZE of the slowest one of each kind."""
    _django(db, data_dir)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    lines: list[str] = []
    for kind in ("uscc", "name", "filters", "deep", "task", "home"):
        slowest: list[tuple[float, str, str]] = []
        totals = []
        for path in urls.get(kind, ["/"])[:12]:
            client.get(path)
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(path)
                totals.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                lines.append(f"  {kind}: HTTP {response.status_code} for {path}")
            sql_ms = sum(float(q["time"]) * 1000 for q in ctx.captured_queries)
            for q in ctx.captured_queries:
                slowest.append((float(q["time"]) * 1000, q["sql"], path))
            lines.append(
                f"  {kind:8} {totals[-1]:7.1f} ms ({len(ctx.captured_queries)} queries, {sql_ms:6.1f} ms SQL, "
                f"{len(response.content) // 1024} KiB) {path}"
            )
        slowest.sort(reverse=True)
        for ms, sql, path in slowest[:3]:
            lines.append(f"    slow {ms:7.1f} ms  {path}\n      {sql[:600]}")
        ms, sql, path = slowest[0]
        with connection.cursor() as cursor:
            if db == "postgres":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = "\n".join("      | " + " ".join(str(c) for c in row) for row in cursor.fetchall())
        lines.append(f"    plan of the slowest ({ms:.1f} ms):\n{plan}")
    text = "\n".join(lines)
    print(text, flush=True)
    out.write_text(text, encoding="utf-8")


# ======================================================================================= the parent

LUA = r"""
-- generated by benchmarks/bench_portal.py
local paths = {PATHS}
local limit = {LIMIT}
local think_ms = {THINK}
local n = #paths
local i = 0
done_count = 0
bad = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed({SEED})
end

function request()
  i = i + 1
  return wrk.format("GET", paths[((i - 1) % n) + 1])
end

function delay()
  if think_ms > 0 then
    return math.floor(think_ms * (0.5 + math.random()))
  end
  return 0
end

function response(status, headers, body)
  done_count = done_count + 1
  if status ~= 200 then bad = bad + 1 end
  if done_count == limit then
    -- wrk's main thread sleeps for -d whatever the threads do: the parent interrupts it on this line
    io.write("LIMIT REACHED\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local non200 = 0
  for _, t in ipairs(threads) do non200 = non200 + (t:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"non200":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    non200, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_lua(path: Path, urls: list[str], limit: int, think_ms: int) -> None:
    body = (
        LUA.replace("{PATHS}", "{" + ",\n".join(_lua_string(u) for u in urls) + "}")
        .replace("{LIMIT}", str(limit))
        .replace("{THINK}", str(think_ms))
        .replace("{SEED}", str(SEED))
    )
    path.write_text(body, encoding="utf-8")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pg_backends() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the benchmark database, by pid."""
    found: dict[int, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"postgres:") and f" {PG_DB} ".encode() in cmdline:
            found[int(proc.name)] = _cpu_of(int(proc.name))
    return found


class BackendSampler(threading.Thread):
    """Samples the benchmark database's backends every 0.2 s while wrk runs: a backend that Django closes
    (CONN_MAX_AGE) takes its CPU time with it, so per-pid maxima are summed instead of two snapshots."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.start_cpu = _pg_backends()
        self.last: dict[int, float] = dict(self.start_cpu)
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.2):
            self.last.update(_pg_backends())

    def total(self) -> float:
        self.halt.set()
        self.join()
        self.last.update(_pg_backends())
        return sum(cpu - self.start_cpu.get(pid, 0.0) for pid, cpu in self.last.items())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`shuangsuiji serve` with production settings, on loopback."""

    def __init__(self, db: str, data_dir: Path, threads: int, processes: int) -> None:
        self.port = _free_port()
        env = dict(os.environ)
        env.update(
            {
                "SHUANGSUIJI_DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(64),
                "ALLOWED_HOSTS": "127.0.0.1",
                "SHUANGSUIJI_SSL_REDIRECT": "0",
                "SHUANGSUIJI_HSTS_SECONDS": "0",
                "SHUANGSUIJI_DATA_DIR": str(data_dir),
                "SHUANGSUIJI_LOG_LEVEL": "ERROR",  # waitress warns of every queued task
                "DJANGO_SETTINGS_MODULE": "config.settings",
            }
        )
        if db == "postgres":
            env["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
        else:
            env.pop("DATABASE_URL", None)
        command = str(Path(sys.executable).parent / "shuangsuiji")
        subprocess.run(  # nosec B603 — our own console script
            [command, "collectstatic", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
        )
        self.log = open(data_dir / f"serve-{self.port}.log", "w", encoding="utf-8")
        self.process = subprocess.Popen(  # nosec B603
            [
                command,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--threads",
                str(threads),
                "--processes",
                str(processes),
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/", timeout=5) as response:  # nosec B310 — loopback
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the server did not start; see {self.log.name}")
            time.sleep(0.3)

    def get(self, path: str) -> tuple[int, int]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=60) as response:  # nosec B310 — loopback
                return response.status, len(response.read())
        except urllib.error.HTTPError as error:
            return error.code, 0

    def cpu(self) -> float:
        """CPU seconds of the server: its process and the worker processes it forked."""
        pids = [self.process.pid]
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == self.process.pid:
                    pids.append(int(proc.name))
        return sum(_cpu_of(pid) for pid in pids)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def run_wrk(
    server: Server,
    urls: list[str],
    *,
    requests: int,
    clients: int,
    think_ms: int,
    max_seconds: int,
    work: Path,
    db: str,
) -> dict[str, Any]:
    script = work / f"mix-{secrets.token_hex(4)}.lua"
    write_lua(script, urls, requests, think_ms)
    command = [
        "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{max_seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        server.base,
    ]
    server_cpu = server.cpu()
    sampler = BackendSampler() if db == "postgres" else None
    if sampler:
        sampler.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(  # nosec B603
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("LIMIT REACHED"):
            # SIGINT ends wrk's sleep; repeat until it lands on the main thread (the worker is exiting)
            while process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
            lines.append(process.stdout.read())
            break
    process.wait()
    done = subprocess.CompletedProcess(command, process.returncode, "".join(lines), process.stderr.read())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = server.cpu() - server_cpu
    pg_cpu = sampler.total() if sampler else 0.0
    found = re.search(r"^BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if not found:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(found.group(1))
    seconds = result["duration_us"] / 1e6
    n = max(1, result["requests"])
    result.update(
        {
            "seconds": seconds,
            "rps": result["requests"] / seconds if seconds else 0.0,
            "errors": result["connect"]
            + result["read"]
            + result["write"]
            + result["timeout"]
            + result["non200"],
            "server_cpu_ms": server_cpu / n * 1000,
            "pg_cpu_ms": pg_cpu / n * 1000,
            "wrk_cpu_ms": (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / n * 1000,
            "load": loadavg(),
            "kib": result["bytes"] / n / 1024,
        }
    )
    script.unlink()
    return result


def measure(
    db: str, data_dir: Path, urls: dict[str, list[str]], args: argparse.Namespace, work: Path
) -> list[dict[str, Any]]:
    server = Server(db, data_dir, args.server_threads, args.server_processes)
    results: list[dict[str, Any]] = []
    try:
        search = mix(urls)
        for path in search[:5] + urls["task"]:  # a smoke check that every kind answers
            status, _size = server.get(path)
            if status != 200:
                print(f"  ! {path}: HTTP {status}", flush=True)
        # the same mix with every URL made unique (an ignored parameter): no response comes from the
        # servers' page cache, as for searches nobody made in the last minute
        unique = [
            f"{path}{'&' if '?' in path else '?'}fresh={i}"
            for i, path in zip(range(args.requests), itertools.cycle(search), strict=False)
        ]
        kinds: list[tuple[str, list[str], int]] = [
            ("search mix", search, args.requests),
            ("search uncached", unique, args.requests),
            ("task page", urls["task"], args.requests),
        ]
        kinds = [k for k in kinds if args.only in ("all", k[0].split()[0])]
        if args.kinds:
            part = max(100, args.requests // 3)
            kinds += [
                ("· exact USCC", urls["uscc"], part),
                ("· name 2–4 chars", urls["name"], part),
                ("· filters", urls["filters"], part),
                ("· deep after=", urls["deep"], part),
                ("· home /", urls.get("home", ["/"]), part),
            ]
        models = [("closed", 0)] + ([("paced", args.think_ms)] if args.think_ms > 0 else [])

        def run_of(kind: str, kind_urls: list[str], tag: str) -> list[str]:
            # each run of the uncached kind gets URLs of its own (else the warm-up would fill the cache)
            return [f"{u}-{tag}" for u in kind_urls] if kind == "search uncached" else kind_urls

        for kind, kind_urls, count in kinds:
            # warm-up (not counted): templates, the OS page cache, the database's buffers
            run_wrk(
                server,
                run_of(kind, kind_urls, "warm"),
                requests=min(200, count),
                clients=10,
                think_ms=0,
                max_seconds=120,
                work=work,
                db=db,
            )
            for model, think in models:
                if kind.startswith("·") and model == "paced":
                    continue
                result = run_wrk(
                    server,
                    run_of(kind, kind_urls, model),
                    requests=count,
                    clients=args.clients,
                    think_ms=think,
                    max_seconds=args.max_seconds,
                    work=work,
                    db=db,
                )
                result.update({"db": db, "kind": kind, "model": model if not think else f"paced {think} ms"})
                results.append(result)
                print("  " + format_row(result), flush=True)
    finally:
        server.stop()
    return results


HEADER = (
    f"{'database':10} {'URL kind':17} {'clients':14} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
    f"{'p99 ms':>8} {'max ms':>8} {'errors':>6} {'KiB':>5} {'srv/req':>8} {'pg/req':>7} {'wrk/req':>7}  "
    f"{'load avg (1/5/15 min)'}"
)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_row(r: dict[str, Any]) -> str:
    flag = "!" if r["p95"] / 1000 > TARGET_P95_MS or r["errors"] else " "
    kind = r["kind"] + " " * max(0, 17 - _width(r["kind"]))
    return (
        f"{DB_LABEL[r['db']]:10} {kind} {r['model']:14} {r['requests']:8d} {r['rps']:7.1f} {r['p50'] / 1000:8.1f} "
        f"{r['p95'] / 1000:7.1f}{flag} {r['p99'] / 1000:8.1f} {r['max'] / 1000:8.1f} {r['errors']:6d} "
        f"{r['kib']:5.0f} {r['server_cpu_ms']:6.1f}ms {r['pg_cpu_ms']:5.1f}ms {r['wrk_cpu_ms']:5.2f}ms  {r['load']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=1_000_000, help="published results")
    parser.add_argument("--task-entities", type=int, default=3000, help="published entities of the task page")
    parser.add_argument("--requests", type=int, default=3000, help="responses per URL kind and client model")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--think-ms", type=int, default=2000, help="mean think time of the paced run (0: none)"
    )
    parser.add_argument("--max-seconds", type=int, default=300, help="upper bound of one wrk run")
    parser.add_argument("--server-threads", type=int, default=8, help="`shuangsuiji serve --threads`")
    parser.add_argument(
        "--server-processes",
        type=int,
        default=os.cpu_count() or 1,
        help="`shuangsuiji serve --processes` (its default: one per core)",
    )
    parser.add_argument(
        "--only", choices=("all", "search", "task"), default="all", help="main URL kinds to run"
    )
    parser.add_argument("--no-kinds", dest="kinds", action="store_false", help="skip the per-kind runs")
    parser.add_argument("--profile", action="store_true", help="also profile the Django queries per kind")
    parser.add_argument("--keep", action="store_true", help="keep the data dir(s) and PostgreSQL database")
    parser.add_argument("--pg-db", help="PostgreSQL database to (re)create, default ssj_bench_portal")
    parser.add_argument("--reuse", type=Path, help="a kept work dir: measure again without rebuilding")
    parser.add_argument("--child", choices=("build", "profile"), help=argparse.SUPPRESS)
    parser.add_argument("--child-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pg_db:
        global PG_DB
        PG_DB = os.environ["SSJ_BENCH_PORTAL_DB"] = args.pg_db
    if args.child == "build":
        child_build(args.db, args.rows, args.task_entities, args.child_dir, args.child_out)
        return
    if args.child == "profile":
        report = json.loads((args.child_dir / "build.json").read_text(encoding="utf-8"))
        child_profile(args.db, args.child_dir, report["urls"], args.child_out)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    work = args.reuse or Path(tempfile.mkdtemp(prefix="ssj-bench-portal-"))
    print(
        f"work dir {work}; machine: {os.cpu_count()} cores ({machine.speed()}); load average {loadavg()}",
        flush=True,
    )
    all_results: list[dict[str, Any]] = []
    builds: dict[str, dict[str, Any]] = {}
    try:
        for db in dbs:
            data_dir = work / db
            data_dir.mkdir(parents=True, exist_ok=True)
            build_json = data_dir / "build.json"
            if not (args.reuse and build_json.exists()):
                command = [sys.executable, str(Path(__file__).resolve()), "--child", "build", "--db", db]
                command += ["--rows", str(args.rows), "--task-entities", str(args.task_entities)]
                command += ["--child-dir", str(data_dir), "--child-out", str(build_json)]
                started = time.perf_counter()
                code = subprocess.call(command, cwd=ROOT)  # nosec B603 — our own script
                print(f"  build done in {time.perf_counter() - started:.0f} s (exit {code})", flush=True)
                if code:
                    raise SystemExit(code)
            builds[db] = json.loads(build_json.read_text(encoding="utf-8"))
            if args.profile:
                command = [sys.executable, str(Path(__file__).resolve()), "--child", "profile", "--db", db]
                command += ["--child-dir", str(data_dir), "--child-out", str(data_dir / "profile.txt")]
                subprocess.call(command, cwd=ROOT)  # nosec B603
            print(f"\n  {HEADER}", flush=True)
            all_results += measure(db, data_dir, builds[db]["urls"], args, work)
    finally:
        if not args.keep and not args.reuse:
            shutil.rmtree(work, ignore_errors=True)
            if "postgres" in dbs:
                try:
                    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
                except Exception as error:  # report, do not hide the results
                    print(f"  ! could not drop {PG_DB}: {error}", flush=True)
        elif args.keep:
            print(f"kept: {work}" + (f" and database {PG_DB}" if "postgres" in dbs else ""), flush=True)
    print(
        f"\n===== Public portal under load: {args.clients} clients, wrk -t1 on loopback, "
        f"`shuangsuiji serve --threads {args.server_threads}` (waitress, DEBUG=0) ====="
    )
    for db, b in builds.items():
        print(
            f"{DB_LABEL[db]}: {b['published']:,} published results ({b['records']:,} records, {b['entities']:,} "
            f"entities, {b['tasks']} tasks); task page: {b['big_task_records']:,} published entities; "
            f"bulk load {b['load_s']:.0f} s + indexes {b['index_s']:.0f} s"
        )
    print(HEADER)
    print("-" * _width(HEADER))
    for r in all_results:
        print(format_row(r))
    print(
        f"(latency in ms as wrk measures it; '!' = p95 over {TARGET_P95_MS:.0f} ms or errors; errors = socket "
        "errors + timeouts + non-200; srv/pg/wrk = CPU per request of the server process, of PostgreSQL's "
        "backends and of wrk; closed = no think time, paced = a think time between a client's requests)"
    )
    failed = [r for r in all_results if r["p95"] / 1000 > TARGET_P95_MS or r["errors"]]
    print(
        f"{len(failed)} of {len(all_results)} runs miss the target (p95 < {TARGET_P95_MS:.0f} ms, no errors)"
        + (
            ": " + "; ".join(f"{DB_LABEL[r['db']]} {r['kind']} {r['model']}" for r in failed)
            if failed
            else ""
        )
    )


if __name__ == "__main__":
    main()
