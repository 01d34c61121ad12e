"""The team draw as first written (one process, tickets computed for the candidates each walk needs), kept
as the reference the faster paths of ``teams.draw_teams`` must match byte for byte."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from shuangsuiji.lottery import Department, Member, Team, TeamInputs, TeamShortageError

TEAM = b"team\x00"
_ABOVE_ANY_TICKET = b"\xff" * 33


def _tickets(base: object, keys: Sequence[bytes]) -> list[bytes]:
    out = []
    for kb in keys:
        h = base.copy()  # type: ignore[attr-defined]
        h.update(kb)
        out.append(h.digest())
    return out


def _smallest(
    base: object, names: Sequence[str], keys: Sequence[bytes], count: int
) -> list[tuple[bytes, bytes, str]]:
    if count <= 0 or not names:
        return []
    tickets = _tickets(base, keys)
    out: list[tuple[bytes, bytes, str]] = []
    for _ in range(min(count, len(names))):
        t = min(tickets)
        i = tickets.index(t)
        out.append((t, keys[i], names[i]))
        tickets[i] = _ABOVE_ANY_TICKET
    return out


class _DeptState:
    def __init__(self, dept: Department, pool: Sequence[str], n_entities: int) -> None:
        self.dept = dept
        self.pool_names = list(pool)
        self.pool_keys = [n.encode() for n in pool]
        self.cap = -(-n_entities * dept.per_object // len(pool)) if pool else 0
        self.load = dict.fromkeys(pool, 0)
        self.elig_names = list(self.pool_names)
        self.elig_keys = list(self.pool_keys)


def reference_draw_teams(
    seed: bytes,
    entities: Sequence[str],
    inputs: TeamInputs,
    *,
    second_pass: list[tuple[str, str]] | None = None,
) -> tuple[Team, ...]:
    states = [_DeptState(d, inputs.pool.get(d.code, ()), len(entities)) for d in inputs.departments]
    prefix = seed + TEAM
    teams: list[Team] = []
    for entity in entities:
        head = prefix + entity.encode() + b"\x00"
        conflicts = inputs.conflicts.get(entity)
        members: list[Member] = []
        for st in states:
            d = st.dept
            need = d.per_object
            base = hashlib.sha256(head + d.code.encode() + b"\x00")
            names, keys = st.elig_names, st.elig_keys
            if conflicts:
                pairs = [(n, k) for n, k in zip(names, keys, strict=True) if n not in conflicts]
                names, keys = [n for n, _ in pairs], [k for _, k in pairs]
            taken = _smallest(base, names, keys, need)
            if len(taken) < need:
                if second_pass is not None:
                    second_pass.append((entity, d.code))
                chosen = {n for _, _, n in taken}
                rest = [
                    (n, k)
                    for n, k in zip(st.pool_names, st.pool_keys, strict=True)
                    if n not in chosen and not (conflicts and n in conflicts)
                ]
                taken += _smallest(base, [n for n, _ in rest], [k for _, k in rest], need - len(taken))
                if len(taken) < need:
                    available = sum(1 for n in st.pool_names if not (conflicts and n in conflicts))
                    raise TeamShortageError(entity, d.code, need, available)
                taken.sort()
            for _, _, name in taken:
                load = st.load[name] + 1
                st.load[name] = load
                if load == st.cap:
                    i = st.elig_names.index(name)
                    del st.elig_names[i]
                    del st.elig_keys[i]
            lead_now = d.lead
            for _, _, name in taken:
                members.append(Member(d.code, name, lead_now))
                lead_now = False
        teams.append(Team(entity, tuple(members)))
    return tuple(teams)
