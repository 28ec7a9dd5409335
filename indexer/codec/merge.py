"""Merge the runs of a fresh build into one segment, so searches open few segments.

A build's writers each write what they indexed of a window as a run: a segment of its
own. At a million releases that would be well over a hundred segments, and a search
looks each of its words up in every one. The runs of a group of consecutive windows are
written with the document numbers they will have in the group's segment
(:attr:`~indexer.codec.writer.BuildWriter.id_base`), so merging them copies postings
blocks as they are: each term's runs one after the other (its last block marked as
such), the term's statistics added up, a batch of terms at a time; and every
per-document column value in turn (:mod:`~indexer.codec.merge_columns`). Memory stays
that of a few megabytes of postings (or one term's) and a megabyte of each run's terms.

Runs are read with plain file reads, not through a memory map: a merge reads gigabytes
once, which would otherwise count as the merging process's memory.

Reads segments' compound files and terms tables, Whoosh's private layout: checked
against whoosh-reloaded 2.7.5 (:data:`indexer.codec.WHOOSH_VERSION`).
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from operator import itemgetter, ne
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.fields import Schema
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.system import pack_ushort

from indexer.codec.byte_rows import starts_of
from indexer.codec.dense_postings import DenseRun, DenseWriter, Positions, dense_from
from indexer.codec.layout import (
    BLOCK_LENGTH,
    INT_SIZE,
    POSTINGS_MAGIC,
    POSTINGS_PLACE,
    TERM_INFO,
    TERM_INFO_ROW,
    position_arrays,
)
from indexer.codec.merge_columns import RunParts, merge_columns
from indexer.codec.postings_reader import PostingsBlocks
from indexer.codec.postings_writer import BuildCodec
from indexer.schema import phrase_field

# A terms table entry starts with the key's and the value's lengths.
_KEY_VALUE_LENGTHS = struct.Struct("!ii")
# Bytes of a terms table read at a time.
_READ_BYTES = 1 << 20
# Terms' entries in the runs merged at a time, at most; and bytes of their postings.
_BATCH_ENTRIES = 20_000
_WRITE_BYTES = 1 << 22
# Entries of each run's terms table put in order together at a time.
_MERGE_CHUNK = 4096
_MAGIC_SIZE = len(POSTINGS_MAGIC)
_INLINED = "cannot merge inlined postings (written by Whoosh's own writer)"


def merge_runs(storage: Any, schema: Schema, indexname: str, runs: Sequence[W3Segment]) -> W3Segment:
    """Write the documents of ``runs`` (compound segments of a fresh build, in order, whose
    postings have the ids of the merged segment) into one new compound segment and
    return it; the index's table of contents is not changed."""
    counts = [run.doc_count_all() for run in runs]
    sources = [
        RunParts(_read_plainly(storage, run), run, base)
        for run, base in zip(runs, [0, *accumulate(counts)], strict=False)
    ]
    codec = BuildCodec()
    merged: W3Segment = codec.new_segment(storage, indexname)
    dense = DenseWriter(storage, merged)
    try:
        merge_columns(codec, storage, schema, merged, sources, sum(counts))
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


def _terms_table(source: RunParts) -> _TermsTable:
    length = source.part_length(W3Codec.TERMS_EXT)
    table = OrderedHashReader(source.part(W3Codec.TERMS_EXT), length)
    postings = _ReadAhead(source.part(W3Codec.POSTS_EXT), source.part_length(W3Codec.POSTS_EXT))
    return _TermsTable(table, dict(table.extras["fieldmap"]), postings)


