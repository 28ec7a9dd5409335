"""Common words' postings as plain arrays beside each segment, mapped instead of decoded.

Reading a postings list from Whoosh's blocks costs about 0.2 µs a posting (each
block's pickle holds the positions too): a word in 900,000 of a million releases
takes ~200 ms, on every search that misses the worker's postings cache. So a full
build's segments also hold the ids and weights of each word of a text field in at
least :data:`DENSE_FROM` of their releases as arrays, in the segment's ``.dps`` file
(``MAIN_<segment id>.dps``, so Whoosh keeps it with its segment and deletes it with
it). A search maps that file and reads a common word's postings as array views: no
decoding, no private copy per worker.

They are written from the arrays the build has anyway: each writer writes the words in
at least :func:`run_dense_from` of a run's releases (:class:`DenseWriter`), and a
merge of runs (:mod:`indexer.codec.merge`) joins the runs' arrays of each word common
enough in the merged segment, decoding the blocks only of runs where the word was rare.

Words of the fields searched for phrases (the exact fields) have their positions
written too: a phrase of common words is then matched from arrays, not from positions
decoded out of every block (up to seconds at a million releases).

The file: :data:`MAGIC`, each term's ids (int32) and weights (uint8 where every weight
is a whole number below 256, else float32), with positions also each posting's number
of positions and the positions (each in the narrowest of uint8, uint16, int32), then a
pickled directory ``{(field, term bytes): place}`` (see :data:`Place`) and its offset
as a little-endian uint64.
"""

from __future__ import annotations

import mmap
import pickle
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import W3Segment

# A word's postings in a segment are written as arrays when it is in at least this many
# of the segment's releases (decoding them from blocks would take ~1.6 ms and more).
DENSE_FROM = 8192
# A build's writers write the postings of each word in at least this many of a run's
# releases as arrays, which merges then join (words below it are decoded from blocks).
RUN_DENSE_FROM = 128
EXTENSION = ".dps"
MAGIC = b"RSDENSE1"
_DIRECTORY_OFFSET = struct.Struct("<Q")
_ALIGN = 8

DocIds = npt.NDArray[np.int32]
# (field, term) -> where its arrays lie: ids offset, postings, weights offset and dtype;
# with positions, also the counts' offset and dtype, the positions' offset and dtype,
# and how many positions there are.
Place = tuple[Any, ...]
Directory = dict[tuple[str, bytes], Place]
# A word's numbers of positions (one per posting) and its positions, posting after posting.
Positions = tuple[npt.NDArray[Any], npt.NDArray[Any]]
# Reads ``count`` items of ``dtype`` from an offset of the file.
_Read = Callable[[int, str, int], npt.NDArray[Any]]


def dense_from() -> int:
    """Return the fewest releases a word of a merged segment is in to get dense postings."""
    return DENSE_FROM


def run_dense_from() -> int:
    """Return the fewest releases a word of a run is in to get dense postings there."""
    return min(RUN_DENSE_FROM, DENSE_FROM)


class DenseWriter:
    """Write a segment's ``.dps`` file, word after word.

    It is written under a name of its own and moved into place by :meth:`finish`, once
    the segment's compound file is assembled (which takes in every file named as the
    segment's parts are)."""

    def __init__(self, storage: Any, segment: W3Segment) -> None:
        self._storage, self._segment = storage, segment
        self._name = f"{segment.segment_id()}-dense.part"
        self._out = storage.create_file(self._name)
        self._position = 0
        self._write(MAGIC)
        self._directory: Directory = {}

    def add(
        self,
        field: str,
        btext: bytes,
        ids: npt.NDArray[Any],
        weights: npt.NDArray[Any],
        positions: Positions | None = None,
    ) -> None:
        """Add a word's postings: ids in order, Whoosh's weights (32-bit floats) and, for a
        field searched for phrases, each posting's positions."""
        stored = _compact(weights)
        ids_at = self._write(ids.astype("<i4", copy=False).tobytes())
        weights_at = self._write(stored.tobytes())
        place: Place = (ids_at, len(ids), weights_at, stored.dtype.str)
        if positions is not None:
            counts, flat = _smallest(positions[0]), _smallest(positions[1])
            counts_at = self._write(counts.tobytes())
            place += (counts_at, counts.dtype.str, self._write(flat.tobytes()), flat.dtype.str, len(flat))
        self._write(bytes(-self._position % _ALIGN))
        self._directory[(field, btext)] = place

    def finish(self) -> None:
        """Write the directory and move the file into place."""
        at = self._position
        self._write(pickle.dumps(self._directory, pickle.HIGHEST_PROTOCOL))
        self._write(_DIRECTORY_OFFSET.pack(at))
        self._out.close()
        self._storage.rename_file(self._name, self._segment.make_filename(EXTENSION))

    def cancel(self) -> None:
        """Give the file up."""
        if not self._out.is_closed:
            self._out.close()
        self._storage.delete_file(self._name)

    def _write(self, data: bytes) -> int:
        """Write ``data``; return where it starts."""
        at = self._position
        self._out.write(data)
        self._position += len(data)
        return at


