"""Reading in a second process gives exactly what one pass gives: records, errors (in the same order),
counts, warnings, and the same TabularError for a file that cannot be read."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from shuangsuiji.tabular import DEFAULT_LIMITS, ENTITY_SPEC, ErrorLog, TabularError, open_table, read_records
from shuangsuiji.tabular.parallel import read_records_in_process
from shuangsuiji.tabular.tests.helpers import ENTITY_HEADERS_003, csv_bytes, entity_row


def one_pass(path: Path) -> tuple[list[Any], list[Any], int, list[str]]:
    errors = ErrorLog()
    with open_table(path, path.name) as table:
        reader = read_records(table, ENTITY_SPEC, errors=errors)
        records = list(reader)
        return records, list(errors), reader.data_rows, reader.warnings()


def in_process(path: Path, batch: int = 7) -> tuple[list[Any], list[Any], int, list[str]]:
    errors = ErrorLog()
    with read_records_in_process(
        path, path.name, "entities", errors=errors, limits=DEFAULT_LIMITS, batch=batch
    ) as reader:
        records = list(reader)
        return records, list(errors), reader.data_rows, reader.warnings()


def messy_rows(n: int) -> list[list[str]]:
    rng = random.Random(7)
    rows = [[*ENTITY_HEADERS_003, "不认识的列"]]
    for i in range(n):
        row = [*entity_row(i, rng), "x"]
        if i % 11 == 3:
            row[1] = row[1][:-1] + ("0" if row[1][-1] != "0" else "1")  # wrong check digit
        if i % 13 == 5:
            row[0] = ""  # a required cell left empty
        if i % 17 == 9:
            row[1] = rows[1][1]  # a duplicate of the first row's code
        rows.append(row)
    return rows


def test_the_same_records_errors_counts_and_warnings_as_one_pass(tmp_path: Path) -> None:
    path = tmp_path / "名录.csv"
    path.write_bytes(csv_bytes(messy_rows(300), encoding="gbk"))
    expected = one_pass(path)
    assert len(expected[0]) > 200 and len(expected[1]) > 40 and expected[3]  # errors and a warning to compare
    assert in_process(path) == expected
    assert in_process(path, batch=1000) == expected


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (csv_bytes([ENTITY_HEADERS_003]), "header_only"),
        (csv_bytes([["甲", "乙"], ["1", "2"]]), "no_header"),
    ],
)
def test_a_file_that_cannot_be_read_raises_the_same_error(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(TabularError) as direct:
        one_pass(path)
    with pytest.raises(TabularError) as parallel:
        in_process(path)
    assert (parallel.value.code, parallel.value.message) == (direct.value.code, direct.value.message)
    assert direct.value.code == code


def test_a_file_that_stops_half_way_raises_after_the_rows_before_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes(
        csv_bytes([ENTITY_HEADERS_003, *(entity_row(i) for i in range(40))]) + '"没有右引号,'.encode()
    )
    with pytest.raises(TabularError) as direct:
        one_pass(path)
    seen: list[Any] = []
    errors = ErrorLog()
    with (
        pytest.raises(TabularError) as parallel,
        read_records_in_process(
            path, path.name, "entities", errors=errors, limits=DEFAULT_LIMITS, batch=8
        ) as reader,
    ):
        seen.extend(reader)
    assert parallel.value.code == direct.value.code and len(seen) >= 32


def test_stopping_early_ends_the_reading_process(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes([ENTITY_HEADERS_003, *(entity_row(i) for i in range(5000))]))
    errors = ErrorLog()
    reader = read_records_in_process(
        path, path.name, "entities", errors=errors, limits=DEFAULT_LIMITS, batch=10
    )
    with reader:
        first = next(iter(reader))
    assert first.row == 2
    assert reader._process.poll() is not None  # ended, not left running


def test_a_file_of_bad_rows_sends_its_errors_as_they_come(tmp_path: Path) -> None:
    """A file with no valid row: every error arrives, in order (sent every `batch` of them, see below)."""
    rows = [ENTITY_HEADERS_003] + [
        [*entity_row(i)[:1], "91410381MA00000000", *entity_row(i)[2:]] for i in range(60)
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(rows))
    expected = one_pass(path)
    assert expected[0] == [] and len(expected[1]) >= 60
    errors = ErrorLog()
    with read_records_in_process(
        path, path.name, "entities", errors=errors, limits=DEFAULT_LIMITS, batch=5
    ) as reader:
        it = iter(reader)
        with pytest.raises(StopIteration):
            next(it)
    assert list(errors) == expected[1]


def test_the_reader_sends_errors_every_batch_of_them() -> None:
    from shuangsuiji.tabular.parallel import _Forwarded

    sent: list[list[tuple[object, ...]]] = []
    log = _Forwarded(5, lambda: sent.append(log.take()))
    for row in range(12):
        log.add(row, "列", "x", "错")
    assert [len(s) for s in sent] == [5, 5] and len(log.pending) == 2 and log.count == 12
