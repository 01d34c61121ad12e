"""Importing the registers (两库 and 抽查事项清单) from the files other systems export.

One streaming pass: `tabular` reads, normalises and validates every cell; the handlers here resolve
names against the database in batches (departments, existing entities, inspectors) and classify each row
as new, updated or unchanged. With `commit=True` each batch is written as it goes, inside ONE
transaction that is rolled back at the end if any row was rejected and the user did not choose "import
the valid rows" — so a file with errors imports nothing, and memory stays bounded by the batch size.

New entities (and their listing in the importing department's directory) skip the ORM: they are written
with COPY on PostgreSQL and one executemany on SQLite, still inside that transaction, with every column
the ORM would have set (model defaults, created/updated timestamps). See docs/decisions/0005-imports.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from shuangsuiji import tabular
from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.selectors import root_of, visible_department_ids
from shuangsuiji.audit.services import audit_record
from shuangsuiji.catalog.models import InspectionItem, ResultCodeSet
from shuangsuiji.catalog.services import FIELDS as ITEM_FIELDS
from shuangsuiji.directory.models import Conflict, DirectoryListing, Entity, Inspector, Status
from shuangsuiji.tabular.parallel import ProcessRecordReader, read_records_in_process

BATCH = 2000
# Entities go by 10,000: a tenth of the lookups and COPY statements of 2,000, and still only ~10 MB of
# records in memory (benchmarks/bench_import.py).
ENTITY_BATCH = 10_000
KINDS = {
    "entities": (tabular.ENTITY_SPEC, "检查对象名录"),
    "inspectors": (tabular.INSPECTOR_SPEC, "执法检查人员名录"),
    "items": (tabular.INSPECTION_ITEM_SPEC, "抽查事项清单"),
    "conflicts": (tabular.CONFLICT_SPEC, "回避申报"),
}
MARK_MISSING = {"deregistered": Status.DEREGISTERED, "moved_out": Status.MOVED_OUT}
Report = Callable[[int, str], None]


@dataclass
class ImportOutcome:
    kind: str
    filename: str
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    marked: int = 0
    errors: tabular.ErrorLog = field(default_factory=tabular.ErrorLog)
    warnings: list[str] = field(default_factory=list)
    file_error: str = ""
    committed: bool = False
    valid_rows_only: bool = False

    @property
    def rejected(self) -> int:
        return self.errors.rows_with_errors

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.errors

    def summary(self) -> str:
        if self.file_error:
            return f"文件无法导入：{self.file_error}"
        parts = f"新增 {self.new}，更新 {self.updated}，未变化 {self.unchanged}，有误 {self.rejected} 行"
        if self.marked:
            parts += f"，标记为注销/迁出 {self.marked}"
        if self.committed:
            return (
                "已导入（仅导入无误的行）：" if self.valid_rows_only and self.rejected else "已导入："
            ) + parts
        if self.errors and not self.valid_rows_only:
            return f"{parts}。{self.errors.summary()}"
        return f"预览：{parts}"

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "marked": self.marked,
            "errors": len(self.errors),
        }


class _Rollback(Exception):
    pass


def _department_index(queryset: Iterable[Department]) -> dict[str, Department]:
    index: dict[str, Department] = {}
    for department in queryset:
        for name in (department.name, department.short_name, department.code):
            if name:
                index.setdefault(name.strip(), department)
    return index


def _scope(actor: Any) -> tuple[frozenset[int] | None, bool]:
    """(visible department ids or None for all, whether the actor is a system-level importer)."""
    if actor is None:
        return None, True
    return visible_department_ids(actor), Role.SYSADMIN in actor.role_set


def _probe(
    table: type[models.Model], select: str, column: str, values: list[Any], where: str = "", *params: Any
) -> tuple[str, list[Any]]:
    """SQL and parameters for the rows whose `column` (unique, given `where`) is one of `values`.

    The values go as ONE parameter, an array on PostgreSQL and a JSON list on SQLite: `__in` with a batch of
    10,000 parameters costs more to compile, bind and plan than the query takes to run. On PostgreSQL each
    value is one index probe (a LIMIT 1 lateral subquery the planner cannot turn into a scan): during an
    import the table's statistics still describe it as it was before, and `= ANY(…)` was planned as a
    sequential scan of a table growing to a million rows, once a batch.
    """
    name = connection.ops.quote_name(table._meta.db_table)
    if connection.vendor == "postgresql":
        array = "bigint[]" if isinstance(values[0], int) else "text[]"  # ids or codes
        sql = (
            f"SELECT found.* FROM unnest(%s::{array}) AS probe(value) CROSS JOIN LATERAL "  # noqa: S608  # nosec B608
            f"(SELECT {select} FROM {name} WHERE {where}{column} = probe.value LIMIT 1) AS found"
        )
        return sql, [values, *params]
    sql = f"SELECT {select} FROM {name} WHERE {where}{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608  # nosec B608
    return sql, [*params, json.dumps(values)]


class _Handler:
    """Collects a batch of valid records, resolves them against the database and classifies them."""

    fields: tuple[str, ...] = ()
    batch_size = BATCH

    def __init__(
        self,
        outcome: ImportOutcome,
        actor: Any,
        update_existing: bool,
        write: bool,
        directory: Department | None,
    ) -> None:
        self.outcome, self.actor, self.update_existing, self.write = outcome, actor, update_existing, write
        self.directory = directory
        self.batch: list[tabular.Record] = []
        self.visible, self.system = _scope(actor)

    def add(self, record: tabular.Record) -> None:
        self.batch.append(record)
        if len(self.batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.process(self.batch)
            self.batch = []

    def reject(self, record: tabular.Record, column: str, value: Any, message: str) -> None:
        self.outcome.errors.add(record.row, column, value, message)

    def process(self, records: list[tabular.Record]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        self.flush()

    def _apply(self, obj: Any, values: dict[str, Any]) -> list[str]:
        changed = []
        for name in self.fields:
            if name not in values:
                continue
            value = values[name]
            if isinstance(value, models.Model):
                # A resolved foreign key: compare ids. Reading `obj.<name>` would load the related row,
                # one SELECT for every existing record of a re-import.
                if getattr(obj, obj._meta.get_field(name).attname) == value.pk:
                    continue
            elif getattr(obj, name) == value:
                continue
            setattr(obj, name, value)
            changed.append(name)
        return changed


class _NewEntities:
    """Writes new entities, and their listing in a department's object directory, with the database's
    bulk path inside the current transaction: COPY on PostgreSQL, executemany on SQLite.

    Every concrete column of `Entity` is written as the ORM would write it: the record's value or the
    field's default, the model's default for a column imports never set, the batch's timestamp for
    auto_now/auto_now_add fields, and a primary key taken from the table's sequence beforehand (so that
    the listings go the same way).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        if connection.vendor not in ("postgresql", "sqlite"):
            raise NotImplementedError(f"imports support PostgreSQL and SQLite, not {connection.vendor}")
        self.pg = connection.vendor == "postgresql"
        meta, ops = Entity._meta, connection.ops
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        stamps = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        by_name = {f.name: f for f in fields}
        self.keys = tuple(keys)  # a new row: [jurisdiction_id, *(the record's value or default per key)]
        imported = [by_name["jurisdiction"], *(by_name[k] for k in self.keys)]
        self.defaults = tuple(f.get_default() for f in imported[1:])
        rest = [f for f in fields if f not in imported and f not in stamps]
        self.rest = tuple(self._adapted(f, f.get_default()) for f in rest)
        self.stamp_count = len(stamps)
        # SQLite takes dates as text: the positions to adapt in a written row (the pk first).
        self.dates = [
            (1 + i, self._adapter(f)) for i, f in enumerate(imported) if isinstance(f, models.DateField)
        ]
        quote = ops.quote_name
        entity_table, listing_table = quote(meta.db_table), quote(DirectoryListing._meta.db_table)
        columns = ", ".join(
            quote(c) for c in (meta.pk.column, *(f.column for f in (*imported, *rest, *stamps)))
        )
        listed = {f.name: f.column for f in DirectoryListing._meta.concrete_fields}
        listing = ", ".join(quote(listed[name]) for name in ("entity", "department", "listed_at"))
        marks = ", ".join(["%s"] * (1 + len(imported) + len(rest) + len(stamps)))
        # Identifiers from the model's metadata, quoted; every value goes as a parameter or through COPY.
        self.copy_entities = f"COPY {entity_table} ({columns}) FROM STDIN"
        self.copy_listings = f"COPY {listing_table} ({listing}) FROM STDIN"
        self.insert_entities = f"INSERT INTO {entity_table} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608
        self.insert_listings = f"INSERT INTO {listing_table} ({listing}) VALUES (%s, %s, %s)"  # noqa: S608  # nosec B608
        self.take_ids = (
            "SELECT array(SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s))"
            if self.pg
            # SQLite's AUTOINCREMENT hands out max(largest id, sqlite_sequence) + 1, …
            else f"SELECT max(coalesce((SELECT max({quote(meta.pk.column)}) FROM {entity_table}), 0), "  # noqa: S608  # nosec B608
            "coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))"
        )
        self.take_ids_params: list[Any] = [entity_table, meta.pk.column] if self.pg else [meta.db_table]
        self.written = 0
        self.table_locked = False  # set when the import holds the register against other writers
        self.held = self._register_size() if self.pg else 0
        self.dropped: list[str] = []  # CREATE INDEX statements to run before the transaction commits

    # PostgreSQL, a bulk load: once an import has written more new entities than the register held when it
    # started (and at least BULK_LOAD_ROWS), keeping every secondary index up to date row by row, and
    # checking (and key-share locking) a referenced row for every foreign key of every new row, cost more
    # than building the indexes afresh and validating each foreign key with one join at the end. The
    # secondary (non-unique) indexes and the foreign keys of the two tables are then dropped inside the
    # import's transaction and re-created from their own definitions before it commits; a rollback restores
    # them with everything else. Meanwhile other sessions wait to read those tables (the drop locks them):
    # acceptable for the first load of a register, which is when it happens (benchmarks/bench_import.py).
    BULK_LOAD_ROWS = 20_000

    def _register_size(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [Entity._meta.db_table]
            )
            estimate = int(cursor.fetchone()[0])
            if estimate < 0:  # never analysed: count (a new table is small)
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(Entity._meta.db_table)}")  # noqa: S608  # nosec B608
                estimate = int(cursor.fetchone()[0])
        return estimate

    def _bulk_load_begin(self, cursor: Any) -> None:
        tables = [Entity._meta.db_table, DirectoryListing._meta.db_table]
        quote = connection.ops.quote_name
        # the foreign-key checks of the rows written so far run now (PostgreSQL alters no table with
        # pending trigger events)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid IN (%s::regclass, %s::regclass) AND NOT x.indisunique AND NOT x.indisprimary "
            "ORDER BY c.relname",
            tables,
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f"DROP INDEX {quote(name)}")
            self.dropped.append(definition)
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid IN (%s::regclass, %s::regclass) ORDER BY conname",
            tables,
        )
        for table, name, definition in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            self.dropped.append(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def finish(self) -> None:
        """Re-create what a bulk load dropped (inside the import's transaction): the indexes, then the
        foreign keys (each validated by one join over the table)."""
        if not self.dropped:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for definition in self.dropped:
                cursor.execute(definition)
        self.dropped = []

    def _adapter(self, field: models.Field[Any, Any]) -> Callable[[Any], Any]:
        ops = connection.ops
        if isinstance(field, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return ops.adapt_datefield_value
        return lambda value: value

    def _adapted(self, field: models.Field[Any, Any], value: Any) -> Any:
        return value if self.pg or value is None else self._adapter(field)(value)

    def row(self, jurisdiction_id: int, values: dict[str, Any]) -> list[Any]:
        return [jurisdiction_id, *map(values.get, self.keys, self.defaults)]

    def write(self, rows: list[list[Any]], directory: Department | None) -> None:
        now = timezone.now()
        with connection.cursor() as cursor:
            ids = self._take_ids(cursor, len(rows))
            if self.pg:
                tail = (*self.rest, *(now,) * self.stamp_count)
                raw = cursor.cursor  # psycopg's own cursor, for COPY
                with raw.copy(self.copy_entities) as copy:
                    for pk, row in zip(ids, rows, strict=True):
                        copy.write_row((pk, *row, *tail))
                if directory is not None:
                    with raw.copy(self.copy_listings) as copy:
                        for pk in ids:
                            copy.write_row((pk, directory.pk, now))
                self.written += len(rows)
                if not self.dropped and self.written >= max(self.BULK_LOAD_ROWS, self.held):
                    self._bulk_load_begin(cursor)
                return
            stamp = connection.ops.adapt_datetimefield_value(now)
            tail = (*self.rest, *(stamp,) * self.stamp_count)
            written = []
            for pk, row in zip(ids, rows, strict=True):
                values = [pk, *row, *tail]
                for i, adapt in self.dates:
                    if values[i] is not None:
                        values[i] = adapt(values[i])
                written.append(values)
            cursor.executemany(self.insert_entities, written)
            if directory is not None:
                cursor.executemany(self.insert_listings, [(pk, directory.pk, stamp) for pk in ids])

    def _take_ids(self, cursor: Any, count: int) -> list[int]:
        """Ids for the new rows, from the table's sequence. On SQLite this transaction holds the write
        lock (transaction_mode IMMEDIATE; in WAL mode a stale snapshot cannot write either), so nobody
        else takes them; an id taken anyway would fail on the primary key, never overwrite a row."""
        if self.pg and self.table_locked:
            # while we hold the table lock nobody else inserts: take a block of ids with two calls instead
            # of one nextval per row (an id someone else takes meanwhile makes *their* insert fail on the
            # primary key once we have written it; no row is ever overwritten)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                [*self.take_ids_params, *self.take_ids_params, count],
            )
            last = int(cursor.fetchone()[0])
            return list(range(last - count + 1, last + 1))
        if self.pg:
            cursor.execute(self.take_ids, [*self.take_ids_params, count])
            return list(cursor.fetchone()[0])
        cursor.execute(self.take_ids, self.take_ids_params)
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))


