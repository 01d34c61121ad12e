"""The central workflow through services and pages: plan → task → commit → draw → changes → bundle."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F

from shuangsuiji import lottery
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.catalog.models import InspectionItem
from shuangsuiji.draws import eligibility, services
from shuangsuiji.draws.models import Draw, DrawChange, TeamMember
from shuangsuiji.planning import services as planning
from shuangsuiji.planning.models import Plan, Task

pytestmark = pytest.mark.django_db


def make_joint_task(cast: Any, **task_fields: Any) -> Task:
    manager = cast["scjg.manager"]
    items = InspectionItem.objects.filter(code__in=["SC-02", "XF-02"])
    plan = planning.plan_create(
        actor=manager,
        department=manager.department,
        year=2026,
        kind=Plan.Kind.JOINT,
        title="消防产品联合抽查",
        items=items,
        participants=[cast["xfjy.manager"].department],
        methods=["onsite"],
        period_start=date(2026, 7, 1),
        period_end=date(2026, 10, 20),
    )
    planning.plan_transition(actor=manager, plan=plan, to="submitted")
    planning.plan_transition(actor=cast["lxb.oversight"], plan=plan, to="published")
    return planning.task_create(
        actor=manager,
        plan=plan,
        title="2026年消防产品联合抽查",
        items=items,
        methods=["onsite"],
        **task_fields,
    )


def verify(bundle: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)
    verifier = tmp_path / "verify_draw.py"
    verifier.write_bytes(zipfile.ZipFile(io.BytesIO(bundle)).read("verify_draw.py"))
    return subprocess.run(
        [sys.executable, str(verifier), str(path)], capture_output=True, text=True, timeout=120
    )


def test_plan_numbers_run_per_department_per_year(cast: Any) -> None:
    first = make_joint_task(cast).plan
    second = make_joint_task(cast).plan
    assert second.number == first.number + 1
    assert (
        first.ref == f"区市场监管局2026年第{first.number}号"
        and second.ref == f"区市场监管局2026年第{second.number}号"
    )


def test_a_submitted_plan_cannot_be_edited_and_only_the_office_publishes(cast: Any) -> None:
    plan = make_joint_task(cast).plan
    with pytest.raises(ValidationError):
        planning.plan_update(actor=cast["scjg.manager"], plan=plan, title="改")
    with pytest.raises(ValidationError):
        planning.plan_transition(actor=cast["scjg.manager"], plan=plan, to="draft")


def test_preview_counts_add_up_to_the_scope(cast: Any) -> None:
    task = make_joint_task(cast)
    preview = eligibility.preview(task)
    in_scope = eligibility.scope(task).count()
    assert preview.eligible + sum(preview.excluded.values()) == in_scope
    assert preview.excluded.get("已注销", 0) == eligibility.scope(task).filter(status="deregistered").count()
    assert all(row["quota"] == lottery.quota(row["size"], row["rate_bp"]) for row in preview.strata)


def test_low_overall_ratio_needs_a_reason(cast: Any) -> None:
    task = make_joint_task(cast, stratification="none")
    planning.task_set_rates(actor=cast["scjg.manager"], task=task, rates_bp={"ALL": 100})
    with pytest.raises(ValidationError, match="低于 2%"):
        services.draw_commit(actor=cast["scjg.manager"], task=task)
    planning.task_update(actor=cast["scjg.manager"], task=task, low_ratio_reason="上级要求本轮仅抽 1%")
    services.draw_commit(actor=cast["scjg.manager"], task=task)


def test_whole_ceremony_verifies_with_the_shipped_verifier(cast: Any, tmp_path: Path) -> None:
    manager = cast["scjg.manager"]
    task = make_joint_task(cast)
    draw = services.draw_commit(actor=manager, task=task)
    assert len(draw.commitment_sha256) == 64 and draw.server_nonce_hex
    services.witness_add(actor=manager, draw=draw, name="王监督", role="integrity")
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="4 2 6 1 5 3 3 6 1 2")
    assert draw.selections.count() == sum(s.quota for s in services.committed_strata(draw))
    # every team: lead department's first member is the leader, no conflicts, right sizes
    for selection in draw.selections.all():
        seats = list(selection.members.all())
        assert sum(1 for s in seats if s.leader) == 1
        assert {s.department.code for s in seats} == {"SCJG", "XFJY"}
        assert not selection.entity.conflicts.filter(inspector__in=[s.inspector for s in seats]).exists()
    # 递补 twice on one team, then an approved replacement
    selection = draw.selections.order_by("rank").first()
    seat = selection.members.get(department__code="SCJG", leader=True)
    first = services.draw_substitute(
        actor=manager, selection=selection, department_code="SCJG", out=seat.inspector, reason="病假"
    )
    second = services.draw_substitute(
        actor=manager, selection=selection, department_code="SCJG", out=first.in_inspector, reason="出差"
    )
    assert (first.seq, second.seq) == (1, 2)
    assert selection.members.get(active=True, inspector=second.in_inspector).leader  # takes the leaver's role
    xf_seat = selection.members.get(active=True, department__code="XFJY")
    spare = (
        eligibility.pool_inspectors(task.departments.get(department__code="XFJY"))
        .exclude(pk=xf_seat.inspector.pk)
        .exclude(conflicts__entity=selection.entity)
        .first()
    )
    request = services.replacement_request(
        actor=manager,
        selection=selection,
        department_code="XFJY",
        out=xf_seat.inspector,
        incoming=spare,
        reason="执法回避：曾在该单位任职",
    )
    assert request.state == DrawChange.State.PENDING and request.seq is None
    from django.test import Client

    from conftest import sign_in

    home = sign_in(Client(), cast["xfjy.leader"]).get("/staff/")
    assert request in home.context["summary"]["approvals"]  # the leader finds it on the home page
    with pytest.raises(ValidationError):  # a leader of another department cannot approve
        services.replacement_decide(actor=cast["scjg.leader"], change=request, approve=True)
    approved = services.replacement_decide(actor=cast["xfjy.leader"], change=request, approve=True)
    assert approved.seq == 3 and approved.approved_by == cast["xfjy.leader"]
    bundle = services.bundle_bytes(draw)
    result = verify(bundle, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")
    assert lottery.verify_bundle(io.BytesIO(bundle)).ok
    result_json = lottery.parse_result(zipfile.ZipFile(io.BytesIO(bundle)).read("result.json"))
    assert [c.seq for c in result_json.substitutions] == [1, 2] and len(result_json.replacements) == 1
    assert AuditEvent.objects.filter(action__startswith="draw.").count() >= 6


def test_a_second_draw_is_refused_and_nothing_changes(cast: Any) -> None:
    manager = cast["scjg.manager"]
    task = make_joint_task(cast)
    draw = services.draw_commit(actor=manager, task=task)
    services.draw_execute(actor=manager, draw=draw, ceremony_entropy="1")
    before = list(draw.selections.values_list("key", flat=True))
    with pytest.raises(ValidationError, match="已经抽取"):
        services.draw_execute(actor=manager, draw=draw, ceremony_entropy="2")
    with pytest.raises(ValidationError):
        services.draw_commit(actor=manager, task=task)
    assert list(Draw.objects.get(pk=draw.pk).selections.values_list("key", flat=True)) == before


def test_an_entity_drawn_earlier_this_year_for_the_same_item_is_excluded(cast: Any) -> None:
    manager = cast["scjg.manager"]
    first = make_joint_task(cast)
    draw = services.draw_commit(actor=manager, task=first)
    services.draw_execute(actor=manager, draw=draw, ceremony_entropy="x")
    drawn = set(draw.selections.values_list("key", flat=True))
    second = make_joint_task(cast)
    population = {key for _, key in eligibility.population_pairs(second)}
    excluded = dict(eligibility.exclusion_pairs(second))
    assert not drawn & population
    assert all(excluded[key] == "inspected-this-year" for key in drawn)


def test_the_joint_cap_excludes_after_two_joint_inspections(cast: Any) -> None:
    manager = cast["scjg.manager"]
    keys: list[set[str]] = []
    for _ in range(2):  # two joint tasks on different items that both take every entity of one stratum
        task = make_joint_task(cast, stratification="none")
        task.items.set(
            InspectionItem.objects.filter(code="SC-02")
            if not keys
            else InspectionItem.objects.filter(code="XF-02")
        )
        planning.task_set_rates(actor=manager, task=task, rates_bp={"ALL": 10000})
        draw = services.draw_commit(actor=manager, task=task)
        services.draw_execute(actor=manager, draw=draw, ceremony_entropy="")
        keys.append(set(draw.selections.values_list("key", flat=True)))
    third = make_joint_task(cast)
    third.items.set(InspectionItem.objects.filter(code="SC-01"))
    excluded = dict(eligibility.exclusion_pairs(third))
    twice = keys[0] & keys[1]
    assert twice and all(excluded[key] in ("joint-cap", "inspected-this-year") for key in twice)
    assert "joint-cap" in excluded.values()


def test_the_confidential_list_is_visible_only_to_the_circle(cast: Any, client_for: Any) -> None:
    manager = cast["scjg.manager"]
    task = make_joint_task(cast)
    draw = services.draw_commit(actor=manager, task=task)
    services.draw_execute(actor=manager, draw=draw, ceremony_entropy="y")
    url = f"/staff/draws/tasks/{task.pk}/result/"
    whole = client_for("xfjy.leader").get(url)
    assert whole.status_code == 200 and len(whole.context["rows"]) == draw.selections.count()
    assert client_for("yjj.manager").get(url).status_code == 404
    assert client_for("scjg.auditor").get(url).status_code == 403
    seat = TeamMember.objects.filter(draw=draw, inspector__user__isnull=False).first()
    if seat is not None:
        own = client_for(seat.inspector.user.username).get(url)
        assert {r["selection"].pk for r in own.context["rows"]} <= set(
            TeamMember.objects.filter(draw=draw, inspector=seat.inspector).values_list(
                "selection_id", flat=True
            )
        )
    views = AuditEvent.objects.filter(action="draw.view_list").count()
    assert views >= 1
    bundle = client_for("yjj.manager").get(f"/staff/draws/tasks/{task.pk}/bundle.zip")
    assert bundle.status_code == 404
    download = client_for("scjg.manager").get(f"/staff/draws/tasks/{task.pk}/bundle.zip")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert AuditEvent.objects.filter(action="draw.bundle_download").exists()


def test_big_draws_run_as_background_jobs_with_a_result_link(
    cast: Any, client_for: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from shuangsuiji.core.models import Job

    settings.SHUANGSUIJI_BACKGROUND_THRESHOLD = 10
    task = make_joint_task(cast)
    client = client_for("scjg.manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/draws/tasks/{task.pk}/commit/")
    job = Job.objects.get(kind="draws.commit")
    assert response["Location"] == f"/staff/jobs/{job.pk}/"
    assert job.state == Job.State.SUCCEEDED and job.result_url == f"/staff/draws/tasks/{task.pk}/ceremony/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/staff/draws/tasks/{task.pk}/ceremony/",
            {"run_draw": "1", "ceremony_entropy": "5 5", "confirm": "on"},
        )
    executed = Job.objects.get(kind="draws.execute")
    assert executed.state == Job.State.SUCCEEDED, executed.error
    assert Draw.objects.get(task=task).state == Draw.State.DRAWN
    page = client.get(f"/staff/jobs/{executed.pk}/")
    assert "查看结果" in page.content.decode()
    assert client_for("xfjy.manager").get(f"/staff/jobs/{executed.pk}/").status_code == 404  # not theirs


def test_export_bundles_writes_every_drawn_bundle_and_each_verifies(cast: Any, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("export_bundles", str(tmp_path / "out"), stdout=out)
    files = sorted((tmp_path / "out").glob("*.zip"))
    assert len(files) == Draw.objects.filter(state=Draw.State.DRAWN).count() >= 1
    for path in files:
        assert lottery.verify_bundle(path).ok, path
    assert f"已导出 {len(files)} 个抽取包" in out.getvalue()


def test_a_task_dispatched_from_above_is_recorded_as_received_after_verification(
    cast: Any, client_for: Any, tmp_path: Path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    manager = cast["scjg.manager"]
    upper = make_joint_task(cast)
    draw = services.draw_commit(actor=manager, task=upper)
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="upper level")
    data = services.bundle_bytes(draw)
    keys = list(draw.selections.values_list("key", flat=True))
    ticket = draw.selections.order_by("rank").first().ticket
    # the upper level's draw is not ours: forget it, keep its bundle
    draw.selections.all().delete()
    draw.members.all().delete()
    Draw.objects.filter(pk=draw.pk).delete()
    plan = upper.plan
    client = client_for("scjg.manager")
    form = {
        "title": "上级下发：营业执照登记事项检查",
        "received_from": "洛阳市市场监督管理局",
        "items": [i.pk for i in upper.items.all()],
        "result_code_set": upper.result_code_set_id,
        "methods": ["onsite"],
        "period_start": "2026-08-01",
        "period_end": "2026-09-30",
    }
    # a bundle whose result names a different first ticket: rebuilt zip, everything else intact
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "result.json":
                content = content.replace(
                    ticket.encode(), ("0" if ticket[0] != "0" else "1").encode() + ticket[1:].encode()
                )
            target.writestr(name, content)
    tampered = buffer.getvalue()
    bad = client.post(
        f"/staff/draws/plans/{plan.pk}/receive/",
        {**form, "bundle": SimpleUploadedFile("b.zip", bytes(tampered))},
    )
    assert bad.status_code == 200
    assert "未通过核验" in bad.content.decode() or "无法读取" in bad.content.decode()
    assert not Task.objects.filter(origin=Task.Origin.RECEIVED).exists()
    good = client.post(
        f"/staff/draws/plans/{plan.pk}/receive/", {**form, "bundle": SimpleUploadedFile("b.zip", data)}
    )
    received = Task.objects.get(origin=Task.Origin.RECEIVED)
    assert good.status_code == 302 and received.state == Task.State.RECEIVED
    assert list(received.draw.selections.order_by("rank").values_list("key", flat=True)) == keys
    assert (
        received.draw.state == Draw.State.RECEIVED and received.draw.received_from == "洛阳市市场监督管理局"
    )
    assert AuditEvent.objects.filter(action="task.receive").exists()
    again = client.post(
        f"/staff/draws/plans/{plan.pk}/receive/", {**form, "bundle": SimpleUploadedFile("b.zip", data)}
    )
    assert "已经接收过" in again.content.decode()


def _upper_bundle(cast: Any) -> tuple[Task, bytes, list[str]]:
    """An upper level's drawn task, its bundle and its drawn USCCs in rank order; its draw forgotten here."""
    manager = cast["scjg.manager"]
    upper = make_joint_task(cast)
    draw = services.draw_commit(actor=manager, task=upper)
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="upper level")
    data = services.bundle_bytes(draw)
    # the drawn keys that are USCCs (the draw may also pick an entity known only by its registration number)
    keys = list(draw.selections.filter(entity__uscc=F("key")).order_by("rank").values_list("key", flat=True))
    draw.selections.all().delete()
    draw.members.all().delete()
    Draw.objects.filter(pk=draw.pk).delete()
    return upper, data, keys


