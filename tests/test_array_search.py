"""Array search gives Whoosh's answers: the same releases, the same scores, the same facet counts."""

from __future__ import annotations

import datetime as dt
import json
import weakref
from collections import Counter
from itertools import accumulate
from pathlib import Path

import numpy as np
import pytest
from conftest import WORDS, checked_dense_postings, synthetic_corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.formats import Positions
from whoosh.searching import Searcher

from indexer import reindex
from indexer.codec import dense_postings, postings_reader
from indexer.codec.dense_postings import DensePostings
from indexer.codec.layout import position_gaps
from indexer.codec.postings_reader import PostingsBlocks
from indexer.schema import split_list
from search_app.engine import word_positions
from search_app.engine.array_search import ArraySearcher
from search_app.engine.query_reading import parse_query
from search_app.service import SearchRequest, SearchService
from search_app.service.contract import FACET_LIMIT

VOCABULARY = WORDS.split()


@pytest.fixture(scope="module")
def updated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of two segments with deleted releases: a full build, then an incremental run."""
    folder = tmp_path_factory.mktemp("arrays")
    corpus = synthetic_corpus(folder / "releases.jsonl", 400)
    with pytest.MonkeyPatch.context() as patch:  # words in 64 releases or more get dense postings
        patch.setattr(dense_postings, "DENSE_FROM", 64)
        reindex(corpus, folder / "ix")
    lines = corpus.read_text(encoding="utf-8").splitlines()
    changed = []
    for number, line in enumerate(lines[:300]):
        record = json.loads(line)
        if number % 3 == 0:
            record["body"] += " tax fraud scheme"
        changed.append(json.dumps(record))
    corpus.write_text("\n".join(changed) + "\n", encoding="utf-8")  # 100 removed, 100 updated
    reindex(corpus, folder / "ix")
    return folder / "ix"


def whoosh_matches(searcher: Searcher, q: wq.Query) -> dict[int, float]:
    """Every matching document and its score, straight from Whoosh's matchers."""
    found: dict[int, float] = {}
    for subsearcher, offset in searcher.subsearchers or [(searcher, 0)]:
        matcher = q.matcher(subsearcher, subsearcher.context())
        while matcher.is_active():
            found[matcher.id() + offset] = matcher.score()
            matcher.next()
    return found


def assert_same_as_whoosh(service: SearchService, text: str) -> None:
    searcher = service.searcher()
    parsed = parse_query(text, searcher.schema, service.variants, searcher.reader())
    expected = whoosh_matches(searcher, parsed.query)
    got = ArraySearcher(searcher, folder=service.store.require_current().path).run(parsed.query)
    assert got.ids.tolist() == sorted(expected), text
    assert np.allclose(got.scores, [expected[docnum] for docnum in got.ids.tolist()]), text


QUERIES = [
    "liberated",
    "Raqqa",
    "ISIS",
    "coalition forces",
    "coalition OR bridge",
    "coalition AND NOT bridge",
    '"coalition forces"',
    '"steel bridge"',
    "counter-terrorism",
    "liber*",
    "liberatoin~",
    "title:liberate",
    'tag:"Operation Inherent Resolve"',
    "date:2017 coalition",
]


@pytest.mark.parametrize("text", QUERIES)
def test_seed_queries_match_and_score_as_whoosh_does(seed_index: Path, text: str) -> None:
    assert_same_as_whoosh(SearchService(seed_index), text)


MULTILINGUAL_QUERIES = [
    "الأطفال",
    "قَتَلَ",
    "الأطفال اليونيسف",
    '"الأمم المتحدة"',
    "etat",
    "attentat mosquée",
    '"Conseil de sécurité"',
    "Daech",
    "coalition",
    "securite -somalie",
]


@pytest.mark.parametrize("text", MULTILINGUAL_QUERIES)
def test_french_and_arabic_queries_match_and_score_as_whoosh_does(
    multilingual_index: Path, multilingual_corpus: Path, text: str
) -> None:
    assert_same_as_whoosh(SearchService(multilingual_index, multilingual_corpus / "variants.txt"), text)


@pytest.mark.parametrize(
    "text", ["fraud", "tax fraud", '"tax fraud scheme"', "fraud OR court", "fraud -court"]
)
def test_deleted_and_updated_releases_are_not_matched(updated_index: Path, text: str) -> None:
    service = SearchService(updated_index)
    assert service.searcher().reader().has_deletions()
    assert_same_as_whoosh(service, text)


