"""Shared test data and helpers (no Django)."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from shuangsuiji.lottery import Department, StratumSpec, TeamSpec, build_commitment, run_draw, verify_draw
from shuangsuiji.lottery.bundle import verifier_source

# DRAW-PROTOCOL.md §8
WE_TASK = "偃师区2026年第1号联合抽查"
WE_CREATED = "2026-03-02T09:30:00+08:00"
WE_NONCE = bytes(range(32))
WE_ENTROPY = "4 2 6 1 5 3 3 6 1 2 4 5 6 6 2 1 3 4 5 2"
WE_STRATA = [
    StratumSpec("A", "信用风险低（A类）", 2000),
    StratumSpec("C", "信用风险较高（C类）", 5000),
    StratumSpec("K", "消防安全重点单位", 10000),
]
WE_POPULATION = (
    [
        ("A", k)
        for k in (
            "91410381MA3X316767",
            "91410381MA44395950",
            "91410381MA4715838F",
            "91410381MA9F00000X",
            "92410381MA4K07919Q",
            "93410381MA9G237572",
        )
    ]
    + [
        ("C", k)
        for k in ("91410381MA4763352T", "91410381MA9F475149", "92410381MA4K554334", "93410381MA9G71271D")
    ]
    + [("K", k) for k in ("91410381MA3X791903", "91410381MA4487109L")]
)
WE_EXCLUSIONS = [("91410381MA9F13579X", "inspected-this-year")]
WE_POOL = [("SCJG", f"豫执041000{i}") for i in range(1, 5)] + [("XFJY", f"XF-0381-0{i}") for i in range(1, 4)]
WE_DEPARTMENTS = [
    Department("SCJG", "区市场监督管理局", 2, True),
    Department("XFJY", "区消防救援大队", 1, False),
]
WE_CONFLICTS = [("豫执0410001", "91410381MA3X791903")]


def worked_example_files() -> Any:
    return build_commitment(
        task=WE_TASK,
        created_at=WE_CREATED,
        population=WE_POPULATION,
        strata=WE_STRATA,
        exclusions=WE_EXCLUSIONS,
        teams=TeamSpec(WE_DEPARTMENTS, WE_POOL, WE_CONFLICTS),
        server_nonce=WE_NONCE,
    )


def worked_example_outcome() -> Any:
    files = worked_example_files()
    return files, run_draw(
        commitment_json=files.commitment_json,
        server_nonce=files.server_nonce,
        ceremony_entropy=WE_ENTROPY,
        population=files.population_tsv,
        pool_tsv=files.pool_tsv,
        conflicts_tsv=files.conflicts_tsv,
    )


def check_worked_example() -> None:
    """The spec's expected values (DRAW-PROTOCOL.md §8); raises AssertionError if any differs."""
    files, o = worked_example_outcome()
    assert (
        files.commitment.population_sha256
        == "9e8ca7ec308148006c7cf04e3c2c33a52dc5622037e2338611d21a3163487774"
    )
    assert o.seed.hex() == "31fac530034abca1f9e3d2bf4b3dc0ea6fddfcf32d1176105f33ba3499e1d809"
    assert [(s.key, s.stratum) for s in o.objects.selected] == [
        ("91410381MA9F475149", "C"),
        ("91410381MA44395950", "A"),
        ("92410381MA4K07919Q", "A"),
        ("91410381MA4763352T", "C"),
        ("91410381MA4487109L", "K"),
        ("91410381MA3X791903", "K"),
    ]
    first = o.teams[0]
    assert [(m.inspector, m.leader) for m in first.members] == [
        ("豫执0410001", True),
        ("豫执0410003", False),
        ("XF-0381-03", False),
    ]
    sub = o.ledger.substitute(first.entity, "SCJG", "豫执0410001", "因病无法参加")
    assert sub.incoming == "豫执0410002"


def bundle_bytes(files: dict[str, bytes]) -> bytes:
    """A bundle zip from member bytes (the verifier added unless given)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        if "verify_draw.py" not in files:
            zf.writestr("verify_draw.py", verifier_source())
    return buf.getvalue()


def bundle_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def run_verifier(data: bytes | Path) -> tuple[int, str]:
    """Run verify_draw.main on a bundle (bytes are written to a BytesIO-backed zip)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if isinstance(data, bytes):
            try:
                summary = verify_draw.verify(io.BytesIO(data))
            except verify_draw.Discrepancy as exc:
                print("FAILED: " + exc.en)
                return 1, out.getvalue()
            except Exception as exc:  # the CLI turns these into exit 1 as well
                print(f"FAILED (unexpected): {exc!r}")
                return 2, out.getvalue()
            for line in summary.lines():
                print(line)
            return 0, out.getvalue()
        code = verify_draw.main([str(data)])
    return code, out.getvalue()


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
