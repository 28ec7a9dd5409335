"""Reading corpus files: the formats, the fields, and every kind of bad record."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.corpus import load_corpus

SEED = Path(__file__).resolve().parent.parent / "corpus"


def test_seed_corpus_has_the_twelve_releases_of_the_page() -> None:
    corpus = load_corpus(SEED)
    assert corpus.errors == []
    titles = {record.title for record in corpus.records}
    assert len(titles) == 12
    assert "Syrian Democratic Forces Liberate Raqqa" in titles
    assert "Coalition engineers erect steel bridge in Raqqah" in titles  # title-only release


def test_markdown_release_fields(tmp_path: Path, write_release: Callable[..., Path]) -> None:
    write_release(
        "news/first.md",
        """
        title: Coalition meets
        date: 2018-02-13
        url: https://example.org/first
        tags: [Kuwait, Iraq]
        source: Coalition
        caption: Ministers gather
        """,
        "\nThe body text.\n",
    )
    (record,) = load_corpus(tmp_path / "corpus").records
    assert record.id == "news/first"
    assert record.title == "Coalition meets"
    assert record.date == dt.date(2018, 2, 13)
    assert record.url == "https://example.org/first"
    assert record.tags == ("Kuwait", "Iraq")
    assert record.source == "Coalition"
    assert record.body == "The body text."
    assert record.extra == {"caption": "Ministers gather"}


def test_json_lines_keep_extra_fields(tmp_path: Path) -> None:
    path = tmp_path / "releases.jsonl.gz"
    rows = [
        {
            "id": "doj-1",
            "title": "Hate crime charges",
            "date": "2017-03-01",
            "topics": ["Hate Crimes"],
            "agency": "U.S. Department of Justice, Office of Public Affairs",
            "pr_number": None,
        },
        {"id": "doj-2", "title": "Tax fraud plea", "date": "2017-03-02T10:00:00Z", "topics": []},
    ]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(row) for row in rows) + "\n")
    corpus = load_corpus(path)
    assert corpus.errors == []
    first, second = corpus.records
    assert first.extra == {
        "topics": ["Hate Crimes"],
        "agency": "U.S. Department of Justice, Office of Public Affairs",
    }
    assert second.date == dt.date(2017, 3, 2)
    assert second.extra == {}


def test_variants_file_is_not_read_as_a_release() -> None:
    assert all(record.id != "variants" for record in load_corpus(SEED).records)


def test_bad_records_are_reported_with_path_line_and_field(
    tmp_path: Path, write_release: Callable[..., Path]
) -> None:
    corpus_dir = tmp_path / "corpus"
    write_release("good.md", "title: Fine")
    write_release("no-title.md", "date: 2018-01-01\ntags: [x]")
    write_release("bad-date.md", "title: Bad date\ndate: 2018-02-30")
    write_release("bad-yaml.md", "title: [unclosed")
    (corpus_dir / "rows.jsonl").write_text(
        '{"id": "a", "title": "Row"}\nnot json\n[1, 2]\n{"id": "b", "title": ""}\n{"id": "c", "title": "T", "tags": 5}\n',
        encoding="utf-8",
    )
    corpus = load_corpus(corpus_dir)
    assert [record.id for record in corpus.records] == ["good", "a"]
    messages = sorted(str(error) for error in corpus.errors)
    assert messages == sorted(
        [
            f"{corpus_dir}/bad-date.md:3: date: not a valid ISO 8601 date: '2018-02-30'",
            f"{corpus_dir}/bad-yaml.md:2: front matter: invalid YAML: expected ',' or ']', but got '<stream end>'",
            f"{corpus_dir}/no-title.md:1: title: missing; every release needs a title",
            f"{corpus_dir}/rows.jsonl:2: json: invalid JSON: Expecting value at column 1",
            f"{corpus_dir}/rows.jsonl:3: json: each line must be a JSON object",
            f"{corpus_dir}/rows.jsonl:4: title: missing; every release needs a title",
            f"{corpus_dir}/rows.jsonl:5: tags: expected a list of strings, got int",
        ]
    )


def test_duplicate_ids_name_both_places(tmp_path: Path, write_release: Callable[..., Path]) -> None:
    write_release("a.md", "id: same\ntitle: First")
    write_release("b.md", "id: same\ntitle: Second")
    corpus = load_corpus(tmp_path / "corpus")
    assert [record.title for record in corpus.records] == ["First"]
    (error,) = corpus.errors
    assert (
        str(error)
        == f"{tmp_path}/corpus/b.md:1: id: duplicate id 'same', first defined at {tmp_path}/corpus/a.md:1"
    )


def test_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "latin1.md").write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    corpus = load_corpus(tmp_path)
    assert [str(error) for error in corpus.errors] == [
        f"{tmp_path}/latin1.md: file: not UTF-8 text (byte 14)"
    ]


SAVED_PAGE = """<!doctype html>
<html><head>
  <title>Coalition news | Site name</title>
  <link rel="canonical" href="https://example.org/news/bridge">
  <meta property="article:published_time" content="2017-11-02T09:00:00Z">
  <meta name="keywords" content="Raqqa, Syria">
  <meta property="og:site_name" content="Global Coalition">
