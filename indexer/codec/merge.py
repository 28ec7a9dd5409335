"""Merge the runs of a fresh build into one segment, so searches open few segments.

A build's writers each write what they indexed of a window as a run: a segment of its
own. At a million releases that would be well over a hundred segments, and a search
looks each of its words up in every one. The runs of a group of consecutive windows are
written with the document numbers they will have in the group's segment
(:attr:`~indexer.codec.writer.BuildWriter.id_base`), so merging them copies postings
blocks as they are: each term's runs one after the other (its last block marked as
such), the term's statistics added up; and every per-document column value in turn.
Memory stays that of one term's postings and a megabyte of each run's terms.

Runs are read with plain file reads, not through a memory map: a merge reads gigabytes
once, which would otherwise count as the merging process's memory.

Reads segments' compound files and terms tables, Whoosh's private layout: checked
against whoosh-reloaded 2.7.5 (:data:`indexer.codec.WHOOSH_VERSION`).
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Iterator, Sequence
from itertools import accumulate, groupby
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3Segment
from whoosh.columns import Column, VarBytesColumn
from whoosh.fields import Schema
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.system import pack_ushort

from indexer.codec.dense_postings import DenseRun, DenseWriter, Positions, dense_from
from indexer.codec.layout import (
    BLOCK_LENGTH,
    INT_SIZE,
    POSTINGS_MAGIC,
    POSTINGS_PLACE,
    TERM_INFO,
    encode_term_info,
    position_arrays,
)
from indexer.codec.postings_reader import PostingsBlocks
from indexer.codec.postings_writer import BuildCodec
from indexer.schema import phrase_field

_STORED_COLUMN = "_stored"
# A terms table entry starts with the key's and the value's lengths.
_KEY_VALUE_LENGTHS = struct.Struct("!ii")
# Bytes of a terms table read at a time.
_READ_BYTES = 1 << 20
# Bytes of merged postings gathered before they are written, at most (with their terms).
_WRITE_BYTES = 1 << 22
_MAGIC_SIZE = len(POSTINGS_MAGIC)
_INLINED = "cannot merge inlined postings (written by Whoosh's own writer)"


class _RunParts(NamedTuple):
    """One run being merged: its compound file's parts, and its first document."""

    parts: CompoundStorage
    segment: W3Segment
    docbase: int

    def part(self, extension: str) -> Any:
        return self.parts.open_file(self.segment.make_filename(extension))

    def part_length(self, extension: str) -> int:
        return int(self.parts.file_length(self.segment.make_filename(extension)))


def merge_runs(storage: Any, schema: Schema, indexname: str, runs: Sequence[W3Segment]) -> W3Segment:
    """Write the documents of ``runs`` (compound segments of a fresh build, in order, whose
    postings have the ids of the merged segment) into one new compound segment and
    return it; the index's table of contents is not changed."""
    counts = [run.doc_count_all() for run in runs]
    sources = [
        _RunParts(_read_plainly(storage, run), run, base)
        for run, base in zip(runs, [0, *accumulate(counts)], strict=False)
    ]
    codec = BuildCodec()
    merged: W3Segment = codec.new_segment(storage, indexname)
    dense = DenseWriter(storage, merged)
    try:
        _merge_columns(codec, storage, schema, merged, sources, sum(counts))
        _merge_terms(codec, storage, schema, merged, sources, dense)
    except BaseException:
        dense.cancel()
        raise
    finally:
        for source in sources:
            source.parts.close()
    merged.set_doc_count(sum(counts))
    merged.create_compound_file(storage)
    dense.finish()
    return merged


def _read_plainly(storage: Any, run: W3Segment) -> CompoundStorage:
    """Open a run's compound file for reading with file reads (see the module's notes)."""
    return CompoundStorage(storage.open_file(run.make_filename(run.COMPOUND_EXT)), use_mmap=False)


# -- per-document columns ---------------------------------------------------------------


def _column_type(schema: Schema, name: str) -> Column:
    if name == _STORED_COLUMN:
        return VarBytesColumn()  # the compressed bytes, copied as they are
    if name.startswith("_") and name.endswith("_len"):
        return LENGTHS_COLUMN
    field = schema[name] if name in schema else None
    if field is None or field.column_type is None:
        raise ValueError(f"cannot merge column {name!r}: no such column in the schema")
    column: Column = field.column_type
    return column


def _column_names(source: _RunParts) -> list[str]:
    prefix, suffix = source.segment.make_filename("."), W3Codec.COLUMN_EXT
    return [
        name[len(prefix) : -len(suffix)]
        for name in source.parts.list()
        if name.startswith(prefix) and name.endswith(suffix)
    ]


def _raw_stored_add(perdoc: Any) -> Any:
    """Return the stored fields column's ``add``, taking bytes compressed already: the
    writer made it a pickling and compressing column around a plain bytes column."""
    plain = perdoc._get_column(_STORED_COLUMN)._child
    return lambda docnum, value: VarBytesColumn.Writer.add(plain, docnum, value)


