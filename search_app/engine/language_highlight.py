"""Which words to mark in a release of another language than English (markup: highlight.py).

The release's text is split with its language's tokenizer, so each word is marked as
written: with its diacritics (قُتِلَ), with its elided article (``l'Église`` whole),
with its clitic prefixes (والرياض).

>>> terms = LanguageMatchTerms("fr", [("body_fr", "eglis")])
>>> [span.word for span in terms.spans("Devant l’Église, les églises.")]
['eglise', 'eglises']
>>> [(span.start, span.end) for span in terms.spans("Devant l’Église.")]
[(7, 15)]
"""

from __future__ import annotations

from collections.abc import Iterable

from indexer.language_analysis import language_tables
from indexer.schema import FIELDS_LANGUAGE, field_language
from search_app.engine.highlight import MatchTerms, Span, _merge


class LanguageMatchTerms(MatchTerms):
    """The words a query looks for in one language's fields: its stems and exact words."""

    def __init__(self, lang: str, terms: Iterable[tuple[str, str]]) -> None:
        super().__init__([])
        self.lang = lang
        for field, text in terms:
            if field_language(field) == lang:
                (self.exact if field.endswith("_exact") else self.stems).add(text)

    def spans(self, text: str) -> list[Span]:
        """Return the spans of ``text`` holding words the query looks for, as written."""
        if not self:
            return []
        tables = language_tables(self.lang)
        spans: list[Span] = []
        for token in tables.tokenizer(text, chars=True, mode="query"):
            exact, stem = tables.forms[token.text]
            if exact in self.exact or (stem is not None and stem in self.stems):
                spans.append(Span(token.startchar, token.endchar, exact))
        return _merge(spans)


def terms_for_language(lang: str | None, terms: list[tuple[str, str]]) -> MatchTerms:
    """Return what to mark in a release in ``lang`` for a query with the given terms."""
    if not lang or lang == FIELDS_LANGUAGE:
        return MatchTerms(terms)
    return LanguageMatchTerms(lang, terms)
