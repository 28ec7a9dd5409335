"""Did-you-mean: suggest real, unstemmed words of the corpus for unknown words.

Each correction is bounded: an unknown word is compared (in C, by RapidFuzz) with at
most :data:`MAX_CANDIDATES` words of the index's unstemmed lexicon, those of nearly
the same length; at most :data:`MAX_CORRECTED` words are corrected per query, and a
query with more unknown words than that is not a typo (a pasted text, made-up words)
and gets no suggestion at all. Whoosh's own corrector, used before, ran a pure-Python
edit distance over the whole vocabulary: about a second per unknown word on DOJ.
"""

from __future__ import annotations

import bisect
import re
import threading

from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist
from whoosh.searching import Searcher

from indexer.analysis import normalize_word
from indexer.schema import EXACT_FIELDS, field_language
from indexer.word_shapes import OPERATOR_WORDS, WORD_PATTERN
from search_app.engine import work
from search_app.engine.lexicon import lexicon

SPELLING_FIELDS = tuple(EXACT_FIELDS.values())  # unstemmed: suggestions are real words
# Words shorter than this are left alone: too many close neighbours to guess well.
MIN_WORD_LENGTH = 4
# Edits allowed: one in a word of up to 5 letters, two in a longer one (as Elasticsearch's
# "AUTO" fuzziness): two edits turn a short word into too many others ("isil" -> "visit").
MAX_DISTANCE = 2
SHORT_WORD = 5
# Arabic's article is written joined to its word: "الرياض" is a word of four letters, not six.
ARABIC_ARTICLE = "\u0627\u0644"
# Words of a query looked at; unknown words corrected; index words compared per unknown word;
# closest candidates whose frequency is looked up to choose between them.
MAX_WORDS_CONSIDERED = 40
MAX_CORRECTED = 3
MAX_CANDIDATES = 40_000
MAX_RANKED = 40
NOT_TYPOS_WARNING = (
    f"No spelling suggestion: more than {MAX_CORRECTED} words of the query are not in the index."
)


class SpellingSuggester:
    """Suggest corrections from one searcher's index, remembering each word's answer.

    The lexicon is read on first use and grouped by word length; the memory lives as long
    as the searcher, so a new index generation starts afresh.
    """

    MAX_REMEMBERED = 10_000

    def __init__(self, searcher: Searcher) -> None:
        # English's exact fields, then each other language's (body_fr_exact, ...): a word
        # known in any language is left alone, and corrections are real words of one.
        self.fields = [name for name in SPELLING_FIELDS if name in searcher.schema] + sorted(
            name for name in searcher.schema.names() if field_language(name) and name.endswith("_exact")
        )
        self.reader = searcher.reader()
        self._by_length: dict[int, list[str]] | None = None
        self._known: list[list[str]] = []
        self._lock = threading.Lock()
        self._remembered: dict[str, str | None] = {}

    def suggest(self, text: str) -> str | None:
        """Return ``text`` with misspelt words replaced, or None when nothing changes."""
        return self.suggest_noting(text)[0]

    def suggest_noting(self, text: str) -> tuple[str | None, tuple[str, ...]]:
        """Return the suggestion for ``text`` and warnings about corrections not attempted."""
        matches: list[re.Match[str]] = []
        for match in re.finditer(WORD_PATTERN, text):
            if len(matches) == MAX_WORDS_CONSIDERED:
                break
            is_syntax = match.group() in OPERATOR_WORDS or text.startswith(":", match.end())
            if not is_syntax:
                matches.append(match)
        words = [normalize_word(match.group()) for match in matches]
        work.count("spelling_words", len(words))
        unknown = {word for word in words if len(word) >= MIN_WORD_LENGTH and not self.is_known(word)}
        if len(unknown) > MAX_CORRECTED:
            return None, (NOT_TYPOS_WARNING,)
        pieces: list[str] = []
        position = 0
        changed = False
        for match, word in zip(matches, words, strict=True):
            better = self.correct(word) if word in unknown else None
            pieces += [text[position : match.start()], better or match.group()]
            position = match.end()
            changed = changed or better is not None
        pieces.append(text[position:])
        return ("".join(pieces) if changed else None), ()

    def is_known(self, word: str) -> bool:
        """Tell whether ``word`` is a word of the index (as written, unstemmed)."""
        self._load()
        for words in self._known:
            at = bisect.bisect_left(words, word)
            if at < len(words) and words[at] == word:
                return True
        return False

    def correct(self, word: str) -> str | None:
        """Return the best real word for an unknown ``word``, or None."""
        if word in self._remembered:
            return self._remembered[word]
        best = None
        if len(word) >= MIN_WORD_LENGTH and not self.is_known(word):
            best = self._closest(word)
        if len(self._remembered) < self.MAX_REMEMBERED:
            self._remembered[word] = best
        return best

    def _closest(self, word: str) -> str | None:
        """Return the closest candidate (then the one most releases use), or None."""
        candidates = self.candidates(word)
        if not candidates:
            return None
        work.count("spelling_candidates", len(candidates))
        allowed = 1 if _letters_that_count(word) <= SHORT_WORD else MAX_DISTANCE
        distances = cdist([word], candidates, scorer=OSA.distance, score_cutoff=allowed, dtype="int32")
        close = [(int(d), c) for c, d in zip(candidates, distances[0].tolist(), strict=True) if d <= allowed]
        if not close:
            return None
        nearest = min(distance for distance, _ in close)
        tied = sorted(c for distance, c in close if distance == nearest)[:MAX_RANKED]
        work.count("spelling_ranked", len(tied))
        return min(tied, key=lambda c: (-self._frequency(c), c))

    def candidates(self, word: str) -> list[str]:
        """Return at most :data:`MAX_CANDIDATES` index words of nearly ``word``'s length,
        the same length first."""
        self._load()
        assert self._by_length is not None
        found: list[str] = []
        size = len(word)
        for length in (size, size - 1, size + 1, size - 2, size + 2):
            found += self._by_length.get(length, [])[: MAX_CANDIDATES - len(found)]
        return found

    def warm(self) -> None:
        """Read the index's words now, so that no visitor's first typo waits for them.

        Run on a thread of its own when a generation opens; a generation closed meanwhile
        only means the words are not needed any more.
        """
        try:
            self._load()
        except Exception:  # noqa: BLE001 - the searcher was closed under it: nothing to warm
            return

    def _load(self) -> None:
        if self._by_length is not None:
            return
        with self._lock:
            if self._by_length is not None:
                return
            known = [lexicon(self.reader, name).words for name in self.fields]
            by_length: dict[int, list[str]] = {}
            for word in sorted({word for words in known for word in words}):
                by_length.setdefault(len(word), []).append(word)
            self._known, self._by_length = known, by_length

    def _frequency(self, word: str) -> int:
        return sum(self.reader.doc_frequency(name, word) for name in self.fields)


def _letters_that_count(word: str) -> int:
    """Return the length of ``word`` for the edits allowed (an Arabic article left out)."""
    if word.startswith(ARABIC_ARTICLE) and len(word) > len(ARABIC_ARTICLE) + 2:
        return len(word) - len(ARABIC_ARTICLE)
    return len(word)