class _EntityHandler(_Handler):
    fields = tuple(f for f in Entity.EDITABLE_FIELDS if f not in ("uscc", "reg_no"))
    batch_size = ENTITY_BATCH

    def __init__(self, *args: Any, collect_codes: bool = False) -> None:
        super().__init__(*args)
        self.departments = _department_index(Department.objects.filter(is_active=True))
        self.collect_codes = collect_codes  # only mark_missing needs every code of the file
        self.known: set[str] | None = None  # the register's codes, when read once (codes_read_once)
        self.codes: set[str] = set()
        self.new_entities = _NewEntities(("uscc", "reg_no", *(f for f in self.fields if f != "jurisdiction")))

    # A big file into a register of at most this many entities: the register's codes are read once, so a
    # batch asks the database only for the entities it really has (a first load asks for none).
    KNOWN_CODES_MAX = 500_000

    def codes_read_once(self) -> None:
        """For a big file: read the register's codes now, and keep other writers of the register out until
        the import's transaction ends (on SQLite its write lock already does), so the set stays true."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(Entity._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            self.new_entities.table_locked = True
        if Entity.objects.count() > self.KNOWN_CODES_MAX:
            return
        known: set[str] = set()
        for uscc, reg_no in Entity.objects.values_list("uscc", "reg_no").iterator(chunk_size=20_000):
            known.update(c for c in (uscc, reg_no) if c)
        self.known = known

    def _existing(self, records: list[tabular.Record]) -> dict[str, Entity]:
        """The batch's entities already in the register, by USCC or registration number."""
        found: dict[str, Entity] = {}
        known = self.known
        for column in ("uscc", "reg_no"):
            codes = [r.values[column] for r in records if r.values.get(column)]
            if known is not None:  # new codes of this file cannot be in it: the reader refuses duplicates
                codes = [c for c in codes if c in known]
            if codes:
                sql, params = _probe(Entity, "*", column, codes)
                found.update((getattr(e, column), e) for e in Entity.objects.raw(sql, params))
        return found

    def _unlisted(self, entities: list[Entity], directory: Department) -> list[Entity]:
        """Those of the entities that the department's directory does not list yet."""
        sql, params = _probe(
            DirectoryListing,
            "entity_id",
            "entity_id",
            [e.pk for e in entities],
            "department_id = %s AND ",
            directory.pk,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            listed = {pk for (pk,) in cursor.fetchall()}
        return [e for e in entities if e.pk not in listed]

    def process(self, records: list[tabular.Record]) -> None:
        existing = self._existing(records)
        new: list[list[Any]] = []
        changed: dict[str, list[Entity]] = {}
        touched: list[Entity] = []
        departments, codes, collect = self.departments, self.codes, self.collect_codes
        new_row = self.new_entities.row
        for record in records:
            values = record.values
            code = values["code"]
            if collect:
                codes.add(code)
            department = departments.get(str(values.get("jurisdiction", "")).strip())
            if department is None:
                self.reject(
                    record,
                    "管辖单位",
                    values.get("jurisdiction"),
                    "系统中没有这个部门：请填写本系统部门的名称或简称（见“部门管理”）",
                )
                continue
            entity = existing.get(code)
            if entity is None:
                new.append(new_row(department.pk, values))
                self.outcome.new += 1
                continue
            if not self.update_existing:
                self.reject(
                    record,
                    "统一社会信用代码（注册号）",
                    code,
                    "该检查对象已在名录库中；如需更新其信息，请勾选“更新已有记录”",
                )
                continue
            fields = self._apply(entity, {**values, "jurisdiction": department})
            touched.append(entity)
            if fields:
                self.outcome.updated += 1
                for name in fields:
                    changed.setdefault(name, []).append(entity)
            else:
                self.outcome.unchanged += 1
        if not self.write:
            return
        if new:
            self.new_entities.write(new, self.directory)
        for name, entities in changed.items():
            Entity.objects.bulk_update(entities, [name], batch_size=BATCH)
        if self.directory is not None and touched:
            DirectoryListing.objects.bulk_create(
                [
                    DirectoryListing(entity=e, department=self.directory)
                    for e in self._unlisted(touched, self.directory)
                ],
                batch_size=BATCH,
                ignore_conflicts=True,
            )

    def mark_missing(self, status: str) -> int:
        """Entities of the importing department's directory that the file no longer lists."""
        if self.directory is None:
            return 0
        if not self.collect_codes:
            raise RuntimeError("mark_missing needs the handler to collect the file's codes")
        listed = (
            Entity.objects.filter(listings__department=self.directory)
            .exclude(status=status)
            .values_list("pk", "uscc", "reg_no")
        )
        gone = [
            pk
            for pk, uscc, reg_no in listed.iterator(chunk_size=10_000)
            if (uscc or reg_no) not in self.codes
        ]
        if self.write:
            for start in range(0, len(gone), BATCH):
                Entity.objects.filter(pk__in=gone[start : start + BATCH]).update(status=status)
        return len(gone)


class _InspectorHandler(_Handler):
    fields = tuple(f for f in Inspector.EDITABLE_FIELDS if f != "cert_no")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        departments = Department.objects.filter(is_active=True)
        if self.visible is not None:
            departments = departments.filter(pk__in=self.visible)
        self.departments = _department_index(departments)

    def process(self, records: list[tabular.Record]) -> None:
        existing = {
            i.cert_no: i for i in Inspector.objects.filter(cert_no__in=[r.values["cert_no"] for r in records])
        }
        new: list[Inspector] = []
        changed: dict[str, list[Inspector]] = {}
        for record in records:
            values = dict(record.values)
            department = self.departments.get(str(values.get("department", "")).strip())
            if department is None:
                self.reject(
                    record,
                    "单位",
                    values.get("department"),
                    "不是您可管理的部门：请填写本部门（或下属所、队）在系统中的名称或简称",
                )
                continue
            values["department"] = department
            inspector = existing.get(values["cert_no"])
            if inspector is None:
                new.append(
                    Inspector(
                        cert_no=values["cert_no"], **{k: v for k, v in values.items() if k in self.fields}
                    )
                )
                self.outcome.new += 1
            elif not self.update_existing:
                self.reject(
                    record,
                    "执法证号",
                    values["cert_no"],
                    "该执法证号已在名录库中；如需更新，请勾选“更新已有记录”",
                )
            elif self.visible is not None and inspector.department_id not in self.visible:
                self.reject(
                    record, "执法证号", values["cert_no"], "该执法证号属于其他部门的人员，不能由本部门更新"
                )
            else:
                fields = self._apply(inspector, values)
                if fields:
                    self.outcome.updated += 1
                    for name in fields:
                        changed.setdefault(name, []).append(inspector)
                else:
                    self.outcome.unchanged += 1
        if self.write:
            Inspector.objects.bulk_create(new, batch_size=BATCH)
            for name, inspectors in changed.items():
                Inspector.objects.bulk_update(inspectors, [name], batch_size=BATCH)


class _ItemHandler(_Handler):
    fields = tuple(f for f in ITEM_FIELDS if f not in ("code", "result_code_set", "is_active"))

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        departments = Department.objects.filter(is_active=True)
        if not self.system and self.visible is not None:
            departments = departments.filter(pk__in=self.visible)
        self.departments = _department_index(departments)
        self.default_codes = ResultCodeSet.objects.filter(code="joint-2025").first()

    def process(self, records: list[tabular.Record]) -> None:
        existing = {
            i.code: i for i in InspectionItem.objects.filter(code__in=[r.values["code"] for r in records])
        }
        for record in records:
            values = dict(record.values)
            department = self.departments.get(str(values.get("department", "")).strip())
            if department is None:
                self.reject(record, "检查主体", values.get("department"), "不是您可维护抽查事项的部门")
                continue
            values["department"] = department
            item = existing.get(values["code"])
            if item is None:
                item = InspectionItem(
                    code=values["code"],
                    result_code_set=self.default_codes,
                    **{k: v for k, v in values.items() if k in self.fields},
                )
                self.outcome.new += 1
            elif not self.update_existing:
                self.reject(
                    record, "事项编码", values["code"], "该事项编码已存在；如需更新，请勾选“更新已有记录”"
                )
                continue
            elif self._apply(item, values):
                self.outcome.updated += 1
            else:
                self.outcome.unchanged += 1
                continue
            if self.write:
                item.save()


class _ConflictHandler(_Handler):
    def process(self, records: list[tabular.Record]) -> None:
        inspectors = Inspector.objects.filter(cert_no__in=[r.values["cert_no"] for r in records])
        if self.visible is not None:
            inspectors = inspectors.filter(department_id__in=self.visible)
        by_cert = {i.cert_no: i for i in inspectors}
        codes = [r.values["entity_code"] for r in records]
        by_code = {e.uscc: e for e in Entity.objects.filter(uscc__in=codes)}
        by_code.update({e.reg_no: e for e in Entity.objects.filter(reg_no__in=codes) if e.reg_no})
        existing = {
            (c.inspector_id, c.entity_id): c
            for c in Conflict.objects.filter(
                inspector__in=list(by_cert.values()), entity__in=list(by_code.values())
            )
        }
        for record in records:
            values = record.values
            inspector, entity = by_cert.get(values["cert_no"]), by_code.get(values["entity_code"])
            if inspector is None:
                self.reject(record, "执法证号", values["cert_no"], "本部门执法检查人员名录库中没有此执法证号")
                continue
            if entity is None:
                self.reject(
                    record, "检查对象统一社会信用代码", values["entity_code"], "检查对象名录库中没有此代码"
                )
                continue
            conflict = existing.get((inspector.pk, entity.pk))
            if conflict is None:
                self.outcome.new += 1
                if self.write:
                    Conflict.objects.create(
                        inspector=inspector,
                        entity=entity,
                        reason=values["reason"],
                        declared_on=values["declared_on"],
                        declared_by=self.actor,
                    )
            elif conflict.reason == values["reason"] and conflict.declared_on == values["declared_on"]:
                self.outcome.unchanged += 1
            elif not self.update_existing:
                self.reject(
                    record, "执法证号", values["cert_no"], "该回避申报已存在；如需更新，请勾选“更新已有记录”"
                )
            else:
                self.outcome.updated += 1
                if self.write:
                    conflict.reason, conflict.declared_on = values["reason"], values["declared_on"]
                    conflict.save(update_fields=["reason", "declared_on"])


HANDLERS: dict[str, type[_Handler]] = {
    "entities": _EntityHandler,
    "inspectors": _InspectorHandler,
    "items": _ItemHandler,
    "conflicts": _ConflictHandler,
}


@contextmanager
def _records(
    source: str | Path | BinaryIO,
    filename: str,
    spec: tabular.TableSpec,
    limits: tabular.Limits,
    errors: tabular.ErrorLog,
) -> Iterator[Any]:
    """The file's valid records (errors into `errors`): a big file on disk is read and checked in a second
    process meanwhile the import writes (SHUANGSUIJI_IMPORT_PARALLEL_MB; benchmarks/bench_import.py)."""
    threshold = int(getattr(settings, "SHUANGSUIJI_IMPORT_PARALLEL_BYTES", 0))
    if isinstance(source, str | Path) and threshold and Path(source).is_file():
        if Path(source).stat().st_size >= threshold:
            key = next(k for k, v in tabular.SPECS.items() if v is spec)
            with read_records_in_process(source, filename, key, errors=errors, limits=limits) as reader:
                yield reader
            return
    with tabular.open_table(source, filename, limits=limits) as table:
        yield tabular.read_records(table, spec, errors=errors)


def register_import(
    *,
    kind: str,
    source: str | Path | BinaryIO,
    filename: str,
    actor: Any,
    update_existing: bool = False,
    valid_rows_only: bool = False,
    mark_missing: str | None = None,
    commit: bool = True,
    directory: Department | None = None,
    report: Report | None = None,
    max_bytes: int | None = None,
) -> ImportOutcome:
    """Validate (and with `commit`, import) one file. Nothing is written unless every row is valid or
    `valid_rows_only` was chosen; the audit event records which."""
    spec, title = KINDS[kind]
    outcome = ImportOutcome(kind=kind, filename=filename, valid_rows_only=valid_rows_only)
    if directory is None and actor is not None and getattr(actor, "department", None) is not None:
        directory = root_of(actor.department)
    if mark_missing is not None and (
        kind != "entities" or mark_missing not in MARK_MISSING or directory is None
    ):
        outcome.file_error = "“未列入文件的对象标记为注销/迁出”只适用于检查对象名录，且须指定本部门名录库。"
        return outcome
    limits = tabular.Limits(max_file_bytes=max_bytes) if max_bytes else tabular.DEFAULT_LIMITS
    try:
        with transaction.atomic():
            with _records(source, filename, spec, limits, outcome.errors) as reader:
                outcome.warnings = reader.warnings()
                handler_args = (outcome, actor, update_existing, commit, directory)
                if kind == "entities":
                    entities = _EntityHandler(*handler_args, collect_codes=mark_missing is not None)
                    if isinstance(reader, ProcessRecordReader):  # a big file
                        entities.codes_read_once()
                    handler: _Handler = entities
                else:
                    handler = HANDLERS[kind](*handler_args)
                for count, record in enumerate(reader, start=1):
                    handler.add(record)
                    if report is not None and count % 5000 == 0:
                        report(int(reader.progress() * 900), f"已检查 {count} 行")
                handler.finish()
                outcome.rows = reader.data_rows
            if isinstance(handler, _EntityHandler) and commit and (valid_rows_only or not outcome.errors):
                handler.new_entities.finish()  # what a bulk load dropped; a rollback restores it anyway
            if mark_missing is not None and isinstance(handler, _EntityHandler):
                outcome.marked = handler.mark_missing(MARK_MISSING[mark_missing])
            if not commit or (outcome.errors and not valid_rows_only):
                raise _Rollback
            outcome.committed = True
            audit_record(
                actor=actor or "system",
                action=f"import.{kind}",
                object_type=f"import.{kind}",
                object_id=filename[:64],
                summary=f"导入{title}「{filename}」：{outcome.summary()}",
                detail={
                    **outcome.counts(),
                    "update_existing": update_existing,
                    "valid_rows_only": valid_rows_only,
                    "mark_missing": mark_missing or "",
                },
            )
    except _Rollback:
        outcome.committed = False
    except tabular.TabularError as error:
        outcome.file_error = error.message
        outcome.committed = False
    return outcome


EXPORT_HEADERS = {kind: spec.headers() for kind, (spec, _) in KINDS.items()}


def export_rows(kind: str, queryset: Any) -> Iterable[list[Any]]:
    """Rows of a register in the import template's column order, so an export re-imports unchanged."""
    spec, _ = KINDS[kind]
    if kind == "entities":
        for e in queryset.select_related("jurisdiction").iterator(chunk_size=5000):
            yield spec.export_row(
                {
                    **_fields(e, _EntityHandler.fields),
                    "code": e.uscc or e.reg_no,
                    "jurisdiction": e.jurisdiction.short_name or e.jurisdiction.name,
                }
            )
    elif kind == "inspectors":
        for i in queryset.select_related("department").iterator(chunk_size=5000):
            yield spec.export_row(
                {
                    **_fields(i, _InspectorHandler.fields),
                    "cert_no": i.cert_no,
                    "department": i.department.short_name or i.department.name,
                }
            )
    elif kind == "items":
        for item in queryset.select_related("department"):
            yield spec.export_row(
                {
                    **_fields(item, _ItemHandler.fields),
                    "code": item.code,
                    "department": item.department.short_name or item.department.name,
                }
            )
    else:
        for c in queryset.select_related("inspector", "entity"):
            yield spec.export_row(
                {
                    "cert_no": c.inspector.cert_no,
                    "inspector_name": c.inspector.name,
                    "entity_code": c.entity.draw_key,
                    "entity_name": c.entity.name,
                    "reason": c.reason,
                    "declared_on": c.declared_on,
                }
            )


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names if not isinstance(getattr(obj, name), (Department,))}


def register_queryset(kind: str, actor: Any) -> Any:
    from shuangsuiji.directory.selectors import (
        conflicts_visible_to,
        entities_visible_to,
        inspectors_visible_to,
    )

    if kind == "entities":
        return entities_visible_to(actor) if actor is not None else Entity.objects.all()
    if kind == "inspectors":
        return inspectors_visible_to(actor) if actor is not None else Inspector.objects.all()
    if kind == "conflicts":
        return conflicts_visible_to(actor) if actor is not None else Conflict.objects.all()
    return InspectionItem.objects.all()
