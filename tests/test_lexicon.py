"""Prefix and fuzzy expansion find the words Whoosh's own (slower) expansion finds."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index
from whoosh.support.levenshtein import damerau_levenshtein

from indexer.store import IndexStore
from search_app.engine.lexicon import Lexicon, lexicon

WORDS = sorted(
    {"bridge", "bridges", "bride", "brigde", "abridge", "bring", "liberate", "liberty", "élan", "ela"}
)


@settings(max_examples=200)
@given(
    text=st.text(alphabet="abdegilnrtyé", min_size=1, max_size=9),
    maxdist=st.integers(0, 2),
    prefix=st.integers(0, 3),
)
def test_fuzzy_words_are_those_within_the_edit_distance(text: str, maxdist: int, prefix: int) -> None:
    expected = [
        word
        for word in WORDS
        if word.startswith(text[:prefix]) and damerau_levenshtein(word, text, maxdist) <= maxdist
    ]
    assert Lexicon(WORDS).within(text, maxdist, prefix) == expected


def test_prefix_finds_every_word_with_it_and_no_other() -> None:
    assert Lexicon(WORDS).with_prefix("bri") == ["bride", "bridge", "bridges", "brigde", "bring"]
    assert Lexicon(WORDS).with_prefix("el") == ["ela"]
    assert Lexicon(WORDS).with_prefix("zz") == []


def test_lexicon_is_the_index_fields_words(seed_index: Path) -> None:
    ix = index.open_dir(str(IndexStore(seed_index).require_current().path))
    with ix.reader() as reader:
        words = lexicon(reader, "body_exact").words
        assert words == sorted(words) and "raqqa" in words
        assert lexicon(reader, "body_exact") is lexicon(reader, "body_exact")  # read once


@settings(max_examples=200)
@given(pattern=st.text(alphabet="abdegilnrty*?", min_size=1, max_size=8))
def test_wildcards_find_the_words_fnmatch_finds(pattern: str) -> None:
    """Whether the pattern starts with letters (only words with them are looked at) or not."""
    expected = [word for word in WORDS if fnmatch.fnmatchcase(word, pattern)]
    assert Lexicon(WORDS).matching(pattern) == expected
