"""The analysis chain shared by indexing and querying.

Tokens keep the character offsets of the original text, so highlights mark
words exactly as written; normalisation happens per token, after tokenizing.

:class:`WordAnalyzer` does in one step what the composable chains
(:func:`stemming_chain`, :func:`exact_chain`) do in four: it yields the same
tokens, looks each distinct written word up once (:func:`~indexer.words.word_forms`)
and, for indexing, maps a text straight to each word's positions.

>>> [t.text for t in stemming_analyzer()("Daesh’s fighters LIBERATED Raqqa")]
['daesh', 'fighter', 'liber', 'raqqa']
>>> [t.text for t in exact_analyzer()("Da’esh’s fighters")]
["da'esh", 'fighters']
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Analyzer, Filter, StemFilter, StopFilter, Token, Tokenizer

from indexer.words import (
    HYPHENS,
    STOP_WORDS,
    WORD_FORMS,
    WORD_PATTERN,
    WORD_RE,
    cached_stem,
    normalize_word,
    snowball_stem,
    tokenize_words,
)

__all__ = [
    "HYPHENS",
    "STOP_WORDS",
    "WORD_PATTERN",
    "WORD_RE",
    "CompoundTokenizer",
    "NormalizeFilter",
    "WordAnalyzer",
    "cached_stem",
    "exact_analyzer",
    "exact_chain",
    "normalize_word",
    "snowball_stem",
    "stemming_analyzer",
    "stemming_chain",
    "tokenize_words",
]

# The word pattern without backtracking (same matches, found faster), and a hyphen
# between two words: the only place a compound can start.
_WORD = r"\w++(?:['\u2018\u2019\u02bc\u2032]\w++)*+"
_HYPHEN = "[-\u2010\u2011]"
_RUN_RE = re.compile(rf"({_WORD})((?:{_HYPHEN}{_WORD})*+)")
_HYPHEN_RE = re.compile(_HYPHEN)
_JOIN_RE = re.compile(rf"\w{_HYPHEN}\w")

Positions = dict[str, list[int]]


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


def stemming_chain() -> Analyzer:
    """The composable form of :func:`stemming_analyzer`: normalise, drop stop words, stem.

    Indexes built before :class:`WordAnalyzer` hold this chain; tests use it as the reference.
    """
    return (
        CompoundTokenizer()
        | NormalizeFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | StemFilter(stemfn=snowball_stem, cachesize=100_000)
    )


def exact_chain() -> Analyzer:
    """The composable form of :func:`exact_analyzer`: normalise only."""
    return CompoundTokenizer() | NormalizeFilter()


_TOKENIZER = CompoundTokenizer()


class WordAnalyzer(Analyzer):
    """The stemming or exact chain in one step, with the same tokens.

    Stemming drops stop words and numbers the remaining tokens consecutively, as
    Whoosh's ``StopFilter`` does; ``no_morph=True`` skips only the stemming.
    The instance holds just ``stem``, so the pickled schema stays small.
    """

    def __init__(self, stem: bool) -> None:
        self.stem = stem

    def __repr__(self) -> str:
        return f"{type(self).__name__}(stem={self.stem})"

    def has_morph(self) -> bool:
        return self.stem

    def __call__(
        self, value: str, no_morph: bool = False, removestops: bool = True, **kwargs: Any
    ) -> Iterator[Token]:
        tokens = _TOKENIZER(value, removestops=removestops, **kwargs)
        if self.stem:
            return _stemmed(tokens, removestops, no_morph)
        return _exact(tokens)

    def word_positions(self, value: str) -> Positions:
        """Return each indexed word of ``value`` with its token positions (index mode)."""
        written, positions = _written_words(value)
        forms = WORD_FORMS
        found: defaultdict[str, list[int]] = defaultdict(list)
        if self.stem:
            # Stop words are dropped; the kept tokens are numbered on from the first one.
            stems = [forms[word][1] for word in written]
            kept = [stem for stem in stems if stem is not None]
            if kept:
                first = positions[next(i for i, stem in enumerate(stems) if stem is not None)]
                for number, stem in enumerate(kept, first):
                    found[stem].append(number)
        else:
            for word, position in zip(written, positions, strict=True):
                exact = forms[word][0]
                if exact:
                    found[exact].append(position)
        return found


def _exact(tokens: Iterator[Token]) -> Iterator[Token]:
    for token in tokens:
        token.text = WORD_FORMS[token.text][0]
        if token.text:
            yield token


def _stemmed(tokens: Iterator[Token], removestops: bool, no_morph: bool) -> Iterator[Token]:
    position = None
    for token in tokens:
        exact, stem = WORD_FORMS[token.text]
        if not exact:
            continue
        if stem is None:
            if removestops:
                continue
            token.text, token.stopped = exact, True
        else:
            token.text = exact if no_morph else stem
            if token.positions:
                position = token.pos if position is None else position + 1
                token.pos = position
        yield token


_last_scan: tuple[str, tuple[list[str], range | list[int]]] = ("", ([], range(0)))


def _written_words(text: str) -> tuple[list[str], range | list[int]]:
    """Return the written words of ``text`` in token order, with their positions.

    A compound's joined word follows its parts, at the position of the last part.
    The last answer is kept: a document passes the same text to two fields
    (``body`` and ``body_exact``).
    """
    global _last_scan
    last_text, last_words = _last_scan
    if text == last_text:
        return last_words
    if not _JOIN_RE.search(text):
        words = WORD_RE.findall(text)
        scanned: tuple[list[str], range | list[int]] = (words, range(len(words)))
    else:
        scanned = _scan_compounds(text)
    _last_scan = (text, scanned)
    return scanned


def _scan_compounds(text: str) -> tuple[list[str], list[int]]:
    words: list[str] = []
    positions: list[int] = []
    position = 0
    for first, rest in _RUN_RE.findall(text):
        if not rest:
            words.append(first)
            positions.append(position)
            position += 1
            continue
        parts = _HYPHEN_RE.split(rest)
        parts[0] = first
        words += parts
        positions += range(position, position + len(parts))
        position += len(parts)
        words.append("".join(parts))
        positions.append(position - 1)
    return words, positions


def stemming_analyzer() -> Analyzer:
    """Analyzer for matching any inflection: normalise, drop stop words, stem."""
    return WordAnalyzer(stem=True)


def exact_analyzer() -> Analyzer:
    """Analyzer for words as written (normalised, not stemmed, stop words kept)."""
    return WordAnalyzer(stem=False)
