"""For every URL and every demo account (each role, in more than one department), the answer the
declared rules and the department scope predict: 200, 403, 404 (out of scope), or a redirect to sign-in.

A new URL fails `test_matrix_covers_every_url` until it is added here with its expectation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from shuangsuiji.accounts.rules import user_passes
from shuangsuiji.catalog.models import InspectionItem
from shuangsuiji.catalog.selectors import item_editable_by
from shuangsuiji.demo.county import ACCOUNTS
from shuangsuiji.directory.models import Conflict, Entity, Inspector
from shuangsuiji.directory.selectors import conflicts_visible_to, entities_visible_to, inspectors_visible_to
from tests.test_url_rules import walk

USERNAMES = [username for username, _, _ in ACCOUNTS]


def _objects() -> dict[str, Any]:
    # An entity of the 城关 station that the fire brigade also lists: visible to some departments, not others.
    entity = Entity.objects.filter(jurisdiction__code="SCJG-CG", listings__department__code="XFJY").first()
    return {
        "entity": entity,
        "inspector": Inspector.objects.filter(department__code="SCJG-CG").first(),
        "conflict": Conflict.objects.select_related("inspector").first(),
        "item": InspectionItem.objects.get(code="SC-01"),
        "department": entity.jurisdiction if entity else None,
    }


# name → (rule, kwargs from objects, scope check(user, objects) → True if the object is in the user's scope)
Scope = Callable[[Any, dict[str, Any]], bool]
ALWAYS: Scope = lambda user, o: True  # noqa: E731


def _in(selector: Callable[[Any], Any], key: str) -> Scope:
    return lambda user, o: selector(user).filter(pk=o[key].pk).exists()


def _item_edit(user: Any, o: dict[str, Any]) -> bool:
    return item_editable_by(user, o["item"])


def _item_create(user: Any, o: dict[str, Any]) -> bool:
    return item_editable_by(user, None)


MATRIX: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]], Scope]] = {
    "core:home": ("authenticated", lambda o: {}, ALWAYS),
    "accounts:password_change": ("authenticated", lambda o: {}, ALWAYS),
    "accounts:department_list": ("departments.view", lambda o: {}, ALWAYS),
    "accounts:department_create": ("departments.manage", lambda o: {}, ALWAYS),
    "accounts:department_edit": ("departments.manage", lambda o: {"pk": o["department"].pk}, ALWAYS),
    "accounts:user_list": ("accounts.manage", lambda o: {}, ALWAYS),
    "accounts:user_create": ("accounts.manage", lambda o: {}, ALWAYS),
    "accounts:user_edit": ("accounts.manage", lambda o: {"pk": 1}, ALWAYS),
    "accounts:user_password": ("accounts.manage", lambda o: {"pk": 1}, ALWAYS),
    "catalog:item_list": ("catalog.view", lambda o: {}, ALWAYS),
    "catalog:item_create": ("catalog.edit", lambda o: {}, _item_create),
    "catalog:item_detail": ("catalog.view", lambda o: {"pk": o["item"].pk}, ALWAYS),
    "catalog:item_edit": ("catalog.edit", lambda o: {"pk": o["item"].pk}, _item_edit),
    "directory:entity_list": ("directory.view", lambda o: {}, ALWAYS),
    "directory:entity_create": ("directory.edit", lambda o: {}, ALWAYS),
    "directory:entity_detail": (
        "directory.view",
        lambda o: {"pk": o["entity"].pk},
        _in(entities_visible_to, "entity"),
    ),
    "directory:entity_edit": (
        "directory.edit",
        lambda o: {"pk": o["entity"].pk},
        _in(entities_visible_to, "entity"),
    ),
    "directory:inspector_list": ("directory.view", lambda o: {}, ALWAYS),
    "directory:inspector_create": ("directory.edit", lambda o: {}, ALWAYS),
    "directory:inspector_detail": (
        "directory.view",
        lambda o: {"pk": o["inspector"].pk},
        _in(inspectors_visible_to, "inspector"),
    ),
    "directory:inspector_edit": (
        "directory.edit",
        lambda o: {"pk": o["inspector"].pk},
        _in(inspectors_visible_to, "inspector"),
    ),
    "directory:conflict_list": ("directory.view", lambda o: {}, ALWAYS),
    "directory:conflict_create": ("directory.edit", lambda o: {}, ALWAYS),
    "directory:conflict_withdraw": (
        "directory.edit",
        lambda o: {"pk": o["conflict"].pk},
        _in(conflicts_visible_to, "conflict"),
    ),
}
# Public or special: the portal root redirects, sign-in redirects the signed-in, sign-out is POST only.
SPECIAL = {"core:root", "accounts:login", "accounts:logout"}


def _names() -> set[str]:
    from django.urls import get_resolver

    names = set()
    resolver = get_resolver()
    for key, value in resolver.reverse_dict.items():
        if isinstance(key, str):
            continue
    for namespace, (_, sub) in resolver.namespace_dict.items():
        for key in sub.reverse_dict:
            if isinstance(key, str):
                names.add(f"{namespace}:{key}")
    return names


def test_matrix_covers_every_url() -> None:
    assert len(list(walk(__import__("django.urls", fromlist=["x"]).get_resolver().url_patterns))) == len(
        _names()
    )
    assert _names() == set(MATRIX) | SPECIAL


def expected(user: Any, name: str, objects: dict[str, Any]) -> int:
    rule_name, _, scope = MATRIX[name]
    if rule_name != "authenticated" and not user_passes(user, rule_name):
        return 403
    if not scope(user, objects):
        return 403 if name.startswith("catalog:") else 404
    return 200


@pytest.mark.django_db
@pytest.mark.parametrize("username", USERNAMES)
def test_each_role_gets_exactly_what_the_rules_say(client: Any, cast: Any, username: str) -> None:
    objects = _objects()
    user = cast[username]
    client.force_login(user)
    mismatches = []
    for name, (_, kwargs, _) in MATRIX.items():
        url = reverse(name, kwargs=kwargs(objects))
        status = client.get(url).status_code
        want = expected(user, name, objects)
        if status != want:
            mismatches.append((name, url, status, want))
    assert mismatches == []


@pytest.mark.django_db
def test_the_matrix_really_varies_by_department(cast: Any) -> None:
    """Guard against a matrix that passes because everything is allowed or everything denied."""
    objects = _objects()
    answers = {u: expected(cast[u], "directory:entity_detail", objects) for u in USERNAMES}
    assert answers["cg.manager"] == 200
    assert answers["yjj.manager"] == 404  # a 城关 shop is not in the emergency bureau's directory
    assert answers["gx.inspector"] == 404  # another station's entity
    assert answers["scjg.auditor"] == 403  # the audit admin reads the audit log and nothing else


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client: Any) -> None:
    objects = _objects()
    login = reverse("accounts:login")
    for name, (_, kwargs, _) in MATRIX.items():
        response = client.get(reverse(name, kwargs=kwargs(objects)))
        assert response.status_code == 302, name
        assert response["Location"].startswith(login), name
    assert client.get(reverse("accounts:login")).status_code == 200
