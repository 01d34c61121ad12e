"""For every URL and every demo account (each role, in more than one department), the answer the
declared rules and the department scope predict: 200, 403, 404 (out of scope), or a redirect to sign-in.

A new URL fails `test_matrix_covers_every_url` until it is added here with its expectation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from conftest import sign_in
from shuangsuiji.accounts.roles import ADMIN_ROLES as ADMIN
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
    from shuangsuiji.accounts.models import User
    from shuangsuiji.draws import services as draws
    from shuangsuiji.draws.tests.test_ceremony import make_joint_task

    cast = {
        u.username: u
        for u in User.objects.filter(username__in=["scjg.manager", "xfjy.manager", "lxb.oversight"])
    }
    drawn = make_joint_task(cast)
    draw = draws.draw_commit(actor=cast["scjg.manager"], task=drawn)
    draws.draw_execute(actor=cast["scjg.manager"], draw=draw, ceremony_entropy="matrix")
    draft = make_joint_task(cast)
    return {
        "plan": draft.plan,
        "task": draft,
        "drawn": drawn,
        "member": draw.members.filter(active=True).first(),
        "media": draws.ceremony_media_add(
            actor=cast["scjg.manager"],
            draw=draw,
            upload=__import__("io").BytesIO(b"\xff\xd8\xff\xe0 photo"),
            filename="现场.jpg",
            size=12,
        ),
        "change_pk": 999999,
        "job": _job(cast["scjg.manager"]),
        "override": __import__("shuangsuiji.core.models", fromlist=["x"]).WorkdayOverride.objects.create(
            date=__import__("datetime").date(2027, 1, 1), workday=False
        ),
        "batch": _batch(cast["scjg.manager"]),
        **_inspection_objects(cast),
        "entity": entity,
        "inspector": Inspector.objects.filter(department__code="SCJG-CG").first(),
        "conflict": Conflict.objects.select_related("inspector").first(),
        "item": InspectionItem.objects.get(code="SC-01"),
        "department": entity.jurisdiction if entity else None,
    }


def _inspection_objects(cast: dict[str, Any]) -> dict[str, Any]:
    """A record of the demo's dispatched joint task (XFJY-led, with SCJG), with evidence and a follow-up."""
    import io

    from shuangsuiji.inspections import services as inspections
    from shuangsuiji.inspections.models import FollowUp, InspectionRecord, Result

    record = (
        InspectionRecord.objects.filter(task__title="消防产品使用及营业执照登记事项联合检查")
        .order_by("selection__rank")
        .first()
    )
    assert record is not None
    xfjy = type(cast["scjg.manager"]).objects.get(username="xfjy.manager")
    evidence = inspections.evidence_add(
        actor=xfjy,
        record=record,
        upload=io.BytesIO(b"\xff\xd8\xff\xe0 photo"),
        size=12,
        original_name="现场.jpg",
    )
    part = record.parts.get(department__code="XFJY")
    followup = FollowUp.objects.create(
        record=record, department=part.department, kind="transfer", due=record.results_due, owner=xfjy
    )
    return {
        "record": record,
        "record_task": record.task,
        "xfjy_part": part,
        "result": Result.objects.filter(part=part).first(),
        "evidence": evidence,
        "followup": followup,
    }


def _record_visible(user: Any, o: dict[str, Any]) -> bool:
    from shuangsuiji.inspections.selectors import record_visible_to

    return record_visible_to(user, o["record"])


def _may_enter(user: Any, o: dict[str, Any]) -> bool:
    from shuangsuiji.inspections.services import may_enter

    return _record_visible(user, o) and may_enter(user, o["xfjy_part"])


def _participant(user: Any, o: dict[str, Any]) -> bool:
    from shuangsuiji.inspections.services import parts_for

    return _record_visible(user, o) and bool(parts_for(user, o["record"]))


# name → (rule, kwargs from objects, outcome once the rule admits the user: a scope check (True → 200,
# False → 404, or 403 for the catalog) or a function giving the status code itself)
Scope = Callable[[Any, dict[str, Any]], bool]
Outcome = Callable[[Any, dict[str, Any]], int]
ALWAYS: Scope = lambda user, o: True  # noqa: E731