def _new_column(perdoc: Any, name: str, column: Column) -> Any:
    perdoc._create_column(name, column)
    return perdoc._get_column(name).add


def _merge_columns(
    codec: BuildCodec, storage: Any, schema: Schema, merged: W3Segment, sources: list[_RunParts], total: int
) -> None:
    """Copy every column value of every document, and sum the field lengths."""
    perdoc = codec.per_document_writer(storage, merged)
    names = sorted({name for source in sources for name in _column_names(source)})
    for name in names:
        column = _column_type(schema, name)
        add = _raw_stored_add(perdoc) if name == _STORED_COLUMN else _new_column(perdoc, name, column)
        for source in sources:
            extension = "." + name + W3Codec.COLUMN_EXT
            if not source.parts.file_exists(source.segment.make_filename(extension)):
                continue
            count = source.segment.doc_count_all()
            reader = column.reader(source.part(extension), 0, source.part_length(extension), count)
            docbase = source.docbase
            for docnum, value in enumerate(reader):
                add(docbase + docnum, value)
    lengths: dict[str, int] = {}
    for source in sources:
        for field, length in source.segment._fieldlengths.items():
            lengths[field] = lengths.get(field, 0) + length
    perdoc._fieldlengths = lengths
    perdoc._doccount = total
    perdoc.close()


# -- terms and postings -----------------------------------------------------------------


class _TermsTable(NamedTuple):
    """A run's terms table, its field numbers and its postings."""

    table: OrderedHashReader
    field_ids: dict[str, int]
    postings: _ReadAhead


class _ReadAhead:
    """A file part read front to back a megabyte at a time: a merge reads each run's
    postings in the order they were written, term after term."""

    def __init__(self, file: Any, size: int) -> None:
        self._file, self._size = file, size
        self._buffer, self._start = b"", 0  # the bytes read last, and where they start

    def get(self, offset: int, length: int) -> bytes:
        """Return ``length`` bytes from ``offset``."""
        at = offset - self._start
        if at < 0 or at + length > len(self._buffer):
            self._buffer = self._file.get(offset, min(max(length, _READ_BYTES), self._size - offset))
            self._start, at = offset, 0
        return self._buffer[at : at + length]


def _terms_table(source: _RunParts) -> _TermsTable:
    length = source.part_length(W3Codec.TERMS_EXT)
    table = OrderedHashReader(source.part(W3Codec.TERMS_EXT), length)
    postings = _ReadAhead(source.part(W3Codec.POSTS_EXT), source.part_length(W3Codec.POSTS_EXT))
    return _TermsTable(table, dict(table.extras["fieldmap"]), postings)


def _terms(table: _TermsTable, number: int) -> Iterator[tuple[str, bytes, int, bytes]]:
    """Yield (field, term, segment number, term info bytes) of every term, in order.

    The table's keys are a field number and the term; its fields are numbered in name
    order (the build writes them so), so key order is (field, term) order. The keys and
    values are read a megabyte at a time, not one look-up each."""
    names = {pack_ushort(field_id): name for name, field_id in table.field_ids.items()}
    if sorted(names.values()) != [names[key] for key in sorted(names)]:
        raise ValueError("cannot merge a segment whose fields are not numbered in name order")
    file, position, end = table.table.dbfile, table.table.startofdata, table.table.endofdata
    buffer, used = b"", 0
    while True:
        while used + _KEY_VALUE_LENGTHS.size <= len(buffer):
            key_length, value_length = _KEY_VALUE_LENGTHS.unpack_from(buffer, used)
            key_start = used + _KEY_VALUE_LENGTHS.size
            value_start = key_start + key_length
            stop = value_start + value_length
            if stop > len(buffer):
                break
            yield (
                names[buffer[key_start : key_start + 2]],
                buffer[key_start + 2 : value_start],
                number,
                buffer[value_start:stop],
            )
            used = stop
        if position >= end:
            return
        size = min(_READ_BYTES, end - position)
        buffer, used = buffer[used:] + file.get(position, size), 0
        position += size


