"""import-releases against the traps of the web, one test each, on the fixture site at 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import frontmatter
import pytest
from click.testing import CliRunner
from fixture_site import FixtureSite, Handler, Resource

from importer.cli import main

KUWAIT = "/news/global-coalition-to-meet-in-kuwait"
RAQQA = "/news/syrian-democratic-forces-liberate-raqqa"
MOSUL = "/news/rehabilitation-of-the-power-infrastructure-in-mosul"


def run_json(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def mini_listing(site: FixtureSite, *hrefs: str, path: str = "/mini") -> str:
    """Serve a small listing of ``hrefs`` at ``path``; return its URL."""
    rows = "".join(f'<li class="item"><a href="{href}">Release at {href}</a></li>' for href in hrefs)
    site.html(path, f"<html><body><ul class='releases'>{rows}</ul></body></html>")
    return site.url(path)


def gaps(site: FixtureSite) -> list[float]:
    times = [hit.at for hit in site.hits()]
    return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


def test_robots_disallow_skips_pages_and_crawl_delay_spaces_requests(
    fixture_site: FixtureSite, tmp_path: Path
) -> None:
    fixture_site.html(
        "/robots.txt", "User-agent: *\nDisallow: /news/global-coalition\nCrawl-delay: 0.3\n", "text/plain"
    )
    url = mini_listing(fixture_site, KUWAIT, RAQQA, MOSUL)
    code, summary = run_json(url, "--corpus", str(tmp_path), "--delay", "0")
    assert code == 0
    assert (summary["new"], summary["robots_skipped"]) == (2, 1)
    assert KUWAIT not in fixture_site.paths()
    assert len(fixture_site.hits()) == 4 and min(gaps(fixture_site)) >= 0.3


def test_robots_disallowed_start_page_is_fatal(fixture_site: FixtureSite, tmp_path: Path) -> None:
    fixture_site.html("/robots.txt", "User-agent: release-search\nDisallow: /\n", "text/plain")
    code, summary = run_json(fixture_site.url(), "--corpus", str(tmp_path), "--delay", "0")
    assert code == 2
    assert summary["errors"] == [{"url": fixture_site.url(), "message": "disallowed by robots.txt"}]
    assert fixture_site.paths() == ["/robots.txt"]


def test_delay_is_the_gap_the_server_sees_between_requests(fixture_site: FixtureSite, tmp_path: Path) -> None:
    url = mini_listing(fixture_site, KUWAIT, RAQQA, MOSUL)
    code, _ = run_json(url, "--corpus", str(tmp_path), "--delay", "0.25")
    assert code == 0
    assert len(fixture_site.hits()) == 5 and min(gaps(fixture_site)) >= 0.25
    assert all(hit.headers["User-Agent"].startswith("release-search/") for hit in fixture_site.hits())


@pytest.mark.parametrize("status", [429, 503])
def test_busy_server_is_retried_after_retry_after(
    fixture_site: FixtureSite, tmp_path: Path, status: int
) -> None:
    answers = iter([Resource(b"busy", "text/plain", {"Retry-After": "1"}, status)])

    def busy_once(handler: Handler) -> None:
        handler.send(next(answers, fixture_site.pages[KUWAIT]))

    fixture_site.routes[KUWAIT] = busy_once
    code, summary = run_json(mini_listing(fixture_site, KUWAIT), "--corpus", str(tmp_path), "--delay", "0")
    assert code == 0 and summary["new"] == 1
    tries = fixture_site.hits(KUWAIT)
    assert len(tries) == 2 and tries[1].at - tries[0].at >= 1.0


def test_redirect_loop_stops_with_an_error(fixture_site: FixtureSite, tmp_path: Path) -> None:
    def redirect(to: str) -> object:
        return lambda handler: handler.send(Resource(b"", headers={"Location": to}, status=302))

    fixture_site.routes["/news/loop-a"] = redirect("/news/loop-b")  # type: ignore[assignment]
    fixture_site.routes["/news/loop-b"] = redirect("/news/loop-a")  # type: ignore[assignment]
    code, summary = run_json(
        mini_listing(fixture_site, "/news/loop-a", RAQQA), "--corpus", str(tmp_path), "--delay", "0"
    )
    assert code == 1 and summary["new"] == 1
    loop_a, loop_b = fixture_site.url("/news/loop-a"), fixture_site.url("/news/loop-b")
    assert summary["errors"] == [
        {"url": loop_a, "message": f"redirect loop ({loop_a} -> {loop_b} -> {loop_a})"}
    ]
    assert fixture_site.paths().count("/news/loop-a") == 1


def test_duplicates_through_utm_fragment_slash_and_canonical_are_imported_once(
    fixture_site: FixtureSite, tmp_path: Path
) -> None:
    alias = fixture_site.pages[RAQQA].body  # its <link rel=canonical> names /news/syrian-…
    fixture_site.html("/news/17", alias)
    url = mini_listing(
        fixture_site,
        RAQQA,
        RAQQA + "/",
        RAQQA + "?utm_source=twitter&utm_medium=social",
        RAQQA + "#top",
        "/news/17",
    )
    code, summary = run_json(url, "--corpus", str(tmp_path), "--delay", "0")
    assert code == 0 and summary["new"] == 1
    assert fixture_site.paths()[2:] == [RAQQA, "/news/17"]
    assert [path.name for path in tmp_path.rglob("*.md")] == ["syrian-democratic-forces-liberate-raqqa.md"]

    # The full listing links each release three ways (image, title with or without "/", "Read more?utm…#main").
    fixture_site.clear_log()
    code, summary = run_json(
        fixture_site.url(), "--corpus", str(tmp_path / "all"), "--delay", "0", "--max-pages", "1"
    )
    news = [path for path in fixture_site.paths() if path.startswith("/news/")]
    assert len(news) == len(set(news)) == 12 and not any("utm" in path or path.endswith("/") for path in news)


def test_off_host_links_are_never_requested(fixture_site: FixtureSite, tmp_path: Path) -> None:
    other_host = f"http://localhost:{fixture_site.port}{KUWAIT}"  # the same server under another name
    fixture_site.routes["/news/moved"] = lambda handler: handler.send(
        Resource(b"", headers={"Location": f"http://localhost:{fixture_site.port}{MOSUL}"}, status=301)
    )
    url = mini_listing(fixture_site, RAQQA, other_host, "https://example.org/news/elsewhere", "/news/moved")
    code, summary = run_json(url, "--corpus", str(tmp_path), "--delay", "0")
    assert code == 1 and summary["new"] == 1
    assert summary["errors"] == [
        {
            "url": fixture_site.url("/news/moved"),
            "message": f"redirected off the site, to http://localhost:{fixture_site.port}{MOSUL}",
        }
    ]
    assert {hit.host for hit in fixture_site.hits()} == {f"127.0.0.1:{fixture_site.port}"}
    assert KUWAIT not in fixture_site.paths() and MOSUL not in fixture_site.paths()


def test_endless_next_stops_at_max_pages_and_at_a_page_with_nothing_new(
    fixture_site: FixtureSite, tmp_path: Path
) -> None:
    def endless(handler: Handler) -> None:
        number = int(handler.path.partition("page=")[2] or 1)
        item = f"/news/archive-release-{min(number, 9)}"
        handler.send(
            Resource(
                f'<html><body><ul><li class="item"><a href="{item}">Item {number}</a></li></ul>'
                f'<a href="/endless?page={number + 1}">Next ›</a></body></html>'.encode()
            )
        )

    fixture_site.routes["/endless"] = endless
    code, summary = run_json(
        fixture_site.url("/endless"), "--corpus", str(tmp_path), "--delay", "0", "--max-pages", "5"
    )
    assert code == 0 and (summary["pages"], summary["new"]) == (5, 5)
    # Past page 9 every page holds archive-release-9 again: nothing new, so the walk ends there.
    code, summary = run_json(
        fixture_site.url("/endless?page=8"), "--corpus", str(tmp_path / "b"), "--delay", "0"
    )
    assert code == 0 and (summary["pages"], summary["new"]) == (3, 2)


ARABIC = "أعلن التحالف الدولي اليوم دعمه لإعادة إعمار الموصل"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            "<html><head><title>x</title></head><body><article><h1>Caf\u00e9 \u201cquotes\u201d</h1>"
            "<p>The Coalition\u2019s partners met in the caf\u00e9 \u2013 a \u201cfocused\u201d effort.</p>"
            "</article></body></html>",
            "text/html; charset=windows-1252",
            "The Coalition\u2019s partners met in the caf\u00e9 \u2013 a \u201cfocused\u201d effort.",
        ),
        (
            '<html lang="ar" dir="rtl"><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
            f"<title>x</title></head><body><article><h1>الموصل</h1><p>{ARABIC}.</p></article></body></html>",
            "text/html",
            ARABIC,
        ),
        (
            "\ufeff<html><head><title>x</title></head><body><article><h1>Raqqa</h1>"
            "<p>Daesh\u2019s loss of Mosul and now Raqqah \u2014 a turning point.</p></article></body></html>",
            "text/html",
            "Daesh\u2019s loss of Mosul and now Raqqah \u2014 a turning point.",
        ),
    ],
    ids=["windows-1252-header", "windows-1256-meta", "utf-8-bom"],
)
def test_encodings_from_header_meta_and_bom(
    fixture_site: FixtureSite, tmp_path: Path, body: str, content_type: str, expected: str
) -> None:
    # Each page is stored in the encoding it declares (the BOM page: UTF-8, declared by the BOM only).
    encoding = "cp1256" if "1256" in body else "cp1252" if "1252" in content_type else "utf-8"
    fixture_site.html("/news/encoded", body.encode(encoding), content_type)
    code, summary = run_json(
        mini_listing(fixture_site, "/news/encoded"), "--corpus", str(tmp_path), "--delay", "0"
    )
    assert code == 0, summary
    post = frontmatter.load(next(tmp_path.rglob("encoded.md")))
    assert expected in post.content


def test_huge_page_is_capped(fixture_site: FixtureSite, tmp_path: Path) -> None:
    def huge(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        try:
            for _ in range(2000):  # up to 128 MB, unless the client stops reading
                handler.wfile.write(b"<p>" + b"x" * 65530 + b"</p>")
        except OSError:
            pass

    fixture_site.routes["/news/huge"] = huge
    url = mini_listing(fixture_site, "/news/huge", RAQQA)
    code, summary = run_json(url, "--corpus", str(tmp_path), "--delay", "0", "--max-bytes", "200000")
    assert code == 1 and summary["new"] == 1
    assert summary["errors"] == [
        {"url": fixture_site.url("/news/huge"), "message": "page larger than the 200,000-byte cap; not read"}
    ]


def test_stalled_page_times_out(fixture_site: FixtureSite, tmp_path: Path) -> None:
    def stall(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"<html><body><p>The start of a page that never ends")
        handler.wfile.flush()
        fixture_site.stop.wait(30)  # until the test ends

    fixture_site.routes["/news/stalled"] = stall
    url = mini_listing(fixture_site, "/news/stalled", RAQQA)
    code, summary = run_json(url, "--corpus", str(tmp_path), "--delay", "0", "--timeout", "0.5")
    assert code == 1 and summary["new"] == 1
    assert summary["errors"] == [
        {"url": fixture_site.url("/news/stalled"), "message": "timed out after 0.5 s"}
    ]


def test_rss_feed_and_sitemap_index_are_sources(fixture_site: FixtureSite, tmp_path: Path) -> None:
    items = "".join(
        f"<item><title>Item {n}</title><link>{fixture_site.url(path)}</link>"
        f"<pubDate>Fri, 20 Oct 2017 10:00:00 GMT</pubDate></item>"
        for n, path in enumerate((RAQQA, KUWAIT))
    )
    fixture_site.html(
        "/feed.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>',
        "application/rss+xml",
    )
    code, summary = run_json(
        fixture_site.url("/feed.xml"), "--corpus", str(tmp_path / "feed"), "--delay", "0"
    )
    assert code == 0 and summary["new"] == 2
    # The feed's date stands in for a page that has none.
    assert (
        frontmatter.load(next((tmp_path / "feed").rglob("global-coalition-to-meet-in-kuwait.md")))["date"]
        == "2017-10-20"
    )

    urlset = "".join(f"<url><loc>{fixture_site.url(path)}</loc></url>" for path in (RAQQA, MOSUL))
    fixture_site.html(
        "/sitemap-news.xml",
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urlset}</urlset>',
        "application/xml",
    )
    fixture_site.html(
        "/sitemap.xml",
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{fixture_site.url('/sitemap-news.xml')}</loc></sitemap>"
        "<sitemap><loc>https://example.org/sitemap.xml</loc></sitemap></sitemapindex>",
        "application/xml",
    )
    code, summary = run_json(
        fixture_site.url("/sitemap.xml"), "--corpus", str(tmp_path / "map"), "--delay", "0"
    )
    assert code == 0 and (summary["new"], summary["pages"]) == (2, 2)
