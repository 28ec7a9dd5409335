"""Whoosh's W3 postings lists, read a block at a time in bulk.

Whoosh's ``W3LeafMatcher`` reads each block info with a score of small file reads and
turns id gaps into ids in a Python generator. Here a block costs two ``pickle.loads``
and the ids of all blocks are added up at once with NumPy. The block layout is
:mod:`indexer.codec.layout`'s, which the writer uses too.

:func:`read_postings` and :func:`values_for` take any Whoosh postings matcher; they read
a leaf matcher's file and offset and a filter matcher's deleted ids, private attributes
checked against whoosh-reloaded 2.7.5 (:data:`indexer.codec.WHOOSH_VERSION`).
"""

from __future__ import annotations

import weakref
from bisect import bisect_left, bisect_right
from itertools import accumulate, repeat
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher

from indexer.codec.layout import POSTINGS_MAGIC, decode_block_data, read_block_place

DocIds = npt.NDArray[np.int32]


# Where each block of a postings list lies: (data start, end, compression) of each block,
# each block's last id and its number of postings.
Layout = tuple[list[tuple[int, int, int]], npt.NDArray[np.int64], list[int]]
# A layout kept in arrays (36 bytes a block): places, last ids, numbers of postings.
PackedLayout = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32]]

# Layouts of lists of at least this many blocks are remembered per postings file, up to
# LAYOUT_CACHE_BLOCKS blocks in all (about 36 MB): finding a page's releases in a common
# word's list would otherwise read every one of its block headers first, each time.
LAYOUT_FROM_BLOCKS = 32
LAYOUT_CACHE_BLOCKS = 1 << 20
_layouts: weakref.WeakKeyDictionary[Any, dict[int, PackedLayout]] = weakref.WeakKeyDictionary()
_layout_blocks = 0


class PostingsBlocks:
    """The blocks of one word's postings in one segment: infos read up front, data on demand."""

    def __init__(self, matcher: W3LeafMatcher) -> None:
        # Private: the segment's postings file, and where the term's first block starts.
        self._open(matcher._postfile, matcher._baseoffset, remember=True)

    @classmethod
    def in_bytes(cls, raw: bytes) -> PostingsBlocks:
        """Return the blocks of one term's postings, bytes as the postings file holds them."""
        blocks = cls.__new__(cls)
        blocks._open(_Bytes(raw), len(POSTINGS_MAGIC), remember=False)
        return blocks

    def _open(self, file: Any, base: int, remember: bool) -> None:
        self._file = file
        packed = _layouts.get(file, {}).get(base) if remember else None
        if packed is None:
            layout = _read_layout(file, base)
            if remember and len(layout[2]) >= LAYOUT_FROM_BLOCKS:
                _remember(file, base, layout)
            self._ranges: Any = layout[0]
            self.last_ids = layout[1]
            self.counts: Any = layout[2]
        else:  # used as arrays: a page's releases need few of a common word's thousands of blocks
            self._ranges, self.last_ids, self.counts = packed

    def data(self, block: int) -> tuple[Any, Any, Any]:
        """Return a block's (id gaps, weights, values) as Whoosh pickled them."""
        start, end, compression = (int(number) for number in self._ranges[block])
        return decode_block_data(self._file.get(start, end - start), compression)

    def read_all(self, with_values: bool) -> tuple[DocIds, npt.NDArray[np.float64], list[bytes]]:
        """Return every posting's id and weight, and (``with_values``) its value."""
        gaps: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        counts = self.counts if isinstance(self.counts, list) else self.counts.tolist()
        for block, count in enumerate(counts):
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
        return _ids(gaps, counts, self.last_ids), np.asarray(weights, np.float64), values

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


class _Bytes:
    """Bytes read as a postings file is read: ``get(offset, size)``."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw

    def get(self, offset: int, size: int) -> bytes:
        return self._raw[offset : offset + size]


def _read_layout(file: Any, position: int) -> Layout:
    """Read the header of each block of the postings list starting at ``position``."""
    ranges: list[tuple[int, int, int]] = []
    last_ids: list[int] = []
    counts: list[int] = []
    while True:
        place = read_block_place(file.get, position)
        ranges.append((place.data_start, place.end, place.compression))
        last_ids.append(place.last_id)
        counts.append(place.postings)
        if place.last:
            return ranges, np.asarray(last_ids, np.int64), counts
        position = place.end


def _remember(file: Any, position: int, layout: Layout) -> None:
    """Remember a long list's layout; start afresh when the cache is full."""
    global _layout_blocks
    if _layout_blocks + len(layout[2]) > LAYOUT_CACHE_BLOCKS:
        _layouts.clear()
        _layout_blocks = 0
    places, last_ids, counts = layout
    _layouts.setdefault(file, {})[position] = (
        np.array(places, np.int64),
        last_ids,
        np.array(counts, np.int32),
    )
    _layout_blocks += len(layout[2])


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


def values_for(matcher: Any, docs: npt.NDArray[np.int64]) -> tuple[DocIds, list[bytes]]:
    """Return those of the sorted ``docs`` in a postings list, with their values, reading
    only the blocks that hold them (a block's header says its last docnum)."""
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # the docs asked about are live ones
    if type(matcher) is W3LeafMatcher:
        return PostingsBlocks(matcher).values_at(docs)
    found: list[int] = []
    values: list[bytes] = []
    for doc in docs.tolist():
        if matcher.is_active() and matcher.id() < doc:
            matcher.skip_to(doc)
        if matcher.is_active() and matcher.id() == doc:
            found.append(doc)
            values.append(matcher.value())
    return np.asarray(found, np.int32), values


def read_postings(
    matcher: Any, with_values: bool = False
) -> tuple[DocIds, npt.NDArray[np.float64], list[bytes]]:
    """Read a postings list into (ids, weights, values), a block at a time where possible.

    Values (encoded positions) are read only when asked for."""
    deleted: set[int] | frozenset[int] = frozenset()
    if isinstance(matcher, FilterMatcher) and matcher._exclude:  # private: a filter of deleted ids
        deleted = matcher._ids
        matcher = matcher.child
    values: list[bytes] = []
    if type(matcher) is W3LeafMatcher:
        id_array, weight_array, values = PostingsBlocks(matcher).read_all(with_values)
    else:
        flat_ids: list[int] = []
        flat_weights: list[float] = []
        while matcher.is_active():
            flat_ids.append(matcher.id())
            flat_weights.append(matcher.weight())
            if with_values:
                values.append(matcher.value())
            matcher.next()
        id_array = np.asarray(flat_ids, np.int32)
        weight_array = np.asarray(flat_weights, np.float64)
    if deleted:
        keep = ~np.isin(id_array, np.fromiter(deleted, np.int32, len(deleted)))
        id_array, weight_array = id_array[keep], weight_array[keep]
        if with_values:
            values = [value for value, kept in zip(values, keep.tolist(), strict=True) if kept]
    return id_array, weight_array, values
