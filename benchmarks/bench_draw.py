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
  setup     the above (migrate includes draws 0003, the covering index the app's population query uses);
  trace     the app's preview/draw_commit/draw_execute under tracemalloc (peak per step), rolled back — it also
            warms the caches for everything after it;
  before    the app as it was before the changes measured here (the legacy_* functions in this file), on the
            same task, with the schema it had (no covering index; the selection's foreign keys and draw index
            — all inside its transaction), rolled back after forcing the deferred FK checks; ru_maxrss;
  app       the measured path as the app runs it, committed: eligibility.preview (the task page),
            services.draw_commit, services.draw_execute, with light timers patched into the module attributes
            the services call through (the wait for the database's rows, build_commitment, run_draw,
            _selections_stored with result_json inside it, the COMMITs);
  naive     per stratum: count() for the quota, then list(order_by('?')[:quota]) of the eligible entities,
            then bulk_create into a scratch table shaped like DrawSelection (without its constraints);
  diagnose  where the time goes: the population stream alone, now and before, with digests proving each yields
            the committed population; EXPLAIN (ANALYZE, BUFFERS) of the app's grouped query as its server-side
            cursor runs it (DECLARE) and of the one before; the lottery alone from population.tsv (file pass
            with 1 and 2 processes, the validating pass); the two ways to store the selection (before: with
            its deferred FK checks).
The database and data dir are removed at the end unless --keep (the last size's) or --resume.
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
from contextlib import contextmanager
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import machine  # beside this file

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
            item = next(inner, None)
            self.add(key, time.perf_counter() - started)
            if item is None:
                return
            self.rows[key] = self.rows.get(key, 0) + (len(item) if isinstance(item, list) else 1)
            yield item

    def wrap_context(self, owner: Any, name: str, key: str) -> None:
        """A context manager's time, from its call to the end of its `with`."""
        original = getattr(owner, name)

        @contextmanager
        def timed(*args: Any, **kwargs: Any) -> Iterator[None]:
            started = time.perf_counter()
            try:
                with original(*args, **kwargs):
                    yield
            finally:
                self.add(key, time.perf_counter() - started)

        self._undo.append((owner, name, original))
        setattr(owner, name, timed)

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


# ------------------------------------------------------------------------------------------ before
# The app as it was before the changes measured here (kept in this file so that one run shows both, on the same
# data and load; nothing of it is used by the app):
#   scope(): the listing EXISTS first in the OR, jurisdiction by a join on its path;
#   population_pairs(): `exclusion = ''` on the CASE that names each exclusion's reason;
#   preview(): two aggregate scans; draw_commit(): preview() again before building the commitment;
#   draw_execute(): one process; an Entity model instance per drawn key (`uscc IN …`, `reg_no IN …`), a
#   DrawSelection instance each and bulk_create; Draw.save() of every field.
# What the app does now (eligibility.py, services.py, migrations draws 0003–0007): the jurisdiction test first as
# `jurisdiction_id IN (subtree)`; one pass over the scope, ordered by an index-only scan of a covering index
# (industry strata) and grouped by stratum in PostgreSQL (keys, ids, status codes aggregated: a row per
# stratum), fetched by a thread while the lottery checks the previous one; the exclusions split off in Python
# (earlier draws as a byte per entity id); each population line's entity id kept in population-ids.bin; one
# GROUP BY for the preview; the eligibility checks from the commitment's strata; the draw from population.tsv
# by the digest-first file pass, in 2 processes from 2,000,000 entities; the selection stored by one COPY with
# the committed ids, in rank order, into a table without foreign keys and with one index besides its primary
# key, while result.json is written; the big texts compressed with lz4; Draw saved with update_fields.

APP_INDEX = (
    "draws_population_industry"  # migration draws 0003; dropped (in a rolled-back transaction) for "before"
)
NO_INDEX = (f"DROP INDEX {APP_INDEX}",)
# DrawSelection before migrations draws 0004, 0006 and 0007: foreign keys checked row by row at COMMIT, an index
# of its own on draw_id, unique (draw, entity) and an entity index.
LEGACY_SELECTION_SCHEMA = (
    "ALTER TABLE draws_drawselection ADD CONSTRAINT bench_selection_draw FOREIGN KEY (draw_id) "
    "REFERENCES draws_draw (id) DEFERRABLE INITIALLY DEFERRED NOT VALID",
    "ALTER TABLE draws_drawselection ADD CONSTRAINT bench_selection_entity FOREIGN KEY (entity_id) "
    "REFERENCES directory_entity (id) DEFERRABLE INITIALLY DEFERRED NOT VALID",
    "CREATE INDEX bench_selection_draw_id ON draws_drawselection (draw_id)",
    "CREATE UNIQUE INDEX bench_selection_draw_entity ON draws_drawselection (draw_id, entity_id)",
    "CREATE INDEX bench_selection_entity_id ON draws_drawselection (entity_id)",
)
STATUS_REASON = {
    "deregistered": "deregistered",
    "revoked": "revoked",
    "moved_out": "moved-out",
    "suspended": "suspended",
}


def legacy_scope(task: Any) -> Any:
    from django.db.models import Exists, OuterRef, Q

    from shuangsuiji.directory.models import DirectoryListing, Entity

    qs = Entity.objects.all()
    if task.scope_uses_list:
        qs = qs.filter(pk__in=task.scope_entities.values("entity_id"))
    else:
        listed = DirectoryListing.objects.filter(entity=OuterRef("pk"), department=task.directory)
        qs = qs.filter(Q(Exists(listed)) | Q(jurisdiction__path__startswith=task.directory.path))
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


def legacy_annotated(task: Any) -> Any:
    from django.db.models import Case, CharField, Value, When
    from django.db.models.functions import Coalesce

    from shuangsuiji.draws.models import DrawSelection
    from shuangsuiji.planning.strata import label_expression

    if task.plan.is_joint:
        raise NotImplementedError("the legacy path here covers annual plans (no joint cap)")
    earlier = DrawSelection.objects.filter(draw__task__plan__year=task.plan.year).exclude(draw__task=task)
    same_item = earlier.filter(draw__task__items__in=task.items.all()).values("entity_id")
    whens = [When(status=status, then=Value(reason)) for status, reason in STATUS_REASON.items()]
    whens.append(When(pk__in=same_item, then=Value("inspected-this-year")))
    return legacy_scope(task).annotate(
        entity_key=Coalesce("uscc", "reg_no", output_field=CharField()),
        stratum=label_expression(task.stratification),
        exclusion=Case(*whens, default=Value(""), output_field=CharField()),
    )


def legacy_population(task: Any, chunk_size: int = 20_000) -> Iterator[tuple[str, str]]:
    from django.db.models.functions import Collate

    qs = (
        legacy_annotated(task)
        .filter(exclusion="")
        .order_by(Collate("stratum", "C"), Collate("entity_key", "C"))
        .values_list("stratum", "entity_key")
    )
    yield from qs.iterator(chunk_size=chunk_size)


def legacy_exclusions(task: Any) -> Iterator[tuple[str, str]]:
    yield from (
        legacy_annotated(task).exclude(exclusion="").values_list("entity_key", "exclusion").iterator(20_000)
    )


def legacy_preview(task: Any) -> Any:
    from django.db.models import Count

    from shuangsuiji.draws.eligibility import preview_from_sizes

    annotated = legacy_annotated(task)
    sizes = dict(
        annotated.filter(exclusion="")
        .values_list("stratum")
        .annotate(n=Count("pk"))
        .values_list("stratum", "n")
    )
    excluded = dict(
        annotated.exclude(exclusion="")
        .values_list("exclusion")
        .annotate(n=Count("pk"))
        .values_list("exclusion", "n")
    )
    return preview_from_sizes(task, sizes, excluded)


def legacy_commit(*, actor: Any, task: Any, clock: Clock) -> Any:
    """draw_commit as it was (object draws)."""
    from django.core.exceptions import ValidationError
    from django.core.files.storage import default_storage
    from django.db import transaction
    from django.utils import timezone

    from shuangsuiji import lottery
    from shuangsuiji.audit.services import audit_record
    from shuangsuiji.draws.models import Draw
    from shuangsuiji.planning.models import Task

    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",)).select_related("plan", "directory").get(pk=task.pk)
        )
        assert not task.team_draw, "the legacy path here covers object draws"
        started = time.perf_counter()
        preview = legacy_preview(task)
        clock.add("preview() again, inside draw_commit", time.perf_counter() - started)
        if preview.eligible == 0 or (preview.below_minimum and not task.low_ratio_reason.strip()):
            raise ValidationError("not drawable")
        name = f"draws/task-{task.pk}/population.tsv"
        target = Path(default_storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        files = lottery.build_commitment(
            task=task.ref, created_at=timezone.localtime().isoformat(timespec="seconds"),
            population=clock.stream(legacy_population(task), "population stream (database + Django)"),
            strata=[lottery.StratumSpec(s.label, s.name, s.rate_bp) for s in task.strata.all()],
            exclusions=clock.stream(legacy_exclusions(task), "exclusions stream (database + Django)"),
            teams=None, population_path=target,
        )  # fmt: skip
        clock.add("build_commitment (with the streams)", time.perf_counter() - started)
        started = time.perf_counter()
        population_size = sum(s.size for s in files.commitment.strata)
        draw = Draw.objects.create(
            task=task, commitment_json=files.commitment_json.decode(), commitment_sha256=files.sha256,
            server_nonce_hex=files.server_nonce.hex(), population_file=name, population_size=population_size,
            excluded_count=files.excluded_count, exclusions_tsv=files.exclusions_tsv.decode(),
            pool_tsv="", conflicts_tsv="", committed_by=actor, committed_at=timezone.now(),
        )  # fmt: skip
        task.state = Task.State.COMMITTED
        task.save(update_fields=["state"])
        audit_record(
            actor=actor, action="draw.commit", obj=draw, summary=f"{task.ref} 生成抽取承诺 {files.sha256}",
            detail={"task": task.ref, "commitment_sha256": files.sha256, "population": population_size,
                    "excluded": files.excluded_count},
        )  # fmt: skip
        clock.add("Draw row + audit", time.perf_counter() - started)
    return draw


def legacy_execute(*, actor: Any, draw: Any, ceremony_entropy: str, clock: Clock) -> Any:
    """draw_execute as it was (object draws)."""
    from django.core.files.storage import default_storage
    from django.db import transaction
    from django.utils import timezone

    from shuangsuiji import lottery
    from shuangsuiji.audit.services import audit_record
    from shuangsuiji.draws.models import Draw
    from shuangsuiji.planning.models import Task

    with transaction.atomic():
        locked = Draw.objects.select_for_update(of=("self",)).select_related("task").get(pk=draw.pk)
        started = time.perf_counter()
        population = Path(default_storage.path(locked.population_file))
        outcome = lottery.run_draw(
            commitment_json=locked.commitment_json.encode(), server_nonce=bytes.fromhex(locked.server_nonce_hex),
            ceremony_entropy=ceremony_entropy, population=lottery.iter_tsv_pairs(population),
        )  # fmt: skip
        clock.add("run_draw (1 process, validating pass)", time.perf_counter() - started)
        parts: dict[str, float] = {}
        store_selections_app(locked, outcome.objects.selected, parts, check_fk=False)
        for name, seconds in parts.items():
            clock.add(f"store: {name}", seconds)
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
            summary=f"{locked.task.ref} 随机抽取完成：{len(outcome.objects.selected)} 个检查对象",
            detail={"seed": locked.seed_hex, "selected": len(outcome.objects.selected)},
        )  # fmt: skip
        clock.add("Draw save (every field) + audit", time.perf_counter() - started)
        started = time.perf_counter()
        _deferred_checks()
        clock.add("deferred FK checks (at COMMIT)", time.perf_counter() - started)
    return locked


def _deferred_checks() -> None:
    """Run the deferred foreign-key checks now (what COMMIT would run): rolled-back passes include them."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


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
    import tracemalloc

    from django.db import transaction

    from shuangsuiji.draws import eligibility, services

    task, actor = _task_and_actor(data_dir)
    figures: dict[str, Any] = {"seconds": {}, "peak_mb": {}}
    steps: list[tuple[str, Any]] = [
        ("preview", lambda _: eligibility.preview(task)),
        ("commit", lambda _: services.draw_commit(actor=actor, task=task)),
        ("execute", lambda draw: services.draw_execute(actor=actor, draw=draw, ceremony_entropy=ENTROPY)),
    ]
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


def phase_before(db: str, n: int, data_dir: Path) -> dict[str, Any]:
    """The app as it was before these changes (the legacy_* functions above, without the covering index),
    rolled back, the deferred FK checks forced before the rollback; peak RSS of this child process."""
    from django.db import connection, transaction
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from shuangsuiji.draws.models import DrawSelection

    task, actor = _task_and_actor(data_dir)
    figures: dict[str, Any] = {"load_before": load_average()}
    commit, execute = Clock(), Clock()
    try:
        with transaction.atomic():
            if db == "postgres":  # the schema as it was (rolled back with the rest)
                with connection.cursor() as cursor:
                    for statement in (*NO_INDEX, *LEGACY_SELECTION_SCHEMA):
                        cursor.execute(statement)
            started = time.perf_counter()
            preview = legacy_preview(task)
            figures["preview_s"] = time.perf_counter() - started
            figures["preview"] = {
                "eligible": preview.eligible,
                "selected": preview.selected,
                "excluded": preview.excluded,
            }
            started = time.perf_counter()
            draw = legacy_commit(actor=actor, task=task, clock=commit)
            figures["commit_s"] = time.perf_counter() - started
            started = time.perf_counter()
            draw = legacy_execute(actor=actor, draw=draw, ceremony_entropy=ENTROPY, clock=execute)
            figures["execute_s"] = time.perf_counter() - started
            figures["rss_mb"] = rss_mb()
            selections = DrawSelection.objects.filter(draw=draw)
            figures["selected"] = selections.count()
            figures["wrong_entity"] = (
                selections.annotate(k=Coalesce("entity__uscc", "entity__reg_no")).exclude(key=F("k")).count()
            )
            figures["keys_sha256"] = hashlib.sha256(
                "\n".join(selections.order_by("rank").values_list("key", flat=True)).encode()
            ).hexdigest()
            figures["commitment"] = commitment_summary(draw)
            raise _Rollback
    except _Rollback:
        pass
    c = commit.seconds
    build = c.pop("build_commitment (with the streams)")
    c["lottery: validate, digest, write population.tsv, exclusions TSV"] = build - sum(
        v for k, v in c.items() if "stream" in k
    )
    figures["commit_parts"], figures["execute_parts"] = c, execute.seconds
    figures["load_after"] = load_average()
    return figures


def phase_app(db: str, n: int, data_dir: Path) -> dict[str, Any]:
    """The measured path, as the app runs it: preview (the task page), draw_commit, draw_execute (committed)."""
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
    connection.ensure_connection()
    commit, execute = Clock(), Clock()
    commit.wrap_stream(eligibility, "_chunks", "waiting for the database's rows (fetch thread)")
    commit.wrap(lottery, "build_commitment", "build_commitment")
    commit.wrap(connection, "commit", "COMMIT")
    started = time.perf_counter()
    try:
        draw = services.draw_commit(actor=actor, task=task)
    finally:
        commit.restore()
    figures["commit_s"] = time.perf_counter() - started
    execute.wrap(lottery, "run_draw", "run_draw")
    store = "store the selection (ids from the commitment, one COPY; result_json() meanwhile)"
    execute.wrap_context(services, "_selections_stored", store)
    execute.wrap(lottery_draw.DrawOutcome, "result_json", "result_json() (inside the above)")
    execute.wrap(connection, "commit", "COMMIT")
    started = time.perf_counter()
    try:
        draw = services.draw_execute(actor=actor, draw=draw, ceremony_entropy=ENTROPY)
    finally:
        execute.restore()
    figures["execute_s"] = time.perf_counter() - started
    figures["processes"] = services._draw_processes(draw.population_size)
    figures["rss_mb"] = rss_mb()
    figures["load_after"] = load_average()
    c = commit.seconds
    build = c.pop("build_commitment")
    streams = sum(v for k, v in c.items() if "stream" in k)
    c["lottery: validate, digest, write population.tsv, exclusions TSV"] = build - streams
    c["rest: lock, Draw row (exclusions_tsv), audit"] = figures["commit_s"] - build - c["COMMIT"]
    e = execute.seconds
    e["rest: lock, Draw save, Task, audit"] = figures["execute_s"] - sum(
        v for k, v in e.items() if "inside" not in k
    )
    figures["commit_parts"], figures["execute_parts"] = c, e
    figures["rows"] = commit.rows
    figures["commitment"] = commitment_summary(draw)
    selections = DrawSelection.objects.filter(draw=draw)
    figures["selected"] = selections.count()
    figures["keys_sha256"] = hashlib.sha256(
        "\n".join(selections.order_by("rank").values_list("key", flat=True)).encode()
    ).hexdigest()
    figures["draw"] = draw.pk
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
    """Iterate a (label, key) stream to the end inside a transaction (rolled back): seconds spent producing it
    (the digest of its TSV lines, computed outside the timed part, says whether it is the committed population)."""
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
        transaction.set_rollback(True)  # read-only, and a `setup` (e.g. DROP INDEX) must not stay
    return {"s": seconds, "rows": rows, "sha256": digest.hexdigest()}


def explain(sql: str, params: Any, prefix: str = "", setup: tuple[str, ...] = ()) -> list[str]:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for statement in setup:
            cursor.execute(statement)
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {prefix}{sql}", params)
        transaction.set_rollback(True)  # a `setup` (e.g. DROP INDEX) must not stay
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


def scratch_draw(like: Any = None) -> Any:
    """A throwaway task + Draw to store selections on (inside a transaction that is rolled back); with `like`,
    over that draw's population file (so that its population-ids.bin serves)."""
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
        server_nonce_hex="0" * 64, population_file=like.population_file if like else "-",
        population_size=like.population_size if like else 0, excluded_count=0, committed_at=timezone.now(),
    )  # fmt: skip


