"""The analysis chain shared by indexing and querying.

Tokens keep the character offsets of the original text, so highlights mark
words exactly as written; normalisation happens per token, after tokenizing.

>>> [t.text for t in stemming_analyzer()("Daesh’s fighters LIBERATED Raqqa")]
['daesh', 'fighter', 'liber', 'raqqa']
>>> [t.text for t in exact_analyzer()("Da’esh’s fighters")]
["da'esh", 'fighters']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer
from whoosh.analysis import (
    Analyzer,
    Filter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.lang.stopwords import stoplists

# A word is a run of letters/digits, possibly joined by apostrophes (straight,
# curly or modifier letter) as in "Da’esh" or "That’d". Hyphens, slashes and
# dashes split words: "counter-terrorism" is two tokens, "ISIS/Da’esh" too.
WORD_PATTERN = r"\w+(?:['\u2018\u2019\u02bc\u2032]\w+)*"

APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'"})

# NLTK's stop-word corpus needs a download; Whoosh ships the same English list.
STOP_WORDS = frozenset(stoplists["en"])

_snowball = SnowballStemmer("english")


def snowball_stem(word: str) -> str:
    """Stem one normalised word with NLTK's Snowball (English) stemmer.

    Uncached: the analyzer's ``StemFilter`` wraps its own cache around it.
    """
    return str(_snowball.stem(word))


@lru_cache(maxsize=100_000)
def cached_stem(word: str) -> str:
    """Stem like :func:`snowball_stem`, remembering the answers (for highlighting)."""
    return snowball_stem(word)


@lru_cache(maxsize=200_000)
def normalize_word(text: str) -> str:
    """Fold one token to its comparable form: NFKC, straight apostrophes,
    lower case, no possessive 's, no accents.

    >>> normalize_word("Da’esh’s")
    "da'esh"
    >>> normalize_word("José")
    'jose'
    """
    text = unicodedata.normalize("NFKC", text).translate(APOSTROPHES).lower()
    if text.endswith("'s"):
        text = text[:-2]
    text = text.rstrip("'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class NormalizeFilter(Filter):
    """Apply :func:`normalize_word` to every token, dropping tokens left empty."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = normalize_word(token.text)
            if token.text:
                yield token


def stemming_analyzer() -> Analyzer:
    """Analyzer for matching any inflection: normalise, drop stop words, stem."""
    return (
        RegexTokenizer(WORD_PATTERN)
        | NormalizeFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | StemFilter(stemfn=snowball_stem, cachesize=100_000)
    )


def exact_analyzer() -> Analyzer:
    """Analyzer for words as written (normalised, not stemmed, stop words kept)."""
    return RegexTokenizer(WORD_PATTERN) | NormalizeFilter()


def tokenize_words(text: str) -> list[str]:
    """Split text into the normalised words the exact analyzer would index."""
    return [normalize_word(m.group()) for m in re.finditer(WORD_PATTERN, text)]
