"""Hostile input: random text (scripts, control characters, huge strings, odd Unicode) in every form
field and every import cell never produces a 500, and what is stored is never rendered as markup."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuangsuiji.directory.models import Entity

pytestmark = pytest.mark.django_db
SCRIPT = "<script>alert(1)</script>"
nasty = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            SCRIPT,
            "<img src=x onerror=alert(1)>",
            "=cmd|' /C calc'!A0",
            "\x00\x01\u202e",
            "' OR 1=1 --",
            "%s%n",
            "{{ request }}",
            "𠮷" * 5000,
            "\ufeff\u3000 \u00a0",
            "../../etc/passwd",
        ]
    ),
)
FORMS = {
    "/staff/directory/entities/new/": [
        "name",
        "uscc",
        "reg_no",
        "legal_representative",
        "address",
        "town",
        "registration_authority",
        "industry",
        "established_on",
        "jurisdiction",
    ],
    "/staff/directory/inspectors/new/": [
        "name",
        "gender",
        "cert_no",
        "post",
        "specialties",
        "years_of_service",
        "department",
    ],
    "/staff/directory/conflicts/new/": ["cert_no", "entity_code", "reason", "declared_on"],
    "/staff/catalog/items/new/": ["code", "name", "basis", "object_type", "methods", "default_rate_percent"],
    "/staff/planning/plans/new/": ["title", "year", "planned_ratio", "basis", "period_start", "period_end"],
    "/staff/directory/entities/": ["q", "status", "jurisdiction", "after", "before"],
}
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("url", sorted(FORMS))
@FUZZ
@given(data=st.data())
def test_no_form_field_crashes_the_page(client_for: Any, url: str, data: Any) -> None:
    client = client_for("scjg.manager")
    values = {name: data.draw(nasty, label=name) for name in FORMS[url]}
    if url.endswith("/entities/"):
        response = client.get(url, {k: v.replace("\x00", "") for k, v in values.items()})
    else:
        response = client.post(url, values)
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 200:
        assert SCRIPT not in response.content.decode(errors="replace")


def test_a_stored_script_is_shown_as_text(client_for: Any, cast: Any) -> None:
    from shuangsuiji.directory.services import entity_create

    entity = entity_create(
        actor=cast["cg.manager"],
        name=SCRIPT,
        uscc="92410381MA4K07919Q",
        legal_representative="<b>x</b>",
        address="a",
        registration_authority="b",
        jurisdiction=cast["cg.manager"].department,
    )
    page = client_for("cg.manager").get(f"/staff/directory/entities/{entity.pk}/").content.decode()
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert Entity.objects.get(pk=entity.pk).name == SCRIPT  # stored exactly, escaped on output


@FUZZ
@given(cells=st.lists(nasty, min_size=6, max_size=6))
def test_no_import_cell_crashes_the_import(client_for: Any, cells: list[str]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shuangsuiji.directory.models import ImportBatch

    header = "单位名称,统一社会信用代码（注册号）,法定代表人,住所,登记机关,管辖单位\r\n"
    row = ",".join('"' + c.replace('"', '""') + '"' for c in cells) + "\r\n"
    client = client_for("cg.manager")
    before = Entity.objects.count()
    response = client.post(
        "/staff/directory/import/entities/",
        {"file": SimpleUploadedFile("fuzz.csv", (header + row).encode("utf-8", "surrogatepass"))},
    )
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        batch = ImportBatch.objects.order_by("-pk").first()
        page = client.get(f"/staff/directory/imports/{batch.pk}/")
        assert page.status_code == 200 and SCRIPT not in page.content.decode()
        client.post(f"/staff/directory/imports/{batch.pk}/")
    assert Entity.objects.count() - before in (0, 1)
