"""Whoosh's W3 postings format, defined once for the writer and the reader.

A term's postings (in the postings file, where its term info points) are Whoosh's
header magic, then a run of blocks, each::

    length   int32, big-endian; negative on the term's last block
    info     pickled with protocol 2: (postings, last id, max weight, compression,
             min length byte, max length byte)
    data     pickled (id gaps, weights, values); zlib's format when compression is set

Ids are delta-encoded from 0 within each block; weights are 32-bit floats, one value
for a block whose weights are all equal (``None`` for 1.0). A ``Positions`` value is a
count (uint32) and the position gaps pickled with protocol 2 as a list. A term info is
:data:`TERM_INFO` followed by the postings' offset (int64) and length (int32).

Checked against whoosh-reloaded 2.7.5 (``whoosh.codec.whoosh3``); the tests in
``tests/test_writer.py`` compare what Whoosh reads from these bytes with its own writer's.
"""

from __future__ import annotations

import io
import itertools
import pickle
import struct
from collections.abc import Sequence
from operator import sub
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from isal import isal_zlib
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.util.numeric import length_to_byte as whoosh_length_to_byte

POSTINGS_MAGIC: bytes = WHOOSH3_HEADER_MAGIC
BLOCK_LENGTH = struct.Struct("!i")
INT_SIZE = BLOCK_LENGTH.size
# W3TermInfo's fixed part: flags, weight, doc frequency, min and max length bytes,
# max weight, first and last id; then the postings' offset and length.
TERM_INFO = struct.Struct("!BfIBBfII")
POSTINGS_PLACE = struct.Struct("!qi")
# The same, as a NumPy row: term infos of many terms at once.
TERM_INFO_ROW = np.dtype(
    [
        ("flags", "u1"),
        ("weight", ">f4"),
        ("doc_frequency", ">u4"),
        ("min_length", "u1"),
        ("max_length", "u1"),
        ("max_weight", ">f4"),
        ("min_id", ">u4"),
        ("max_id", ">u4"),
        ("offset", ">i8"),
        ("length", ">i4"),
    ]
)
# Block infos are pickled with protocol 2, whatever the data's protocol.
INFO_PROTOCOL = 2
# Longer than any pickled info tuple (six numbers): read with the block length in one go.
_INFO_BYTES = 64

# -- field lengths as one byte -----------------------------------------------------

# Whoosh's length_to_byte (a bisect per call), looked up for common lengths.
_LENGTH_BYTES = [whoosh_length_to_byte(length) for length in range(1 << 14)]
# Whoosh's byte_to_length: the shortest length each byte stands for.
BYTE_LENGTHS = np.array([byte_to_length(byte) for byte in range(256)], np.int64)


def length_to_byte(length: int | None) -> int:
    """Whoosh's one-byte approximation of a field length (0 for ``None``)."""
    if length is None:
        return 0
    return _LENGTH_BYTES[length] if length < len(_LENGTH_BYTES) else whoosh_length_to_byte(length)


