"""The commitment (DRAW-PROTOCOL.md §2–§3): fixed inputs, hashed before any randomness exists."""

from __future__ import annotations

import io
import itertools
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .encoding import (
    PROTOCOL,
    PathLike,
    TsvLines,
    canonical_json,
    check_created_at,
    check_key,
    check_rate_bp,
    check_text,
    is_hex64,
    iter_tsv_pairs,
    parse_canonical_json,
    parse_tsv,
    quota,
    sha256_hex,
    tsv_bytes,
)
from .errors import IntegrityError, InvalidInputError
from .population import (
    PopulationScan,
    UniqueKeys,
    find_duplicate_keys,
    scan_population,
    scan_population_runs,
)

NONCE_BYTES = 32


@dataclass(frozen=True, slots=True)
class StratumSpec:
    """A stratum as configured: label (the TSV key), display name, rate in basis points (1–10000)."""

    label: str
    name: str
    rate_bp: int


@dataclass(frozen=True, slots=True)
class Stratum:
    """A committed stratum: its size is the number of population lines with its label."""

    label: str
    name: str
    size: int
    rate_bp: int
    quota: int

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "name": self.name,
            "size": self.size,
            "rate_bp": self.rate_bp,
            "quota": self.quota,
        }


@dataclass(frozen=True, slots=True)
class Department:
    """A department in a team draw: ``per_object`` inspectors per entity; exactly one is the lead (组长)."""

    code: str
    name: str
    per_object: int
    lead: bool

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "per_object": self.per_object, "lead": self.lead}


@dataclass(frozen=True)
class TeamSpec:
    """What a team draw needs: departments, the pool (department_code, inspector_key) and the
    conflicts (inspector_key, entity_key), in any order."""

    departments: Sequence[Department]
    pool: Iterable[tuple[str, str]]
    conflicts: Iterable[tuple[str, str]] = ()


@dataclass(frozen=True, slots=True)
class CommittedTeams:
    pool_sha256: str
    conflicts_sha256: str
    departments: tuple[Department, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "pool_sha256": self.pool_sha256,
            "conflicts_sha256": self.conflicts_sha256,
            "departments": [d.to_json() for d in self.departments],
        }


@dataclass(frozen=True, slots=True)
class Commitment:
    """The content of commitment.json."""

    task: str
    created_at: str
    population_sha256: str
    exclusions_sha256: str
    strata: tuple[Stratum, ...]
    nonce_sha256: str
    teams: CommittedTeams | None
    protocol: str = PROTOCOL

    def to_json(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "task": self.task,
            "created_at": self.created_at,
            "population_sha256": self.population_sha256,
            "exclusions_sha256": self.exclusions_sha256,
            "strata": [s.to_json() for s in self.strata],
            "nonce_sha256": self.nonce_sha256,
            "teams": None if self.teams is None else self.teams.to_json(),
        }

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.to_json())


@dataclass(frozen=True)
class CommitmentFiles:
    """What ``build_commitment`` makes. Keep ``server_nonce`` secret until the draw; publish ``sha256``.

    ``population_tsv`` is None when the population was written to ``population_path`` instead.
    """

    commitment: Commitment
    commitment_json: bytes
    sha256: str
    server_nonce: bytes
    population_tsv: bytes | None
    population_path: Path | None
    exclusions_tsv: bytes
    pool_tsv: bytes
    conflicts_tsv: bytes
    excluded_count: int = field(default=0)

    @property
    def digest(self) -> bytes:
        return bytes.fromhex(self.sha256)


def check_strata_specs(strata: Iterable[StratumSpec]) -> list[StratumSpec]:
    out = sorted(strata, key=lambda s: s.label if isinstance(s.label, str) else "")
    if not out:
        raise InvalidInputError("至少需要一个分层", "at least one stratum is needed")
    for s in out:
        check_key(s.label, "分层标签", "stratum label")
        check_text(s.name, f"分层 {s.label} 的名称", f"name of stratum {s.label}")
        check_rate_bp(s.rate_bp, s.label)
    for a, b in itertools.pairwise(out):
        if a.label == b.label:
            raise InvalidInputError(f"分层标签 {a.label} 重复", f"duplicate stratum label {a.label}")
    return out


