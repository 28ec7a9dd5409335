"""import-releases end to end against the fixture site on 127.0.0.1: import, reindex, search;
re-runs, new and changed releases, exit codes and --json."""

from __future__ import annotations

import json
from pathlib import Path

import frontmatter
from click.testing import CliRunner
from fixture_site import FixtureSite

from importer.cli import main
from indexer import reindex
from search_app.service import SearchRequest, SearchService

SEED_SLUGS = {path.stem for path in (Path(__file__).resolve().parent.parent / "corpus").glob("*.md")}
JSON_KEYS = {
    "new",
    "updated",
    "unchanged",
    "failed",
    "pages",
    "not_modified",
    "robots_skipped",
    "errors",
    "seconds",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> tuple[int, dict]:
    code, out, _ = run(*args, "--json")
    return code, json.loads(out)


def release_files(corpus: Path) -> dict[str, Path]:
    return {path.stem: path for path in corpus.rglob("*.md")}


def test_import_releases_fixture_site_end_to_end_found_by_search(
    fixture_site: FixtureSite, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    code, summary = run_json(fixture_site.url(), "--corpus", str(corpus), "--delay", "0")
    assert code == 0, summary
    assert summary["new"] == 21 and summary["failed"] == 0 and summary["pages"] == 4
    assert JSON_KEYS <= set(summary)
    files = release_files(corpus)
    assert SEED_SLUGS <= set(files)
    host = f"127.0.0.1_{fixture_site.port}"
    raqqa = files["syrian-democratic-forces-liberate-raqqa"]
    assert raqqa.parent == corpus / host / "news"
    post = frontmatter.load(raqqa)
    assert post["title"] == "Syrian Democratic Forces Liberate Raqqa"
    assert post["date"] == "2017-10-20"
    assert post["url"] == fixture_site.url("/news/syrian-democratic-forces-liberate-raqqa")
    assert post["tags"] == [
        "Raqqa",
        "Syria",
        "Mosul",
        "Syrian Democratic Forces",
        "Global Coalition",
        "Daesh",
    ]
    assert post["source"] == "The Global Coalition Against Daesh" and post["lang"] == "en"
    assert post.content.startswith("The Coalition congratulates our Syrian Democratic Forces partners")
    for path in files.values():
        text = path.read_text(encoding="utf-8")
        for boilerplate in (
            "cookie",
            "Subscribe to our newsletter",
            "Related releases",
            "Share this page",
            "All rights",
        ):
            assert boilerplate not in text, (path.name, boilerplate)
    # Undated releases stay undated: the footer's "© 2018" is not a publication date.
    assert "date" not in frontmatter.load(files["global-coalition-to-meet-in-kuwait"]).metadata

    summary_index = reindex(corpus, tmp_path / "index")
    assert summary_index.documents == 21 and not summary_index.errors
    service = SearchService(tmp_path / "index")
    hits = service.search(SearchRequest(q="liberation raqqa")).hits
    assert hits[0].title == "Syrian Democratic Forces Liberate Raqqa"
    assert service.search(SearchRequest(q="cookies")).total == 0


def test_import_releases_rerun_sends_conditional_requests_and_fetches_nothing_new(
    fixture_site: FixtureSite, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    assert run_json(fixture_site.url(), "--corpus", str(corpus), "--delay", "0")[0] == 0
    before = {path: path.stat().st_mtime_ns for path in corpus.rglob("*.md")}
    fixture_site.clear_log()
    code, summary = run_json("--corpus", str(corpus), "--delay", "0")  # the sources from sources.toml
    assert code == 0
    assert (summary["new"], summary["updated"], summary["unchanged"]) == (0, 0, 12)
    assert summary["pages"] == 1 and summary["not_modified"] == 13
    hits = fixture_site.hits()
    assert [hit.path for hit in hits][:2] == ["/robots.txt", "/press-releases"]
    assert len(hits) == 14  # robots.txt, page 1 and its twelve releases: all revalidated
    assert all(hit.headers.get("If-None-Match") for hit in hits[1:])
    assert {path: path.stat().st_mtime_ns for path in corpus.rglob("*.md")} == before


def test_import_releases_picks_up_new_and_changed_releases(fixture_site: FixtureSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    run_json(fixture_site.url(), "--corpus", str(corpus), "--delay", "0")
    kuwait = "/news/global-coalition-to-meet-in-kuwait"
    changed = fixture_site.pages[kuwait].body.replace(b"will meet in Kuwait", b"will meet in Kuwait City")
    fixture_site.html(kuwait, changed)
    listing = fixture_site.pages["/press-releases"].body.decode()
    new_row = '<div class="views-row"><h3 class="views-field-title"><a href="/news/new-release">New release</a></h3></div>'
    fixture_site.html(
        "/press-releases",
        listing.replace('<div class="view-content">', '<div class="view-content">' + new_row),
    )
    fixture_site.html(
        "/news/new-release",
        "<html lang='en'><head><title>New release</title></head><body><article><h1>New release</h1>"
        "<p>The Coalition announced a new release about stabilisation support in Mosul today.</p></article></body></html>",
    )
    code, summary = run_json("--corpus", str(corpus), "--delay", "0")
    assert code == 0
    assert (summary["new"], summary["updated"]) == (1, 1)
    assert summary["pages"] == 2  # page 1 held something new, so page 2 was read; it held nothing new
    files = release_files(corpus)
    assert "Kuwait City" in files["global-coalition-to-meet-in-kuwait"].read_text(encoding="utf-8")
    assert frontmatter.load(files["new-release"])["title"] == "New release"


def test_import_releases_gone_release_is_kept(fixture_site: FixtureSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    run_json(fixture_site.url(), "--corpus", str(corpus), "--delay", "0")
    del fixture_site.pages["/news/global-coalition-to-meet-in-kuwait"]
    code, out, err = run("--corpus", str(corpus), "--delay", "0")
    assert code == 0
    assert "1 gone from the site (files kept)" in out
    assert "global-coalition-to-meet-in-kuwait: gone from the site (HTTP 404); its file is kept" in err
    assert (
        release_files(corpus)["global-coalition-to-meet-in-kuwait"]
        .read_text(encoding="utf-8")
        .startswith("---")
    )


def test_import_releases_exit_codes_and_messages(fixture_site: FixtureSite, tmp_path: Path) -> None:
    corpus = str(tmp_path / "corpus")
    fixture_site.html("/logo.png", b"\x89PNG\r\n\x1a\n", "image/png")
    fixture_site.html("/empty", "<html><body><p>No releases here.</p></body></html>")
    closed = f"http://127.0.0.1:{fixture_site.port + 1 if fixture_site.port < 65535 else 1}/news"

    code, out, err = run(fixture_site.url("/logo.png"), "--corpus", corpus, "--delay", "0")
    assert (
        code == 2
        and err == f"{fixture_site.url('/logo.png')}: not an HTML page, feed or sitemap (image/png)\n"
    )
    code, out, err = run(fixture_site.url("/empty"), "--corpus", corpus, "--delay", "0")
    assert code == 2 and err == f"{fixture_site.url('/empty')}: no release links found on the page\n"
    code, summary = run_json(closed, "--corpus", corpus, "--delay", "0")
    assert code == 2 and summary["errors"][0]["url"] == closed
    assert summary["errors"][0]["message"].startswith("cannot connect")
    code, out, err = run(fixture_site.url(), "--corpus", corpus, "--delay", "-1")
    assert code == 2 and "Invalid value for '--delay'" in err
    code, out, err = run("--corpus", str(tmp_path / "nothing"))
    assert (
        code == 2
        and err
        == f"import-releases: {tmp_path / 'nothing' / 'sources.toml'} does not exist: give a URL to import from.\n"
    )
    assert "Traceback" not in out + err

    # A release that fails: exit 1, the error as "url: reason", the other releases imported.
    fixture_site.routes["/news/life-after-daesh-raqqawis-hopes-for-the-future"] = lambda handler: (
        handler.send_error(500)
    )
    code, summary = run_json(fixture_site.url(), "--corpus", corpus, "--delay", "0")
    assert code == 1
    assert summary["failed"] == 1 and summary["new"] == 20
    assert summary["errors"] == [
        {
            "url": fixture_site.url("/news/life-after-daesh-raqqawis-hopes-for-the-future"),
            "message": "HTTP 500",
        }
    ]


def test_import_releases_failed_fetch_keeps_existing_file(fixture_site: FixtureSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    run_json(fixture_site.url(), "--corpus", str(corpus), "--delay", "0", "--timeout", "0.5")
    path = release_files(corpus)["global-coalition-to-meet-in-kuwait"]
    before = path.read_bytes()
    fixture_site.html("/news/new", "<html><body><h1>x</h1></body></html>")
    fixture_site.routes["/news/global-coalition-to-meet-in-kuwait"] = lambda handler: handler.send_error(500)
    code, summary = run_json(fixture_site.url(), "--corpus", str(corpus), "--delay", "0", "--full")
    assert code == 1 and summary["failed"] == 1
    assert path.read_bytes() == before
    assert not list(corpus.rglob(".*.tmp"))


def test_import_releases_human_summary_line(fixture_site: FixtureSite, tmp_path: Path) -> None:
    code, out, err = run(fixture_site.url(), "--corpus", str(tmp_path / "c"), "--delay", "0")
    assert code == 0 and err == ""
    assert out.startswith(
        "imported: 21 new, 0 updated, 0 unchanged, 0 failed; 4 listing pages, 0 not modified, "
        "0 skipped by robots.txt; 26 requests ("
    )
