"""Properties (hypothesis): order independence, sharding, and the verifier's verdicts."""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from shuangsuiji.lottery import (
    Department,
    NoSubstituteError,
    StratumSpec,
    TeamShortageError,
    TeamSpec,
    build_commitment,
    draw_objects,
    draw_shard,
    iter_tsv_pairs,
    merge_shards,
    run_draw,
)
from shuangsuiji.lottery.tests.helpers import bundle_bytes, bundle_members, canonical, run_verifier

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Keys from a small alphabet, so that order, CJK bytes and a control character below LF all occur.
KEYS = st.text(st.sampled_from(list("019ABXZ中豫é -\x01")), min_size=1, max_size=5)
LABELS = ["A", "B", "C1", "中", "A\x01"]


@dataclass
class Scenario:
    strata: list[StratumSpec]
    population: list[tuple[str, str]]
    exclusions: list[tuple[str, str]]
    departments: list[Department] | None
    pool: list[tuple[str, str]]
    conflicts: list[tuple[str, str]]
    nonce: bytes
    entropy: str
    changes: list[tuple[int, int, bool, int]] = field(default_factory=list)


@st.composite
def scenarios(draw: Any) -> Scenario:
    labels = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=4, unique=True))
    strata = [StratumSpec(lb, f"分层{lb}", draw(st.integers(1, 10000))) for lb in labels]
    ents = draw(st.lists(KEYS, min_size=draw(st.sampled_from([0, 1, 1, 1])), max_size=25, unique=True))
    population = [(draw(st.sampled_from(labels)), e) for e in ents]
    exclusions = [
        (k, draw(st.sampled_from(["deregistered", "joint-cap"])))
        for k in draw(st.lists(KEYS, max_size=3, unique=True))
        if k not in ents
    ]
    departments = None
    pool: list[tuple[str, str]] = []
    conflicts: list[tuple[str, str]] = []
    if draw(st.sampled_from([True, True, True, False])):
        codes = draw(st.lists(st.sampled_from(["D1", "D2", "科", "Z"]), min_size=1, max_size=3, unique=True))
        lead = draw(st.sampled_from(codes))
        departments = []
        for c in codes:
            per = draw(st.integers(1, 2))
            departments.append(Department(c, f"部门{c}", per, c == lead))
            pool += [(c, f"{c}执{i}") for i in range(per + draw(st.integers(0, 3)))]
        if ents:
            inspectors = [i for _, i in pool]
            conflicts = draw(
                st.lists(
                    st.tuples(st.sampled_from(inspectors), st.sampled_from(ents)), max_size=5, unique=True
                )
            )
    nonce = draw(st.binary(min_size=32, max_size=32))
    entropy = draw(st.text(max_size=8))
    changes = draw(
        st.lists(
            st.tuples(st.integers(0, 99), st.integers(0, 99), st.booleans(), st.integers(0, 99)), max_size=5
        )
    )
    return Scenario(strata, population, exclusions, departments, pool, conflicts, nonce, entropy, changes)


