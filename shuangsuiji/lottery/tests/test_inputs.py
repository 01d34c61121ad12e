"""Encodings and input validation: every bad input gets a clear Chinese + English error."""

from __future__ import annotations

from typing import Any

import pytest

from shuangsuiji.lottery import (
    Department,
    InvalidInputError,
    LotteryError,
    StratumSpec,
    TeamSpec,
    TsvFormatError,
    TsvWriter,
    build_commitment,
    canonical_json,
    iter_tsv_pairs,
    parse_canonical_json,
    parse_tsv,
    quota,
    tsv_bytes,
)

S = [StratumSpec("A", "A类", 500), StratumSpec("B", "B类", 10000)]


def commit(population: Any, strata: Any = S, **kw: Any) -> Any:
    kw.setdefault("created_at", "2026-01-05T09:00:00+08:00")
    return build_commitment(task="测试任务", population=population, strata=strata, **kw)


@pytest.mark.parametrize(
    ("size", "rate", "expected"),
    [
        (0, 200, 0),
        (1, 1, 1),
        (50, 200, 1),
        (51, 200, 2),
        (100, 200, 2),
        (6, 2000, 2),
        (4, 5000, 2),
        (7, 10000, 7),
    ],
)
def test_quota_is_the_ceiling(size: int, rate: int, expected: int) -> None:
    assert quota(size, rate) == expected


@pytest.mark.parametrize("rate", [0, 10001, -5, True])
def test_rate_out_of_range_is_refused(rate: int) -> None:
    with pytest.raises(InvalidInputError) as err:
        commit([("A", "X")], strata=[StratumSpec("A", "A类", rate)])
    assert "1–10000" in str(err.value)
    assert err.value.zh.startswith("分层 A 的比例")


def test_canonical_json_is_sorted_compact_utf8_and_integer_only() -> None:
    assert canonical_json({"b": 1, "a": ["中", None, True]}) == '{"a":["中",null,true],"b":1}'.encode()
    with pytest.raises(InvalidInputError):
        canonical_json({"a": 1.5})
    with pytest.raises(InvalidInputError):
        parse_canonical_json(b'{"a": 1}', "x.json")
    with pytest.raises(InvalidInputError):
        parse_canonical_json(b'{"a":1,"a":1}', "x.json")
    with pytest.raises(InvalidInputError):
        parse_canonical_json(b'{"a":1.0}', "x.json")
    assert parse_canonical_json(b'{"a":1}', "x.json") == {"a": 1}


def test_tsv_bytes_sorts_by_utf8_bytes_and_refuses_duplicates() -> None:
    assert (
        tsv_bytes([("b", "1"), ("a", "2"), ("中", "3"), ("Z", "4")]) == "Z\t4\na\t2\nb\t1\n中\t3\n".encode()
    )
    assert tsv_bytes([]) == b""
    with pytest.raises(TsvFormatError, match="duplicate"):
        tsv_bytes([("a", "1"), ("a", "1")])
    # lines compare without their LF: "K" < "K\x01" even though "\n" > "\x01"
    assert tsv_bytes([("A", "K\x01"), ("A", "K")]) == b"A\tK\nA\tK\x01\n"


@pytest.mark.parametrize("bad", ["", "a\tb", "a\nb", "a\rb", "a\x00b", "e\u0301", "\ud800"])
def test_bad_keys_are_refused(bad: str) -> None:
    with pytest.raises(TsvFormatError):
        tsv_bytes([("A", bad)])
    with pytest.raises(InvalidInputError):
        commit([("A", bad)])


def test_tsv_writer_streams_and_checks_order() -> None:
    w = TsvWriter(file="x.tsv")
    w.write(("A", "1"))
    w.write(("A", "2"))
    with pytest.raises(TsvFormatError, match=r"x\.tsv line 3"):
        w.write(("A", "10"))  # "10" < "2" in bytes
    with pytest.raises(TsvFormatError, match="duplicate"):
        w.write(("A", "2"))


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"a\t1\r\n", "CR"),
        (b"a\t1", "LF"),
        (b"\xef\xbb\xbfa\t1\n", "BOM"),
        (b"a\t1\tx\n", "fields"),
        (b"b\t1\na\t1\n", "sorted"),
        (b"a\t1\na\t1\n", "duplicate"),
        (b"a\t\xff\n", "UTF-8"),
        (b"a\t\n", "empty"),
    ],
)
def test_parse_tsv_names_the_problem_and_line(data: bytes, fragment: str) -> None:
    with pytest.raises(TsvFormatError) as err:
        parse_tsv(data, file="pool.tsv")
    assert fragment in err.value.en
    assert "pool.tsv" in str(err.value)


