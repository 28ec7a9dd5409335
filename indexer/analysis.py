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
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.lang.stopwords import stoplists

# A word is a run of letters/digits, possibly joined by apostrophes (straight,
# curly or modifier letter) as in "Da’esh" or "That’d". Hyphens, slashes and
# dashes split words: "counter-terrorism" is two tokens, "ISIS/Da’esh" too.
WORD_PATTERN = r"\w+(?:['\u2018\u2019\u02bc\u2032]\w+)*"

WORD_RE = re.compile(WORD_PATTERN)
# Hyphen-minus, hyphen and non-breaking hyphen join the parts of a compound.
HYPHENS = frozenset("-\u2010\u2011")

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
    >>> normalize_word("Stabilisation")
    'stabilization'
    """
    text = unicodedata.normalize("NFKC", text).translate(APOSTROPHES).lower()
    if text.endswith("'s"):
        text = text[:-2]
    text = text.rstrip("'")
    if text.endswith(("isation", "isations")):
        # British and American spellings meet: "stabilisation" is "stabilization".
        text = text.replace("isation", "ization")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class CompoundTokenizer(Tokenizer):
    """Split text into words, keeping character offsets; for a hyphenated compound
    also index the joined word.

    "counter-terrorism" gives "counter", "terrorism" and, at the position of its
    last part, "counterterrorism", so that the query ``counterterrorism`` finds both
    spellings. At query time (``mode="query"``) no joined word is added: the query
    rewriter asks for both forms explicitly.

    >>> [t.text for t in CompoundTokenizer()("anti-ISIS counter-terrorism")]
    ['anti', 'ISIS', 'antiISIS', 'counter', 'terrorism', 'counterterrorism']
    """

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            yield self._fill(token, value, start_pos, start_char, start_char + len(value), keeporiginal)
            return
        position = start_pos
        run: list[re.Match[str]] = []
        for match in WORD_RE.finditer(value):
            joined = bool(run) and match.start() - run[-1].end() == 1 and value[run[-1].end()] in HYPHENS
            if not joined:
                if len(run) > 1 and mode != "query":
                    yield self._compound(token, run, position - 1, start_char, keeporiginal)
                run = []
            run.append(match)
            yield self._fill(
                token,
                match.group(),
                position,
                start_char + match.start(),
                start_char + match.end(),
                keeporiginal,
            )
            position += 1
        if len(run) > 1 and mode != "query":
            yield self._compound(token, run, position - 1, start_char, keeporiginal)

    def _compound(
        self, token: Token, run: list[re.Match[str]], position: int, start_char: int, keeporiginal: bool
    ) -> Token:
        text = "".join(match.group() for match in run)
        return self._fill(
            token, text, position, start_char + run[0].start(), start_char + run[-1].end(), keeporiginal
        )

    @staticmethod
    def _fill(token: Token, text: str, position: int, start: int, end: int, keeporiginal: bool) -> Token:
        token.text = text
        token.boost = 1.0
        token.stopped = False
        if keeporiginal:
            token.original = text
        if token.positions:
            token.pos = position
        if token.chars:
            token.startchar, token.endchar = start, end
        return token


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
        CompoundTokenizer()
        | NormalizeFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | StemFilter(stemfn=snowball_stem, cachesize=100_000)
    )


def exact_analyzer() -> Analyzer:
    """Analyzer for words as written (normalised, not stemmed, stop words kept)."""
    return CompoundTokenizer() | NormalizeFilter()


def tokenize_words(text: str) -> list[str]:
    """Split text into the normalised words the exact analyzer would index."""
    return [normalize_word(m.group()) for m in re.finditer(WORD_PATTERN, text)]
