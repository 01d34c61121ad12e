"""How the entity import writes: new rows go by COPY (PostgreSQL) or executemany (SQLite), not the ORM.

These run on whichever database the suite runs on (CI runs both): the stored register must be what the
ORM would have stored, awkward characters must survive COPY's text format, and a late error must leave
nothing behind even though earlier batches were already written.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from stdnum.cn import uscc

from shuangsuiji import tabular
from shuangsuiji.accounts.models import Department
from shuangsuiji.directory import imports
from shuangsuiji.directory.imports import register_import
from shuangsuiji.directory.models import DirectoryListing, Entity

pytestmark = pytest.mark.django_db
HEADER_003 = ["单位名称", "统一社会信用代码（注册号）", "法定代表人", "住所", "登记机关", "管辖单位"]
# Everything the ORM does not set from the file itself.
STAMPS = {"id", "created_at", "updated_at"}


def code(n: int) -> str:
    body = f"92410381MC{n:07d}"  # "MC": never one of the demo county's codes
    return body + uscc.calc_check_digit(body)


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def shop(n: int, name: str = "", jurisdiction: str = "城关市场监管所") -> list[str]:
    return [
        name or f"偃师区测试{n}号商店",
        code(n),
        "张三",
        "偃师区华夏路1号",
        "偃师区市场监督管理局",
        jurisdiction,
    ]


def full_row(n: int, **cells: str) -> list[str]:
    """A row of every template column, in ENTITY_SPEC order."""
    values = {
        "name": f"洛阳测试{n}有限公司",
        "code": code(n),
        "legal_representative": "李四",
        "address": "偃师区商城路100号",
        "registration_authority": "偃师区市场监督管理局",
        "jurisdiction": "首阳山市场监管所",
        "town": "首阳山街道",
        "entity_type": "有限责任公司",
        "industry": "餐饮",
        "status": "在业",
        "established_on": "2019年3月1日",
        "credit_risk_class": "B类",
        "fire_safety_category": "一般单位",
        "building_category": "多层",
        "occupancy": "人员密集场所",
        "scale": "小型",
        "fire_facilities": "灭火器",
        **cells,
    }
    return [values[c.key] for c in tabular.ENTITY_SPEC.columns]


def run(data: bytes, **options: Any) -> imports.ImportOutcome:
    options.setdefault("directory", Department.objects.get(code="SCJG"))
    return register_import(
        kind="entities", source=io.BytesIO(data), filename="名录.csv", actor=None, **options
    )


def stored(codes: list[str]) -> dict[str, dict[str, Any]]:
    names = [f.attname for f in Entity._meta.concrete_fields if f.attname not in STAMPS]
    rows = Entity.objects.filter(uscc__in=codes) | Entity.objects.filter(reg_no__in=codes)
    return {(r["uscc"] or r["reg_no"]): r for r in rows.values(*names)}


def orm_reference(data: bytes) -> dict[str, dict[str, Any]]:
    """What the ORM stores for the file's records (Entity(...) + bulk_create, as the import used to),
    read back and then rolled back."""
    departments = imports._department_index(Department.objects.filter(is_active=True))
    with tabular.open_table(io.BytesIO(data), "名录.csv") as table:
        records = list(tabular.read_records(table, tabular.ENTITY_SPEC))
    objects = []
    for record in records:
        values = {k: v for k, v in record.values.items() if k in imports._EntityHandler.fields}
        values["jurisdiction"] = departments[record.values["jurisdiction"]]
        objects.append(Entity(**values, uscc=record.values["uscc"], reg_no=record.values["reg_no"]))
    result: dict[str, dict[str, Any]] = {}
    with pytest.raises(RuntimeError), transaction.atomic():
        Entity.objects.bulk_create(objects)
        result = stored([r.values["code"] for r in records])
        raise RuntimeError("roll back")
    return result


@pytest.mark.parametrize(
    "data",
    [
        csv_file(HEADER_003, [shop(1), shop(2), [*shop(3)[:1], "410381600000123", *shop(3)[2:]]]),
        csv_file(
            tabular.ENTITY_SPEC.headers(),
            [
                full_row(4),
                full_row(5, town="", entity_type="", status="", established_on="", credit_risk_class=""),
                full_row(6, fire_safety_category="", building_category="", occupancy="", scale=""),
                full_row(7, code="410381600000456", entity_type="个体户", fire_facilities=""),
            ],
        ),
    ],
    ids=["003-columns-only", "every-column"],
)
def test_new_entities_are_stored_as_the_orm_would_store_them(data: bytes) -> None:
    expected = orm_reference(data)
    before = timezone.now()
    outcome = run(data)
    after = timezone.now()
    assert outcome.committed and outcome.new == len(expected)
    assert stored(list(expected)) == expected  # every column, the model's defaults included
    scjg = Department.objects.get(code="SCJG")
    imported = Entity.objects.filter(uscc__in=expected) | Entity.objects.filter(reg_no__in=expected)
    assert imported.count() == len(expected)
    for entity in imported:
        assert before <= entity.created_at == entity.updated_at <= after
        listing = DirectoryListing.objects.get(entity=entity, department=scjg)
        assert before <= listing.listed_at <= after


def test_the_ids_taken_for_an_import_leave_the_sequence_ahead() -> None:
    if connection.vendor == "postgresql":  # earlier tests moved the sequence on: bring it back to the table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('directory_entity', 'id'), max(id)) FROM directory_entity"
            )
    run(csv_file(HEADER_003, [shop(10), shop(11)]))
    run(csv_file(HEADER_003, [shop(12)]))  # a second import in the same transaction: fresh ids
    imported = Entity.objects.filter(uscc__in=[code(10), code(11), code(12)])
    assert imported.count() == 3
    later = Entity.objects.create(
        name="手工录入的对象",
        uscc=code(13),
        legal_representative="王五",
        address="地址",
        registration_authority="登记机关",
        jurisdiction=Department.objects.get(code="SCJG-CG"),
    )
    assert later.pk > max(e.pk for e in imported)


def test_awkward_characters_are_stored_exactly() -> None:
    names = {
        20: r"C:\新建文件夹\名录",  # backslashes: COPY's escape character
        21: "\\N",  # COPY's NULL marker, as text
        22: "末尾是反斜杠\\",
        23: r"字面的\t和\n",
        24: '“全角引号”与"半角引号"的店',
        25: "𠀀𪚥𰻞𰻞面馆🍜",  # characters outside the BMP (4 bytes in UTF-8)
        26: "'=不是公式",  # the exporter's apostrophe is removed on import
    }
    cleaned = {
        27: ("甲\t乙", "甲 乙"),  # single-line text: tabs and line breaks become spaces
        28: ("甲\r\n乙\n丙", "甲 乙 丙"),
    }
    rows = [shop(n, name) for n, name in names.items()]
    rows += [shop(n, raw) for n, (raw, _) in cleaned.items()]
    rows.append([*shop(29)[:4], r"登记机关\N", shop(29)[5]])
    outcome = run(csv_file(HEADER_003, rows))
    assert outcome.committed and outcome.new == len(rows), outcome.errors.items
    by_code = {e.uscc: e for e in Entity.objects.filter(uscc__in=[code(n) for n in range(20, 30)])}
    assert {n: by_code[code(n)].name for n in names} == {**names, 26: "=不是公式"}
    assert {n: by_code[code(n)].name for n in cleaned} == {n: v for n, (_, v) in cleaned.items()}
    assert by_code[code(29)].registration_authority == r"登记机关\N"


def test_nul_characters_never_reach_the_database() -> None:
    padding = [shop(n) for n in range(100, 250)]  # past the first 8 KB, where the sniffer looks
    rows = [
        *padding,
        shop(30, "甲\x00乙"),
        [*shop(31)[:1], code(31)[:5] + "\x00" + code(31)[5:], *shop(31)[2:]],
    ]
    outcome = run(csv_file(HEADER_003, rows), valid_rows_only=True)
    assert outcome.committed and outcome.new == len(padding) + 1
    assert Entity.objects.get(uscc=code(30)).name == "甲乙"  # a control character in text is dropped
    assert [(e.row, e.column) for e in outcome.errors] == [(len(rows) + 1, "统一社会信用代码（注册号）")]
    assert not Entity.objects.filter(uscc=code(31)).exists()
    early = run(csv_file(HEADER_003, [shop(32, "甲\x00乙")]))  # near the start: not a text file at all
    assert early.file_error and not Entity.objects.filter(uscc=code(32)).exists()


@pytest.mark.parametrize(
    "last",
    [
        shop(49, jurisdiction="没有这个部门"),  # rejected by the handler, after earlier batches were written
        [*shop(49)[:1], code(49)[:-1] + ("0" if code(49)[-1] != "0" else "1"), *shop(49)[2:]],  # by tabular
    ],
    ids=["unknown-department", "wrong-check-digit"],
)
def test_an_error_in_the_last_batch_leaves_nothing_written(monkeypatch: Any, last: list[str]) -> None:
    monkeypatch.setattr(imports._EntityHandler, "batch_size", 4)  # ten COPY/executemany batches first
    entities, listings = Entity.objects.count(), DirectoryListing.objects.count()
    data = csv_file(HEADER_003, [*(shop(n) for n in range(40, 49)), last])
    outcome = run(data)
    assert outcome.new == 9 and outcome.rejected == 1 and not outcome.committed
    assert (Entity.objects.count(), DirectoryListing.objects.count()) == (entities, listings)
    outcome = run(data, valid_rows_only=True)
    assert outcome.committed and Entity.objects.count() == entities + 9
    assert DirectoryListing.objects.count() == listings + 9


def test_a_file_that_stops_half_way_leaves_nothing_written(monkeypatch: Any) -> None:
    monkeypatch.setattr(imports._EntityHandler, "batch_size", 4)
    entities = Entity.objects.count()
    data = csv_file(HEADER_003, [shop(n) for n in range(50, 60)]) + '"缺少右引号的单位,'.encode()
    outcome = run(data)
    assert outcome.file_error and not outcome.committed
    assert Entity.objects.count() == entities


def test_a_re_import_compares_departments_by_id_and_lists_only_the_unlisted(
    django_assert_max_num_queries: Any,
) -> None:
    rows = [shop(n) for n in range(60, 100)]
    run(csv_file(HEADER_003, rows))
    moved = [shop(n, jurisdiction="顾县市场监管所") if n % 2 else shop(n) for n in range(60, 100)]
    xfjy = Department.objects.get(code="XFJY")
    with django_assert_max_num_queries(25):  # not one Department SELECT per existing row
        outcome = run(csv_file(HEADER_003, moved), update_existing=True, directory=xfjy)
    assert (outcome.updated, outcome.unchanged) == (20, 20)
    assert Entity.objects.filter(uscc=code(61), jurisdiction__code="SCJG-GX").exists()
    again = run(csv_file(HEADER_003, moved), update_existing=True, directory=xfjy)
    assert again.unchanged == 40
    codes = [code(n) for n in range(60, 100)]
    assert DirectoryListing.objects.filter(department=xfjy, entity__uscc__in=codes).count() == 40
    assert DirectoryListing.objects.filter(department__code="SCJG", entity__uscc__in=codes).count() == 40


def test_dates_and_enumerations_round_trip_through_the_fast_path() -> None:
    run(csv_file(tabular.ENTITY_SPEC.headers(), [full_row(70, established_on="45717")]))  # Excel serial
    entity = Entity.objects.get(uscc=code(70))
    assert entity.established_on == date(2025, 3, 1)
    assert (entity.entity_type, entity.status, entity.credit_risk_class) == ("company", "active", "B")
    assert entity.jurisdiction.code == "SCJG-SYS"


def _secondary_indexes() -> dict[str, str]:
    """The two tables' non-unique indexes and foreign keys, by name."""
    tables = [Entity._meta.db_table, DirectoryListing._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid IN (%s::regclass, %s::regclass) AND NOT x.indisunique AND NOT x.indisprimary",
            tables,
        )
        found = dict(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid IN (%s::regclass, %s::regclass)",
            tables,
        )
        return found | dict(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk-load path is PostgreSQL's")
def test_a_bulk_load_rebuilds_what_it_dropped_and_a_failed_one_keeps_it(monkeypatch: Any) -> None:
    before = _secondary_indexes()
    assert "directory_entity_name_trgm" in before and len(before) >= 10
    assert sum("FOREIGN KEY" in d for d in before.values()) == 3
    monkeypatch.setattr(imports._EntityHandler, "batch_size", 4)
    monkeypatch.setattr(imports._NewEntities, "BULK_LOAD_ROWS", 6)
    monkeypatch.setattr(
        imports._NewEntities, "_register_size", lambda self: 0
    )  # as if the register were empty
    dropped: list[int] = []
    begin = imports._NewEntities._bulk_load_begin

    def spy(self: Any, cursor: Any) -> None:
        begin(self, cursor)
        dropped.append(len(self.dropped))
        assert _secondary_indexes() == {}  # the later batches are written without them

    monkeypatch.setattr(imports._NewEntities, "_bulk_load_begin", spy)
    entities = Entity.objects.count()
    bad = csv_file(HEADER_003, [*(shop(n) for n in range(70, 81)), shop(81, jurisdiction="没有这个部门")])
    outcome = run(bad)
    assert dropped == [len(before)] and not outcome.committed
    assert _secondary_indexes() == before and Entity.objects.count() == entities  # the rollback restored them
    good = csv_file(HEADER_003, [shop(n) for n in range(70, 82)])
    outcome = run(good)
    assert outcome.committed and outcome.new == 12 and dropped == [len(before), len(before)]
    assert _secondary_indexes() == before  # re-created before the commit, from their own definitions
    assert Entity.objects.filter(name__contains="测试75号").count() == 1
    assert DirectoryListing.objects.filter(entity__uscc=code(81)).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk-load path is PostgreSQL's")
def test_a_bulk_load_still_refuses_a_row_whose_references_do_not_exist(monkeypatch: Any) -> None:
    """The foreign keys come back validated: a listing of an entity that does not exist fails the import."""
    from django.db import IntegrityError

    monkeypatch.setattr(imports._EntityHandler, "batch_size", 4)
    monkeypatch.setattr(imports._NewEntities, "BULK_LOAD_ROWS", 6)
    monkeypatch.setattr(imports._NewEntities, "_register_size", lambda self: 0)
    write = imports._NewEntities.write

    def dangling(self: Any, rows: list[list[Any]], directory: Any) -> None:
        write(self, rows, directory)
        if self.dropped:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO directory_directorylisting (entity_id, department_id, listed_at) "
                    "VALUES (%s, %s, now())",
                    [10**12, directory.pk],
                )

    monkeypatch.setattr(imports._NewEntities, "write", dangling)
    entities = Entity.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        run(csv_file(HEADER_003, [shop(n) for n in range(90, 102)]))
    assert Entity.objects.count() == entities


