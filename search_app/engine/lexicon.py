"""The words of a field, read once per index reader, for prefix and fuzzy expansion.

Whoosh expands ``liber*`` and ``resolution~`` by walking its term files in Python and,
for fuzzy words, computing an edit distance in Python per candidate. Here a field's
words are read once into a sorted list; a prefix is a binary search, and fuzzy
candidates are compared in C by RapidFuzz.
"""

from __future__ import annotations

import bisect
import re
import threading
import weakref

from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist
from whoosh.reading import IndexReader

_lexicons: weakref.WeakKeyDictionary[IndexReader, dict[str, Lexicon]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


class Lexicon:
    """One field's words, sorted as the index sorts them (by UTF-8 bytes, i.e. code points)."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self._lines: str | None = None

    def matching(self, pattern: str) -> list[str]:
        """Return the words matching a wildcard ``pattern`` (``*`` any run, ``?`` one character).

        One regular-expression pass (in C) over the words joined by newlines, not a Python
        loop over the words: ``*a*`` costs a few milliseconds on DOJ's 76,000 words. Only
        the words starting with the pattern's text before its first wildcard are looked
        at: "relatives?" (a question's last word) looks at a handful, not millions.
        """
        prefix = re.split(r"[*?]", pattern, maxsplit=1)[0]
        if prefix:
            lines = "\n".join(self.with_prefix(prefix))
        else:
            if self._lines is None:
                self._lines = "\n".join(self.words)
            lines = self._lines
        return re.findall(wildcard_regex(pattern), lines, re.MULTILINE)

    def with_prefix(self, prefix: str) -> list[str]:
        """Return the words starting with ``prefix``."""
        start = bisect.bisect_left(self.words, prefix)
        end = bisect.bisect_left(self.words, prefix + "\U0010ffff", lo=start)
        return self.words[start:end]

    def within(self, text: str, maxdist: int, prefixlength: int) -> list[str]:
        """Return the words sharing ``text``'s first ``prefixlength`` characters and at most
        ``maxdist`` edits away (Damerau-Levenshtein, optimal string alignment, as Whoosh's)."""
        candidates = self.with_prefix(text[:prefixlength])
        if not candidates:
            return []
        distances = cdist([text], candidates, scorer=OSA.distance, score_cutoff=maxdist, dtype="int32")[0]
        return [
            word for word, distance in zip(candidates, distances.tolist(), strict=True) if distance <= maxdist
        ]


def wildcard_regex(pattern: str) -> str:
    """Return a regular expression matching whole lines that ``pattern`` matches.

    Every run between two stars is found by an atomic group, as :func:`fnmatch.translate`
    does, so ``*a*a*a*a*`` cannot backtrack exponentially.

    >>> wildcard_regex("ab*c?d*e")
    '^ab(?>.*?c.d).*e$'
    """

    def literal(text: str) -> str:
        return ".".join(re.escape(piece) for piece in text.split("?"))

    first, *middle, last = pattern.split("*") if "*" in pattern else (pattern, "")
    if "*" not in pattern:
        return f"^{literal(first)}$"
    inner = "".join(f"(?>.*?{literal(part)})" for part in middle if part)
    return f"^{literal(first)}{inner}.*{literal(last)}$"


def lexicon(reader: IndexReader, field: str) -> Lexicon:
    """Return the words of ``field`` in the index ``reader`` reads (read once per reader)."""
    with _lock:
        fields = _lexicons.setdefault(reader, {})
        found = fields.get(field)
    if found is None:
        from_bytes = reader.schema[field].from_bytes
        found = Lexicon([from_bytes(word) for word in reader.lexicon(field)])
        with _lock:
            fields[field] = found
    return found
