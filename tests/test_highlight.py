"""Highlights: whole tokens as the index splits them, escaped, and the best passage of a long body."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from search_app.engine.highlight import MatchTerms, highlight_snippet, highlight_whole

MARKED = re.compile(r"<mark>(.*?)</mark>")


def stems(*words: str) -> MatchTerms:
    return MatchTerms(("body", word) for word in words)


def test_only_whole_tokens_are_marked() -> None:
    text = "Da’esh and esh, x’esh, esh’s and 'esh'"
    assert MARKED.findall(highlight_whole(text, stems("esh"))) == ["esh", "esh’s", "esh"]


def test_a_matching_compound_is_marked_whole_and_its_parts_alone() -> None:
    text = "A counter-terrorism unit; counter terrorism"
    html = highlight_whole(text, stems("counterterror", "terror"))
    assert MARKED.findall(html) == ["counter-terrorism", "terrorism"]


def test_exact_words_match_only_as_written() -> None:
    terms = MatchTerms([("body_exact", "liberation")])
    assert MARKED.findall(highlight_whole("Liberation, not liberated", terms)) == ["Liberation"]


def test_snippet_shows_the_passage_with_most_query_words_and_cuts_no_word() -> None:
    filler = " ".join(f"filler{n}" for n in range(200))
    text = f"The water was cold. {filler} The water treaty was signed. {filler} End."
    snippet = highlight_snippet(text, stems("water", "treati"), top=1)
    assert "<mark>water</mark> <mark>treaty</mark>" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")
    inner = MARKED.sub(r"\1", snippet)[2:-2]
    assert all(word in text.split() for word in inner.split())


def test_snippet_of_a_body_without_matches_is_its_opening() -> None:
    text = "Opening words. " + "more text " * 100
    assert highlight_snippet(text, stems("absent")).startswith("Opening words.")


PIECES = [
    "dying",
    "die",
    "Lying",
    "tie",
    "TIES",
    "Stabilisation",
    "stabilization",
    "organisation",
    "counter-terrorism",
    "Counterterrorism",
    "anti-ISIS",
    "isis",
    "Daesh's",
    "daesh",
    "it's",
    "x'y",
    "happiness",
    "happy",
    "relational",
    "relate",
    "possibly",
    "skies",
    "sky",
    "liberated",
    "Liberty",
    "co-operation",
    "cooperation",
    "e-mail",
    "email",
    "_under_score",
    "2017",
    "B-52",
]
SEPARATORS = [" ", ", ", "-", "'", "' ", " '", ". ", "/", "--", "\n"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=12).map(
        lambda parts: "".join(word + sep for word, sep in parts)
    ),
    query=st.lists(st.sampled_from(PIECES), min_size=1, max_size=3),
    exact=st.booleans(),
)
def test_the_ascii_shortcut_marks_what_the_general_scan_marks(
    text: str, query: list[str], exact: bool
) -> None:
    from indexer.analysis import cached_stem, normalize_word, tokenize_words
    from search_app.engine.highlight import _any_spans, _ascii_spans, _merge

    words = [word for piece in query for word in tokenize_words(piece)]
    words += [normalize_word(piece.replace("-", "")) for piece in query if "-" in piece]  # compounds
    if exact:
        terms = MatchTerms(("body_exact", word) for word in words)
    else:
        terms = MatchTerms(("body", cached_stem(normalize_word(word))) for word in words)
    assert _merge(_ascii_spans(text, terms)) == _merge(_any_spans(text, terms))