def _terms(table: _TermsTable, number: int) -> Iterator[list[_Found]]:
    """Yield (field, term, segment number, term info bytes) of every term, in order, in
    lists of up to :data:`_MERGE_CHUNK`.

    The table's keys are a field number and the term; its fields are numbered in name
    order (the build writes them so), so key order is (field, term) order. The keys and
    values are read a megabyte at a time, not one look-up each."""
    names = {pack_ushort(field_id): name for name, field_id in table.field_ids.items()}
    if sorted(names.values()) != [names[key] for key in sorted(names)]:
        raise ValueError("cannot merge a segment whose fields are not numbered in name order")
    file, position, end = table.table.dbfile, table.table.startofdata, table.table.endofdata
    buffer, used = b"", 0
    found: list[_Found] = []
    while True:
        while used + _KEY_VALUE_LENGTHS.size <= len(buffer):
            key_length, value_length = _KEY_VALUE_LENGTHS.unpack_from(buffer, used)
            key_start = used + _KEY_VALUE_LENGTHS.size
            value_start = key_start + key_length
            stop = value_start + value_length
            if stop > len(buffer):
                break
            found.append(
                (
                    names[buffer[key_start : key_start + 2]],
                    buffer[key_start + 2 : value_start],
                    number,
                    buffer[value_start:stop],
                )
            )
            used = stop
            if len(found) == _MERGE_CHUNK:
                yield found
                found = []
        if position >= end:
            if found:
                yield found
            return
        size = min(_READ_BYTES, end - position)
        buffer, used = buffer[used:] + file.get(position, size), 0
        position += size


def _merge_terms(
    codec: BuildCodec,
    storage: Any,
    schema: Schema,
    merged: W3Segment,
    sources: list[RunParts],
    dense: DenseWriter,
) -> None:
    """Write every term's merged postings, and the common words' as arrays to ``dense``."""
    tables = [_terms_table(source) for source in sources]
    runs_dense = [DenseRun.of_segment(storage, source.segment) for source in sources]
    least = dense_from()
    writer = codec.field_writer(storage, merged)
    in_order = _in_order([_terms(table, number) for number, table in enumerate(tables)])
    field_now = None
    try:
        for field, batch, infos in _field_batches(in_order):
            if field != field_now:
                if field_now is not None:
                    writer.finish_field()
                writer.start_field(field, schema[field])
                scorable, phrases, field_now = schema[field].scorable, phrase_field(field), field
            terms = _MergedTerms(batch, tables, infos)
            data, term_infos = terms.postings(writer.postings_offset())
            writer.add_postings(terms.terms, term_infos, data)
            for number in terms.at_least(least) if scorable else []:
                term, found = terms.terms[number], terms.found(number)
                dense.add(field, term, *_joined_arrays(field, term, found, runs_dense, phrases))
        if field_now is not None:
            writer.finish_field()
    finally:
        for run in runs_dense:
            if run is not None:
                run.close()
    writer.close()


# A term in one run: field, term, the run's number, the term's info there.
_Found = tuple[str, bytes, int, bytes]
_field_and_term = itemgetter(0, 1)
_field_of, _info_of = itemgetter(0), itemgetter(3)


def _in_order(runs: list[Iterator[list[_Found]]]) -> Iterator[list[_Found]]:
    """Yield the runs' entries (each run's in term order, in lists) in (field, term, run)
    order, as ``heapq.merge`` would, but without a Python step per entry: lists of the
    entries up to the least last term of each run's next :data:`_MERGE_CHUNK` or more,
    sorted together. A term's entries all come in the same list."""
    pending: list[list[_Found]] = [[] for _ in runs]
    running = [True] * len(runs)
    while any(running) or any(pending):
        for number, run in enumerate(runs):
            while running[number] and len(pending[number]) < _MERGE_CHUNK:
                taken = next(run, None)
                if taken is None:
                    running[number] = False
                else:
                    pending[number] += taken
        # Runs still reading have no entry at or below their pending last one to come.
        lasts = [_field_and_term(entries[-1]) for entries, more in zip(pending, running, strict=True) if more]
        bound = min(lasts) if lasts else None
        merged: list[_Found] = []
        for number, entries in enumerate(pending):
            cut = len(entries) if bound is None else bisect_right(entries, bound, key=_field_and_term)
            merged += entries[:cut]
            pending[number] = entries[cut:]
        merged.sort(key=_field_and_term)  # stable: a term's entries stay in run order
        if merged:
            yield merged


def _field_batches(
    in_order: Iterable[list[_Found]],
) -> Iterator[tuple[str, list[_Found], npt.NDArray[Any]]]:
    """Yield (field, entries, their term infos) of the entries in order (lists in which
    no term is split), a batch of at most about :data:`_BATCH_ENTRIES` entries or
    :data:`_WRITE_BYTES` of postings at a time, within one field, a term's entries never
    split."""
    for entries in in_order:
        infos = np.frombuffer(b"".join(map(_info_of, entries)), TERM_INFO_ROW)
        ends = np.cumsum(infos["length"], dtype=np.int64)  # where each entry's postings end
        start = 0
        while start < len(entries):
            field = entries[start][0]
            field_end = bisect_right(entries, field, start, key=_field_of)
            written = int(ends[start - 1]) if start else 0
            full = int(np.searchsorted(ends, written + _WRITE_BYTES, side="left")) + 1
            end = min(field_end, start + _BATCH_ENTRIES, max(full, start + 1))
            while end < field_end and entries[end][1] == entries[end - 1][1]:
                end += 1  # the rest of the term's entries
            yield field, entries[start:end], infos[start:end]
            start = end


