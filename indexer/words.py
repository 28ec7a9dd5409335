"""What one word becomes: the word pattern, normalisation, stop words and stems.

>>> normalize_word("Da’esh’s")
"da'esh"
>>> word_forms("Fighters’")
('fighters', 'fighter')
>>> word_forms("The")
('the', None)
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from whoosh.lang.stopwords import stoplists

from indexer.word_shapes import STRAIGHT_APOSTROPHES, WORD_PATTERN

if TYPE_CHECKING:
    from nltk.stem.snowball import SnowballStemmer

WORD_RE = re.compile(WORD_PATTERN)

# NLTK's stop-word corpus needs a download; Whoosh ships the same English list.
STOP_WORDS = frozenset(stoplists["en"])

# Distinct written forms remembered by :func:`word_forms` before it starts afresh.
WORD_CACHE_SIZE = 500_000


@cache
def _snowball() -> SnowballStemmer:
    # Imported when first needed: importing NLTK is slow, and a reindex that finds
    # nothing changed stems nothing.
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


def snowball_stem(word: str) -> str:
    """Stem one normalised word with NLTK's Snowball (English) stemmer.

    Uncached: the analyzer's ``StemFilter`` wraps its own cache around it.
    """
    return str(_snowball().stem(word))


@lru_cache(maxsize=100_000)
def cached_stem(word: str) -> str:
    """Stem like :func:`snowball_stem`, remembering the answers (for highlighting)."""
    return snowball_stem(word)


@lru_cache(maxsize=200_000)
def normalize_word(text: str) -> str:
    """Fold one token to its comparable form: NFKC, straight apostrophes,
    lower case, no possessive 's, no accents.

    >>> normalize_word("José")
    'jose'
    >>> normalize_word("Stabilisation")
    'stabilization'
    """
    ascii = text.isascii()  # then NFKC and NFKD leave it as it is: most words of most corpora
    if not ascii:
        text = unicodedata.normalize("NFKC", text).translate(STRAIGHT_APOSTROPHES)
    text = text.lower()
    if text.endswith("'s"):
        text = text[:-2]
    text = text.rstrip("'")
    if text.endswith(("isation", "isations")):
        # British and American spellings meet: "stabilisation" is "stabilization".
        text = text.replace("isation", "ization")
    if ascii:
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


WordForms = tuple[str, str | None]


class _WordFormsCache(dict[str, WordForms]):
    """Written word -> (normalised form, stem), filled on demand.

    When full it starts afresh, keeping the words it had in reserve: a word looked up
    again comes back from there instead of being stemmed again (a corpus's common words
    stay, its rare ones go). A writer process can note the words it had to work out
    (:meth:`start_learning`) and hand them to the process it was forked from (:meth:`learn`).
    """

    def __init__(self) -> None:
        super().__init__()
        self._reserve: dict[str, WordForms] = {}
        self._learned: list[tuple[str, WordForms]] | None = None

    def __missing__(self, written: str) -> WordForms:
        forms = self._reserve.get(written)
        if forms is None:
            exact = normalize_word(written)
            forms = (exact, None if not exact or exact in STOP_WORDS else cached_stem(exact))
        if self._learned is not None:  # words taken back from the reserve too: they are in use
            self._learned.append((written, forms))
        self._remember(written, forms)
        return forms

    def _remember(self, written: str, forms: WordForms) -> None:
        if len(self) >= WORD_CACHE_SIZE:
            self._reserve = dict(self)
            self.clear()
        self[written] = forms

    def start_learning(self) -> None:
        """Note from now on each word looked up that the cache did not hold (worked out, or
        taken back from the reserve)."""
        self._learned = []

    def take_learned(self) -> list[tuple[str, WordForms]]:
        """Return the words noted since :meth:`start_learning`, and stop noting them."""
        learned, self._learned = self._learned or [], None
        return learned

    def forget(self) -> None:
        """Forget every word, the reserve's too."""
        self.clear()
        self._reserve = {}

    def learn(self, learned: list[tuple[str, WordForms]]) -> None:
        """Remember words another process worked out (its :meth:`take_learned`)."""
        for written, forms in learned:
            if written not in self:
                self._remember(written, forms)


# Look-ups are plain dict indexing (``WORD_FORMS[word]``): the analyzers' inner loops
# run once per token.
WORD_FORMS = _WordFormsCache()


def word_forms(written: str) -> WordForms:
    """Return a written word's normalised form and its stem.

    An empty normalised form means the word is dropped; the stem is ``None`` for a
    dropped word or a stop word. Answers are remembered per
    written form, so each distinct word in a corpus is normalised and stemmed once.
    """
    return WORD_FORMS[written]


def tokenize_words(text: str) -> list[str]:
    """Split text into the normalised words the exact analyzer would index."""
    return [normalize_word(word) for word in WORD_RE.findall(text)]
