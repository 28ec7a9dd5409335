"""Analyzers for releases in languages other than English, one chain per language.

The same steps as the English :class:`~indexer.analysis.WordAnalyzer` (and the same
fast path for the index writer), with the language's word forms
(:mod:`indexer.language_words`) and a word pattern that keeps combining marks inside
words, so a vowelled Arabic word is one token whose offsets cover it as written.

>>> [t.text for t in LanguageAnalyzer(stem=True, lang="fr")("L’Église d’État")]
['eglis', 'etat']
>>> [t.text for t in LanguageAnalyzer(stem=True, lang="ar")("بالرياض والرِّيَاضُ")]
['رياض', 'رياض']
>>> [t.text for t in LanguageAnalyzer(stem=False, lang="ar")("الرياض")]
['الرياض']
"""

from __future__ import annotations

from typing import Any

from indexer.analysis import WordAnalyzer, WordTables, word_tables
from indexer.language_words import language_forms, reset_language_forms
from indexer.word_shapes import MARKED_WORD_PATTERN

_TABLES: dict[str, WordTables] = {}


def language_tables(lang: str) -> WordTables:
    """Return the word tables of ``lang`` (made once per process)."""
    tables = _TABLES.get(lang)
    if tables is None:
        tables = _TABLES[lang] = word_tables(MARKED_WORD_PATTERN, language_forms(lang))
    return tables


def reset_language_tables() -> None:
    """Forget every language's tables and forms (after switching the Arabic stemmer)."""
    _TABLES.clear()
    reset_language_forms()


class LanguageAnalyzer(WordAnalyzer):
    """The stemming or exact chain of one language other than English.

    The pickled schema holds only ``stem`` and ``lang``; the tables are found again by
    language in each process.
    """

    def __init__(self, stem: bool, lang: str) -> None:
        super().__init__(stem)
        self.lang = lang

    def __repr__(self) -> str:
        return f"{type(self).__name__}(stem={self.stem}, lang={self.lang!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((self.stem, self.lang))

    def __getstate__(self) -> dict[str, Any]:
        return {"stem": self.stem, "lang": self.lang}

    def tables(self) -> WordTables:
        """Return the tokenizer, word pattern and word tables of this analyzer's language."""
        return language_tables(self.lang)
