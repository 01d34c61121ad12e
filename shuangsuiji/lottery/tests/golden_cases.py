"""Golden vectors: inputs under golden/<case>/input, expected outputs under golden/<case>/expected.

Regenerate (only ever after the worked example of DRAW-PROTOCOL.md §8 passes, which this checks first):

    uv run python -m shuangsuiji.lottery.tests.golden_cases --write

The test (test_golden.py) recomputes every case with the library and compares bytes, and has
verify_draw.py re-derive every expected result from the stored inputs on its own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from shuangsuiji.lottery import tsv_bytes
from shuangsuiji.lottery.offline import draw_offline
from shuangsuiji.lottery.tests.helpers import (
    WE_CONFLICTS,
    WE_CREATED,
    WE_ENTROPY,
    WE_EXCLUSIONS,
    WE_NONCE,
    WE_POOL,
    WE_POPULATION,
    WE_TASK,
    bundle_members,
    check_worked_example,
)

GOLDEN = Path(__file__).with_name("golden")
OUTPUTS = ("commitment.json", "reveal.json", "result.json")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def nonce(tag: str) -> str:
    return hashlib.sha256(b"golden:" + tag.encode()).hexdigest()


def uscc(rng: random.Random) -> str:
    return "9" + rng.choice("123") + "41" + "0381" + "".join(rng.choice(_USCC_CHARS) for _ in range(10))


def keys(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        k = uscc(rng) if rng.random() < 0.85 else f"豫偃工商字第{rng.randrange(100000):05d}号"
        if k not in taken:
            taken.add(k)
            out.append(k)
    return out


def case_inputs() -> dict[str, dict[str, Any]]:
    """Every case: draw.json, TSV records, and optional API-only extra changes."""
    cases: dict[str, dict[str, Any]] = {}
    cases["worked-example"] = {
        "draw": {
            "task": WE_TASK,
            "created_at": WE_CREATED,
            "strata": [
                {"label": "A", "name": "信用风险低（A类）", "rate_bp": 2000},
                {"label": "C", "name": "信用风险较高（C类）", "rate_bp": 5000},
                {"label": "K", "name": "消防安全重点单位", "rate_bp": 10000},
            ],
            "departments": [
                {"code": "SCJG", "name": "区市场监督管理局", "per_object": 2, "lead": True},
                {"code": "XFJY", "name": "区消防救援大队", "per_object": 1, "lead": False},
            ],
            "ceremony_entropy": WE_ENTROPY,
            "server_nonce": WE_NONCE.hex(),
            "substitutions": [
                {
                    "entity": "91410381MA9F475149",
                    "department": "SCJG",
                    "out": "豫执0410001",
                    "reason": "因病无法参加",
                }
            ],
        },
        "population": WE_POPULATION,
        "exclusions": WE_EXCLUSIONS,
        "pool": WE_POOL,
        "conflicts": WE_CONFLICTS,
    }

    # Object-only, one stratum, a few exclusions, 3% of 50.
    rng = random.Random(1)
    taken: set[str] = set()
    pop = keys(rng, 50, taken)
    excl = keys(rng, 4, taken)
    cases["objects-one-stratum"] = {
        "draw": {
            "task": "偃师区2026年第2号抽查",
            "created_at": "2026-04-01T10:00:00+08:00",
            "strata": [{"label": "ALL", "name": "全部检查对象", "rate_bp": 300}],
            "departments": None,
            "ceremony_entropy": "3 3 1 6 2 5 4 4 1 2",
            "server_nonce": nonce("objects-one-stratum"),
        },
        "population": [("ALL", k) for k in pop],
        "exclusions": [
            (k, r) for k, r in zip(excl, ["deregistered", "inspected-this-year", "joint-cap", "deregistered"])
        ],
        "pool": None,
        "conflicts": None,
    }

    # Object-only, many strata: an empty stratum, a one-entity stratum, 100%, 0.01%, CJK keys; no ceremony.
    rng = random.Random(2)
    taken = set()
    spec = [
        ("A", 200, 400),
        ("B", 500, 120),
        ("C", 2100, 60),
        ("D", 7000, 15),
        ("E", 10000, 9),
        ("F", 1, 1),
        ("Z", 10000, 0),
        ("甲", 5000, 1),
    ]
    population = []
    for label, _, size in spec:
        population += [(label, k) for k in keys(rng, size, taken)]
    cases["objects-many-strata"] = {
        "draw": {
            "task": "市级2026年第1号双随机抽查",
            "created_at": "2026-05-06T08:00:00Z",
            "strata": [{"label": lb, "name": f"分层{lb}", "rate_bp": rate} for lb, rate, _ in spec],
            "departments": None,
            "ceremony_entropy": "",
            "server_nonce": nonce("objects-many-strata"),
        },
        "population": population,
        "exclusions": [(k, "inspected-this-year") for k in keys(rng, 30, taken)],
        "pool": None,
        "conflicts": None,
    }

    # Teams with caps binding (pools barely above need), conflicts, 3 departments, a chained substitution.
    rng = random.Random(3)
    taken = set()
    population = [("A", k) for k in keys(rng, 300, taken)] + [("K", k) for k in keys(rng, 24, taken)]
    pool = [("SCJG", f"豫执04100{i:02d}") for i in range(1, 6)] + [
        ("XFJY", f"XF-0381-{i:02d}") for i in range(1, 4)
    ]
    pool += [("HBJ", f"环执{i:03d}") for i in range(1, 5)]
    inspectors = [i for _, i in pool]
    ents = [k for _, k in population]
    conflicts = sorted({(rng.choice(inspectors), rng.choice(ents)) for _ in range(40)})
    cases["teams-caps"] = {
        "draw": {
            "task": "偃师区2026年第3号联合抽查",
            "created_at": "2026-06-15T09:00:00+08:00",
            "strata": [
                {"label": "A", "name": "一般", "rate_bp": 1000},
                {"label": "K", "name": "重点", "rate_bp": 10000},
            ],
            "departments": [
                {"code": "HBJ", "name": "生态环境分局", "per_object": 1, "lead": False},
                {"code": "SCJG", "name": "区市场监督管理局", "per_object": 2, "lead": True},
                {"code": "XFJY", "name": "区消防救援大队", "per_object": 1, "lead": False},
            ],
            "ceremony_entropy": "6 6 6 1 2 3 5 4 2 1 1 3 5 2 4 6 3 1 2 5",
        },
        "population": population,
        "exclusions": [],
        "pool": pool,
        "conflicts": conflicts,
        "nonce_tag": "teams-caps",
    }

    # The second pass: a department of 3 with per_object 2 and conflicts that leave some entities only the
    # inspectors already at their cap. The nonce is searched until the second pass actually happens.
    rng = random.Random(4)
    taken = set()
    population = [("C", k) for k in keys(rng, 12, taken)]
    ents = [k for _, k in population]
    pool = [("ZJ", f"质检{i}") for i in range(1, 4)] + [("SCJG", f"豫执99{i:02d}") for i in range(1, 5)]
    conflicts = sorted({("质检1", e) for e in ents[:5]} | {("豫执9901", e) for e in ents[3:9]})
    cases["teams-second-pass"] = {
        "draw": {
            "task": "专项2026年第1号联合抽查",
            "created_at": "2026-07-01T14:30:00.250000+08:00",
            "strata": [{"label": "C", "name": "信用风险较高（C类）", "rate_bp": 10000}],
            "departments": [
                {"code": "SCJG", "name": "市场监管", "per_object": 1, "lead": True},
                {"code": "ZJ", "name": "质量技术监督", "per_object": 2, "lead": False},
            ],
            "ceremony_entropy": "1 1 2 3 5 8 13 21",
        },
        "population": population,
        "exclusions": [],
        "pool": pool,
        "conflicts": conflicts,
        "nonce_tag": "teams-second-pass",
        "need_second_pass": True,
    }

    # Substitutions chained twice on one team (A→B, then B→C, same entity and department, the leader's
    # place), another department too, then manual replacements interleaved (API-only extra changes).
    rng = random.Random(5)
    taken = set()
    population = [("B", k) for k in keys(rng, 40, taken)] + [("D", k) for k in keys(rng, 6, taken)]
    pool = [("SCJG", f"豫执05{i:03d}") for i in range(1, 9)] + [("XFJY", f"XF-{i:02d}") for i in range(1, 5)]
    ents = [k for _, k in population]
    conflicts = sorted({(f"豫执05{rng.randrange(1, 9):03d}", rng.choice(ents)) for _ in range(10)})
    cases["teams-substitutions"] = {
        "draw": {
            "task": "偃师区2026年第4号联合抽查",
            "created_at": "2026-08-03T09:30:00+08:00",
            "strata": [
                {"label": "B", "name": "一般", "rate_bp": 1500},
                {"label": "D", "name": "高风险", "rate_bp": 10000},
            ],
            "departments": [
                {"code": "SCJG", "name": "区市场监督管理局", "per_object": 2, "lead": True},
                {"code": "XFJY", "name": "区消防救援大队", "per_object": 1, "lead": False},
            ],
            "ceremony_entropy": "5 2 6 6 1 3",
        },
        "population": population,
        "exclusions": [],
        "pool": pool,
        "conflicts": conflicts,
        "nonce_tag": "teams-substitutions",
        "chain": True,
    }
    return cases


def write_inputs(directory: Path, case: dict[str, Any], draw: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "draw.json").write_text(
        json.dumps(draw, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (directory / "population.tsv").write_bytes(tsv_bytes(case["population"]))
    (directory / "exclusions.tsv").write_bytes(tsv_bytes(case["exclusions"]))
    if case["pool"] is not None:
        (directory / "pool.tsv").write_bytes(tsv_bytes(case["pool"]))
        (directory / "conflicts.tsv").write_bytes(tsv_bytes(case["conflicts"]))


def produce(case_dir: Path) -> tuple[dict[str, bytes], Any]:
    """Run the library on a stored case: the bundle's members, and the offline draw outcome."""
    extra_path = case_dir / "extra_changes.json"
    extra = json.loads(extra_path.read_text(encoding="utf-8")) if extra_path.exists() else []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bundle.zip"
        done = draw_offline(case_dir / "input", out, verify=False, extra_changes=extra)
        return bundle_members(out.read_bytes()), done


