"""The analysis chain shared by indexing and querying.

Tokens keep the character offsets of the original text, so highlights mark
words exactly as written; normalisation happens per token, after tokenizing.

:class:`WordAnalyzer` does in one step what the composable chains
(:func:`stemming_chain`, :func:`exact_chain`) do in four: it yields the same
tokens, looks each distinct written word up once (:func:`~indexer.words.word_forms`)
and, for indexing, maps a text straight to term ids and positions
(:meth:`WordAnalyzer.word_tokens`), which :func:`indexer.codec.postings.group_postings` turns
into Whoosh's postings with NumPy, many documents at a time: no Python code runs per token.

>>> [t.text for t in stemming_analyzer()("Daesh’s fighters LIBERATED Raqqa")]
['daesh', 'fighter', 'liber', 'raqqa']
>>> [t.text for t in exact_analyzer()("Da’esh’s fighters")]
["da'esh", 'fighters']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from whoosh.analysis import Analyzer, Filter, StemFilter, StopFilter, Token, Tokenizer

from indexer.codec.postings import Numbers, TermIds
from indexer.term_ids import WrittenIds, forget_terms, term_text, terms_numbered
from indexer.word_shapes import FAST_WORD_PATTERN, HYPHEN_CLASS, HYPHENS
from indexer.words import (
    STOP_WORDS,
    WORD_FORMS,
    WORD_RE,
    cached_stem,
    normalize_word,
    snowball_stem,
    tokenize_words,
)

__all__ = [
    "STOP_WORDS",
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
    "term_text",
    "tokenize_words",
]

# The word pattern without backtracking (same matches, found faster), and a hyphen
# between two words: the only place a compound can start.
_WORD_RE = re.compile(FAST_WORD_PATTERN)
# A hyphen between two word characters joins the words on either side (the search
# looks for hyphens first, so it is fast).
_JOIN_RE = re.compile(rf"{HYPHEN_CLASS}(?<=\w{HYPHEN_CLASS})(?=\w)")


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

    # Languages other than English split words with marks inside (indexer.word_shapes).
    word_re: re.Pattern[str] = WORD_RE

    def __init__(self, word_re: re.Pattern[str] | None = None) -> None:
        if word_re is not None:
            self.word_re = word_re

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
        for match in self.word_re.finditer(value):
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


class WordTables(NamedTuple):
    """What analysing one language's words needs: the tokenizer, the word pattern
    without backtracking, each written word's forms, and their term ids."""

    tokenizer: CompoundTokenizer
    word_re: re.Pattern[str]
    forms: Mapping[str, tuple[str, str | None]]
    written_ids: WrittenIds


class WordAnalyzer(Analyzer):
    """The stemming or exact chain in one step, with the same tokens.

    Stemming drops stop words and numbers the remaining tokens consecutively, as
    Whoosh's ``StopFilter`` does; ``no_morph=True`` skips only the stemming.
    The instance holds just ``stem``, so the pickled schema stays small.
    English here; indexer.language_analysis gives the other languages their tables.
    """

    def __init__(self, stem: bool) -> None:
        self.stem = stem

    def __repr__(self) -> str:
        return f"{type(self).__name__}(stem={self.stem})"

    def has_morph(self) -> bool:
        return self.stem

    def tables(self) -> WordTables:
        """Return the tokenizer, word pattern and word tables this analyzer uses."""
        return _ENGLISH

    def __call__(
        self, value: str, no_morph: bool = False, removestops: bool = True, **kwargs: Any
    ) -> Iterator[Token]:
        tables = self.tables()
        tokens = tables.tokenizer(value, removestops=removestops, **kwargs)
        if self.stem:
            return _stemmed(tokens, tables.forms, removestops, no_morph)
        return _exact(tokens, tables.forms)

    def word_tokens(self, value: str) -> tuple[TermIds, Numbers]:
        """Return the term id and position of each indexed token of ``value`` (index
        mode), in token order; :func:`group_postings` makes postings of them."""
        scan = _written_words(value, self.tables())
        ids = scan.stem_ids() if self.stem else scan.exact_ids()
        positions = scan.positions
        kept = ids >= 0
        if self.stem:
            # Stop words are dropped; the kept tokens (joined words too) are numbered
            # on from the first one.
            first = int(positions[int(np.argmax(kept))]) if len(ids) else 0
            ids = ids if kept.all() else ids[kept]
            return ids, np.arange(first, first + len(ids), dtype=np.int32)
        if kept.all():
            return ids, positions
        return ids[kept], positions[kept]


def _exact(tokens: Iterator[Token], forms: Mapping[str, tuple[str, str | None]]) -> Iterator[Token]:
    for token in tokens:
        token.text = forms[token.text][0]
        if token.text:
            yield token


def _stemmed(
    tokens: Iterator[Token], forms: Mapping[str, tuple[str, str | None]], removestops: bool, no_morph: bool
) -> Iterator[Token]:
    position = None
    for token in tokens:
        exact, stem = forms[token.text]
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


