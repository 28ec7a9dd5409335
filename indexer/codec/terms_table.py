"""Whoosh's terms table (an ordered hash file), written many keys at a time with NumPy.

Whoosh's ``OrderedHashWriter`` writes each entry (the key's and the value's lengths,
key, value) with three file writes, hashes it into one of 256 buckets and finally
lays each bucket out as an open-addressing hash table, probing slot by slot.
:class:`TermsTable` adds a whole batch of entries with one write, keeps their hashes
and positions as arrays and places each bucket's keys with array operations: the same file format, read
by Whoosh's ``OrderedHashReader`` as ever.

Sets private attributes of whoosh-reloaded 2.7.5's writer (:data:`indexer.codec.WHOOSH_VERSION`).
"""

from __future__ import annotations

import struct
from hashlib import md5

import numpy as np
import numpy.typing as npt
from whoosh.filedb.filetables import OrderedHashWriter

from indexer.codec.byte_rows import starts_of

# An entry starts with the key's and the value's lengths.
_KEY_VALUE_LENGTHS = struct.Struct("!ii")
# A hash table slot: the key's hash and where the entry starts (Whoosh's ``_pointer``);
# (0, 0) is an empty slot (no entry starts at 0, where the file's header is).
_SLOT = np.dtype([("hash", ">u4"), ("position", ">i8")])
# The array types Whoosh's GrowableArray widens its key positions through.
_INDEX_TYPES: dict[str, type[np.integer]] = {"H": np.uint16, "i": np.int32, "I": np.uint32, "q": np.int64}


def key_hashes(keys: list[bytes]) -> npt.NDArray[np.uint32]:
    """Whoosh's ``md5_hash`` of each key: the low 32 bits of its MD5 digest."""
    digests = np.frombuffer(b"".join(md5(key, usedforsecurity=False).digest() for key in keys), np.uint8)
    hashes: npt.NDArray[np.uint32] = (
        np.ascontiguousarray(digests.reshape(-1, 16)[:, 12:]).view(">u4").ravel().astype(np.uint32)
    )
    return hashes


class TermsTable(OrderedHashWriter):
    """Whoosh's terms table writer, adding keys in batches (:meth:`add_all`)."""

    lastkey: bytes
    _hashes: list[npt.NDArray[np.uint32]]
    _positions: list[npt.NDArray[np.int64]]
    _one_keys: list[bytes]
    _one_positions: list[int]

    @classmethod
    def adopt(cls, table: OrderedHashWriter) -> TermsTable:
        """Make Whoosh's freshly made ``table`` one of these (the same object)."""
        table.__class__ = cls
        adopted: TermsTable = table
        adopted._hashes, adopted._positions, adopted._one_keys, adopted._one_positions = [], [], [], []
        return adopted

    def add(self, key: bytes, value: bytes) -> None:
        """Add a key (greater than the last) and its value, as Whoosh's ``add`` does."""
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        position = self.dbfile.tell()
        self.index.append(position)
        self.dbfile.write(_KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value)
        self._one_keys.append(key)  # hashed with the rest when the tables are written
        self._one_positions.append(position)
        self.lastkey = key

    def add_all(self, keys: list[bytes], values: list[bytes]) -> None:
        """Add keys (increasing, and greater than the last) with their values, in one go."""
        if not keys:
            return
        previous = [self.lastkey, *keys[:-1]]
        if not all(map(bytes.__lt__, previous, keys)):
            wrong = next(number for number, key in enumerate(keys) if not previous[number] < key)
            raise ValueError(f"Keys must increase: {previous[wrong]!r}..{keys[wrong]!r}")
        base = self.dbfile.tell()
        pack_lengths = _KEY_VALUE_LENGTHS.pack
        chunks = [
            pack_lengths(len(key), len(value)) + key + value for key, value in zip(keys, values, strict=True)
        ]
        sizes = np.fromiter(map(len, chunks), np.int64, len(chunks))
        self.dbfile.write(b"".join(chunks))
        positions = starts_of(sizes, base)
        self._hashes.append(key_hashes(keys))
        self._positions.append(positions)
        self._extend_index(positions)
        self.lastkey = keys[-1]

    def _extend_index(self, positions: npt.NDArray[np.int64]) -> None:
        """Append key positions to Whoosh's array of them, widening it as its ``append`` would."""
        index = self.index
        if int(positions[-1]) > np.iinfo(_INDEX_TYPES[index.typecode]).max:
            index._retype(int(positions[-1]))
        index.array.frombytes(positions.astype(_INDEX_TYPES[index.typecode]).tobytes())

    def _write_hashes(self) -> None:
        """Write the 256 hash tables as Whoosh's ``HashWriter._write_hashes`` does: each twice
        as many slots as keys, a key in the first free slot from its hash's (linear probing)."""
        hashes = np.concatenate([*self._hashes, key_hashes(self._one_keys)])
        positions = np.concatenate([*self._positions, np.array(self._one_positions, np.int64)])
        buckets = hashes & 255
        order = np.argsort(buckets, kind="stable")
        hashes, positions = hashes[order], positions[order]
        ends = np.cumsum(np.bincount(buckets, minlength=256))
        for start, end in zip([0, *ends[:-1].tolist()], ends.tolist(), strict=True):
            slots = 2 * (end - start)
            self.directory.append((self.dbfile.tell(), slots))
            if slots:
                self.dbfile.write(_hash_table(hashes[start:end], positions[start:end], slots).tobytes())


def _hash_table(hashes: npt.NDArray[np.uint32], positions: npt.NDArray[np.int64], slots: int) -> npt.NDArray:
    """Return one bucket's hash table: each key in the first free slot from ``(hash >> 8) % slots``."""
    homes = (hashes >> 8).astype(np.int64) % slots
    order = np.argsort(homes, kind="stable")
    steps = np.arange(len(order))
    # Keys by home slot: each goes to its home, or just after the key before it if that is
    # taken (the slots in between are then all full, as probing needs).
    places = np.maximum.accumulate(homes[order] - steps) + steps
    table = np.zeros(slots, _SLOT)
    hashes, positions = hashes[order], positions[order]
    inside = places < slots
    table["hash"][places[inside]] = hashes[inside]
    table["position"][places[inside]] = positions[inside]
    # Keys whose run of full slots reached the end go on from the first slot: into the
    # first free slots, in turn (every slot before each is then full).
    free = np.flatnonzero(table["position"] == 0)[: np.count_nonzero(~inside)]
    table["hash"][free] = hashes[~inside]
    table["position"][free] = positions[~inside]
    return table