</head><body>
  <header><a href="/">Home</a> <nav><a href="/news">News</a> <a href="/about">About us</a></nav></header>
  <main><article>
    <h1>Coalition engineers erect steel bridge in Raqqah</h1>
    <p>Engineers <b>finished</b> the bridge.</p>
    <ul><li>Span: 40 m</li></ul>
    <aside>Share this page</aside>
  </article></main>
  <footer>Copyright and cookie policy</footer>
</body></html>"""

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Coalition releases</title>
  <item><title>Bridge opens</title><link>https://example.org/1</link><guid>rel-1</guid>
    <pubDate>Thu, 02 Nov 2017 09:00:00 GMT</pubDate><category>Raqqa</category>
    <description>&lt;p&gt;The bridge &lt;b&gt;opens&lt;/b&gt;.&lt;/p&gt;</description></item>
  <item><link>https://example.org/2</link><description>No title</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Coalition</title><id>urn:feed</id>
  <updated>2018-02-13T00:00:00Z</updated>
  <entry><title>Ministers meet in Kuwait</title><id>urn:rel:kuwait</id>
    <link href="https://example.org/kuwait"/><updated>2018-02-13T10:00:00Z</updated>
    <content type="html">&lt;p&gt;Ministers met.&lt;/p&gt;</content></entry>
</feed>"""


def test_saved_html_page_is_read_without_page_chrome(tmp_path: Path) -> None:
    (tmp_path / "bridge.html").write_text(SAVED_PAGE, encoding="utf-8")
    (record,) = load_corpus(tmp_path).records
    assert record.id == "bridge"
    assert record.title == "Coalition engineers erect steel bridge in Raqqah"
    assert record.date == dt.date(2017, 11, 2)
    assert record.url == "https://example.org/news/bridge"
    assert record.tags == ("Raqqa", "Syria")
    assert record.source == "Global Coalition"
    assert record.body == "Engineers finished the bridge.\n\nSpan: 40 m"


def test_rss_feed_entries_are_releases(tmp_path: Path) -> None:
    (tmp_path / "news.rss").write_text(RSS, encoding="utf-8")
    corpus = load_corpus(tmp_path)
    (record,) = corpus.records
    assert (record.id, record.title, record.url) == ("rel-1", "Bridge opens", "https://example.org/1")
    assert (record.date, record.tags, record.source) == (
        dt.date(2017, 11, 2),
        ("Raqqa",),
        "Coalition releases",
    )
    assert record.body == "The bridge opens."
    assert [str(error) for error in corpus.errors] == [
        f"{tmp_path}/news.rss: entry 2: title: missing; every release needs a title"
    ]


def test_atom_feed_entries_are_releases(tmp_path: Path) -> None:
    (tmp_path / "feed.atom").write_text(ATOM, encoding="utf-8")
    (record,) = load_corpus(tmp_path).records
    assert (record.id, record.title, record.date) == (
        "urn:rel:kuwait",
        "Ministers meet in Kuwait",
        dt.date(2018, 2, 13),
    )
    assert record.body == "Ministers met."


def test_broken_feed_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "broken.xml").write_text("this is not XML < at all", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert corpus.records == []
    (error,) = corpus.errors
    assert (error.path, error.field) == (f"{tmp_path}/broken.xml", "feed")


def test_truncated_atom_feed_is_reported_and_its_whole_entries_kept(tmp_path: Path) -> None:
    cut_off = ATOM.replace("</feed>", "  <entry><title>Raqqa liberated</title><id>urn:rel:raqqa</id>\n")
    (tmp_path / "feed.atom").write_text(cut_off, encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert [record.id for record in corpus.records][0] == "urn:rel:kuwait"
    assert [str(error) for error in corpus.errors] == [
        f"{tmp_path}/feed.atom:8: feed: not well-formed XML: no element found (2 entries read)"
    ]


def test_truncated_atom_feed_makes_reindex_exit_1(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "feed.atom").write_text(ATOM.replace("</feed>", "<entry><title>Cut"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "indexer", "--corpus", str(corpus), "--index", str(tmp_path / "index")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert f"{corpus}/feed.atom:7: feed: not well-formed XML: no element found" in done.stderr


@pytest.mark.parametrize("damage", ["truncated", "bad block", "not gzip"])
def test_a_damaged_gzip_file_is_an_error_and_the_other_files_are_read(tmp_path: Path, damage: str) -> None:
    rows = "".join(
        json.dumps({"id": f"r{n}", "title": f"Release {n}", "body": "x " * n}) + "\n" for n in range(200)
    )
    packed = gzip.compress(rows.encode("utf-8"))
    damaged = {
        "truncated": packed[: len(packed) // 2],
        "bad block": packed[:12] + bytes(b ^ 0xFF for b in packed[12:40]) + packed[40:],
        "not gzip": b"just text, not gzip",
    }[damage]
    (tmp_path / "broken.jsonl.gz").write_bytes(damaged)
    (tmp_path / "fine.jsonl").write_text(json.dumps({"id": "fine", "title": "Fine"}) + "\n", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    ids = [record.id for record in corpus.records]
    assert ids[-1] == "fine"
    assert ids[:-1] == [f"r{n}" for n in range(len(ids) - 1)]  # lines before the damage, whole
    [error] = corpus.errors
    assert (error.path, error.field) == (str(tmp_path / "broken.jsonl.gz"), "file")
    assert error.reason.startswith("cannot read")