def check_departments(departments: Iterable[Department]) -> tuple[Department, ...]:
    out = sorted(departments, key=lambda d: d.code if isinstance(d.code, str) else "")
    if not out:
        raise InvalidInputError("组队抽取至少需要一个部门", "a team draw needs at least one department")
    for d in out:
        check_key(d.code, "部门代码", "department code")
        check_text(d.name, f"部门 {d.code} 的名称", f"name of department {d.code}")
        if isinstance(d.per_object, bool) or not isinstance(d.per_object, int) or d.per_object < 1:
            raise InvalidInputError(
                f"部门 {d.code} 每个检查对象的人数 {d.per_object!r} 应为正整数",
                f"per_object {d.per_object!r} of department {d.code} must be a positive integer",
            )
        if not isinstance(d.lead, bool):
            raise InvalidInputError(
                f"部门 {d.code} 的 lead 应为 true/false", f"lead of department {d.code} must be a boolean"
            )
    for a, b in itertools.pairwise(out):
        if a.code == b.code:
            raise InvalidInputError(f"部门代码 {a.code} 重复", f"duplicate department code {a.code}")
    leads = [d.code for d in out if d.lead]
    if len(leads) != 1:
        raise InvalidInputError(
            f"应恰有一个牵头部门（组长所在部门），现有 {len(leads)} 个：{'、'.join(leads) or '无'}",
            f"exactly one lead department is required, found {len(leads)}: {', '.join(leads) or 'none'}",
        )
    return tuple(out)


@dataclass(frozen=True)
class TeamInputs:
    """Parsed, validated team inputs: pool per department (sorted keys) and conflicts per entity."""

    departments: tuple[Department, ...]
    pool: Mapping[str, tuple[str, ...]]
    conflicts: Mapping[str, frozenset[str]]


def parse_team_inputs(departments: Sequence[Department], pool_tsv: bytes, conflicts_tsv: bytes) -> TeamInputs:
    """Validate pool.tsv and conflicts.tsv against the departments (as stored in a commitment)."""
    depts = check_departments(departments)
    codes = {d.code for d in depts}
    pool: dict[str, list[str]] = {d.code: [] for d in depts}
    home: dict[str, str] = {}
    for n, (code, inspector) in enumerate(parse_tsv(pool_tsv, file="pool.tsv"), 1):
        if code not in codes:
            raise InvalidInputError(
                f"pool.tsv 第 {n} 行：部门 {code} 不在本次抽取的部门中",
                f"pool.tsv line {n}: department {code} is not among the departments",
            )
        if inspector in home:
            raise InvalidInputError(
                f"pool.tsv 第 {n} 行：执法检查人员 {inspector} 同时属于部门 {home[inspector]} 和 {code}",
                f"pool.tsv line {n}: inspector {inspector} is in departments {home[inspector]} and {code}",
            )
        home[inspector] = code
        pool[code].append(inspector)
    for d in depts:
        if len(pool[d.code]) < d.per_object:
            raise InvalidInputError(
                f"部门 {d.code} 的执法检查人员库只有 {len(pool[d.code])} 人，少于每个检查对象所需的 {d.per_object} 人",
                f"department {d.code} has {len(pool[d.code])} inspectors in the pool, fewer than per_object {d.per_object}",
            )
    conflicts: dict[str, set[str]] = {}
    for inspector, entity in parse_tsv(conflicts_tsv, file="conflicts.tsv"):
        conflicts.setdefault(entity, set()).add(inspector)
    return TeamInputs(
        departments=depts,
        pool={c: tuple(v) for c, v in pool.items()},
        conflicts={e: frozenset(v) for e, v in conflicts.items()},
    )


def _exclusions_tsv(exclusions: Iterable[tuple[str, str]] | TsvLines) -> bytes:
    if isinstance(exclusions, TsvLines):
        return exclusions.tsv()
    return tsv_bytes(exclusions, file="exclusions.tsv")


