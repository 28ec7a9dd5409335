"""The importer's pure parts: URL canonicalisation, listing discovery, robots.txt, encodings."""

from __future__ import annotations

import pytest
from fixture_site import SITE_DIR

from importer.decode import decode_page
from importer.listing import read_listing
from importer.robots import RobotsRules
from importer.urls import LinkRules, canonical_url


@pytest.mark.parametrize(
    ("url", "prefer_www", "expected"),
    [
        ("https://Example.org:443/news/raqqa/", None, "https://example.org/news/raqqa"),
        ("http://example.org:8080/a?utm_campaign=x&b=2#frag", None, "http://example.org:8080/a?b=2"),
        ("https://www.example.org/a?fbclid=1", False, "https://example.org/a"),
        ("https://example.org/a", True, "https://www.example.org/a"),
        ("https://example.org", None, "https://example.org/"),
        ("https://example.org//a//b/", None, "https://example.org/a/b"),
    ],
    ids=["port-case-slash", "utm-fragment", "drop-www", "add-www", "root", "double-slashes"],
)
def test_canonical_url_one_spelling_per_page(url: str, prefer_www: bool | None, expected: str) -> None:
    assert canonical_url(url, prefer_www=prefer_www) == expected


def test_read_listing_finds_the_seed_releases_and_the_next_page() -> None:
    html = (SITE_DIR / "press-releases.html").read_text(encoding="utf-8")
    base = "http://127.0.0.1:8000/press-releases"
    listing = read_listing(html, base, LinkRules("127.0.0.1"))
    assert len(listing.releases) == 12
    assert (
        listing.releases[0].url
        == "http://127.0.0.1:8000/news/coalition-response-to-amnesty-report-on-civilian-casualties-in-raqqa"
    )
    assert listing.releases[0].title == "Coalition Response to Amnesty Report on Civilian Casualties in Raqqa"
    assert listing.next_url == "http://127.0.0.1:8000/press-releases?page=2"
    assert listing.page_of == (1, 4)
    last = (SITE_DIR / "press-releases@page=4.html").read_text(encoding="utf-8")
    assert read_listing(last, base + "?page=4", LinkRules("127.0.0.1")).next_url is None


def test_read_listing_next_page_by_number_without_a_next_link() -> None:
    items = "".join(f'<li><a href="/news/item-{n}">Item number {n}</a></li>' for n in range(5))
    pager = '<div class="pages"><a href="/list?p=1">1</a> <a href="/list?p=2">2</a> <a href="/list?p=3">3</a></div>'
    listing = read_listing(
        f"<ul>{items}</ul>{pager}", "https://example.org/list?p=1", LinkRules("example.org")
    )
    assert listing.next_url == "https://example.org/list?p=2"
    assert [link.url for link in listing.releases][:1] == ["https://example.org/news/item-0"]


def test_robots_rules_follow_rfc_9309_for_missing_and_failing_files() -> None:
    assert RobotsRules.from_response(404, "").allows("https://example.org/x")
    assert not RobotsRules.from_response(503, "").allows("https://example.org/x")
    rules = RobotsRules.from_response(200, "User-agent: release-search\nDisallow: /private\nCrawl-delay: 2\n")
    assert not rules.allows("https://example.org/private/a") and rules.allows("https://example.org/news")
    assert rules.crawl_delay() == 2.0


def test_decode_page_latin1_label_reads_as_windows_1252() -> None:
    assert decode_page(b"\x93quoted\x94", "text/html; charset=iso-8859-1") == "\u201cquoted\u201d"
