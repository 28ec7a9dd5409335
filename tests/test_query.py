"""How queries are read: exact quotes, hyphenated words, proximity, variants, suggestions."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer import reindex
from search_app.service import SearchRequest, SearchService


@pytest.fixture
def small_index(tmp_path: Path, write_release: Callable[..., Path]) -> Path:
    write_release("liberate.md", "title: Forces liberate the city")
    write_release("liberation.md", "title: Celebrating the liberation")
    write_release("hyphen.md", "title: New counter-terrorism unit")
    write_release("joined.md", "title: Counterterrorism chief named")
    write_release("near.md", "title: Steel bridge opened", "\nEngineers built it.\n")
    write_release(
        "far.md", "title: Steel prices rise", "\nA report on prices, then far later a word about a bridge.\n"
    )
    write_release("curly.md", "title: Statement on Da’esh and José’s visit")
    write_release("tagged.md", "title: Tagged release\ntags: [Hate Crimes]\ntopics: [Civil Rights]")
    write_release("other.md", "title: Another release\ntopics: [Civil Rights]")
    reindex(tmp_path / "corpus", tmp_path / "ix")
    return tmp_path / "ix"


def ids(index_dir: Path, q: str, variants: Path | None = None) -> list[str]:
    return [hit.id for hit in SearchService(index_dir, variants).search(SearchRequest(q=q)).hits]


def test_unquoted_word_matches_every_inflection(small_index: Path) -> None:
    assert sorted(ids(small_index, "liberation")) == ["liberate", "liberation"]


def test_quoted_word_matches_only_as_written(small_index: Path) -> None:
    assert ids(small_index, '"liberation"') == ["liberation"]
    assert ids(small_index, 'title:"liberate"') == ["liberate"]


def test_quoted_phrase_keeps_stop_words(small_index: Path) -> None:
    assert ids(small_index, '"liberate the city"') == ["liberate"]
    assert ids(small_index, '"liberate a city"') == []


@pytest.mark.parametrize("q", ["counter-terrorism", "counterterrorism", "Counter-Terrorism"])
def test_hyphenated_and_joined_spellings_find_each_other(small_index: Path, q: str) -> None:
    assert sorted(ids(small_index, q)) == ["hyphen", "joined"]


def test_words_close_together_rank_first(tmp_path: Path, write_release: Callable[..., Path]) -> None:
    filler = " ".join(["report"] * 30)
    # "apart" uses both words more often, which plain BM25 prefers; "together" has them side by side.
    write_release(
        "apart.md", "title: Update one", f"\nwater {filler} treaty {filler} water {filler} treaty\n"
    )
    write_release("together.md", "title: Update two", f"\nThe water treaty {filler} {filler} was signed.\n")
    reindex(tmp_path / "corpus", tmp_path / "ix")
    assert ids(tmp_path / "ix", "treaty water") == ["together", "apart"]


@pytest.mark.parametrize(
    ("q", "expected"), [("Da'esh", ["curly"]), ("jose", ["curly"]), ("José's", ["curly"])]
)
def test_query_and_index_normalise_alike(small_index: Path, q: str, expected: list[str]) -> None:
    assert ids(small_index, q) == expected


def test_highlight_marks_the_compound_as_written(small_index: Path) -> None:
    titles = {
        h.id: h.title_html
        for h in SearchService(small_index).search(SearchRequest(q="counterterrorism")).hits
    }
    assert titles["hyphen"] == "New <mark>counter-terrorism</mark> unit"


def test_extra_fields_are_searchable_by_name(small_index: Path) -> None:
    assert sorted(ids(small_index, 'topics:"Civil Rights"')) == ["other", "tagged"]
    assert ids(small_index, 'tag:"Hate Crimes"') == ["tagged"]


def test_editing_the_variants_file_needs_no_reindex(small_index: Path, tmp_path: Path) -> None:
    variants = tmp_path / "variants.txt"
    variants.write_text("# none yet\n", encoding="utf-8")
    service = SearchService(small_index, variants)
    assert service.search(SearchRequest(q="ISIL", verbatim=True)).total == 0
    variants.write_text("ISIL, Daesh, Da'esh\n", encoding="utf-8")
    stamp = time.time() + 2  # a new mtime even on coarse-grained file systems
    os.utime(variants, (stamp, stamp))
    result = service.search(SearchRequest(q="ISIL"))
    assert [hit.id for hit in result.hits] == ["curly"]
    assert result.variants == ["Daesh", "Da'esh"]
    assert "<mark>Da’esh</mark>" in result.hits[0].title_html


@pytest.mark.parametrize(
    ("typed", "suggested"), [("liberatoin", "liberation"), ("celebratng", "celebrating")]
)
def test_suggestions_are_real_words_never_stems(small_index: Path, typed: str, suggested: str) -> None:
    result = SearchService(small_index).search(SearchRequest(q=typed, verbatim=True))
    assert result.total == 0
    assert result.suggestion == suggested  # "liberation", not its stem "liber"


def test_overlong_query_is_cut_with_a_warning(small_index: Path) -> None:
    result = SearchService(small_index).search(SearchRequest(q="bridge " * 60))
    assert result.warnings == ["Only the first 40 words of the query were searched for."]
    assert result.total == 2
    long_word = SearchService(small_index).search(SearchRequest(q="x" * 600))
    assert long_word.warnings == ["Only the first 500 characters of the query were searched for."]


def test_prefix_expands_to_real_words_that_are_highlighted(small_index: Path) -> None:
    result = SearchService(small_index).search(SearchRequest(q="liber*"))
    assert {hit.id for hit in result.hits} == {"liberate", "liberation"}
    assert any("<mark>liberate</mark>" in hit.title_html for hit in result.hits)


def test_prefix_expansion_is_bounded(tmp_path: Path) -> None:
    from search_app.engine.query_reading import MAX_EXPANSIONS, parse_query
    from search_app.engine.variants import NameVariants

    rows = "\n".join(f'{{"id": "r{n}", "title": "word{n:04d}"}}' for n in range(MAX_EXPANSIONS * 3))
    (tmp_path / "many.jsonl").write_text(rows + "\n", encoding="utf-8")
    reindex(tmp_path / "many.jsonl", tmp_path / "ix")
    service = SearchService(tmp_path / "ix")
    searcher = service.searcher()
    parsed = parse_query("word*", searcher.schema, NameVariants(None), searcher.reader())
    assert 0 < len({text for _, text in parsed.query.iter_all_terms()}) <= MAX_EXPANSIONS
    assert service.search(SearchRequest(q="word*")).total == MAX_EXPANSIONS


def test_search_stopped_by_the_time_budget_says_so(small_index: Path) -> None:
    result = SearchService(small_index, time_budget=0.0).search(
        SearchRequest(q="steel OR bridge OR liberate")
    )
    assert result.warnings == ["The search took too long and was stopped; these results may be incomplete."]
