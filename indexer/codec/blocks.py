"""A text field's postings blocks, laid out for all its terms at once with NumPy.

Whoosh's W3 postings writer splits each term's postings into blocks of up to 128 and
keeps statistics per block (last id, greatest weight, shortest and longest field
length as a byte) and per term (their totals), updating them one posting at a time.
:class:`FieldBlocks` works them out for every block of a field in a few array
operations; :meth:`FieldBlocks.write_term` then writes a term's blocks, leaving Python
code only per block (pickling its data, compressing it), not per posting.

``tests/test_writer.py`` checks that a search reads the same from these blocks as
from Whoosh's.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from isal import isal_zlib

from indexer.codec.layout import (
    BLOCK_LENGTH,
    INFO_PROTOCOL,
    POSTINGS_MAGIC,
    POSTINGS_PLACE,
    TERM_INFO,
    encode_block,
    length_bytes,
)
from indexer.codec.slices import slice_indexes

# Postings gathered before they are written to the file, at most (bytes).
_WRITE_BYTES = 1 << 22
# A length byte above any: block and term minimums skip lengths of 0 (no length).
_NO_LENGTH = 256


def _no_length_as_0(shortest: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.where(shortest == _NO_LENGTH, 0, shortest)


# A term's statistics for its term info: total weight, greatest weight, min and max
# length bytes, first and last id.
TermStats = tuple[float, float, int, int, int, int]


class FieldBlocks:
    """The postings of one text field, by term (term after term, each in id order),
    split into blocks as Whoosh's writer splits them, with each block's statistics.

    ``weights`` are Whoosh's (positions times boosts); ``lengths`` are the documents'
    field lengths (all 0 for a field that is not scored).
    """

    def __init__(
        self,
        term_starts: npt.NDArray[np.int64],
        ids: npt.NDArray[np.int32],
        weights: npt.NDArray[np.float64],
        values: Sequence[bytes],
        lengths: npt.NDArray[np.int64],
        limit: int,
    ) -> None:
        count = len(ids)
        term_ends = np.append(term_starts[1:], count)
        sizes = term_ends - term_starts
        blocks_per_term = -(-sizes // limit)
        first_blocks = np.cumsum(blocks_per_term) - blocks_per_term
        block_terms = np.repeat(np.arange(len(sizes)), blocks_per_term)
        within = np.arange(len(block_terms)) - first_blocks[block_terms]
        starts = term_starts[block_terms] + within * limit
        ends = np.minimum(starts + limit, term_ends[block_terms])

        # Ids are delta-encoded from 0 within each block.
        gaps = np.diff(ids, prepend=0).astype(np.int64)
        gaps[starts] = ids[starts]
        # Whoosh keeps weights as 32-bit floats; a block whose weights are all equal
        # stores one (None for 1.0).
        stored = weights.astype(np.float32)
        equal = np.minimum.reduceat(stored, starts) == np.maximum.reduceat(stored, starts)
        as_double = stored.astype(np.float64)
        totals = np.add.reduceat(as_double, starts)
        greatest = np.maximum.reduceat(weights, starts)
        length_byte = length_bytes(lengths)
        shortest = np.minimum.reduceat(np.where(length_byte > 0, length_byte, _NO_LENGTH), starts)
        longest = np.maximum.reduceat(length_byte, starts)

        self._ids, self._weights = ids, stored
        # Each posting's number of positions, where they start, and the positions.
        Kept = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32]]
        self._kept_positions: Kept | None = None
        self._term_bounds = (term_starts, term_ends)
        self._gaps: list[int] = gaps.tolist()
        self._stored: list[float] = as_double.tolist()
        self._values = values
        self._starts: list[int] = starts.tolist()
        self._ends: list[int] = ends.tolist()
        self._equal: list[bool] = equal.tolist()
        self._last_ids: list[int] = ids[ends - 1].tolist()
        self._greatest: list[float] = greatest.tolist()
        self._shortest: list[int] = _no_length_as_0(shortest).tolist()
        self._longest: list[int] = longest.tolist()
        self._first_blocks: list[int] = [*first_blocks.tolist(), len(starts)]
        self._single: list[bool] = (blocks_per_term == 1).tolist()
        self._term_stats: list[TermStats] = list(
            zip(
                np.add.reduceat(totals, first_blocks).tolist(),
                np.maximum.reduceat(greatest, first_blocks).tolist(),
                _no_length_as_0(np.minimum.reduceat(shortest, first_blocks)).tolist(),
                np.maximum.reduceat(longest, first_blocks).tolist(),
                ids[term_starts].tolist(),
                ids[term_ends - 1].tolist(),
                strict=True,
            )
        )
        self.doc_frequencies: list[int] = sizes.tolist()

    def __len__(self) -> int:
        return len(self.doc_frequencies)

    def postings(self, term: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """Return term number ``term``'s ids and weights (as stored: 32-bit floats)."""
        start, end = self._term_bounds[0][term], self._term_bounds[1][term]
        return self._ids[start:end], self._weights[start:end]

    def keep_positions(
        self, counts: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], positions: npt.NDArray[np.int32]
    ) -> None:
        """Keep each posting's number of positions and where they start in ``positions``
        for :meth:`positions` (which gathers a term's when asked: reordering all of them
        at once would take several arrays as long as the field's tokens)."""
        self._kept_positions = counts, starts, positions

    def positions(self, term: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]] | None:
        """Return term number ``term``'s numbers of positions and its positions, if kept."""
        if self._kept_positions is None:
            return None
        counts, starts, positions = self._kept_positions
        start, end = self._term_bounds[0][term], self._term_bounds[1][term]
        found: npt.NDArray[np.int32] = positions[slice_indexes(starts[start:end], counts[start:end])]
        return counts[start:end], found

    def stats(self, term: int) -> TermStats:
        """Return term number ``term``'s statistics (see :data:`TermStats`)."""
        return self._term_stats[term]

    def write_term(self, term: int, level: int, compress_from: int) -> bytes:
        """Return term number ``term``'s postings as ``W3PostingsWriter`` writes them:
        the header, then each block (length, negative for the last; info; data)."""
        chunks = [POSTINGS_MAGIC]
        last = self._first_blocks[term + 1] - 1
        for block in range(self._first_blocks[term], last + 1):
            start, end = self._starts[block], self._ends[block]
            weights: Any
            if self._equal[block]:
                first = self._stored[start]
                weights = None if first == 1.0 else first
            else:
                weights = tuple(self._stored[start:end])
            info = (
                end - start,
                self._last_ids[block],
                self._greatest[block],
                level,
                self._shortest[block],
                self._longest[block],
            )
            values = tuple(self._values[start:end])
            chunks.append(
                encode_block(
                    self._gaps[start:end], weights, values, info, level, compress_from, block == last
                )
            )
        return b"".join(chunks)

    def write_terms(
        self, terms: Iterable[tuple[bytes, int]], out: Any, level: int, compress_from: int
    ) -> list[tuple[bytes, bytes]]:
        """Write the postings of ``terms`` ((key, term number), in key order) to ``out``
        (a file whose ``tell`` counts what it was given) as :meth:`write_term` writes
        them; return each key with its term info's bytes (``W3TermInfo.to_bytes``).

        One loop over all of a field's terms, with the one-block term (most of them)
        written in line: per term, a build spends its time here.
        """
        gaps, stored, values, starts, ends = self._gaps, self._stored, self._values, self._starts, self._ends
        equal, last_ids, greatest = self._equal, self._last_ids, self._greatest
        shortest, longest, first_blocks, single = (
            self._shortest,
            self._longest,
            self._first_blocks,
            self._single,
        )
        term_stats, frequencies = self._term_stats, self.doc_frequencies
        dumps, protocol, compress = pickle.dumps, pickle.HIGHEST_PROTOCOL, isal_zlib.compress
        pack_length, pack_info, pack_place = BLOCK_LENGTH.pack, TERM_INFO.pack, POSTINGS_PLACE.pack
        offset = out.tell()
        entries: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        pending = 0
        for key, term in terms:
            if single[term]:
                block = first_blocks[term]
                start, end = starts[block], ends[block]
                weights: Any
                if equal[block]:
                    weights = stored[start]
                    if weights == 1.0:
                        weights = None
                else:
                    weights = tuple(stored[start:end])
                data = dumps((tuple(gaps[start:end]), weights, tuple(values[start:end])), protocol)
                compression = level if len(data) >= compress_from else 0
                if compression:
                    data = compress(data, compression)
                info = dumps(
                    (
                        end - start,
                        last_ids[block],
                        greatest[block],
                        compression,
                        shortest[block],
                        longest[block],
                    ),
                    INFO_PROTOCOL,
                )
                length = len(info) + len(data)
                chunk = POSTINGS_MAGIC + pack_length(-length) + info + data
            else:
                chunk = self.write_term(term, level, compress_from)
            total, top, short, long, first_id, last_id = term_stats[term]
            entries.append(
                (
                    key,
                    pack_info(False, total, frequencies[term], short, long, top, first_id, last_id)
                    + pack_place(offset, len(chunk)),
                )
            )
            offset += len(chunk)
            chunks.append(chunk)
            pending += len(chunk)
            if pending >= _WRITE_BYTES:
                out.write(b"".join(chunks))
                chunks, pending = [], 0
        out.write(b"".join(chunks))
        return entries
