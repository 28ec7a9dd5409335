"""Did-you-mean: suggest real, unstemmed words of the corpus for unknown words."""

from __future__ import annotations

import re

from nltk.metrics.distance import edit_distance
from whoosh.searching import Searcher

from indexer.analysis import WORD_PATTERN, normalize_word

SPELLING_FIELDS = ("title_exact", "body_exact")
# Words shorter than this are left alone: too many close neighbours to guess well.
MIN_WORD_LENGTH = 4
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def suggest_spelling(searcher: Searcher, text: str) -> str | None:
    """Return ``text`` with misspelt words replaced, or None when nothing changes."""
    fields = [name for name in SPELLING_FIELDS if name in searcher.schema]
    if not fields:
        return None
    reader = searcher.reader()
    correctors = [searcher.corrector(name) for name in fields]
    changed = False
    pieces: list[str] = []
    position = 0
    for match in re.finditer(WORD_PATTERN, text):
        word = normalize_word(match.group())
        pieces.append(text[position : match.start()])
        position = match.end()
        known = any((name, word) in reader for name in fields)
        is_syntax = match.group() in OPERATORS or text.startswith(":", match.end())
        if known or is_syntax or len(word) < MIN_WORD_LENGTH:
            pieces.append(match.group())
            continue
        candidates = {s for corrector in correctors for s in corrector.suggest(word, limit=3, maxdist=2)}
        if candidates:
            # Closest first, then the word most releases use.
            best = min(
                candidates,
                key=lambda c: (
                    edit_distance(word, c, transpositions=True),
                    -_frequency(reader, fields, c),
                    c,
                ),
            )
            pieces.append(best)
            changed = True
        else:
            pieces.append(match.group())
    pieces.append(text[position:])
    return "".join(pieces) if changed else None


def _frequency(reader: object, fields: list[str], word: str) -> int:
    return sum(reader.doc_frequency(name, word) for name in fields)  # type: ignore[attr-defined]
