"""Term ids: every term (normalised word or stem) a process indexes, numbered once.

Text fields' tokens become arrays of term ids (:class:`WrittenIds` maps each written word
to its exact and stemmed term ids), so postings are grouped with NumPy and a term's text
is looked up only once per field (:func:`term_text`).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import NamedTuple
from weakref import WeakValueDictionary

import numpy as np
import numpy.typing as npt

_TERMS: list[str] = []
_TERM_NUMBERS: dict[str, int] = {}


def term_text(term_id: int) -> str:
    """Return the term (normalised word or stem) numbered ``term_id``."""
    return _TERMS[term_id]


def term_id(term: str) -> int:
    """Return the number of ``term``, numbering it if it is new."""
    number = _TERM_NUMBERS.get(term)
    if number is None:
        number = _TERM_NUMBERS[term] = len(_TERMS)
        _TERMS.append(term)
    return number


class WrittenIds(dict[str, int]):
    """Written word -> its number, with the term id of each written word (by number) in
    the exact and in the stemmed field (-1: the field drops the word).

    It grows with the vocabulary a process indexes, as :data:`_TERMS` does, until
    :func:`forget_terms` (numbers must stay valid while texts are scanned and their
    postings written).
    """

    def __init__(self, forms: Mapping[str, tuple[str, str | None]]) -> None:
        super().__init__()
        self.forms = forms
        self.exact = np.empty(0, np.int32)
        self.stem = np.empty(0, np.int32)
        _WRITTEN_IDS[id(self)] = self

    def forget(self) -> None:
        """Forget every written word numbered so far."""
        self.clear()
        self.exact = np.empty(0, np.int32)
        self.stem = np.empty(0, np.int32)

    def adopt(self, words: list[str], exact: npt.NDArray[np.int32], stem: npt.NDArray[np.int32]) -> None:
        """Number ``words`` next, with the given term ids (see :func:`adopt_numbering`)."""
        start = len(self)
        self.update(zip(words, range(start, start + len(words)), strict=True))
        self.exact = np.concatenate((self.exact[:start], exact))
        self.stem = np.concatenate((self.stem[:start], stem))

    def __missing__(self, written: str) -> int:
        exact, stem = self.forms[written]
        number = len(self)
        if number == len(self.exact):  # grow the tables by doubling
            size = max(1024, 2 * number)
            self.exact = np.resize(self.exact, size)
            self.stem = np.resize(self.stem, size)
        self.exact[number] = term_id(exact) if exact else -1
        self.stem[number] = -1 if stem is None else term_id(stem)
        self[written] = number
        return number


# Every WrittenIds alive (they are not hashable: dicts), by id.
_WRITTEN_IDS: WeakValueDictionary[int, WrittenIds] = WeakValueDictionary()


def terms_numbered() -> int:
    """Return how many terms are numbered (and remembered) so far."""
    return len(_TERMS)


def forget_terms() -> None:
    """Forget every term and written word numbered so far, so that memory stays bounded
    over a long build: only when no postings made of their ids are left to write."""
    _TERMS.clear()
    _TERM_NUMBERS.clear()
    for written in list(_WRITTEN_IDS.values()):
        written.forget()


# How many terms, and written words in each WrittenIds (by id), were numbered at a point.
NumberingMark = tuple[int, dict[int, int]]


class Numbering(NamedTuple):
    """Terms and written words a process numbered after a point (:func:`numbering_mark`):
    what it started from, and what it added."""

    terms_from: int
    terms: list[str]
    # For each WrittenIds (by id): how many words it had, the words added and their term ids.
    written: dict[int, tuple[int, list[str], npt.NDArray[np.int32], npt.NDArray[np.int32]]]


def numbering_mark() -> NumberingMark:
    """Return how many terms and written words are numbered so far."""
    return len(_TERMS), {key: len(written) for key, written in _WRITTEN_IDS.items()}


def numbered_since(mark: NumberingMark) -> Numbering:
    """Return what was numbered after ``mark`` (in a forked writer: to hand back), in the
    written words' tables there were then."""
    terms_from, words_from = mark
    written = {}
    for key, start in words_from.items():
        table = _WRITTEN_IDS.get(key)
        if table is not None and len(table) > start:
            words = list(islice(table, start, None))
            written[key] = (start, words, table.exact[start : len(table)], table.stem[start : len(table)])
    return Numbering(terms_from, _TERMS[terms_from:], written)


def adopt_numbering(numbering: Numbering) -> None:
    """Number terms and written words as a forked writer did, if nothing was numbered here
    since it was forked (its numbers then mean the same here)."""
    if numbering.terms_from != len(_TERMS) or any(
        key not in _WRITTEN_IDS or len(_WRITTEN_IDS[key]) != start
        for key, (start, _, _, _) in numbering.written.items()
    ):
        return
    first = len(_TERMS)
    _TERM_NUMBERS.update(zip(numbering.terms, range(first, first + len(numbering.terms)), strict=True))
    _TERMS.extend(numbering.terms)
    for key, (_, words, exact, stem) in numbering.written.items():
        _WRITTEN_IDS[key].adopt(words, exact, stem)
