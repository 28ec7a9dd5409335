"""The search service over the seed corpus: ranking, variants, highlights, facets, paging."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer import reindex
from search_app.service import SearchRequest, SearchResult, SearchService

SEED_VARIANTS = Path(__file__).resolve().parent.parent / "corpus" / "variants.txt"
LIBERATE_TITLES = {
    "Syrian Democratic Forces Liberate Raqqa",
    "Iraqi Forces Launch Offensive to Liberate Final Daesh Stronghold in Iraq",
}
RAQQA_IDS = {
    "coalition-response-to-amnesty-report-on-civilian-casualties-in-raqqa",
    "coalition-engineers-erect-steel-bridge-in-raqqah",
    "syrian-democratic-forces-liberate-raqqa",
}


@pytest.fixture
def service(seed_index: Path) -> SearchService:
    return SearchService(seed_index, SEED_VARIANTS)


def search(service: SearchService, q: str = "", **options: object) -> SearchResult:
    return service.search(SearchRequest(q=q, **options))  # type: ignore[arg-type]


def test_liberated_ranks_both_liberate_releases_first(service: SearchService) -> None:
    result = search(service, "liberated")
    assert {hit.title for hit in result.hits[:2]} == LIBERATE_TITLES
    assert all("<mark>Liberate</mark>" in hit.title_html for hit in result.hits[:2])
    assert result.total == 5  # also "liberate", "liberated", "liberation" in bodies


@pytest.mark.parametrize("q", ["Raqqa", "Raqqah", "raqqah"])
def test_raqqa_spellings_find_every_raqqa_release(service: SearchService, q: str) -> None:
    result = search(service, q)
    assert {hit.id for hit in result.hits} == RAQQA_IDS
    bridge = next(hit for hit in result.hits if "bridge" in hit.id)
    assert bridge.title_html == "Coalition engineers erect steel bridge in <mark>Raqqah</mark>"


def test_isis_finds_the_daesh_releases_and_says_so(service: SearchService) -> None:
    result = search(service, "ISIS")
    assert result.total == 9
    assert "Daesh" in result.variants
    assert all("<mark>" in hit.title_html + hit.snippet_html for hit in result.hits)


def test_straight_apostrophe_finds_curly_apostrophe(service: SearchService) -> None:
    result = search(service, "Da'esh", per_page=20)
    guiding = next(hit for hit in result.hits if hit.id.startswith("guiding-principles"))
    assert "<mark>ISIS</mark>/<mark>Da’esh</mark>" in guiding.snippet_html


def test_empty_query_lists_newest_first_with_undated_last(service: SearchService) -> None:
    result = search(service, "", per_page=100)
    assert result.total == 12 and result.sort == "newest"
    dates = [hit.date for hit in result.hits]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) == ["2018-02-13", "2018-02-13", "2017-10-26", "2017-10-20"]
    assert dates[len(dated) :] == [None] * 8


def test_oldest_sort_puts_oldest_dated_release_first(service: SearchService) -> None:
    result = search(service, "daesh", sort="oldest")
    assert result.hits[0].date == "2017-10-20"


def test_pages_split_results_without_overlap(service: SearchService) -> None:
    first, second = search(service, "", per_page=5, page=1), search(service, "", per_page=5, page=2)
    assert (first.total, first.pages) == (12, 3)
    assert not {hit.id for hit in first.hits} & {hit.id for hit in second.hits}
    assert len(search(service, "", per_page=5, page=3).hits) == 2


def test_facets_count_matching_releases_and_filters_narrow(service: SearchService) -> None:
    result = search(service, "daesh")
    tags = {item.value: item.count for item in result.facets["tags"]}
    assert tags["Syria"] == 5
    narrowed = search(service, "daesh", filters={"tag": ("Syria", "Kuwait")})
    assert [hit.title for hit in narrowed.hits] == [
        "Guiding Principles from the Global Coalition to defeat Daesh"
    ]
    assert {item.value: item.count for item in result.facets["year"]} == {"2018": 2, "2017": 2}


def test_date_range_keeps_releases_inside_it(service: SearchService) -> None:
    result = search(service, "", date_from=dt.date(2017, 10, 21), date_to=dt.date(2017, 12, 31))
    assert [hit.date for hit in result.hits] == ["2017-10-26"]


def test_field_query_searches_titles_only(service: SearchService) -> None:
    assert {hit.id for hit in search(service, "title:liberated").hits} == {
        "syrian-democratic-forces-liberate-raqqa",
        "iraqi-forces-launch-offensive-to-liberate-final-daesh-stronghold-in-iraq",
    }


def test_misspelt_query_gets_a_real_word_suggestion(service: SearchService) -> None:
    result = search(service, "kuwiat", verbatim=True)
    assert result.total == 0
    assert result.suggestion == "kuwait"


@pytest.mark.parametrize(
    "q",
    [
        '"unclosed',
        "(((",
        ")",
        "AND",
        "title:",
        "*",
        "?",
        "~~",
        "-",
        "a" * 2000,
        "NOT",
        "[1 TO",
        "date:notadate",
        "<script>alert(1)</script>",
        "\x00",
        "title:(",
        "💥",
        "OR OR OR",
        'NOT"AND ;',  # found by hypothesis: the plain-words reading failed too
    ],
)
def test_anything_typed_returns_a_result(service: SearchService, q: str) -> None:
    result = search(service, q)
    assert result.total >= 0 and result.parsed


def test_markup_in_the_data_is_escaped_in_highlights(
    tmp_path: Path, write_release: Callable[..., Path]
) -> None:
    write_release(
        "x.md",
        "title: <script>alert('Raqqa')</script> & Raqqa",
        '\n<b>Raqqa</b> "quoted" <img src=x onerror=alert(1)>\n',
    )
    reindex(tmp_path / "corpus", tmp_path / "ix")
    (hit,) = SearchService(tmp_path / "ix").search(SearchRequest(q="raqqa")).hits
    assert (
        hit.title_html
        == "&lt;script&gt;alert(&#x27;<mark>Raqqa</mark>&#x27;)&lt;/script&gt; &amp; <mark>Raqqa</mark>"
    )
    assert (
        hit.snippet_html
        == "&lt;b&gt;<mark>Raqqa</mark>&lt;/b&gt; &quot;quoted&quot; &lt;img src=x onerror=alert(1)&gt;"
    )


def test_related_releases_share_subject(service: SearchService) -> None:
    related = [hit.id for hit in service.related("syrian-democratic-forces-liberate-raqqa")]
    assert related and "syrian-democratic-forces-liberate-raqqa" not in related
    assert "coalition-response-to-amnesty-report-on-civilian-casualties-in-raqqa" in related


def test_service_ranking_does_not_depend_on_per_page(tmp_path: Path) -> None:
    from conftest import synthetic_corpus

    from indexer import reindex

    corpus = synthetic_corpus(tmp_path / "corpus.jsonl", 600)
    reindex(corpus, tmp_path / "ix")
    service = SearchService(tmp_path / "ix")
    query = "bridge engineers"  # common words, often close together: proximity re-ranks the head
    hundred = service.search(SearchRequest(q=query, per_page=100))
    assert hundred.total > 100
    ranked = [hit.id for hit in hundred.hits]
    for page in (1, 5, 6, 10):
        ten = service.search(SearchRequest(q=query, per_page=10, page=page))
        assert [hit.id for hit in ten.hits] == ranked[(page - 1) * 10 : page * 10], page


def test_related_releases_are_whooshs_more_like_this_found_with_arrays(service: SearchService) -> None:
    searcher = service.searcher()
    for release_id in ("syrian-democratic-forces-liberate-raqqa", "global-coalition-to-meet-in-kuwait"):
        docnum = searcher.document_number(id=release_id)
        stored = searcher.stored_fields(docnum)
        text = f"{stored['title']}\n{stored['body']}"
        expected = [hit["id"] for hit in searcher.more_like(docnum, "body", text=text, top=5)]
        assert [hit.id for hit in service.related(release_id)] == expected