words = st.sampled_from(VOCABULARY)
query_texts = st.one_of(
    st.lists(words, min_size=1, max_size=4).map(" ".join),
    st.lists(words, min_size=2, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
    st.tuples(words, st.sampled_from([" OR ", " AND ", " "]), words).map("".join),
)


@settings(max_examples=60, deadline=None)
@given(text=query_texts)
def test_any_query_of_corpus_words_matches_as_whoosh_does(updated_index: Path, text: str) -> None:
    assert_same_as_whoosh(SearchService(updated_index), text)


@pytest.fixture(scope="module")
def dense_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full build only, its words in 64 releases or more read from dense postings alone."""
    folder = tmp_path_factory.mktemp("dense")
    corpus = synthetic_corpus(folder / "releases.jsonl", 400, seed=11)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dense_postings, "DENSE_FROM", 64)
        reindex(corpus, folder / "ix")
    return folder / "ix"


@settings(max_examples=40, deadline=None)
@given(text=query_texts)
def test_queries_of_words_read_from_dense_postings_alone_match_as_whoosh_does(
    dense_index: Path, text: str
) -> None:
    """Whole term counts scored from a table, positions of phrases mapped: Whoosh's answer."""
    assert_same_as_whoosh(SearchService(dense_index), text)


def test_facet_counts_and_filters_agree_with_the_stored_releases(updated_index: Path) -> None:
    service = SearchService(updated_index, result_cache=0)
    searcher = service.searcher()
    result = service.search(SearchRequest(q="fraud", filters={"topics": ("Tax",)}, per_page=100))
    stored = [searcher.stored_fields(docnum) for docnum in searcher.document_numbers()]
    tax_fraud = [
        fields
        for fields in stored
        if "Tax" in split_list(fields.get("topics"))
        and "fraud" in f"{fields['title']} {fields['body']}".lower()
    ]
    assert result.total == len(tax_fraud)
    assert {hit.id for hit in result.hits} == {fields["id"] for fields in tax_fraud}
    years = Counter(fields["year"] for fields in tax_fraud)
    assert {value.value: value.count for value in result.facets["year"]} == dict(years.most_common(10))


def test_newest_first_lists_undated_releases_last(tmp_path: Path) -> None:
    rows = [
        {"id": "old", "title": "Bridge one", "date": "2001-05-01"},
        {"id": "undated", "title": "Bridge two"},
        {"id": "new", "title": "Bridge three", "date": "2019-05-01"},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    reindex(tmp_path / "r.jsonl", tmp_path / "ix")
    service = SearchService(tmp_path / "ix")
    newest = service.search(SearchRequest(q="bridge", sort="newest"))
    oldest = service.search(SearchRequest(q="bridge", sort="oldest"))
    assert [hit.id for hit in newest.hits] == ["new", "old", "undated"]
    assert [hit.id for hit in oldest.hits] == ["old", "new", "undated"]
    in_range = service.search(SearchRequest(q="bridge", date_from=dt.date(2010, 1, 1)))
    assert [hit.id for hit in in_range.hits] == ["new"]


def test_a_repeated_search_is_answered_alike_and_a_new_generation_is_seen(tmp_path: Path) -> None:
    rows = [{"id": f"r{n}", "title": f"Bridge {n}"} for n in range(3)]
    corpus = tmp_path / "r.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    reindex(corpus, tmp_path / "ix")
    service = SearchService(tmp_path / "ix")
    first = service.search(SearchRequest(q="bridge"))
    again = service.search(SearchRequest(q="bridge"))
    assert again.hits == first.hits and again.total == first.total == 3
    corpus.write_text(
        corpus.read_text(encoding="utf-8") + json.dumps({"id": "r9", "title": "Bridge 9"}) + "\n"
    )
    reindex(corpus, tmp_path / "ix", full=True)
    assert service.search(SearchRequest(q="bridge")).total == 4


def test_positions_looked_up_alone_equal_those_of_the_full_table(updated_index: Path) -> None:
    searcher = SearchService(updated_index).searcher()
    arrays = ArraySearcher(searcher)
    docs = sorted(whoosh_matches(searcher, wq.Term("body", "fraud")))[::3]
    looked_up = arrays.positions("body", "fraud", docs)  # nothing cached: block by block
    arrays.run(wq.Phrase("body", ["tax", "fraud"]))  # builds and caches the word's whole table
    from_table = arrays.positions("body", "fraud", docs)
    assert looked_up == from_table and len(looked_up) == len(docs)
    assert all(positions == sorted(positions) for positions in looked_up.values())


def leaf_matchers(searcher: Searcher, fieldname: str) -> list[tuple[bytes, W3LeafMatcher]]:
    """Each term's W3 postings in each segment (deleted releases included)."""
    found = []
    for subsearcher, _ in searcher.subsearchers or [(searcher, 0)]:
        reader = subsearcher.reader()
        for term in reader.lexicon(fieldname):
            matcher = reader.postings(fieldname, term)
            matcher = getattr(matcher, "child", matcher)  # past any deletion filter
            if type(matcher) is W3LeafMatcher:
                matcher.reset()  # the filter may have moved it past deleted releases
                found.append((term, matcher))
    return found


@pytest.mark.parametrize("remembered", [False, True], ids=["layouts read", "layouts remembered"])
def test_postings_read_in_blocks_equal_whoosh_matchers(
    updated_index: Path, remembered: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postings_reader, "_layouts", weakref.WeakKeyDictionary())
    if remembered:  # every list's block layout kept after its first reading, then reused
        monkeypatch.setattr(postings_reader, "LAYOUT_FROM_BLOCKS", 1)
    searcher = SearchService(updated_index).searcher()
    leaves = [leaf for fieldname in ("body", "title", "tags") for leaf in leaf_matchers(searcher, fieldname)]
    assert any(len(PostingsBlocks(matcher).counts) > 2 for _, matcher in leaves)  # words over several blocks
    for term, matcher in leaves:
        PostingsBlocks(matcher)  # read once (and remembered, if so)
        blocks = PostingsBlocks(matcher)
        items = list(matcher.all_items())
        ids, weights, values = blocks.read_all(with_values=True)
        assert ids.tolist() == [doc for doc, _ in items], term
        assert weights.tolist() == [matcher.format.decode_weight(value) for _, value in items], term
        assert values == [value for _, value in items], term
        wanted = np.asarray([*ids.tolist()[::2], -1 if not len(ids) else int(ids[-1]) + 1], np.int64)
        found, found_values = blocks.values_at(np.sort(wanted))
        assert found.tolist() == ids.tolist()[::2], term
        assert found_values == values[::2], term
    assert bool(postings_reader._layouts) == remembered


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 1 << 31), min_size=1, max_size=1500), min_size=1, max_size=20))
def test_positions_decode_in_bulk_as_one_by_one(lists: list[list[int]]) -> None:
    positions_format = Positions()
    encoded = [positions_format.encode(sorted(set(numbers))) for numbers in lists]
    gaps = position_gaps(encoded)
    assert [list(accumulate(numbers)) for numbers in gaps] == [sorted(set(numbers)) for numbers in lists]