class _MergedTerms:
    """A batch of terms' entries in the runs (in term, then run order), merged: each
    term's postings the runs' one after the other, its statistics worked out for all the
    batch's terms at once."""

    def __init__(self, batch: list[_Found], tables: list[_TermsTable], infos: npt.NDArray[Any]) -> None:
        self._batch, self._tables = batch, tables
        terms = [entry[1] for entry in batch]
        self._first = np.fromiter(map(ne, terms, [None, *terms[:-1]]), bool, len(terms))
        self._starts = np.flatnonzero(self._first)
        self.terms: list[bytes] = [terms[start] for start in self._starts.tolist()]
        self._infos = infos  # the entries' term infos, as rows
        if self._infos["flags"].any():
            raise ValueError(_INLINED)
        self._frequencies = np.add.reduceat(self._infos["doc_frequency"].astype(np.int64), self._starts)

    def at_least(self, least: int) -> list[int]:
        """Return the numbers of the terms in ``least`` releases or more."""
        found: list[int] = np.flatnonzero(self._frequencies >= least).tolist()
        return found

    def found(self, number: int) -> list[tuple[_TermsTable, bytes, int]]:
        """Return term ``number``'s run tables, term infos there and run numbers."""
        end = int(self._starts[number + 1]) if number + 1 < len(self._starts) else len(self._batch)
        entries = self._batch[int(self._starts[number]) : end]
        return [(self._tables[run], info, run) for _, _, run, info in entries]

    def postings(self, offset: int) -> tuple[bytes, list[bytes]]:
        """Return the terms' merged postings, one after another from ``offset``, and each
        term's info there."""
        infos, starts = self._infos, self._starts
        lengths = infos["length"].astype(np.int64)
        pieces: list[bytes] = []
        lasts = np.append(self._first[1:], True).tolist()
        for (_, _, run, _), first, last, place, length in zip(
            self._batch, self._first.tolist(), lasts, infos["offset"].tolist(), lengths.tolist(), strict=True
        ):
            raw = self._tables[run].postings.get(place, length)
            (block_length,) = BLOCK_LENGTH.unpack_from(raw, _MAGIC_SIZE)
            if block_length < 0 and first and last:  # most terms: a single block in one run
                pieces.append(raw)
                continue
            if first:
                pieces.append(POSTINGS_MAGIC)
            if block_length >= 0:
                pieces += _each_block(raw, last)
            elif last:
                pieces.append(raw[_MAGIC_SIZE:])
            else:  # a single block: no longer the term's last
                pieces += [BLOCK_LENGTH.pack(-block_length), raw[_MAGIC_SIZE + INT_SIZE :]]
        sizes = np.add.reduceat(lengths - _MAGIC_SIZE, starts) + _MAGIC_SIZE
        merged = np.zeros(len(starts), TERM_INFO_ROW)
        merged["weight"] = np.add.reduceat(infos["weight"].astype(np.float64), starts)
        merged["doc_frequency"] = self._frequencies
        shortest = np.minimum.reduceat(np.where(infos["min_length"] > 0, infos["min_length"], 256), starts)
        merged["min_length"] = np.where(shortest == 256, 0, shortest)
        merged["max_length"] = np.maximum.reduceat(infos["max_length"], starts)
        merged["max_weight"] = np.maximum.reduceat(infos["max_weight"], starts)
        merged["min_id"] = infos["min_id"][starts]
        merged["max_id"] = infos["max_id"][np.append(starts[1:], len(infos)) - 1]
        merged["offset"], merged["length"] = starts_of(sizes, offset), sizes
        packed, size = merged.tobytes(), TERM_INFO_ROW.itemsize
        return b"".join(pieces), [packed[at : at + size] for at in range(0, len(packed), size)]


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
