"""The oversight office opens the dashboard (charts drawn under the site's CSP) and downloads the summary."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_oversight_office_reads_the_dashboard_and_downloads_the_summary(page: Any) -> None:
    from docx import Document

    sign_in(page, "lxb.oversight")
    page.get_by_role("link", name="统计与监督").click()
    page.get_by_label("年度").select_option("2025")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**/staff/oversight/?year=2025*")
    # every chart is drawn (a canvas from the vendored ECharts) and its table is there beside it
    page.locator("#chart-strata canvas").first.wait_for()
    assert page.locator(".chart canvas").count() == page.locator(".chart").count() > 5
    assert "均匀抽取" in page.locator("#strata").inner_text()
    # the figures say when they were computed; a refresh runs as a job and leads back to the same view
    assert "统计数据截至" in page.get_by_role("status").inner_text()
    if os.environ.get("SSJ_SCREENSHOTS"):  # a directory to look at the page in
        page.screenshot(path=str(Path(os.environ["SSJ_SCREENSHOTS"]) / "oversight-dashboard.png"))
    page.get_by_role("button", name="立即更新统计数据").click()
    page.get_by_role("link", name="查看结果").click()
    page.wait_for_url("**/staff/oversight/?year=2025*")
    assert "统计数据截至" in page.get_by_role("status").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="年度总结（Word）").click()
    data = Path(download.value.path()).read_bytes()
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "全区2025年度“双随机、一公开”监管工作总结" in text and "问题发现率" in text