def test_a_big_file_read_in_a_second_process_imports_the_same(
    tmp_path: Any, settings: Any, monkeypatch: Any
) -> None:
    rows = [shop(n) for n in range(110, 140)]
    rows[7] = shop(117, jurisdiction="没有这个部门")  # the handler's error
    rows[12][1] = rows[12][1][:-1] + ("0" if rows[12][1][-1] != "0" else "1")  # tabular's error
    path = tmp_path / "名录.csv"
    path.write_bytes(csv_file(HEADER_003, rows))
    used: list[str] = []
    real = imports.read_records_in_process

    def spy(*args: Any, **kwargs: Any) -> Any:
        used.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "read_records_in_process", spy)

    def import_path(**options: Any) -> imports.ImportOutcome:
        return register_import(
            kind="entities",
            source=path,
            filename="名录.csv",
            actor=None,
            directory=Department.objects.get(code="SCJG"),
            **options,
        )

    settings.SHUANGSUIJI_IMPORT_PARALLEL_BYTES = 0
    alone = import_path()
    settings.SHUANGSUIJI_IMPORT_PARALLEL_BYTES = 1
    parallel = import_path()
    assert used == ["entities"]
    assert not parallel.committed and parallel.counts() == alone.counts()
    assert [(e.row, e.column, e.message) for e in parallel.errors] == [
        (e.row, e.column, e.message) for e in alone.errors
    ]
    assert sorted(e.row for e in parallel.errors) == [9, 14]
    entities = Entity.objects.count()
    done = import_path(valid_rows_only=True)
    assert done.committed and Entity.objects.count() == entities + 28 and used == ["entities", "entities"]
    # again: the register's codes, read once, find every one of them already there
    again = import_path()
    assert again.new == 0 and again.rejected == 30 and not again.committed
    assert sum("已在名录库中" in e.message for e in again.errors) == 28
    assert import_path(update_existing=True).unchanged == 28
