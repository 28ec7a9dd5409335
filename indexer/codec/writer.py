"""A Whoosh segment writer for full builds: Whoosh's files, with less work per posting.

Whoosh's ``SegmentWriter`` passes each posting through a pool as a tuple, sorts all
of them at commit, reads each posting's field length back from the file it has just
written, and hands postings to the codec one call at a time. :class:`BuildWriter`
collects text fields' tokens as arrays of term ids and positions and makes them into
postings with NumPy (:class:`TextPostings`, :func:`~indexer.codec.postings.group_postings`),
keeps the other fields' postings together by term (remembering what each repeated
value indexes to), keeps field lengths in memory, and writes each term's postings,
term info and terms table entry in one go (:meth:`BlockPostingsWriter.write_term`;
text fields' terms a whole field at a time, :class:`~indexer.codec.blocks.FieldBlocks`).
A search reads from its segments exactly what it reads from Whoosh's
(``tests/test_writer.py`` compares everything); only the postings file differs: it is
smaller (see :class:`BlockPostingsWriter`). Postings blocks and stored fields are
compressed with ISA-L (:data:`COMPRESSION`), which writes zlib's format.

For a fresh index only: it neither merges segments nor replaces documents.
:func:`indexer.codec.parallel.write_fresh_index` runs several writers at once.
"""

from __future__ import annotations

import pickle
import struct
from array import array
from collections.abc import Sequence
from hashlib import md5
from operator import sub
from typing import Any

import numpy as np
import numpy.typing as npt
from isal import isal_zlib
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PerDocWriter,
    W3PostingsWriter,
    W3Segment,
)
from whoosh.fields import FieldType
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.index import Index
from whoosh.system import _INT_SIZE, pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte as whoosh_length_to_byte
from whoosh.writing import SegmentWriter

from indexer.analysis import term_text
from indexer.codec.blocks import FieldBlocks
from indexer.codec.postings import Numbers, TermIds, ascending_by_term, group_postings
from indexer.schema import Posting, TextField

# Postings blocks are compressed with ISA-L at its default level, stored fields at
# Whoosh's level 3 (ISA-L's best). Its output is zlib's format, which readers decompress
# as ever. On the first half of DOJ: postings blocks 1.84 s (zlib level 1) -> 0.71 s,
# stored fields 0.62 s (zlib level 3) -> 0.25 s, for the same sizes.
COMPRESSION = isal_zlib.ISAL_DEFAULT_COMPRESSION

# Smaller block data is stored as it is (the block says so): the fixed cost per call
# dominates there, for few bytes saved. On DOJ, blocks under 512 bytes are 57% of the
# blocks and a fifth of zlib's compression time, yet compressing them saves 5.6 of 134 MB.
COMPRESS_FROM_BYTES = 512

# Whoosh's length_to_byte (a bisect per call), looked up for common lengths.
_LENGTH_BYTES = [whoosh_length_to_byte(length) for length in range(1 << 14)]


def length_to_byte(length: int | None) -> int:
    """Whoosh's one-byte approximation of a field length (0 for ``None``)."""
    if length is None:
        return 0
    return _LENGTH_BYTES[length] if length < len(_LENGTH_BYTES) else whoosh_length_to_byte(length)


# W3TermInfo's fixed part: flags, weight, doc frequency, min and max length bytes,
# max weight, first and last id.
_TERM_INFO = struct.Struct("!BfIBBfII")
# A terms table entry starts with the key's and the value's lengths.
_KEY_VALUE_LENGTHS = struct.Struct("!ii")


class BlockPostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, writing a whole term at once (:meth:`write_term`); it
    pickles each block's data with the current pickle protocol and leaves small
    blocks uncompressed.

    Whoosh pickles block data with protocol 2, which turns every bytes value (the
    encoded positions) into a ``codecs.encode`` call on a Latin-1 string: slow to
    write and to read, and twice the size after compression. Whoosh reads any
    protocol (``pickle.loads``) and an uncompressed block, so the format is unchanged.
    """

    def __init__(self, postfile: Any, **kwargs: Any) -> None:
        super().__init__(_CountingFile(postfile), **kwargs)

    def write_term(
        self,
        fixed_size: int | None,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
        lengths: Sequence[int],
    ) -> bytes:
        """Write one term's postings (ascending ids) as ``add_posting`` and
        ``finish_postings`` would; return the term info's bytes (``W3TermInfo.to_bytes``).

        Whoosh's writer keeps a block object and a term info object per term and
        updates them per posting; here each block's statistics come from slices.
        """
        offset = self._postfile.tell()
        limit, level, count = self._blocklimit, self._compression, len(ids)
        if count <= limit:  # most terms: one block
            block, total, maxweight, minlength, maxlength = _block(
                ids, weights, values, lengths, fixed_size, level, True
            )
            data = WHOOSH3_HEADER_MAGIC + block
        else:
            chunks = [WHOOSH3_HEADER_MAGIC]
            # The term's statistics, as W3TermInfo.add_block sums them block by block.
            total, maxweight, minlength, maxlength = 0, 0, None, 0
            for start in range(0, count, limit):
                end = start + limit
                block, block_total, block_maxweight, block_minlength, block_maxlength = _block(
                    ids[start:end],
                    weights[start:end],
                    values[start:end],
                    lengths[start:end],
                    fixed_size,
                    level,
                    end >= count,
                )
                chunks.append(block)
                total += block_total
                maxweight = max(maxweight, block_maxweight)
                if block_minlength is not None:
                    minlength = block_minlength if minlength is None else min(minlength, block_minlength)
                maxlength = max(maxlength, block_maxlength)
            data = b"".join(chunks)
        self._postfile.write(data)
        head = _TERM_INFO.pack(
            False,
            total,
            count,
            length_to_byte(minlength),
            length_to_byte(maxlength),
            maxweight,
            ids[0],
            ids[-1],
        )
        return head + pack_long(offset) + pack_int(len(data))

    def write_blocks(self, blocks: FieldBlocks, term: int) -> bytes:
        """Write term number ``term`` of ``blocks`` as :meth:`write_term` would write its
        postings; return its term info's bytes."""
        offset = self._postfile.tell()
        data = blocks.write_term(term, self._compression, COMPRESS_FROM_BYTES)
        self._postfile.write(data)
        total, maxweight, shortest, longest, first, last = blocks.stats(term)
        head = _TERM_INFO.pack(
            False, total, blocks.doc_frequencies[term], shortest, longest, maxweight, first, last
        )
        return head + pack_long(offset) + pack_int(len(data))


# A written block and its statistics: total weight, max weight, min length (None
# if no lengths) and max length.
Block = tuple[bytes, float, float, int | None, int]


def _block(
    ids: Sequence[int],
    weights: Sequence[float],
    values: Sequence[bytes],
    lengths: Sequence[int],
    fixed_size: int | None,
    level: int,
    last: bool,
) -> Block:
    """One block of a term's postings as ``W3PostingsWriter`` writes it (length,
    negative for a term's last block, info, data) and its statistics."""
    stored = array("f", weights)  # Whoosh keeps weights as 32-bit floats
    first = stored[0]
    if stored.count(first) == len(stored):
        mini_weights: Any = None if first == 1.0 else first
    else:
        mini_weights = tuple(stored)
    if 0 in lengths:  # a length of 0 (a field that is not scored) is no length
        present = [length for length in lengths if length]
        minlength = min(present) if present else None
        maxlength = max(present, default=0)
    else:
        minlength, maxlength = min(lengths), max(lengths)
    mini_values: Any
    if fixed_size is None or fixed_size < 0:
        mini_values = tuple(values) if all(values) else tuple(value for value in values if value)
    elif fixed_size == 0:
        mini_values = None
    else:
        mini_values = b"".join(values)
    # Ids are delta-encoded from 0 within each block.
    mini_ids = (ids[0], *map(sub, ids[1:], ids))
    data = pickle.dumps((mini_ids, mini_weights, mini_values), pickle.HIGHEST_PROTOCOL)
    compression = level if len(data) >= COMPRESS_FROM_BYTES else 0
    if compression:
        data = isal_zlib.compress(data, compression)
    # add_posting keeps the first greatest weight, starting from the int 0.
    maxweight = max(0, max(weights))
    info = (len(ids), ids[-1], maxweight, compression, length_to_byte(minlength), length_to_byte(maxlength))
    infobytes = pickle.dumps(info, 2)
    blocklength = len(infobytes) + len(data)
    written = pack_int(-blocklength if last else blocklength) + infobytes + data
    return written, sum(stored), maxweight, minlength, maxlength


