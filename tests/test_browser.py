"""In real Chromium (Debian's /usr/bin/chromium) against the real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Flags for a sandboxed machine with no network: no first-run, sync or update traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_typing_a_query_shows_marked_results(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.get_by_label("Search press releases").fill("liberated")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("5 releases for “liberated”")
    marks = page.locator(".hit-title mark")
    expect(marks.first).to_have_text("Liberate")
    assert page.url.endswith("/?q=liberated")


def test_clicking_a_result_opens_the_release_and_back_returns(page: Page, live_server: str) -> None:
    page.goto(live_server + "/?q=raqqah")
    page.get_by_role("link", name="Coalition engineers erect steel bridge in Raqqah").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Coalition engineers erect steel bridge in Raqqah"
    )
    page.get_by_role("link", name="← Back to results").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 releases for “raqqah”")