class _Scan:
    """The written words of a text, numbered once (see :data:`_WRITTEN_IDS`) for both
    its fields, in token order, with their positions."""

    __slots__ = ("_exact", "_stem", "_written", "positions", "written_ids")

    def __init__(
        self,
        written: WrittenIds,
        words: list[str],
        positions: Numbers,
        order: npt.NDArray[np.intp] | None,
    ) -> None:
        # Joined words come after all others in ``words``: ``order`` puts them in place.
        self._written = written
        ids = np.fromiter(map(written.__getitem__, words), np.int32, len(words))
        self.written_ids = ids if order is None else ids[order]
        self.positions = positions if order is None else positions[order]
        self._exact: TermIds | None = None
        self._stem: TermIds | None = None

    def exact_ids(self) -> TermIds:
        """Each token's term id in the exact field (-1: not indexed)."""
        if self._exact is None:
            self._exact = self._written.exact[self.written_ids]
        return self._exact

    def stem_ids(self) -> TermIds:
        """Each token's term id in the stemmed field (-1: not indexed)."""
        if self._stem is None:
            self._stem = self._written.stem[self.written_ids]
        return self._stem


_last_scan: tuple[str, WrittenIds | None, _Scan | None] = ("", None, None)


# Terms a build's process keeps numbered between two windows, at most (about 350 bytes
# each with their written forms): a corpus's vocabulary grows without end.
TERMS_KEPT = 500_000


def forget_written_words() -> None:
    """Forget every word's term ids (:func:`~indexer.term_ids.forget_terms`) and the last
    text scanned if more than :data:`TERMS_KEPT` terms are numbered: between two windows
    of a long build, where no postings are held."""
    if terms_numbered() > TERMS_KEPT:
        _forget_term_ids()


def forget_words() -> None:
    """Forget every word's forms, stem and term ids: once a build's writers are done, its
    memory goes back before the merges fork."""
    _forget_term_ids()
    WORD_FORMS.forget()
    cached_stem.cache_clear()
    normalize_word.cache_clear()


def _forget_term_ids() -> None:
    global _last_scan
    forget_terms()
    _last_scan = ("", None, None)  # its term ids are gone


def _written_words(text: str, tables: WordTables) -> _Scan:
    """Return the written words of ``text`` in token order, with their positions.

    A compound's joined word follows its parts, at the position of the last part.
    The last answer is kept: a document passes the same text to two fields
    (``body`` and ``body_exact``).
    """
    global _last_scan
    last_text, last_written, last_scan = _last_scan
    if text == last_text and last_written is tables.written_ids and last_scan is not None:
        return last_scan
    joins = [join.start() for join in _JOIN_RE.finditer(text)]
    if joins:
        scan = _scan_compounds(text, joins, tables)
    else:
        words = tables.word_re.findall(text)
        scan = _Scan(tables.written_ids, words, np.arange(len(words), dtype=np.int32), None)
    _last_scan = (text, tables.written_ids, scan)
    return scan


def _scan_compounds(text: str, joins: list[int], tables: WordTables) -> _Scan:
    # The words between joining hyphens are found by the regex engine, one call per
    # stretch; each hyphen joins the last word before it and the next.
    words: list[str] = []
    lefts: list[int] = []  # the index of the word before each joining hyphen
    start = 0
    for hyphen in joins:
        words += tables.word_re.findall(text, start, hyphen)
        lefts.append(len(words) - 1)
        start = hyphen + 1
    words += tables.word_re.findall(text, start)
    # A compound is a run of words joined one to the next.
    joined: list[str] = []
    joined_at: list[int] = []  # the index (and position) of each compound's last part
    first = last = lefts[0]
    for left in [*lefts[1:], -1]:
        if left == last + 1:
            last = left
            continue
        joined.append("".join(words[first : last + 2]))
        joined_at.append(last + 1)
        first = last = left
    positions = np.concatenate((np.arange(len(words), dtype=np.int32), np.array(joined_at, np.int32)))
    # Stable: a joined word follows its last part, which has the same position.
    return _Scan(tables.written_ids, words + joined, positions, np.argsort(positions, kind="stable"))


# Written words to term ids (indexer.term_ids), looked up once per token with ``map``
# (no Python code per token once a word is known).
_WRITTEN_IDS = WrittenIds(WORD_FORMS)
_ENGLISH = WordTables(_TOKENIZER, _WORD_RE, WORD_FORMS, _WRITTEN_IDS)


def word_tables(word_pattern: str, forms: Mapping[str, tuple[str, str | None]]) -> WordTables:
    """Return new tables for words matching ``word_pattern`` with the given forms."""
    word_re = re.compile(word_pattern)
    return WordTables(CompoundTokenizer(word_re), word_re, forms, WrittenIds(forms))


def stemming_analyzer() -> Analyzer:
    """Analyzer for matching any inflection: normalise, drop stop words, stem."""
    return WordAnalyzer(stem=True)


def exact_analyzer() -> Analyzer:
    """Analyzer for words as written (normalised, not stemmed, stop words kept)."""
    return WordAnalyzer(stem=False)