def _in(selector: Callable[[Any], Any], key: str) -> Scope:
    return lambda user, o: selector(user).filter(pk=o[key].pk).exists()


def _job(owner: Any) -> Any:
    from shuangsuiji.core.models import Job

    return Job.objects.create(kind="draws.commit", title="x", created_by=owner)


def _batch(owner: Any) -> Any:
    from django.core.files.storage import default_storage

    from shuangsuiji.directory.models import ImportBatch

    name = default_storage.save("imports/matrix.errors.xlsx", __import__("io").BytesIO(b"x"))
    return ImportBatch.objects.create(
        kind="entities",
        filename="a.csv",
        stored="imports/a.csv",
        size=1,
        sha256="0" * 64,
        created_by=owner,
        errors_file=name,
    )


def _owner(key: str) -> Scope:
    return lambda user, o: user == o[key].created_by


def _role_rule(name: str) -> Outcome:
    """Views that admit any signed-in user and then check a capability per register kind."""
    return lambda user, o: 200 if user_passes(user, name) else 403


def _item_edit(user: Any, o: dict[str, Any]) -> bool:
    return item_editable_by(user, o["item"])


def _item_create(user: Any, o: dict[str, Any]) -> bool:
    return item_editable_by(user, None)


def _plan_visible(user: Any, o: dict[str, Any]) -> bool:
    from shuangsuiji.planning.selectors import plans_visible_to

    return plans_visible_to(user).filter(pk=o["plan"].pk).exists()


def _task_visible(key: str) -> Scope:
    def check(user: Any, o: dict[str, Any]) -> bool:
        from shuangsuiji.draws.selectors import task_visible_to

        return task_visible_to(user, o[key])

    return check


def _plan_editable(key: str) -> Outcome:
    """Visible and the user's own department's plan → 200; visible but someone else's → 403; else 404."""

    def outcome(user: Any, o: dict[str, Any]) -> int:
        from shuangsuiji.planning.selectors import plan_editable_by, plans_visible_to

        plan = o[key] if key == "plan" else o[key].plan
        if not plans_visible_to(user).filter(pk=plan.pk).exists() and not _task_visible(key)(user, o):
            return 404
        return 200 if plan_editable_by(user, plan) else 403

    return outcome


def _post_only(user: Any, o: dict[str, Any]) -> int:
    return 405


def _ceremony(user: Any, o: dict[str, Any]) -> int:
    code = _plan_editable("drawn")(user, o)
    return 302 if code == 200 else code  # a drawn task's ceremony page leads to its result


def _bundle(user: Any, o: dict[str, Any]) -> int:
    from shuangsuiji.draws.selectors import sees_whole_list, task_visible_to

    if not task_visible_to(user, o["drawn"]):
        return 404
    return 200 if sees_whole_list(user, o["drawn"]) else 403