def test_iter_tsv_pairs_reads_blocks_and_reports_line_numbers() -> None:
    data = "".join(f"A\t{i:06d}\n" for i in range(5000)).encode()
    assert list(iter_tsv_pairs(data))[4999] == ("A", "004999")
    with pytest.raises(TsvFormatError) as err:
        list(iter_tsv_pairs(data + b"B\tx\ty\n"))
    assert err.value.line == 5001
    with pytest.raises(TsvFormatError, match="LF"):
        list(iter_tsv_pairs(b"A\tx\nB\ty"))


def test_population_must_be_sorted_and_the_error_says_how() -> None:
    with pytest.raises(TsvFormatError) as err:
        commit([("A", "2"), ("A", "1")])
    assert 'COLLATE "C"' in str(err.value)
    assert err.value.line == 2
    with pytest.raises(TsvFormatError, match="stratum A"):
        commit([("B", "1"), ("A", "2")])
    with pytest.raises(TsvFormatError, match="not contiguous"):
        commit([("A", "1"), ("B", "2"), ("A", "3")], strata=[*S, StratumSpec("C", "C", 1)])
    # sort_population=True sorts instead
    files = commit([("B", "2"), ("A", "3"), ("A", "1")], sort_population=True)
    assert files.population_tsv == b"A\t1\nA\t3\nB\t2\n"


def test_population_errors_duplicates_unknown_strata_and_excluded() -> None:
    with pytest.raises(TsvFormatError, match="duplicate entity X"):
        commit([("A", "X"), ("A", "X")])
    with pytest.raises(InvalidInputError, match="entity X is in strata A and B"):
        commit([("A", "X"), ("B", "X")])
    with pytest.raises(TsvFormatError, match="stratum Q is not among the strata"):
        commit([("Q", "X")])
    with pytest.raises(TsvFormatError, match="both in the population and excluded"):
        commit([("A", "X")], exclusions=[("X", "deregistered")])
    with pytest.raises(InvalidInputError, match="pairs"):
        commit([("A",)])


def test_cross_stratum_duplicates_are_found_in_large_populations() -> None:
    pop = [("A", f"K{i:07d}") for i in range(30000)] + [("B", f"K{i:07d}") for i in range(29999, 40000)]
    with pytest.raises(InvalidInputError, match=r"K0029999"):
        commit(pop)


def test_commitment_inputs_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="created_at"):
        commit([("A", "X")], created_at="2026-01-05 09:00")
    with pytest.raises(InvalidInputError, match="32 bytes"):
        commit([("A", "X")], server_nonce=b"short")
    with pytest.raises(InvalidInputError, match="duplicate stratum label"):
        commit([("A", "X")], strata=[StratumSpec("A", "a", 1), StratumSpec("A", "b", 2)])
    with pytest.raises(InvalidInputError, match="task"):
        build_commitment(task="  ", created_at="2026-01-05T09:00:00+08:00", population=[], strata=S)


def team(departments: Any, pool: Any, conflicts: Any = ()) -> Any:
    return commit([("A", "E1")], teams=TeamSpec(departments, pool, conflicts))


def test_team_specs_are_checked() -> None:
    d1 = Department("D1", "一", 1, True)
    d2 = Department("D2", "二", 1, True)
    with pytest.raises(InvalidInputError, match="exactly one lead department"):
        team([d1, d2], [("D1", "i1"), ("D2", "i2")])
    with pytest.raises(InvalidInputError, match="exactly one lead department"):
        team([Department("D1", "一", 1, False)], [("D1", "i1")])
    with pytest.raises(InvalidInputError, match="not among the departments"):
        team([d1], [("D1", "i1"), ("D9", "i2")])
    with pytest.raises(InvalidInputError, match="in departments D1 and D2"):
        team([d1, Department("D2", "二", 1, False)], [("D1", "i1"), ("D2", "i1")])
    with pytest.raises(InvalidInputError, match="fewer than per_object"):
        team([Department("D1", "一", 3, True)], [("D1", "i1"), ("D1", "i2")])
    with pytest.raises(InvalidInputError, match="per_object"):
        team([Department("D1", "一", 0, True)], [("D1", "i1")])
    files = team([d1], [("D1", "i2"), ("D1", "i1")], [("i1", "E1")])
    assert files.pool_tsv == b"D1\ti1\nD1\ti2\n"
    assert files.commitment.teams is not None


def test_errors_are_lottery_errors_with_chinese_first() -> None:
    with pytest.raises(LotteryError) as err:
        commit([("A", "X")], strata=[StratumSpec("C", "C类", 0)])
    assert (
        str(err.value)
        == "分层 C 的比例 0 不在 1–10000 基点之间 (rate_bp 0 of stratum C out of range 1–10000)"
    )