def _merge_terms(
    codec: BuildCodec,
    storage: Any,
    schema: Schema,
    merged: W3Segment,
    sources: list[_RunParts],
    dense: DenseWriter,
) -> None:
    """Write every term's merged postings, and the common words' as arrays to ``dense``."""
    tables = [_terms_table(source) for source in sources]
    runs_dense = [DenseRun.of_segment(storage, source.segment) for source in sources]
    least = dense_from()
    writer = codec.field_writer(storage, merged)
    in_order = heapq.merge(*(_terms(table, number) for number, table in enumerate(tables)))
    try:
        for field, in_field in groupby(in_order, key=itemgetter(0)):
            writer.start_field(field, schema[field])
            scorable, phrases = schema[field].scorable, phrase_field(field)
            # Terms are added a few megabytes of postings at a time, not one by one.
            batch: list[tuple[bytes, bytes]] = []
            chunks: list[bytes] = []
            offset = start = writer.postings_offset()
            for term, parts in groupby(in_field, key=itemgetter(1)):
                found = [(tables[number], info, number) for _, _, number, info in parts]
                postings, info = _merged_postings(found, offset)
                batch.append((term, info))
                chunks.append(postings)
                offset += len(postings)
                if scorable and TERM_INFO.unpack_from(info)[2] >= least:
                    dense.add(field, term, *_joined_arrays(field, term, found, runs_dense, phrases))
                if offset - start >= _WRITE_BYTES:
                    writer.add_postings(batch, b"".join(chunks))
                    batch, chunks, start = [], [], offset
            writer.add_postings(batch, b"".join(chunks))
            writer.finish_field()
    finally:
        for run in runs_dense:
            if run is not None:
                run.close()
    writer.close()


def _joined_arrays(
    field: str,
    term: bytes,
    found: list[tuple[_TermsTable, bytes, int]],
    runs_dense: list[DenseRun | None],
    with_positions: bool,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[Any], Positions | None]:
    """Return a word's ids, weights and (``with_positions``) positions in the merged
    segment: each run's arrays, or its blocks decoded where the run has no arrays of the
    word (it was rare there)."""
    parts: list[tuple[npt.NDArray[Any], ...]] = []
    for table, info, number in found:
        run = runs_dense[number]
        arrays = run.postings(field, term) if run is not None else None
        positions = run.positions(field, term) if run is not None and arrays is not None else None
        if arrays is None or (with_positions and positions is None):
            raw = table.postings.get(*POSTINGS_PLACE.unpack_from(info, TERM_INFO.size))
            ids, weights, values = PostingsBlocks.in_bytes(raw).read_all(with_values=with_positions)
            arrays = ids, weights.astype(np.float32)
            positions = position_arrays(values) if with_positions else None
        parts.append((*arrays, *(positions or ())))
    ids = np.concatenate([part[0] for part in parts])
    weights = np.concatenate([part[1].astype(np.float32, copy=False) for part in parts])
    if not with_positions:
        return ids, weights, None
    counts = np.concatenate([part[2].astype(np.int64, copy=False) for part in parts])
    return ids, weights, (counts, np.concatenate([part[3].astype(np.int32, copy=False) for part in parts]))


def _merged_postings(found: list[tuple[_TermsTable, bytes, int]], offset: int) -> tuple[bytes, bytes]:
    """Return one term's postings in several runs as one list, and its term info."""
    if len(found) == 1:  # most terms of a big corpus: only where it lies changes
        table, data, _ = found[0]
        if data[0]:
            raise ValueError(_INLINED)
        raw = table.postings.get(*POSTINGS_PLACE.unpack_from(data, TERM_INFO.size))
        return raw, data[: TERM_INFO.size] + POSTINGS_PLACE.pack(offset, len(raw))
    chunks = [POSTINGS_MAGIC]
    total, frequency, shortest, longest, max_weight = 0.0, 0, 0, 0, 0.0
    last_number = len(found) - 1
    for number, (table, data, _) in enumerate(found):
        inlined, weight, count, short, long, top, _, _ = TERM_INFO.unpack_from(data)
        if inlined:
            raise ValueError(_INLINED)
        total, frequency = total + weight, frequency + count
        if short and (not shortest or short < shortest):
            shortest = short
        longest, max_weight = max(longest, long), max(max_weight, top)
        chunks += _blocks(
            table.postings.get(*POSTINGS_PLACE.unpack_from(data, TERM_INFO.size)), number == last_number
        )
    merged = b"".join(chunks)
    first_id = TERM_INFO.unpack_from(found[0][1])[6]
    last_id = TERM_INFO.unpack_from(found[-1][1])[7]
    info = encode_term_info(
        total, frequency, shortest, longest, max_weight, first_id, last_id, offset, len(merged)
    )
    return merged, info


def _blocks(raw: bytes, last: bool) -> list[bytes]:
    """Return the blocks of one run's postings of a term; its last block is marked the
    term's last only if ``last`` (the block's length is negative)."""
    (length,) = BLOCK_LENGTH.unpack_from(raw, _MAGIC_SIZE)
    if length < 0:  # a single block, as most are
        return [raw[_MAGIC_SIZE:] if last else BLOCK_LENGTH.pack(-length) + raw[_MAGIC_SIZE + INT_SIZE :]]
    return list(_each_block(raw, last))


def _each_block(raw: bytes, last: bool) -> Iterator[bytes]:
    position = _MAGIC_SIZE
    while position < len(raw):
        (length,) = BLOCK_LENGTH.unpack_from(raw, position)
        end = position + INT_SIZE + abs(length)
        if length < 0 and not last:
            yield BLOCK_LENGTH.pack(-length) + raw[position + INT_SIZE : end]
        else:
            yield raw[position:end]
        position = end
