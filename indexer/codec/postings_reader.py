"""Whoosh's W3 postings lists, read a block at a time in bulk.

A postings list is a run of blocks, each::

    length   int32, big-endian; negative on the list's last block
    info     pickled (postings, last id, max weight, compression, min length, max length)
    data     pickled (id gaps, weights, values); zlib's format when compression is set

Whoosh's ``W3LeafMatcher`` reads each info tuple with a score of small file reads and
turns id gaps into ids in a Python generator. Here a block costs two ``pickle.loads``
and the ids of all blocks are added up at once with NumPy. Positions are decoded for
many postings in one ``pickle.loads`` as well (:func:`position_gaps`).
"""

from __future__ import annotations

import io
import pickle
import struct
from bisect import bisect_left, bisect_right
from itertools import accumulate, repeat
from typing import Any

import numpy as np
import numpy.typing as npt
from isal import isal_zlib
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.system import _INT_SIZE

DocIds = npt.NDArray[np.int32]

_LENGTH = struct.Struct("!i")
# Longer than any pickled info tuple (six numbers): read with the block length in one go.
_INFO_BYTES = 64
# Whoosh's ``Positions`` value: a count, then the gaps pickled with protocol 2 as a list.
_GAPS_START = b"\x80\x02]"


class PostingsBlocks:
    """The blocks of one word's postings in one segment: infos read up front, data on demand."""

    def __init__(self, matcher: W3LeafMatcher) -> None:
        self._file = matcher._postfile
        ranges: list[tuple[int, int, int]] = []
        last_ids: list[int] = []
        counts: list[int] = []
        position = matcher._baseoffset
        while True:
            head = self._file.get(position, _INT_SIZE + _INFO_BYTES)
            (length,) = _LENGTH.unpack_from(head)
            stream = io.BytesIO(head)
            stream.seek(_INT_SIZE)
            count, last_id, _, compression, _, _ = pickle.Unpickler(stream).load()
            end = position + _INT_SIZE + abs(length)
            ranges.append((position + stream.tell(), end, compression))
            last_ids.append(last_id)
            counts.append(count)
            if length < 0:
                break
            position = end
        self._ranges = ranges
        self.last_ids = np.asarray(last_ids, np.int64)
        self.counts = counts

    def data(self, block: int) -> tuple[Any, Any, Any]:
        """Return a block's (id gaps, weights, values) as Whoosh pickled them."""
        start, end, compression = self._ranges[block]
        raw = self._file.get(start, end - start)
        # ISA-L inflates zlib's format in about 60% of zlib's time (13 against 21 µs a block).
        data: tuple[Any, Any, Any] = pickle.loads(isal_zlib.decompress(raw) if compression else raw)
        return data

    def read_all(self, with_values: bool) -> tuple[DocIds, npt.NDArray[np.float64], list[bytes]]:
        """Return every posting's id and weight, and (``with_values``) its value."""
        gaps: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        for block, count in enumerate(self.counts):
            block_gaps, block_weights, block_values = self.data(block)
            gaps.extend(block_gaps)
            if block_weights is None:
                weights.extend(repeat(1.0, count))
            elif isinstance(block_weights, float):
                weights.extend(repeat(block_weights, count))
            else:
                weights.extend(block_weights)
            if with_values:
                values.extend(_values(block_values, count))
        return _ids(gaps, self.counts, self.last_ids), np.asarray(weights, np.float64), values

    def values_at(self, docs: npt.NDArray[np.int64]) -> tuple[DocIds, list[bytes]]:
        """Return those of the sorted ``docs`` that hold the word, with their values,
        decoding only the blocks that may hold them."""
        found: list[int] = []
        values: list[bytes] = []
        blocks = np.searchsorted(self.last_ids, docs)  # the first block whose last id is >= doc
        inside = blocks < len(self.counts)
        wanted, blocks = docs[inside].tolist(), blocks[inside].tolist()
        # A page's worth of releases, a few per block: plain Python beats NumPy's call costs.
        start = 0
        while start < len(wanted):
            block = blocks[start]
            end = bisect_right(blocks, block, start)
            block_gaps, _, block_values = self.data(block)
            ids = list(accumulate(block_gaps))
            block_list: list[bytes] | None = None
            for doc in wanted[start:end]:
                at = bisect_left(ids, doc)
                if at < len(ids) and ids[at] == doc:
                    if block_list is None:
                        block_list = _values(block_values, self.counts[block])
                    found.append(doc)
                    values.append(block_list[at])
            start = end
        return np.asarray(found, np.int32), values


def _values(block_values: Any, count: int) -> list[bytes]:
    # Variable-size values are a tuple of bytes; a format without values stores None.
    return list(block_values) if block_values is not None else [b""] * count


def _ids(gaps: list[int], counts: list[int], last_ids: npt.NDArray[np.int64]) -> DocIds:
    """Add up id gaps for all blocks at once: each block's first gap counts from 0, so it
    becomes a gap from the previous block's last id."""
    flat = np.asarray(gaps, np.int64)
    if len(counts) > 1:
        starts = np.cumsum(counts[:-1])
        flat[starts] -= last_ids[:-1]
    return np.cumsum(flat).astype(np.int32)


def position_gaps(values: list[bytes]) -> list[list[int]]:
    """Decode many Whoosh ``Positions`` values to their position gaps with one ``pickle.loads``.

    Each value's pickled list (after its count and protocol mark) is spliced into one
    pickled list of lists; values of any other shape are decoded one by one.
    """
    if not all(value[_INT_SIZE : _INT_SIZE + 3] == _GAPS_START for value in values):
        return [_gaps_of(value) for value in values]
    body = b"".join(
        value[_INT_SIZE + 2 : -1] if value.endswith(b".") else value[_INT_SIZE + 2 :] for value in values
    )
    decoded: list[list[int]] = pickle.loads(b"\x80\x02](" + body + b"e.")
    if len(decoded) != len(values):  # not the expected shape after all
        return [_gaps_of(value) for value in values]
    return decoded


def _gaps_of(value: bytes) -> list[int]:
    gaps: list[int] = pickle.loads(value[_INT_SIZE:] if value.endswith(b".") else value[_INT_SIZE:] + b".")
    return gaps
