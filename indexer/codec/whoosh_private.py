"""Whoosh's private attributes the search reads, each behind a named function.

Checked against whoosh-reloaded 2.7.5 (:data:`indexer.codec.WHOOSH_VERSION`); the
start-up check refuses any other version, so a Whoosh release that renames one of
these fails with a clear message instead of changing searches silently.
"""

from __future__ import annotations

from collections.abc import Iterable

from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F


def bm25f_field_b(weighting: BM25F) -> dict[str, float]:
    """Return BM25F's per-field ``B`` settings (``BM25F(title_B=...)``), kept in ``_field_B``."""
    return dict(weighting._field_B)


def whoosh_expansions(node: wq.Query, reader: IndexReader) -> Iterable[str | bytes]:
    """Return the index words Whoosh's own matching finds for a wildcard, prefix or fuzzy
    word (``_btexts``: stable across Whoosh 2.7.x)."""
    words: Iterable[str | bytes] = node._btexts(reader)
    return words
