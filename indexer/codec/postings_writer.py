"""Whoosh's W3 codec with writers that add a whole term at once.

:class:`BuildCodec` is Whoosh's codec with three writers swapped: postings written a
term (or a text field's :class:`~indexer.codec.blocks.FieldBlocks`) at a time, a terms
table with fewer calls per key, and stored fields compressed with ISA-L
(:data:`COMPRESSION`), which writes zlib's format. Segments it makes name plain
``W3Codec``, so reading an index needs nothing from here. The bytes themselves are
defined in :mod:`indexer.codec.layout`.

Subclasses Whoosh's writers and sets their private attributes: checked against
whoosh-reloaded 2.7.5 (:data:`indexer.codec.WHOOSH_VERSION`).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from operator import sub
from typing import Any

from isal import isal_zlib
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PerDocWriter, W3PostingsWriter, W3Segment
from whoosh.system import pack_ushort

from indexer.codec.blocks import FieldBlocks
from indexer.codec.layout import INT_SIZE, POSTINGS_MAGIC, encode_block, encode_term_info, length_to_byte
from indexer.codec.terms_table import TermsTable

# Postings blocks are compressed with ISA-L at its default level, stored fields at
# Whoosh's level 3 (ISA-L's best). Its output is zlib's format, which readers decompress
# as ever, in well under half of zlib's time for the same sizes (figures in CHANGES.md).
COMPRESSION = isal_zlib.ISAL_DEFAULT_COMPRESSION

# Smaller block data is stored as it is (the block says so): the fixed cost per call
# dominates there, for few bytes saved (figures in CHANGES.md).
COMPRESS_FROM_BYTES = 512


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
            data = POSTINGS_MAGIC + block
        else:
            chunks = [POSTINGS_MAGIC]
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
        return encode_term_info(
            total,
            count,
            length_to_byte(minlength),
            length_to_byte(maxlength),
            maxweight,
            ids[0],
            ids[-1],
            offset,
            len(data),
        )


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
    # add_posting keeps the first greatest weight, starting from the int 0.
    maxweight = max(0, max(weights))
    info = (len(ids), ids[-1], maxweight, level, length_to_byte(minlength), length_to_byte(maxlength))
    written = encode_block(mini_ids, mini_weights, mini_values, info, level, COMPRESS_FROM_BYTES, last)
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
        self._position += INT_SIZE


class BlockFieldWriter(W3FieldWriter):
    """Whoosh's field writer, adding a term's postings in blocks."""

    def __init__(self, codec: W3Codec, storage: Any, segment: W3Segment) -> None:
        super().__init__(codec, storage, segment)
        TermsTable.adopt(self._tindex)  # the same object, adding keys in batches

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

    def postings_offset(self) -> int:
        """Where the next term's postings start in the postings file."""
        return int(self._postwriter._postfile.tell())

    def add_postings(self, btexts: list[bytes], infos: list[bytes], data: bytes) -> None:
        """Add terms of the current field, in order, whose postings (``data``, all of theirs,
        to be written at :meth:`postings_offset`) and term infos are made already (by a merge)."""
        self._postwriter._postfile.write(data)
        prefix = pack_ushort(self._fieldid)
        self._tindex.add_all([prefix + btext for btext in btexts], infos)

    def add_blocks(self, blocks: FieldBlocks, btexts: list[bytes], numbers: list[int]) -> None:
        """Add terms of the current (text) field, in order: ``btexts`` and their numbers in ``blocks``."""
        prefix = pack_ushort(self._fieldid)
        postwriter = self._postwriter
        infos = blocks.write_terms(
            numbers, postwriter._postfile, postwriter._compression, COMPRESS_FROM_BYTES
        )
        self._tindex.add_all([prefix + btext for btext in btexts], infos)


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
