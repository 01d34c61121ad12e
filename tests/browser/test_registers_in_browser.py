from __future__ import annotations

from typing import Any

import pytest

from shuangsuiji.directory.models import Entity
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_station_manager_finds_an_entity_by_uscc(page: Any) -> None:
    target = Entity.objects.filter(jurisdiction__code="SCJG-CG").order_by("pk")[3]
    sign_in(page, "cg.manager")
    page.get_by_role("link", name="检查对象名录库", exact=True).click()
    page.get_by_role("searchbox").fill(f" {target.uscc} ")  # stray spaces as pasted from Excel
    page.get_by_role("button", name="查询").click()
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1
    assert target.name in rows.first.inner_text()
    assert target.uscc in rows.first.inner_text()
    page.get_by_role("link", name=target.name).click()
    assert page.get_by_role("heading", level=1).inner_text() == target.name


def test_another_station_cannot_find_it(page: Any) -> None:
    target = (
        Entity.objects.filter(jurisdiction__code="SCJG-CG").exclude(listings__department__code="XFJY").first()
    )
    sign_in(page, "gx.inspector")
    page.goto(f"/staff/directory/entities/?q={target.uscc}")
    assert "没有符合条件的检查对象" in page.locator("table.data").inner_text()
    response = page.goto(f"/staff/directory/entities/{target.pk}/")
    assert response.status == 404


def test_wrong_check_digit_is_explained_in_chinese(page: Any) -> None:
    sign_in(page, "cg.manager")
    page.goto("/staff/directory/entities/new/")
    page.get_by_label("单位名称").fill("偃师区城关镇测试便利店")
    page.get_by_label("统一社会信用代码").fill("92410381MA4K07919A")  # correct check digit is Q
    page.get_by_label("法定代表人/负责人").fill("张三")
    page.get_by_label("住所/经营场所").fill("洛阳市偃师区城关镇华夏路1号")
    page.get_by_label("登记机关").fill("洛阳市偃师区市场监督管理局")
    page.get_by_role("button", name="保存").click()
    assert "第18位应为“Q”" in page.content()
    assert not Entity.objects.filter(name="偃师区城关镇测试便利店").exists()
