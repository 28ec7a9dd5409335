"""Whoosh's private attributes the search reads, each behind a named function.

Checked against whoosh-reloaded 2.7.5 (:data:`indexer.codec.WHOOSH_VERSION`); the
start-up check refuses any other version, so a Whoosh release that renames one of
these fails with a clear message instead of changing searches silently.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
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


def segment_length_bytes(reader: IndexReader, field: str) -> npt.NDArray[np.uint8]:
    """Return ``reader.doc_field_length(docnum, field, 0)`` of every document of one
    segment at once, as the byte Whoosh keeps (``BYTE_LENGTHS`` decodes it): from its
    length column (``_<field>_len``, one byte a document, cut short after the last
    non-zero one) instead of a call per document."""
    count = reader.doc_count_all()
    perdoc = reader._perdoc  # a SegmentReader's W3PerDocReader
    name = f"_{field}_len"
    if not perdoc.has_column(name):
        return np.zeros(count, np.uint8)
    column_file, offset, length = perdoc._get_column_file(name)
    try:
        stored = np.frombuffer(column_file.get(offset, min(length, count)), np.uint8)
    finally:
        column_file.close()
    length_bytes = np.zeros(count, np.uint8)
    length_bytes[: len(stored)] = stored
    return length_bytes