def build(s: Scenario, shuffle: random.Random | None = None) -> tuple[bytes, bytes, dict[str, bytes]]:
    """commitment.json, result.json and the bundle's members; inputs shuffled when asked."""

    def mix(xs: list[Any]) -> list[Any]:
        xs = list(xs)
        if shuffle is not None:
            shuffle.shuffle(xs)
        return xs

    teams = TeamSpec(mix(s.departments), mix(s.pool), mix(s.conflicts)) if s.departments else None
    population = (
        mix(s.population) if shuffle else sorted(s.population, key=lambda p: f"{p[0]}\t{p[1]}".encode())
    )
    files = build_commitment(
        task="性质测试",
        created_at="2026-02-03T04:05:06+08:00",
        population=population,
        strata=mix(s.strata),
        exclusions=mix(s.exclusions),
        teams=teams,
        server_nonce=s.nonce,
        sort_population=shuffle is not None,
    )
    try:
        outcome = run_draw(
            commitment_json=files.commitment_json,
            server_nonce=s.nonce,
            ceremony_entropy=s.entropy,
            population=files.population_tsv or b"",
            pool_tsv=files.pool_tsv,
            conflicts_tsv=files.conflicts_tsv,
        )
    except TeamShortageError:
        assume(False)
        raise
    ledger = outcome.ledger
    if ledger is not None and outcome.teams:
        inputs = outcome.team_inputs
        assert inputs is not None
        for ti, mi, manual, pick in s.changes:
            team = ledger.team(outcome.teams[ti % len(outcome.teams)].entity)
            m = team.members[mi % len(team.members)]
            if not manual:
                try:
                    ledger.substitute(team.entity, m.department, m.inspector, f"原因{pick}")
                except NoSubstituteError:
                    pass
                continue
            on = {x.inspector for x in team.members}
            free = [
                i
                for i in inputs.pool[m.department]
                if i not in on and i not in inputs.conflicts.get(team.entity, frozenset())
            ]
            if free:
                ledger.replace(team.entity, m.department, m.inspector, free[pick % len(free)], "调整", "局长")
    event("team draw" if outcome.teams else "object draw")
    if ledger is not None:
        event(f"{len(ledger.substitutions)} substitutions, {len(ledger.replacements)} replacements")
    buf = io.BytesIO()
    outcome.write_bundle(
        buf,
        population_tsv=files.population_tsv or b"",
        exclusions_tsv=files.exclusions_tsv,
        pool_tsv=files.pool_tsv,
        conflicts_tsv=files.conflicts_tsv,
    )
    return files.commitment_json, outcome.result_json(), bundle_members(buf.getvalue())


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(s: Scenario, rnd: random.Random) -> None:
    c1, r1, _ = build(s)
    c2, r2, _ = build(s, shuffle=rnd)
    assert c1 == c2
    assert r1 == r2


@SETTINGS
@given(scenarios(), st.integers(1, 4), st.randoms(use_true_random=False))
def test_sharded_equals_unsharded(s: Scenario, k: int, rnd: random.Random) -> None:
    _, _, members = build(s)
    commitment = json.loads(members["commitment.json"])
    from shuangsuiji.lottery import parse_commitment

    strata = parse_commitment(members["commitment.json"]).strata
    seed = bytes.fromhex(json.loads(members["result.json"])["seed"])
    lines = list(iter_tsv_pairs(members["population.tsv"]))
    shards: list[list[tuple[str, str]]] = [[] for _ in range(k)]
    for line in lines:
        shards[rnd.randrange(k)].append(line)
    single = draw_objects(seed, lines, strata, population_sha256=commitment["population_sha256"])
    merged = merge_shards([draw_shard(seed, part, strata) for part in shards], strata)
    assert merged.selected == single.selected


@SETTINGS
@given(scenarios())
def test_verifier_accepts_every_bundle_the_writer_makes(s: Scenario) -> None:
    _, _, members = build(s)
    code, out = run_verifier(bundle_bytes(members))
    assert code == 0, out


INPUT_FILES = [
    "commitment.json",
    "reveal.json",
    "population.tsv",
    "exclusions.tsv",
    "pool.tsv",
    "conflicts.tsv",
]


@SETTINGS
@given(
    scenarios(),
    st.sampled_from(INPUT_FILES),
    st.integers(0, 10**6),
    st.integers(1, 255),
    st.sampled_from(["change", "insert", "delete"]),
)
def test_verifier_rejects_every_single_byte_change(
    s: Scenario, name: str, pos: int, delta: int, how: str
) -> None:
    _, _, members = build(s)
    data = bytearray(members[name])
    if how != "insert":
        assume(len(data) > 0)
    i = pos % (len(data) + (1 if how == "insert" else 0)) if data or how == "insert" else 0
    if how == "change":
        data[i] = (data[i] + delta) % 256
    elif how == "insert":
        data.insert(i, delta)
    else:
        del data[i]
    members[name] = bytes(data)
    code, out = run_verifier(bundle_bytes(members))
    assert code == 1, f"{name} {how} at {i}: {out}"