class _CountingFile:
    """The postings file as the postings writer uses it, counting its position instead
    of asking the system twice per term."""

    def __init__(self, file: Any) -> None:
        self._file = file
        self._position: int = file.tell()

    def tell(self) -> int:
        return self._position

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._position += len(data)

    def write_int(self, number: int) -> None:
        self._file.write_int(number)
        self._position += _INT_SIZE


class _TermsTable(OrderedHashWriter):
    """Whoosh's terms table writer, adding a key with fewer calls and file writes."""

    lastkey: bytes

    def add(self, key: bytes, value: bytes) -> None:
        """Add a key (greater than the last) and its value, as Whoosh's ``add`` does."""
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        position = self.dbfile.tell()
        self.index.append(position)
        self.dbfile.write(_KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value)
        # Whoosh's md5_hash: the digest's low 32 bits.
        hashed = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
        self.buckets[hashed & 255].append((hashed, position))
        self.lastkey = key


class BlockFieldWriter(W3FieldWriter):
    """Whoosh's field writer, adding a term's postings in blocks."""

    def __init__(self, codec: W3Codec, storage: Any, segment: W3Segment) -> None:
        super().__init__(codec, storage, segment)
        self._tindex.__class__ = _TermsTable  # the same object, with the faster add

    def add_term(
        self,
        btext: bytes,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
        lengths: Sequence[int],
    ) -> None:
        """Add a term of the current field with all its postings, in place of
        ``start_term``, ``add`` per posting and ``finish_term``."""
        info = self._postwriter.write_term(self._format.fixed_value_size(), ids, weights, values, lengths)
        self._tindex.add(pack_ushort(self._fieldid) + btext, info)

    @property
    def block_limit(self) -> int:
        """The most postings in one block."""
        return int(self._postwriter._blocklimit)

    def add_blocks(self, btext: bytes, blocks: FieldBlocks, term: int) -> None:
        """Add a term of the current (text) field: term number ``term`` of ``blocks``."""
        self._tindex.add(pack_ushort(self._fieldid) + btext, self._postwriter.write_blocks(blocks, term))


class BuildPerDocWriter(W3PerDocWriter):
    """Whoosh's per-document writer, compressing stored fields with ISA-L."""

    def __init__(self, codec: W3Codec, storage: Any, segment: W3Segment) -> None:
        super().__init__(codec, storage, segment)
        # A PickleColumn's writer around a CompressedBytesColumn's, which calls
        # ``compress(data, 3)``: ISA-L's level 3 is its best.
        self._get_column("_stored")._child._compress = isal_zlib.compress


class BuildCodec(W3Codec):
    """Whoosh's codec with the block and per-document writers; the segments it makes
    name plain :class:`W3Codec` (with Whoosh's settings), so reading an index, or adding
    to it later, needs nothing from this module."""

    def __init__(self) -> None:
        super().__init__(compression=COMPRESSION)

    def per_document_writer(self, storage: Any, segment: W3Segment) -> BuildPerDocWriter:
        return BuildPerDocWriter(self, storage, segment)

    def field_writer(self, storage: Any, segment: W3Segment) -> BlockFieldWriter:
        return BlockFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> BlockPostingsWriter:
        return BlockPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def new_segment(self, storage: Any, indexname: str) -> W3Segment:
        return W3Segment(W3Codec(), indexname)


# A term's postings, in the order documents were added, flat: id, weight, value, id, ...
TermPostings = list[Any]
# Values remembered per field (with their postings) by BuildWriter._indexed.
KNOWN_VALUES = 100_000


