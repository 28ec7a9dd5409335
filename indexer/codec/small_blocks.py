"""The postings of a text field's rare words (most of its words), encoded many at once.

A word found in a few releases has one block of postings, small enough to be stored
uncompressed. Its bytes (postings header, block length, block info, block data) are
mostly fixed-width numbers: :func:`encode_small_terms` lays those of thousands of words
out as rows of one byte matrix with NumPy and splices in each posting's value (its
encoded positions), leaving Python code only to join the pieces.

The pickles hold what Whoosh's writer pickles (see :mod:`indexer.codec.layout`), with
fixed-width opcodes: every id gap and last id a 4-byte ``BININT``, weights ``BINFLOAT``
(``None`` for a block whose weights are all 1.0), values ``SHORT_BINBYTES``, tuples
between ``MARK`` and ``TUPLE``. Any unpickler reads them as the tuples Whoosh wrote.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from indexer.codec.byte_rows import Bytes, Offsets, as_bytes, starts_of
from indexer.codec.layout import POSTINGS_MAGIC

# The most postings of a word encoded here: more take more bytes than a block stays
# uncompressed for, or more blocks than one.
SMALL_TERM_POSTINGS = 16

# Pickle opcodes.
_PROTO, _MARK, _TUPLE, _TUPLE3, _STOP = 0x80, 0x28, 0x74, 0x87, 0x2E
_BININT, _BININT1, _BINFLOAT, _NONE = 0x4A, 0x4B, 0x47, 0x4E
# A block's bytes up to its id gaps: header (4), block length (4), info (27), the
# data's protocol and the gaps' mark (3).
_GAPS_AT = 38
_INFO_BYTES = 27
_DATA_AT = 35
# After the values: close their tuple, make the (gaps, weights, values) tuple, stop.
_CLOSE = bytes((_TUPLE, _TUPLE3, _STOP))
# Each value's opcode and length: SHORT_BINBYTES below 256 bytes, else BINBYTES.
_VALUE_HEADS = [bytes((0x43, length)) for length in range(256)]


def _value_head(length: int) -> bytes:
    return _VALUE_HEADS[length] if length < 256 else b"B" + length.to_bytes(4, "little")


class SmallTerms:
    """Words of one block each, to be encoded at once: per word its number of postings,
    last id, greatest weight (as Whoosh keeps it), shortest and longest length bytes
    (0: none); per posting, word after word, its id gap, 32-bit weight and value."""

    def __init__(
        self,
        counts: Offsets,
        last_ids: Offsets,
        greatest: npt.NDArray[np.float64],
        shortest: Offsets,
        longest: Offsets,
        gaps: npt.NDArray[np.integer],
        weights: npt.NDArray[np.float32],
        values: list[bytes],
    ) -> None:
        self.counts, self.last_ids, self.greatest = counts, last_ids, greatest
        self.shortest, self.longest = shortest, longest
        self.gaps, self.weights, self.values = gaps, weights, values
        self.firsts = starts_of(counts)
        firsts = self.firsts
        self.equal = np.minimum.reduceat(weights, firsts) == np.maximum.reduceat(weights, firsts)
        self.value_lengths = np.fromiter(map(len, values), np.int64, len(values))
        heads = np.where(self.value_lengths < 256, 2, 5)
        self.value_bytes = np.add.reduceat(heads + self.value_lengths, firsts)
        ones = self.equal & (weights[firsts] == 1.0)
        # The weights: None, one float, or a tuple of one per posting.
        self.weight_bytes = np.where(ones, 1, np.where(self.equal, 9, 2 + 9 * counts))
        self.ones = ones
        # Each word's bytes up to its values' first (the matrix row), and all of them.
        self.fixed = _GAPS_AT + 5 * counts + 1 + self.weight_bytes + 1
        self.lengths = self.fixed + self.value_bytes + len(_CLOSE)

    def data_lengths(self) -> Offsets:
        """Return the length of each word's pickled block data."""
        lengths: Offsets = self.lengths - _DATA_AT
        return lengths

    def encoded(self) -> tuple[bytes, Offsets]:
        """Return every word's postings (header and block) one after another, and each one's length."""
        rows = self._rows()
        width = rows.shape[1]
        table = rows.tobytes()
        heads = list(map(_value_head, self.value_lengths.tolist()))
        value_pieces = [piece for pair in zip(heads, self.values, strict=True) for piece in pair]
        pieces: list[bytes] = []
        for word, (fixed, first, count) in enumerate(
            zip(self.fixed.tolist(), self.firsts.tolist(), self.counts.tolist(), strict=True)
        ):
            start = word * width
            pieces.append(table[start : start + fixed])
            pieces += value_pieces[2 * first : 2 * (first + count)]
            pieces.append(_CLOSE)
        return b"".join(pieces), self.lengths

    def _rows(self) -> Bytes:
        """Each word's bytes up to its first value, one row each (zeros after)."""
        counts, words = self.counts, len(self.counts)
        width = int(self.fixed.max())
        rows = np.zeros((words, width), np.uint8)
        rows[:, :4] = np.frombuffer(POSTINGS_MAGIC, np.uint8)
        rows[:, 4:8] = as_bytes(-(_INFO_BYTES + self.data_lengths()), ">i4")
        # The block info, pickled with protocol 2: (postings, last id, greatest weight,
        # compression 0, shortest and longest length bytes).
        rows[:, 8:11] = (_PROTO, 2, _MARK)
        rows[:, 11], rows[:, 12] = _BININT1, counts
        rows[:, 13], rows[:, 14:18] = _BININT, as_bytes(self.last_ids, "<i4")
        rows[:, 18], rows[:, 19:27] = _BINFLOAT, as_bytes(self.greatest, ">f8")
        rows[:, 27:29] = (_BININT1, 0)
        rows[:, 29], rows[:, 30] = _BININT1, self.shortest
        rows[:, 31], rows[:, 32] = _BININT1, self.longest
        rows[:, 33:35] = (_TUPLE, _STOP)
        rows[:, 35:38] = (_PROTO, 3, _MARK)  # the data: protocol 3 (for bytes), the gaps' mark
        flat = rows.reshape(-1)
        row_starts = np.arange(words, dtype=np.int64) * width
        word_of = np.repeat(np.arange(words), counts)
        within = np.arange(len(word_of)) - self.firsts[word_of]
        gap_at = row_starts[word_of] + _GAPS_AT + 5 * within
        flat[gap_at] = _BININT
        flat[gap_at[:, None] + np.arange(1, 5)] = as_bytes(self.gaps, "<i4")
        weights_at = row_starts + _GAPS_AT + 5 * counts + 1
        flat[weights_at - 1] = _TUPLE
        flat[weights_at[self.ones]] = _NONE
        single = self.equal & ~self.ones
        _put_floats(flat, weights_at[single], self.weights[self.firsts[single]])
        several = ~self.equal
        flat[weights_at[several]] = _MARK
        posting_several = several[word_of]
        _put_floats(
            flat,
            (weights_at[word_of] + 1 + 9 * within)[posting_several],
            self.weights[posting_several],
        )
        flat[(weights_at + 1 + 9 * counts)[several]] = _TUPLE
        flat[row_starts + self.fixed - 1] = _MARK  # the values' tuple
        return rows


def _put_floats(flat: Bytes, at: Offsets, numbers: npt.NDArray[np.floating]) -> None:
    """Write ``BINFLOAT`` opcodes of ``numbers`` (as doubles) at ``at``."""
    flat[at] = _BINFLOAT
    flat[at[:, None] + np.arange(1, 9)] = as_bytes(numbers.astype(np.float64), ">f8")
