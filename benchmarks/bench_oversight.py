"""Scale benchmark (not a test): the oversight dashboard (统计与监督) at 10^6 results, on PostgreSQL and SQLite.

Claim under test (issue 9, "Proof"): "Dashboards stay under 1 s on 10^6 results". The dashboard is
`oversight.views.dashboard` → `oversight.statistics.dashboard(year, ids, today)`: 15 tables (progress per
department and per plan, five result distributions, problem rate by stratum, coverage, never inspected, over
inspected, joint duties, inspector fairness and pairs, draw frequency).

For each database the script builds a fresh database of its own (PostgreSQL `ssj_bench_oversight`, dropped
and recreated; SQLite in a temp dir) in a child process: the migrations, the demo county
(`demo_load(entities=1000)`: departments, items, result code sets, users), then in bulk (COPY on PostgreSQL,
executemany on SQLite; secondary indexes of the big tables dropped during the load and rebuilt after, FK
triggers off on PostgreSQL while loading) a synthetic district that references real rows all the way down:

    --entities (default 600,000) entities (bench_entity_list's generator) with their directory listings
    (SCJG for all, XFJY for fire-safety units, the other bureaus by industry), ~600 more inspectors;
    per year (2026 = --year with --results current published results, 2025 with --history × as many):
    an annual plan for each of the six publishing bureaus and five joint plans (initiator + participant),
    a few hundred tasks (stratified by credit class A/B/C/D/U, a valid ssj-draw/1 commitment each,
    `commitment_json` parseable by `draws.services.committed_strata`), team draws (pools of 20–80 inspectors
    per department, 2 seats per department and entity, a few replaced seats), DrawSelection →
    InspectionRecord → RecordPart (one per department) → Result (one per department × item; a few
    corrected: v1 not current, v2 current), follow-ups for some problems; a few entities drawn twice for
    the same item (the "over inspected" table must list them). In the dashboard year a few percent of the
    records are not published yet (some overdue).

Then, in another child process (Django set up once, production settings: DEBUG=0, after collectstatic), it
times `statistics.compute_dashboard(year, None, today)` — what the worker's refresh job computes — for the
oversight office (all departments) and for the market bureau's scope (its subtree, the biggest department),
per table, and the whole page through Django's test Client (GET /staff/oversight/?year=… signed in as
`lxb.oversight`, also with `&department=<SCJG>`) in its three cases: a fresh snapshot (what viewers get), no
snapshot yet (a big year is handed to the worker: the page says so) and a snapshot an hour old (shown, a
refresh queued): median of --runs warm runs after one warm-up; plus the peak of Python's allocations during one
(tracemalloc) and the process's max RSS. `uptime`'s load average is printed next to every figure (other jobs
may share the machine). With --explain, the slowest statements of each table are printed with EXPLAIN
(ANALYZE, BUFFERS) on PostgreSQL or EXPLAIN QUERY PLAN on SQLite.

    uv run python benchmarks/bench_oversight.py                       # 10^6 results, both databases
    uv run python benchmarks/bench_oversight.py --db postgres --explain
    uv run python benchmarks/bench_oversight.py --db sqlite --results 100000 --entities 100000
    uv run python benchmarks/bench_oversight.py --keep                # keep the databases (see --reuse)
    uv run python benchmarks/bench_oversight.py --reuse DIR           # measure a kept build again
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import resource
import secrets
import shutil
import statistics as stats
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_entity_list: realistic entity rows

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = "ssj_bench_oversight"
DB_LABEL = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
TARGET_S = 1.0
SEED = 20261201
CHUNK = 100_000
PUBLISHERS = ("SCJG", "XFJY", "YJJ", "SGJ", "WLJ", "WJW")
# Tasks per year per bureau's annual plan, and the joint plans: (initiator, participant, tasks).
ANNUAL_TASKS = {"SCJG": 100, "XFJY": 50, "YJJ": 20, "SGJ": 20, "WLJ": 20, "WJW": 20}
JOINT_PLANS = [("SCJG", "XFJY", 20), ("YJJ", "SCJG", 10), ("SGJ", "SCJG", 10), ("WLJ", "XFJY", 10)]
JOINT_PLANS += [("WJW", "SCJG", 10)]
# Extra inspectors (cert "压测<code><n>"), so that pools of 20–80 are possible.
EXTRA_INSPECTORS = {"SCJG": 120, "XFJY": 70, "YJJ": 40, "SGJ": 40, "WLJ": 40, "WJW": 40}
# Strata: label, name, rate (basis points), share of a task's population.
STRATA = [
    ("A", "信用风险低（A类）", 200, 0.50),
    ("B", "信用风险一般（B类）", 500, 0.27),
    ("C", "信用风险较高（C类）", 1000, 0.07),
    ("D", "信用风险高（D类）", 3000, 0.02),
    ("U", "未分类", 300, 0.14),
]
CODE_WEIGHTS = {
    "joint-2025": [(1, 70), (2, 6), (3, 1), (4, 6), (5, 7), (6, 1), (7, 4), (8, 3), (9, 1), (10, 1)],
    "joint-no-pass-fail": [(1, 72), (2, 6), (3, 1), (4, 6), (5, 8), (6, 1), (7, 4), (8, 2)],
    "fire-product": [(1, 80), (2, 12), (3, 8)],
}
PLANTED_OVER = 25  # entities drawn twice for one item in the dashboard year


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ============================================================================================ building


class Loader:
    """Bulk writer of one table: COPY (PostgreSQL) or executemany (SQLite), buffered."""

    def __init__(self, db: str, raw: Any, model: Any, names: str) -> None:
        self.db, self.raw, self.table = db, raw, model._meta.db_table
        self.columns = [model._meta.get_field(n).column for n in names.split()]
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= CHUNK:
            self.flush()

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


def _commitment(task_ref: str, year: int, sizes: list[int], teams: Any) -> tuple[str, str]:
    """A valid ssj-draw/1 commitment.json (canonical) for strata of these sizes, and its digest. The
    digests of the TSV files it names are of stand-ins: the benchmark never rebuilds a bundle."""
    from shuangsuiji import lottery

    strata = tuple(
        lottery.Stratum(label, name, size, rate, lottery.quota(size, rate))
        for (label, name, rate, _share), size in zip(STRATA, sizes, strict=True)
    )
    commitment = lottery.Commitment(
        task=task_ref,
        created_at=f"{year}-03-20T10:00:00+08:00",
        population_sha256=hashlib.sha256(f"population {task_ref}".encode()).hexdigest(),
        exclusions_sha256=hashlib.sha256(b"").hexdigest(),
        strata=strata,
        nonce_sha256=hashlib.sha256(f"nonce {task_ref}".encode()).hexdigest(),
        teams=teams,
    )
    data = commitment.canonical_bytes()
    lottery.parse_commitment(data)  # what committed_strata() will do: fail here, not in the dashboard
    return data.decode(), hashlib.sha256(data).hexdigest()


def _sizes_for(population: int) -> list[int]:
    return [max(1, round(population * share)) for *_rest, share in STRATA]


def _records_for(sizes: list[int]) -> int:
    from shuangsuiji import lottery

    return sum(lottery.quota(size, rate) for (_l, _n, rate, _s), size in zip(STRATA, sizes, strict=True))


def bulk_build(db: str, args: argparse.Namespace) -> dict[str, Any]:
    from bench_entity_list import ENTITY_COLUMNS, entity_rows
    from django.db import connection, transaction

    from shuangsuiji import lottery
    from shuangsuiji.accounts.models import Department
    from shuangsuiji.catalog.models import InspectionItem, ResultCode
    from shuangsuiji.demo.county import INDUSTRIES
    from shuangsuiji.directory.models import DirectoryListing, Entity, Inspector
    from shuangsuiji.draws.models import Draw, DrawSelection, TeamMember
    from shuangsuiji.inspections.models import FollowUp, InspectionRecord, RecordPart, Result
    from shuangsuiji.planning.models import Plan, Task, TaskDepartment, TaskStratum

    rng = random.Random(SEED + args.results)  # nosec B311 — deterministic bench data
    t_bool, f_bool = (1, 0) if db == "sqlite" else ("t", "f")
    departments = {d.code: d for d in Department.objects.all()}
    subtree: dict[str, list[int]] = defaultdict(list)
    for d in departments.values():
        subtree[d.code.split("-")[0]].append(d.pk)
    stations = {c: d.pk for c, d in departments.items() if c.startswith("SCJG-") and c != "SCJG-XYK"}
    items: dict[str, list[InspectionItem]] = defaultdict(list)
    for item in InspectionItem.objects.select_related("department", "result_code_set").order_by("code"):
        if item.department.code in PUBLISHERS and not item.code.startswith("LH-"):
            items[item.department.code].append(item)
    codes: dict[int, dict[int, ResultCode]] = defaultdict(dict)
    for code in ResultCode.objects.all():
        codes[code.code_set_id][code.number] = code
    regulators = {i.name: set(i.regulators) for i in INDUSTRIES}

    started = time.perf_counter()
    timings: dict[str, float] = {}
    big = [
        Entity,
        DirectoryListing,
        DrawSelection,
        TeamMember,
        InspectionRecord,
        RecordPart,
        Result,
        FollowUp,
    ]
    connection.ensure_connection()
    dropped: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in big:
            for name, sql in _secondary_indexes(db, cursor, model._meta.db_table):
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append((name, sql))
    if db == "sqlite":
        connection.connection.execute("PRAGMA foreign_keys = OFF")

    # ---- inspectors (a few hundred: the ORM)
    extra = []
    for code, count in EXTRA_INSPECTORS.items():
        units = [departments[code]] if code != "SCJG" else [departments[c] for c in stations]
        for n in range(1, count + 1):
            extra.append(
                Inspector(
                    name=f"检查员{code}{n:03d}",
                    gender="M" if n % 3 else "F",
                    department=units[n % len(units)],
                    cert_no=f"压测{code}{n:04d}",
                    years_of_service=1 + n % 25,
                )
            )
    Inspector.objects.bulk_create(extra)
    by_root: dict[str, list[tuple[int, str]]] = defaultdict(list)  # drawable (pk, cert) per bureau
    for pk, cert, department_code in Inspector.objects.filter(qualified=True, on_duty=True).values_list(
        "pk", "cert_no", "department__code"
    ):
        by_root[department_code.split("-")[0]].append((pk, cert))

    with transaction.atomic():
        raw = connection.connection.cursor() if db == "postgres" else connection.connection
        if db == "postgres":
            raw.execute("SET LOCAL synchronous_commit = off")
            # Django's FKs are deferred constraint triggers: millions of queued checks at COMMIT. The rows
            # are consistent by construction; the triggers are skipped for this transaction only.
            raw.execute("SET LOCAL session_replication_role = replica")
        else:
            raw.execute("PRAGMA cache_size = -262144")

        # ---- entities and listings
        used = set(Entity.objects.exclude(uscc=None).values_list("uscc", flat=True))
        first_entity = (Entity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        entity_loader = Loader(db, raw, Entity, " ".join(ENTITY_COLUMNS).replace("_id", ""))
        listing_loader = Loader(db, raw, DirectoryListing, "entity department listed_at")
        listed_at = _stamp(db, datetime(2024, 1, 2, 2, 0, tzinfo=UTC))
        buckets: dict[str, list[int]] = defaultdict(list)  # active entities by credit class ("U": none)
        for chunk, listings in entity_rows(
            args.entities, first_entity, stations, used, sqlite=db == "sqlite"
        ):
            for row in chunk:
                entity_loader.add(row)
                if row[11] == "active":
                    buckets[row[13] or "U"].append(row[0])
                for other in regulators.get(row[10], ()):
                    if other not in ("SCJG", "XFJY") and rng.random() < 0.7:
                        listings.append((row[0], other))
            for pk, code in listings:
                listing_loader.add((pk, departments[code].pk, listed_at))
        entity_loader.flush()
        listing_loader.flush()
        every = [pk for bucket in buckets.values() for pk in bucket]
        timings["entities"] = time.perf_counter() - started

        # ---- plans, tasks, draws (a few hundred rows: the ORM)
        years = [(args.year, args.results), (args.year - 1, int(args.results * args.history))]
        years = [(y, r) for y, r in years if r > 0]
        layout: list[dict[str, Any]] = []
        for year, budget in years:
            plans: list[tuple[Plan, list[str], int]] = []
            for code, n_tasks in ANNUAL_TASKS.items():
                plans.append(
                    (_plan(Plan, departments, code, year, 90, Plan.Kind.ANNUAL, args), [code], n_tasks)
                )
            for number, (code, partner, n_tasks) in enumerate(JOINT_PLANS, start=91):
                plan = _plan(Plan, departments, code, year, number, Plan.Kind.JOINT, args)
                plan.participants.add(departments[partner])
                plans.append((plan, [code, partner], n_tasks))
            specs = []
            for plan, codes_, n_tasks in plans:
                for number in range(1, n_tasks + 1):
                    if len(codes_) == 2:
                        chosen = [rng.choice(items[codes_[0]]), rng.choice(items[codes_[1]])]
                    elif codes_[0] == "SCJG" and rng.random() < 0.5:
                        chosen = rng.sample(items["SCJG"], 2)
                    else:
                        chosen = [rng.choice(items[codes_[0]])]
                    population = int(math.exp(rng.uniform(math.log(5_000), math.log(80_000))))
                    specs.append({"plan": plan, "number": number, "items": chosen, "population": population})
            # scale the populations so the year has `budget` results (published share estimated)
            share = 0.955 if year == args.year else 1.0
            for _ in range(4):
                total = (
                    sum(_records_for(_sizes_for(s["population"])) * len(s["items"]) for s in specs) * share
                )
                factor = budget / total
                for s in specs:
                    s["population"] = max(50, round(s["population"] * factor))
            for s in specs:
                s["year"] = year
            layout += specs
        tasks: list[Task] = []
        for s in layout:
            plan = s["plan"]
            start = date(s["year"], rng.randint(3, 9), rng.randint(1, 28))
            s["period"] = (start, min(start + timedelta(days=rng.randint(30, 90)), date(s["year"], 11, 30)))
            tasks.append(
                Task(
                    plan=plan,
                    number=s["number"],
                    ref=f"{plan.ref}-{s['number']}",
                    title=f"{'、'.join(i.name for i in s['items'])}（第{s['number']}批）",
                    result_code_set=s["items"][0].result_code_set,
                    methods=["onsite"],
                    period_start=s["period"][0],
                    period_end=s["period"][1],
                    directory=plan.department,
                    stratification=Task.Stratification.CREDIT,
                    team_draw=rng.random() < 0.9,
                    state=Task.State.DISPATCHED,
                )
            )
        Task.objects.bulk_create(tasks)
        tasks = list(Task.objects.filter(ref__in=[t.ref for t in tasks]).order_by("pk"))
        by_ref = {t.ref: t for t in tasks}
        Task.items.through.objects.bulk_create(
            [
                Task.items.through(
                    task_id=by_ref[f"{s['plan'].ref}-{s['number']}"].pk, inspectionitem_id=i.pk
                )
                for s in layout
                for i in s["items"]
            ]
        )
        strata_rows, task_departments, draws = [], [], []
        for s in layout:
            task = by_ref[f"{s['plan'].ref}-{s['number']}"]
            s["task"] = task
            s["departments"] = sorted({i.department.code for i in s["items"]})
            lead = s["plan"].department.code
            for label, name, rate, _share in STRATA:
                strata_rows.append(TaskStratum(task=task, label=label, name=name, rate_bp=rate))
            for code in s["departments"]:
                task_departments.append(
                    TaskDepartment(task=task, department=departments[code], per_object=2, lead=code == lead)
                )
            pools: dict[str, list[tuple[int, str]]] = {}
            teams = None
            pool_tsv = ""
            if task.team_draw:
                for code in s["departments"]:
                    available = by_root[code]
                    pools[code] = rng.sample(available, min(len(available), rng.randint(20, 80)))
                lines = sorted(f"{code}\t{cert}" for code, pool in pools.items() for _pk, cert in pool)
                pool_tsv = "".join(line + "\n" for line in lines)
                teams = lottery.CommittedTeams(
                    hashlib.sha256(pool_tsv.encode()).hexdigest(),
                    hashlib.sha256(b"").hexdigest(),
                    tuple(
                        lottery.Department(code, departments[code].name, 2, code == lead)
                        for code in s["departments"]
                    ),
                )
            s["pools"] = pools
            sizes = _sizes_for(s["population"])
            s["quotas"] = [
                (label, lottery.quota(size, rate))
                for (label, _n, rate, _s), size in zip(STRATA, sizes, strict=True)
            ]
            commitment_json, digest = _commitment(task.ref, s["year"], sizes, teams)
            drawn_at = datetime.combine(s["period"][0] - timedelta(days=5), datetime.min.time(), tzinfo=UTC)
            draws.append(
                Draw(
                    task=task,
                    state=Draw.State.DRAWN,
                    commitment_json=commitment_json,
                    commitment_sha256=digest,
                    server_nonce_hex=hashlib.sha256(f"nonce {task.ref}".encode()).hexdigest(),
                    population_file="",
                    population_size=sum(sizes),
                    excluded_count=0,
                    pool_tsv=pool_tsv,
                    committed_at=drawn_at - timedelta(days=1),
                    ceremony_entropy="3 1 4 1 5 9 2 6",
                    ceremony_place="会议室",
                    seed_hex=hashlib.sha256(f"seed {task.ref}".encode()).hexdigest(),
                    drawn_at=drawn_at,
                    dispatched_at=drawn_at + timedelta(hours=1),
                )
            )
        TaskStratum.objects.bulk_create(strata_rows, batch_size=2000)
        TaskDepartment.objects.bulk_create(task_departments, batch_size=2000)
        Draw.objects.bulk_create(draws, batch_size=200)
        draw_of = dict(Draw.objects.filter(task__in=tasks).values_list("task_id", "pk"))
        timings["plans"] = time.perf_counter() - started

        # ---- the chain: selection → seats; record → parts → results; follow-ups
        def next_id(model: Any) -> int:
            return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

        ids = {
            m: next_id(m) for m in (DrawSelection, TeamMember, InspectionRecord, RecordPart, Result, FollowUp)
        }
        load = {
            "sel": Loader(db, raw, DrawSelection, "id draw rank entity key stratum ticket"),
            "seat": Loader(
                db, raw, TeamMember, "id draw selection department inspector position leader drawn active"
            ),
            "rec": Loader(
                db,
                raw,
                InspectionRecord,
                "id selection task entity state inspected_from inspected_to methods signature signature_note "
                "results_due results_due_uncertain completed_at published_at created_at",
            ),
            "part": Loader(db, raw, RecordPart, "id record department state opinion remarks entered_at"),
            "res": Loader(db, raw, Result, "id part item version current code finding created_at"),
            "fu": Loader(
                db,
                raw,
                FollowUp,
                "id record result department kind state detail due due_uncertain created_at outcome receiver "
                "document_no done_at",
            ),
        }
        keys = dict(Entity.objects.filter(pk__gte=first_entity).values_list("pk", "uscc"))
        weights = {
            set_id: (
                [n for n, _ in CODE_WEIGHTS.get(c.code_set.code, [(1, 1)])],
                [w for _, w in CODE_WEIGHTS.get(c.code_set.code, [(1, 1)])],
            )
            for set_id, numbers in codes.items()
            for c in [next(iter(numbers.values()))]
        }
        today = date.fromisoformat(args.today)
        counts: dict[str, int] = defaultdict(int)
        used_items: dict[tuple[int, int], set[int]] = defaultdict(set)  # (year, item) → entities
        joint_count: dict[tuple[int, int], int] = defaultdict(int)  # (year, entity) → joint tasks
        planted: list[int] = []
        for s in layout:
            task, year = s["task"], s["year"]
            draw_id = draw_of[task.pk]
            item_ids = [i.pk for i in s["items"]]
            this_year = year == args.year
            taken: set[int] = set()
            plant = this_year and s["departments"] == ["SCJG"] and len(planted) < PLANTED_OVER
            joint = s["plan"].kind == "joint"
            chosen: list[tuple[str, int]] = []
            for label, quota_ in s["quotas"]:
                bucket = buckets[label] or every
                for _ in range(quota_):
                    if plant and len(planted) < PLANTED_OVER and used_items[(year, item_ids[0])]:
                        # drawn again for an item it was drawn for this year: over_inspected must list it
                        pk = next(iter(used_items[(year, item_ids[0])] - taken), 0)
                        if pk:
                            planted.append(pk)
                            taken.add(pk)
                            chosen.append((label, pk))
                            continue
                    for attempt in range(60):
                        pk = rng.choice(bucket if attempt < 12 else every)
                        # what the draw's exclusions do: not again for the item this year, at most two
                        # joint inspections a year (004 第十条)
                        if (
                            pk not in taken
                            and all(pk not in used_items[(year, i)] for i in item_ids)
                            and not (joint and joint_count[(year, pk)] >= 2)
                        ):
                            break
                    taken.add(pk)
                    chosen.append((label, pk))
            for i in item_ids:
                used_items[(year, i)] |= taken
            if joint:
                for pk in taken:
                    joint_count[(year, pk)] += 1
            rng.shuffle(chosen)
            start, end = s["period"]
            span = max(1, (end - start).days)
            by_department: dict[str, list[InspectionItem]] = defaultdict(list)
            for item in s["items"]:
                by_department[item.department.code].append(item)
            lead = s["plan"].department.code
            created = _stamp(db, datetime.combine(start, datetime.min.time(), tzinfo=UTC))
            for rank, (label, entity_pk) in enumerate(chosen, start=1):
                sel_id = ids[DrawSelection]
                ids[DrawSelection] += 1
                load["sel"].add(
                    (sel_id, draw_id, rank, entity_pk, keys[entity_pk], label, secrets.token_hex(32))
                )
                for code in s["departments"] if s["pools"] else ():
                    for position, (inspector_pk, _cert) in enumerate(
                        rng.sample(s["pools"][code], 2), start=1
                    ):
                        leader = t_bool if code == lead and position == 1 else f_bool
                        replaced = rng.random() < 0.002
                        load["seat"].add(
                            (
                                ids[TeamMember],
                                draw_id,
                                sel_id,
                                departments[code].pk,
                                inspector_pk,
                                position,
                                leader,
                                t_bool,
                                f_bool if replaced else t_bool,
                            )
                        )
                        ids[TeamMember] += 1
                        if replaced:
                            other = rng.choice(s["pools"][code])[0]
                            load["seat"].add(
                                (
                                    ids[TeamMember],
                                    draw_id,
                                    sel_id,
                                    departments[code].pk,
                                    other,
                                    position,
                                    leader,
                                    f_bool,
                                    t_bool,
                                )
                            )
                            ids[TeamMember] += 1
                # the record's life
                roll = rng.random()
                if not this_year or roll < 0.955:
                    state = "published"
                elif roll < 0.97:
                    state = "complete"
                else:
                    state = "open"
                inspected = start + timedelta(days=rng.randrange(span))
                has_date = state != "open" or roll < 0.985
                due = (inspected if has_date else end) + timedelta(days=28)
                published_on = inspected + timedelta(days=int(rng.triangular(2, 40, 12)))
                if state == "published" and published_on > today:
                    published_on = today - timedelta(days=rng.randint(0, 3))
                    published_on = max(published_on, inspected)
                published = (
                    _stamp(
                        db,
                        datetime.combine(published_on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=2),
                    )
                    if state == "published"
                    else None
                )
                completed = (
                    published
                    if state == "published"
                    else (
                        _stamp(db, datetime.combine(today, datetime.min.time(), tzinfo=UTC))
                        if state == "complete"
                        else None
                    )
                )
                rec_id = ids[InspectionRecord]
                ids[InspectionRecord] += 1
                counts[f"records {year}"] += 1
                counts[f"{state} records {year}"] += 1
                load["rec"].add(
                    (
                        rec_id,
                        sel_id,
                        task.pk,
                        entity_pk,
                        state,
                        inspected.isoformat() if has_date else None,
                        inspected.isoformat() if has_date else None,
                        '["onsite"]',
                        "signed" if has_date else "pending",
                        "",
                        due.isoformat(),
                        f_bool,
                        completed,
                        published,
                        created,
                    )
                )
                for code, dept_items in by_department.items():
                    part_id = ids[RecordPart]
                    ids[RecordPart] += 1
                    entered = state != "open" or rng.random() < 0.3
                    load["part"].add(
                        (
                            part_id,
                            rec_id,
                            departments[code].pk,
                            "entered" if entered else "pending",
                            "",
                            "",
                            completed if entered else None,
                        )
                    )
                    for item in dept_items:
                        set_id = item.result_code_set_id
                        numbers, w = weights[set_id]
                        code_obj = codes[set_id].get(rng.choices(numbers, weights=w)[0]) or codes[set_id][1]
                        res_id = ids[Result]
                        ids[Result] += 1
                        code_id = code_obj.pk if entered else None
                        corrected = state == "published" and rng.random() < 0.003
                        load["res"].add(
                            (
                                res_id,
                                part_id,
                                item.pk,
                                1,
                                f_bool if corrected else t_bool,
                                code_id,
                                "",
                                created,
                            )
                        )
                        if corrected:
                            res_id = ids[Result]
                            ids[Result] += 1
                            load["res"].add(
                                (res_id, part_id, item.pk, 2, t_bool, codes[set_id][1].pk, "", created)
                            )
                            code_obj = codes[set_id][1]
                        if state == "published":
                            counts[f"current published results {year}"] += 1
                        if state == "published" and code_obj.is_problem and rng.random() < 0.4:
                            open_ = rng.random() < 0.35
                            fu_due = published_on + timedelta(days=28)
                            load["fu"].add(
                                (
                                    ids[FollowUp],
                                    rec_id,
                                    res_id,
                                    departments[code].pk,
                                    "rectification",
                                    "open" if open_ else "done",
                                    "限期整改",
                                    fu_due.isoformat(),
                                    f_bool,
                                    published,
                                    "" if open_ else "已整改到位",
                                    "",
                                    "",
                                    None
                                    if open_
                                    else _stamp(
                                        db,
                                        datetime.combine(min(fu_due, today), datetime.min.time(), tzinfo=UTC),
                                    ),
                                )
                            )
                            ids[FollowUp] += 1
                            counts[f"follow-ups {year}"] += 1
        for each in load.values():
            each.flush()
        counts["seats"] = load["seat"].count
        counts["results (all versions)"] = load["res"].count
        counts["planted over-inspected"] = len(planted)
        timings["chain"] = time.perf_counter() - started
        if db == "postgres":
            for model in (Inspector, DirectoryListing, *load_models()):
                table = model._meta.db_table
                raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
                )
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, sql in dropped:
            cursor.execute(sql)
    index_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if db == "postgres":
            # what autovacuum does after a bulk insert (statistics + visibility map for index-only scans)
            cursor.execute("VACUUM ANALYZE")
        else:
            # The app never runs ANALYZE on SQLite: the planner works without statistics, as in production.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    post_s = time.perf_counter() - started
    connection.close()
    return {
        "load_s": load_s,
        "index_s": index_s,
        "post_s": post_s,
        "timings": timings,
        "entities": len(every),
        "tasks": len(tasks),
        "counts": dict(counts),
        "indexes_rebuilt": len(dropped),
    }


def load_models() -> list[Any]:
    from shuangsuiji.draws.models import DrawSelection, TeamMember
    from shuangsuiji.inspections.models import FollowUp, InspectionRecord, RecordPart, Result

    return [DrawSelection, TeamMember, InspectionRecord, RecordPart, Result, FollowUp]


def _plan(
    Plan: Any, departments: dict[str, Any], code: str, year: int, number: int, kind: str, args: Any
) -> Any:
    department = departments[code]
    current = year == args.year
    return Plan.objects.create(
        ref=f"压测{code}{year}年第{number}号",
        year=year,
        number=number,
        department=department,
        kind=kind,
        title=f"{department.name}{year}年度“双随机、一公开”{'联合' if kind == 'joint' else ''}抽查计划（压测）",
        methods=["onsite"],
        period_start=date(year, 3, 1),
        period_end=date(year, 11, 30),
        state=Plan.State.PUBLISHED if current else Plan.State.CLOSED,
        published_at=datetime(year, 2, 20, 2, 0, tzinfo=UTC),
        closed_at=None if current else datetime(year, 12, 25, 2, 0, tzinfo=UTC),
    )


# ======================================================================================== the children


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute("SET statement_timeout = '120s'")
        conn.execute(sql)  # type: ignore[arg-type]


def _django(db: str, data_dir: Path, debug: bool) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["SHUANGSUIJI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SHUANGSUIJI_LOG_LEVEL", "ERROR")
    if debug:
        os.environ["SHUANGSUIJI_DEBUG"] = "1"
    else:
        os.environ.update(
            {
                "SHUANGSUIJI_DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(64),
                "ALLOWED_HOSTS": "127.0.0.1,testserver",
                "SHUANGSUIJI_SSL_REDIRECT": "0",
                "SHUANGSUIJI_HSTS_SECONDS": "0",
            }
        )
    if db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def child_build(db: str, args: argparse.Namespace, data_dir: Path, out: Path) -> None:
    if db == "postgres":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        _pg_admin(f"CREATE DATABASE {PG_DB}")
    _django(db, data_dir, debug=True)
    from django.core.management import call_command
    from django.db import connection

    from shuangsuiji.demo.county import demo_load

    print(f"== {DB_LABEL[db]}: {connection.settings_dict['NAME']}", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo_load(entities=1000)
    setup_s = time.perf_counter() - started
    print(f"  migrate + demo_load(entities=1000): {setup_s:.1f} s", flush=True)
    report = bulk_build(db, args)
    report["setup_s"] = setup_s
    c = report["counts"]
    print(
        f"  bulk load in {report['load_s']:.0f} s ({', '.join(f'{k} done at {v:.0f} s' for k, v in report['timings'].items())}); "
        f"{report['indexes_rebuilt']} indexes rebuilt in {report['index_s']:.0f} s; "
        f"{'VACUUM ANALYZE' if db == 'postgres' else 'WAL checkpoint'} {report['post_s']:.0f} s; load avg {loadavg()}",
        flush=True,
    )
    print("  " + "; ".join(f"{k}: {v:,}" for k, v in sorted(c.items())), flush=True)
    out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


def _timed_tables(stat: Any) -> tuple[list[dict[str, Any]], Callable[[], None]]:
    """Wrap the statistics functions the dashboard calls, so one dashboard() call times each table."""
    log: list[dict[str, Any]] = []
    originals: dict[str, Any] = {}
    names = [
        "_progress_cells",
        "_result_cells",
        "progress_by_department",
        "progress_by_plan",
        "results_by",
        "problem_rate_by_stratum",
        "coverage",
        "never_inspected",
        "over_inspected",
        "joint_duties",
        "inspector_fairness",
        "draw_frequency",
    ]

    def wrap(name: str, fn: Any) -> Any:
        def timed(*a: Any, **k: Any) -> Any:
            started = time.perf_counter()
            out = fn(*a, **k)
            seconds = time.perf_counter() - started
            if name == "_progress_cells":  # shared scans several tables are summed from (in cells)
                tables = [("(parts by department × task: shared scan)", len(out[0]))]
            elif name == "_result_cells":
                tables = [("(results by code × item × …: shared scan)", len(out))]
            else:
                tables = [(t.key, len(t.rows)) for t in (out if isinstance(out, tuple) else (out,))]
            log.append({"fn": name, "seconds": seconds, "tables": tables})
            return out

        return timed

    for name in names:
        fn = getattr(stat, name, None)
        if fn is not None:
            originals[name] = fn
            setattr(stat, name, wrap(name, fn))

    def restore() -> None:
        for name, fn in originals.items():
            setattr(stat, name, fn)

    return log, restore


def _signed_in(client: Any, user: Any) -> Any:
    """conftest.sign_in: force_login, plus the second factor where the user's role needs one."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from shuangsuiji.accounts.second_factor import needs_second_factor

    client.force_login(user)
    if needs_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="bench", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def child_measure(db: str, args: argparse.Namespace, data_dir: Path, out: Path) -> None:
    _django(db, data_dir, debug=False)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.accounts.models import Department, User
    from shuangsuiji.accounts.selectors import department_subtree
    from shuangsuiji.oversight import statistics as stat

    if not (data_dir / "static" / "staticfiles.json").exists():
        call_command("collectstatic", "--noinput", verbosity=0)
    today = date.fromisoformat(args.today)
    scjg = Department.objects.get(code="SCJG")
    scopes: list[tuple[str, frozenset[int] | None, str]] = [
        ("all departments", None, ""),
        (
            "SCJG subtree",
            frozenset(department_subtree(scjg).values_list("pk", flat=True)),
            f"&department={scjg.pk}",
        ),
    ]
    from shuangsuiji.core.models import Job

    def clear() -> None:
        """No snapshot and no refresh job: the dashboard as nobody has looked at it yet."""
        stat.DashboardSnapshot.objects.all().delete()
        Job.objects.filter(kind=stat.REFRESH_KIND).delete()
        cache.clear()

    report: dict[str, Any] = {"db": db, "scopes": [], "explain": []}
    for label, ids, query in scopes:
        runs: list[list[dict[str, Any]]] = []
        totals: list[float] = []
        for run in range(args.runs + 1):  # the first is the warm-up
            log, restore = _timed_tables(stat)
            started = time.perf_counter()
            try:
                stat.compute_dashboard(args.year, ids, today)
            finally:
                restore()
            if run:
                totals.append(time.perf_counter() - started)
                runs.append(log)
        per_table: list[dict[str, Any]] = []
        for index, entry in enumerate(runs[0]):
            seconds = [r[index]["seconds"] for r in runs]
            key = "+".join(k for k, _ in entry["tables"])
            rows = "+".join(str(n) for _, n in entry["tables"])
            per_table.append(
                {"table": key, "seconds": stats.median(seconds), "rows": rows, "load": loadavg()}
            )
        # peak memory of one call (tracemalloc slows it: a separate run)
        tracemalloc.start()
        stat.compute_dashboard(args.year, ids, today)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        # query count of one call
        with CaptureQueriesContext(connection) as ctx:
            stat.compute_dashboard(args.year, ids, today)
        queries = list(ctx.captured_queries)
        # the page
        client = _signed_in(Client(), User.objects.get(username="lxb.oversight"))
        url = f"/staff/oversight/?year={args.year}{query}"
        page: list[float] = []  # a fresh snapshot: what every viewer gets
        first: list[float] = []  # no snapshot yet: a big year is handed to the worker
        stale: list[float] = []  # an old snapshot: shown, and a refresh job queued
        size = 0

        def get() -> tuple[float, Any]:
            started = time.perf_counter()
            response = client.get(url)
            seconds = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            return seconds, response

        clear()
        stat.snapshot_compute(args.year, ids, today)  # what the worker's refresh job does
        kept = list(stat.DashboardSnapshot.objects.all())
        for run in range(args.runs + 1):
            seconds, response = get()
            size = len(response.content)
            if run:
                page.append(seconds)
            stat.DashboardSnapshot.objects.update(computed_at=F("computed_at") - timedelta(hours=1))
            seconds, _ = get()
            if run:
                stale.append(seconds)
            clear()
            seconds, _ = get()
            if run:
                first.append(seconds)
            pending = Job.objects.filter(kind=stat.REFRESH_KIND, state=Job.State.QUEUED).count()
            clear()
            stat.DashboardSnapshot.objects.bulk_create(kept)
        entry = {
            "scope": label,
            "tables": per_table,
            "dashboard_s": stats.median(totals),
            "dashboard_runs": totals,
            "page_s": stats.median(page),
            "page_runs": page,
            "page_first_s": stats.median(first),
            "page_stale_s": stats.median(stale),
            "refresh_jobs_queued": pending,
            "page_kib": size / 1024,
            "peak_mib": peak / 2**20,
            "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "queries": len(queries),
            "load": loadavg(),
        }
        report["scopes"].append(entry)
        print(
            f"  {DB_LABEL[db]} {label}: dashboard() {entry['dashboard_s']:.3f} s, page {entry['page_s']:.3f} s "
            f"({entry['queries']} queries, {size // 1024} KiB); load avg {loadavg()}",
            flush=True,
        )
        if args.explain:
            slowest = sorted(queries, key=lambda q: -float(q["time"]))[: args.explain_top]
            for q in slowest:
                sql = q["sql"]
                with connection.cursor() as cursor:
                    if db == "postgres":
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    else:
                        cursor.execute("EXPLAIN QUERY PLAN " + sql)
                    plan = "\n".join("      | " + " ".join(str(c) for c in row) for row in cursor.fetchall())
                report["explain"].append(
                    {"scope": label, "ms": float(q["time"]) * 1000, "sql": sql, "plan": plan}
                )
    out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


