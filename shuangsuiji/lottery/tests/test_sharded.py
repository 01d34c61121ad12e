"""Sharded draws give the same answer as the single pass."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shuangsuiji.lottery import (
    IntegrityError,
    StratumSpec,
    build_commitment,
    draw_objects,
    draw_objects_from_file,
    draw_objects_sharded,
    draw_shard,
    iter_tsv_pairs,
    merge_shards,
    split_tsv_file,
)

SEED = hashlib.sha256(b"shards").digest()


def population(n: int) -> list[tuple[str, str]]:
    return sorted(
        ((f"S{i % 7}", f"91410381{i:010d}") for i in range(n)), key=lambda p: f"{p[0]}\t{p[1]}".encode()
    )


class Slice:
    def __init__(self, pop: list[tuple[str, str]], start: int, stop: int) -> None:
        self.pop, self.start, self.stop = pop, start, stop

    def __call__(self) -> list[tuple[str, str]]:
        return self.pop[self.start : self.stop]


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    pop = population(20000)
    path = tmp_path_factory.mktemp("pop") / "population.tsv"
    files = build_commitment(
        task="分片",
        created_at="2026-01-01T00:00:00+08:00",
        population=pop,
        strata=[StratumSpec(f"S{i}", f"分层{i}", 150 * (i + 1) ** 2) for i in range(7)],
        population_path=path,
    )
    return pop, path, files


def test_sharded_in_processes_equals_single_pass(committed) -> None:  # type: ignore[no-untyped-def]
    pop, _, files = committed
    strata = files.commitment.strata
    single = draw_objects(SEED, pop, strata, population_sha256=files.commitment.population_sha256)
    parts = [Slice(pop, 0, 6000), Slice(pop, 6000, 6001), Slice(pop, 6001, 20000)]
    sharded = draw_objects_sharded(SEED, parts, strata, processes=2)
    assert sharded.selected == single.selected
    assert dict(sharded.sizes) == dict(single.sizes)


def test_shards_need_not_be_contiguous(committed) -> None:  # type: ignore[no-untyped-def]
    pop, _, files = committed
    strata = files.commitment.strata
    single = draw_objects(SEED, pop, strata)
    odd, even = pop[1::2], pop[::2]
    merged = merge_shards([draw_shard(SEED, odd, strata), draw_shard(SEED, even, strata)], strata)
    assert merged.selected == single.selected


def test_draw_from_file_in_parallel_checks_the_digest(committed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pop, path, files = committed
    strata = files.commitment.strata
    digest = files.commitment.population_sha256
    single = draw_objects(SEED, iter_tsv_pairs(path), strata, population_sha256=digest)
    assert (
        draw_objects_from_file(SEED, path, strata, population_sha256=digest, processes=2).selected
        == single.selected
    )
    assert len(split_tsv_file(path, 3)) == 3
    with pytest.raises(IntegrityError, match="population_sha256"):
        draw_objects_from_file(SEED, path, strata, population_sha256="0" * 64, processes=2)
    with pytest.raises(IntegrityError, match="population_sha256"):
        draw_objects(SEED, pop, strata, population_sha256="0" * 64)


def test_sizes_must_match_the_commitment(committed) -> None:  # type: ignore[no-untyped-def]
    pop, _, files = committed
    with pytest.raises(IntegrityError, match="the commitment says"):
        draw_objects(SEED, pop[:-1], files.commitment.strata)
