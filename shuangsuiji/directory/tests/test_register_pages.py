"""The registers through the pages: create, validate, scope, audit."""

from typing import Any

import pytest

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.directory.models import DirectoryListing, Entity, Inspector

pytestmark = pytest.mark.django_db

NEW_ENTITY = {
    "name": "偃师区城关镇李四便利店",
    "uscc": "９２４１０３８１ＭＡ４Ｋ０７９１９Ｑ",  # typed full-width, as copied from a scanned form
    "legal_representative": "李四",
    "address": "洛阳市偃师区城关镇华夏路8号",
    "town": "城关镇",
    "registration_authority": "洛阳市偃师区市场监督管理局",
    "entity_type": "individual",
    "status": "active",
}


def _post_entity(client: Any, cast: Any, **changes: Any) -> Any:
    data = {**NEW_ENTITY, "jurisdiction": cast["cg.manager"].department_id, **changes}
    return client.post("/staff/directory/entities/new/", data)


def test_manager_creates_an_entity_listed_in_their_bureau_with_an_audit_event(
    client_for: Any, cast: Any
) -> None:
    client = client_for("cg.manager")
    before = AuditEvent.objects.count()
    response = _post_entity(client, cast)
    entity = Entity.objects.get(uscc="92410381MA4K07919Q")
    assert response.status_code == 302 and response["Location"] == f"/staff/directory/entities/{entity.pk}/"
    assert entity.name == NEW_ENTITY["name"]
    assert list(entity.listings.values_list("department__code", flat=True)) == ["SCJG"]
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "entity.create" and event.actor_id == cast["cg.manager"].pk
    assert event.object_id == str(entity.pk)
    assert event.ip == "127.0.0.1"  # "from where", without the service being told


def test_wrong_check_digit_writes_nothing(client_for: Any, cast: Any) -> None:
    client = client_for("cg.manager")
    count = Entity.objects.count()
    response = _post_entity(client, cast, uscc="92410381MA4K07919A")
    assert response.status_code == 200
    assert "第18位应为“Q”" in response.content.decode()
    assert Entity.objects.count() == count


def test_entity_needs_a_uscc_or_a_registration_number(client_for: Any, cast: Any) -> None:
    response = _post_entity(client_for("cg.manager"), cast, uscc="")
    assert "请填写统一社会信用代码；没有的，填写注册号。" in response.content.decode()


def test_names_keep_their_exact_characters(client_for: Any, cast: Any) -> None:
    name = "偃师区城关镇㐀记（老店）ＡＢＣ餐馆"  # rare character, full-width brackets and letters stay
    _post_entity(client_for("cg.manager"), cast, name=f"  {name}\u3000")
    assert Entity.objects.get(uscc="92410381MA4K07919Q").name == name


def test_an_entity_another_department_registered_is_listed_not_duplicated(client_for: Any, cast: Any) -> None:
    yjj_only = (
        Entity.objects.exclude(listings__department__code__in=["SCJG", "XFJY"])
        .exclude(jurisdiction__path__startswith=cast["xfjy.manager"].department.path)
        .first()
    )
    if yjj_only is None:
        yjj_only = Entity.objects.create(
            name="外部登记单位",
            uscc="91410381MA3X316767",
            legal_representative="王五",
            address="偃师区",
            registration_authority="偃师区市场监督管理局",
            jurisdiction=cast["cg.manager"].department,
        )
    DirectoryListing.objects.filter(entity=yjj_only, department__code="XFJY").delete()
    client = client_for("xfjy.manager")
    assert client.get(f"/staff/directory/entities/{yjj_only.pk}/").status_code == 404
    count = Entity.objects.count()
    response = _post_entity(client, cast, uscc=yjj_only.uscc)
    assert response.status_code == 302
    assert Entity.objects.count() == count
    assert yjj_only.listings.filter(department__code="XFJY").exists()
    assert client.get(f"/staff/directory/entities/{yjj_only.pk}/").status_code == 200


def test_search_by_uscc_finds_exactly_one(client_for: Any, cast: Any) -> None:
    target = Entity.objects.filter(jurisdiction__code="SCJG-CG").first()
    response = client_for("cg.manager").get("/staff/directory/entities/", {"q": f" {target.uscc.lower()} "})
    assert response.context["page"].items == [target]


def test_station_list_shows_only_its_own_jurisdiction(client_for: Any) -> None:
    client = client_for("gx.inspector")
    codes = set()
    url = "/staff/directory/entities/"
    while url:
        page = client.get(url).context["page"]
        codes |= {e.jurisdiction.code for e in page.items}
        url = "/staff/directory/entities/" + page.next_url if page.next_url else ""
    assert codes == {"SCJG-GX"}


def test_keyset_pages_cover_the_list_once_each_way(client_for: Any) -> None:
    client = client_for("scjg.manager")
    seen: list[int] = []
    url = "/staff/directory/entities/?status=active"
    pages = []
    while url:
        page = client.get(url).context["page"]
        pages.append(page)
        seen += [e.pk for e in page.items]
        url = "/staff/directory/entities/" + page.next_url if page.next_url else ""
    assert len(pages) > 3
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    assert len(seen) == Entity.objects.filter(status="active").count()
    back = client.get("/staff/directory/entities/" + pages[2].prev_url).context["page"]
    assert [e.pk for e in back.items] == [e.pk for e in pages[1].items]


def test_certificate_numbers_are_unique(client_for: Any, cast: Any) -> None:
    existing = Inspector.objects.filter(department__code="SCJG-CG").first()
    response = client_for("cg.manager").post(
        "/staff/directory/inspectors/new/",
        {
            "name": "赵六",
            "gender": "M",
            "department": existing.department_id,
            "cert_no": f" {existing.cert_no} ",
            "years_of_service": 3,
            "qualified": "on",
            "on_duty": "on",
        },
    )
    assert response.status_code == 200
    assert "执法证号已存在" in response.content.decode() or "已存在" in response.content.decode()
    assert Inspector.objects.filter(cert_no=existing.cert_no).count() == 1


def test_conflict_declaration_is_recorded_and_audited(client_for: Any, cast: Any) -> None:
    inspector = Inspector.objects.filter(department__code="SCJG-CG", conflicts__isnull=True).first()
    entity = Entity.objects.filter(jurisdiction__code="SCJG-CG").first()
    response = client_for("cg.manager").post(
        "/staff/directory/conflicts/new/",
        {
            "cert_no": inspector.cert_no,
            "entity_code": entity.uscc,
            "reason": "配偶在该单位工作",
            "declared_on": "2026-11-20",
        },
    )
    assert response.status_code == 302
    assert inspector.conflicts.get().entity == entity
    assert AuditEvent.objects.order_by("-seq").first().action == "conflict.declare"


def test_a_manager_cannot_declare_for_another_departments_inspector(client_for: Any) -> None:
    other = Inspector.objects.filter(department__code="XFJY").first()
    entity = Entity.objects.filter(jurisdiction__code="SCJG-CG").first()
    response = client_for("cg.manager").post(
        "/staff/directory/conflicts/new/",
        {"cert_no": other.cert_no, "entity_code": entity.uscc, "reason": "x", "declared_on": "2026-11-20"},
    )
    assert "本部门执法检查人员名录库中没有此执法证号" in response.content.decode()
    assert not other.conflicts.filter(entity=entity).exists()