def result_mutations(r: dict[str, Any], pool: list[str]) -> list[tuple[str, Any]]:
    """Every checkable kind of change to result.json, as (description, function)."""
    out: list[tuple[str, Any]] = []
    sel = r["selected"]
    for i in range(len(sel)):
        out.append((f"key {i}", lambda r, i=i: r["selected"][i].update(key=r["selected"][i]["key"] + "X")))
        out.append(
            (
                f"stratum {i}",
                lambda r, i=i: r["selected"][i].update(stratum=r["selected"][i]["stratum"] + "1"),
            )
        )
        out.append(
            (
                f"ticket {i}",
                lambda r, i=i: r["selected"][i].update(
                    ticket=("0" if r["selected"][i]["ticket"][0] != "0" else "1")
                    + r["selected"][i]["ticket"][1:]
                ),
            )
        )
        if i + 1 < len(sel):
            out.append((f"order {i}", lambda r, i=i: r["selected"].insert(i, r["selected"].pop(i + 1))))
    out.append(
        (
            "drop selected",
            lambda r: (
                r["selected"].pop()
                if r["selected"]
                else r["selected"].append({"key": "X", "stratum": "A", "ticket": "0" * 64})
            ),
        )
    )
    for ti, t in enumerate(r["teams"] or []):
        if ti + 1 < len(r["teams"]):
            out.append((f"team order {ti}", lambda r, ti=ti: r["teams"].insert(ti, r["teams"].pop(ti + 1))))
        for mi, m in enumerate(t["members"]):
            others = [p for p in pool if p != m["inspector"]]
            if others:
                out.append(
                    (
                        f"member {ti}.{mi}",
                        lambda r, ti=ti, mi=mi, o=others[0]: r["teams"][ti]["members"][mi].update(
                            inspector=o
                        ),
                    )
                )
            out.append(
                (
                    f"leader {ti}.{mi}",
                    lambda r, ti=ti, mi=mi: r["teams"][ti]["members"][mi].update(
                        leader=not r["teams"][ti]["members"][mi]["leader"]
                    ),
                )
            )
            if mi + 1 < len(t["members"]):
                out.append(
                    (
                        f"member order {ti}.{mi}",
                        lambda r, ti=ti, mi=mi: r["teams"][ti]["members"].insert(
                            mi, r["teams"][ti]["members"].pop(mi + 1)
                        ),
                    )
                )
    for ci, c in enumerate(r["substitutions"]):
        others = [p for p in pool if p != c["in"]]
        if others:
            out.append(
                (f"substitute {ci}", lambda r, ci=ci, o=others[-1]: r["substitutions"][ci].update({"in": o}))
            )
        out.append(
            (
                f"seq {ci}",
                lambda r, ci=ci: r["substitutions"][ci].update(seq=r["substitutions"][ci]["seq"] + 100),
            )
        )
        if ci + 1 < len(r["substitutions"]):
            out.append(
                (
                    f"substitution order {ci}",
                    lambda r, ci=ci: r["substitutions"].insert(ci, r["substitutions"].pop(ci + 1)),
                )
            )
    return out


@SETTINGS
@given(scenarios(), st.integers(0, 10**6))
def test_verifier_rejects_every_change_to_the_checkable_result(s: Scenario, which: int) -> None:
    _, _, members = build(s)
    r = json.loads(members["result.json"])
    pool = [line.split("\t")[1] for line in members["pool.tsv"].decode().splitlines()]
    mutations = result_mutations(r, pool)
    desc, fn = mutations[which % len(mutations)]
    fn(r)
    members["result.json"] = canonical(r)
    code, out = run_verifier(bundle_bytes(members))
    assert code == 1, f"{desc}: {out}"


@SETTINGS
@given(scenarios())
def test_free_text_reasons_are_not_part_of_the_proof(s: Scenario) -> None:
    _, _, members = build(s)
    r = json.loads(members["result.json"])
    for c in r["substitutions"] + r["replacements"]:
        c["reason"] = "随便写的原因"
    for c in r["replacements"]:
        c["approved_by"] = "另一位领导"
    members["result.json"] = canonical(r)
    assert run_verifier(bundle_bytes(members))[0] == 0


@pytest.mark.slow
def test_every_single_byte_change_to_the_worked_example_is_rejected() -> None:
    """Exhaustive over positions (three new values each) for the inputs of the worked example bundle."""
    from shuangsuiji.lottery.tests.golden_cases import GOLDEN
    from shuangsuiji.lottery.tests.test_golden import stored_bundle

    members = bundle_members(stored_bundle(GOLDEN / "worked-example"))
    tried = 0
    for name in INPUT_FILES:
        original = members[name]
        for i in range(len(original)):
            for flip in (0x01, 0x20, 0x80):
                data = bytearray(original)
                data[i] ^= flip
                code, out = run_verifier(bundle_bytes({**members, name: bytes(data)}))
                assert code == 1, f"{name}[{i}] ^ {flip:#x}: {out}"
                tried += 1
    assert tried > 3000