def length_bytes(lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """:func:`length_to_byte` of each field length at once (0 stays 0)."""
    return np.minimum(np.searchsorted(BYTE_LENGTHS, lengths, side="left"), 255)


# -- positions ---------------------------------------------------------------------

# pickle.dumps(gaps, 2) of a list: the protocol mark, then an empty list.
GAPS_PICKLE_START = b"\x80\x02]"
_ONCE_LIMIT = 1 << 16


def encode_positions(positions: list[int]) -> bytes:
    """Encode ascending positions as Whoosh's ``Positions.encode`` does: count, pickled gaps."""
    if len(positions) == 1 and positions[0] < _ONCE_LIMIT:
        return ONCE_ENCODED[positions[0]]
    gaps = [positions[0], *map(sub, positions[1:], positions)]
    return pack_uint(len(gaps)) + pickle.dumps(gaps, 2)


class _OnceEncoded(dict[int, bytes]):
    """Position -> the encoding of that single position, made once and shared."""

    def __missing__(self, position: int) -> bytes:
        encoded = pack_uint(1) + pickle.dumps([position], 2)
        if position < _ONCE_LIMIT:
            self[position] = encoded
        return encoded


# Most words occur once in a field: their encodings are made once and shared.
ONCE_ENCODED = _OnceEncoded()
# The same, by position, as an array (grown as needed, up to the limit).
_once_table = np.empty(0, object)


def once_encoded(positions: npt.NDArray[np.int32]) -> npt.NDArray[np.object_]:
    """Return the encodings of single positions (the shared :data:`ONCE_ENCODED` ones) as
    an array: looked up with NumPy, no Python code per position."""
    global _once_table
    top = int(positions.max()) if len(positions) else 0
    if top >= _ONCE_LIMIT:
        found = np.empty(len(positions), object)
        found[:] = list(map(ONCE_ENCODED.__getitem__, positions.tolist()))
        return found
    if top >= len(_once_table):
        size = min(_ONCE_LIMIT, max(top + 1, 2 * len(_once_table), 1024))
        _once_table = np.empty(size, object)
        _once_table[:] = [ONCE_ENCODED[position] for position in range(size)]
    return _once_table[positions]


def position_gaps(values: list[bytes]) -> list[list[int]]:
    """Decode many ``Positions`` values to their position gaps with one ``pickle.loads``.

    Each value's pickled list (after its count and protocol mark) is spliced into one
    pickled list of lists; values of any other shape are decoded one by one.
    """
    if not all(value[INT_SIZE : INT_SIZE + 3] == GAPS_PICKLE_START for value in values):
        return [_gaps_of(value) for value in values]
    body = b"".join(
        value[INT_SIZE + 2 : -1] if value.endswith(b".") else value[INT_SIZE + 2 :] for value in values
    )
    decoded: list[list[int]] = pickle.loads(b"\x80\x02](" + body + b"e.")
    if len(decoded) != len(values):  # not the expected shape after all
        return [_gaps_of(value) for value in values]
    return decoded


def position_arrays(values: list[bytes]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return the number of positions in each ``Positions`` value and the positions, value
    after value."""
    gap_lists = position_gaps(values)
    counts = np.fromiter(map(len, gap_lists), np.int64, len(gap_lists))
    gaps = np.fromiter(itertools.chain.from_iterable(gap_lists), np.int64, int(counts.sum()))
    # Sums within each value: the overall running sum less its value before the value's first.
    running = np.cumsum(gaps)
    firsts = np.cumsum(counts) - counts
    before = np.where(firsts > 0, running[np.maximum(firsts - 1, 0)], 0)
    return counts, running - np.repeat(before, counts)


def _gaps_of(value: bytes) -> list[int]:
    gaps: list[int] = pickle.loads(value[INT_SIZE:] if value.endswith(b".") else value[INT_SIZE:] + b".")
    return gaps


# -- blocks ------------------------------------------------------------------------


def encode_block(
    gaps: Sequence[int],
    weights: Any,
    values: Any,
    info: tuple[int, int, float, int, int, int],
    level: int,
    compress_from: int,
    last: bool,
) -> bytes:
    """Return one block: length (negative for a term's ``last``), info, data.

    ``info`` is (postings, last id, max weight, compression, min and max length bytes);
    its compression is replaced by ``level`` when the pickled data is at least
    ``compress_from`` bytes, else 0 (stored as it is).
    """
    data = pickle.dumps((tuple(gaps), weights, values), pickle.HIGHEST_PROTOCOL)
    compression = level if len(data) >= compress_from else 0
    if compression:
        data = isal_zlib.compress(data, compression)
    count, last_id, max_weight, _, shortest, longest = info
    infobytes = pickle.dumps((count, last_id, max_weight, compression, shortest, longest), INFO_PROTOCOL)
    length = len(infobytes) + len(data)
    return BLOCK_LENGTH.pack(-length if last else length) + infobytes + data


class BlockPlace(NamedTuple):
    """Where a block's data lies in the postings file, and what its info says."""

    postings: int
    last_id: int
    compression: int
    data_start: int
    end: int
    last: bool


def read_block_place(read: Any, position: int) -> BlockPlace:
    """Read the block at ``position`` (``read(offset, size)`` gives the file's bytes)."""
    head = read(position, INT_SIZE + _INFO_BYTES)
    (length,) = BLOCK_LENGTH.unpack_from(head)
    stream = io.BytesIO(head)
    stream.seek(INT_SIZE)
    count, last_id, _, compression, _, _ = pickle.Unpickler(stream).load()
    end = position + INT_SIZE + abs(length)
    return BlockPlace(count, last_id, compression, position + stream.tell(), end, length < 0)


def decode_block_data(raw: bytes, compression: int) -> tuple[Any, Any, Any]:
    """Return a block's (id gaps, weights, values) from its stored bytes."""
    # ISA-L inflates zlib's format faster than zlib does.
    data: tuple[Any, Any, Any] = pickle.loads(isal_zlib.decompress(raw) if compression else raw)
    return data


# -- term infos --------------------------------------------------------------------


def encode_term_info(
    total: float,
    doc_frequency: int,
    shortest: int,
    longest: int,
    max_weight: float,
    first_id: int,
    last_id: int,
    offset: int,
    length: int,
) -> bytes:
    """Return a term info's bytes as ``W3TermInfo.to_bytes`` writes them (postings not inlined)."""
    head = TERM_INFO.pack(False, total, doc_frequency, shortest, longest, max_weight, first_id, last_id)
    return head + POSTINGS_PLACE.pack(offset, length)