def store_selections_app(draw: Any, selected: Any, parts: dict[str, float], check_fk: bool = True) -> int:
    """What draw_execute did with the drawn keys before (then the deferred FK checks a COMMIT would run)."""
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
    if check_fk:
        mark = time.perf_counter()
        _deferred_checks()
        parts["deferred FK checks (at COMMIT)"] = time.perf_counter() - mark
    return len(objects)


def store_selections_now(draw: Any, objects: Any, parts: dict[str, float]) -> int:
    """What draw_execute does now (services._store_selections: the ids the commitment kept, one COPY)."""
    from shuangsuiji.draws import services

    started = time.perf_counter()
    with services._selections_stored(draw, objects):
        pass
    parts["services._selections_stored (ids from population-ids.bin, COPY in rank order)"] = (
        time.perf_counter() - started
    )
    return len(objects.selected)


def phase_diagnose(db: str, n: int, data_dir: Path) -> dict[str, Any]:
    """Where the time goes, step by step: the population stream, now and before; the lottery alone; storing."""
    from django.db import connection, transaction

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
            f"    {name:66} {result['s']:8.2f} s  {result['rows']:>10,} rows  same population: {result['same']}",
            flush=True,
        )

    print("  the population stream alone (everything else off):", flush=True)
    step(
        "now: one ordered pass over the scope (exclusions split off here, fetch thread)",
        time_stream(lambda: eligibility.population_pairs(task)),
    )
    if db == "postgres":
        step(
            "before: CASE = '', listing EXISTS first, no index (PostgreSQL sorts)",
            time_stream(lambda: legacy_population(task), setup=NO_INDEX),
        )
        started = time.perf_counter()
        freeze = eligibility.Freeze(task)
        sql, params = freeze.grouped()
        settings = tuple(f"SET LOCAL {name} = {value}" for name, value in freeze.GROUPED_SETTINGS.items())
        figures["app_plan"] = explain(
            sql, params, prefix="DECLARE bench_cursor NO SCROLL CURSOR FOR ", setup=settings
        )
        sql, params = captured_sql(lambda: legacy_population(task))
        figures["legacy_plan"] = explain(
            sql, params, prefix="DECLARE bench_cursor NO SCROLL CURSOR FOR ", setup=NO_INDEX
        )
        figures["explain_s"] = time.perf_counter() - started
    started = time.perf_counter()
    exclusions = eligibility.exclusion_pairs(task)  # the same pass, kept for its exclusions
    figures["exclusion_pairs"] = {"s": time.perf_counter() - started, "rows": len(exclusions)}
    print(f"    exclusion_pairs() (the same pass) {figures['exclusion_pairs']['s']:.2f} s", flush=True)
    if db == "postgres":
        figures["legacy_exclusions_s"] = time_stream(lambda: legacy_exclusions(task), setup=NO_INDEX)["s"]
    # The lottery alone, from the stored population.tsv (no database).
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
    for name, source, processes in (
        ("run_draw, file pass, 1 process", path, 1),
        ("run_draw, file pass, 2 processes", path, 2),
        ("run_draw over (label, key) pairs (before: the validating pass)", lottery.iter_tsv_pairs(path), 1),
    ):
        started = time.perf_counter()
        outcomes[name] = lottery.run_draw(
            commitment_json=draw.commitment_json.encode(), server_nonce=bytes.fromhex(draw.server_nonce_hex),
            ceremony_entropy=ENTROPY, population=source, processes=processes,
        )  # fmt: skip
        lot[name] = time.perf_counter() - started
    stored = list(DrawSelection.objects.filter(draw=draw).order_by("rank").values_list("key", flat=True))
    same = all([s.key for s in o.objects.selected] == stored for o in outcomes.values())
    first = next(iter(outcomes.values()))
    started = time.perf_counter()
    first.result_json()
    lot["result_json() (canonical JSON of the selection)"] = time.perf_counter() - started
    figures["lottery"] = lot
    figures["lottery_rows"] = rows
    figures["run_draw_same"] = same
    for name, seconds in lot.items():
        print(f"    {name:66} {seconds:8.2f} s", flush=True)
    print(f"    every way of drawing selects what the app stored: {same}", flush=True)
    selected = first.objects.selected
    figures["store"] = {}
    ways: list[tuple[str, Any, tuple[str, ...]]] = [
        ("before (model instances, bulk_create)", store_selections_app, LEGACY_SELECTION_SCHEMA)
    ]
    if db == "postgres":
        ways.append(("now (entity ids from the commit, one COPY)", store_selections_now, ()))
    for name, way, schema in ways:
        parts: dict[str, float] = {}
        try:
            with transaction.atomic():
                if db == "postgres":
                    with connection.cursor() as cursor:
                        for statement in schema:
                            cursor.execute(statement)
                scratch = scratch_draw(like=draw)
                started = time.perf_counter()
                stored_rows = way(scratch, first.objects if way is store_selections_now else selected, parts)
                parts["total"] = time.perf_counter() - started
                assert stored_rows == len(selected)
                raise _Rollback
        except _Rollback:
            pass
        figures["store"][name] = parts
        print(f"    store {len(selected):,} selections, {name:40} {parts['total']:8.2f} s", flush=True)
    started = time.perf_counter()
    eligibility.preview(task)
    figures["preview_app_s"] = time.perf_counter() - started
    if db == "postgres":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(NO_INDEX[0])
            started = time.perf_counter()
            legacy_preview(task)
            figures["preview_legacy_s"] = time.perf_counter() - started
            transaction.set_rollback(True)
    figures["load_after"] = load_average()
    return figures


