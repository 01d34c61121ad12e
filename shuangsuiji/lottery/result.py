"""result.json (DRAW-PROTOCOL.md §7)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .encoding import PROTOCOL, canonical_json, is_hex64, parse_canonical_json
from .errors import IntegrityError, InvalidInputError
from .objects import Selected
from .teams import Member, Replacement, Substitution, Team


@dataclass(frozen=True)
class DrawResult:
    commitment_sha256: str
    seed: bytes
    selected: tuple[Selected, ...]
    teams: tuple[Team, ...] | None
    substitutions: tuple[Substitution, ...]
    replacements: tuple[Replacement, ...]


def build_result(
    *,
    commitment_sha256: str,
    seed: bytes,
    selected: Sequence[Selected],
    teams: Sequence[Team] | None,
    substitutions: Sequence[Substitution] = (),
    replacements: Sequence[Replacement] = (),
) -> bytes:
    """result.json bytes. ``teams`` are the teams as drawn (before any change); changes in ``seq`` order."""
    seqs = sorted([c.seq for c in substitutions] + [c.seq for c in replacements])
    if seqs != list(range(1, len(seqs) + 1)):
        raise IntegrityError("递补与调整的序号应为 1, 2, 3, …", "change seq numbers must be 1, 2, 3, …")
    if teams is None and seqs:
        raise IntegrityError(
            "仅抽取检查对象时不能有递补或调整", "an object-only draw has no substitutions or replacements"
        )
    obj: dict[str, Any] = {
        "protocol": PROTOCOL,
        "commitment_sha256": commitment_sha256,
        "seed": seed.hex(),
        "selected": _SELECTED,
        "teams": None if teams is None else [t.to_json() for t in teams],
        "substitutions": [c.to_json() for c in sorted(substitutions, key=lambda c: c.seq)],
        "replacements": [c.to_json() for c in sorted(replacements, key=lambda c: c.seq)],
    }
    data = canonical_json(obj)
    marker = canonical_json(_SELECTED)
    if data.count(marker) != 1:  # a change's text holding the marker: never seen, but then the slow way
        return canonical_json(obj | {"selected": [s.to_json() for s in selected]})
    return data.replace(marker, _selected_json(selected))


# The selected list (10^5–10^6 entries) is written apart and put in the marker's place: the same bytes as
# canonical_json of [s.to_json() …], at a fraction of the time (no dict per entry, no integer walk).
_SELECTED = "\x00selected\x00"


def _selected_json(selected: Sequence[Selected]) -> bytes:
    encode = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes a string with
    labels: dict[str, str] = {}
    parts = []
    for s in selected:
        label = labels.get(s.stratum)
        if label is None:
            label = labels[s.stratum] = encode(s.stratum)
        parts.append(f'{{"key":{encode(s.key)},"stratum":{label},"ticket":"{s.ticket.hex()}"}}')
    try:
        return ("[" + ",".join(parts) + "]").encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError("JSON 含有无效的 Unicode 文本", "JSON holds invalid Unicode text") from None


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise IntegrityError(f"result.json 格式错误：{what}", f"result.json is malformed: {what}")


def parse_result(data: bytes) -> DrawResult:
    """Parse result.json (canonical JSON, schema). The verifier, not this, checks it against the inputs."""
    obj = parse_canonical_json(data, "result.json")
    _need(
        isinstance(obj, dict)
        and set(obj)
        == {"protocol", "commitment_sha256", "seed", "selected", "teams", "substitutions", "replacements"},
        "keys",
    )
    _need(
        obj["protocol"] == PROTOCOL and is_hex64(obj["commitment_sha256"]) and is_hex64(obj["seed"]), "header"
    )
    _need(isinstance(obj["selected"], list), "selected")
    selected = []
    for s in obj["selected"]:
        _need(
            isinstance(s, dict) and set(s) == {"key", "stratum", "ticket"} and is_hex64(s["ticket"]),
            "selected[]",
        )
        _need(isinstance(s["key"], str) and isinstance(s["stratum"], str), "selected[]")
        selected.append(Selected(s["key"], s["stratum"], bytes.fromhex(s["ticket"])))
    teams: tuple[Team, ...] | None = None
    if obj["teams"] is not None:
        _need(isinstance(obj["teams"], list), "teams")
        tl = []
        for t in obj["teams"]:
            _need(
                isinstance(t, dict) and set(t) == {"entity", "members"} and isinstance(t["members"], list),
                "teams[]",
            )
            members = []
            for m in t["members"]:
                _need(isinstance(m, dict) and set(m) == {"department", "inspector", "leader"}, "members[]")
                _need(isinstance(m["leader"], bool), "members[].leader")
                members.append(Member(m["department"], m["inspector"], m["leader"]))
            tl.append(Team(t["entity"], tuple(members)))
        teams = tuple(tl)
    subs = []
    for c in obj["substitutions"] if isinstance(obj["substitutions"], list) else [None]:
        _need(
            isinstance(c, dict) and set(c) == {"seq", "entity", "department", "out", "in", "reason"},
            "substitutions[]",
        )
        if not isinstance(c, dict):
            raise RuntimeError("internal invariant broken")
        subs.append(Substitution(c["seq"], c["entity"], c["department"], c["out"], c["in"], c["reason"]))
    reps = []
    for c in obj["replacements"] if isinstance(obj["replacements"], list) else [None]:
        _need(
            isinstance(c, dict)
            and set(c) == {"seq", "entity", "department", "out", "in", "reason", "approved_by"},
            "replacements[]",
        )
        if not isinstance(c, dict):
            raise RuntimeError("internal invariant broken")
        reps.append(
            Replacement(
                c["seq"], c["entity"], c["department"], c["out"], c["in"], c["reason"], c["approved_by"]
            )
        )
    return DrawResult(
        commitment_sha256=obj["commitment_sha256"],
        seed=bytes.fromhex(obj["seed"]),
        selected=tuple(selected),
        teams=teams,
        substitutions=tuple(subs),
        replacements=tuple(reps),
    )