class _DenseFile:
    """A ``.dps`` file's directory, and its words' arrays as :meth:`read_array` reads them."""

    directory: Directory

    def read_array(self, offset: int, dtype: str, count: int) -> npt.NDArray[Any]:
        """Return ``count`` items of ``dtype`` from ``offset`` of the file."""
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.directory)

    def postings(self, field: str, btext: bytes) -> tuple[DocIds, npt.NDArray[Any]] | None:
        """Return a word's (ids, weights), deleted releases included; None if the word is not
        written here."""
        place = self.directory.get((field, btext))
        return None if place is None else _postings(place, self.read_array)

    def positions(self, field: str, btext: bytes) -> Positions | None:
        """Return a word's numbers of positions (one per posting, as :meth:`postings` lists
        them) and its positions, posting after posting; None if not written here (a word
        of a field not searched for phrases, or not common enough)."""
        place = self.directory.get((field, btext))
        return None if place is None else _positions(place, self.read_array)


class DenseRun(_DenseFile):
    """A run's ``.dps`` file, read with plain file reads (as a merge reads runs: not a memory
    map, which would count what it reads as the merging process's memory)."""

    def __init__(self, storage: Any, segment: W3Segment) -> None:
        self._file = storage.open_file(segment.make_filename(EXTENSION))
        size = storage.file_length(segment.make_filename(EXTENSION))
        self._file.seek(size - _DIRECTORY_OFFSET.size)
        (at,) = _DIRECTORY_OFFSET.unpack(self._file.read(_DIRECTORY_OFFSET.size))
        self._file.seek(at)
        self.directory = pickle.loads(self._file.read(size - _DIRECTORY_OFFSET.size - at))

    @classmethod
    def of_segment(cls, storage: Any, segment: W3Segment) -> DenseRun | None:
        """Return the run's dense postings, or None if it has none."""
        exists = storage.file_exists(segment.make_filename(EXTENSION))
        return cls(storage, segment) if exists else None

    def read_array(self, offset: int, dtype: str, count: int) -> npt.NDArray[Any]:
        self._file.seek(offset)
        return np.frombuffer(self._file.read(np.dtype(dtype).itemsize * count), dtype)

    def close(self) -> None:
        self._file.close()


def keep_common_words(storage: Any, segment: W3Segment) -> None:
    """Rewrite a run's ``.dps`` file, which became a segment of the index as it is, keeping
    only the words in at least :data:`DENSE_FROM` of its releases."""
    run = DenseRun.of_segment(storage, segment)
    if run is None:
        return
    writer = DenseWriter(storage, segment)
    try:
        for (field, btext), place in sorted(run.directory.items()):
            if place[1] >= dense_from():
                writer.add(field, btext, *_postings(place, run.read_array), _positions(place, run.read_array))
    except BaseException:
        writer.cancel()
        raise
    finally:
        run.close()
    writer.finish()


def _postings(place: Place, read: _Read) -> tuple[DocIds, npt.NDArray[Any]]:
    ids_at, count, weights_at, dtype = place[:4]
    return read(ids_at, "<i4", count), read(weights_at, dtype, count)


def _positions(place: Place, read: _Read) -> Positions | None:
    if len(place) == 4:
        return None
    count, (counts_at, counts_dtype, positions_at, positions_dtype, total) = place[1], place[4:]
    return read(counts_at, counts_dtype, count), read(positions_at, positions_dtype, total)


def _smallest(numbers: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return whole numbers (0 or more) in the narrowest of uint8, uint16 and int32 that holds them."""
    top = int(numbers.max()) if len(numbers) else 0
    dtype = "<u1" if top < 1 << 8 else "<u2" if top < 1 << 16 else "<i4"
    return numbers.astype(dtype, copy=False)


def _compact(weights: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
    """Return the weights as uint8 when that loses nothing (term counts, mostly), else float32."""
    as_bytes = weights.astype(np.uint8)
    if np.array_equal(as_bytes, weights):
        return as_bytes
    return weights.astype("<f4")


class DensePostings(_DenseFile):
    """One segment's ``.dps`` file, mapped: common words' postings as array views."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as file:
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[: len(MAGIC)] != MAGIC:
            raise ValueError(f"{path}: not a dense postings file")
        (at,) = _DIRECTORY_OFFSET.unpack_from(self._map, len(self._map) - _DIRECTORY_OFFSET.size)
        self.directory = pickle.loads(self._map[at : len(self._map) - _DIRECTORY_OFFSET.size])

    @classmethod
    def of_segment(cls, folder: Path, segment: W3Segment) -> DensePostings | None:
        """Return the segment's dense postings in ``folder``, or None if it has none."""
        path = folder / segment.make_filename(EXTENSION)
        return cls(path) if path.is_file() else None

    def read_array(self, offset: int, dtype: str, count: int) -> npt.NDArray[Any]:
        return np.frombuffer(self._map, dtype, count, offset)