class TextPostings:
    """A text field's tokens as documents arrive, made into postings with NumPy (no
    Python code per token or posting) a batch of documents at a time."""

    # Tokens buffered before they are grouped: bounds the memory the grouping takes.
    BATCH_TOKENS = 1 << 20

    def __init__(self, weight: float) -> None:
        self._weight = weight
        self._boosts: dict[int, float] = {}  # document -> boost, where not 1
        self._tokens: list[tuple[TermIds, Numbers]] = []
        self._docnums: list[int] = []
        self._buffered = 0
        self._postings: list[tuple[TermIds, Numbers, npt.NDArray[np.int64]]] = []
        self._values: list[bytes] = []

    def add(self, docnum: int, term_ids: TermIds, positions: Numbers, boost: float) -> None:
        """Add one document's tokens (term ids and positions, in token order)."""
        self._tokens.append((term_ids, positions))
        self._docnums.append(docnum)
        if boost != 1:
            self._boosts[docnum] = boost
        self._buffered += len(term_ids)
        if self._buffered >= self.BATCH_TOKENS:
            self._group()

    def _group(self) -> None:
        if not self._tokens:
            return
        term_ids = np.concatenate([ids for ids, _ in self._tokens])
        positions = np.concatenate([numbers for _, numbers in self._tokens])
        sizes = [len(ids) for ids, _ in self._tokens]
        docnums = np.repeat(np.array(self._docnums, np.int32), sizes)
        term_ids, docnums, counts, values = group_postings(term_ids, docnums, positions)
        self._postings.append((term_ids, docnums, counts))
        self._values += values
        self._tokens, self._docnums, self._buffered = [], [], 0

    def blocks(
        self, field_lengths: Sequence[int] | None, limit: int
    ) -> tuple[FieldBlocks, list[tuple[str, int]]] | None:
        """Return the field's postings in blocks of up to ``limit`` (see :class:`FieldBlocks`),
        with each term and its number there, in term order; ``None`` if there are none."""
        self._group()
        if not self._values:
            return None
        ids = np.concatenate([term_ids for term_ids, _, _ in self._postings])
        order = ascending_by_term(ids)  # batches are in document order, and stay so
        ids = ids[order]
        docnums = np.concatenate([docnums for _, docnums, _ in self._postings])[order]
        # Whoosh's weight: number of positions times the field's weight, times the boost.
        weights = np.concatenate([counts for _, _, counts in self._postings])[order] * self._weight
        if self._boosts:
            weights *= np.array([self._boosts.get(docnum, 1.0) for docnum in docnums.tolist()])
        values = list(map(self._values.__getitem__, order.tolist()))
        self._values, self._postings = [], []
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        lengths = (
            np.asarray(field_lengths, np.int64)[docnums] if field_lengths else np.zeros(len(ids), np.int64)
        )
        blocks = FieldBlocks(starts, docnums, weights, values, lengths, limit)
        texts = [term_text(term_id) for term_id in ids[starts].tolist()]
        return blocks, sorted(zip(texts, range(len(texts)), strict=True))


