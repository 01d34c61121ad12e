"""Statistics: the draw is uniform where it should be (over >= 10,000 seeds). Marked slow; run in CI."""

from __future__ import annotations

import hashlib
import math
from collections import Counter

import pytest

from shuangsuiji.lottery import Department, Stratum, TeamInputs, draw_objects, draw_teams, quota
from shuangsuiji.lottery.tests.stats import chi2_sf, gamma_q, uniformity_p

SEEDS = 10_000
P_MIN = 0.001


def seed(tag: str, i: int) -> bytes:
    return hashlib.sha256(f"{tag}:{i}".encode()).digest()


def test_chi2_helper_matches_known_values() -> None:
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, abs=1e-9)
    assert chi2_sf(18.307038053275146, 10) == pytest.approx(0.05, abs=1e-9)
    assert chi2_sf(2.0, 2) == pytest.approx(math.exp(-1), abs=1e-12)
    assert chi2_sf(150.0, 100) == pytest.approx(0.000898, rel=1e-2)
    assert gamma_q(1.0, 0.5) == pytest.approx(math.exp(-0.5), abs=1e-12)
    assert chi2_sf(0.0, 3) == 1.0


@pytest.mark.slow
def test_inclusion_is_uniform_within_each_stratum() -> None:
    keys = {"S": [f"91410381S{i:09d}" for i in range(20)], "T": [f"豫T{i:03d}" for i in range(7)]}
    rates = {"S": 2500, "T": 3000}
    strata = [
        Stratum(lb, lb, len(keys[lb]), rates[lb], quota(len(keys[lb]), rates[lb])) for lb in sorted(keys)
    ]
    population = [(lb, k) for lb in sorted(keys) for k in sorted(keys[lb], key=str.encode)]
    counts: Counter[str] = Counter()
    for i in range(SEEDS):
        counts.update(s.key for s in draw_objects(seed("obj", i), population, strata).selected)
    for st in strata:
        p = st.quota / st.size
        observed = [counts[k] for k in keys[st.label]]
        pvalue, stat, df = uniformity_p(observed, p * (1 - p), SEEDS)
        freqs = [c / SEEDS for c in observed]
        print(
            f"\nstratum {st.label}: {st.quota}/{st.size} per draw, inclusion frequency "
            f"{min(freqs):.4f}–{max(freqs):.4f} (expected {p:.4f}); chi2 {stat:.1f} on {df} df, p = {pvalue:.3f}"
        )
        assert sum(observed) == SEEDS * st.quota
        assert pvalue > P_MIN


@pytest.mark.slow
def test_inspector_assignments_are_uniform_within_a_department() -> None:
    entities = [f"E{i:02d}" for i in range(15)]
    depts = (Department("D", "市场监管", 2, True), Department("X", "消防", 1, False))
    pool = {"D": tuple(f"D-{i}" for i in range(7)), "X": tuple(f"X-{i}" for i in range(4))}
    # D-0 must not meet E00: the other six of D stay exchangeable, for E00 and overall
    inputs = TeamInputs(depts, pool, {"E00": frozenset({"D-0"})})
    strata = [Stratum("K", "重点", 15, 10000, 15)]
    population = [("K", e) for e in entities]
    totals: Counter[str] = Counter()
    for_e00: Counter[str] = Counter()
    per_draw_sq = dict.fromkeys(("D", "X"), 0.0)
    for i in range(SEEDS):
        s = seed("team", i)
        order = [x.key for x in draw_objects(s, population, strata).selected]
        draw: Counter[str] = Counter()
        for team in draw_teams(s, order, inputs):
            for m in team.members:
                draw[m.inspector] += 1
                if team.entity == "E00":
                    for_e00[m.inspector] += 1
        totals.update(draw)
        for code, need in (("D", 30), ("X", 15)):
            names = pool[code][1:] if code == "D" else pool[code]
            mean = need / len(pool[code])
            per_draw_sq[code] += sum((draw[n] - mean) ** 2 for n in names)

    # overall load: D-1..D-6 and X-0..X-3 exchangeable; per-draw variance estimated from the draws
    for code, names in (("D", pool["D"][1:]), ("X", pool["X"])):
        v = per_draw_sq[code] / (SEEDS * len(names))
        pvalue, stat, df = uniformity_p([totals[n] for n in names], v, SEEDS)
        probs = {n: totals[n] / (SEEDS * len(entities)) for n in pool[code]}
        print(
            f"\ndepartment {code}: per-inspector selection probability per team "
            f"min {min(probs.values()):.4f} max {max(probs.values()):.4f} "
            f"({', '.join(f'{n} {p:.4f}' for n, p in probs.items())}); chi2 {stat:.1f} on {df} df, p = {pvalue:.3f}"
        )
        assert pvalue > P_MIN
    # for E00, each of the six eligible inspectors of D is on its team with probability 2/6
    eligible = pool["D"][1:]
    assert for_e00["D-0"] == 0
    pvalue, stat, df = uniformity_p([for_e00[n] for n in eligible], (2 / 6) * (4 / 6), SEEDS)
    freqs = [for_e00[n] / SEEDS for n in eligible]
    print(
        f"\nE00 (D-0 in conflict): eligible D inspectors {min(freqs):.4f}–{max(freqs):.4f}, expected 0.3333, p = {pvalue:.3f}"
    )
    assert pvalue > P_MIN
