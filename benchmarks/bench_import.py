"""Scale benchmark (not a test): importing the entity register (检查对象名录) from 10^5- and 10^6-row files.

Requirement (issue 3): a 10^6-row CSV into PostgreSQL in under 60 s on a 2-core machine, within 3x the raw
floor, at least 10x faster than django-import-export, peak memory under 1 GB (streamed, never loaded
whole). This script measures, side by side in one run, on SQLite and on PostgreSQL:

* ours   — ``directory.imports.register_import(kind="entities", directory=<SCJG>, commit=True)`` into an
           empty register (demo county only), then again with ``update_existing=True`` on the same file
           (every row unchanged: the re-import). As the app runs it: a file of 8 MB or more is read in a
           second process (``tabular.parallel``; its CPU and memory are added to ours), and on PostgreSQL a
           load of more new entities than the register held rebuilds indexes and foreign keys at the end;
* floor  — the same file read with the csv module (python-calamine for .xlsx) and bulk-inserted with no
           validation: COPY on PostgreSQL, executemany on SQLite, one transaction, plus one INSERT … SELECT
           for the SCJG directory listings that ours also writes;
* import-export — a plain ``resources.ModelResource`` for Entity (ForeignKeyWidget on Department.name,
           ``import_id_fields = ("uscc",)``) given a tablib Dataset of the 10^5-row CSV.

Files (ENTITY_SPEC's template columns, valid USCCs that cannot collide with the demo's, realistic names,
管辖单位 = the demo's stations): 10^5 rows as UTF-8-with-BOM CSV, as GBK CSV and as .xlsx (openpyxl
write_only), and 10^6 rows as CSV. A 10^6-row .xlsx is not measured: ``tabular`` refuses sheets above
``Limits.max_workbook_cells`` (5,000,000 cells) because calamine holds a whole sheet in memory.

Every database is fresh: migrate + ``demo_load(entities=100)`` once into a template (SQLite file /
PostgreSQL ``ssj_bench_import_tpl``), copied for every measurement (SQLite file copy / PostgreSQL
``ssj_bench_import`` dropped and re-created from the template). Every measurement runs in its own spawned
process, so its peak RSS is its own (VmHWM of the child's address space; ru_maxrss is also recorded).

Afterwards: a cProfile of ours at the largest CSV on PostgreSQL (top 25 cumulative, own time by package).
"cpu s" is the child's own CPU time (user + system): on a shared 2-core machine wall time also counts
other people's work, the database server's included; CPU time shows what the import itself costs.

    uv run python benchmarks/bench_import.py              # 10^5 and 10^6 rows, both databases (~15 min)
    uv run python benchmarks/bench_import.py --quick      # 10^5 rows only
    uv run python benchmarks/bench_import.py --db postgres --large 200000 --no-ie
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = "ssj_bench_import"
DB_LABEL = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
SEED = 20260303
PERSON_POOL = 20_000
TARGET_SECONDS = 60.0
TARGET_FLOOR_RATIO = 3.0
TARGET_IE_SPEEDUP = 10.0
TARGET_PEAK_MB = 1024.0

# What the generated files say (display values people type) → the model's code. Labels and aliases are
# the ones ENTITY_SPEC accepts; the floor and the import-export resource map them with these dicts.
SHOWN: dict[str, dict[str, str]] = {
    "entity_type": {
        "企业": "company",
        "有限责任公司": "company",
        "有限责任公司（自然人投资或控股）": "company",
        "个体工商户": "individual",
        "个体户": "individual",
        "农民专业合作社": "cooperative",
        "事业单位": "institution",
        "机关": "government",
    },
    "status": {
        "存续": "active",
        "在业": "active",
        "存续（在营、开业、在册）": "active",
        "停业": "suspended",
        "吊销，未注销": "revoked",
        "注销": "deregistered",
        "迁出": "moved_out",
    },
    "credit_risk_class": {"A类": "A", "B类": "B", "信用风险一般": "B", "C类": "C", "D类": "D"},
    "fire_safety_category": {"消防安全重点单位": "key", "一般单位": "general", "九小场所": "small"},
    "building_category": {
        "高层建筑": "high_rise",
        "多层建筑": "multi_storey",
        "单层建筑": "single_storey",
        "地下建筑": "underground",
    },
    "occupancy": {
        "人员密集场所": "crowded",
        "易燃易爆场所": "flammable",
        "生产加工场所": "production",
        "仓储物流场所": "storage",
        "办公场所": "office",
        "其他场所": "other",
    },
    "scale": {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"},
    "fire_facilities": {
        "设有自动消防设施": "automatic",
        "设有室内消火栓系统": "hydrant",
        "仅配备灭火器材": "basic",
    },
}
LABEL = {key: {code: shown for shown, code in reversed(m.items())} for key, m in SHOWN.items()}
ZIHAO = (
    "鑫源华泰恒通达昌盛隆兴发宏运嘉瑞丰祥顺安康宁德福新创科信联合宇航博远天成正大银海洋东方北南中原"
    "伊龙门凯旋星光辉煌明亮伟业永久长青松柏云峰川湖美佳优良品尚雅诚惠众益民乐家欣荣耀锦绣夏九州万千"
    "百汇集聚力腾飞跃升君豪泽润晨曦若彤睿智卓越朗逸怡然翔宇骏驰铭坤鼎晟"
)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# ============================================================================================== files


def entity_keys() -> list[str]:
    from shuangsuiji.tabular import ENTITY_SPEC

    return [c.key for c in ENTITY_SPEC.columns]


def _org_part(n: int) -> str:
    """Seven base-31 characters, a bijection of n < 31**7. With "MB" in front this never meets the demo's
    codes (always "MA" + 7), so no generated USCC collides with the demo county."""
    value = (n * 2_654_435_761 + 97_531) % 31**7  # 2654435761 is coprime with 31: a permutation
    chars = []
    for _ in range(7):
        value, digit = divmod(value, 31)
        chars.append(USCC_ALPHABET[digit])
    return "".join(chars)


def _gbk(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def generate_rows(n: int) -> Iterator[list[str]]:
    """Rows in ENTITY_SPEC column order, as a county's export would have them (display values)."""
    from faker import Faker
    from stdnum.cn import uscc as stdnum_uscc

    from shuangsuiji.demo.county import DISTRICT, INDUSTRIES, STATIONS

    keys = entity_keys()
    rng = random.Random(SEED)  # nosec B311 — deterministic bench data
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    people = [p for p in (fake.name() for _ in range(PERSON_POOL)) if _gbk(p)]
    streets = [s for s in (fake.street_name() for _ in range(2_000)) if _gbk(s)]
    town_station = [(town, name) for _, name, towns in STATIONS for town in towns]
    industry_weights = [i.weight for i in INDUSTRIES]
    status_pop = list(SHOWN["status"])
    status_w = [80, 8, 4, 3, 2, 2, 1]
    credit_pop, credit_w = ["A类", "B类", "信用风险一般", "C类", "D类"], [60, 25, 5, 8, 2]
    company_types, company_w = ["企业", "有限责任公司", "有限责任公司（自然人投资或控股）"], [50, 30, 20]
    buildings = list(SHOWN["building_category"])
    building_w = [10, 50, 35, 5]
    today = date(2026, 1, 1)
    short = DISTRICT[3:]
    for serial in range(n):
        industry = rng.choices(INDUSTRIES, weights=industry_weights)[0]
        town, station = rng.choice(town_station)
        person = rng.choice(people)
        roll = rng.random()
        established = today - timedelta(days=rng.randint(30, 365 * 25))
        old = established.year < 2021
        region = "410381" if old else "410307"
        authority = "偃师市市场监督管理局" if old else "洛阳市偃师区市场监督管理局"
        fire = industry.fire_company
        credit = rng.choices(credit_pop, weights=credit_w)[0]
        if industry.shop_suffixes and roll < 0.30:
            kind, prefix = rng.choice(["个体工商户", "个体工商户", "个体户"]), "92"
            name = f"{short}{town}{person}{rng.choice(industry.shop_suffixes)}"
            fire = industry.fire_shop
            credit = credit if rng.random() < 0.5 else ""
        elif industry.name == "农业" and roll < 0.6:
            kind, prefix = "农民专业合作社", "93"
            name = f"{short}{town}{person[0]}{rng.choice(['种植', '养殖', '农机'])}专业合作社"
        elif roll > 0.985:
            kind = rng.choice(["事业单位", "机关"])
            prefix = "12" if kind == "事业单位" else "11"
            unit = rng.choice(["中心小学", "卫生院", "敬老院", "文化站"]) if prefix == "12" else "人民政府"
            name = f"{short}{town}{unit}"
            authority = "偃师区委机构编制委员会办公室"
            fire = "key" if prefix == "12" and rng.random() < 0.5 else "general"
        else:
            kind, prefix = rng.choices(company_types, weights=company_w)[0], "91"
            zihao = "".join(rng.choices(ZIHAO, k=rng.choice((2, 2, 2, 3, 4))))
            name = f"{rng.choice(['洛阳', '洛阳', '偃师', '河南'])}{zihao}{rng.choice(industry.company_suffixes)}"
            if fire == "general" and rng.random() < 0.06:
                fire = "key"
        if fire and rng.random() >= 0.6:
            fire = ""  # about half of all entities are in the fire brigade's remit
        if prefix == "92" and rng.random() < 0.03:
            code = f"4103816{serial:08d}"  # an individual business without a USCC yet: 15-digit 注册号
        else:
            body = f"{prefix}{region}MB{_org_part(serial)}"
            code = body + stdnum_uscc.calc_check_digit(body)
        building = occupancy = scale = facilities = ""
        if fire:
            building = rng.choices(buildings, weights=building_w)[0]
            occupancy = LABEL["occupancy"][industry.occupancy]
            scale = rng.choice(("大型", "中型")) if fire == "key" else rng.choice(("小型", "微型"))
            facilities = (
                "设有自动消防设施" if fire == "key" else rng.choice(("设有室内消火栓系统", "仅配备灭火器材"))
            )
        row = {
            "name": name,
            "code": code,
            "legal_representative": person,
            "address": f"{DISTRICT}{town}{rng.choice(streets)}{rng.randint(1, 399)}号",
            "registration_authority": authority,
            "jurisdiction": station,
            "town": town,
            "entity_type": kind,
            "industry": industry.name,
            "status": rng.choices(status_pop, weights=status_w)[0],
            "established_on": established.isoformat(),
            "credit_risk_class": credit,
            "fire_safety_category": LABEL["fire_safety_category"].get(fire, ""),
            "building_category": building,
            "occupancy": occupancy,
            "scale": scale,
            "fire_facilities": facilities,
        }
        yield [row[k] for k in keys]