# ========================================================================================== the parent


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def print_report(builds: dict[str, Any], measures: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\n===== Oversight dashboard, year {args.year}: median of {args.runs} warm runs =====")
    for db, b in builds.items():
        c = b["counts"]
        print(
            f"{DB_LABEL[db]}: {c.get(f'current published results {args.year}', 0):,} current published results in "
            f"{args.year} ({c.get(f'records {args.year}', 0):,} records, "
            f"{c.get(f'current published results {args.year - 1}', 0):,} results in {args.year - 1}), "
            f"{b['entities']:,} active entities, {b['tasks']} tasks, {c.get('seats', 0):,} seats; "
            f"bulk load {b['load_s']:.0f} s + indexes {b['index_s']:.0f} s"
        )
    for db, m in measures.items():
        for scope in m["scopes"]:
            print(f"\n{DB_LABEL[db]} · {scope['scope']}")
            print(f"  {'table':42} {'seconds':>8} {'rows':>10}  load avg (1/5/15 min)")
            for t in scope["tables"]:
                name = t["table"] + " " * max(0, 42 - _width(t["table"]))
                print(f"  {name} {t['seconds']:8.3f} {t['rows']:>10}  {t['load']}")
            pages = [scope["page_s"], scope["page_first_s"], scope["page_stale_s"]]
            flag = "" if max(pages) < TARGET_S else "  ! over the 1 s target"
            print(
                f"  {'compute_dashboard() (the refresh job)':42} {scope['dashboard_s']:8.3f} {scope['queries']:>7} q.  "
                f"{scope['load']}"
            )
            print(
                f"  {'GET /staff/oversight/, fresh snapshot':42} {scope['page_s']:8.3f} {scope['page_kib']:>6.0f} KiB  "
                f"{scope['load']}{flag}"
            )
            print(f"  {'  no snapshot yet (first view)':42} {scope['page_first_s']:8.3f}")
            print(
                f"  {'  snapshot an hour old (refresh queued)':42} {scope['page_stale_s']:8.3f}  "
                f"refresh jobs queued by the first view: {scope['refresh_jobs_queued']}"
            )
            print(
                f"  peak Python allocations in one dashboard() {scope['peak_mib']:.1f} MiB; "
                f"process max RSS {scope['maxrss_mib']:.0f} MiB"
            )
        if m["explain"]:
            print(f"\n{DB_LABEL[db]}: slowest statements")
            for e in m["explain"]:
                print(f"  [{e['scope']}] {e['ms']:.1f} ms  {e['sql'][:700]}")
                print(e["plan"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--results", type=int, default=1_000_000, help="current published results in --year")
    parser.add_argument("--history", type=float, default=0.5, help="results of the year before, × --results")
    parser.add_argument("--entities", type=int, default=600_000)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--today", default="2026-12-01", help="the dashboard's `today` (overdue counts)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the slowest statements")
    parser.add_argument("--explain-top", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the data dir(s) and PostgreSQL database")
    parser.add_argument("--reuse", type=Path, help="a kept work dir: measure again without rebuilding")
    parser.add_argument("--child", choices=("build", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--child-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == "build":
            os.nice(5)
            child_build(args.db, args, args.child_dir, args.child_out)
        else:
            child_measure(args.db, args, args.child_dir, args.child_out)
        return
    dbs = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    work = args.reuse or Path(tempfile.mkdtemp(prefix="ssj-bench-oversight-"))
    print(f"work dir {work}; machine: {os.cpu_count()} cores; load average {loadavg()}", flush=True)
    builds: dict[str, Any] = {}
    measures: dict[str, Any] = {}
    passthrough = [
        "--results",
        str(args.results),
        "--history",
        str(args.history),
        "--entities",
        str(args.entities),
    ]
    passthrough += ["--year", str(args.year), "--today", args.today, "--runs", str(args.runs)]
    passthrough += ["--explain-top", str(args.explain_top)] + (["--explain"] if args.explain else [])
    try:
        for db in dbs:
            data_dir = work / db
            data_dir.mkdir(parents=True, exist_ok=True)
            build_json = data_dir / "build.json"
            script = str(Path(__file__).resolve())
            if not (args.reuse and build_json.exists()):
                command = [sys.executable, script, "--child", "build", "--db", db, *passthrough]
                command += ["--child-dir", str(data_dir), "--child-out", str(build_json)]
                started = time.perf_counter()
                code = subprocess.call(command, cwd=ROOT)  # nosec B603 — our own script
                print(f"  build done in {time.perf_counter() - started:.0f} s (exit {code})", flush=True)
                if code:
                    raise SystemExit(code)
            builds[db] = json.loads(build_json.read_text(encoding="utf-8"))
            measure_json = data_dir / "measure.json"
            command = [sys.executable, script, "--child", "measure", "--db", db, *passthrough]
            command += ["--child-dir", str(data_dir), "--child-out", str(measure_json)]
            code = subprocess.call(command, cwd=ROOT)  # nosec B603
            if code:
                raise SystemExit(code)
            measures[db] = json.loads(measure_json.read_text(encoding="utf-8"))
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
    print_report(builds, measures, args)


if __name__ == "__main__":
    main()
