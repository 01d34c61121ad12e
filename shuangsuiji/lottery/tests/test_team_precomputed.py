"""The team draw with tickets precomputed in worker processes (which send only the head of each ranking) gives
the same teams, second passes and errors as the single-process draw, byte for byte — whatever the length of
the heads, so also when a head runs out and the walk falls back to the full ranking."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shuangsuiji.lottery import Department, TeamInputs, TeamShortageError, canonical_json, draw_teams
from shuangsuiji.lottery import teams as teams_module
from shuangsuiji.lottery.tests.reference_teams import reference_draw_teams

SEED = hashlib.sha256(b"precomputed").digest()


def outcome(draw: Any, *args: Any, **kwargs: Any) -> tuple[bytes, list[tuple[str, str]]]:
    """The canonical JSON of the teams (as result.json carries them) and the second passes, or the error."""
    second: list[tuple[str, str]] = []
    try:
        teams = draw(*args, second_pass=second, **kwargs)
    except TeamShortageError as error:
        return f"shortage {error.entity} {error.department} {error}".encode(), second
    return canonical_json([t.to_json() for t in teams]), second


def precomputed_here(seed: bytes, entities: list[str], inputs: TeamInputs, **kwargs: Any) -> Any:
    """The precomputed path without worker processes (the prefixes computed in this process)."""
    states = [
        teams_module._DeptState(d, inputs.pool.get(d.code, ()), len(entities)) for d in inputs.departments
    ]
    return teams_module._draw_teams_precomputed(seed, entities, inputs, states, kwargs["second_pass"], 1)


def big_inputs(
    n_entities: int, sizes: tuple[int, int, int], conflict_every: int
) -> tuple[list[str], TeamInputs]:
    depts = (
        Department("D1", "市场监管", 2, True),
        Department("D2", "消防", 1, False),
        Department("XF", "环境", 2, False),
    )
    pool = {d.code: tuple(f"{d.code}-{i:04d}" for i in range(n)) for d, n in zip(depts, sizes, strict=True)}
    entities = [f"91410381MA{i:08d}" for i in range(n_entities)]
    conflicts = {
        e: frozenset(pool[d.code][(j * 7 + k) % len(pool[d.code])] for d in depts for k in range(3))
        for j, e in enumerate(entities[::conflict_every])
    }
    return entities, TeamInputs(departments=depts, pool=pool, conflicts=conflicts)


@pytest.fixture
def small_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teams_module, "PARALLEL_MIN_TICKETS", 0)
    monkeypatch.setattr(teams_module, "_CHUNK_ENTITIES", 7)


@pytest.mark.parametrize("head_expected", [1, 3, 16, 1000])
def test_two_processes_give_the_single_process_teams(
    small_parallel: None, monkeypatch: pytest.MonkeyPatch, head_expected: int
) -> None:
    # heads of 1 or 3 run out often (the fallback), 1000 holds every pool whole
    monkeypatch.setattr(teams_module, "HEAD_EXPECTED", head_expected)
    entities, inputs = big_inputs(300, (40, 25, 12), conflict_every=9)
    expected = outcome(reference_draw_teams, SEED, entities, inputs)
    assert expected[1], "the caps must bind somewhere, so that the second pass is exercised"
    assert outcome(draw_teams, SEED, entities, inputs) == expected
    assert outcome(draw_teams, SEED, entities, inputs, processes=2) == expected


def test_a_shortage_names_the_same_entity_and_department_on_both_paths(small_parallel: None) -> None:
    entities, inputs = big_inputs(40, (5, 3, 4), conflict_every=100)
    late = entities[25]  # in conflict with 3 of the 4 XF inspectors, who need 2
    inputs = TeamInputs(inputs.departments, inputs.pool, {late: frozenset(inputs.pool["XF"][:3])})
    expected = outcome(reference_draw_teams, SEED, entities, inputs)
    assert expected[0].startswith(f"shortage {late} XF".encode())
    assert outcome(draw_teams, SEED, entities, inputs, processes=2) == expected


def test_small_draws_stay_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no workers for a small draw")

    monkeypatch.setattr(teams_module, "_draw_teams_precomputed", refuse)
    entities, inputs = big_inputs(50, (10, 10, 10), conflict_every=5)
    assert outcome(draw_teams, SEED, entities, inputs, processes=2) == outcome(
        reference_draw_teams, SEED, entities, inputs
    )


CODES = ["A", "B", "C中"]


@st.composite
def team_cases(draw: Any) -> tuple[bytes, list[str], TeamInputs, int]:
    n_depts = draw(st.integers(1, 3))
    depts = tuple(Department(CODES[i], f"部门{i}", draw(st.integers(1, 3)), i == 0) for i in range(n_depts))
    pool = {
        d.code: tuple(
            sorted({f"{d.code}{x}" for x in draw(st.lists(st.integers(0, 40), min_size=1, max_size=12))})
        )
        for d in depts
    }
    entities = draw(st.lists(st.text("019AZ豫", min_size=1, max_size=4), max_size=30, unique=True))
    everyone = [i for d in depts for i in pool[d.code]]
    conflicts: dict[str, frozenset[str]] = {}
    if entities:
        for e in draw(st.lists(st.sampled_from(entities), max_size=10)):
            conflicts[e] = frozenset(draw(st.lists(st.sampled_from(everyone), max_size=6)))
    seed = draw(st.binary(min_size=32, max_size=32))
    return seed, entities, TeamInputs(depts, pool, conflicts), draw(st.sampled_from([1, 2, 4, 16, 100]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team_cases())
def test_precomputed_prefixes_walk_to_the_reference_teams(
    case: tuple[bytes, list[str], TeamInputs, int],
) -> None:
    seed, entities, inputs, head_expected = case
    expected = outcome(reference_draw_teams, seed, entities, inputs)
    event("shortage" if expected[0].startswith(b"shortage") else "teams drawn")
    event("second pass" if expected[1] else "no second pass")
    assert outcome(draw_teams, seed, entities, inputs) == expected
    saved = teams_module.HEAD_EXPECTED
    teams_module.HEAD_EXPECTED = head_expected
    try:
        assert outcome(precomputed_here, seed, entities, inputs) == expected
    finally:
        teams_module.HEAD_EXPECTED = saved
