"""Browser tests: Debian's Chromium driven by Playwright against Django's live server.

Run with the rest of the suite; skipped (not silently passed) only when no Chromium is installed and
CI is not set — in CI a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("SHUANGSUIJI_CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: browser tests cannot run in CI")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def county(transactional_db: Any) -> None:
    """The demo county in the live server's database (reloaded after other live tests flush it)."""
    from shuangsuiji.demo.county import demo_load

    demo_load(entities=300)


@pytest.fixture
def page(browser: Any, live_server: Any, county: None) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == [], f"CSP violations or script errors in the browser: {problems}"


BROWSER_PASSWORD = "Browser#Test2026"


def sign_in(page: Any, username: str) -> None:
    """Sign in through the login page. Outside debug mode the demo password is refused (as it must be),
    so the account first gets a proper password."""
    from shuangsuiji.accounts.models import User

    user = User.objects.get(username=username)
    user.set_password(BROWSER_PASSWORD)
    user.save()
    page.goto("/staff/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(BROWSER_PASSWORD)
    page.get_by_role("button", name="登录").click()
    # The sign-in page's own URL ends in "?next=/staff/": wait for the workspace itself.
    page.wait_for_url(re.compile(r"^https?://[^/]+/staff/$"))