@pytest.mark.parametrize(
    "text", ['"tax fraud"', '"tax fraud scheme"', '"fraud scheme"', '"coalition forces"', '"scheme tax"']
)
def test_phrases_looked_up_release_by_release_match_as_whoosh_does(
    updated_index: Path, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(word_positions, "SMALL_POSTINGS", 0)  # decode only the candidates, never whole tables
    assert_same_as_whoosh(SearchService(updated_index), text)


@pytest.fixture(scope="module")
def many_topics_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Releases with one to three topics each, some deleted by an incremental run."""
    folder = tmp_path_factory.mktemp("topics")
    corpus = synthetic_corpus(folder / "releases.jsonl", 300)
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    for number, record in enumerate(records):
        record["topics"] = ["Tax", "Civil Rights", "Antitrust", "Fraud"][
            number % 4 : number % 4 + 1 + number % 3
        ]
    corpus.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    reindex(corpus, folder / "ix")
    corpus.write_text("".join(json.dumps(record) + "\n" for record in records[::3] + records[1::3]))
    reindex(corpus, folder / "ix")
    return folder / "ix"


@pytest.mark.parametrize("text", ["", "fraud", "tax fraud scheme", "court OR fraud OR scheme"])
def test_every_facet_counts_the_matched_releases_values(many_topics_index: Path, text: str) -> None:
    """Few or most releases matched (the rest counted and taken from the totals), one value or several each."""
    service = SearchService(many_topics_index, result_cache=0)
    searcher = service.searcher()
    assert searcher.reader().has_deletions()
    result = service.search(SearchRequest(q=text, per_page=100))
    pages = [
        service.search(SearchRequest(q=text, per_page=100, page=n)).hits for n in range(1, result.pages + 1)
    ]
    matched = {hit.id for page in pages for hit in page}
    assert len(matched) == result.total > 0
    stored = [
        fields
        for fields in map(searcher.stored_fields, searcher.document_numbers())
        if fields["id"] in matched
    ]
    assert any(len(split_list(fields.get("topics"))) > 1 for fields in stored)
    assert {"topics", "year"} <= set(result.facets)
    for name, shown in result.facets.items():
        counts = Counter(value for fields in stored for value in split_list(fields.get(name)))
        expected = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))[: len(shown)]
        assert [(value.value, value.count) for value in shown] == [(str(v), c) for v, c in expected], name
        assert len(shown) == min(len(counts), FACET_LIMIT), name


def test_common_words_postings_mapped_from_dense_arrays_equal_the_blocks(updated_index: Path) -> None:
    """The full build wrote words in 64 releases or more (as the fixture set it) as arrays too;
    the incremental run's segment has none, and its deletions hide releases of the first."""
    service = SearchService(updated_index)
    searcher = service.searcher()
    folder = service.store.require_current().path
    leaves = [sub for sub, _ in searcher.subsearchers or [(searcher, 0)]]
    dense = [DensePostings.of_segment(folder, sub.reader().segment()) for sub in leaves]
    assert len(leaves) == 2 and dense[1] is None and dense[0] is not None
    reader = leaves[0].reader()
    assert reader.has_deletions()
    scorable = [name for name in searcher.schema.names() if searcher.schema[name].scorable]
    checked = checked_dense_postings(reader, dense[0], scorable, 64)
    assert checked == len(dense[0]) > 20