def write_files(directory: Path, small: int, large: int) -> dict[str, Path]:
    """One generation pass: the first `small` rows go to the UTF-8 CSV, the GBK CSV and the .xlsx; all
    `large` rows to the big CSV. Streams (openpyxl write_only), so the parent process stays small."""
    from openpyxl import Workbook

    from shuangsuiji.tabular import ENTITY_SPEC

    headers = ENTITY_SPEC.headers()
    date_at = entity_keys().index("established_on")
    paths = {
        "csv": directory / f"entities_{small}.csv",
        "gbk": directory / f"entities_{small}_gbk.csv",
        "xlsx": directory / f"entities_{small}.xlsx",
    }
    if large:
        paths["csv_large"] = directory / f"entities_{large}.csv"
    files = {
        "csv": open(paths["csv"], "w", encoding="utf-8-sig", newline=""),
        "gbk": open(paths["gbk"], "w", encoding="gbk", newline=""),
    }
    if large:
        files["csv_large"] = open(paths["csv_large"], "w", encoding="utf-8-sig", newline="")
    writers = {k: csv.writer(f, lineterminator="\r\n") for k, f in files.items()}
    book = Workbook(write_only=True)
    sheet = book.create_sheet("检查对象名录")
    sheet.append(headers)
    for writer in writers.values():
        writer.writerow(headers)
    try:
        for i, row in enumerate(generate_rows(max(small, large))):
            if i < small:
                writers["csv"].writerow(row)
                writers["gbk"].writerow(row)
                cells: list[Any] = [v or None for v in row]  # Excel stores no empty cells
                cells[date_at] = date.fromisoformat(row[date_at])  # a real date cell, as Excel writes it
                sheet.append(cells)
            if large:
                writers["csv_large"].writerow(row)
    finally:
        for f in files.values():
            f.close()
    book.save(paths["xlsx"])
    return paths


