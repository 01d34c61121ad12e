"""Drawing the teams, 递补 substitutions and manual replacements (DRAW-PROTOCOL.md §6)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .commitment import Department, TeamInputs
from .encoding import check_text
from .errors import ChangeError, InvalidInputError, NoSubstituteError, TeamShortageError

TEAM = b"team\x00"
_ABOVE_ANY_TICKET = b"\xff" * 33


@dataclass(frozen=True, slots=True)
class Member:
    department: str
    inspector: str
    leader: bool

    def to_json(self) -> dict[str, Any]:
        return {"department": self.department, "inspector": self.inspector, "leader": self.leader}


@dataclass(frozen=True, slots=True)
class Team:
    entity: str
    members: tuple[Member, ...]

    def to_json(self) -> dict[str, Any]:
        return {"entity": self.entity, "members": [m.to_json() for m in self.members]}

    @property
    def leader(self) -> Member:
        return next(m for m in self.members if m.leader)


@dataclass(frozen=True, slots=True)
class Substitution:
    """递补: ``incoming`` is drawn from the (entity, department) ranking; it is "in" in result.json."""

    seq: int
    entity: str
    department: str
    out: str
    incoming: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "entity": self.entity,
            "department": self.department,
            "out": self.out,
            "in": self.incoming,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Replacement:
    """调整更换 (第十六条): chosen by the department's leader, not drawn; recorded with the approver."""

    seq: int
    entity: str
    department: str
    out: str
    incoming: str
    reason: str
    approved_by: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "entity": self.entity,
            "department": self.department,
            "out": self.out,
            "in": self.incoming,
            "reason": self.reason,
            "approved_by": self.approved_by,
        }


Change = Substitution | Replacement


def team_ticket(seed: bytes, entity: str, department: str, inspector: str) -> bytes:
    return hashlib.sha256(
        seed + TEAM + entity.encode() + b"\x00" + department.encode() + b"\x00" + inspector.encode()
    ).digest()


def _base(seed: bytes, entity: str, department: str) -> Any:
    return hashlib.sha256(seed + TEAM + entity.encode() + b"\x00" + department.encode() + b"\x00")


def _tickets(base: Any, keys: Sequence[bytes]) -> list[bytes]:
    copy = base.copy
    out: list[bytes] = []
    append = out.append
    for kb in keys:
        h = copy()
        h.update(kb)
        append(h.digest())
    return out


def _smallest(
    base: Any, names: Sequence[str], keys: Sequence[bytes], count: int
) -> list[tuple[bytes, bytes, str]]:
    """The ``count`` first of ``names`` (sorted by key bytes) in ranking order: (ticket, key bytes, name).

    Repeated min() finds them; list.index() returns the leftmost equal ticket, i.e. the smaller key, which is
    the protocol's tie rule.
    """
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


def ranking(seed: bytes, inputs: TeamInputs, entity: str, department: str) -> list[str]:
    """The full (entity, department) ranking: the department's pool minus conflicts, by team ticket."""
    if department not in inputs.pool:
        raise ChangeError(f"部门 {department} 不在本次抽取中", f"department {department} is not in this draw")
    conflicts = inputs.conflicts.get(entity, frozenset())
    names = [i for i in inputs.pool[department] if i not in conflicts]
    keys = [n.encode() for n in names]
    tickets = _tickets(_base(seed, entity, department), keys)
    return [n for _, _, n in sorted(zip(tickets, keys, names, strict=True))]


