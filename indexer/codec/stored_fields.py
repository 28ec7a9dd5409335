"""Stored fields read in bulk, for exports: Whoosh's stored-fields column read directly.

Whoosh's ``stored_fields(docnum)`` finds the segment, decompresses the release's pickled
fields with zlib and checks every field against the schema. Reading many releases, this
module goes straight to each segment's column of compressed pickles and decompresses them
with ISA-L (the same zlib format, about twice as fast), which is most of an export's cost.
"""

from __future__ import annotations

import pickle
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

from isal import isal_zlib
from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.columns import VarBytesColumn
from whoosh.reading import IndexReader

StoredFields = dict[str, Any]


def stored_documents(reader: IndexReader, docnums: Iterable[int]) -> Iterator[StoredFields]:
    """Yield the stored fields of each of ``docnums`` in turn (``{}`` for a release without any)."""
    leaves = list(reader.leaf_readers())
    offsets = [offset for _, offset in leaves]
    columns = [_compressed_column(segment) for segment, _ in leaves]
    raw_bytes = VarBytesColumn.Reader.__getitem__  # the compressed bytes, not decompressed
    for docnum in docnums:
        number = bisect_right(offsets, docnum) - 1
        raw = raw_bytes(columns[number], docnum - offsets[number])
        yield pickle.loads(isal_zlib.decompress(raw)) if raw else {}


def _compressed_column(segment: IndexReader) -> Any:
    """Return a segment's stored-fields column reader below its unpickling layer."""
    # W3PerDocReader._cached_reader("_stored", ...) is a PickleColumn.Reader around a
    # CompressedBytesColumn.Reader, kept as ``_child``.
    return segment._perdoc._cached_reader("_stored", STORED_COLUMN)._child