# ====================================================================================== child side


def _peak_mib() -> tuple[float, float]:
    """(VmHWM, ru_maxrss) of this process in MiB. VmHWM belongs to the address space; ru_maxrss survives
    exec and so can carry the spawning parent's peak (the parent stays small here, so they agree)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024, maxrss
    except OSError:
        pass
    return maxrss, maxrss


def _child(task: dict[str, Any], queue: Any) -> None:
    try:
        os.environ.update(task["env"])
        if "DATABASE_URL" not in task["env"]:
            os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        if not task.get("debug_sql"):
            # SHUANGSUIJI_DEBUG=1 configures the app for a throwaway data dir; but with DEBUG Django also
            # keeps the SQL of the last 9,000 queries and renders every statement again for that log (a
            # 2,000-row bulk_create is ~0.5 MB of SQL): hundreds of MB and many seconds that production
            # (DEBUG off) never pays, and that only the ORM path would pay here. --debug-sql keeps it.
            settings.DEBUG = False

        if task["kind"] != "generate":
            connection.ensure_connection()
        result = TASKS[task["kind"]](task)
        connection.close()
    except BaseException as error:  # report, the parent prints it
        result = {"error": f"{error.__class__.__name__}: {error}", "traceback": traceback.format_exc()}
    if "peak_mib" not in result:
        result["peak_mib"], result["maxrss_mib"] = _peak_mib()
    result["load"] = os.getloadavg()[0]
    queue.put(json.dumps(result, ensure_ascii=False, default=str))


def task_setup(task: dict[str, Any]) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from shuangsuiji.demo.county import demo_load

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo_load(entities=100)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"seconds": time.perf_counter() - started}


def task_generate(task: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    paths = write_files(Path(task["dir"]), task["small"], task["large"])
    return {"seconds": time.perf_counter() - started, "paths": {k: str(v) for k, v in paths.items()}}


def task_baseline(task: dict[str, Any]) -> dict[str, Any]:
    """Django set up, app and import modules loaded, a connection: the floor under every peak figure."""
    import import_export.resources  # noqa: F401
    import python_calamine  # noqa: F401
    import tablib  # noqa: F401

    import shuangsuiji.directory.imports  # noqa: F401

    return {"seconds": 0.0}


def _department_ids() -> dict[str, int]:
    from shuangsuiji.accounts.models import Department

    index: dict[str, int] = {}
    for name, short, code, pk in Department.objects.filter(is_active=True).values_list(
        "name", "short_name", "code", "pk"
    ):
        for key in (name, short, code):
            if key:
                index.setdefault(key.strip(), pk)
    return index


def _raw_rows(path: str, encoding: str) -> Iterator[list[Any]]:
    """The data rows of a file, header skipped, no normalising: csv module, or calamine for .xlsx."""
    if path.endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows()
        next(rows)
        yield from rows
        return
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        yield from reader


FLOOR_COLUMNS = (
    "name", "uscc", "reg_no", "legal_representative", "address", "registration_authority",
    "jurisdiction_id", "town", "entity_type", "industry", "status", "established_on", "credit_risk_class",
    "fire_safety_category", "building_category", "occupancy", "scale", "fire_facilities", "created_at",
    "updated_at",
)  # fmt: skip


def task_floor(task: dict[str, Any]) -> dict[str, Any]:
    """Read + bulk insert with no validation (the enum labels and 管辖单位 go through one dict lookup)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from shuangsuiji.accounts.models import Department
    from shuangsuiji.directory.models import DirectoryListing, Entity

    departments = _department_ids()
    scjg = Department.objects.get(code="SCJG").pk
    et, st, cr, fs, bc, oc, sc, ff = (
        SHOWN[k]
        for k in (
            "entity_type", "status", "credit_risk_class", "fire_safety_category", "building_category",
            "occupancy", "scale", "fire_facilities",
        )
    )  # fmt: skip
    pg = connection.vendor == "postgresql"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    first_id = Entity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    entity_table, listing_table = Entity._meta.db_table, DirectoryListing._meta.db_table

    def convert(r: list[Any]) -> tuple[Any, ...]:
        code, founded = r[1], r[10]
        if isinstance(founded, datetime):
            founded = founded.date()
        if isinstance(founded, date):
            founded = founded if pg else founded.isoformat()
        return (
            r[0], code if len(code) == 18 else None, None if len(code) == 18 else code, r[2], r[3], r[4],
            departments.get(r[5]), r[6], et.get(r[7], "company"), r[8], st.get(r[9], "active"),
            founded or None, cr.get(r[11], ""), fs.get(r[12], ""), bc.get(r[13], ""), oc.get(r[14], ""),
            sc.get(r[15], ""), ff.get(r[16], ""), now, now,
        )  # fmt: skip

    cols = ", ".join(FLOOR_COLUMNS)
    started, cpu_started = time.perf_counter(), time.process_time()
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:
            raw = cursor.cursor
            with raw.copy(f"COPY {entity_table} ({cols}) FROM STDIN") as copy:
                for r in _raw_rows(task["path"], task["encoding"]):
                    copy.write_row(convert(r))
                    rows += 1
        else:
            raw = connection.connection
            sql = f"INSERT INTO {entity_table} ({cols}) VALUES ({', '.join('?' for _ in FLOOR_COLUMNS)})"
            chunk: list[tuple[Any, ...]] = []
            for r in _raw_rows(task["path"], task["encoding"]):
                chunk.append(convert(r))
                if len(chunk) == 10_000:
                    raw.executemany(sql, chunk)
                    rows += len(chunk)
                    chunk = []
            raw.executemany(sql, chunk)
            rows += len(chunk)
        cursor.execute(
            f"INSERT INTO {listing_table} (entity_id, department_id, listed_at) "
            f"SELECT id, %s, %s FROM {entity_table} WHERE id > %s",
            [scjg, now, first_id],
        )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak, maxrss = _peak_mib()  # before the digest below, which is not part of the measurement
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": rows,
        "peak_mib": peak,
        "maxrss_mib": maxrss,
        "entities": Entity.objects.count(),
        "digest": content_digest(),
    }


