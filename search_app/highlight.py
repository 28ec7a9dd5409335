"""Highlight matched words in stored text: the one place that makes ``<mark>`` markup.

Safety: every piece of stored text goes through :func:`html.escape` (quotes
included) before it reaches the output; the only markup added is the literal
``<mark>`` / ``</mark>`` pair around an escaped word. The result is therefore
safe to insert as HTML element content (never inside an attribute).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from whoosh.analysis import Token
from whoosh.highlight import (
    FIRST,
    BasicFragmentScorer,
    ContextFragmenter,
    Formatter,
    Fragment,
    WholeFragmenter,
    top_fragments,
)

from indexer.analysis import STOP_WORDS, cached_stem, exact_analyzer

STEMMED_FIELDS = frozenset({"title", "body", "extra_text"})
EXACT_FIELDS = frozenset({"title_exact", "body_exact"})
SNIPPET_CHARS = 240
ELLIPSIS = " … "

_analyzer = exact_analyzer()


class MarkFormatter(Formatter):
    """Escape all text; wrap matched words, as written, in ``<mark>``."""

    between = ELLIPSIS

    def _text(self, text: str) -> str:
        return html.escape(text)

    def format_token(self, text: str, token: Token, replace: bool = False) -> str:
        return "<mark>" + html.escape(text[token.startchar : token.endchar]) + "</mark>"


class MatchTerms:
    """The words a query looks for, split into stems and exact (unstemmed) words."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self.stems: set[str] = set()
        self.exact: set[str] = set()
        for field, text in terms:
            if field in STEMMED_FIELDS:
                self.stems.add(text)
            elif field in EXACT_FIELDS:
                self.exact.add(text)

    def __bool__(self) -> bool:
        return bool(self.stems or self.exact)

    def matches(self, word: str) -> bool:
        """Tell whether a normalised word of the text is one the query looks for."""
        if word in self.exact:
            return True
        return word not in STOP_WORDS and cached_stem(word) in self.stems


def _tokens(text: str, terms: MatchTerms) -> list[Token]:
    tokens = []
    for token in _analyzer(text, positions=True, chars=True, mode="index"):
        copy = token.copy()
        copy.matched = terms.matches(token.text)
        tokens.append(copy)
    return tokens


_formatter = MarkFormatter()


def highlight_whole(text: str, terms: MatchTerms) -> str:
    """Return all of ``text`` escaped, with matched words marked (for titles)."""
    if not text:
        return ""
    if not terms:
        return html.escape(text)
    fragments = list(WholeFragmenter().fragment_tokens(text, _tokens(text, terms)))
    return _formatter.format(fragments) if fragments else html.escape(text)


def highlight_snippet(text: str, terms: MatchTerms, *, top: int = 2, chars: int = SNIPPET_CHARS) -> str:
    """Return the best passages of ``text`` with matched words marked, else its opening."""
    if not text:
        return ""
    if len(text) <= chars:
        return highlight_whole(text, terms)
    if terms:
        fragmenter = ContextFragmenter(maxchars=chars, surround=chars // 3)
        fragments = top_fragments(
            fragmenter.fragment_tokens(text, _tokens(text, terms)),
            top,
            BasicFragmentScorer(),
            FIRST,
            minscore=1,
        )
        if fragments:
            fragments.sort(key=lambda fragment: fragment.startchar)
            for fragment in fragments:
                _widen_to_whitespace(text, fragment)
            prefix = "… " if fragments[0].startchar > 0 else ""
            suffix = " …" if fragments[-1].endchar < len(text) else ""
            return prefix + _formatter.format(fragments) + suffix
    return opening(text, chars)


def _widen_to_whitespace(text: str, fragment: Fragment) -> None:
    """Move a fragment's edges out to whitespace, so no word or symbol is cut."""
    while fragment.startchar > 0 and not text[fragment.startchar - 1].isspace():
        fragment.startchar -= 1
    while fragment.endchar < len(text) and not text[fragment.endchar].isspace():
        fragment.endchar += 1


def opening(text: str, chars: int = SNIPPET_CHARS) -> str:
    """Return the escaped start of ``text``, cut at a word boundary."""
    if len(text) <= chars:
        return html.escape(text)
    cut = text.rfind(" ", 0, chars)
    return html.escape(text[: cut if cut > chars // 2 else chars].rstrip(" ,;:")) + " …"
