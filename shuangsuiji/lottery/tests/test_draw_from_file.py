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


def test_two_processes_on_a_file_draw_the_same(tmp_path: Path) -> None:
    population = sorted(
        ((f"S{i % 7}", f"91410381{i:010d}") for i in range(30000)), key=lambda p: f"{p[0]}\t{p[1]}".encode()
    )
    path = tmp_path / "population.tsv"
    files = build_commitment(
        task="分片",
        created_at="2026-01-01T00:00:00+08:00",
        population=population,
        strata=[StratumSpec(f"S{i}", f"分层{i}", 150 * (i + 1) ** 2) for i in range(7)],
        population_path=path,
    )
    seed = hashlib.sha256(b"file").digest()
    digest = files.commitment.population_sha256
    single = draw_objects(seed, population, files.commitment.strata, population_sha256=digest)
    for processes in (1, 2, 3):
        sharded = draw_objects_from_file(
            seed, path, files.commitment.strata, population_sha256=digest, processes=processes
        )
        assert sharded.selected == single.selected
        assert sharded.lines == single.lines  # counted across the shards
        assert [population[n] for n in sharded.lines] == [(s.stratum, s.key) for s in sharded.selected]


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