class _DeptState:
    __slots__ = ("cap", "dept", "elig_keys", "elig_names", "load", "pool_keys", "pool_names")

    def __init__(self, dept: Department, pool: Sequence[str], n_entities: int) -> None:
        self.dept = dept
        self.pool_names = list(pool)
        self.pool_keys = [n.encode() for n in pool]
        self.cap = -(-n_entities * dept.per_object // len(pool)) if pool else 0
        self.load = dict.fromkeys(pool, 0)
        self.elig_names = list(self.pool_names)
        self.elig_keys = list(self.pool_keys)


def draw_teams(
    seed: bytes,
    entities: Sequence[str],
    inputs: TeamInputs,
    *,
    second_pass: list[tuple[str, str]] | None = None,
) -> tuple[Team, ...]:
    """Draw one team per selected entity, in selected order (§6).

    Raises ``TeamShortageError`` naming the entity and department when even the second pass falls short.
    ``second_pass``, when given, receives the (entity, department) pairs where the caps had to be ignored.
    """
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise InvalidInputError("种子应为 32 字节", "the seed must be 32 bytes")
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


class TeamLedger:
    """The teams of one draw and their chronology of changes (substitutions and replacements share ``seq``).

    Build it from the teams as drawn; replay stored changes with ``changes=`` (each substitution is
    re-derived and must match); then call ``substitute`` / ``replace`` for new ones.
    """

    def __init__(
        self, seed: bytes, teams: Sequence[Team], inputs: TeamInputs, changes: Iterable[Change] = ()
    ) -> None:
        self.seed = seed
        self.inputs = inputs
        self.drawn: tuple[Team, ...] = tuple(teams)
        self._index = {t.entity: i for i, t in enumerate(self.drawn)}
        self._current: list[list[Member]] = [list(t.members) for t in self.drawn]
        self._left: dict[str, set[str]] = {}
        self.changes: list[Change] = []
        self._codes = {d.code for d in inputs.departments}
        for ch in sorted(changes, key=lambda c: c.seq):
            if isinstance(ch, Substitution):
                got = self.substitute(ch.entity, ch.department, ch.out, ch.reason)
                if got.incoming != ch.incoming:
                    raise ChangeError(
                        f"第 {ch.seq} 项递补应为 {got.incoming}，记录为 {ch.incoming}",
                        f"change {ch.seq}: the substitute is {got.incoming}, the record says {ch.incoming}",
                    )
            else:
                self.replace(ch.entity, ch.department, ch.out, ch.incoming, ch.reason, ch.approved_by)
            if self.changes[-1].seq != ch.seq:
                raise ChangeError(f"变更序号 {ch.seq} 不连续", f"change seq {ch.seq} is out of sequence")

    @property
    def substitutions(self) -> list[Substitution]:
        return [c for c in self.changes if isinstance(c, Substitution)]

    @property
    def replacements(self) -> list[Replacement]:
        return [c for c in self.changes if isinstance(c, Replacement)]

    def current_teams(self) -> tuple[Team, ...]:
        return tuple(Team(t.entity, tuple(m)) for t, m in zip(self.drawn, self._current, strict=True))

    def team(self, entity: str) -> Team:
        return Team(entity, tuple(self._members(entity)))

    def _members(self, entity: str) -> list[Member]:
        i = self._index.get(entity)
        if i is None:
            raise ChangeError(f"检查对象 {entity} 没有抽中的检查小组", f"entity {entity} has no drawn team")
        return self._current[i]

    def _position(self, entity: str, department: str, out: str) -> tuple[list[Member], int]:
        members = self._members(entity)
        if department not in self._codes:
            raise ChangeError(
                f"部门 {department} 不在本次抽取中", f"department {department} is not in this draw"
            )
        for i, m in enumerate(members):
            if m.inspector == out and m.department == department:
                return members, i
        raise ChangeError(
            f"{out} 目前不是检查对象 {entity} 检查小组中部门 {department} 的成员",
            f"{out} is not a current member of department {department} on the team for {entity}",
        )

    def _apply(self, members: list[Member], i: int, entity: str, incoming: str) -> None:
        out = members[i]
        members[i] = Member(out.department, incoming, out.leader)
        self._left.setdefault(entity, set()).add(out.inspector)

    def substitute(self, entity: str, department: str, out: str, reason: str) -> Substitution:
        """递补: the first in the (entity, department) ranking neither on the team now nor gone from it."""
        reason = check_text(reason, "递补原因", "reason")
        members, i = self._position(entity, department, out)
        on_team = {m.inspector for m in members}
        left = self._left.get(entity, set())
        for name in ranking(self.seed, self.inputs, entity, department):
            if name not in on_team and name not in left:
                break
        else:
            raise NoSubstituteError(
                f"检查对象 {entity} 的部门 {department} 已无可递补的执法检查人员",
                f"no inspector of department {department} is left to substitute on the team for {entity}",
            )
        self._apply(members, i, entity, name)
        ch = Substitution(len(self.changes) + 1, entity, department, out, name, reason)
        self.changes.append(ch)
        return ch

    def replace(
        self, entity: str, department: str, out: str, incoming: str, reason: str, approved_by: str
    ) -> Replacement:
        """调整更换 approved by the department's leader: no lottery, the newcomer takes the leaver's place."""
        reason = check_text(reason, "调整原因", "reason")
        approved_by = check_text(approved_by, "批准人", "approved_by")
        members, i = self._position(entity, department, out)
        if incoming not in self.inputs.pool.get(department, ()):
            raise ChangeError(
                f"{incoming} 不在部门 {department} 的执法检查人员库中",
                f"{incoming} is not in the pool of department {department}",
            )
        if incoming in self.inputs.conflicts.get(entity, frozenset()):
            raise ChangeError(
                f"{incoming} 与检查对象 {entity} 需回避", f"{incoming} is in conflict with entity {entity}"
            )
        if any(m.inspector == incoming for m in members):
            raise ChangeError(
                f"{incoming} 已在该检查小组中", f"{incoming} is already on the team for {entity}"
            )
        self._apply(members, i, entity, incoming)
        ch = Replacement(len(self.changes) + 1, entity, department, out, incoming, reason, approved_by)
        self.changes.append(ch)
        return ch


def substitute(ledger: TeamLedger, *, entity: str, department: str, out: str, reason: str) -> Substitution:
    """递补 substitute draw on ``ledger`` (see ``TeamLedger.substitute``)."""
    return ledger.substitute(entity, department, out, reason)


def replace(
    ledger: TeamLedger,
    *,
    entity: str,
    department: str,
    out: str,
    incoming: str,
    reason: str,
    approved_by: str,
) -> Replacement:
    """Manual replacement on ``ledger`` (see ``TeamLedger.replace``)."""
    return ledger.replace(entity, department, out, incoming, reason, approved_by)
