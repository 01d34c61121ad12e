"""Offline draw for auditors and upper-level offices: an input directory in, a verified bundle out."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .bundle import Verification, verify_bundle
from .commitment import Department, StratumSpec, TeamSpec, build_commitment
from .draw import DrawOutcome, run_draw
from .encoding import PathLike, iter_tsv_pairs, loads_strict, parse_tsv
from .errors import InvalidInputError
from .teams import TeamLedger

_REQUIRED = {"task", "created_at", "strata", "departments", "ceremony_entropy"}
_OPTIONAL = {"server_nonce", "substitutions"}
_HEX = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class OfflineDraw:
    outcome: DrawOutcome
    bundle: Path
    verification: Verification | None


def _fields(obj: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(obj, dict) or set(obj) != keys:
        got = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise InvalidInputError(
            f"draw.json 中的{what}应恰有字段 {sorted(keys)}，实有 {got}",
            f"{what} in draw.json must have exactly the fields {sorted(keys)}, got {got}",
        )
    return obj


def _read_spec(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"无法读取 draw.json：{exc}", f"cannot read draw.json: {exc}") from None
    spec = loads_strict(data, "draw.json")
    if not isinstance(spec, dict):
        raise InvalidInputError("draw.json 应为一个 JSON 对象", "draw.json must hold a JSON object")
    missing = _REQUIRED - set(spec)
    unknown = set(spec) - _REQUIRED - _OPTIONAL
    if missing or unknown:
        raise InvalidInputError(
            f"draw.json 缺少字段 {sorted(missing)} 或有未知字段 {sorted(unknown)}",
            f"draw.json lacks fields {sorted(missing)} or has unknown fields {sorted(unknown)}",
        )
    return spec


def _optional_file(directory: Path, name: str) -> bytes:
    path = directory / name
    return path.read_bytes() if path.exists() else b""


def apply_changes(ledger: TeamLedger, changes: Iterable[Mapping[str, str]]) -> None:
    """Apply changes in order: a substitution is {entity, department, out, reason}; a manual replacement
    also has "in" and "approved_by"."""
    for c in changes:
        if "in" in c or "approved_by" in c:
            ledger.replace(c["entity"], c["department"], c["out"], c["in"], c["reason"], c["approved_by"])
        else:
            ledger.substitute(c["entity"], c["department"], c["out"], c["reason"])


def draw_offline(
    input_dir: PathLike,
    out: PathLike | IO[bytes],
    *,
    verify: bool = True,
    out_name: str = "bundle.zip",
    extra_changes: Iterable[Mapping[str, str]] = (),
) -> OfflineDraw:
    """Validate INPUT_DIR, commit, draw, apply the listed substitutions, write and verify the bundle.

    INPUT_DIR holds draw.json, population.tsv, exclusions.tsv (absent = empty) and, for team draws, pool.tsv
    and conflicts.tsv (absent = empty). See docs/lottery.md for draw.json. ``extra_changes`` (API only)
    are applied after draw.json's substitutions, see ``apply_changes``.
    """
    directory = Path(os.fspath(input_dir))
    if not directory.is_dir():
        raise InvalidInputError(f"输入目录 {directory} 不存在", f"input directory {directory} does not exist")
    spec = _read_spec(directory / "draw.json")
    if not isinstance(spec["strata"], list):
        raise InvalidInputError("draw.json 的 strata 应为列表", "strata in draw.json must be a list")
    strata = [StratumSpec(**_fields(s, {"label", "name", "rate_bp"}, "分层 stratum")) for s in spec["strata"]]
    departments = spec["departments"]
    if departments is not None and not isinstance(departments, list):
        raise InvalidInputError(
            "draw.json 的 departments 应为 null 或列表", "departments must be null or a list"
        )
    nonce: bytes | None = None
    if "server_nonce" in spec:
        if not isinstance(spec["server_nonce"], str) or not _HEX.fullmatch(spec["server_nonce"]):
            raise InvalidInputError(
                "server_nonce 应为 64 位十六进制（32 字节）", "server_nonce must be 64 hex digits (32 bytes)"
            )
        nonce = bytes.fromhex(spec["server_nonce"])
    substitutions = spec.get("substitutions", [])
    if not isinstance(substitutions, list):
        raise InvalidInputError("draw.json 的 substitutions 应为列表", "substitutions must be a list")
    substitutions = [
        _fields(s, {"entity", "department", "out", "reason"}, "递补 substitution") for s in substitutions
    ]
    if substitutions and departments is None:
        raise InvalidInputError("没有组队抽取就不能递补", "substitutions need a team draw (departments)")

    population_path = directory / "population.tsv"
    if not population_path.is_file():
        raise InvalidInputError(f"缺少 {population_path}", f"missing {population_path}")
    exclusions_tsv = _optional_file(directory, "exclusions.tsv")
    exclusions = [(k, r) for k, r in parse_tsv(exclusions_tsv, file="exclusions.tsv")]
    pool_tsv = _optional_file(directory, "pool.tsv")
    conflicts_tsv = _optional_file(directory, "conflicts.tsv")
    team: TeamSpec | None = None
    if departments is None:
        if pool_tsv or conflicts_tsv:
            raise InvalidInputError(
                "departments 为 null（仅抽取检查对象）时 pool.tsv 和 conflicts.tsv 应不存在或为空",
                "pool.tsv and conflicts.tsv must be absent or empty when departments is null (object-only draw)",
            )
    else:
        if not (directory / "pool.tsv").is_file():
            raise InvalidInputError("组队抽取需要 pool.tsv", "a team draw needs pool.tsv")
        depts = [
            Department(**_fields(d, {"code", "name", "per_object", "lead"}, "部门 department"))
            for d in departments
        ]
        pool = [(d, i) for d, i in parse_tsv(pool_tsv, file="pool.tsv")]
        conflicts = [(i, e) for i, e in parse_tsv(conflicts_tsv, file="conflicts.tsv")]
        team = TeamSpec(depts, pool, conflicts)

    with tempfile.TemporaryDirectory(prefix="ssj-offline-") as tmp:
        committed_population = Path(tmp) / "population.tsv"
        files = build_commitment(
            task=spec["task"],
            created_at=spec["created_at"],
            population=iter_tsv_pairs(population_path),
            strata=strata,
            exclusions=exclusions,
            teams=team,
            server_nonce=nonce,
            population_path=committed_population,
        )
        outcome = run_draw(
            commitment_json=files.commitment_json,
            server_nonce=files.server_nonce,
            ceremony_entropy=_text(spec["ceremony_entropy"]),
            population=committed_population,
            pool_tsv=files.pool_tsv,
            conflicts_tsv=files.conflicts_tsv,
        )
        extra = list(extra_changes)
        if substitutions or extra:
            if outcome.ledger is None:
                raise InvalidInputError(
                    "没有组队抽取就不能递补或调整", "changes need a team draw (departments)"
                )
            apply_changes(outcome.ledger, [*substitutions, *extra])
        outcome.write_bundle(
            out,
            population_tsv=committed_population,
            exclusions_tsv=files.exclusions_tsv,
            pool_tsv=files.pool_tsv,
            conflicts_tsv=files.conflicts_tsv,
        )
    bundle_path = Path(os.fspath(out)) if isinstance(out, str | os.PathLike) else Path(out_name)
    verification = None
    if verify and isinstance(out, str | os.PathLike):
        verification = verify_bundle(out)
    return OfflineDraw(outcome=outcome, bundle=bundle_path, verification=verification)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInputError("ceremony_entropy 应为字符串", "ceremony_entropy must be a string")
    return value
