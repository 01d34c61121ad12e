"""Golden vectors: the library reproduces them byte for byte; verify_draw.py re-derives them on its own."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from shuangsuiji.lottery.tests.golden_cases import GOLDEN, OUTPUTS, produce
from shuangsuiji.lottery.tests.helpers import bundle_bytes, run_verifier

CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
TSV = ("population.tsv", "exclusions.tsv", "pool.tsv", "conflicts.tsv")


def stored_bundle(case: Path) -> bytes:
    files = {n: (case / "input" / n).read_bytes() if (case / "input" / n).exists() else b"" for n in TSV}
    files.update({n: (case / "expected" / n).read_bytes() for n in OUTPUTS})
    return bundle_bytes(files)


def test_there_are_golden_cases() -> None:
    assert {"worked-example", "teams-caps", "teams-second-pass", "teams-substitutions"} <= set(CASES)
    assert len(CASES) >= 6


@pytest.mark.parametrize("name", CASES)
def test_library_reproduces_golden_bytes(name: str) -> None:
    case = GOLDEN / name
    members, _ = produce(case)
    for out in OUTPUTS:
        assert members[out] == (case / "expected" / out).read_bytes(), out
    for tsv in TSV:
        stored = (case / "input" / tsv).read_bytes() if (case / "input" / tsv).exists() else b""
        assert members[tsv] == stored, tsv


@pytest.mark.parametrize("name", CASES)
def test_verify_draw_rederives_golden_results(name: str, tmp_path: Path) -> None:
    bundle = tmp_path / "golden.zip"
    bundle.write_bytes(stored_bundle(GOLDEN / name))
    code, out = run_verifier(bundle)
    assert code == 0, out
    assert "OK:" in out


def test_worked_example_golden_matches_the_spec() -> None:
    result = json.loads((GOLDEN / "worked-example" / "expected" / "result.json").read_bytes())
    assert result["seed"] == "31fac530034abca1f9e3d2bf4b3dc0ea6fddfcf32d1176105f33ba3499e1d809"
    assert result["substitutions"][0]["in"] == "豫执0410002"


def test_golden_cases_cover_caps_second_pass_and_chains() -> None:
    subs = json.loads((GOLDEN / "teams-substitutions" / "expected" / "result.json").read_bytes())
    changes = sorted(subs["substitutions"] + subs["replacements"], key=lambda c: c["seq"])
    # chained twice on one team: the newcomer of one substitution leaves in the next
    assert any(
        a["entity"] == b["entity"] and a["department"] == b["department"] and a["in"] == b["out"]
        for a, b in pairwise(changes)
        if "approved_by" not in a and "approved_by" not in b
    )
    assert subs["replacements"], "manual replacements are covered"
    # caps: in teams-caps someone reached the cap of their department
    caps = json.loads((GOLDEN / "teams-caps" / "expected" / "result.json").read_bytes())
    loads: dict[str, int] = {}
    for team in caps["teams"]:
        for m in team["members"]:
            loads[m["inspector"]] = loads.get(m["inspector"], 0) + 1
    n = len(caps["selected"])
    assert max(loads[i] for i in loads if i.startswith("豫执")) >= -(-n * 2 // 5)
