"""In real Chromium (Debian's /usr/bin/chromium) against the real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
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


def serious_accessibility_violations(page: Page) -> list[str]:
    """Run axe-core in the page; return the serious and critical violations."""
    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} elements)"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


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


def test_paging_moves_to_the_next_page_and_back(page: Page, live_server: str) -> None:
    page.goto(live_server + "/?q=&per_page=5")
    first = page.locator(".hit-title").first.inner_text()
    page.get_by_role("navigation", name="Pages of results").get_by_role("link", name="2").click()
    expect(page.locator('[aria-current="page"]')).to_have_text("2")
    assert page.locator(".hit-title").first.inner_text() != first
    page.get_by_role("link", name="‹ Previous").click()
    expect(page.locator(".hit-title").first).to_have_text(first)


def test_facet_click_refines_and_chip_removes_it(page: Page, live_server: str) -> None:
    page.goto(live_server + "/?q=daesh")
    expect(page.get_by_role("heading", level=1)).to_contain_text("9 releases")
    page.get_by_role("complementary", name="Refine results").get_by_role("link", name="Kuwait").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 releases")
    page.get_by_role("link", name="Remove filter tag: Kuwait").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("9 releases")
    assert "tag=" not in page.url


def test_sorting_by_oldest_puts_the_oldest_release_first(page: Page, live_server: str) -> None:
    page.goto(live_server + "/?q=daesh")
    page.get_by_role("navigation", name="Sort results").get_by_role("link", name="Oldest").click()
    expect(page.locator(".hit-meta time").first).to_have_text("2017-10-20")
    expect(page.get_by_role("navigation", name="Sort results").locator("strong")).to_have_text("Oldest")


def test_date_filter_keeps_releases_in_range(page: Page, live_server: str) -> None:
    page.goto(live_server + "/?q=daesh")
    page.get_by_label("From").fill("2018-01-01")
    page.get_by_role("button", name="Apply dates").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2 releases")
    dates = page.locator(".hit-meta time").all_inner_texts()
    assert dates == ["2018-02-13", "2018-02-13"]
    expect(page.get_by_role("link", name="Remove date range")).to_be_visible()


def test_autocomplete_by_keyboard_alone(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    box = page.get_by_role("combobox", name="Search press releases")
    box.press_sequentially("raq", delay=30)
    options = page.get_by_role("option")
    expect(options.first).to_contain_text("Raqqa")
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "q-option-1")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("for “Raqqah”")
    box.press_sequentially(" ste", delay=30)
    box.press("Escape")
    expect(page.locator("#q-suggestions")).to_be_hidden()
    expect(box).to_be_focused()


def test_pages_work_with_javascript_disabled(browser: Browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_label("Search press releases").fill("raqqa")
    page.get_by_label("Search press releases").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 releases for “raqqa”")
    page.get_by_role("complementary", name="Refine results").get_by_role("link", name="2017").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 release for “raqqa”")
    page.locator(".hit-title a").first.click()
    expect(page.locator("article mark").first).to_have_text("Raqqa")
    context.close()


def test_clicking_a_bar_narrows_the_results_to_its_period(page: Page, live_server: str) -> None:
    page.goto(live_server + "/?q=daesh")
    bar = page.get_by_role("link", name="Week of 12 February 2018: 2 releases")
    bar.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2 releases for “daesh”")
    assert page.locator(".hit-meta time").all_inner_texts() == ["2018-02-13", "2018-02-13"]
    assert "from=2018-02-12" in page.url and "to=2018-02-18" in page.url


def test_trends_page_draws_one_line_per_query(page: Page, live_server: str) -> None:
    page.goto(live_server + "/?q=daesh")
    page.get_by_role("link", name="Compare over time").click()
    page.get_by_label("Search 2").fill("raqqa")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("daesh · raqqa over time")
    for number in (0, 1):
        expect(page.locator(f".trend-chart svg g.series-{number} circle")).not_to_have_count(0)
    expect(page.locator(".trend-chart svg g")).to_have_count(2)
    page.get_by_role("link", name="Share of all releases").click()
    expect(page.locator(".trend-chart figcaption")).to_contain_text("Share of all releases per")
    page.get_by_role("link", name="Remove raqqa").click()
    expect(page.locator(".trend-chart svg g")).to_have_count(1)


@pytest.mark.parametrize(
    ("path", "width"),
    [
        ("/?q=raqqa", 1280),
        ("/?q=raqqa&tag=Syria", 360),
        ("/?q=kuwiat", 1280),
        ("/releases/syrian-democratic-forces-liberate-raqqa?q=raqqa", 1280),
        ("/", 360),
        ("/?q=daesh", 360),
        ("/trends?q=daesh&q=raqqa", 1280),
        ("/trends?q=daesh&q=raqqa&measure=share", 360),
    ],
    ids=[
        "results",
        "results-360px",
        "no-results",
        "release-page",
        "home-360px",
        "histogram-360px",
        "trends",
        "trends-360px",
    ],
)
def test_pages_have_no_serious_accessibility_violations(
    browser: Browser, live_server: str, path: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(live_server + path)
    assert serious_accessibility_violations(page) == []
    context.close()


def test_partial_matches_show_the_notice_and_missing_words(page: Page, live_server: str) -> None:
    page.goto(live_server + "/?q=kuwait+wombat")
    expect(page.locator(".notice.partial")).to_have_text(
        "No release has all the words; showing releases that match most of them."
    )
    expect(page.locator(".hit .missing").first).to_have_text("Missing: wombat")
