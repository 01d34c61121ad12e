"""The population as runs of keys, one per stratum (what a database grouping by stratum hands over), commits
exactly what the validating pass over (label, key) pairs commits, and refuses what it refuses with the same
message; tsv_bytes checked at once is tsv_bytes checked line by line; result.json's selected list, written
apart, is canonical JSON byte for byte."""

from __future__ import annotations

from itertools import groupby, pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuangsuiji.lottery import LotteryError, Selected, StratumSpec, build_commitment, canonical_json
from shuangsuiji.lottery.result import build_result

KEYS = st.text(st.sampled_from(list('019ABXZ中豫é -"\\\x01')), min_size=1, max_size=6)
LABELS = ["A", "B", "C1", "中", "A\x01", "A B"]
STRATA = [StratumSpec(label, f"分层{label}", 2500) for label in LABELS]


def commit(**population: Any) -> Any:
    return build_commitment(
        task="块", created_at="2026-01-01T00:00:00+08:00", strata=STRATA, server_nonce=b"n" * 32, **population
    )


def runs(pairs: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    return [(label, [key for _, key in group]) for label, group in groupby(pairs, key=lambda p: p[0])]


@settings(max_examples=200, deadline=None)
@given(population=st.lists(st.tuples(st.sampled_from(LABELS), KEYS), max_size=40, unique_by=lambda p: p[1]))
def test_runs_commit_what_pairs_commit(population: Any) -> None:
    ordered = sorted(population, key=lambda p: f"{p[0]}\t{p[1]}".encode())
    expected = commit(population=ordered)
    got = commit(population_runs=runs(ordered))
    assert got.commitment_json == expected.commitment_json
    assert got.population_tsv == expected.population_tsv


BAD = {
    "unsorted": [("A", "k2"), ("A", "k1")],
    "duplicate": [("A", "k1"), ("A", "k1")],
    "TAB in a key": [("A", "k1\tx"), ("A", "k2")],
    "empty key": [("A", ""), ("A", "k1")],
    "CR": [("A", "k1\r"), ("A", "k2")],
    "NUL": [("A", "k\x001"), ("A", "k2")],
    "LF in a key": [("A", "k\n1"), ("A", "k2")],
    "unknown stratum": [("A", "k1"), ("Z", "k2")],
    "strata out of order": [("B", "k1"), ("A", "k2")],
    "not NFC": [("A", "e\u0301")],
    "lone surrogate": [("A", "\ud800")],
    "in two strata": [("A", "k1"), ("B", "k1")],
    "excluded": [("A", "k1"), ("A", "x")],
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_runs_are_refused_as_bad_pairs_are(name: str) -> None:
    exclusions = [("x", "deregistered")]
    with pytest.raises(LotteryError) as expected:
        commit(population=BAD[name], exclusions=exclusions)
    with pytest.raises(LotteryError) as got:
        commit(population_runs=runs(BAD[name]), exclusions=exclusions)
    assert str(got.value) == str(expected.value)


def test_an_empty_run_adds_nothing() -> None:
    got = commit(population_runs=[("A", ["k1"]), ("B", []), ("C1", ["k2"])])
    assert got.population_tsv == commit(population=[("A", "k1"), ("C1", "k2")]).population_tsv
    assert {s.label: s.size for s in got.commitment.strata}["B"] == 0


def test_distinct_keys_is_the_callers_word_and_skips_only_the_key_checks() -> None:
    split = [("A", ["k1"]), ("B", ["k1"])]  # in two strata: caught unless the caller vouches for the keys
    with pytest.raises(LotteryError, match="k1"):
        commit(population_runs=split)
    assert commit(population_runs=split, distinct_keys=True).commitment.strata[0].size == 1
    with pytest.raises(LotteryError):  # order is still checked
        commit(population_runs=[("A", ["k2", "k1"])], distinct_keys=True)
    late: list[tuple[str, str]] = []  # and the exclusions are read after the population
    population = (run for run in [("A", ["k1"])] if not late.append(("x", "deregistered")))
    files = commit(population_runs=population, exclusions=late, distinct_keys=True)
    assert files.exclusions_tsv == b"x\tderegistered\n" and files.excluded_count == 1


@settings(max_examples=200, deadline=None)
@given(
    selected=st.lists(
        st.builds(Selected, KEYS, st.sampled_from(LABELS), st.binary(min_size=32, max_size=32)), max_size=20
    ),
    reason=st.text(max_size=5),
)
def test_the_selected_list_is_written_as_canonical_json(selected: list[Selected], reason: str) -> None:
    from shuangsuiji.lottery.teams import Member, Substitution, Team

    teams = [Team(s.key, (Member("D1", "I1", True),)) for s in selected]
    changes = [Substitution(1, selected[0].key, "D1", "I1", "I2", reason)] if selected else []
    got = build_result(
        commitment_sha256="0" * 64, seed=b"s" * 32, selected=selected, teams=teams, substitutions=changes
    )
    expected = canonical_json(
        {
            "protocol": "ssj-draw/1",
            "commitment_sha256": "0" * 64,
            "seed": (b"s" * 32).hex(),
            "selected": [s.to_json() for s in selected],
            "teams": [t.to_json() for t in teams],
            "substitutions": [c.to_json() for c in changes],
            "replacements": [],
        }
    )
    assert got == expected


def test_a_change_holding_the_marker_still_gives_canonical_json() -> None:
    from shuangsuiji.lottery.teams import Member, Substitution, Team

    s = Selected("k1", "A", b"t" * 32)
    change = Substitution(1, "k1", "D1", "I1", "I2", "\x00selected\x00")
    got = build_result(
        commitment_sha256="0" * 64,
        seed=b"s" * 32,
        selected=[s],
        teams=[Team("k1", (Member("D1", "I1", True),))],
        substitutions=[change],
    )
    assert got.count(b'"reason":"\\u0000selected\\u0000"') == 1 and b'"selected":[{"key":"k1"' in got


FIELDS = st.text(st.sampled_from(list('0A中é\u0301 \t\n\r\x00"\\')), max_size=4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.tuples(FIELDS, FIELDS), max_size=8))
def test_tsv_at_once_is_the_per_line_tsv(
    monkeypatch: pytest.MonkeyPatch, records: list[tuple[str, str]]
) -> None:
    from shuangsuiji.lottery import encoding

    def outcome() -> Any:
        try:
            return encoding.tsv_bytes(records, file="exclusions.tsv")
        except LotteryError as error:
            return str(error)

    fast = outcome()
    with monkeypatch.context() as patched:
        patched.setattr(encoding, "_encoded_at_once", lambda records, fields: None)
        assert fast == outcome()


@settings(max_examples=300, deadline=None)
@given(records=st.lists(st.tuples(FIELDS, FIELDS), max_size=8), cuts=st.lists(st.integers(0, 8), max_size=3))
def test_tsv_added_in_batches_is_the_tsv_of_all_the_lines(
    records: list[tuple[str, str]], cuts: list[int]
) -> None:
    from shuangsuiji.lottery import TsvLines, tsv_bytes

    def outcome(build: Any) -> Any:
        try:
            return build()
        except LotteryError as error:
            return str(error)  # the same error, naming the same line

    def batched() -> bytes:
        lines = TsvLines(file="exclusions.tsv")
        for a, b in pairwise([0, *sorted(cuts), len(records)]):
            lines.add(records[a:b])
        return lines.tsv()

    assert outcome(batched) == outcome(lambda: tsv_bytes(records, file="exclusions.tsv"))