def build_commitment(
    *,
    task: str,
    created_at: str,
    population: Iterable[tuple[str, str]] = (),
    strata: Iterable[StratumSpec],
    exclusions: Iterable[tuple[str, str]] | TsvLines = (),
    teams: TeamSpec | None = None,
    server_nonce: bytes | None = None,
    sort_population: bool = False,
    population_path: PathLike | None = None,
    population_runs: Iterable[tuple[str, Iterable[str]]] | None = None,
    distinct_keys: bool = False,
) -> CommitmentFiles:
    """Build commitment.json and the four TSV files.

    ``population`` yields (stratum_label, entity_key) sorted by the UTF-8 bytes of ``label TAB key`` (from a
    database: ``ORDER BY label, key COLLATE "C"``); it is validated in one streaming pass. Pass
    ``sort_population=True`` to sort it here instead (holds it all in memory). With ``population_path`` the
    population.tsv is written there (for very large populations) rather than returned as bytes.
    ``exclusions`` are (entity_key, reason_code) pairs in any order, or a ``TsvLines`` of them.
    ``server_nonce`` defaults to 32 fresh bytes from the operating system's CSPRNG.

    ``population_runs`` replaces ``population`` with (label, keys) runs, one per stratum, in order (see
    ``scan_population_runs``). ``distinct_keys=True`` is the caller's
    word that no key occurs twice among the population and the exclusions (say, each is a different row's
    value of a unique database column): the cross-stratum and population-versus-exclusions checks are skipped,
    and ``exclusions`` is read after the population (it may be filled while the population is read).
    """
    task = check_text(task, "任务编号", "task")
    created_at = check_created_at(created_at)
    specs = check_strata_specs(strata)
    if server_nonce is None:
        server_nonce = secrets.token_bytes(NONCE_BYTES)
    if not isinstance(server_nonce, bytes) or len(server_nonce) != NONCE_BYTES:
        raise InvalidInputError("server_nonce 应为 32 字节", "server_nonce must be 32 bytes")

    exclusions_tsv = b""
    excluded: frozenset[str] = frozenset()
    if not distinct_keys:
        exclusions_tsv = _exclusions_tsv(exclusions)
        excluded = frozenset(k for k, _ in parse_tsv(exclusions_tsv, file="exclusions.tsv"))

    pool_tsv = b""
    conflicts_tsv = b""
    committed_teams: CommittedTeams | None = None
    if teams is not None:
        pool_tsv = tsv_bytes(teams.pool, file="pool.tsv")
        conflicts_tsv = tsv_bytes(teams.conflicts, file="conflicts.tsv")
        team_inputs = parse_team_inputs(teams.departments, pool_tsv, conflicts_tsv)
        committed_teams = CommittedTeams(
            pool_sha256=sha256_hex(pool_tsv),
            conflicts_sha256=sha256_hex(conflicts_tsv),
            departments=team_inputs.departments,
        )

    if sort_population:
        population = sorted(population, key=_line_sort_key)
    labels = {s.label for s in specs}
    unique = UniqueKeys() if len(specs) > 1 and not distinct_keys else None

    def scan_into(out: IO[bytes]) -> PopulationScan:
        if population_runs is not None:
            return scan_population_runs(
                population_runs, labels=labels, out=out, excluded=excluded, unique=unique
            )
        return scan_population(population, labels=labels, out=out, excluded=excluded, unique=unique)

    population_tsv: bytes | None = None
    out_path: Path | None = None
    if population_path is not None:
        out_path = Path(population_path)
        with open(out_path, "wb") as fh:
            scan = scan_into(fh)
    else:
        buf = io.BytesIO()
        scan = scan_into(buf)
        population_tsv = buf.getvalue()
    if unique is not None:
        suspects = unique.suspects()
        if suspects:
            source = population_tsv if population_tsv is not None else out_path
            if not (source is not None):
                raise RuntimeError("internal invariant broken: source is not None")
            dup = find_duplicate_keys(iter_tsv_pairs(source), suspects)
            if dup is not None:
                raise InvalidInputError(
                    f"检查对象 {dup[0]} 同时在分层 {dup[1]} 和 {dup[2]} 中（每个对象只能属于一个分层）",
                    f"entity {dup[0]} is in strata {dup[1]} and {dup[2]}; each entity belongs to one stratum",
                )
    if distinct_keys:  # read now: a single pass over a database may have gathered them with the population
        exclusions_tsv = _exclusions_tsv(exclusions)
    if not (scan.sha256 is not None):
        raise RuntimeError("internal invariant broken: scan.sha256 is not None")
    committed_strata = tuple(
        Stratum(s.label, s.name, scan.sizes[s.label], s.rate_bp, quota(scan.sizes[s.label], s.rate_bp))
        for s in specs
    )
    commitment = Commitment(
        task=task,
        created_at=created_at,
        population_sha256=scan.sha256,
        exclusions_sha256=sha256_hex(exclusions_tsv),
        strata=committed_strata,
        nonce_sha256=sha256_hex(server_nonce),
        teams=committed_teams,
    )
    data = commitment.canonical_bytes()
    return CommitmentFiles(
        commitment=commitment,
        commitment_json=data,
        sha256=sha256_hex(data),
        server_nonce=server_nonce,
        population_tsv=population_tsv,
        population_path=out_path,
        exclusions_tsv=exclusions_tsv,
        pool_tsv=pool_tsv,
        conflicts_tsv=conflicts_tsv,
        excluded_count=exclusions_tsv.count(b"\n"),
    )


