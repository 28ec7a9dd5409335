"""Did-you-mean: suggest real, unstemmed words of the corpus for unknown words."""

from __future__ import annotations

import re

from nltk.metrics.distance import edit_distance
from whoosh.searching import Searcher

from indexer.analysis import normalize_word
from indexer.schema import EXACT_FIELDS, field_language
from indexer.word_shapes import OPERATOR_WORDS, WORD_PATTERN

SPELLING_FIELDS = tuple(EXACT_FIELDS.values())  # unstemmed: suggestions are real words
# Words shorter than this are left alone: too many close neighbours to guess well.
MIN_WORD_LENGTH = 4


class SpellingSuggester:
    """Suggest corrections from one searcher's index, remembering each word's answer.

    Corrections cost tens of milliseconds a word (a Levenshtein automaton over the
    lexicon), and the same misspellings come back; the memory lives as long as the
    searcher, so a new index generation starts afresh.
    """

    MAX_REMEMBERED = 10_000

    def __init__(self, searcher: Searcher) -> None:
        # English's exact fields, then each other language's (body_fr_exact, ...): a word
        # known in any language is left alone, and corrections are real words of one.
        self.fields = [name for name in SPELLING_FIELDS if name in searcher.schema] + sorted(
            name for name in searcher.schema.names() if field_language(name) and name.endswith("_exact")
        )
        self.reader = searcher.reader()
        self.correctors = [searcher.corrector(name) for name in self.fields]
        self._remembered: dict[str, str | None] = {}

    def suggest(self, text: str) -> str | None:
        """Return ``text`` with misspelt words replaced, or None when nothing changes."""
        changed = False
        pieces: list[str] = []
        position = 0
        for match in re.finditer(WORD_PATTERN, text):
            pieces.append(text[position : match.start()])
            position = match.end()
            is_syntax = match.group() in OPERATOR_WORDS or text.startswith(":", match.end())
            better = None if is_syntax else self.correct(normalize_word(match.group()))
            pieces.append(better or match.group())
            changed = changed or better is not None
        pieces.append(text[position:])
        return "".join(pieces) if changed else None

    def correct(self, word: str) -> str | None:
        """Return the best real word for an unknown ``word``, or None."""
        if word in self._remembered:
            return self._remembered[word]
        best = None
        known = any((name, word) in self.reader for name in self.fields)
        if not known and len(word) >= MIN_WORD_LENGTH:
            candidates = {s for c in self.correctors for s in c.suggest(word, limit=3, maxdist=2)}
            if candidates:
                # Closest first, then the word most releases use.
                best = min(
                    candidates,
                    key=lambda c: (
                        edit_distance(word, c, transpositions=True),
                        -_frequency(self.reader, self.fields, c),
                        c,
                    ),
                )
        if len(self._remembered) < self.MAX_REMEMBERED:
            self._remembered[word] = best
        return best


def _frequency(reader: object, fields: list[str], word: str) -> int:
    return sum(reader.doc_frequency(name, word) for name in fields)  # type: ignore[attr-defined]
