"""Scale benchmark (not a test): commit + draw of one task at 10^6 and 10^7 entities, against the naive way.

Requirement under test: on PostgreSQL with 10^6 and 10^7 entities (200 strata, exclusions from a 10%
inspection history), time commit + draw end to end and peak memory, beside the naive way a Django developer
would draw (per stratum `order_by('?')[:k]`). Target: at most the naive way's time, and 10^7 end to end in
under 30 s.

    uv run python benchmarks/bench_draw.py                          # 10^6 then 10^7 (the 10^7 load: ~8 min)
    uv run python benchmarks/bench_draw.py --sizes 1000000          # a few minutes
    uv run python benchmarks/bench_draw.py --sizes 1000000 --db sqlite
    uv run python benchmarks/bench_draw.py --sizes 1000000 --skip trace,diagnose --keep

Per size, a fresh database (`ssj_bench_draw`, dropped and re-created; `SSJ_BENCH_DRAW_DB` overrides the name)
and data dir; migrate; `demo_load(entities=100)` (departments, users, items); N entities COPYed in chunks
(indexes and constraints dropped during the load and re-created from their own definitions), valid USCCs,
200 `industry` values (sizes ~ 1/(r+1)^1.5 as in bench_lottery), ~97% active, jurisdiction among the SCJG
stations, an SCJG DirectoryListing each; an earlier 2026 SC-01 task whose (fake) Draw selected ~10% of all
entities (inserted directly), so that the measured task — same item, `stratification="industry"`,
`team_draw=False`, rates 2% (biggest stratum) to 100% (smallest) — excludes them as inspected-this-year;
VACUUM ANALYZE.

Each phase runs in a child process (so ru_maxrss is that phase's own), in this order:
  setup     the above;
  trace     the app's preview/draw_commit/draw_execute under tracemalloc (peak per step), rolled back — it also
            warms the caches for everything after it;
  fixed     the prototype P1–P6 (below) on the same task, timed, rolled back; ru_maxrss; then under
            tracemalloc, rolled back;
  indexed   P7: a covering index created in the bench database, the prototype again (rolled back), the
            app's own population query with the index (no code change), EXPLAIN; the index is dropped again;
  app       the measured path as the app runs it, committed: eligibility.preview (the task page),
            services.draw_commit, services.draw_execute, with light timers patched into the module attributes
            the services call through (population_pairs/exclusion_pairs streams timed per 4,096 rows,
            build_commitment, run_draw, DrawSelection bulk_create, result_json, the Entity SQL);
  naive     per stratum: count() for the quota, then list(order_by('?')[:quota]) of the eligible entities,
            then bulk_create into a scratch table shaped like DrawSelection;
  diagnose  where the time goes: the population stream alone, then with each change (cumulative), with
            digests proving each variant yields the committed population; EXPLAIN (ANALYZE, BUFFERS) of the
            app's query as its server-side cursor runs it (DECLARE) and of the changed one; the lottery alone
            from population.tsv; run_draw with 1 and 2 processes; three ways to store the selection.
Prototypes never change the app: they are functions in this file (and an index in the bench database).
The database and data dir are removed at the end unless --keep (the last size's).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = os.environ.get("SSJ_BENCH_DRAW_DB", "ssj_bench_draw")
STRATA = 200
HISTORY = 0.10
CHUNK = 100_000
SEED = 20260315
TARGET_S = 30.0
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # GB 32100-2015 (as python-stdnum)
STAMP = "2026-03-02 10:00:00+08"
ENTROPY = "4 2 6 1 5 3 3 6 1 2 4 5 6 6 2 1 3 4 5 2"


# --------------------------------------------------------------------------------------------- data


def industry_labels() -> list[str]:
    """200 industries: the demo county's 14, then sub-classes of them (e.g. 制造业（细类03）)."""
    from shuangsuiji.demo.county import INDUSTRIES

    names = [i.name for i in INDUSTRIES]
    out = list(names)
    k = 0
    while len(out) < STRATA:
        out.append(f"{names[k % len(names)]}（细类{k // len(names) + 1:02d}）")
        k += 1
    return out