class BuildWriter(SegmentWriter):
    """A ``SegmentWriter`` that groups postings by term as documents are added."""

    def __init__(self, ix: Index, **kwargs: Any) -> None:
        super().__init__(ix, codec=BuildCodec(), **kwargs)
        if self.docbase or self.segments:
            raise ValueError("BuildWriter writes the first segments of a fresh index")
        # field name -> term -> postings (bytes terms), for fields Whoosh indexes
        self.terms: dict[str, dict[bytes, TermPostings]] = {}
        # field name -> postings, for text fields (see TextField.word_tokens)
        self.texts: dict[str, TextPostings] = {}
        # field name -> value -> field.index(value), for the other fields
        self._known: dict[str, dict[tuple[type, Any], tuple[Posting, ...]]] = {}
        # field name -> document -> field length (scorable fields; lengths above 0)
        self._lengths: dict[str, dict[int, int]] = {}

    def add_document(self, **fields: Any) -> None:
        """Add a document, as ``SegmentWriter.add_document`` does (without term vectors)."""
        self._check_state()
        schema, docnum, perdocwriter = self.schema, self.docnum, self.perdocwriter
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                if field.vector or field.separate_spelling():
                    raise ValueError(f"BuildWriter does not write term vectors or spelling ({fieldname})")
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, fieldname, docboost)
                    length = self._add_postings(fieldname, field, value, docnum, boost)
                    if length:
                        self._lengths.setdefault(fieldname, {})[docnum] = length
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
                if field.column_type and stored is not None:
                    perdocwriter.add_column_value(fieldname, field.column_type, field.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _add_postings(self, fieldname: str, field: FieldType, value: Any, docnum: int, boost: float) -> int:
        """Add one field value's postings; return the field length (0 if not scorable)."""
        tokens = field.word_tokens(value) if isinstance(field, TextField) else None
        if tokens is None:
            if fieldname in self.texts:
                raise TypeError(f"BuildWriter indexes only text in {fieldname}, not {value!r}")
            return self._add_whoosh_postings(fieldname, field, value, docnum, boost)
        if fieldname in self.terms:
            raise TypeError(f"BuildWriter indexes only text in {fieldname}, not {value!r}")
        term_ids, positions = tokens
        postings = self.texts.get(fieldname)
        if postings is None:
            postings = self.texts[fieldname] = TextPostings(field.format.field_boost)
        postings.add(docnum, term_ids, positions, boost)
        return len(term_ids) if field.scorable else 0

    def _add_whoosh_postings(
        self, fieldname: str, field: FieldType, value: Any, docnum: int, boost: float
    ) -> int:
        terms = self.terms.setdefault(fieldname, {})
        length = 0
        for term, frequency, weight, encoded in self._indexed(fieldname, field, value):
            terms.setdefault(term, []).extend((docnum, weight * boost, encoded))
            length += frequency
        return length if field.scorable else 0

    def _indexed(
        self, fieldname: str, field: FieldType, value: Any
    ) -> Sequence[tuple[bytes, int, float, bytes]]:
        """Return ``field.index(value)``, remembered per field: dates, sources, agencies
        and the like repeat across documents."""
        known = self._known.setdefault(fieldname, {})
        key = (type(value), value)  # 1 and True are equal keys, yet index differently
        try:
            found = known.get(key)
        except TypeError:  # not hashable
            return list(field.index(value))
        if found is None:
            found = tuple(field.index(value))
            if len(known) < KNOWN_VALUES:
                known[key] = found
        return found

    def _field_lengths(self) -> dict[str, list[int]]:
        """Each scorable field's length in each document (0 where it has none).

        Whoosh reads them back from the per-document file, which keeps them as one
        byte each; postings use them only through that byte (``length_to_byte``, which
        keeps their order), so the exact lengths give the same index.
        """
        dense = {}
        for name, lengths in self._lengths.items():
            dense[name] = column = [0] * self.docnum
            for docnum, length in lengths.items():
                column[docnum] = length
        return dense

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self._field_lengths()
        fieldwriter = self.fieldwriter
        for fieldname in sorted([*self.terms, *self.texts]):
            fieldwriter.start_field(fieldname, self.schema[fieldname])
            if fieldname in self.texts:
                self._write_text_field(self.texts.pop(fieldname), lengths.get(fieldname))
            else:
                self._write_field(self.terms.pop(fieldname), lengths.get(fieldname))
            fieldwriter.finish_field()
        fieldwriter.close()

    def _write_text_field(self, postings: TextPostings, field_lengths: list[int] | None) -> None:
        found = postings.blocks(field_lengths, self.fieldwriter.block_limit)
        if found is not None:
            blocks, terms = found
            for text, term in terms:
                self.fieldwriter.add_blocks(text.encode("utf-8"), blocks, term)

    def _write_field(self, terms: dict[bytes, TermPostings], field_lengths: list[int] | None) -> None:
        for term in sorted(terms):
            postings = terms[term]
            ids = postings[0::3]
            term_lengths = [field_lengths[i] for i in ids] if field_lengths else [0] * len(ids)
            self.fieldwriter.add_term(term, ids, postings[1::3], postings[2::3], term_lengths)
