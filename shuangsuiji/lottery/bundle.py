"""The bundle (DRAW-PROTOCOL.md §7): a zip of the inputs, the reveal, the result and verify_draw.py."""

from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from . import verify_draw
from .commitment import Commitment, TeamInputs, parse_commitment, parse_team_inputs
from .encoding import PathLike
from .errors import BundleError, LotteryError
from .result import DrawResult, parse_result
from .seed import Reveal, parse_reveal

VERIFIER_PATH = Path(__file__).with_name("verify_draw.py")
_ORDER = (
    "commitment.json",
    "population.tsv",
    "exclusions.tsv",
    "pool.tsv",
    "conflicts.tsv",
    "reveal.json",
    "result.json",
    "verify_draw.py",
)
_EPOCH = (1980, 1, 1, 0, 0, 0)


def verifier_source() -> bytes:
    """The exact bytes of verify_draw.py that every bundle embeds."""
    return VERIFIER_PATH.read_bytes()


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o755 if name.endswith(".py") else 0o644) << 16
    return info


def write_bundle(
    target: PathLike | IO[bytes],
    *,
    commitment_json: bytes,
    population_tsv: bytes | PathLike,
    exclusions_tsv: bytes,
    pool_tsv: bytes = b"",
    conflicts_tsv: bytes = b"",
    reveal_json: bytes,
    result_json: bytes,
) -> None:
    """Write the bundle zip (deterministic: fixed order and timestamps). ``population_tsv`` may be a path."""
    blobs: dict[str, bytes] = {
        "commitment.json": commitment_json,
        "exclusions.tsv": exclusions_tsv,
        "pool.tsv": pool_tsv,
        "conflicts.tsv": conflicts_tsv,
        "reveal.json": reveal_json,
        "result.json": result_json,
        "verify_draw.py": verifier_source(),
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for name in _ORDER:
            if name == "population.tsv" and not isinstance(population_tsv, bytes):
                with open(population_tsv, "rb") as src, zf.open(_info(name), "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            elif name == "population.tsv":
                if not isinstance(population_tsv, bytes):
                    raise RuntimeError("internal invariant broken")
                zf.writestr(_info(name), population_tsv)
            else:
                zf.writestr(_info(name), blobs[name])


@dataclass(frozen=True)
class Bundle:
    """A bundle read back: raw bytes of every member, and the parsed JSON documents."""

    commitment_json: bytes
    population_tsv: bytes
    exclusions_tsv: bytes
    pool_tsv: bytes
    conflicts_tsv: bytes
    reveal_json: bytes
    result_json: bytes
    verifier: bytes | None
    commitment: Commitment
    reveal: Reveal
    result: DrawResult

    def team_inputs(self) -> TeamInputs | None:
        if self.commitment.teams is None:
            return None
        return parse_team_inputs(self.commitment.teams.departments, self.pool_tsv, self.conflicts_tsv)


def read_bundle(source: PathLike | IO[bytes]) -> Bundle:
    """Read a bundle's members and parse its JSON (it does not verify the draw: use ``verify_bundle``)."""
    try:
        with zipfile.ZipFile(source) as zf:
            names = zf.namelist()
            for name in _ORDER[:-1]:
                if names.count(name) != 1:
                    raise BundleError(
                        f"结果包中 {name} 缺失或重复", f"{name} is missing or repeated in the bundle"
                    )
            data = {name: zf.read(name) for name in _ORDER[:-1]}
            verifier = zf.read("verify_draw.py") if "verify_draw.py" in names else None
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundleError(f"无法读取结果包：{exc}", f"cannot read the bundle: {exc}") from None
    try:
        commitment = parse_commitment(data["commitment.json"])
        reveal = parse_reveal(data["reveal.json"], commitment.nonce_sha256)
        result = parse_result(data["result.json"])
    except LotteryError as exc:
        raise BundleError(exc.zh, exc.en) from None
    return Bundle(
        commitment_json=data["commitment.json"],
        population_tsv=data["population.tsv"],
        exclusions_tsv=data["exclusions.tsv"],
        pool_tsv=data["pool.tsv"],
        conflicts_tsv=data["conflicts.tsv"],
        reveal_json=data["reveal.json"],
        result_json=data["result.json"],
        verifier=verifier,
        commitment=commitment,
        reveal=reveal,
        result=result,
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    lines: tuple[str, ...]

    @property
    def message(self) -> str:
        return "\n".join(self.lines)


def verify_bundle(source: PathLike | IO[bytes]) -> Verification:
    """Run the embedded verifier's logic (the same verify_draw.py that ships in bundles) in-process."""
    if isinstance(source, str | os.PathLike):
        source = os.fspath(source)
    try:
        summary = verify_draw.verify(source)
    except verify_draw.Discrepancy as exc:
        return Verification(False, (f"不通过 FAILED: {exc.zh}", f"FAILED: {exc.en}"))
    return Verification(True, tuple(summary.lines()))