def _line_sort_key(pair: tuple[str, str]) -> bytes:
    label, key = pair
    if not isinstance(label, str) or not isinstance(key, str):
        raise InvalidInputError(
            f"检查对象名录应为（分层标签, 检查对象键）字符串对：{pair!r}",
            f"the population must be (stratum_label, entity_key) string pairs: {pair!r}",
        )
    return f"{label}\t{key}".encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------------------------------ parsing

_COMMITMENT_KEYS = {
    "protocol",
    "task",
    "created_at",
    "population_sha256",
    "exclusions_sha256",
    "strata",
    "nonce_sha256",
    "teams",
}


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise IntegrityError(f"commitment.json 格式错误：{what}", f"commitment.json is malformed: {what}")


def _int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_commitment(data: bytes) -> Commitment:
    """Parse and validate commitment.json bytes (canonical JSON, exact schema, quotas)."""
    obj = parse_canonical_json(data, "commitment.json")
    _need(isinstance(obj, dict) and set(obj) == _COMMITMENT_KEYS, "keys")
    _need(obj["protocol"] == PROTOCOL, "protocol")
    task = check_text(obj["task"], "任务编号", "task")
    created_at = check_created_at(obj["created_at"])
    for k in ("population_sha256", "exclusions_sha256", "nonce_sha256"):
        _need(is_hex64(obj[k]), k)
    _need(isinstance(obj["strata"], list) and len(obj["strata"]) > 0, "strata")
    strata: list[Stratum] = []
    for s in obj["strata"]:
        _need(
            isinstance(s, dict) and set(s) == {"label", "name", "size", "rate_bp", "quota"}, "strata[] keys"
        )
        _need(_int(s["size"]) and s["size"] >= 0 and _int(s["quota"]), "strata[] size/quota")
        check_key(s["label"], "分层标签", "stratum label")
        check_text(s["name"], "分层名称", "stratum name")
        check_rate_bp(s["rate_bp"], s["label"])
        if s["quota"] != quota(s["size"], s["rate_bp"]):
            raise IntegrityError(
                f"分层 {s['label']} 的抽取数 {s['quota']} 与规模和比例不符",
                f"quota of stratum {s['label']} is wrong",
            )
        strata.append(Stratum(s["label"], s["name"], s["size"], s["rate_bp"], s["quota"]))
    _need(all(a.label < b.label for a, b in itertools.pairwise(strata)), "strata not sorted by label")
    teams: CommittedTeams | None = None
    if obj["teams"] is not None:
        t = obj["teams"]
        _need(
            isinstance(t, dict) and set(t) == {"pool_sha256", "conflicts_sha256", "departments"}, "teams keys"
        )
        _need(is_hex64(t["pool_sha256"]) and is_hex64(t["conflicts_sha256"]), "teams digests")
        _need(isinstance(t["departments"], list), "departments")
        depts: list[Department] = []
        for d in t["departments"]:
            _need(
                isinstance(d, dict) and set(d) == {"code", "name", "per_object", "lead"}, "departments[] keys"
            )
            depts.append(Department(d["code"], d["name"], d["per_object"], d["lead"]))
        checked = check_departments(depts)
        _need(list(checked) == depts, "departments not sorted by code")
        teams = CommittedTeams(t["pool_sha256"], t["conflicts_sha256"], checked)
    return Commitment(
        task=task,
        created_at=created_at,
        population_sha256=obj["population_sha256"],
        exclusions_sha256=obj["exclusions_sha256"],
        strata=tuple(strata),
        nonce_sha256=obj["nonce_sha256"],
        teams=teams,
    )
