"""Drawing from a stored population.tsv (digest first, then the lines cut in C per stratum run) gives exactly
what the validating pass over (label, key) pairs gives — also across block boundaries and in shards — and
leaves anything malformed to the validating pass, which names the problem."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuangsuiji.lottery import (
    LotteryError,
    Stratum,
    StratumSpec,
    build_commitment,
    draw_objects,
    draw_objects_from_file,
    iter_tsv_pairs,
    quota,
)
from shuangsuiji.lottery import objects as objects_module

KEYS = st.text(st.sampled_from(list("019ABXZ中豫é -\x01")), min_size=1, max_size=6)
LABELS = ["A", "B", "C1", "中", "A\x01", "A B"]


def drawn(outcome: Any) -> tuple[Any, Any, Any]:
    return outcome.selected, dict(outcome.sizes), outcome.population_sha256


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    population=st.lists(st.tuples(st.sampled_from(LABELS), KEYS), max_size=60, unique_by=lambda p: p[1]),
    rates=st.lists(st.integers(1, 10000), min_size=len(LABELS), max_size=len(LABELS)),
    seed=st.binary(min_size=32, max_size=32),
    block=st.sampled_from([1, 5, 17, 64, 1 << 22]),
)
def test_the_file_pass_draws_what_the_validating_pass_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, population: Any, rates: Any, seed: bytes, block: int
) -> None:
    monkeypatch.setattr(objects_module, "_FAST_BLOCK", block)
    path = tmp_path / "population.tsv"
    files = build_commitment(
        task="文件",
        created_at="2026-01-01T00:00:00+08:00",
        population=population,
        strata=[StratumSpec(label, f"分层{label}", rate) for label, rate in zip(LABELS, rates, strict=True)],
        sort_population=True,
        population_path=path,
    )
    strata = files.commitment.strata
    digest = files.commitment.population_sha256
    by_pairs = draw_objects(seed, iter_tsv_pairs(path), strata, population_sha256=digest)
    expected = drawn(by_pairs)
    from_file = draw_objects_from_file(seed, path, strata, population_sha256=digest)
    assert drawn(from_file) == expected
    with path.open("rb") as fh:  # and the pass itself, not a fallback
        shard = objects_module._shard_from_sorted_tsv(seed, fh.read, strata)
    assert objects_module.merge_shards([shard], strata).selected == expected[0]
    lines = list(iter_tsv_pairs(path))  # each selected entity's line number is its line
    for outcome in (by_pairs, from_file):
        assert [lines[n] for n in outcome.lines] == [(s.stratum, s.key) for s in outcome.selected]


def _population_file(tmp_path: Path, n: int, rates: list[int]) -> tuple[Path, Any, list[tuple[str, str]]]:
    """population.tsv of n entities spread over strata S0, S1, … at these rates, its commitment, its pairs."""
    population = sorted(
        ((f"S{i % len(rates)}", f"91410381{i:010d}") for i in range(n)),
        key=lambda p: f"{p[0]}\t{p[1]}".encode(),
    )
    path = tmp_path / "population.tsv"
    files = build_commitment(
        task="文件",
        created_at="2026-01-01T00:00:00+08:00",
        population=population,
        strata=[StratumSpec(f"S{i}", f"分层{i}", rate) for i, rate in enumerate(rates)],
        population_path=path,
    )
    return path, files.commitment, population


def test_two_processes_on_a_file_draw_the_same(tmp_path: Path) -> None:
    path, commitment, population = _population_file(tmp_path, 30000, [150 * (i + 1) ** 2 for i in range(7)])
    seed = hashlib.sha256(b"file").digest()
    digest = commitment.population_sha256
    single = draw_objects(seed, population, commitment.strata, population_sha256=digest)
    for processes in (1, 2, 3):
        sharded = draw_objects_from_file(
            seed, path, commitment.strata, population_sha256=digest, processes=processes
        )
        assert sharded.selected == single.selected
        assert sharded.lines == single.lines  # counted across the shards
        assert [population[n] for n in sharded.lines] == [(s.stratum, s.key) for s in sharded.selected]


def _passes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records the ``bounded`` of each pass the file draw makes."""
    passes: list[bool] = []
    real = objects_module._draw_file

    def recorded(*args: Any, bounded: bool) -> Any:
        passes.append(bounded)
        return real(*args, bounded=bounded)

    monkeypatch.setattr(objects_module, "_draw_file", recorded)
    return passes


