from typing import Any

import pytest
from django.core.exceptions import ValidationError

from shuangsuiji.accounts import services
from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.passwords import CharacterClassValidator
from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.selectors import visible_department_ids

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "roles",
    [
        [Role.SYSADMIN, Role.AUDITADMIN],
        [Role.SECADMIN, Role.SYSADMIN],
        [Role.AUDITADMIN, Role.MANAGER],
    ],
)
def test_three_admin_roles_are_separated(cast: Any, roles: list[str]) -> None:
    with pytest.raises(ValidationError):
        services.user_create(
            actor=cast["scjg.secadmin"],
            username="two.hats",
            full_name="某某",
            department=cast["scjg.manager"].department,
            roles=roles,
            password="Good#Pass2026",
        )
    assert not User.objects.filter(username="two.hats").exists()


def test_business_roles_may_combine(cast: Any) -> None:
    user = services.user_create(
        actor=cast["scjg.secadmin"],
        username="lead.and.manage",
        full_name="某某",
        department=cast["scjg.manager"].department,
        roles=[Role.LEADER, Role.MANAGER],
        password="Good#Pass2026",
    )
    assert user.role_set == {Role.LEADER, Role.MANAGER}


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("abcdefgh", False),
        ("abcd1234", False),
        ("Abcd1234", True),
        ("abcd#123", True),
        ("ABCD#EFG", False),
    ],
)
def test_passwords_need_three_character_classes(password: str, ok: bool) -> None:
    validator = CharacterClassValidator()
    if ok:
        validator.validate(password)
    else:
        with pytest.raises(ValidationError):
            validator.validate(password)


def test_security_admin_creates_an_account_through_the_page(client_for: Any, cast: Any) -> None:
    client = client_for("scjg.secadmin")
    response = client.post(
        "/staff/accounts/users/new/",
        {
            "username": "new.inspector",
            "full_name": "新同志",
            "department": cast["cg.manager"].department_id,
            "roles": [Role.INSPECTOR],
            "is_active": "on",
            "password": "short",
        },
    )
    assert response.status_code == 200 and not User.objects.filter(username="new.inspector").exists()
    response = client.post(
        "/staff/accounts/users/new/",
        {
            "username": "new.inspector",
            "full_name": "新同志",
            "department": cast["cg.manager"].department_id,
            "roles": [Role.INSPECTOR],
            "is_active": "on",
            "password": "Xinjin#2026",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="new.inspector")
    assert created.check_password("Xinjin#2026") and created.role_set == {Role.INSPECTOR}


def test_station_users_see_their_station_bureau_users_see_the_subtree(cast: Any) -> None:
    station = visible_department_ids(cast["cg.manager"])
    bureau = visible_department_ids(cast["scjg.manager"])
    assert station == {cast["cg.manager"].department_id}
    assert bureau is not None and station < bureau
    assert not bureau & {Department.objects.get(code="XFJY").pk}
    assert visible_department_ids(cast["lxb.oversight"]) is None


def test_moving_a_department_moves_its_subtree(cast: Any) -> None:
    scjg, xfjy = Department.objects.get(code="SCJG"), Department.objects.get(code="XFJY")
    station = Department.objects.get(code="SCJG-CG")
    with pytest.raises(ValidationError):
        services.department_update(actor=cast["scjg.sysadmin"], department=scjg, parent=station)
    services.department_update(actor=cast["scjg.sysadmin"], department=station, parent=xfjy)
    station.refresh_from_db()
    assert station.path.startswith(xfjy.path)
