"""The public portal: what it shows, when, and what it never shows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from conftest import sign_in
from shuangsuiji.core import pagecache
from shuangsuiji.directory.models import Entity, EntityType
from shuangsuiji.disclosure import selectors, services
from shuangsuiji.disclosure.models import ItemListVersion, PublishedResult
from shuangsuiji.draws.models import DrawSelection
from shuangsuiji.inspections import services as inspections
from shuangsuiji.inspections.models import Result
from shuangsuiji.inspections.tests.test_inspections import code, dispatched, enter, part_of

pytestmark = pytest.mark.django_db

VERIFIER = Path(__file__).resolve().parents[1] / "static" / "disclosure" / "verify_published.py"


def publish(cast: Any, record: Any, number: int = 1) -> None:
    enter(cast["scjg.manager"], part_of(record, "SCJG"), number)
    enter(cast["xfjy.manager"], part_of(record, "XFJY"), number)
    inspections.signature_set(actor=cast["scjg.manager"], record=record, signature="signed")
    inspections.record_publish(actor=cast["scjg.manager"], record=record)


def portal_urls(task: Any) -> list[str]:
    plain = [
        reverse("portal:home"),
        reverse("portal:plans"),
        reverse("portal:plan", args=[task.plan.pk]),
        reverse("portal:task", args=[task.pk]),
        reverse("portal:task_json", args=[task.pk]),
        reverse("portal:results"),
        reverse("portal:verify") + f"?task={task.pk}",
        reverse("portal:item_lists"),
        reverse("portal:open_data"),
    ]
    data = [
        reverse("portal:open_dataset", args=[name, fmt])
        for name in ("results", "plans", "items")
        for fmt in ("csv", "json")
    ]
    return plain + data


def body(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def test_nothing_about_a_drawn_entity_is_public_before_its_results_are(client: Any, cast: Any) -> None:
    task = dispatched(cast)
    # entities published by an earlier task (the demo's 2025 results) are public anyway: leave them out, and
    # those that share a published entity's name (the demo county's 20,000 entities have ~11,000 names)
    earlier = set(PublishedResult.objects.values_list("record__entity_id", flat=True))
    earlier_names = set(PublishedResult.objects.values_list("entity_name", flat=True))
    selections = [
        s
        for s in DrawSelection.objects.filter(draw__task=task).select_related("entity")
        if s.entity_id not in earlier and s.entity.name not in earlier_names
    ]
    assert len(selections) >= 2
    secrets = (
        [s.key for s in selections] + [s.entity.name for s in selections] + [s.ticket for s in selections]
    )
    for url in portal_urls(task):
        text = body(client, url)
        leaked = [secret for secret in secrets if secret in text]
        assert leaked == [], (url, leaked[:3])
    # the commitment digest is public before the draw's results
    assert task.draw.commitment_sha256 in body(client, reverse("portal:task", args=[task.pk]))
    # searching by name or code finds nothing either
    for s in selections[:3]:
        found = body(client, reverse("portal:results") + f"?q={s.key}")
        assert "没有符合条件的公示结果" in found and s.entity.name not in found

    first = task.records.order_by("selection__rank").first()
    publish(cast, first)
    # within the minute the pages' Cache-Control allows, a server process shows the page it kept …
    kept = body(client, reverse("portal:task", args=[task.pk]))
    assert first.entity.name not in kept
    pagecache.clear()  # … a minute later (and behind any proxy) the publication shows
    shown = body(client, reverse("portal:task", args=[task.pk]))
    assert first.entity.name in shown and first.selection.ticket[:16] in shown
    others = [s for s in selections if s.pk != first.selection_id]
    for url in portal_urls(task):
        text = body(client, url)
        assert not [s.key for s in others if s.key in text], url
    assert first.selection.key in body(client, reverse("portal:results") + f"?q={first.selection.key}")


def test_the_seed_inputs_are_revealed_only_when_every_result_is_published(cast: Any, tmp_path: Path) -> None:
    task = dispatched(cast)
    records = list(task.records.order_by("selection__rank"))
    for record in records[:-1]:
        publish(cast, record)
    data = selectors.task_open_data(selectors.task_disclosure(task))
    assert data["reveal"] is None and data["published"] == len(records) - 1
    assert task.draw.server_nonce_hex not in json.dumps(data)
    publish(cast, records[-1])
    data = selectors.task_open_data(selectors.task_disclosure(task))
    assert data["reveal"]["seed"] == task.draw.seed_hex
    assert len(data["selected"]) == len(records)
    assert selectors.check_published_draw(data) == []
    path = tmp_path / "task.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    ok = subprocess.run([sys.executable, str(VERIFIER), str(path)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stdout
    data["selected"][0]["ticket"] = "0" * 64
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    bad = subprocess.run([sys.executable, str(VERIFIER), str(path)], capture_output=True, text=True)
    assert bad.returncode == 1 and data["selected"][0]["key"] in bad.stdout
    assert selectors.check_published_draw(data) != []


def test_an_individual_businesss_operator_is_masked_and_no_inspector_is_named(client: Any, cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    Entity.objects.filter(pk=record.entity_id).update(
        entity_type=EntityType.INDIVIDUAL, legal_representative="张三丰"
    )
    record.entity.refresh_from_db()
    publish(cast, record)
    row = PublishedResult.objects.filter(record=record).first()
    assert row.representative == "张**"
    text = body(client, reverse("portal:result", args=[row.pk]))
    assert "张**" in text and "张三丰" not in text
    for member in record.selection.members.select_related("inspector"):
        assert member.inspector.name not in text and member.inspector.cert_no not in text
    assert services.mask_person("欧阳娜娜") == "欧***" and services.mask_person("李") == "李*"


def test_a_correction_is_shown_with_its_date_and_the_former_result(client: Any, cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    publish(cast, record)
    result = Result.objects.get(part__record=record, part__department__code="SCJG")
    correction = inspections.correction_request(
        actor=cast["scjg.manager"],
        result=result,
        new_code=code(task, 5),
        new_finding="",
        reason="复核发现错误",
    )
    row = PublishedResult.objects.get(result=result)
    assert row.code_number == 1 and row.corrected_at is None  # unchanged until approved
    inspections.correction_decide(actor=cast["scjg.leader"], correction=correction, approve=True)
    row.refresh_from_db()
    assert row.code_number == 5 and row.corrected_at is not None and row.previous_label == "未发现问题"
    text = body(client, reverse("portal:result", args=[row.pk]))
    assert "发现问题已责令整改" in text and "更正" in text and "未发现问题" in text


def test_item_lists_keep_their_past_versions(client: Any, cast: Any) -> None:
    manager = cast["scjg.manager"]
    department = manager.department
    ItemListVersion.objects.filter(department=department).delete()
    first = services.item_list_publish(actor=manager, department=department)
    with pytest.raises(Exception, match="相同"):
        services.item_list_publish(actor=manager, department=department)
    item = department.items.filter(is_active=True).order_by("code").first()
    old_name = item.name
    item.name = "新的事项名称（测试）"
    item.save()
    second = services.item_list_publish(actor=manager, department=department, note="调整")
    assert (first.version, second.version) == (1, 2)
    current = body(client, reverse("portal:item_list", args=[department.code]))
    past = body(client, reverse("portal:item_list_version", args=[department.code, 1]))
    assert "新的事项名称（测试）" in current and old_name not in current
    assert old_name in past and "历史版本" in past
    assert "第1版" in body(client, reverse("portal:item_lists"))


def test_open_data_csv_has_a_bom_and_neutralised_cells(client: Any, cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    Entity.objects.filter(pk=record.entity_id).update(name="=HYPERLINK(1)商行")
    record.entity.refresh_from_db()
    publish(cast, record)
    response = client.get(reverse("portal:open_dataset", args=["results", "csv"]))
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK(1)商行" in raw.decode("utf-8-sig")
    data = json.loads(body(client, reverse("portal:open_dataset", args=["results", "json"])))
    assert any(r["entity_name"] == "=HYPERLINK(1)商行" for r in data)


def test_unpublished_plans_are_not_public(client: Any, cast: Any) -> None:
    from shuangsuiji.draws.tests.test_ceremony import make_joint_task

    task = make_joint_task(cast)
    draft = task.plan
    draft.state = "draft"
    draft.save(update_fields=["state"])
    assert client.get(reverse("portal:plan", args=[draft.pk])).status_code == 404
    assert client.get(reverse("portal:task", args=[task.pk])).status_code == 404
    assert client.get(reverse("portal:task_json", args=[task.pk])).status_code == 404


def test_portal_pages_set_no_cookie_are_cacheable_and_small(client: Any, cast: Any) -> None:
    task = dispatched(cast)
    for record in task.records.all()[:5]:
        publish(cast, record)
    for url in portal_urls(task)[:8]:
        response = client.get(url)
        assert "Set-Cookie" not in response.headers, url
        assert "public" in response["Cache-Control"], url
        if not response.streaming:
            assert len(response.content) < 200_000, url
    assert client.get(reverse("portal:verifier", args=["nope.py"])).status_code == 404
    assert client.get(reverse("portal:open_dataset", args=["results", "xml"])).status_code == 404
    assert client.get(reverse("portal:results") + "?year=abc&department=x&code=-1").status_code == 200


def test_a_big_tasks_entities_are_paged(client: Any, cast: Any, monkeypatch: Any) -> None:
    from shuangsuiji.disclosure import views

    monkeypatch.setattr(views, "TASK_PAGE", 2)
    task = dispatched(cast)
    records = list(task.records.order_by("selection__rank")[:3])
    for record in records:
        publish(cast, record)
    first = body(client, reverse("portal:task", args=[task.pk]))
    second = body(client, reverse("portal:task", args=[task.pk]) + "?page=2")
    assert records[0].entity.name in first and records[2].entity.name not in first
    assert records[2].entity.name in second and "第 2 / 2 页" in second


def test_a_visitor_without_a_session_gets_the_same_pages_and_headers_as_a_signed_in_user(
    client: Any, cast: Any
) -> None:
    # a visitor (no session cookie) is answered ahead of the staff middleware (core.permissions.
    # PublicPageMiddleware); a signed-in user's request takes the whole stack: the same page either way
    task = dispatched(cast)
    for record in task.records.all()[:3]:
        publish(cast, record)
    urls = [*[u for u in portal_urls(task) if not u.startswith("/open/")][:8], "/results/?q=有限"]
    visitor = {url: client.get(url) for url in urls}
    sign_in(client, cast["scjg.manager"])
    pagecache.clear()
    for url, seen in visitor.items():
        staff = client.get(url)
        assert seen.status_code == staff.status_code == 200, url
        assert seen.content == staff.content, url
        for header in (
            "Content-Security-Policy",
            "X-Frame-Options",
            "X-Content-Type-Options",
            "Cache-Control",
        ):
            assert seen[header] == staff[header], (url, header)
        assert seen["Content-Length"] == str(len(seen.content)) and "Vary" not in seen, url
        assert "Set-Cookie" not in seen.headers, url
    # what is not a public page outside /staff/ still takes the whole stack
    assert client.logout() is None
    assert client.get("/no-such-page/").status_code == 404
    login = client.get(reverse("accounts:login"))
    assert login.status_code == 200 and "csrftoken" in login.cookies