# ------------------------------------------------------------------------------------------ process

PHASES = {
    "setup": phase_setup,
    "trace": phase_trace,
    "before": phase_before,
    "app": phase_app,
    "naive": phase_naive,
    "diagnose": phase_diagnose,
}
PHASE_TITLES = {
    "setup": "database, demo county, entities, history, tasks",
    "trace": "the app's path under tracemalloc (rolled back; also warms the caches)",
    "before": "the app as it was before these changes (rolled back)",
    "app": "the app's path, timed (committed)",
    "naive": "the naive way",
    "diagnose": "where the time goes",
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
    from django.conf import settings

    settings.DEBUG = (
        False  # measured as in production: no query log (it formats every statement's parameters)
    )


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


def _same_as_app(before: dict[str, Any], app: dict[str, Any]) -> str:
    commitment = all(
        before["commitment"][k] == app.get("commitment", {}).get(k) for k in before["commitment"]
    )
    return (
        f"same commitment (population/exclusions digests, strata sizes) as the app now: {commitment}; selected "
        f"{before['selected']:,} (now {app.get('selected', 0):,}); same preview: "
        f"{before['preview'] == app.get('preview')}; selections with a wrong entity: {before['wrong_entity']}"
    )


def print_size(db: str, n: int, reports: dict[str, dict[str, Any]]) -> None:
    app, before, naive, trace, diag = (
        reports.get(k, {}) for k in ("app", "before", "naive", "trace", "diagnose")
    )
    print(f"\n===== {n:,} entities on {DB_LABEL[db]}: where the time goes =====")
    for title, r in (("app now", app), ("app before these changes (rolled back)", before)):
        if r.get("commit_s") is None:
            continue
        print(
            f"  {title}: preview {r['preview_s']:.2f} s (eligible {r['preview']['eligible']:,}, selected "
            f"{r['preview']['selected']:,}, excluded {r['preview']['excluded']}); load average "
            f"{r['load_before']:.1f} → {r['load_after']:.1f}"
            + (f"; object draw in {r['processes']} process(es)" if "processes" in r else "")
        )
        _fmt_parts(f"{title}: draw_commit", r["commit_parts"], r["commit_s"])
        _fmt_parts(f"{title}: draw_execute", r["execute_parts"], r["execute_s"])
    if before.get("commit_s") is not None:
        print(f"    {_same_as_app(before, app)}")
    if naive.get("naive_s") is not None:
        print(
            f"  naive: {naive['naive_s']:.2f} s = count() per stratum {naive['count_s']:.2f} s + order_by('?')[:k] "
            f"{naive['draw_s']:.2f} s + bulk_create {naive['store_s']:.2f} s; {naive['selected']:,} selected; load "
            f"average {naive['load_before']:.1f} → {naive['load_after']:.1f}"
            + (f"; STOPPED: {naive['timeout']}" if naive.get("timeout") else "")
        )
        for seconds, label, size, picked in naive["slowest"]:
            print(f"    slowest stratum {label}: {size:,} eligible, {picked:,} drawn, {seconds:.2f} s")
    if trace.get("peak_mb"):
        print(
            "  tracemalloc peak, app now: "
            + ", ".join(f"{k} {v:.0f} MB" for k, v in trace["peak_mb"].items())
            + " (seconds under tracemalloc: "
            + ", ".join(f"{k} {v:.1f}" for k, v in trace["seconds"].items())
            + ")"
        )
    if diag.get("streams"):
        print(
            f"  diagnosis (load average {diag['load_before']:.1f} → {diag['load_after']:.1f}); the population stream "
            "alone, read to the end (same = its digest is the committed population's):"
        )
        for name, r in diag["streams"]:
            print(f"    {name:66} {r['s']:8.2f} s  {r['rows']:>10,} rows  same: {r['same']}")
        print(
            f"  exclusion_pairs() alone {diag['exclusion_pairs']['s']:.2f} s ({diag['exclusion_pairs']['rows']:,} rows)"
            + (f"; before: {diag['legacy_exclusions_s']:.2f} s" if "legacy_exclusions_s" in diag else "")
        )
        print(
            f"  preview() alone {diag['preview_app_s']:.2f} s"
            + (
                f"; before (two scans): {diag['preview_legacy_s']:.2f} s"
                if "preview_legacy_s" in diag
                else ""
            )
        )
        print(f"  the lottery alone, from population.tsv ({diag['lottery_rows']:,} lines, no database):")
        for name, seconds in diag["lottery"].items():
            print(f"    {name:72} {seconds:8.2f} s")
        print(f"    every way of drawing selects exactly what the app stored: {diag['run_draw_same']}")
        for name, parts in diag["store"].items():
            print(f"  storing the selection, {name}: {parts['total']:.2f} s")
            for k, v in parts.items():
                if k != "total":
                    print(f"    {k:72} {v:8.2f} s")
    for plan, title in (
        (diag.get("app_plan"), "the app's population query, as its server-side cursor runs it"),
        (diag.get("legacy_plan"), "the population query before these changes (without the index)"),
    ):
        if plan:
            print(f"  EXPLAIN (ANALYZE, BUFFERS) of {title}:")
            for line in _plan_lines(plan):
                print(f"    {line}")


DB_LABEL = {"postgres": "PostgreSQL", "sqlite": "SQLite"}


def print_summary(db: str, results: list[tuple[int, dict[str, dict[str, Any]]]]) -> None:
    print(f"\n===== Commit + draw on {DB_LABEL[db]}: the app now, the app before, the naive way =====")
    head = (
        f"{'path':30} {'N':>11} {'preview s':>10} {'commit s':>9} {'execute s':>10} {'end-to-end s':>13} "
        f"{'naive s':>9} {'ratio':>7} {'peak RSS MB':>12} {'tracemalloc MB':>15} {'load avg':>11}"
    )
    print(head)
    print("-" * len(head))
    verdicts = []
    for n, reports in results:
        naive = reports.get("naive", {})
        naive_s = naive.get("naive_s")
        naive_txt = "—" if naive_s is None else (">" if naive.get("timeout") else "") + f"{naive_s:.2f}"
        for name, r, t in (
            ("app now", reports.get("app", {}), reports.get("trace", {})),
            ("app before (rolled back)", reports.get("before", {}), {}),
        ):
            if r.get("commit_s") is None:
                continue
            e2e = end_to_end(r)
            ratio = f"{e2e / naive_s:.2f}x" if naive_s else "—"
            peak = t.get("peak_mb", {}).get("max")
            load = f"{r['load_before']:.1f}→{r['load_after']:.1f}"
            print(
                f"{name:30} {n:>11,} {r['preview_s']:>10.2f} {r['commit_s']:>9.2f} {r['execute_s']:>10.2f} "
                f"{e2e:>13.2f} {naive_txt:>9} {ratio:>7} {r['rss_mb']:>12.0f} "
                f"{'—' if peak is None else f'{peak:.0f}':>15} {load:>11}"
            )
            if name != "app now":
                continue
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
        if naive_s:
            naive_name = "naive (order_by('?'))"
            naive_load = f"{naive['load_before']:.1f}→{naive['load_after']:.1f}"
            print(
                f"{naive_name:30} {n:>11,} {'':>10} {'':>9} {'':>10} {naive_txt:>13} {'':>9} {'':>7} "
                f"{naive.get('rss_mb', 0):>12.0f} {'—':>15} {naive_load:>11}"
            )
    print(
        "(end-to-end = draw_commit + draw_execute as timed (the app's: committed, COMMITs included; before: rolled "
        "back after forcing the deferred FK checks, so only its COMMITs' WAL flush is missing); preview = what the "
        "task page computes, apart; naive = count() + order_by('?')[:k] + bulk_create per stratum into a table "
        "without constraints; ratio = end-to-end / naive; peak RSS = ru_maxrss of the child process that ran the "
        "path; tracemalloc = the largest of preview/commit/execute, in a separate rolled-back pass; load avg = "
        "1-minute load average before → after, on 2 CPUs)"
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
        if phase in skip or (phase == "before" and db != "postgres"):
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
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs ({machine.speed()}), load average {load_average():.2f}; {STRATA} strata "
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
            if (args.keep or args.resume) and i == len(jobs) - 1:  # a resumed dir stays kept
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