MATRIX: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]], Any]] = {
    "core:home": ("authenticated", lambda o: {}, ALWAYS),
    "core:workdays": ("workdays.manage", lambda o: {}, ALWAYS),
    "core:workday_delete": ("workdays.manage", lambda o: {"pk": o["override"].pk}, ALWAYS),
    "core:job": ("authenticated", lambda o: {"pk": o["job"].pk}, lambda user, o: user == o["job"].created_by),
    "accounts:password_change": ("authenticated", lambda o: {}, ALWAYS),
    "accounts:department_list": ("departments.view", lambda o: {}, ALWAYS),
    "accounts:department_create": ("departments.manage", lambda o: {}, ALWAYS),
    "accounts:department_edit": ("departments.manage", lambda o: {"pk": o["department"].pk}, ALWAYS),
    "accounts:user_list": ("accounts.manage", lambda o: {}, ALWAYS),
    "accounts:user_create": ("accounts.manage", lambda o: {}, ALWAYS),
    "accounts:user_edit": ("accounts.manage", lambda o: {"pk": 1}, ALWAYS),
    "accounts:user_password": ("accounts.manage", lambda o: {"pk": 1}, ALWAYS),
    "accounts:lockouts": ("accounts.manage", lambda o: {}, ALWAYS),
    "accounts:second_factor": ("authenticated", lambda o: {}, ALWAYS),
    "accounts:second_factor_qr": (
        "authenticated",
        lambda o: {},
        lambda user, o: 403 if user.role_set & ADMIN else 200,
    ),
    "audit:event_list": ("audit.view", lambda o: {}, ALWAYS),
    "audit:verify": ("audit.view", lambda o: {}, ALWAYS),
    "audit:export": ("audit.view", lambda o: {}, ALWAYS),
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
    "planning:plan_list": ("plans.view", lambda o: {}, ALWAYS),
    "planning:plan_create": ("plans.edit", lambda o: {}, ALWAYS),
    "planning:plan_detail": ("plans.view", lambda o: {"pk": o["plan"].pk}, _plan_visible),
    "planning:plan_edit": ("plans.edit", lambda o: {"pk": o["plan"].pk}, _plan_editable("plan")),
    "planning:plan_transition": ("plans.transition", lambda o: {"pk": o["plan"].pk}, _post_only),
    "planning:task_create": ("plans.edit", lambda o: {"plan_pk": o["plan"].pk}, _plan_editable("plan")),
    "planning:task_edit": (
        "plans.edit",
        lambda o: {"plan_pk": o["plan"].pk, "pk": o["task"].pk},
        _plan_editable("task"),
    ),
    "planning:task_detail": ("plans.view", lambda o: {"pk": o["task"].pk}, _task_visible("task")),
    "planning:task_rates": ("plans.edit", lambda o: {"pk": o["task"].pk}, _plan_editable("task")),
    "planning:task_departments": ("plans.edit", lambda o: {"pk": o["task"].pk}, _plan_editable("task")),
    "draws:commit": ("draws.run", lambda o: {"pk": o["task"].pk}, _post_only),
    "draws:announcement": ("draws.view", lambda o: {"pk": o["drawn"].pk}, _task_visible("drawn")),
    "draws:ceremony": ("draws.run", lambda o: {"pk": o["drawn"].pk}, _ceremony),
    "draws:result": ("draws.view", lambda o: {"pk": o["drawn"].pk}, _task_visible("drawn")),
    "draws:media_upload": ("draws.run", lambda o: {"pk": o["drawn"].pk}, _post_only),
    "draws:media_file": ("draws.view", lambda o: {"pk": o["drawn"].pk, "media_pk": o["media"].pk}, _bundle),
    "draws:substitute": (
        "draws.run",
        lambda o: {"pk": o["drawn"].pk, "member_pk": o["member"].pk},
        _plan_editable("drawn"),
    ),
    "draws:replacement": (
        "draws.run",
        lambda o: {"pk": o["drawn"].pk, "member_pk": o["member"].pk},
        _plan_editable("drawn"),
    ),
    "draws:decide": (
        "draws.approve",
        lambda o: {"pk": o["drawn"].pk, "change_pk": o["change_pk"]},
        _post_only,
    ),
    "draws:dispatch": ("draws.run", lambda o: {"pk": o["drawn"].pk}, _post_only),
    "directory:import_start": ("authenticated", lambda o: {"kind": "entities"}, _role_rule("directory.edit")),
    "directory:import_batch": ("authenticated", lambda o: {"pk": o["batch"].pk}, _owner("batch")),
    "directory:import_errors": ("authenticated", lambda o: {"pk": o["batch"].pk}, _owner("batch")),
    "directory:import_template": (
        "authenticated",
        lambda o: {"kind": "entities"},
        _role_rule("directory.view"),
    ),
    "directory:export": ("authenticated", lambda o: {"kind": "entities"}, _role_rule("directory.view")),
    "draws:receive": ("plans.edit", lambda o: {"plan_pk": o["plan"].pk}, _plan_editable("plan")),
    "draws:bundle": ("draws.bundle", lambda o: {"pk": o["drawn"].pk}, _bundle),
    "catalog:item_list_publish": ("catalog.edit", lambda o: {}, _post_only),
    "oversight:dashboard": ("oversight.view", lambda o: {}, ALWAYS),
    "oversight:refresh": ("oversight.view", lambda o: {}, _post_only),
    "oversight:table_export": (
        "oversight.view",
        lambda o: {"key": "progress_departments", "fmt": "csv"},
        ALWAYS,
    ),
    "oversight:summary": ("oversight.view", lambda o: {"fmt": "xlsx"}, ALWAYS),
    "oversight:upstream": ("oversight.view", lambda o: {}, ALWAYS),
    "inspections:due": ("inspections.view", lambda o: {}, ALWAYS),
    "inspections:task_records": (
        "inspections.view",
        lambda o: {"pk": o["record_task"].pk},
        _task_visible("record_task"),
    ),
    "inspections:archive_start": ("inspections.archive", lambda o: {"pk": o["record_task"].pk}, _post_only),
    "inspections:archive_file": (
        "inspections.archive",
        lambda o: {"pk": o["record_task"].pk},
        lambda u, o: 404,
    ),
    "inspections:record": ("inspections.view", lambda o: {"pk": o["record"].pk}, _record_visible),
    "inspections:part_edit": (
        "inspections.enter",
        lambda o: {"pk": o["record"].pk, "part_pk": o["xfjy_part"].pk},
        _may_enter,
    ),
    "inspections:part_reopen": (
        "inspections.enter",
        lambda o: {"pk": o["record"].pk, "part_pk": o["xfjy_part"].pk},
        _post_only,
    ),
    "inspections:signature": ("inspections.enter", lambda o: {"pk": o["record"].pk}, _post_only),
    "inspections:evidence_upload": ("inspections.enter", lambda o: {"pk": o["record"].pk}, _post_only),
    "inspections:evidence_file": (
        "inspections.view",
        lambda o: {"pk": o["record"].pk, "evidence_pk": o["evidence"].pk},
        _record_visible,
    ),
    "inspections:publish": ("inspections.publish", lambda o: {"pk": o["record"].pk}, _post_only),
    "inspections:record_pdf": ("inspections.view", lambda o: {"pk": o["record"].pk}, _record_visible),
    "inspections:record_docx": ("inspections.view", lambda o: {"pk": o["record"].pk}, _record_visible),
    "inspections:correction_new": (
        "inspections.enter",
        lambda o: {"pk": o["record"].pk, "result_pk": o["result"].pk},
        _may_enter,
    ),
    "inspections:correction_decide": (
        "inspections.approve",
        lambda o: {"pk": o["record"].pk, "correction_pk": 1},
        _post_only,
    ),
    "inspections:followup_new": ("inspections.enter", lambda o: {"pk": o["record"].pk}, _participant),
    "inspections:followup": ("inspections.view", lambda o: {"pk": o["followup"].pk}, _record_visible),
    "inspections:blank_form": (
        "inspections.view",
        lambda o: {"code_set": "fire-product", "fmt": "docx"},
        ALWAYS,
    ),
}
# Public or special: the portal (tested in disclosure/tests), sign-in redirects the signed-in, sign-out is POST only.
SPECIAL = {"accounts:login", "accounts:logout"} | {
    f"portal:{name}"
    for name in (
        "home",
        "item_lists",
        "item_list",
        "item_list_version",
        "plans",
        "plan",
        "task",
        "task_json",
        "results",
        "result",
        "verify",
        "verifier",
        "open_data",
        "open_dataset",
    )
}


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
    rule_name, _, outcome = MATRIX[name]
    if rule_name != "authenticated" and not user_passes(user, rule_name):
        return 403
    answer = outcome(user, objects)
    if isinstance(answer, bool):
        return 200 if answer else (403 if name.startswith("catalog:") else 404)
    return int(answer)


@pytest.mark.django_db
@pytest.mark.parametrize("username", USERNAMES)
def test_each_role_gets_exactly_what_the_rules_say(client: Any, cast: Any, username: str) -> None:
    objects = _objects()
    user = cast[username]
    sign_in(client, user)
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