@pytest.mark.parametrize("processes", [1, 2])
def test_ticket_bounds_change_nothing_and_a_bound_too_low_draws_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    path, commitment, population = _population_file(tmp_path, 20000, [50, 200, 700, 3000, 10000])
    assert set(objects_module._ticket_bounds(commitment.strata)) == {"S0", "S1", "S2", "S3"}  # not at 100 %
    passes = _passes(monkeypatch)
    for n in range(8):
        seed = hashlib.sha256(b"bound %d" % n).digest()
        expected = draw_objects(seed, population, commitment.strata)
        got = draw_objects_from_file(
            seed, path, commitment.strata, population_sha256=commitment.population_sha256, processes=processes
        )
        assert (got.selected, got.lines) == (expected.selected, expected.lines)
    assert passes == [True] * 8  # the bounds held: one pass each
    # Bounds that hold almost nothing: the bounded pass comes short and the draw runs again without them.
    monkeypatch.setattr(
        objects_module, "_ticket_bounds", lambda strata: {s.label: b"\x00\x01" + bytes(30) for s in strata}
    )
    passes.clear()
    seed = hashlib.sha256(b"too low").digest()
    expected = draw_objects(seed, population, commitment.strata)
    got = draw_objects_from_file(
        seed, path, commitment.strata, population_sha256=commitment.population_sha256, processes=processes
    )
    assert (got.selected, got.lines) == (expected.selected, expected.lines)
    assert passes == [True, False]


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, 10**9), rate=st.integers(1, 10000))
def test_a_ticket_bound_admits_more_than_the_quota_share(size: int, rate: int) -> None:
    stratum = Stratum("S", "分层", size, rate, quota(size, rate))
    bound = objects_module._ticket_bounds([stratum]).get("S")
    if bound is None:
        return
    # The share of all tickets at or below the bound exceeds quota/size by at least ten standard deviations.
    share = (int.from_bytes(bound, "big") + 1) / 2**256
    assert len(bound) == 32 and share * size >= stratum.quota + 10 * stratum.quota**0.5


MALFORMED = {
    "unsorted": b"A\tk2\nA\tk1\n",
    "two tabs": b"A\tk1\tx\nA\tk2\n",
    "empty key": b"A\t\nA\tk1\n",
    "no final LF": b"A\tk1\nA\tk2",
    "CR": b"A\tk1\r\nA\tk2\n",
    "unknown stratum": b"A\tk1\nZ\tk2\n",
    "no TAB": b"A\tk1\nAk2\n",
    "empty line": b"A\tk1\n\nA\tk2\n",
    "not UTF-8": b"A\tk1\nA\t\xffk2\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_file_is_refused_as_the_validating_pass_refuses_it(tmp_path: Path, name: str) -> None:
    data = MALFORMED[name]
    path = tmp_path / "population.tsv"
    path.write_bytes(data)
    strata = [Stratum("A", "甲", 2, 5000, quota(2, 5000))]
    digest = hashlib.sha256(data).hexdigest()  # as if a commitment had been made of these bytes
    seed = hashlib.sha256(b"bad").digest()
    with pytest.raises(LotteryError) as expected:
        draw_objects(seed, iter_tsv_pairs(path), strata, population_sha256=digest)
    with pytest.raises(LotteryError) as got:
        draw_objects_from_file(seed, path, strata, population_sha256=digest)
    assert (type(got.value), str(got.value)) == (type(expected.value), str(expected.value))


def test_a_file_changed_after_the_commitment_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "population.tsv"
    path.write_bytes(b"A\tk1\nA\tk2\n")
    strata = [Stratum("A", "甲", 2, 5000, quota(2, 5000))]
    with pytest.raises(LotteryError, match="population_sha256"):
        draw_objects_from_file(hashlib.sha256(b"x").digest(), path, strata, population_sha256="0" * 64)