DIGEST_FIELDS = (
    "name", "uscc", "reg_no", "legal_representative", "address", "town", "registration_authority",
    "jurisdiction_id", "entity_type", "industry", "status", "established_on", "credit_risk_class",
    "fire_safety_category", "building_category", "occupancy", "scale", "fire_facilities",
)  # fmt: skip


def content_digest() -> str:
    """Order-independent digest of every entity's stored values and of the directory listings, to check
    that the floor and ours leave the same register (run after the timed part)."""
    import hashlib

    from shuangsuiji.directory.models import DirectoryListing, Entity

    total = 0
    for row in Entity.objects.values_list(*DIGEST_FIELDS).iterator(chunk_size=20_000):
        total += int.from_bytes(hashlib.blake2b(repr(row).encode(), digest_size=8).digest(), "big")
    listings = DirectoryListing.objects.filter(department__code="SCJG").count()
    return f"{total % 2**64:016x}/{listings}"


class PhaseTimer:
    """Wall time of batch-level calls inside the import (a few thousand calls: no per-row overhead).
    Whatever is not in a phase is the tabular read/normalise/validate loop (plus header, add())."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.in_process = False

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def install(self) -> None:
        from django.db import connection
        from django.db.models.query import QuerySet

        from shuangsuiji.directory import imports

        timer = self
        handler, writer = imports._EntityHandler, imports._NewEntities
        original_process, original_existing, original_write = handler.process, handler._existing, writer.write
        original_fetch, original_bulk_create = QuerySet._fetch_all, QuerySet.bulk_create
        original_bulk_update, original_audit = QuerySet.bulk_update, imports.audit_record
        how = "COPY" if connection.vendor == "postgresql" else "executemany"

        def process(self: Any, records: Any) -> None:
            started = time.perf_counter()
            timer.in_process = True
            try:
                original_process(self, records)
            finally:
                timer.in_process = False
                timer.add("handler.process", time.perf_counter() - started)

        def _existing(self: Any, records: Any) -> Any:
            started = time.perf_counter()
            try:
                return original_existing(self, records)
            finally:
                timer.add("lookup existing entities", time.perf_counter() - started)

        def write(self: Any, rows: Any, directory: Any) -> None:
            started = time.perf_counter()
            try:
                original_write(self, rows, directory)
            finally:
                timer.add(f"write new entities + listings ({how})", time.perf_counter() - started)

        def _fetch_all(self: Any) -> None:
            if not timer.in_process or self._result_cache is not None:
                return original_fetch(self)
            started = time.perf_counter()
            try:
                return original_fetch(self)
            finally:
                timer.add(f"lookup {self.model.__name__}", time.perf_counter() - started)

        def bulk_create(self: Any, objs: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original_bulk_create(self, objs, *args, **kwargs)
            finally:
                timer.add(f"bulk_create {self.model.__name__}", time.perf_counter() - started)

        def bulk_update(self: Any, objs: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original_bulk_update(self, objs, *args, **kwargs)
            finally:
                timer.add(f"bulk_update {self.model.__name__}", time.perf_counter() - started)

        def audit_record(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original_audit(*args, **kwargs)
            finally:
                timer.add("audit", time.perf_counter() - started)

        original_commit = connection.commit

        def commit() -> None:
            started = time.perf_counter()
            try:
                original_commit()
            finally:
                timer.add("COMMIT", time.perf_counter() - started)

        handler.process = process  # type: ignore[method-assign]
        handler._existing = _existing  # type: ignore[method-assign]
        writer.write = write  # type: ignore[method-assign]
        QuerySet._fetch_all = _fetch_all  # type: ignore[method-assign]
        QuerySet.bulk_create = bulk_create  # type: ignore[method-assign]
        QuerySet.bulk_update = bulk_update  # type: ignore[method-assign]
        imports.audit_record = audit_record  # type: ignore[assignment]
        connection.commit = commit  # type: ignore[method-assign]

    def breakdown(self, total: float) -> dict[str, float]:
        out = dict(self.seconds)
        process = out.pop("handler.process", 0.0)
        inner = sum(v for k, v in out.items() if k.startswith(("lookup", "bulk_", "write")))
        out["handler: resolve/classify rows"] = max(0.0, process - inner)
        out["tabular read+normalise (rest)"] = max(
            0.0, total - process - out.get("audit", 0.0) - out.get("COMMIT", 0.0)
        )
        return out


def task_ours(task: dict[str, Any]) -> dict[str, Any]:
    from shuangsuiji.accounts.models import Department
    from shuangsuiji.directory import imports
    from shuangsuiji.directory.models import DirectoryListing, Entity

    timer = PhaseTimer()
    if not task.get("profile"):
        timer.install()
    scjg = Department.objects.get(code="SCJG")
    before = Entity.objects.count()
    profiler = None
    if task.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    outcome = imports.register_import(
        kind="entities",
        source=task["path"],
        filename=Path(task["path"]).name,
        actor=None,
        directory=scjg,
        commit=True,
        update_existing=task.get("update", False),
        max_bytes=task["max_bytes"],
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    # a big file is read by a second process (tabular.parallel): its CPU and memory count too
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    reader_cpu = children.ru_utime + children.ru_stime - reaped.ru_utime - reaped.ru_stime
    reader_mib = children.ru_maxrss / 1024 if reader_cpu > 0 else 0.0
    result: dict[str, Any] = {
        "seconds": seconds,
        "cpu": cpu + reader_cpu,
        "reader_cpu": reader_cpu,
        "rows": outcome.rows,
        "counts": outcome.counts(),
    }
    result["peak_mib"], result["maxrss_mib"] = _peak_mib()  # before the checks and the digest below
    # both processes live through the import: the sum bounds their peak together
    result["peak_mib"] += reader_mib
    result["reader_mib"] = reader_mib
    if profiler is not None:
        profiler.disable()
        result["profile"] = profile_report(profiler)
    else:
        result["phases"] = timer.breakdown(seconds)
    if not outcome.committed or not outcome.ok:
        first = outcome.errors.items[:3] if outcome.errors else []
        raise RuntimeError(f"import not committed: {outcome.summary()} {outcome.file_error} {first}")
    expected = "unchanged" if task.get("update") else "new"
    if outcome.counts()[expected] != outcome.rows:
        raise RuntimeError(f"expected every row {expected}: {outcome.counts()}")
    result["entities"] = Entity.objects.count()
    result["added"] = result["entities"] - before
    if not task.get("update") and not task.get("profile"):
        result["digest"] = content_digest()
    result["listings"] = DirectoryListing.objects.filter(department=scjg).count()
    return result


def profile_report(profiler: Any) -> dict[str, Any]:
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = max(s[3] for s in stats.stats.values())  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "shuangsuiji/tabular" in filename:
            group = "shuangsuiji.tabular (read, normalise, validate)"
        elif "shuangsuiji/directory/imports" in filename:
            group = "directory.imports (handler loop)"
        elif "django/db/models/base" in filename or "django/db/models/fields/related_desc" in filename:
            group = "django Model.__init__ / attribute descriptors"
        elif "django/db" in filename:
            group = "django.db (ORM: SQL build, lookups, bulk_create)"
        elif "psycopg" in filename or "sqlite3" in filename:
            group = "driver (psycopg / sqlite3 Python side)"
        elif filename == "~":
            if "_csv" in name or "TextIOWrapper" in name or "decode" in name:
                group = "builtins: csv parsing / decoding"
            elif "execute" in name or "copy" in name.lower() or "psycopg" in name or "sqlite3" in name:
                group = "builtins: database round trips (execute)"
            else:
                group = "builtins: other (str, dict, re …)"
        elif "django" in filename:
            group = "django (other)"
        else:
            group = "other"
        groups[group] = groups.get(group, 0.0) + tottime
    stats.strip_dirs().sort_stats("cumulative").print_stats(25)
    return {"total": total, "groups": groups, "text": out.getvalue()}


def task_ie(task: dict[str, Any]) -> dict[str, Any]:
    """What a Django developer reaches for: django-import-export, a ModelResource and import_data()."""
    import tablib
    from import_export import fields, resources, widgets

    from shuangsuiji.accounts.models import Department
    from shuangsuiji.directory.models import Entity
    from shuangsuiji.tabular import ENTITY_SPEC

    class Choice(widgets.Widget):
        def __init__(self, mapping: dict[str, str], default: str) -> None:
            super().__init__()
            self.mapping, self.default = mapping, default

        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            value = (value or "").strip()
            return self.mapping.get(value, value) if value else self.default

    header = dict(zip(entity_keys(), ENTITY_SPEC.headers(), strict=True))
    declared: dict[str, Any] = {}
    for key in entity_keys():
        attribute = "uscc" if key == "code" else key
        if key == "jurisdiction":
            widget: Any = widgets.ForeignKeyWidget(Department, field="name")
        elif key == "established_on":
            widget = widgets.DateWidget(format="%Y-%m-%d")
        elif key in SHOWN:
            widget = Choice(SHOWN[key], Entity._meta.get_field(key).get_default())
        else:
            widget = widgets.CharWidget()
        declared[attribute] = fields.Field(attribute=attribute, column_name=header[key], widget=widget)
    meta = type("Meta", (), {"model": Entity, "import_id_fields": ("uscc",), "fields": tuple(declared)})
    resource_class = type("EntityResource", (resources.ModelResource,), {**declared, "Meta": meta})
    before = Entity.objects.count()
    started, cpu_started = time.perf_counter(), time.process_time()
    with open(task["path"], encoding="utf-8-sig", newline="") as f:
        dataset = tablib.Dataset().load(f.read(), format="csv")
    loaded = time.perf_counter() - started
    result = resource_class().import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if result.has_errors() or result.has_validation_errors():
        raise RuntimeError(f"import-export reported errors: {result.totals}")
    added = Entity.objects.count() - before
    return {"seconds": seconds, "cpu": cpu, "load_seconds": loaded, "rows": len(dataset), "added": added}


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "generate": task_generate,
    "setup": task_setup,
    "baseline": task_baseline,
    "floor": task_floor,
    "ours": task_ours,
    "ie": task_ie,
}


# ====================================================================================== parent side


def measure(task: dict[str, Any]) -> dict[str, Any]:
    import queue as queues

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(task, queue))
    process.start()
    try:
        while True:
            try:
                result: dict[str, Any] = json.loads(queue.get(timeout=1))
                break
            except queues.Empty:
                if not process.is_alive():
                    result = {"error": f"child process died (exit code {process.exitcode})"}
                    break
        process.join()
    finally:
        if process.is_alive():  # interrupted: do not leave our child running
            process.terminate()
            process.join()
    if "error" in result:
        print(f"  ! {task['kind']} failed: {result['error']}\n{result.get('traceback', '')}", flush=True)
    return result


def _pg_admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute("SET statement_timeout = '120s'")
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path, files: dict[str, Path]) -> None:
        self.args, self.tmp, self.files = args, tmp, files
        self.results: list[dict[str, Any]] = []
        self.runs = 0
        self.pg_db, self.pg_template = args.pg_db, f"{args.pg_db}_tpl"

    # -- databases

    def env(self, db: str, data_dir: Path, name: str | None = None) -> dict[str, str]:
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SHUANGSUIJI_DEBUG": "1",
            "SHUANGSUIJI_DATA_DIR": str(data_dir),
            "SHUANGSUIJI_LOG_LEVEL": "ERROR",
        }
        if db == "postgres":
            env["DATABASE_URL"] = f"{PG_SERVER}/{name or self.pg_db}"
        return env

    def setup_template(self, db: str) -> float:
        data_dir = self.tmp / f"{db}-template"
        data_dir.mkdir()
        if db == "postgres":
            self.drop_databases()
            _pg_admin(f"CREATE DATABASE {self.pg_template}")
        result = measure({"kind": "setup", "env": self.env(db, data_dir, self.pg_template)})
        if "error" in result:
            raise SystemExit(f"setup failed on {db}")
        return float(result["seconds"])

    def fresh(self, db: str) -> dict[str, str]:
        """A fresh copy of the template database; returns the child environment pointing at it."""
        self.runs += 1
        data_dir = self.tmp / f"{db}-run{self.runs}"
        data_dir.mkdir()
        if db == "postgres":
            _pg_admin(
                f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)",
                f"CREATE DATABASE {self.pg_db} TEMPLATE {self.pg_template}",
            )
        else:
            shutil.copy(
                self.tmp / "sqlite-template" / "shuangsuiji.sqlite3", data_dir / "shuangsuiji.sqlite3"
            )
        previous = self.tmp / f"{db}-run{self.runs - 1}"
        if previous.exists():
            shutil.rmtree(previous, ignore_errors=True)
        return self.env(db, data_dir)

    def drop_databases(self) -> None:
        _pg_admin(
            f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)",
            f"DROP DATABASE IF EXISTS {self.pg_template} WITH (FORCE)",
        )

    def run(self, db: str, file: str, what: str, task: dict[str, Any]) -> dict[str, Any]:
        """Fresh database (unless the task carries one), then the measurement; errors are recorded."""
        try:
            env = task.pop("env", None) or self.fresh(db)
        except Exception as error:  # e.g. the template is in use by someone else's session
            result: dict[str, Any] = {"error": f"fresh database: {error.__class__.__name__}: {error}"}
            print(f"  ! {DB_LABEL[db]} {file} {what}: {result['error']}", flush=True)
        else:
            result = measure({**task, "env": env, "debug_sql": self.args.debug_sql})
            result["env"] = env
        return self.record(db, file, what, result)

    # -- measurements

    def record(self, db: str, file: str, what: str, result: dict[str, Any], **extra: Any) -> dict[str, Any]:
        entry = {"db": db, "file": file, "what": what, **result, **extra}
        self.results.append(entry)
        if "error" not in result:
            rows = result.get("rows", 0)
            print(
                f"  {DB_LABEL[db]:10} {file:14} {what:34} {rows:>9,} rows {result['seconds']:8.2f} s "
                f"(cpu {result.get('cpu', 0):6.2f} s) "
                f"{rows / result['seconds'] if result['seconds'] else 0:>9,.0f} rows/s  peak {result['peak_mib']:6.0f} MiB",
                flush=True,
            )
            for name, seconds in sorted(result.get("phases", {}).items(), key=lambda kv: -kv[1]):
                print(f"      {name:40} {seconds:7.2f} s", flush=True)
        return entry

    def file_task(self, key: str) -> dict[str, Any]:
        path = self.files[key]
        return {
            "path": str(path),
            "encoding": "gbk" if key == "gbk" else "utf-8-sig",
            "max_bytes": max(200 * 1024 * 1024, path.stat().st_size + 1),
        }

    def floor(self, db: str, key: str) -> None:
        self.run(db, key, "floor (no validation)", {"kind": "floor", **self.file_task(key)})

    def ours(self, db: str, key: str, update: bool = True) -> None:
        task = {"kind": "ours", **self.file_task(key)}
        first = self.run(db, key, "ours: new rows", dict(task))
        if update and "error" not in first:  # the re-import runs on the database the first run filled
            self.run(
                db, key, "ours: re-import (update, unchanged)", {**task, "update": True, "env": first["env"]}
            )

    def ie(self, db: str) -> None:
        self.run(db, "csv", "django-import-export", {"kind": "ie", **self.file_task("csv")})

    def profile(self, db: str, key: str) -> dict[str, Any]:
        entry = self.run(db, key, "cProfile", {"kind": "ours", "profile": True, **self.file_task(key)})
        self.results.remove(entry)
        return entry


# ======================================================================================== reporting


def find(results: list[dict[str, Any]], db: str, file: str, what: str) -> dict[str, Any] | None:
    for r in results:
        if r["db"] == db and r["file"] == file and r["what"] == what and "error" not in r:
            return r
    return None


def print_table(results: list[dict[str, Any]], file_label: dict[str, str]) -> None:
    head = (
        f"{'db':10} {'file':22} {'measurement':36} {'rows':>9} {'seconds':>8} {'cpu s':>7} {'rows/s':>9} {'peak MB':>8} "
        f"{'x floor':>8} {'vs i-e':>8} {'load':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        if "error" in r:
            print(
                f"{DB_LABEL[r['db']]:10} {file_label[r['file']]:22} {r['what']:36} FAILED: {r['error'][:60]}"
            )
            continue
        floor = find(results, r["db"], r["file"], "floor (no validation)")
        ie = find(results, r["db"], "csv", "django-import-export")
        rate = r["rows"] / r["seconds"]
        x_floor = f"{r['seconds'] / floor['seconds']:7.1f}x" if floor else "-"
        vs_ie = f"{rate / (ie['rows'] / ie['seconds']):7.1f}x" if ie else "-"
        print(
            f"{DB_LABEL[r['db']]:10} {file_label[r['file']]:22} {r['what']:36} {r['rows']:>9,} {r['seconds']:>8.2f} "
            f"{r.get('cpu', 0):>7.2f} "
            f"{rate:>9,.0f} {r['peak_mib']:>8.0f} {x_floor:>8} {vs_ie:>8} {r.get('load', 0):5.1f}"
        )
    print(
        "cpu s = the measuring process's own CPU time, plus its file-reading process's for files read in a second "
        "process (the database server's is not in it); x floor = seconds / the floor's seconds on the same file "
        "and database; vs i-e = rows/s ÷ django-import-export's rows/s (10^5 CSV) on the same database; peak MB = "
        "the child's VmHWM (its own address space) plus its file-reading process's peak RSS; "
        "load = 1-min load average when the measurement ended (2 cores, shared machine)."
    )


def verdicts(results: list[dict[str, Any]], big: str, prefix: str) -> list[str]:
    lines = []
    for db in ("postgres", "sqlite"):
        ours = find(results, db, big, f"{prefix}: new rows")
        floor = find(results, db, big, "floor (no validation)")
        ie = find(results, db, "csv", "django-import-export")
        small = find(results, db, "csv", f"{prefix}: new rows")
        if ours is None:
            continue
        tag = "" if db == "postgres" else " (info: targets are for PostgreSQL)"

        def verdict(ok: bool) -> str:
            return "PASS" if ok else "FAIL"

        lines.append(f"{DB_LABEL[db]}, {prefix}{tag}:")
        lines.append(
            f"  [{verdict(ours['seconds'] < TARGET_SECONDS)}] {ours['rows']:,}-row CSV in under {TARGET_SECONDS:.0f} s: "
            f"{ours['seconds']:.1f} s ({ours['rows'] / ours['seconds']:,.0f} rows/s)"
        )
        if floor:
            ratio = ours["seconds"] / floor["seconds"]
            lines.append(
                f"  [{verdict(ratio <= TARGET_FLOOR_RATIO)}] within {TARGET_FLOOR_RATIO:.0f}x the raw floor: {ratio:.2f}x "
                f"({floor['seconds']:.1f} s floor)"
            )
        if ie:
            ie_rate = ie["rows"] / ie["seconds"]
            at_big = ours["rows"] / ours["seconds"] / ie_rate
            same = small["rows"] / small["seconds"] / ie_rate if small else at_big
            on_same = f"{same:.1f}x on the same 10^5 file, " if small and small is not ours else ""
            lines.append(
                f"  [{verdict(min(same, at_big) >= TARGET_IE_SPEEDUP)}] >= {TARGET_IE_SPEEDUP:.0f}x django-import-export: "
                f"{on_same}{at_big:.1f}x in rows/s at {ours['rows']:,} rows (import-export {ie_rate:,.0f} rows/s)"
            )
        peaks = [
            r["peak_mib"]
            for r in results
            if r["db"] == db and r["what"].split(":")[0] == prefix and "error" not in r
        ]
        lines.append(
            f"  [{verdict(max(peaks) < TARGET_PEAK_MB)}] peak memory under 1 GB: max {max(peaks):.0f} MiB over "
            f"{len(peaks)} runs ({ours['peak_mib']:.0f} MiB at {ours['rows']:,} rows)"
        )
    return lines


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10^5 rows only (no 10^6 file)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--small", type=int, default=100_000, help="rows of the CSV/GBK/xlsx files")
    parser.add_argument("--large", type=int, default=1_000_000, help="rows of the big CSV")
    parser.add_argument("--no-ie", dest="ie", action="store_false", help="skip django-import-export")
    parser.add_argument(
        "--ie-sqlite",
        action="store_true",
        help="django-import-export on SQLite too (~2 min; on with --quick)",
    )
    parser.add_argument(
        "--large-reimport",
        action="store_true",
        help="also time the as-is re-import of the big CSV (one Department SELECT a row: ~10x the 10^5 figure)",
    )
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument(
        "--profile-small",
        action="store_true",
        help="profile the 10^5 CSV instead of the big one (saves ~5 min)",
    )
    parser.add_argument("--keep", type=Path, help="write the files here and keep them (and the databases)")
    parser.add_argument(
        "--debug-sql",
        action="store_true",
        help="keep Django's DEBUG query log in the children (off by default)",
    )
    parser.add_argument(
        "--pg-db",
        default=PG_DB,
        help=f"PostgreSQL database to drop and create (default {PG_DB}; template: <name>_tpl)",
    )
    args = parser.parse_args()
    large = 0 if args.quick else args.large
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    started_all = time.perf_counter()
    os.nice(5)
    signal.signal(signal.SIGTERM, _interrupt)  # e.g. `timeout`: stop the child, print what was measured
    with tempfile.TemporaryDirectory(prefix="ssj-bench-import-") as tmp_name:
        tmp = Path(tmp_name)
        file_dir = args.keep or tmp / "files"
        file_dir.mkdir(parents=True, exist_ok=True)
        gen_dir = tmp / "generate"
        gen_dir.mkdir()
        generated = measure(
            {"kind": "generate", "env": {"DJANGO_SETTINGS_MODULE": "config.settings", "SHUANGSUIJI_DEBUG": "1",
             "SHUANGSUIJI_DATA_DIR": str(gen_dir)}, "dir": str(file_dir), "small": args.small, "large": large}
        )  # fmt: skip
        if "error" in generated:
            raise SystemExit("could not generate the files")
        files = {k: Path(v) for k, v in generated["paths"].items()}
        print(
            f"generated in {generated['seconds']:.1f} s (peak {generated['peak_mib']:.0f} MiB):", flush=True
        )
        for key, path in files.items():
            print(f"  {key:10} {path.name:28} {path.stat().st_size / 2**20:8.1f} MiB", flush=True)
        big = "csv_large" if large else "csv"
        file_label = {
            "csv": f"{args.small:,} CSV UTF-8 BOM",
            "gbk": f"{args.small:,} CSV GBK",
            "xlsx": f"{args.small:,} xlsx",
            "csv_large": f"{large:,} CSV UTF-8 BOM",
        }
        notes = xlsx_notes(files, args.small, large)
        bench = Bench(args, tmp, files)
        base: dict[str, float] = {}
        profile: dict[str, Any] | None = None
        profiled = "csv" if args.profile_small else big
        try:
            for db in dbs:
                print(f"\n== {DB_LABEL[db]}", flush=True)
                setup_s = bench.setup_template(db)
                base[db] = measure({"kind": "baseline", "env": bench.fresh(db)})["peak_mib"]
                print(f"  template (migrate + demo_load(entities=100)) {setup_s:.1f} s; "
                      f"Django + app loaded, connected: peak {base[db]:.0f} MiB", flush=True)  # fmt: skip
                for key in ("csv", "gbk", "xlsx"):
                    bench.floor(db, key)
                    bench.ours(db, key, update=key == "csv")
                if args.ie and (db == "postgres" or args.ie_sqlite or args.quick):
                    bench.ie(db)
                if large:
                    bench.floor(db, "csv_large")
                    bench.ours(db, "csv_large", update=args.large_reimport)
            if args.profile and "postgres" in dbs:
                print(f"\n== cProfile of ours, {file_label[profiled]}, PostgreSQL", flush=True)
                profile = bench.profile("postgres", profiled)
        except KeyboardInterrupt:
            print("\n!! interrupted: printing what was measured so far", flush=True)
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if not args.keep and "postgres" in dbs:
                bench.drop_databases()
        results = bench.results

    print(
        f"\n===== Entity import, {', '.join(DB_LABEL[d] for d in dbs)} (load average {os.getloadavg()[0]:.1f}) ====="
    )
    print_table(results, file_label)
    print("\n".join(notes))
    print("\n".join(consistency_notes(results, file_label)))
    print("Baseline peak (Django + app + connection, nothing imported): "
          + ", ".join(f"{DB_LABEL[d]} {m:.0f} MiB" for d, m in base.items()))  # fmt: skip
    print("\nTargets (issue 3), as is:")
    print("\n".join(verdicts(results, big, "ours")))
    if profile and "error" not in profile:
        prof = profile["profile"]
        print(
            f"\n===== cProfile: ours, {file_label[profiled]} into PostgreSQL ({profile['seconds']:.1f} s under the profiler) ====="
        )
        print("Own time by package:")
        for group, seconds in sorted(prof["groups"].items(), key=lambda kv: -kv[1]):
            print(f"  {group:52} {seconds:7.1f} s  {seconds / prof['total'] * 100:5.1f}%")
        print("\n".join(line for line in prof["text"].splitlines() if line.strip()))
    print(f"\ntotal run time {time.perf_counter() - started_all:.0f} s")


def consistency_notes(results: list[dict[str, Any]], file_label: dict[str, str]) -> list[str]:
    lines = []
    groups: dict[tuple[str, str], dict[str, str]] = {}
    for r in results:
        if r.get("digest"):
            groups.setdefault((r["db"], r["file"]), {})[r["what"].split(":")[0].split(" (")[0]] = r["digest"]
    for (db, file), digests in groups.items():
        same = len(set(digests.values())) == 1
        lines.append(
            f"Stored register, {DB_LABEL[db]} {file_label[file]}: "
            + ("identical" if same else "DIFFERENT")
            + " for "
            + ", ".join(f"{k} [{v}]" for k, v in digests.items())
        )
    gaps = [abs(r["peak_mib"] - r["maxrss_mib"]) for r in results if "peak_mib" in r and "maxrss_mib" in r]
    if gaps:
        lines.append(
            f"ru_maxrss (RUSAGE_SELF) vs VmHWM: largest difference {max(gaps):.1f} MiB over {len(gaps)} runs"
        )
    return lines


def xlsx_notes(files: dict[str, Path], small: int, large: int) -> list[str]:
    """Show the max_workbook_cells refusal on the small xlsx with the limit scaled down, and what it means
    for a 10^6-row sheet (measured without loading it: the guard counts <c> elements while scanning)."""
    from shuangsuiji.tabular import DEFAULT_LIMITS, Limits, TabularError, open_table

    cells_per_row = len(entity_keys())
    scaled = Limits(max_workbook_cells=small * cells_per_row // 4)
    try:
        with open_table(files["xlsx"], limits=scaled):
            refused = "not refused (?)"
    except TabularError as error:
        refused = f"refused ({error.code}): {error.message}"
    limit = DEFAULT_LIMITS.max_workbook_cells
    rows = large or 1_000_000
    return [
        f"xlsx at {rows:,} rows: not measured. tabular refuses sheets above Limits.max_workbook_cells = "
        f"{limit:,} cells; a {rows:,}-row sheet of these {cells_per_row} columns has up to {rows * cells_per_row:,} "
        f"cells (the limit allows about {limit // cells_per_row:,} full rows). Same guard, limit scaled to "
        f"{scaled.max_workbook_cells:,} on the {small:,}-row xlsx: {refused}",
        f"Note: files over {DEFAULT_LIMITS.max_file_bytes // 2**20} MB (tabular's default and "
        "SHUANGSUIJI_UPLOAD_MAX_MB) are refused; the benchmark passes max_bytes to register_import for them.",
    ]


if __name__ == "__main__":
    main()
