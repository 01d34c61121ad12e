"""Drawing the teams, 递补 substitutions and manual replacements (DRAW-PROTOCOL.md §6)."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import compress
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
    """SHA-256(prefix + key) for each key, from the prefix's hash state ``base``.

    A plain loop: each state is copied, fed and finished before the next (measured faster than C-level
    ``map`` pipelines, which keep every state alive at once, or than hashing prefix + key from scratch).
    """
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
    __slots__ = (
        "cap",
        "code_bytes",
        "dept",
        "elig_keys",
        "elig_mask",
        "elig_names",
        "index",
        "load",
        "pool_keys",
        "pool_names",
    )

    def __init__(self, dept: Department, pool: Sequence[str], n_entities: int) -> None:
        self.dept = dept
        self.code_bytes = dept.code.encode()
        self.pool_names = list(pool)
        self.pool_keys = [n.encode() for n in pool]
        self.cap = -(-n_entities * dept.per_object // len(pool)) if pool else 0
        self.load = dict.fromkeys(pool, 0)
        self.elig_names = list(self.pool_names)
        self.elig_keys = list(self.pool_keys)
        # For the precomputed path: position in the pool, and 1 while below the cap.
        self.index = {n: i for i, n in enumerate(self.pool_names)}
        self.elig_mask = bytearray(b"\x01") * len(self.pool_names)

    def take(self, names: Iterable[str]) -> None:
        for name in names:
            load = self.load[name] + 1
            self.load[name] = load
            if load == self.cap:
                i = self.elig_names.index(name)
                del self.elig_names[i]
                del self.elig_keys[i]
                self.elig_mask[self.index[name]] = 0


def _take_exact(
    st: _DeptState,
    base: Any,
    entity: str,
    conflicts: frozenset[str] | None,
    second_pass: list[tuple[str, str]] | None,
) -> list[tuple[bytes, bytes, str]]:
    """§6 for one (entity, department), computing the tickets it needs: (ticket, key bytes, name) in ranking
    order. The first pass ranks only the candidates below the cap; the second, if needed, the others."""
    d = st.dept
    need = d.per_object
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
    return taken


def _members(st: _DeptState, names: Sequence[str]) -> list[Member]:
    lead_now = st.dept.lead
    out = []
    for name in names:
        out.append(Member(st.dept.code, name, lead_now))
        lead_now = False
    return out


def draw_teams(
    seed: bytes,
    entities: Sequence[str],
    inputs: TeamInputs,
    *,
    second_pass: list[tuple[str, str]] | None = None,
    processes: int = 1,
) -> tuple[Team, ...]:
    """Draw one team per selected entity, in selected order (§6).

    Raises ``TeamShortageError`` naming the entity and department when even the second pass falls short.
    ``second_pass``, when given, receives the (entity, department) pairs where the caps had to be ignored.
    With ``processes`` > 1 and a big draw, worker processes compute the tickets ahead (they do not depend on
    the loads) and this process walks the rankings: the same teams (see ``_draw_teams_precomputed``).
    """
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise InvalidInputError("种子应为 32 字节", "the seed must be 32 bytes")
    states = [_DeptState(d, inputs.pool.get(d.code, ()), len(entities)) for d in inputs.departments]
    tickets = len(entities) * sum(len(st.pool_names) for st in states)
    if processes > 1 and tickets >= PARALLEL_MIN_TICKETS and len(entities) >= 2 * _CHUNK_ENTITIES:
        return _draw_teams_precomputed(seed, entities, inputs, states, second_pass, processes)
    prefix = seed + TEAM
    teams: list[Team] = []
    for entity in entities:
        head = prefix + entity.encode() + b"\x00"
        conflicts = inputs.conflicts.get(entity)
        members: list[Member] = []
        for st in states:
            base = hashlib.sha256(head + st.code_bytes + b"\x00")
            names = [name for _, _, name in _take_exact(st, base, entity, conflicts, second_pass)]
            st.take(names)
            members += _members(st, names)
        teams.append(Team(entity, tuple(members)))
    return tuple(teams)


# ---------------------------------------------------------------------------------- precomputed tickets
#
# A team ticket does not depend on the loads; only the walk does. So worker processes compute the tickets of
# every (entity, department) ahead, in chunks of entities, while this process walks the rankings in selected
# order. A worker does not send the 500 tickets of a department, only the head of its ranking: the pool
# positions of the members whose ticket is below a threshold (its first 4 bytes below 2^32 · 16 / pool size,
# so about 16 members), sorted by ticket. Every member outside the head has a larger ticket than every member
# in it, so the head is exactly the start of the ranking. The walk takes the first candidates of the head
# that are below the cap and not in conflict; if the head runs out first (about 1 in 100 at 500 per
# department, mostly near the end of the draw when the caps bind), that (entity, department) is done here
# the single-process way, tickets and all. Either way the teams are those of the single-process draw.

PARALLEL_MIN_TICKETS = 400_000  # below this, starting the workers costs more than it saves
HEAD_EXPECTED = 16  # expected length of a ranking head
_CHUNK_ENTITIES = 64
_worker_state: dict[str, Any] = {}


def _worker_init(seed: bytes, departments: list[tuple[bytes, list[bytes]]], head_expected: int) -> None:
    _worker_state["args"] = (seed + TEAM, departments, head_expected)


def _worker_heads(entities: list[str]) -> list[array[int]]:
    prefix, departments, head_expected = _worker_state["args"]
    return _heads(prefix, departments, head_expected, entities)


def _heads(
    prefix: bytes, departments: list[tuple[bytes, list[bytes]]], head_expected: int, entities: list[str]
) -> list[array[int]]:
    """For each entity, for each department: the head of the ranking of the whole pool (positions)."""
    bounds = [  # ticket < bound (4 bytes) ⟺ the ticket's first 4 bytes are below 2^32 · head_expected / n
        (-(-(head_expected << 32) // len(keys))).to_bytes(4, "big")
        if head_expected < len(keys)
        else _ABOVE_ANY_TICKET
        for _, keys in departments
    ]
    out: list[array[int]] = []
    for entity in entities:
        head = prefix + entity.encode() + b"\x00"
        for (code, keys), bound in zip(departments, bounds, strict=True):
            tickets = _tickets(hashlib.sha256(head + code + b"\x00"), keys)
            below = list(compress(range(len(keys)), map(bound.__gt__, tickets)))
            below.sort(key=lambda i: (tickets[i], i))  # i: the tie rule of `_smallest` (the earlier member)
            out.append(array("I", below))
    return out


def _take_head(st: _DeptState, ranked_head: array[int], conflicts: frozenset[str] | None) -> list[str] | None:
    """The first pass of ``_take_exact`` from the head of the ranking, or None when the head is too short."""
    need = st.dept.per_object
    mask = st.elig_mask
    names = st.pool_names
    taken: list[str] = []
    for i in ranked_head:
        if mask[i]:
            name = names[i]
            if not (conflicts and name in conflicts):
                taken.append(name)
                if len(taken) == need:
                    return taken
    return None


def _draw_teams_precomputed(
    seed: bytes,
    entities: Sequence[str],
    inputs: TeamInputs,
    states: list[_DeptState],
    second_pass: list[tuple[str, str]] | None,
    processes: int,
) -> tuple[Team, ...]:
    from .objects import _pool_context

    chunks = [list(entities[i : i + _CHUNK_ENTITIES]) for i in range(0, len(entities), _CHUNK_ENTITIES)]
    departments = [(st.code_bytes, st.pool_keys) for st in states]
    prefix = seed + TEAM
    teams: list[Team] = []
    with ExitStack() as stack:
        if processes > 1:
            pool = stack.enter_context(
                _pool_context().Pool(processes, _worker_init, (seed, departments, HEAD_EXPECTED))
            )
            results: Iterable[list[array[int]]] = pool.imap(_worker_heads, chunks)
        else:  # the same walk over heads computed here (for tests)
            results = (_heads(prefix, departments, HEAD_EXPECTED, chunk) for chunk in chunks)
        for chunk, heads in zip(chunks, results, strict=True):
            k = 0
            for entity in chunk:
                conflicts = inputs.conflicts.get(entity)
                members: list[Member] = []
                for st in states:
                    names = _take_head(st, heads[k], conflicts)
                    k += 1
                    if names is None:
                        base = hashlib.sha256(prefix + entity.encode() + b"\x00" + st.code_bytes + b"\x00")
                        names = [n for _, _, n in _take_exact(st, base, entity, conflicts, second_pass)]
                    st.take(names)
                    members += _members(st, names)
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
