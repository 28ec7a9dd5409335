"""Partial matches when not every word matches, and spelling corrections of empty queries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from indexer import reindex
from search_app.engine.partial_match import split_query
from search_app.service import SearchRequest, SearchResult, SearchService

RELEASES = {
    "all-words": ("Yemen statement", "The secretary spoke of the humanitarian crisis in Yemen."),
    "no-secretary": ("Yemen humanitarian crisis", "Aid workers describe the humanitarian crisis in Yemen."),
    "no-yemen": (
        "Humanitarian crisis statement",
        "The secretary spoke of the humanitarian crisis, the humanitarian crisis in the region.",
    ),
    "bridge": ("Steel bridge opens", "Engineers opened a steel bridge."),
    # "secretary" is commoner than "yemen": losing it costs less.
    **{f"secretary-{n}": (f"Secretary visit {n}", "The secretary visited the fair.") for n in range(4)},
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    root = tmp_path_factory.mktemp("partial")
    for name, (title, body) in RELEASES.items():
        (root / "corpus").mkdir(exist_ok=True)
        (root / "corpus" / f"{name}.md").write_text(f"---\ntitle: {title}\n---\n{body}\n", encoding="utf-8")
    reindex(root / "corpus", root / "index")
    return SearchService(root / "index")


def search(service: SearchService, q: str, **options: object) -> SearchResult:
    return service.search(SearchRequest(q=q, **options))  # type: ignore[arg-type]


def ids_and_missing(result: SearchResult) -> list[tuple[str, list[str]]]:
    return [(hit.id, hit.missing) for hit in result.hits]


def test_partial_question_finds_releases_missing_a_word_rarest_loss_last(service: SearchService) -> None:
    result = search(service, "what did the secretary say about the humanitarian crisis in yemen")
    assert result.all_words_total == 0  # no release says "say"
    assert ids_and_missing(result)[:3] == [
        ("all-words", ["say"]),
        ("no-secretary", ["secretary", "say"]),
        ("no-yemen", ["say", "yemen"]),
    ]
    assert result.total == len(result.hits) == 7  # the four other "secretary" releases too
    assert "bridge" not in {hit.id for hit in result.hits}


def test_partial_releases_with_every_word_come_first(service: SearchService) -> None:
    result = search(service, "secretary humanitarian crisis yemen")
    assert result.all_words_total == 1
    # "no-yemen" has the words twice and would outscore "no-secretary"; lacking "yemen" costs more.
    assert ids_and_missing(result)[:3] == [
        ("all-words", []),
        ("no-secretary", ["secretary"]),
        ("no-yemen", ["yemen"]),
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"humanitarian crisis" wombat', {"all-words", "no-secretary", "no-yemen"}),
        ("-yemen secretary wombat", {"no-yemen"} | {f"secretary-{n}" for n in range(4)}),
        ("title:yemen secretary wombat", {"all-words", "no-secretary"}),
        ("yemen AND wombat", set()),
        ("yemen OR wombat", {"all-words", "no-secretary"}),
        ("+yemen +wombat", set()),
    ],
    ids=["phrase", "minus", "field", "and", "or", "plus"],
)
def test_partial_strict_syntax_keeps_its_meaning(service: SearchService, q: str, expected: set[str]) -> None:
    result = search(service, q)
    assert {hit.id for hit in result.hits} == expected


def test_partial_split_query_relaxes_only_plain_words() -> None:
    relaxable = split_query('who said "steel bridge" title:x -y raqqa? 4:51', frozenset({"title"}))
    assert relaxable is not None
    assert relaxable.strict == '"steel bridge" title:x -y'
    assert relaxable.words == ("who", "said", "raqqa", "4:51")
    assert split_query("(a b) c", frozenset()) is None


def test_partial_matches_in_the_api_name_missing_words(client: FlaskClient) -> None:
    data = client.get("/api/search?q=kuwait+wombat").get_json()
    assert data["all_words_total"] == 0
    assert data["total"] == 3 == len(data["hits"])
    assert all(hit["missing"] == ["wombat"] for hit in data["hits"])
    assert data["corrected_from"] is None


def test_partial_matches_on_the_page_say_so(client: FlaskClient) -> None:
    html = client.get("/?q=kuwait+wombat").data.decode()
    assert "No release has all the words; showing releases that match most of them." in html
    assert "Missing: <s>wombat</s>" in html


def test_typo_query_shows_corrected_results_with_both_links(client: FlaskClient) -> None:
    data = client.get("/api/search?q=kuwiat").get_json()
    assert (data["query"], data["corrected_from"], data["total"]) == ("kuwait", "kuwiat", 3)
    html = client.get("/?q=kuwiat").data.decode()
    assert (
        'Showing results for <a href="/?q=kuwait"><em>kuwait</em></a> — '
        'search instead for <a href="/?q=kuwiat&amp;verbatim=1"><em>kuwiat</em></a>'
    ) in html
    typed = client.get("/api/search?q=kuwiat&verbatim=1").get_json()
    assert (typed["total"], typed["corrected_from"], typed["suggestion"]) == (0, None, "kuwait")


@pytest.mark.parametrize("q", ["kuwait", "mosul bridge", "coalition"])
def test_correctly_spelt_query_is_never_corrected(client: FlaskClient, q: str) -> None:
    data = client.get("/api/search", query_string={"q": q}).get_json()
    assert data["corrected_from"] is None and data["query"] == q
    assert data["total"] > 0


def test_typo_with_few_corrected_results_is_corrected_only_when_nothing_else_matches(
    write_release: Callable[..., Path], tmp_path: Path
) -> None:
    write_release("a.md", "title: Kuwait meeting")
    write_release("b.md", "title: Ministers meeting in Amman")
    reindex(tmp_path / "corpus", tmp_path / "index")
    service = SearchService(tmp_path / "index")
    alone = search(service, "kuwiat")  # nothing matches as typed: the one corrected result beats none
    assert (alone.total, alone.corrected_from, alone.query) == (1, "kuwiat", "kuwait")
    partly = search(service, "kuwiat meeting")  # releases match some words as typed: those are shown
    assert (partly.total, partly.corrected_from, partly.suggestion) == (2, None, "kuwait meeting")