def _receive(cast: Any, upper: Task, data: bytes) -> Task:
    return services.task_receive(
        actor=cast["scjg.manager"],
        plan=upper.plan,
        bundle=io.BytesIO(data),
        received_from="洛阳市市场监督管理局",
        title="上级下发",
        items=upper.items.all(),
        result_code_set=upper.result_code_set,
        period_start=upper.period_start,
        period_end=upper.period_end,
        methods=["onsite"],
    )


def test_a_received_list_naming_one_of_our_entities_twice_is_refused_whole(cast: Any) -> None:
    from shuangsuiji.directory.models import Entity

    upper, data, (first, second, *_) = _upper_bundle(cast)
    # Here the second entity's code was corrected, and the first is known also by the second's old code.
    Entity.objects.filter(uscc=second).update(uscc=None, reg_no="410381600099999")
    named_twice = Entity.objects.get(uscc=first)
    Entity.objects.filter(pk=named_twice.pk).update(reg_no=second)
    tasks_before = Task.objects.count()
    with pytest.raises(ValidationError) as refused:
        _receive(cast, upper, data)
    message = refused.value.messages[0]
    assert (
        first in message and second in message and named_twice.name in message and "同一个检查对象" in message
    )
    assert (
        Task.objects.count() == tasks_before and not Draw.objects.filter(state=Draw.State.RECEIVED).exists()
    )


