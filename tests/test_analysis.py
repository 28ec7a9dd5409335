"""The analysis chain: what a word becomes at index and query time."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import Analyzer
from whoosh.fields import TEXT, FieldType

from indexer import analysis, words
from indexer.analysis import exact_analyzer, exact_chain, normalize_word, stemming_analyzer, stemming_chain
from indexer.schema import TITLE_BOOST, TextField, build_schema
from indexer.term_ids import term_text


def stems(text: str) -> list[str]:
    return [token.text for token in stemming_analyzer()(text)]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Da’esh", "da'esh"),  # curly apostrophe straightened
        ("Daesh’s", "daesh"),  # possessive dropped
        ("Raqqawis’", "raqqawis"),  # plural possessive
        ("José", "jose"),  # accents folded
        ("ＩＳＩＳ", "isis"),  # full-width letters, NFKC
        ("LIBERATED", "liberated"),
    ],
)
def test_normalize_word_folds_typography(written: str, expected: str) -> None:
    assert normalize_word(written) == expected


def test_stemming_analyzer_matches_inflections() -> None:
    assert stems("liberate liberated liberation liberating") == ["liber"] * 4


def test_stemming_analyzer_drops_stop_words() -> None:
    assert stems("the liberation of Raqqa") == ["liber", "raqqa"]


def test_analyzers_keep_offsets_of_the_text_as_written() -> None:
    text = "Defeat ISIS/Da’esh – now"
    written = [text[t.startchar : t.endchar] for t in exact_analyzer()(text, chars=True)]
    assert written == ["Defeat", "ISIS", "Da’esh", "now"]


def test_hyphenated_compound_is_indexed_as_parts_and_joined() -> None:
    # Decision: "counter-terrorism" is indexed as "counter", "terrorism" and
    # "counterterrorism", so both spellings find it; a slash only separates names.
    assert stems("counter-terrorism") == ["counter", "terror", "counterterror"]
    assert stems("counterterrorism") == ["counterterror"]
    assert stems("ISIS/Daesh") == ["isi", "daesh"]


def test_query_mode_does_not_add_the_joined_word() -> None:
    tokens = [t.text for t in stemming_analyzer()("counter-terrorism", mode="query")]
    assert tokens == ["counter", "terror"]


def test_joined_word_keeps_the_offsets_of_the_whole_compound() -> None:
    text = "a counter-terrorism unit"
    spans = [
        (t.text, text[t.startchar : t.endchar]) for t in exact_analyzer()(text, chars=True, positions=True)
    ]
    assert ("counterterrorism", "counter-terrorism") in spans


def test_analyzer_pickles_and_works_after_unpickling() -> None:
    analyzer = pickle.loads(pickle.dumps(stemming_analyzer()))
    assert stems("liberated") == [token.text for token in analyzer("liberated")]


def test_index_reopens_and_searches_in_a_fresh_process(seed_index: Path) -> None:
    script = (
        "import sys; from whoosh import index; from whoosh.qparser import QueryParser;"
        "from indexer.store import IndexStore;"
        "ix = index.open_dir(str(IndexStore(sys.argv[1]).require_current().path));"
        "s = ix.searcher(); q = QueryParser('title', ix.schema).parse('liberated');"
        "print(len(s.search(q)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(seed_index)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "2"


# The one-step analyzers must give exactly the tokens (and index exactly the postings)
# of the composable chains they replace.
TRICKY = [
    "",
    "   ",
    "Daesh’s fighters LIBERATED Raqqa",
    "Da’esh’s and ISIS/Daesh – the ‘Islamic State’",
    "counter-terrorism anti-ISIS al-Raqqa non\u2011violent self\u2010help",
    "the-of-and the - of -- a--b a- -b -x- x-'y y'-z",
    "It's the end of it-is-the war's ends' Raqqawis’",
    "José Müller naïve café ＩＳＩＳ ﬁnance Straße İstanbul",
    "stabilisation stabilisations organisation-wide Stabilisation's",
    "2018 9/11 41-year-old $1.5 million 1,000 U.S.-based",
    "_under_score __ a_b ʼtwas rock′n′roll",
    "The and of a to in",
    "co-operation re-enter mother-in-law’s e-mail e‑mail",
    "a\u0301b \u0301 x\u0345y",
]
OPTIONS = [
    {"mode": "index", "positions": True},
    {"mode": "index", "positions": True, "chars": True, "keeporiginal": True},
    {"mode": "query", "positions": True, "chars": True},
    {"mode": "query", "removestops": False, "positions": True},
    {"mode": "index", "removestops": False, "positions": True, "chars": True},
    {"positions": True, "start_pos": 7, "chars": True, "start_char": 100},
    {"mode": "query", "tokenize": False, "positions": True, "chars": True, "removestops": False},
    {"no_morph": True, "positions": True},
    {"no_morph": True, "removestops": False, "mode": "query"},
    {},
]
TOKEN_FIELDS = ("text", "pos", "startchar", "endchar", "stopped", "boost", "original", "removestops", "mode")
CHAINS = {"stemming": (stemming_analyzer, stemming_chain), "exact": (exact_analyzer, exact_chain)}


def token_stream(analyzer: Analyzer, text: str, options: dict[str, object]) -> list[tuple[object, ...]]:
    return [tuple(getattr(t, name, None) for name in TOKEN_FIELDS) for t in analyzer(text, **options)]


def postings(field: FieldType, text: str) -> list[tuple[bytes, int, float, bytes]]:
    return sorted(field.index(text))


def assert_same_as_chain(text: str) -> None:
    for kind, (fast, chain) in CHAINS.items():
        for options in OPTIONS:
            expected = token_stream(chain(), text, options)
            assert token_stream(fast(), text, options) == expected, (kind, options)
        for boost in (1.0, TITLE_BOOST):
            reference = TEXT(analyzer=chain(), field_boost=boost)
            assert postings(TextField(analyzer=fast(), field_boost=boost), text) == postings(reference, text)


@pytest.mark.parametrize("text", TRICKY)
def test_word_analyzers_give_the_tokens_and_postings_of_the_chains(text: str) -> None:
    assert_same_as_chain(text)
    assert_same_as_chain(" ".join(TRICKY) + " " + text)  # a second field of one document reuses the scan


# Letters, digits, apostrophes, hyphens, combining marks, ligatures and stop words.
PIECES = [*"aAbZéß1_ '’‘ʼ′-\u2010\u2011\u2013/.,\u0301\u0345Ｉﬁİ", "the", "of", "It's", "isation", "s"]
WORDISH = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(WORDISH, st.text(max_size=40)))
def test_word_analyzers_match_the_chains_on_any_text(text: str) -> None:
    assert_same_as_chain(text)


def test_word_analyzer_pickles_small() -> None:
    data = pickle.dumps(build_schema([])["body"])
    assert len(data) < 1000
    assert pickle.loads(data).analyzer == stemming_analyzer()


def test_word_analyzers_match_the_chains_on_a_long_text() -> None:
    # Position gaps of one, two and four bytes, and words more than 1000 times in a
    # field (pickle writes such lists in batches).
    text = " ".join(["Daesh", *["Raqqa counter-terrorism the"] * 1200, *["liberated"] * 70_000, "Daesh"])
    for fast, chain in CHAINS.values():
        reference = TEXT(analyzer=chain())
        assert postings(TextField(analyzer=fast()), text) == postings(reference, text)


def test_term_ids_forgotten_between_windows_are_numbered_afresh_even_for_the_same_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    analyzer = stemming_analyzer()
    text = "Prosecutors charged the contractors with fraud"
    first_ids, _ = analyzer.word_tokens(text)
    expected = [term_text(term_id) for term_id in first_ids.tolist()]
    monkeypatch.setattr(analysis, "TERMS_KEPT", 0)
    analysis.forget_written_words()
    ids, _ = analyzer.word_tokens(text)  # the text scanned last before forgetting
    assert (
        [term_text(term_id) for term_id in ids.tolist()]
        == expected
        == ["prosecutor", "charg", "contractor", "fraud"]
    )


def test_a_full_word_cache_keeps_the_words_it_had_in_reserve(monkeypatch: pytest.MonkeyPatch) -> None:
    stemmed: list[str] = []
    monkeypatch.setattr(words, "WORD_CACHE_SIZE", 3)
    monkeypatch.setattr(words, "cached_stem", lambda word: stemmed.append(word) or words.snowball_stem(word))
    forms = words._WordFormsCache()
    for written in ["Charges", "filed", "charges", "Courts", "ruled", "filed", "charges", "appeals"]:
        forms[written]
    # Six distinct words; "filed" and "charges" came back after the cache started afresh.
    assert stemmed == ["charges", "filed", "charges", "courts", "ruled", "appeals"]
    assert forms["Courts"] == ("courts", "court")


def test_a_writer_hands_back_the_words_it_worked_out_or_took_back_from_the_reserve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(words, "WORD_CACHE_SIZE", 3)
    parent = words._WordFormsCache()
    for written in ["Charges", "filed", "Courts", "ruled"]:
        parent[written]  # "ruled" found it full: the first three went to the reserve
    # A forked writer starts with the parent's words, takes one back from the reserve
    # and works out a new one.
    writer = words._WordFormsCache()
    writer.update(parent)
    writer._reserve = dict(parent._reserve)
    writer.start_learning()
    for written in ["Charges", "ruled", "appeals"]:
        writer[written]
    learned = writer.take_learned()

    assert learned == [("Charges", ("charges", "charg")), ("appeals", ("appeals", "appeal"))]
    assert writer.take_learned() == []  # noting stopped
    parent.learn(learned)
    assert {"Charges", "ruled", "appeals"} == parent.keys()
    # The words in use survive the parent's next fresh start; the unused one is gone.
    parent["Sentenced"]
    assert "Charges" in parent._reserve and "filed" not in parent._reserve
