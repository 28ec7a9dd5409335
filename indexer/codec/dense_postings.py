"""Common words' postings as plain arrays beside each segment, mapped instead of decoded.

Reading a postings list from Whoosh's blocks costs about 0.2 µs a posting (each
block's pickle holds the positions too): a word in 900,000 of a million releases
takes ~200 ms, on every search that misses the worker's postings cache. After a full
build writes a segment, the ids and weights of each word of a text field in at least
:data:`DENSE_FROM` of its releases are also written, as arrays, to the segment's
``.dps`` file (``MAIN_<segment id>.dps``, so Whoosh keeps it with its segment and
deletes it with it). A search maps that file and reads a common word's postings as
array views: no decoding, no private copy per worker.

The file: :data:`MAGIC`, each term's ids (int32) and weights (uint8 where every weight
is a whole number below 256, else float32), then a pickled directory
``{(field, term bytes): (ids offset, count, weights offset, weights dtype)}`` and its
offset as a little-endian uint64.
"""

from __future__ import annotations

import mmap
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import W3Segment
from whoosh.fields import Schema

from indexer.codec.layout import TERM_INFO
from indexer.codec.merge import POSTINGS_PLACE, RunParts, read_plainly, terms, terms_table
from indexer.codec.postings_reader import PostingsBlocks

# A word's postings in a segment are written as arrays when it is in at least this many
# of the segment's releases (decoding them from blocks would take ~1.6 ms and more).
DENSE_FROM = 8192
EXTENSION = ".dps"
MAGIC = b"RSDENSE1"
_DIRECTORY_OFFSET = struct.Struct("<Q")
_ALIGN = 8

DocIds = npt.NDArray[np.int32]
Directory = dict[tuple[str, bytes], tuple[int, int, int, str]]


def write_dense_postings(storage: Any, schema: Schema, segment: W3Segment) -> int:
    """Write the ``.dps`` file of a finished segment (no deletions); return its terms.

    The segment is read front to back with file reads, as a merge reads its runs: its
    terms table, then the postings of each common word in turn (not a memory map, which
    would count the gigabytes read as this process's memory).
    """
    parts = read_plainly(storage, segment)
    directory: Directory = {}
    try:
        table = terms_table(RunParts(parts, segment, 0))
        with storage.create_file(segment.make_filename(EXTENSION)) as out:
            position = _write(out, MAGIC)
            for fieldname, btext, _, info in terms(table, 0):
                inlined, _, frequency, *_ = TERM_INFO.unpack_from(info)
                if inlined or frequency < DENSE_FROM or not schema[fieldname].scorable:
                    continue  # words are searched in scored (text) fields
                raw = table.postings.get(*POSTINGS_PLACE.unpack_from(info, TERM_INFO.size))
                ids, weights, _ = PostingsBlocks.in_bytes(raw).read_all(with_values=False)
                stored = _compact(weights)
                ids_at = position
                position += _write(out, ids.astype("<i4").tobytes())
                weights_at = position
                position += _write(out, stored.tobytes())
                position += _write(out, bytes(-position % _ALIGN))
                directory[(fieldname, btext)] = (ids_at, len(ids), weights_at, stored.dtype.str)
            _write(out, pickle.dumps(directory, pickle.HIGHEST_PROTOCOL))
            _write(out, _DIRECTORY_OFFSET.pack(position))
    finally:
        parts.close()
    return len(directory)


def _write(out: Any, data: bytes) -> int:
    out.write(data)
    return len(data)


def _compact(weights: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
    """Return the weights as uint8 when that loses nothing (term counts, mostly), else float32."""
    as_bytes = weights.astype(np.uint8)
    if np.array_equal(as_bytes, weights):
        return as_bytes
    return weights.astype("<f4")


class DensePostings:
    """One segment's ``.dps`` file, mapped: common words' postings as array views."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as file:
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[: len(MAGIC)] != MAGIC:
            raise ValueError(f"{path}: not a dense postings file")
        (at,) = _DIRECTORY_OFFSET.unpack_from(self._map, len(self._map) - _DIRECTORY_OFFSET.size)
        self._directory: Directory = pickle.loads(self._map[at : len(self._map) - _DIRECTORY_OFFSET.size])

    @classmethod
    def of_segment(cls, folder: Path, segment: W3Segment) -> DensePostings | None:
        """Return the segment's dense postings in ``folder``, or None if it has none."""
        path = folder / segment.make_filename(EXTENSION)
        return cls(path) if path.is_file() else None

    def __len__(self) -> int:
        return len(self._directory)

    def postings(self, field: str, btext: bytes) -> tuple[DocIds, npt.NDArray[Any]] | None:
        """Return a word's (ids, weights) in the segment, deleted releases included; None
        if the word is not written here."""
        place = self._directory.get((field, btext))
        if place is None:
            return None
        ids_at, count, weights_at, dtype = place
        ids = np.frombuffer(self._map, "<i4", count, ids_at)
        return ids, np.frombuffer(self._map, dtype, count, weights_at)