def test_a_received_key_is_the_entity_with_that_uscc_before_one_with_that_registration_number(
    cast: Any,
) -> None:
    from shuangsuiji.directory.models import Entity

    upper, data, keys = _upper_bundle(cast)
    holder = Entity.objects.get(uscc=keys[0])
    # another entity, not drawn, whose old registration number is the drawn entity's USCC
    other = Entity.objects.exclude(uscc__in=keys).exclude(pk=holder.pk).filter(uscc__isnull=False).first()
    Entity.objects.filter(pk=other.pk).update(reg_no=keys[0])
    received = _receive(cast, upper, data)
    assert received.draw.selections.get(key=keys[0]).entity_id == holder.pk


def test_industry_strata_follow_the_scope_and_draw(cast: Any) -> None:
    from shuangsuiji.directory.models import Entity

    task = make_joint_task(cast, stratification="industry")
    industries = set(eligibility.scope(task).values_list("industry", flat=True))
    assert set(task.strata.values_list("label", flat=True)) == industries
    manager = cast["scjg.manager"]
    catering = task.strata.get(label="餐饮服务")
    planning.task_set_rates(actor=manager, task=task, rates_bp={"餐饮服务": 10000})
    draw = services.draw_commit(actor=manager, task=task)
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="行业")
    eligible_catering = {
        key
        for label, key in lottery.iter_tsv_pairs(services.population_path(draw))
        if label == catering.label
    }
    drawn_catering = set(draw.selections.filter(stratum="餐饮服务").values_list("key", flat=True))
    assert drawn_catering == eligible_catering and Entity.objects.filter(uscc__in=drawn_catering).exists()


def test_ceremony_media_are_checked_by_content_and_served_as_attachments(cast: Any, client_for: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    task = make_joint_task(cast)
    services.draw_commit(actor=cast["scjg.manager"], task=task)
    client = client_for("scjg.manager")
    fake = client.post(
        f"/staff/draws/tasks/{task.pk}/media/",
        {"media": SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script>")},
    )
    assert fake.status_code == 302 and not Draw.objects.get(task=task).media.exists()
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 100
    client.post(
        f"/staff/draws/tasks/{task.pk}/media/", {"media": SimpleUploadedFile("../../现场.jpg", photo)}
    )
    media = Draw.objects.get(task=task).media.get()
    assert (
        media.original_name == "现场.jpg" and media.content_type == "image/jpeg" and len(media.sha256) == 64
    )
    served = client.get(f"/staff/draws/tasks/{task.pk}/media/{media.pk}/")
    assert (
        served["Content-Disposition"].startswith("attachment")
        and served["X-Content-Type-Options"] == "nosniff"
    )
    assert b"".join(served.streaming_content) == photo
    assert client_for("yjj.manager").get(f"/staff/draws/tasks/{task.pk}/media/{media.pk}/").status_code == 404