def strata_plan() -> list[tuple[str, float, int]]:
    """(label, weight, rate_bp) per industry. As in bench_lottery: the r-th biggest stratum has weight
    1/(r+1)^1.5 and rate 2% + 98%·r/199, so the big strata are the low-rate ones (sample ≈ 7%)."""
    labels = industry_labels()
    random.Random(SEED).shuffle(labels)  # nosec B311 — deterministic bench data
    return [(label, 1 / (r + 1) ** 1.5, 200 + (9800 * r) // (STRATA - 1)) for r, label in enumerate(labels)]


class UsccMaker:
    """Valid 统一社会信用代码 fast: bodies `MA` + 7 base-31 characters from a bijection of the serial, the
    check digit from precomputed partial sums (the same arithmetic as stdnum.cn.uscc.calc_check_digit,
    cross-checked against it every 997th code)."""

    def __init__(self) -> None:
        def table(width: int, weights: tuple[int, ...]) -> list[tuple[str, int]]:
            out = []
            for v in range(31**width):
                digits = []
                for _ in range(width):
                    v, d = divmod(v, 31)
                    digits.append(d)
                digits.reverse()
                out.append(
                    ("".join(ALPHABET[d] for d in digits), sum(d * w for d, w in zip(digits, weights)))
                )
            return out

        self.hi = table(3, WEIGHTS[10:13])
        self.mid = table(2, WEIGHTS[13:15])
        self.lo = table(2, WEIGHTS[15:17])
        self.prefixes = [
            (p, sum(ALPHABET.index(c) * w for c, w in zip(p, WEIGHTS[:10])))
            for p in ("91410381MA", "91410307MA", "92410381MA", "92410307MA")
        ]

    def code(self, serial: int, prefix: int) -> str:
        value = (serial * 2_654_435_761 + 97_531) % 31**7  # 2654435761 is coprime with 31: a permutation
        h, rest = divmod(value, 923_521)  # 31**4
        m, lo = divmod(rest, 961)
        p, ps = self.prefixes[prefix]
        hs, hw = self.hi[h]
        ms, mw = self.mid[m]
        ls, lw = self.lo[lo]
        return f"{p}{hs}{ms}{ls}{ALPHABET[-(ps + hw + mw + lw) % 31]}"


ENTITY_COLUMNS = (
    "id", "name", "uscc", "reg_no", "legal_representative", "address", "town", "registration_authority",
    "jurisdiction_id", "entity_type", "industry", "status", "established_on", "credit_risk_class",
    "fire_safety_category", "building_category", "occupancy", "scale", "fire_facilities", "created_at",
    "updated_at",
)  # fmt: skip


def entity_chunks(
    n: int, first_id: int, stations: dict[str, int], used: set[str]
) -> Iterator[tuple[str, str]]:
    """(entity COPY text, listing COPY text) per CHUNK rows; realistic widths, cheap to make."""
    from stdnum.cn import uscc as stdnum_uscc

    from shuangsuiji.demo.county import DISTRICT, STATIONS

    rng = random.Random(SEED + n)  # nosec B311 — deterministic bench data
    maker = UsccMaker()
    plan = strata_plan()
    labels = [label for label, _, _ in plan]
    weights = [w for _, w, _ in plan]
    zihao = "鑫源华泰恒通达昌盛隆兴发宏运嘉瑞丰祥顺安康宁德福新创科信联合宇航博远天成正大银海洋东方北南中原"
    suffix = ("商贸有限公司", "科技有限公司", "餐饮店", "建材经营部", "物流有限公司", "便利店", "服务中心")
    surnames, given = (
        "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英",
    )
    people = [rng.choice(surnames) + "".join(rng.choices(given, k=rng.choice((1, 2)))) for _ in range(4096)]
    town_station = [(town, stations[code]) for code, _, towns in STATIONS for town in towns]
    names = [
        f"{rng.choice(('洛阳', '偃师', '河南'))}{''.join(rng.choices(zihao, k=rng.choice((2, 3, 4))))}{rng.choice(suffix)}"
        for _ in range(4096)
    ]
    addresses = [
        f"{DISTRICT}{rng.choice(town_station)[0]}{rng.choice(zihao)}{rng.choice('东西南北中')}路{i}号"
        for i in range(4096)
    ]
    statuses = ["active", "suspended", "deregistered", "revoked", "moved_out"]
    status_w = [970, 10, 10, 5, 5]
    credits, credit_w = ["A", "B", "C", "D", ""], [55, 27, 7, 2, 9]
    authority = "洛阳市偃师区市场监督管理局"
    listing_tail = f"\t{stations['SCJG']}\t{STAMP}\n"
    serial = 0
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        inds = rng.choices(labels, weights=weights, k=m)
        places = rng.choices(town_station, k=m)
        sts = rng.choices(statuses, weights=status_w, k=m)
        crs = rng.choices(credits, weights=credit_w, k=m)
        r12 = [rng.getrandbits(12) for _ in range(m)]
        prefixes = [rng.getrandbits(2) for _ in range(m)]
        days = [rng.randint(0, 9000) for _ in range(m)]
        rows = []
        listings = []
        for k in range(m):
            pk = first_id + start + k
            code = maker.code(serial, prefixes[k])
            serial += 1
            while code in used:
                code = maker.code(serial, prefixes[k])
                serial += 1
            if serial % 997 == 0:
                assert code[-1] == stdnum_uscc.calc_check_digit(code[:-1]), code
            town, station = places[k]
            r = r12[k]
            kind = "individual" if prefixes[k] >= 2 else "company"
            rows.append(
                f"{pk}\t{names[r]}\t{code}\t\\N\t{people[r]}\t{addresses[(r * 7) & 4095]}\t{town}\t{authority}\t"
                f"{station}\t{kind}\t{inds[k]}\t{sts[k]}\t{date.fromordinal(731000 + days[k]).isoformat()}\t"
                f"{crs[k]}\t\t\t\t\t\t{STAMP}\t{STAMP}\n"
            )
            listings.append(f"{pk}{listing_tail}")
        yield "".join(rows), "".join(listings)


def _pg_ddl(cursor: Any, tables: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(drop statements, re-create statements) for every index and constraint of `tables` but the primary
    keys and CHECKs, as PostgreSQL reports them (so the rebuilt schema is the migrated one)."""
    drops: list[str] = []
    creates: list[str] = []
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u')) ORDER BY indexname",
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for table, name, definition in constraints:
        drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _, name, _ in indexes:
        drops.append(f'DROP INDEX "{name}"')
    for _, _, definition in indexes:
        creates.append(definition)
    for table, name, definition in reversed(constraints):  # unique before foreign keys
        creates.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    return drops, creates


def bulk_load(n: int) -> dict[str, Any]:
    """COPY n entities and one SCJG DirectoryListing each, indexes dropped during the load and rebuilt."""
    from django.db import connection

    from shuangsuiji.accounts.models import Department
    from shuangsuiji.directory.models import DirectoryListing, Entity

    departments = dict(Department.objects.values_list("code", "id"))
    stations = {
        c: pk for c, pk in departments.items() if c == "SCJG" or (c.startswith("SCJG-") and c != "SCJG-XYK")
    }
    used = set(Entity.objects.exclude(uscc=None).values_list("uscc", flat=True))
    first_id = (Entity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    entity_table, listing_table = Entity._meta.db_table, DirectoryListing._meta.db_table
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("SET synchronous_commit = off")
        raw.execute("SET maintenance_work_mem = '1GB'")
        drops, creates = _pg_ddl(raw, (entity_table, listing_table))
        for sql in drops:
            raw.execute(sql)
        generate = 0.0
        mark = time.perf_counter()
        for entities, listings in entity_chunks(n, first_id, stations, used):
            generate += time.perf_counter() - mark
            with raw.copy(f"COPY {entity_table} ({', '.join(ENTITY_COLUMNS)}) FROM STDIN") as copy:
                copy.write(entities)
            with raw.copy(f"COPY {listing_table} (entity_id, department_id, listed_at) FROM STDIN") as copy:
                copy.write(listings)
            mark = time.perf_counter()
        figures["generate_s"] = generate
        figures["copy_s"] = time.perf_counter() - started - generate
        mark = time.perf_counter()
        for sql in creates:
            raw.execute(sql)
        figures["indexes_s"] = time.perf_counter() - mark
        raw.execute(
            f"SELECT setval(pg_get_serial_sequence('{entity_table}', 'id'), (SELECT max(id) FROM {entity_table}))"
        )
    figures["load_s"] = time.perf_counter() - started
    return figures


def make_tasks() -> dict[str, Any]:
    """The history (an earlier 2026 task on SC-01 whose draw selected ~10% of all entities, inserted
    directly) and the measured task (same item, industry strata, object draw only, rates 2%–100%)."""
    from django.db import connection
    from django.utils import timezone

    from shuangsuiji.accounts.models import Department, User
    from shuangsuiji.catalog.models import InspectionItem
    from shuangsuiji.draws.models import Draw, DrawSelection
    from shuangsuiji.planning import services as planning
    from shuangsuiji.planning.models import Task

    scjg = Department.objects.get(code="SCJG")
    manager, office = User.objects.get(username="scjg.manager"), User.objects.get(username="lxb.oversight")
    items = list(InspectionItem.objects.filter(code="SC-01"))
    figures: dict[str, Any] = {}

    def plan_task(title: str, start: date, end: date) -> Task:
        plan = planning.plan_create(
            actor=manager,
            department=scjg,
            year=2026,
            items=items,
            title=f"偃师区市场监管局{title}抽查计划",
            methods=["documentary", "onsite"],
            period_start=start,
            period_end=end,
        )
        planning.plan_transition(actor=manager, plan=plan, to="submitted")
        planning.plan_transition(actor=office, plan=plan, to="published")
        return planning.task_create(
            actor=manager,
            plan=plan,
            title=f"营业执照登记事项抽查（{title}）",
            items=items,
            methods=["onsite"],
            stratification="industry",
            team_draw=False,
        )

    started = time.perf_counter()
    prior = plan_task("2026年第一批", date(2026, 3, 2), date(2026, 5, 29))
    figures["task_create_s"] = time.perf_counter() - started
    draw = Draw.objects.create(
        task=prior, state=Draw.State.DRAWN, commitment_json="{}", commitment_sha256="b" * 64,
        server_nonce_hex="0" * 64, population_file="(bench history)", population_size=0, excluded_count=0,
        committed_at=timezone.now(), drawn_at=timezone.now(), seed_hex="0" * 64, result_json="{}",
    )  # fmt: skip
    Task.objects.filter(pk=prior.pk).update(state=Task.State.DRAWN)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # ~10% of all entities, a deterministic hash sample, straight into the table (no ORM, no audit).
        cursor.execute(
            f"INSERT INTO {DrawSelection._meta.db_table} (draw_id, rank, entity_id, key, stratum, ticket) "
            "SELECT %s, row_number() OVER (ORDER BY id), id, COALESCE(uscc, reg_no), industry, '' "
            "FROM directory_entity WHERE (id * 2654435761) %% 1000 < %s",
            [draw.pk, int(HISTORY * 1000)],
        )
        figures["history"] = cursor.rowcount
    figures["history_s"] = time.perf_counter() - started
    task = plan_task("2026年第二批", date(2026, 6, 1), date(2026, 9, 30))
    rates = {label: rate for label, _, rate in strata_plan()}
    labels = list(task.strata.values_list("label", flat=True))
    planning.task_set_rates(
        actor=manager, task=task, rates_bp={label: rates.get(label, 500) for label in labels}
    )
    figures.update(task=task.pk, prior_task=prior.pk, prior_draw=draw.pk, strata=len(labels))
    return figures


def sqlite_load(n: int) -> dict[str, Any]:
    """The same rows into SQLite by executemany (indexes kept), for the optional `--db sqlite` run."""
    from django.db import connection, transaction

    from shuangsuiji.accounts.models import Department
    from shuangsuiji.directory.models import Entity

    departments = dict(Department.objects.values_list("code", "id"))
    stations = {
        c: pk for c, pk in departments.items() if c == "SCJG" or (c.startswith("SCJG-") and c != "SCJG-XYK")
    }
    used = set(Entity.objects.exclude(uscc=None).values_list("uscc", flat=True))
    first_id = (Entity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    marks = ", ".join("?" for _ in ENTITY_COLUMNS)
    generate = 0.0
    started = time.perf_counter()
    with transaction.atomic():
        raw = connection.connection
        raw.execute("PRAGMA cache_size = -262144")
        mark = time.perf_counter()
        for entities, listings in entity_chunks(n, first_id, stations, used):
            rows = [
                tuple(None if v == "\\N" else v for v in line.split("\t")) for line in entities.splitlines()
            ]
            links = [line.split("\t") for line in listings.splitlines()]
            generate += time.perf_counter() - mark
            raw.executemany(
                f"INSERT INTO directory_entity ({', '.join(ENTITY_COLUMNS)}) VALUES ({marks})", rows
            )
            raw.executemany(
                "INSERT INTO directory_directorylisting (entity_id, department_id, listed_at) VALUES (?, ?, ?)",
                links,
            )
            mark = time.perf_counter()
    load_s = time.perf_counter() - started
    return {"generate_s": generate, "copy_s": load_s - generate, "indexes_s": 0.0, "load_s": load_s}


# ------------------------------------------------------------------------------------------ timers


class Clock:
    """Accumulated seconds per part of a service call, by patching the module attributes it calls through
    (`eligibility.population_pairs`, `lottery.run_draw`, ...). Streams are timed per 4,096 items, so the time
    of a stream is what its producer (database, driver, Django) took, not what its consumer did."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rows: dict[str, int] = {}
        self._undo: list[tuple[Any, str, Any]] = []

    def add(self, key: str, seconds: float) -> None:
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds

    def wrap(self, owner: Any, name: str, key: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(key, time.perf_counter() - started)

        self._undo.append((owner, name, original))
        setattr(owner, name, timed)

    def stream(self, iterable: Any, key: str) -> Iterator[Any]:
        inner = iter(iterable)
        while True:
            started = time.perf_counter()
            chunk = list(islice(inner, 4096))
            self.add(key, time.perf_counter() - started)
            if not chunk:
                return
            self.rows[key] = self.rows.get(key, 0) + len(chunk)
            yield from chunk

    def wrap_stream(self, owner: Any, name: str, key: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            return self.stream(original(*args, **kwargs), key)

        self._undo.append((owner, name, original))
        setattr(owner, name, timed)

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


class SqlLog:
    """Execution time of each SQL statement (as Django's cursor sees it: for a server-side cursor only the
    DECLARE, not the FETCHes), by a label of the caller's choosing."""

    def __init__(self) -> None:
        self.label = ""
        self.statements: list[tuple[str, float, str]] = []  # (label, seconds, the SQL's first 400 characters)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((self.label, time.perf_counter() - started, sql[:400]))

    def seconds(self, label: str, table: str = "") -> float:
        return sum(t for lab, t, sql in self.statements if lab == label and table in sql)


def rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> float:
    return os.getloadavg()[0]


class _Rollback(Exception):
    pass


# ------------------------------------------------------------------------------------ the prototype
# What the app could do instead (proposals, prototyped here; nothing in the app is changed):
#   P1 eligibility.scope(): the jurisdiction test first in the OR, as `jurisdiction_id IN (subtree)`, so the
#      correlated EXISTS on DirectoryListing is probed only for entities outside the directory's jurisdiction;
#   P2 eligibility.population_pairs(): `status NOT IN (…)` and `id NOT IN (same-item selections)` as plain
#      filters instead of `exclusion = ''` on the CASE (estimated by PostgreSQL at 0.5% of the rows);
#   P3 services.draw_commit(): no second preview(); its eligible/below-2% checks from files.commitment.strata;
#   P4 eligibility.preview(): one GROUP BY (stratum, exclusion) instead of two aggregate scans (with P1);
#   P5 services.draw_execute(): lottery.run_draw(..., processes=2) (the lottery shards a stored population.tsv);
#   P6 services.draw_execute(): the selections COPYed into a temp table and inserted with their entity ids by
#      one INSERT … SELECT … JOIN directory_entity, instead of an Entity model instance per drawn key (two
#      `__in` lists of every key) and bulk_create;
#   P7 a migration: per stratification scheme, a covering index on the population's ORDER BY expressions
#      (label COLLATE "C", COALESCE(uscc, reg_no) COLLATE "C") INCLUDE (the filtered columns): PostgreSQL then
#      streams the population in order by an index-only scan, with no sort (prototyped for "industry").
# Measured and not proposed (see the diagnosis): COPY TO STDOUT instead of the cursor, a bigger chunk_size,
# work_mem for an in-memory sort.

STATUS_REASON = {
    "deregistered": "deregistered",
    "revoked": "revoked",
    "moved_out": "moved-out",
    "suspended": "suspended",
}
INDEX_NAME = "bench_population_industry"
INDEX_DDL = (
    f"CREATE INDEX {INDEX_NAME} ON directory_entity "
    "((COALESCE(NULLIF(industry::text, ''), '未分类行业'::text) COLLATE \"C\"), (COALESCE(uscc, reg_no) COLLATE \"C\")) "
    "INCLUDE (id, status, jurisdiction_id, industry, uscc, reg_no)"
)


def fixed_scope(task: Any) -> Any:
    """eligibility.scope() with P1 (same rows: the digests are compared with the app's)."""
    from django.db.models import Exists, OuterRef, Q

    from shuangsuiji.accounts.models import Department
    from shuangsuiji.directory.models import DirectoryListing, Entity

    qs = Entity.objects.all()
    if task.scope_uses_list:
        qs = qs.filter(pk__in=task.scope_entities.values("entity_id"))
    else:
        subtree = Department.objects.filter(path__startswith=task.directory.path).values("pk")
        listed = DirectoryListing.objects.filter(entity=OuterRef("pk"), department=task.directory)
        qs = qs.filter(Q(jurisdiction_id__in=subtree) | Q(Exists(listed)))
    jurisdictions = list(task.scope_jurisdictions.values_list("pk", flat=True))
    if jurisdictions:
        qs = qs.filter(jurisdiction_id__in=jurisdictions)
    for field, values in (
        ("entity_type", task.scope_entity_types),
        ("industry", task.scope_industries),
        ("fire_safety_category", task.scope_fire_categories),
        ("credit_risk_class", task.scope_credit_classes),
    ):
        if values:
            qs = qs.filter(**{f"{field}__in": values})
    return qs


def _earlier(task: Any) -> Any:
    from shuangsuiji.draws.models import DrawSelection

    if task.plan.is_joint:
        raise NotImplementedError("the prototype covers annual plans (no joint cap)")
    return DrawSelection.objects.filter(draw__task__plan__year=task.plan.year).exclude(draw__task=task)


def _keys(task: Any) -> dict[str, Any]:
    from django.db.models import CharField
    from django.db.models.functions import Coalesce

    from shuangsuiji.planning.strata import label_expression

    return {
        "stratum": label_expression(task.stratification),
        "entity_key": Coalesce("uscc", "reg_no", output_field=CharField()),
    }


def fixed_annotated(task: Any) -> Any:
    """P1 + the app's CASE (for the preview and the exclusions, which need the reason)."""
    from django.db.models import Case, CharField, Value, When

    same_item = _earlier(task).filter(draw__task__items__in=task.items.all()).values("entity_id")
    whens = [When(status=status, then=Value(reason)) for status, reason in STATUS_REASON.items()]
    whens.append(When(pk__in=same_item, then=Value("inspected-this-year")))
    return fixed_scope(task).annotate(
        **_keys(task), exclusion=Case(*whens, default=Value(""), output_field=CharField())
    )


def fixed_population(task: Any) -> Any:
    """P1 + P2: the eligible entities as plain filters (status, NOT IN the same-item selections: a hashed
    subplan, which keeps the scan's order, so P7's index can stream it unsorted), sorted bytewise."""
    from django.db.models.functions import Collate

    same_item = _earlier(task).filter(draw__task__items__in=task.items.all()).values("entity_id")
    qs = fixed_scope(task).exclude(status__in=list(STATUS_REASON)).exclude(pk__in=same_item)
    return (
        qs.annotate(**_keys(task))
        .order_by(Collate("stratum", "C"), Collate("entity_key", "C"))
        .values_list("stratum", "entity_key")
    )


def fixed_preview(task: Any) -> Any:
    """P4: one scan, GROUP BY (stratum, exclusion), with P1."""
    from django.db.models import Count

    from shuangsuiji.draws.eligibility import EXCLUSION_REASONS, Preview
    from shuangsuiji.lottery import quota

    counts = list(
        fixed_annotated(task)
        .order_by()
        .values_list("stratum", "exclusion")
        .annotate(n=Count("pk"))
        .values_list("stratum", "exclusion", "n")
    )
    sizes = {s: n for s, e, n in counts if e == ""}
    excluded: dict[str, int] = {}
    for _, e, n in counts:
        if e:
            excluded[e] = excluded.get(e, 0) + n
    rows = []
    for s in task.strata.all():
        size = sizes.get(s.label, 0)
        rows.append(
            {
                "label": s.label,
                "name": s.name,
                "rate_bp": s.rate_bp,
                "size": size,
                "quota": quota(size, s.rate_bp),
            }
        )
    return Preview(
        rows,
        sum(r["size"] for r in rows),
        sum(r["quota"] for r in rows),
        {EXCLUSION_REASONS.get(k, k): v for k, v in sorted(excluded.items())},
    )


class CopyReader:
    """A file-like view of `COPY … TO STDOUT` (one row per message) for lottery.iter_tsv_pairs.

    COPY's text format escapes a backslash as two; keys never hold TAB/LF/CR, so a backslash is the only
    escape to expect: the prototype refuses it (a real implementation would unescape, or fall back)."""

    def __init__(self, copy: Any, clock: Clock | None = None, key: str = "") -> None:
        self._rows = iter(copy)
        self._clock, self._key = clock, key
        self.bytes = 0

    def read(self, size: int = -1) -> bytes:
        started = time.perf_counter()
        parts: list[Any] = []
        got = 0
        for row in self._rows:
            parts.append(row)
            got += len(row)
            if got >= size > 0:
                break
        data = b"".join(parts)
        if b"\\" in data:
            raise ValueError("COPY escaped a backslash; the prototype does not unescape")
        self.bytes += len(data)
        if self._clock is not None:
            self._clock.add(self._key, time.perf_counter() - started)
        return data


def fixed_commit(*, actor: Any, task: Any, clock: Clock) -> Any:
    """services.draw_commit with P1–P3 (same checks, same Draw row, same audit event)."""
    from django.core.exceptions import ValidationError
    from django.core.files.storage import default_storage
    from django.db import transaction
    from django.utils import timezone

    from shuangsuiji import lottery
    from shuangsuiji.audit.services import audit_record
    from shuangsuiji.draws.models import Draw
    from shuangsuiji.planning.models import Plan, Task

    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",)).select_related("plan", "directory").get(pk=task.pk)
        )
        if (
            task.origin != Task.Origin.DRAWN
            or task.state != Task.State.DRAFT
            or Draw.objects.filter(task=task).exists()
        ):
            raise ValidationError("not drawable")
        if task.plan.state not in (Plan.State.SUBMITTED, Plan.State.PUBLISHED):
            raise ValidationError("plan not submitted")
        assert not task.team_draw, "the prototype covers object draws"
        specs = [lottery.StratumSpec(s.label, s.name, s.rate_bp) for s in task.strata.all()]
        if not specs:
            raise ValidationError("no strata")
        started = time.perf_counter()
        exclusions = list(
            fixed_annotated(task)
            .exclude(exclusion="")
            .values_list("entity_key", "exclusion")
            .iterator(20_000)
        )
        clock.add("exclusions (P1; database + Django)", time.perf_counter() - started)
        name = f"draws/task-{task.pk}/population.tsv"
        target = Path(default_storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        created_at = timezone.localtime().isoformat(timespec="seconds")
        started = time.perf_counter()
        files = lottery.build_commitment(
            task=task.ref, created_at=created_at, strata=specs, exclusions=exclusions, teams=None,
            population=clock.stream(fixed_population(task).iterator(20_000), "population (P1, P2; database + Django)"),
            population_path=target,
        )  # fmt: skip
        clock.add("build_commitment (with the population stream)", time.perf_counter() - started)
        eligible = sum(s.size for s in files.commitment.strata)  # P3: what preview() would have said
        selected = sum(s.quota for s in files.commitment.strata)
        if eligible == 0:
            raise ValidationError("按当前范围没有可抽取的检查对象。")
        if selected * 50 < eligible and not task.low_ratio_reason.strip():
            raise ValidationError("总体抽查比例低于 2%（000），须填写理由。")
        started = time.perf_counter()
        draw = Draw.objects.create(
            task=task, commitment_json=files.commitment_json.decode(), commitment_sha256=files.sha256,
            server_nonce_hex=files.server_nonce.hex(), population_file=name, population_size=eligible,
            excluded_count=files.excluded_count, exclusions_tsv=files.exclusions_tsv.decode(),
            pool_tsv="", conflicts_tsv="", committed_by=actor, committed_at=timezone.now(),
        )  # fmt: skip
        task.state = Task.State.COMMITTED
        task.save(update_fields=["state"])
        audit_record(
            actor=actor, action="draw.commit", obj=draw, summary=f"{task.ref} 生成抽取承诺 {files.sha256}",
            detail={"task": task.ref, "commitment_sha256": files.sha256, "population": eligible,
                    "excluded": files.excluded_count},
        )  # fmt: skip
        clock.add("Draw row + audit", time.perf_counter() - started)
    return draw


def _copy_text(value: str) -> str:
    return value.replace("\\", "\\\\")


def store_selections_sql(draw_id: int, selected: Any, parts: dict[str, float] | None = None) -> int:
    """P6: COPY (rank, key, stratum, ticket) into a temp table, then one INSERT … SELECT joining the entity
    by USCC (then by registration number for entities without one); returns the rows inserted."""
    from django.db import connection

    parts = {} if parts is None else parts
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("CREATE TEMP TABLE bench_selected (rank integer, key text, stratum text, ticket text)")
        with raw.copy("COPY bench_selected FROM STDIN") as copy:
            copy.write(
                "".join(
                    f"{rank}\t{_copy_text(s.key)}\t{_copy_text(s.stratum)}\t{s.ticket.hex()}\n"
                    for rank, s in enumerate(selected, start=1)
                )
            )
        raw.execute("ANALYZE bench_selected")
        mark = time.perf_counter()
        parts["COPY into a temp table"] = mark - started
        insert = (
            "INSERT INTO draws_drawselection (draw_id, rank, entity_id, key, stratum, ticket) "
            "SELECT %s, s.rank, e.id, s.key, s.stratum, s.ticket FROM bench_selected s JOIN directory_entity e ON "
        )
        raw.execute(insert + "e.uscc = s.key", [draw_id])
        inserted = raw.rowcount
        raw.execute(
            insert + "e.reg_no = s.key AND e.uscc IS NULL WHERE NOT EXISTS "
            "(SELECT 1 FROM directory_entity u WHERE u.uscc = s.key)",
            [draw_id],
        )
        inserted += raw.rowcount
        raw.execute("DROP TABLE bench_selected")
        parts["INSERT … SELECT … JOIN directory_entity"] = time.perf_counter() - mark
        mark = time.perf_counter()
        raw.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred FK checks, which a COMMIT would run
        parts["deferred FK checks (at COMMIT)"] = time.perf_counter() - mark
    return inserted


def fixed_execute(*, actor: Any, draw: Any, ceremony_entropy: str, clock: Clock) -> Any:
    """services.draw_execute (object draw) with P5 and P6."""
    from django.core.exceptions import ValidationError
    from django.core.files.storage import default_storage
    from django.db import transaction
    from django.utils import timezone

    from shuangsuiji import lottery
    from shuangsuiji.audit.services import audit_record
    from shuangsuiji.draws.models import Draw
    from shuangsuiji.planning.models import Task

    with transaction.atomic():
        locked = Draw.objects.select_for_update(of=("self",)).select_related("task").get(pk=draw.pk)
        if locked.state != Draw.State.COMMITTED:
            raise ValidationError("already drawn")
        started = time.perf_counter()
        outcome = lottery.run_draw(
            commitment_json=locked.commitment_json.encode(), server_nonce=bytes.fromhex(locked.server_nonce_hex),
            ceremony_entropy=ceremony_entropy, population=Path(default_storage.path(locked.population_file)),
            processes=2,
        )  # fmt: skip
        clock.add("run_draw (2 processes)", time.perf_counter() - started)
        selected = outcome.objects.selected
        parts: dict[str, float] = {}
        inserted = store_selections_sql(locked.pk, selected, parts)
        if inserted != len(selected):
            raise ValidationError(f"{len(selected) - inserted} drawn keys not found")
        for name, seconds in parts.items():
            clock.add(f"store selections (P6): {name}", seconds)
        started = time.perf_counter()
        result_json = outcome.result_json().decode()
        clock.add("result_json()", time.perf_counter() - started)
        started = time.perf_counter()
        locked.state = Draw.State.DRAWN
        locked.ceremony_entropy = outcome.ceremony_entropy
        locked.seed_hex = outcome.seed.hex()
        locked.result_json = result_json
        locked.drawn_by = actor
        locked.drawn_at = timezone.now()
        locked.save()
        Task.objects.filter(pk=locked.task_id).update(state=Task.State.DRAWN)
        audit_record(
            actor=actor, action="draw.execute", obj=locked,
            summary=f"{locked.task.ref} 随机抽取完成：{len(selected)} 个检查对象",
            detail={"seed": locked.seed_hex, "selected": len(selected), "entropy": outcome.ceremony_entropy},
        )  # fmt: skip
        clock.add("Draw row + audit", time.perf_counter() - started)
    return locked


# ------------------------------------------------------------------------------------------ phases


def _task_and_actor(data_dir: Path) -> tuple[Any, Any]:
    from shuangsuiji.accounts.models import User
    from shuangsuiji.planning.models import Task

    state = json.loads((data_dir / "setup.json").read_text(encoding="utf-8"))
    task = Task.objects.select_related("plan", "directory").get(pk=state["tasks"]["task"])
    return task, User.objects.get(username="scjg.manager")


def commitment_summary(draw: Any) -> dict[str, Any]:
    c = json.loads(draw.commitment_json)
    return {
        "population_sha256": c["population_sha256"],
        "exclusions_sha256": c["exclusions_sha256"],
        "sizes": [s["size"] for s in c["strata"]],
        "population": draw.population_size,
        "excluded": draw.excluded_count,
    }


def phase_setup(db: str, n: int, data_dir: Path) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from shuangsuiji.demo.county import demo_load

    figures: dict[str, Any] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo_load(entities=100)
    figures["demo_s"] = time.perf_counter() - started
    print(f"  migrate + demo_load(entities=100): {figures['demo_s']:.1f} s", flush=True)
    figures["load"] = bulk_load(n) if db == "postgres" else sqlite_load(n)
    load = figures["load"]
    print(
        f"  loaded {n:,} entities + {n:,} SCJG listings: generate {load['generate_s']:.1f} s, "
        f"{'COPY' if db == 'postgres' else 'INSERT'} {load['copy_s']:.1f} s, indexes rebuilt {load['indexes_s']:.1f} s",
        flush=True,
    )
    figures["tasks"] = make_tasks()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if db == "postgres":
            for table in ("directory_entity", "directory_directorylisting", "draws_drawselection"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")
    figures["analyze_s"] = time.perf_counter() - started
    tasks = figures["tasks"]
    print(
        f"  history: {tasks['history']:,} selections on an earlier SC-01 task ({tasks['history_s']:.1f} s); "
        f"task_create(stratification='industry') {tasks['task_create_s']:.1f} s; {tasks['strata']} strata; "
        f"{'VACUUM ANALYZE' if db == 'postgres' else 'ANALYZE'} {figures['analyze_s']:.1f} s",
        flush=True,
    )
    return figures


def phase_trace(db: str, n: int, data_dir: Path) -> dict[str, Any]:
    """The app's path under tracemalloc (peak Python allocations per step), rolled back. Also the warm-up."""
    return _traced(data_dir, fixed=False)


def _traced(data_dir: Path, fixed: bool) -> dict[str, Any]:
    import tracemalloc

    from django.db import transaction

    from shuangsuiji.draws import eligibility, services

    task, actor = _task_and_actor(data_dir)
    figures: dict[str, Any] = {"seconds": {}, "peak_mb": {}}
    steps: list[tuple[str, Any]] = [
        ("preview", lambda _: fixed_preview(task) if fixed else eligibility.preview(task)),
        ("commit", lambda _: fixed_commit(actor=actor, task=task, clock=Clock()) if fixed
         else services.draw_commit(actor=actor, task=task)),
        ("execute", lambda draw: fixed_execute(actor=actor, draw=draw, ceremony_entropy=ENTROPY, clock=Clock())
         if fixed else services.draw_execute(actor=actor, draw=draw, ceremony_entropy=ENTROPY)),
    ]  # fmt: skip
    tracemalloc.start()
    try:
        with transaction.atomic():
            value: Any = None
            for name, step in steps:
                tracemalloc.reset_peak()
                started = time.perf_counter()
                value = step(value)
                figures["seconds"][name] = time.perf_counter() - started
                figures["peak_mb"][name] = tracemalloc.get_traced_memory()[1] / 2**20
            raise _Rollback
    except _Rollback:
        pass
    finally:
        tracemalloc.stop()
    figures["peak_mb"]["max"] = max(figures["peak_mb"].values())
    return figures


def phase_app(db: str, n: int, data_dir: Path) -> dict[str, Any]:
    """The measured path, as the app runs it: preview (the task page), draw_commit, draw_execute."""
    from django.db import connection

    import shuangsuiji.lottery.draw as lottery_draw
    from shuangsuiji import lottery
    from shuangsuiji.draws import eligibility, services
    from shuangsuiji.draws.models import DrawSelection

    task, actor = _task_and_actor(data_dir)
    figures: dict[str, Any] = {"load_before": load_average()}
    started = time.perf_counter()
    preview = eligibility.preview(task)
    figures["preview_s"] = time.perf_counter() - started
    figures["preview"] = {
        "eligible": preview.eligible,
        "selected": preview.selected,
        "excluded": preview.excluded,
    }
    commit, execute = Clock(), Clock()
    commit.wrap(eligibility, "preview", "preview() again, inside draw_commit")
    commit.wrap_stream(eligibility, "population_pairs", "population_pairs stream (database + Django)")
    commit.wrap_stream(eligibility, "exclusion_pairs", "exclusion_pairs stream (database + Django)")
    commit.wrap(lottery, "build_commitment", "build_commitment")
    log = SqlLog()
    with connection.execute_wrapper(log):
        log.label = "commit"
        started = time.perf_counter()
        try:
            draw = services.draw_commit(actor=actor, task=task)
        finally:
            commit.restore()
        figures["commit_s"] = time.perf_counter() - started
        execute.wrap(lottery, "run_draw", "run_draw (1 process)")
        execute.wrap(DrawSelection.objects, "bulk_create", "DrawSelection bulk_create")
        execute.wrap(lottery_draw.DrawOutcome, "result_json", "result_json()")
        log.label = "execute"
        started = time.perf_counter()
        try:
            draw = services.draw_execute(actor=actor, draw=draw, ceremony_entropy=ENTROPY)
        finally:
            execute.restore()
        figures["execute_s"] = time.perf_counter() - started
    figures["rss_mb"] = rss_mb()
    figures["load_after"] = load_average()
    c = commit.seconds
    build = c.pop("build_commitment")
    streams = sum(v for k, v in c.items() if "stream" in k)
    c["lottery: validate, digest, write population.tsv, exclusions TSV"] = build - streams
    c["rest: lock, Draw row (exclusions_tsv), audit, COMMIT"] = (
        figures["commit_s"] - build - c["preview() again, inside draw_commit"]
    )
    e = execute.seconds
    e["Entity lookups: SQL (uscc IN …, reg_no IN …)"] = log.seconds("execute", '"directory_entity"')
    e["rest: Entity instances, DrawSelection objects, Draw save, audit, COMMIT"] = figures["execute_s"] - sum(
        e.values()
    )
    figures["commit_parts"], figures["execute_parts"] = c, e
    figures["rows"] = commit.rows
    figures["commitment"] = commitment_summary(draw)
    figures["selected"] = DrawSelection.objects.filter(draw=draw).count()
    figures["draw"] = draw.pk
    return figures


def _prototype_pass(data_dir: Path) -> dict[str, Any]:
    """preview + commit + execute of the prototype on the measured task, in a transaction rolled back."""
    from django.db import transaction
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from shuangsuiji.draws.models import DrawSelection

    task, actor = _task_and_actor(data_dir)
    figures: dict[str, Any] = {"load_before": load_average()}
    commit, execute = Clock(), Clock()
    try:
        with transaction.atomic():
            started = time.perf_counter()
            preview = fixed_preview(task)
            figures["preview_s"] = time.perf_counter() - started
            figures["preview"] = {
                "eligible": preview.eligible,
                "selected": preview.selected,
                "excluded": preview.excluded,
            }
            started = time.perf_counter()
            draw = fixed_commit(actor=actor, task=task, clock=commit)
            figures["commit_s"] = time.perf_counter() - started
            started = time.perf_counter()
            draw = fixed_execute(actor=actor, draw=draw, ceremony_entropy=ENTROPY, clock=execute)
            figures["execute_s"] = time.perf_counter() - started
            figures["rss_mb"] = rss_mb()
            selections = DrawSelection.objects.filter(draw=draw)
            figures["selected"] = selections.count()
            figures["wrong_entity"] = (
                selections.annotate(k=Coalesce("entity__uscc", "entity__reg_no")).exclude(key=F("k")).count()
            )
            figures["commitment"] = commitment_summary(draw)
            raise _Rollback
    except _Rollback:
        pass
    c = commit.seconds
    build = c.pop("build_commitment (with the population stream)")
    c["lottery: validate, digest, write population.tsv, exclusions TSV"] = (
        build - c["population (P1, P2; database + Django)"]
    )
    figures["commit_parts"], figures["execute_parts"] = c, execute.seconds
    figures["load_after"] = load_average()
    figures["trace"] = _traced(data_dir, fixed=True)
    return figures


def phase_fixed(db: str, n: int, data_dir: Path) -> dict[str, Any]:
    """The prototype P1–P6 on the measured task, rolled back (run before the app's own, committed run)."""
    if db != "postgres":
        return {"skipped": "PostgreSQL only"}
    return _prototype_pass(data_dir)


def phase_indexed(db: str, n: int, data_dir: Path) -> dict[str, Any]:
    """P7: the covering index, then the prototype again (rolled back), the app's own population query with
    the index (no code change), the plan; then the index is dropped again before the app's run."""
    from django.db import connection

    from shuangsuiji.draws import eligibility

    if db != "postgres":
        return {"skipped": "PostgreSQL only"}
    task, _ = _task_and_actor(data_dir)
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")  # left by an interrupted run
        cursor.execute(INDEX_DDL)
        cursor.execute("VACUUM ANALYZE directory_entity")
        cursor.execute(f"SELECT pg_relation_size('{INDEX_NAME}')")
        figures["index_mb"] = cursor.fetchone()[0] / 2**20
    figures["index_s"] = time.perf_counter() - started
    print(f"  P7 index built in {figures['index_s']:.1f} s ({figures['index_mb']:.0f} MB)", flush=True)
    figures["prototype"] = _prototype_pass(data_dir)
    figures["streams"] = [
        ("as is + P7 index (no code change)", time_stream(lambda: eligibility.population_pairs(task))),
        ("P1 + P2 + P7 index (cursor)", time_stream(lambda: fixed_population(task).iterator(20_000))),
    ]
    committed = figures["prototype"]["commitment"]["population_sha256"]
    for _, result in figures["streams"]:
        result["same"] = result["sha256"] == committed
    sql, params = fixed_population(task).query.sql_with_params()
    figures["plan"] = explain(sql, params, prefix="DECLARE bench_cursor NO SCROLL CURSOR FOR ")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX_NAME}")  # the app's own run comes next, on the migrated schema
    return figures


def naive_model() -> Any:
    """A scratch table shaped like DrawSelection (no FK constraints) for the naive way's rows."""
    from django.db import models

    from shuangsuiji.directory.models import Entity

    class NaiveSelection(models.Model):
        rank = models.PositiveIntegerField()
        entity = models.ForeignKey(Entity, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
        key = models.CharField(max_length=40)
        stratum = models.CharField(max_length=60)

        class Meta:
            app_label = "draws"
            db_table = "bench_naive_selection"
            managed = False

        def __str__(self) -> str:
            return self.key

    return NaiveSelection


def phase_naive(db: str, n: int, data_dir: Path, budget_s: float = 1800.0) -> dict[str, Any]:
    """What a Django developer would write: per stratum, count it (for the quota), then
    `order_by('?')[:quota]` over the eligible entities, and store the rows (bulk_create)."""
    from django.db import connection, transaction
    from django.db.utils import OperationalError

    from shuangsuiji.draws import eligibility
    from shuangsuiji.draws.models import DrawSelection
    from shuangsuiji.lottery import quota

    task, _ = _task_and_actor(data_dir)
    model = naive_model()
    with connection.schema_editor() as editor:
        editor.create_model(model)
    history = (
        DrawSelection.objects.filter(
            draw__task__plan__year=task.plan.year, draw__task__items__in=task.items.all()
        )
        .exclude(draw__task=task)
        .values("entity_id")
    )
    figures: dict[str, Any] = {"load_before": load_average(), "count_s": 0.0, "draw_s": 0.0, "store_s": 0.0}
    slowest: list[tuple[float, str, int, int]] = []
    picked_total = 0
    rank = 0
    started = time.perf_counter()
    try:
        with transaction.atomic():
            if db == "postgres":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL statement_timeout = '{int(budget_s)}s'")
            for stratum in task.strata.all():
                qs = (
                    eligibility.scope(task)
                    .filter(industry=stratum.label, status="active")
                    .exclude(pk__in=history)
                )
                mark = time.perf_counter()
                size = qs.count()
                counted = time.perf_counter()
                picked = list(qs.order_by("?")[: quota(size, stratum.rate_bp)])
                drawn = time.perf_counter()
                rows = []
                for entity in picked:
                    rank += 1
                    rows.append(model(rank=rank, entity=entity, key=entity.draw_key, stratum=stratum.label))
                model.objects.bulk_create(rows, batch_size=2000)
                stored = time.perf_counter()
                figures["count_s"] += counted - mark
                figures["draw_s"] += drawn - counted
                figures["store_s"] += stored - drawn
                picked_total += len(picked)
                slowest.append((stored - mark, stratum.label, size, len(picked)))
                if time.perf_counter() - started > budget_s:
                    figures["timeout"] = True
                    break
    except OperationalError as error:  # statement_timeout
        figures["timeout"] = str(error).splitlines()[0]
    figures["naive_s"] = time.perf_counter() - started
    figures["rss_mb"] = rss_mb()
    figures["selected"] = picked_total
    figures["slowest"] = sorted(slowest, reverse=True)[:3]
    figures["load_after"] = load_average()
    with connection.schema_editor() as editor:
        editor.delete_model(model)
    return figures


def time_stream(make: Any, *, setup: tuple[str, ...] = ()) -> dict[str, Any]:
    """Iterate a (label, key) stream to the end inside a transaction: seconds spent producing it (the
    digest of its TSV lines, computed outside the timed part, says whether it is the committed population)."""
    from django.db import connection, transaction

    digest = hashlib.sha256()
    rows = 0
    seconds = 0.0
    with transaction.atomic():
        if setup:
            with connection.cursor() as cursor:
                for sql in setup:
                    cursor.execute(sql)
        started = time.perf_counter()
        stream = iter(make())
        seconds += time.perf_counter() - started
        while True:
            started = time.perf_counter()
            chunk = list(islice(stream, 4096))
            seconds += time.perf_counter() - started
            if not chunk:
                break
            rows += len(chunk)
            digest.update("".join(f"{a}\t{b}\n" for a, b in chunk).encode())
    return {"s": seconds, "rows": rows, "sha256": digest.hexdigest()}


def copy_pairs(queryset: Any) -> Iterator[tuple[str, str]]:
    from django.db import connection

    from shuangsuiji import lottery

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
        yield from lottery.iter_tsv_pairs(CopyReader(copy))


def explain(sql: str, params: Any, prefix: str = "") -> list[str]:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {prefix}{sql}", params)
        return [row[0] for row in cursor.fetchall()]


def captured_sql(make: Any) -> tuple[str, Any]:
    """The SQL (and parameters) of the entity query a stream would run, caught before it runs."""
    from django.db import connection, transaction

    caught: list[tuple[str, Any]] = []

    def catch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if '"directory_entity"' in sql:
            caught.append((sql, params))
            raise _Rollback
        return execute(sql, params, many, context)

    try:
        with transaction.atomic(), connection.execute_wrapper(catch):
            next(iter(make()), None)
    except _Rollback:
        pass
    return caught[0]


def scratch_draw() -> Any:
    """A throwaway task + Draw to store selections on (inside a transaction that is rolled back)."""
    from django.utils import timezone

    from shuangsuiji.draws.models import Draw
    from shuangsuiji.planning.models import Task

    task = Task.objects.order_by("-pk").first()
    assert task is not None
    task.pk = None
    task.number, task.ref = 999, f"bench-scratch-{time.time_ns()}"
    task.save()
    return Draw.objects.create(
        task=task, commitment_json="{}", commitment_sha256=hashlib.sha256(task.ref.encode()).hexdigest(),
        server_nonce_hex="0" * 64, population_file="-", population_size=0, excluded_count=0,
        committed_at=timezone.now(),
    )  # fmt: skip


def store_selections_app(draw: Any, selected: Any, parts: dict[str, float]) -> int:
    """What draw_execute does with the drawn keys (then the deferred FK checks a COMMIT would run)."""
    from django.db import connection

    from shuangsuiji.directory.models import Entity
    from shuangsuiji.draws.models import DrawSelection

    started = time.perf_counter()
    keys = [s.key for s in selected]
    entities = {e.draw_key: e for e in Entity.objects.filter(uscc__in=keys)}
    entities.update({e.draw_key: e for e in Entity.objects.filter(reg_no__in=keys)})
    mark = time.perf_counter()
    parts["Entity.objects.filter(uscc__in=keys) + reg_no: SQL + model instances"] = mark - started
    objects = [
        DrawSelection(
            draw=draw, rank=rank, entity=entities[s.key], key=s.key, stratum=s.stratum, ticket=s.ticket.hex()
        )
        for rank, s in enumerate(selected, start=1)
    ]
    parts["DrawSelection(...) objects"] = time.perf_counter() - mark
    mark = time.perf_counter()
    DrawSelection.objects.bulk_create(objects, batch_size=2000)
    parts["bulk_create(batch_size=2000)"] = time.perf_counter() - mark
    if connection.vendor == "postgresql":
        mark = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        parts["deferred FK checks (at COMMIT)"] = time.perf_counter() - mark
    return len(objects)


def store_selections_ids(draw: Any, selected: Any, parts: dict[str, float]) -> int:
    """A smaller step: ids only (values_list), then the same bulk_create."""
    from django.db import connection

    from shuangsuiji.directory.models import Entity
    from shuangsuiji.draws.models import DrawSelection

    started = time.perf_counter()
    keys = [s.key for s in selected]
    ids = dict(Entity.objects.filter(uscc__in=keys).values_list("uscc", "pk"))
    ids.update(Entity.objects.filter(reg_no__in=keys, uscc=None).values_list("reg_no", "pk"))
    mark = time.perf_counter()
    parts["values_list('uscc', 'pk') for the keys"] = mark - started
    DrawSelection.objects.bulk_create(
        [
            DrawSelection(
                draw=draw, rank=r, entity_id=ids[s.key], key=s.key, stratum=s.stratum, ticket=s.ticket.hex()
            )
            for r, s in enumerate(selected, start=1)
        ],
        batch_size=2000,
    )
    parts["DrawSelection objects + bulk_create"] = time.perf_counter() - mark
    if connection.vendor == "postgresql":
        mark = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        parts["deferred FK checks (at COMMIT)"] = time.perf_counter() - mark
    return len(selected)


def phase_diagnose(db: str, n: int, data_dir: Path) -> dict[str, Any]:
    """Where the time goes, step by step, and the prototype's changes one at a time (cumulative)."""
    from django.db import transaction
    from django.db.models.functions import Collate

    from shuangsuiji import lottery
    from shuangsuiji.draws import eligibility
    from shuangsuiji.draws.models import Draw, DrawSelection
    from shuangsuiji.draws.services import population_path

    task, _ = _task_and_actor(data_dir)
    draw = Draw.objects.get(task=task)
    committed = commitment_summary(draw)
    figures: dict[str, Any] = {"load_before": load_average()}

    def step(name: str, result: dict[str, Any]) -> None:
        result["same"] = result.get("sha256") == committed["population_sha256"]
        figures.setdefault("streams", []).append((name, result))
        print(
            f"    {name:62} {result['s']:8.2f} s  {result['rows']:>10,} rows  same population: {result['same']}",
            flush=True,
        )

    print("  the population stream alone (everything else off), cumulative changes:", flush=True)
    step(
        "as is: population_pairs(), server-side cursor, chunk_size=20000",
        time_stream(lambda: eligibility.population_pairs(task)),
    )
    if db == "postgres":
        step("chunk_size=100000", time_stream(lambda: eligibility.population_pairs(task, chunk_size=100_000)))
        p1 = (
            fixed_annotated(task).filter(exclusion="").order_by(Collate("stratum", "C"), Collate("entity_key", "C"))
            .values_list("stratum", "entity_key")
        )  # fmt: skip
        step("+ P1 jurisdiction test first in the OR", time_stream(lambda: p1.iterator(chunk_size=20_000)))
        step(
            "+ P2 status/NOT IN filters instead of CASE = ''",
            time_stream(lambda: fixed_population(task).iterator(chunk_size=20_000)),
        )
        step(
            "  P1+P2 by COPY TO STDOUT instead of the cursor",
            time_stream(lambda: copy_pairs(fixed_population(task))),
        )
        step(
            "  P1+P2, work_mem = 512MB (in-memory quicksort)",
            time_stream(
                lambda: fixed_population(task).iterator(20_000), setup=("SET LOCAL work_mem = '512MB'",)
            ),
        )
        step(
            "  P1+P2 without ORDER BY (not usable: what the sort costs)",
            time_stream(lambda: fixed_population(task).order_by().iterator(20_000)),
        )
        started = time.perf_counter()
        sql, params = captured_sql(lambda: eligibility.population_pairs(task))
        figures["app_sql"] = sql
        figures["app_plan"] = explain(sql, params, prefix="DECLARE bench_cursor NO SCROLL CURSOR FOR ")
        sql, params = fixed_population(task).query.sql_with_params()
        figures["fixed_sql"] = sql
        figures["fixed_plan"] = explain(sql, params, prefix="DECLARE bench_cursor NO SCROLL CURSOR FOR ")
        figures["explain_s"] = time.perf_counter() - started
    exclusions = time_stream(lambda: ((k, r) for k, r in eligibility.exclusion_pairs(task)))
    figures["exclusion_pairs"] = exclusions
    print(f"    exclusion_pairs() alone: {exclusions['s']:.2f} s, {exclusions['rows']:,} rows", flush=True)
    if db == "postgres":
        figures["fixed_exclusions_s"] = time_stream(
            lambda: (
                fixed_annotated(task)
                .exclude(exclusion="")
                .values_list("entity_key", "exclusion")
                .iterator(20_000)
            )
        )["s"]
    # The lottery alone, from the stored population.tsv (no database): validation + digest + writing.
    path = population_path(draw)
    specs = [lottery.StratumSpec(s.label, s.name, s.rate_bp) for s in task.strata.all()]
    excluded = lottery.parse_tsv(draw.exclusions_tsv.encode(), file="exclusions.tsv")
    lot: dict[str, float] = {}
    started = time.perf_counter()
    rows = sum(1 for _ in lottery.iter_tsv_pairs(path))
    lot["iter_tsv_pairs(population.tsv) alone"] = time.perf_counter() - started
    with tempfile.NamedTemporaryFile(dir=data_dir) as out:
        started = time.perf_counter()
        files = lottery.build_commitment(
            task=task.ref, created_at="2026-06-01T09:00:00+08:00", population=lottery.iter_tsv_pairs(path),
            strata=specs, exclusions=excluded, population_path=out.name,
        )  # fmt: skip
        lot["build_commitment from population.tsv (validate, digest, write)"] = time.perf_counter() - started
    assert files.commitment.population_sha256 == committed["population_sha256"]
    outcomes = {}
    for processes in (1, 2):
        started = time.perf_counter()
        outcomes[processes] = lottery.run_draw(
            commitment_json=draw.commitment_json.encode(), server_nonce=bytes.fromhex(draw.server_nonce_hex),
            ceremony_entropy=ENTROPY, population=path, processes=processes,
        )  # fmt: skip
        lot[f"run_draw(processes={processes})"] = time.perf_counter() - started
    stored = list(DrawSelection.objects.filter(draw=draw).order_by("rank").values_list("key", flat=True))
    same = (
        [s.key for s in outcomes[2].objects.selected]
        == stored
        == [s.key for s in outcomes[1].objects.selected]
    )
    started = time.perf_counter()
    outcomes[1].result_json()
    lot["result_json() (canonical JSON of the selection)"] = time.perf_counter() - started
    figures["lottery"] = lot
    figures["lottery_rows"] = rows
    figures["run_draw_same"] = same
    for name, seconds in lot.items():
        print(f"    {name:62} {seconds:8.2f} s", flush=True)
    print(f"    run_draw with 2 processes selects what the app stored: {same}", flush=True)
    # Storing the selection: the app's way, ids only, and F7 (each rolled back).
    selected = outcomes[1].objects.selected
    figures["store"] = {}
    ways = [("as is", store_selections_app), ("ids only (values_list)", store_selections_ids)]
    if db == "postgres":
        ways.append(("P6 COPY + INSERT … JOIN", lambda d, s, parts: store_selections_sql(d.pk, s, parts)))
    for name, way in ways:
        parts: dict[str, float] = {}
        try:
            with transaction.atomic():
                scratch = scratch_draw()
                started = time.perf_counter()
                stored_rows = way(scratch, selected, parts)
                parts["total"] = time.perf_counter() - started
                assert stored_rows == len(selected)
                raise _Rollback
        except _Rollback:
            pass
        figures["store"][name] = parts
        print(
            f"    store {len(selected):,} selections, {name:24} {parts['total']:8.2f} s  {parts}", flush=True
        )
    started = time.perf_counter()
    eligibility.preview(task)
    figures["preview_app_s"] = time.perf_counter() - started
    if db == "postgres":
        started = time.perf_counter()
        fixed_preview(task)
        figures["preview_fixed_s"] = time.perf_counter() - started
    figures["load_after"] = load_average()
    return figures


# ------------------------------------------------------------------------------------------ process

PHASES = {
    "setup": phase_setup,
    "trace": phase_trace,
    "fixed": phase_fixed,
    "indexed": phase_indexed,
    "app": phase_app,
    "naive": phase_naive,
    "diagnose": phase_diagnose,
}
PHASE_TITLES = {
    "setup": "database, demo county, entities, history, tasks",
    "trace": "the app's path under tracemalloc (rolled back; also warms the caches)",
    "fixed": "prototype P1–P6 (rolled back)",
    "app": "the app's path, timed (committed)",
    "naive": "the naive way",
    "diagnose": "where the time goes",
    "indexed": "P7: covering index, the prototype again (rolled back), index dropped",
}


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def django_env(db: str, data_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["SHUANGSUIJI_DEBUG"] = "1"
    os.environ["SHUANGSUIJI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SHUANGSUIJI_LOG_LEVEL", "ERROR")
    if db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def child(phase: str, db: str, n: int, data_dir: Path, out: Path) -> None:
    os.nice(5)
    django_env(db, data_dir)
    report: dict[str, Any] = {"phase": phase, "db": db, "n": n}
    try:
        report.update(PHASES[phase](db, n, data_dir))
    except BaseException:
        report["error"] = traceback.format_exc()
        raise
    finally:
        report["maxrss_mb"] = rss_mb()
        out.write_text(json.dumps(report, ensure_ascii=False, default=str), encoding="utf-8")


# ------------------------------------------------------------------------------------------ report


def _fmt_parts(title: str, parts: dict[str, float], total: float) -> None:
    print(f"  {title} ({total:.2f} s):")
    for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        share = f"{100 * seconds / total:5.1f}%" if total else ""
        print(f"    {name:72} {seconds:8.2f} s {share}")


def _plan_lines(plan: list[str]) -> list[str]:
    """The plan without the inner joins of the history subquery (draw → task → plan → items)."""
    out: list[str] = []
    skip_below: int | None = None
    for line in plan:
        indent = len(line) - len(line.lstrip())
        if skip_below is not None and indent > skip_below:
            continue
        skip_below = None
        out.append(line[:190])
        if (
            line.strip().startswith("->  Nested Loop")
            and "Semi" not in line
            and "SubPlan" in (out[-2] if len(out) > 1 else "")
        ):
            skip_below = indent
    return out


def end_to_end(r: dict[str, Any]) -> float:
    return float(r["commit_s"] + r["execute_s"])


def _same_as_app(proto: dict[str, Any], app: dict[str, Any]) -> str:
    commitment = all(proto["commitment"][k] == app.get("commitment", {}).get(k) for k in proto["commitment"])
    return (
        f"same commitment (population/exclusions digests, strata sizes) as the app: {commitment}; selected "
        f"{proto['selected']:,} (app {app.get('selected', 0):,}); same preview: {proto['preview'] == app.get('preview')}; "
        f"selections with a wrong entity: {proto['wrong_entity']}"
    )


def print_size(db: str, n: int, reports: dict[str, dict[str, Any]]) -> None:
    app, fixed, naive, trace, diag, indexed = (
        reports.get(k, {}) for k in ("app", "fixed", "naive", "trace", "diagnose", "indexed")
    )
    print(f"\n===== {n:,} entities on {DB_LABEL[db]}: where the time goes =====")
    if app.get("commit_s") is not None:
        print(
            f"  app: preview {app['preview_s']:.2f} s (eligible {app['preview']['eligible']:,}, selected "
            f"{app['preview']['selected']:,}, excluded {app['preview']['excluded']}); load average "
            f"{app['load_before']:.1f} → {app['load_after']:.1f}"
        )
        _fmt_parts("app draw_commit", app["commit_parts"], app["commit_s"])
        _fmt_parts("app draw_execute", app["execute_parts"], app["execute_s"])
    for title, proto in (
        ("prototype P1–P6", fixed),
        ("prototype P1–P7 (with the index)", indexed.get("prototype", {})),
    ):
        if proto.get("commit_s") is not None:
            print(f"  {title}: preview (P4) {proto['preview_s']:.2f} s")
            _fmt_parts(f"{title} commit", proto["commit_parts"], proto["commit_s"])
            _fmt_parts(f"{title} execute", proto["execute_parts"], proto["execute_s"])
            print(f"    {_same_as_app(proto, app)}")
    if naive.get("naive_s") is not None:
        print(
            f"  naive: {naive['naive_s']:.2f} s = count() per stratum {naive['count_s']:.2f} s + order_by('?')[:k] "
            f"{naive['draw_s']:.2f} s + bulk_create {naive['store_s']:.2f} s; {naive['selected']:,} selected"
            + (f"; STOPPED: {naive['timeout']}" if naive.get("timeout") else "")
        )
        for seconds, label, size, picked in naive["slowest"]:
            print(f"    slowest stratum {label}: {size:,} eligible, {picked:,} drawn, {seconds:.2f} s")
    for name, t in (
        ("app", trace),
        ("prototype P1–P6", fixed.get("trace", {})),
        ("prototype P1–P7", indexed.get("prototype", {}).get("trace", {})),
    ):
        if t.get("peak_mb"):
            print(
                f"  tracemalloc peak, {name}: "
                + ", ".join(f"{k} {v:.0f} MB" for k, v in t["peak_mb"].items())
                + " (seconds under tracemalloc: "
                + ", ".join(f"{k} {v:.1f}" for k, v in t["seconds"].items())
                + ")"
            )
    streams = list(diag.get("streams", [])) + list(indexed.get("streams", []))
    if streams:
        print(
            "  the population stream alone, read to the end (same = its digest is the committed population's):"
        )
        for name, r in streams:
            print(
                f"    {name:62} {r['s']:8.2f} s  {r['rows']:>10,} rows  same: {r['same'] if 'same' in r else '?'}"
            )
    if indexed.get("index_s") is not None:
        print(f"    (P7 index: built in {indexed['index_s']:.1f} s, {indexed['index_mb']:.0f} MB)")
    if diag.get("exclusion_pairs"):
        print(
            f"  exclusion_pairs() alone {diag['exclusion_pairs']['s']:.2f} s ({diag['exclusion_pairs']['rows']:,} rows)"
            + (f"; with P1: {diag['fixed_exclusions_s']:.2f} s" if "fixed_exclusions_s" in diag else "")
        )
        print(
            f"  preview() alone {diag['preview_app_s']:.2f} s"
            + (
                f"; P4 (one GROUP BY, with P1): {diag['preview_fixed_s']:.2f} s"
                if "preview_fixed_s" in diag
                else ""
            )
        )
        print(f"  the lottery alone, from population.tsv ({diag['lottery_rows']:,} lines, no database):")
        for name, seconds in diag["lottery"].items():
            print(f"    {name:72} {seconds:8.2f} s")
        print(f"    run_draw(processes=2) selects exactly what the app stored: {diag['run_draw_same']}")
        for name, parts in diag["store"].items():
            print(f"  storing the selection, {name}: {parts['total']:.2f} s")
            for k, v in parts.items():
                if k != "total":
                    print(f"    {k:72} {v:8.2f} s")
    for plan, title in (
        (diag.get("app_plan"), "the app's population query, as its server-side cursor runs it"),
        (diag.get("fixed_plan"), "the population query with P1 + P2 (cursor)"),
        (indexed.get("plan"), "the population query with P1 + P2 and the P7 index (cursor)"),
    ):
        if plan:
            print(f"  EXPLAIN (ANALYZE, BUFFERS) of {title}:")
            for line in _plan_lines(plan):
                print(f"    {line}")


DB_LABEL = {"postgres": "PostgreSQL", "sqlite": "SQLite"}


def print_summary(db: str, results: list[tuple[int, dict[str, dict[str, Any]]]]) -> None:
    print(f"\n===== Commit + draw on {DB_LABEL[db]}: the app, the prototype, the naive way =====")
    head = (
        f"{'path':34} {'N':>11} {'preview s':>10} {'commit s':>9} {'execute s':>10} {'end-to-end s':>13} "
        f"{'naive s':>9} {'ratio':>7} {'peak RSS MB':>12} {'tracemalloc peak MB':>20}"
    )
    print(head)
    print("-" * len(head))
    verdicts = []
    for n, reports in results:
        naive = reports.get("naive", {})
        naive_s = naive.get("naive_s")
        naive_txt = "—" if naive_s is None else (">" if naive.get("timeout") else "") + f"{naive_s:.2f}"
        fixed = reports.get("fixed", {})
        indexed = reports.get("indexed", {}).get("prototype", {})
        for name, r, t in (
            ("app (as is)", reports.get("app", {}), reports.get("trace", {})),
            ("prototype P1–P6", fixed, fixed.get("trace", {})),
            ("prototype P1–P7 (+ covering index)", indexed, indexed.get("trace", {})),
        ):
            if r.get("commit_s") is None:
                continue
            e2e = end_to_end(r)
            ratio = f"{e2e / naive_s:.2f}x" if naive_s else "—"
            peak = t.get("peak_mb", {}).get("max")
            print(
                f"{name:34} {n:>11,} {r['preview_s']:>10.2f} {r['commit_s']:>9.2f} {r['execute_s']:>10.2f} "
                f"{e2e:>13.2f} {naive_txt:>9} {ratio:>7} {r['rss_mb']:>12.0f} "
                f"{'—' if peak is None else f'{peak:.0f}':>20}"
            )
            if naive_s:
                ok = e2e <= naive_s
                verdicts.append(
                    f"{'PASS' if ok else 'FAIL'}  {name}, {n:,}: end-to-end {e2e:.2f} s ≤ naive {naive_txt} s"
                )
            if n >= 10_000_000:
                ok = e2e < TARGET_S
                verdicts.append(
                    f"{'PASS' if ok else 'FAIL'}  {name}, {n:,}: end-to-end {e2e:.2f} s < {TARGET_S:.0f} s"
                )
    print(
        "(end-to-end = draw_commit + draw_execute as timed (commit includes its own eligibility checks); preview = "
        "what the task page computes, apart; naive = count() + order_by('?')[:k] + bulk_create per stratum; "
        "ratio = end-to-end / naive; peak RSS = ru_maxrss of the child process that ran the path, right after it; "
        "tracemalloc peak = the largest of preview/commit/execute, in a separate rolled-back pass; the prototypes "
        "run inside a transaction that is rolled back, with the deferred FK checks forced by SET CONSTRAINTS ALL "
        "IMMEDIATE, so only the final COMMIT's WAL flush is not in their figures)"
    )
    for line in verdicts:
        print(line)


def run_phase(phase: str, db: str, n: int, data_dir: Path, keep: bool) -> dict[str, Any]:
    out = data_dir / f"{phase}.json"
    print(f"-- {n:,} · {phase}: {PHASE_TITLES[phase]}", flush=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--sizes", str(n), "--db", db]
    command += ["--data-dir", str(data_dir), "--child-out", str(out)]
    started = time.perf_counter()
    code = subprocess.call(command, cwd=ROOT)  # nosec B603 — our own script
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    report["wall_s"] = time.perf_counter() - started
    print(
        f"   {phase} done in {report['wall_s']:.0f} s (exit {code}); child peak RSS {report.get('maxrss_mb', 0):.0f} MB",
        flush=True,
    )
    if code != 0 and "error" not in report:
        report["error"] = f"exit {code}"
    return report


def run_size(db: str, n: int, data_dir: Path, skip: set[str], keep: bool) -> dict[str, dict[str, Any]]:
    """The phases of one size in data_dir; those already done there (a JSON without an error) are reused,
    so an interrupted run can be resumed with --resume DIR."""
    reports: dict[str, dict[str, Any]] = {}
    for phase in PHASES:
        if phase in skip or (phase in ("fixed", "indexed") and db != "postgres"):
            continue
        done = data_dir / f"{phase}.json"
        if done.exists():
            previous = json.loads(done.read_text(encoding="utf-8"))
            if not previous.get("error"):
                print(f"-- {n:,} · {phase}: reusing {done}", flush=True)
                reports[phase] = previous
                continue
        reports[phase] = run_phase(phase, db, n, data_dir, keep)
        if reports[phase].get("error"):
            print(reports[phase]["error"], flush=True)
            if phase in ("setup", "app"):
                break
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="entity counts, comma-separated")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument(
        "--keep", action="store_true", help="keep the data dir and the database of the last size"
    )
    parser.add_argument("--skip", default="", help="phases to skip, e.g. trace,diagnose")
    parser.add_argument(
        "--resume", type=Path, help="finish the phases missing in a kept data dir (and its database)"
    )
    parser.add_argument("--results", type=Path, help="append each size's figures to this JSON-lines file and "
                        "print the summary of every size in it")  # fmt: skip
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args.db, int(args.sizes), args.data_dir, args.child_out)
        return
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load_average():.2f}; {STRATA} strata "
        f"(sizes ~ 1/(r+1)^1.5, rates 2%→100%), history {HISTORY:.0%} of the entities; {DB_LABEL[args.db]}",
        flush=True,
    )
    if args.resume:
        setup = json.loads((args.resume / "setup.json").read_text(encoding="utf-8"))
        jobs = [(int(setup["n"]), args.resume, True)]
        args.db = setup["db"]
    else:
        jobs = [(int(x), None, False) for x in args.sizes.split(",")]
    results = []
    for i, (n, existing, resumed) in enumerate(jobs):
        data_dir = existing or Path(tempfile.mkdtemp(prefix="ssj-bench-draw-"))
        if args.db == "postgres" and not resumed:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            _pg_admin(f"CREATE DATABASE {PG_DB}")
        try:
            reports = run_size(args.db, n, data_dir, skip, args.keep)
            (data_dir / "reports.json").write_text(json.dumps(reports, ensure_ascii=False, default=str))
            print_size(args.db, n, reports)
            results.append((n, reports))
            if args.results:
                with args.results.open("a", encoding="utf-8") as fh:
                    fh.write(
                        json.dumps(
                            {"db": args.db, "n": n, "reports": reports}, ensure_ascii=False, default=str
                        )
                    )
                    fh.write("\n")
        finally:
            if args.keep and i == len(jobs) - 1:
                print(f"kept: {data_dir}" + (f" and database {PG_DB}" if args.db == "postgres" else ""))
            else:
                shutil.rmtree(data_dir, ignore_errors=True)
                if args.db == "postgres":
                    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    if args.results and args.results.exists():
        rows = [
            json.loads(line) for line in args.results.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        latest = {
            row["n"]: row["reports"] for row in rows if row["db"] == args.db
        }  # the last run of each size
        results = sorted(latest.items())
    print_summary(args.db, results)
    print(f"load average now {load_average():.2f}")


if __name__ == "__main__":
    main()
