"""The analysis chain: what a word becomes at index and query time."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.analysis import exact_analyzer, normalize_word, stemming_analyzer


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
