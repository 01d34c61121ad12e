from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from stdnum.cn import uscc

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.roles import Role
from shuangsuiji.catalog.models import InspectionItem
from shuangsuiji.demo.county import ACCOUNTS, demo_load
from shuangsuiji.demo.models import DemoLoad
from shuangsuiji.directory.models import Conflict, Entity, Inspector

pytestmark = pytest.mark.django_db


def test_every_uscc_is_valid_and_unique() -> None:
    codes = list(Entity.objects.values_list("uscc", flat=True))
    assert len(codes) >= 400 and len(set(codes)) == len(codes)
    assert all(uscc.is_valid(code) for code in codes)


def test_the_county_looks_like_a_county() -> None:
    credit = Counter(Entity.objects.exclude(credit_risk_class="").values_list("credit_risk_class", flat=True))
    total = sum(credit.values())
    assert (
        credit["A"] / total > 0.45 and credit["B"] / total > 0.18 and credit["D"] < credit["C"] < credit["B"]
    )
    statuses = Counter(Entity.objects.values_list("status", flat=True))
    assert statuses["active"] / sum(statuses.values()) > 0.85
    assert {"key", "general", "small"} <= set(Entity.objects.values_list("fire_safety_category", flat=True))
    towns = set(Entity.objects.values_list("town", flat=True))
    assert {"城关镇", "顾县镇", "缑氏镇"} & towns
    assert 70 <= Inspector.objects.count() <= 90
    assert Inspector.objects.filter(qualified=False).exists()
    assert Conflict.objects.count() >= 3
    assert {"XF-01", "XF-02", "XF-03", "LH-01", "SC-01", "SC-02"} <= set(
        InspectionItem.objects.values_list("code", flat=True)
    )
    joint = InspectionItem.objects.get(code="LH-01")
    assert set(joint.components.values_list("department__code", flat=True)) == {"XFJY", "SCJG"}
    # at least three more departments of 004 第九条 besides market regulation and fire
    assert {"YJJ", "SGJ", "WLJ"} <= set(Department.objects.values_list("code", flat=True))


def test_the_demo_leaves_a_finished_joint_ceremony_and_a_task_ready_to_draw() -> None:
    from shuangsuiji.draws.models import Draw, DrawChange
    from shuangsuiji.planning.models import Plan, Task

    drawn = Draw.objects.get(task__plan__kind=Plan.Kind.JOINT)
    assert drawn.state == Draw.State.DRAWN and drawn.witnesses.count() == 2 and drawn.dispatched_at
    kinds = set(drawn.changes.filter(state=DrawChange.State.APPLIED).values_list("kind", flat=True))
    assert kinds == {DrawChange.Kind.SUBSTITUTION, DrawChange.Kind.REPLACEMENT}
    assert drawn.changes.get(kind=DrawChange.Kind.REPLACEMENT).approved_by.username == "scjg.leader"
    ready = Task.objects.get(plan__kind=Plan.Kind.ANNUAL, plan__year=2026)
    assert ready.state == Task.State.DRAFT and ready.plan.state == Plan.State.PUBLISHED


def test_the_demo_has_records_in_every_state_and_a_finished_year() -> None:
    from shuangsuiji.disclosure import selectors
    from shuangsuiji.inspections.models import Correction, FollowUp, InspectionRecord
    from shuangsuiji.planning.models import Plan, Task

    joint = InspectionRecord.objects.filter(task__plan__kind=Plan.Kind.JOINT)
    assert set(joint.values_list("state", flat=True)) == {"open", "complete", "published"}
    assert set(Correction.objects.values_list("state", flat=True)) == {"pending", "approved"}
    assert FollowUp.objects.filter(state="open").exists() and FollowUp.objects.filter(state="done").exists()
    last_year = Task.objects.get(plan__year=2025)
    assert last_year.plan.state == Plan.State.CLOSED
    assert set(last_year.records.values_list("state", flat=True)) == {"published"}
    assert (
        selectors.check_published_draw(selectors.task_open_data(selectors.task_disclosure(last_year))) == []
    )


def test_demo_accounts_cover_each_role_in_two_departments() -> None:
    departments: dict[str, set[str]] = {}
    for _, role, code in ACCOUNTS:
        departments.setdefault(role, set()).add(code)
    assert set(departments) == set(Role.values)
    assert all(len(codes) >= 2 for codes in departments.values())


def test_loading_twice_changes_nothing() -> None:
    count = Entity.objects.count()
    assert demo_load(entities=400) is None
    assert Entity.objects.count() == count and DemoLoad.objects.count() == 1


def _snapshot(size: int) -> list[tuple[str, str, str]]:
    class Rollback(Exception):
        pass

    snapshot: list[tuple[str, str, str]] = []
    try:
        with transaction.atomic():
            from shuangsuiji.disclosure.models import ItemListVersion, PublishedResult
            from shuangsuiji.draws.models import Draw, DrawChange
            from shuangsuiji.inspections.models import Correction, FollowUp, InspectionRecord
            from shuangsuiji.planning.models import Plan, Task

            DemoLoad.objects.all().delete()
            PublishedResult.objects.all().delete()
            ItemListVersion.objects.all().delete()
            FollowUp.objects.all().delete()
            Correction.objects.all().delete()
            InspectionRecord.objects.all().delete()
            DrawChange.objects.all().delete()
            Draw.objects.all().delete()
            Task.objects.all().delete()
            Plan.objects.all().delete()
            Conflict.objects.all().delete()
            Entity.objects.all().delete()
            Inspector.objects.all().delete()
            from shuangsuiji.accounts.models import User

            User.objects.all().delete()
            InspectionItem.objects.all().delete()
            for department in Department.objects.order_by("-path"):  # children before parents
                department.delete()
            demo_load(entities=size)
            snapshot = list(Entity.objects.order_by("pk").values_list("uscc", "name", "legal_representative"))
            raise Rollback
    except Rollback:
        pass
    return snapshot


def test_the_county_is_deterministic_for_a_given_size() -> None:
    first, second = _snapshot(150), _snapshot(150)
    assert len(first) == 150 and first == second
    assert _snapshot(151)[:150] != first


def test_the_demo_command_prints_the_accounts(capsys: Any) -> None:
    out = StringIO()
    call_command("demo", "--no-serve", "--entities", "400", stdout=out)
    text = out.getvalue()
    assert "演示数据已存在，未重复加载" in text
    for username, _, _ in ACCOUNTS:
        assert username in text
    assert "Ssj@demo2026" in text and "抽查管理员" in text
