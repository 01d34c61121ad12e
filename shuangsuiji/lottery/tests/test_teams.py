"""Team draws (§6): caps, the second pass, conflicts, the leader, 递补 and manual replacements."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from shuangsuiji.lottery import (
    ChangeError,
    Department,
    LotteryError,
    NoSubstituteError,
    Replacement,
    Substitution,
    TeamInputs,
    TeamLedger,
    TeamShortageError,
    draw_teams,
    ranking,
    replace,
    substitute,
    team_ticket,
)

SEED = hashlib.sha256(b"teams").digest()


def inputs(
    sizes: dict[str, int], per_object: dict[str, int], conflicts: dict[str, set[str]] | None = None
) -> TeamInputs:
    codes = sorted(sizes)
    depts = tuple(Department(c, c, per_object[c], i == 0) for i, c in enumerate(codes))
    pool = {c: tuple(sorted(f"{c}-{i:02d}" for i in range(sizes[c]))) for c in codes}
    return TeamInputs(depts, pool, {e: frozenset(v) for e, v in (conflicts or {}).items()})


ENTITIES = [f"E{i:03d}" for i in range(40)]


def test_teams_follow_the_rankings_and_the_first_lead_member_leads() -> None:
    inp = inputs({"A": 6, "B": 4}, {"A": 2, "B": 1})
    teams = draw_teams(SEED, ENTITIES[:1], inp)
    t = teams[0]
    assert [m.inspector for m in t.members if m.department == "A"] == ranking(SEED, inp, "E000", "A")[:2]
    assert [m.inspector for m in t.members if m.department == "B"] == ranking(SEED, inp, "E000", "B")[:1]
    assert [m.leader for m in t.members] == [True, False, False]
    assert t.leader.department == "A"


def test_ranking_is_by_team_ticket() -> None:
    inp = inputs({"A": 5}, {"A": 1})
    r = ranking(SEED, inp, "E1", "A")
    assert r == sorted(inp.pool["A"], key=lambda i: team_ticket(SEED, "E1", "A", i))


def test_no_inspector_exceeds_the_cap_while_others_have_room() -> None:
    inp = inputs({"A": 7, "B": 3}, {"A": 2, "B": 1})
    teams = draw_teams(SEED, ENTITIES, inp)
    loads = Counter(m.inspector for t in teams for m in t.members)
    assert max(loads[i] for i in inp.pool["A"]) <= -(-40 * 2 // 7)
    assert all(loads[i] <= -(-40 // 3) for i in inp.pool["B"])
    assert sum(loads.values()) == 40 * 3


def test_inspector_in_conflict_is_never_drawn() -> None:
    conflicts = {e: {"A-00", "A-01"} for e in ENTITIES[::3]}
    inp = inputs({"A": 4}, {"A": 2}, conflicts)
    for t in draw_teams(SEED, ENTITIES, inp):
        if t.entity in conflicts:
            assert not {m.inspector for m in t.members} & conflicts[t.entity]


def test_second_pass_ignores_caps_when_the_first_falls_short() -> None:
    # conflict with most entities, so fill up and must go over their cap.
    conflicts = {e: {"A-00", "A-01"} for e in ENTITIES[:30]}
    inp = inputs({"A": 4}, {"A": 2}, conflicts)
    second: list[tuple[str, str]] = []
    teams = draw_teams(SEED, ENTITIES, inp, second_pass=second)
    loads = Counter(m.inspector for t in teams for m in t.members)
    assert second
    assert loads["A-02"] > 20 and loads["A-03"] > 20  # cap is 20


def test_shortage_fails_naming_entity_and_department() -> None:
    inp = inputs({"A": 3}, {"A": 2}, {"E005": {"A-00", "A-01"}})
    with pytest.raises(TeamShortageError) as err:
        draw_teams(SEED, ENTITIES, inp)
    assert err.value.entity == "E005" and err.value.department == "A"
    assert "E005" in err.value.zh and "A" in err.value.en


def test_substitutions_chain_and_never_bring_back_a_leaver() -> None:
    inp = inputs({"A": 5, "B": 2}, {"A": 2, "B": 1})
    teams = draw_teams(SEED, ENTITIES[:4], inp)
    ledger = TeamLedger(SEED, teams, inp)
    e = teams[0].entity
    lead = teams[0].members[0]
    rank = ranking(SEED, inp, e, "A")
    s1 = substitute(ledger, entity=e, department="A", out=lead.inspector, reason="病假")
    on = {m.inspector for m in teams[0].members}
    assert s1.incoming == next(i for i in rank if i not in on)
    assert ledger.team(e).members[0] == type(lead)("A", s1.incoming, True)  # takes the place and the role
    s2 = substitute(ledger, entity=e, department="A", out=s1.incoming, reason="回避")
    assert s2.incoming not in {lead.inspector, s1.incoming}
    assert [s1.seq, s2.seq] == [1, 2]
    # the teams as drawn are unchanged
    assert ledger.drawn[0] == teams[0]
    # B has 2 inspectors: one substitution possible, then none is left
    b = next(m for m in teams[0].members if m.department == "B")
    s3 = ledger.substitute(e, "B", b.inspector, "出差")
    with pytest.raises(NoSubstituteError):
        ledger.substitute(e, "B", s3.incoming, "出差")


def test_replacements_are_checked_and_share_the_chronology() -> None:
    inp = inputs({"A": 5}, {"A": 2}, {"E000": {"A-04"}})
    teams = draw_teams(SEED, ENTITIES[:2], inp)
    ledger = TeamLedger(SEED, teams, inp)
    e = teams[0].entity
    on = [m.inspector for m in teams[0].members]
    free = [i for i in inp.pool["A"] if i not in on and i != "A-04"]
    assert "A-04" not in on
    with pytest.raises(ChangeError, match="conflict"):
        ledger.replace(e, "A", on[0], "A-04", "调整", "王局长")
    with pytest.raises(ChangeError, match="not in the pool"):
        ledger.replace(e, "A", on[0], "Z-99", "调整", "王局长")
    with pytest.raises(ChangeError, match="already on the team"):
        ledger.replace(e, "A", on[0], on[1], "调整", "王局长")
    with pytest.raises(ChangeError, match="not a current member"):
        ledger.replace(e, "A", free[0], free[1], "调整", "王局长")
    with pytest.raises(LotteryError, match="approved_by"):
        ledger.replace(e, "A", on[0], free[0], "调整", " ")
    r1 = replace(
        ledger, entity=e, department="A", out=on[0], incoming=free[0], reason="岗位调整", approved_by="王局长"
    )
    s2 = ledger.substitute(e, "A", free[0], "病假")
    assert (r1.seq, s2.seq) == (1, 2)
    assert isinstance(ledger.changes[0], Replacement) and isinstance(ledger.changes[1], Substitution)
    assert s2.incoming != on[0]  # the replaced inspector has left the team for good


def test_ledger_replays_stored_changes_and_refuses_a_wrong_substitute() -> None:
    inp = inputs({"A": 6}, {"A": 2})
    teams = draw_teams(SEED, ENTITIES[:3], inp)
    live = TeamLedger(SEED, teams, inp)
    e = teams[1].entity
    s1 = live.substitute(e, "A", teams[1].members[1].inspector, "病假")
    replayed = TeamLedger(SEED, teams, inp, changes=live.changes)
    assert replayed.current_teams() == live.current_teams()
    wrong = Substitution(1, e, "A", s1.out, "A-99", "病假")
    with pytest.raises(ChangeError, match="the substitute is"):
        TeamLedger(SEED, teams, inp, changes=[wrong])
    with pytest.raises(ChangeError, match="no drawn team"):
        live.substitute("nobody", "A", "A-00", "x")
