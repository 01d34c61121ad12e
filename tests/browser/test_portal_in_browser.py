"""The public portal as a citizen uses it: search, a result, a task page and the in-browser verification,
by keyboard where a form is involved."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _published_task() -> Any:
    """A joint task drawn, dispatched and fully published (so its seed inputs are public)."""
    from shuangsuiji.accounts.models import User
    from shuangsuiji.disclosure.tests.test_portal import publish
    from shuangsuiji.inspections.tests.test_inspections import dispatched

    cast = {u.username: u for u in User.objects.all()}
    task = dispatched(cast)
    for record in task.records.all():
        publish(cast, record)
    return task


def test_citizen_searches_reads_a_result_and_verifies_the_draw(page: Any) -> None:
    task = _published_task()
    record = task.records.order_by("selection__rank").first()
    page.goto("/")
    assert page.title().endswith("信息公开")
    # keyboard only: the skip link, then the search box
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    page.get_by_label("查询检查结果（企业名称或统一社会信用代码）").fill(record.selection.key)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/results/\?q=.*"))
    page.get_by_role("link", name=record.entity.name).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == record.entity.name
    assert "营业执照登记事项检查" in page.content()

    page.goto(f"/tasks/{task.pk}/")
    assert task.draw.commitment_sha256 in page.content()
    assert task.draw.seed_hex in page.content()
    page.get_by_role("link", name="核验", exact=True).click()
    page.get_by_role("button", name="核验该任务").click()
    output = page.locator("#verify-output")
    output.locator("p").last.wait_for()
    assert output.get_attribute("data-result") == "ok", output.inner_text()
    assert "与公布的种子一致" in output.inner_text()


def test_portal_is_usable_on_a_phone(browser: Any, live_server: Any, county: None) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/results/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling of the whole page
    assert page.get_by_label("检查部门").is_visible()
    context.close()
