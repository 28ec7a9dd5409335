"""A text field's postings blocks, laid out for all its terms at once with NumPy.

Whoosh's W3 postings writer splits each term's postings into blocks of up to 128 and
keeps statistics per block (last id, greatest weight, shortest and longest field
length as a byte) and per term (their totals), updating them one posting at a time.
:class:`FieldBlocks` works them out for every block of a field in a few array
operations; :meth:`FieldBlocks.write_terms` then writes the terms a batch at a time:
the rare ones (most) all at once (:mod:`~indexer.codec.small_blocks`), the others
with Python code per block (pickling its data, compressing it), not per posting.

``tests/test_writer.py`` checks that a search reads the same from these blocks as
from Whoosh's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.codec.byte_rows import starts_of
from indexer.codec.layout import (
    POSTINGS_MAGIC,
    POSTINGS_PLACE,
    TERM_INFO,
    TERM_INFO_ROW,
    encode_block,
)
from indexer.codec.slices import slice_indexes
from indexer.codec.small_blocks import SMALL_TERM_POSTINGS, SmallTerms

# Terms written at a time.
_BATCH_TERMS = 8192
# A length byte above any: block and term minimums skip lengths of 0 (no length).
_NO_LENGTH = 256


def _no_length_as_0(shortest: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.where(shortest == _NO_LENGTH, 0, shortest)


class FieldBlocks:
    """The postings of one text field, by term (term after term, each in id order),
    split into blocks as Whoosh's writer splits them, with each block's statistics.

    ``weights`` are Whoosh's (positions times boosts); ``length_byte`` are the
    documents' field lengths as Whoosh keeps them, a byte each (``length_bytes``; all
    0 for a field that is not scored). Everything is kept as arrays
    (``values``, the encoded positions, as one of bytes objects): Python objects are
    made a batch of terms at a time.
    """

    def __init__(
        self,
        term_starts: npt.NDArray[np.int64],
        ids: npt.NDArray[np.int32],
        weights: npt.NDArray[np.float64],
        values: npt.NDArray[np.object_],
        length_byte: npt.NDArray[np.int16],
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
        gaps = np.diff(ids, prepend=0).astype(np.int32, copy=False)
        gaps[starts] = ids[starts]
        # Whoosh keeps weights as 32-bit floats; a block whose weights are all equal
        # stores one (None for 1.0).
        stored = weights.astype(np.float32)
        self._equal = np.minimum.reduceat(stored, starts) == np.maximum.reduceat(stored, starts)
        totals = np.add.reduceat(stored, starts, dtype=np.float64)
        greatest = np.maximum.reduceat(weights, starts)
        shortest = np.minimum.reduceat(np.where(length_byte > 0, length_byte, _NO_LENGTH), starts)
        longest = np.maximum.reduceat(length_byte, starts)

        self._ids, self._weights, self._gaps, self._values = ids, stored, gaps, values
        # Each posting's number of positions, where they start, and the positions.
        Kept = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32]]
        self._kept_positions: Kept | None = None
        self._term_bounds = (term_starts, term_ends)
        self._sizes = sizes
        # Per block: where its postings start and end, last id, greatest weight, shortest
        # and longest length bytes.
        self._starts, self._ends, self._last_ids = starts, ends, ids[ends - 1]
        self._greatest, self._shortest, self._longest = greatest, _no_length_as_0(shortest), longest
        self._first_blocks = np.append(first_blocks, len(starts))
        self._single = blocks_per_term == 1
        # Per term: the statistics its term info holds.
        self._term_totals = np.add.reduceat(totals, first_blocks)
        self._term_greatest = np.maximum.reduceat(greatest, first_blocks)
        self._term_shortest = _no_length_as_0(np.minimum.reduceat(shortest, first_blocks))
        self._term_longest = np.maximum.reduceat(longest, first_blocks)
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

    def write_term(self, term: int, level: int, compress_from: int) -> bytes:
        """Return term number ``term``'s postings as ``W3PostingsWriter`` writes them:
        the header, then each block (length, negative for the last; info; data)."""
        chunks = [POSTINGS_MAGIC]
        first, last = int(self._first_blocks[term]), int(self._first_blocks[term + 1]) - 1
        for block in range(first, last + 1):
            start, end = int(self._starts[block]), int(self._ends[block])
            weights: Any
            if self._equal[block]:
                weights = float(self._weights[start])
                weights = None if weights == 1.0 else weights
            else:
                weights = tuple(self._weights[start:end].tolist())
            info = (
                end - start,
                int(self._last_ids[block]),
                float(self._greatest[block]),
                level,
                int(self._shortest[block]),
                int(self._longest[block]),
            )
            values = tuple(self._values[start:end])
            chunks.append(
                encode_block(
                    self._gaps[start:end].tolist(), weights, values, info, level, compress_from, block == last
                )
            )
        return b"".join(chunks)

    def write_terms(self, terms: list[int], out: Any, level: int, compress_from: int) -> list[bytes]:
        """Write the postings of ``terms`` (term numbers, in key order) to ``out`` (a file
        whose ``tell`` counts what it was given) as :meth:`write_term` writes them; return
        each one's term info bytes (``W3TermInfo.to_bytes``).

        A batch of terms at a time: those in a few releases (most of them) encoded at
        once (:mod:`~indexer.codec.small_blocks`), the others one by one.
        """
        infos: list[bytes] = []
        offset = out.tell()
        size = TERM_INFO.size + POSTINGS_PLACE.size
        for batch_start in range(0, len(terms), _BATCH_TERMS):
            numbers = np.array(terms[batch_start : batch_start + _BATCH_TERMS], np.int64)
            pieces, lengths = self._batch_postings(numbers, level, compress_from)
            packed = self._term_infos(numbers, starts_of(lengths, offset), lengths)
            infos += [packed[start : start + size] for start in range(0, len(packed), size)]
            out.write(b"".join(pieces))
            offset += int(lengths.sum())
        return infos

    def _batch_postings(
        self, numbers: npt.NDArray[np.int64], level: int, compress_from: int
    ) -> tuple[list[Any], npt.NDArray[np.int64]]:
        """Return the postings of terms ``numbers`` (pieces to join, in order) and each one's length."""
        small = self._single[numbers] & (self._sizes[numbers] <= SMALL_TERM_POSTINGS)
        encoded = self._small_terms(numbers[small]) if small.any() else None
        if encoded is not None:
            fits = encoded.data_lengths() < compress_from  # larger data is compressed
            if not fits.all():
                small[np.flatnonzero(small)[~fits]] = False
                encoded = self._small_terms(numbers[small]) if small.any() else None
        others = np.flatnonzero(~small).tolist()
        chunks = [self.write_term(int(numbers[number]), level, compress_from) for number in others]
        lengths = np.zeros(len(numbers), np.int64)
        lengths[others] = np.fromiter(map(len, chunks), np.int64, len(chunks))
        if encoded is None:
            return chunks, lengths
        data, small_lengths = encoded.encoded()
        lengths[small] = small_lengths
        # The small terms' postings between one other term's and the next, in one piece each.
        view, ends = memoryview(data), np.cumsum(small_lengths).tolist()
        pieces: list[Any] = []
        cut = 0
        for before, (number, chunk) in enumerate(zip(others, chunks, strict=True)):
            small_before = number - before
            next_cut = ends[small_before - 1] if small_before else 0
            pieces += [view[cut:next_cut], chunk]
            cut = next_cut
        pieces.append(view[cut:])
        return pieces, lengths

    def _small_terms(self, numbers: npt.NDArray[np.int64]) -> SmallTerms:
        """Gather what :class:`SmallTerms` needs of terms ``numbers`` (one block each)."""
        blocks = self._first_blocks[numbers]
        starts, counts = self._starts[blocks], self._sizes[numbers]
        postings = slice_indexes(starts, counts)
        return SmallTerms(
            counts,
            self._last_ids[blocks].astype(np.int64),
            self._greatest[blocks],
            self._shortest[blocks],
            self._longest[blocks],
            self._gaps[postings],
            self._weights[postings],
            self._values[postings].tolist(),
        )

    def _term_infos(
        self, numbers: npt.NDArray[np.int64], places: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
    ) -> bytes:
        """Return the term infos of terms ``numbers`` (postings at ``places``), one after another."""
        infos = np.zeros(len(numbers), TERM_INFO_ROW)
        infos["weight"] = self._term_totals[numbers]
        infos["doc_frequency"] = self._sizes[numbers]
        infos["min_length"] = self._term_shortest[numbers]
        infos["max_length"] = self._term_longest[numbers]
        infos["max_weight"] = self._term_greatest[numbers]
        term_starts, term_ends = self._term_bounds
        infos["min_id"] = self._ids[term_starts[numbers]]
        infos["max_id"] = self._ids[term_ends[numbers] - 1]
        infos["offset"], infos["length"] = places, lengths
        return infos.tobytes()