def _plan_chain(case_dir: Path, draw: dict[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Pick the substitutions (draw.json) and replacements (extra) from a first draw without changes."""
    with tempfile.TemporaryDirectory() as tmp:
        done = draw_offline(case_dir / "input", Path(tmp) / "b.zip", verify=False)
    teams = done.outcome.teams
    inputs = done.outcome.team_inputs
    assert teams is not None and inputs is not None
    t0, t1 = teams[0], teams[1]
    lead = t0.members[0]
    from shuangsuiji.lottery import TeamLedger

    ledger = TeamLedger(done.outcome.seed, teams, inputs)
    s1 = ledger.substitute(t0.entity, lead.department, lead.inspector, "出差（第一次递补）")
    s2 = ledger.substitute(t0.entity, lead.department, s1.incoming, "需回避（递补人员再次无法参加）")
    xf = next(m for m in t1.members if m.department == "XFJY")
    s3 = ledger.substitute(t1.entity, "XFJY", xf.inspector, "培训")
    subs = [
        {"entity": c.entity, "department": c.department, "out": c.out, "reason": c.reason}
        for c in (s1, s2, s3)
    ]
    # Manual replacements: one in t0 (the second SCJG member) and one replacing s3's newcomer.
    current = ledger.team(t0.entity)
    second = current.members[1]
    on_team = {m.inspector for m in current.members}
    pick = next(
        i
        for i in inputs.pool["SCJG"]
        if i not in on_team and i not in inputs.conflicts.get(t0.entity, frozenset())
    )
    xf_on = {m.inspector for m in ledger.team(t1.entity).members}
    pick2 = next(
        i
        for i in inputs.pool["XFJY"]
        if i not in xf_on and i not in inputs.conflicts.get(t1.entity, frozenset())
    )
    extra = [
        {
            "entity": t0.entity,
            "department": "SCJG",
            "out": second.inspector,
            "in": pick,
            "reason": "岗位调整",
            "approved_by": "王局长",
        },
        {
            "entity": t1.entity,
            "department": "XFJY",
            "out": s3.incoming,
            "in": pick2,
            "reason": "利害关系回避",
            "approved_by": "李大队长",
        },
        {"entity": t0.entity, "department": "SCJG", "out": pick, "reason": "临时任务"},
    ]
    return subs, extra


def generate(root: Path) -> None:
    check_worked_example()  # never write golden vectors unless the spec's worked example passes
    for name, case in case_inputs().items():
        case_dir = root / name
        if case_dir.exists():
            shutil.rmtree(case_dir)
        draw = dict(case["draw"])
        tag = case.get("nonce_tag")
        attempt = 0
        while True:
            if tag is not None:
                draw["server_nonce"] = nonce(f"{tag}:{attempt}")
            write_inputs(case_dir / "input", case, draw)
            if not case.get("need_second_pass"):
                break
            with tempfile.TemporaryDirectory() as tmp:
                done = draw_offline(case_dir / "input", Path(tmp) / "b.zip", verify=False)
            from shuangsuiji.lottery import draw_teams

            second: list[tuple[str, str]] = []
            assert done.outcome.team_inputs is not None
            draw_teams(
                done.outcome.seed,
                [s.key for s in done.outcome.objects.selected],
                done.outcome.team_inputs,
                second_pass=second,
            )
            if second:
                break
            attempt += 1
        if case.get("chain"):
            subs, extra = _plan_chain(case_dir, draw)
            draw["substitutions"] = subs
            write_inputs(case_dir / "input", case, draw)
            (case_dir / "extra_changes.json").write_text(
                json.dumps(extra, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        members, done = produce(case_dir)
        (case_dir / "expected").mkdir()
        for out in OUTPUTS:
            (case_dir / "expected" / out).write_bytes(members[out])
        print(f"{name}: {len(done.outcome.objects.selected)} selected, seed {done.outcome.seed.hex()[:16]}…")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="regenerate golden/ (overwrites)")
    args = parser.parse_args(argv)
    if not args.write:
        parser.print_help()
        return 2
    generate(GOLDEN)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
