"""A Whoosh segment writer for full builds: Whoosh's files, with less work per posting.

Whoosh's ``SegmentWriter`` passes each posting through a pool as a tuple, sorts all
of them at commit, reads each posting's field length back from the file it has just
written, and hands postings to the codec one call at a time. :class:`BuildWriter`
keeps each term's postings together as documents arrive (text fields skip Whoosh's
token objects, see :class:`~indexer.schema.TextField`), keeps field lengths in memory
and gives the codec a block of postings at a time. A search reads from its segments
exactly what it reads from Whoosh's (``tests/test_writer.py`` compares everything);
only the postings file is smaller (see :class:`BlockPostingsWriter`).

For a fresh index only: it neither merges segments nor replaces documents.
:func:`write_fresh_index` runs one writer per share of the documents, in parallel.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3PostingsWriter, W3Segment
from whoosh.fields import FieldType
from whoosh.index import Index
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from indexer.schema import ONCE_ENCODED, TextField, encode_positions

T = TypeVar("T")

# Writer processes are forked: they share the loaded corpus instead of receiving it.
_FORK = multiprocessing.get_context("fork")


# Smaller block data grows under zlib: it is stored as it is (the block says so).
COMPRESS_FROM_BYTES = 64


class BlockPostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, taking a term's postings a block at a time; it
    pickles each block's data with the current pickle protocol and leaves small
    blocks uncompressed.

    Whoosh pickles block data with protocol 2, which turns every bytes value (the
    encoded positions) into a ``codecs.encode`` call on a Latin-1 string: slow to
    write and to read, and twice the size after compression. Whoosh reads any
    protocol (``pickle.loads``) and an uncompressed block, so the format is unchanged.
    """

    def __init__(self, postfile: Any, **kwargs: Any) -> None:
        super().__init__(_CountingFile(postfile), **kwargs)

    def add_postings(
        self, ids: Sequence[int], weights: Sequence[float], values: Sequence[bytes], lengths: Sequence[int]
    ) -> None:
        """Add postings as :meth:`add_posting` would, one per id, in id order."""
        limit = self._blocklimit
        for start in range(0, len(ids), limit):
            if len(self):  # a block is buffered: write it, as add_posting would
                self._write_block()
            end = start + limit
            chunk = weights[start:end]
            self._ids = array("I", ids[start:end])
            self._weights = array("f", chunk)
            self._values = [value for value in values[start:end] if value]
            # add_posting keeps the first greatest weight, starting from the int 0.
            self._maxweight = max(0, max(chunk))
            present = [length for length in lengths[start:end] if length]
            self._minlength = min(present) if present else None
            self._maxlength = max(present, default=0)

    def _write_block(self, last: bool = False) -> None:
        # As W3PostingsWriter._write_block, but for the protocol of the data pickle.
        postfile = self._postfile
        if not self._blockcount:
            postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, pickle.HIGHEST_PROTOCOL)
        compression = self._compression if len(databytes) >= COMPRESS_FROM_BYTES else 0
        if compression:
            databytes = zlib.compress(databytes, compression)
        ids = self._ids
        info = (
            len(ids),
            ids[-1],
            self._maxweight,
            compression,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        )
        infobytes = pickle.dumps(info, 2)
        blocklength = len(infobytes) + len(databytes)
        postfile.write_int(-blocklength if last else blocklength)  # negative: the term's last block
        postfile.write(infobytes)
        postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


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


class BlockFieldWriter(W3FieldWriter):
    """Whoosh's field writer, adding a term's postings in blocks."""

    def add_postings_of_term(
        self, ids: Sequence[int], weights: Sequence[float], values: Sequence[bytes], lengths: Sequence[int]
    ) -> None:
        """Add all postings of the current term (see :meth:`BlockPostingsWriter.add_postings`)."""
        self._postwriter.add_postings(ids, weights, values, lengths)


class BuildCodec(W3Codec):
    """Whoosh's codec with the block writers; the segments it makes name plain
    :class:`W3Codec`, so reading an index needs nothing from this module."""

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
        codec = W3Codec(self._blocklimit, self._compression, self._inlinelimit)
        return W3Segment(codec, indexname)


# A term's postings, in the order documents were added, flat: id, weight, value, id, ...
TermPostings = list[Any]


class BuildWriter(SegmentWriter):
    """A ``SegmentWriter`` that groups postings by term as documents are added."""

    def __init__(self, ix: Index, **kwargs: Any) -> None:
        super().__init__(ix, codec=BuildCodec(), **kwargs)
        if self.docbase or self.segments:
            raise ValueError("BuildWriter writes the first segments of a fresh index")
        # field name -> term -> postings; terms are str for text fields, else bytes
        self.terms: dict[str, dict[Any, TermPostings]] = {}

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
        terms = self.terms.setdefault(fieldname, {})
        found = field.word_positions(value) if isinstance(field, TextField) else None
        if found is None:
            return self._add_whoosh_postings(terms, field, value, docnum, boost)
        # TextField.index, inlined: this loop runs once per posting.
        weight = field.format.field_boost
        once, once_weight = ONCE_ENCODED, 1 * weight * boost
        for word, positions in found.items():
            postings = terms.get(word)
            if postings is None:
                postings = terms[word] = []
            count = len(positions)
            if count == 1:
                postings += (docnum, once_weight, once.get(positions[0]) or encode_positions(positions))
            else:
                postings += (docnum, count * weight * boost, encode_positions(positions))
        return sum(map(len, found.values())) if field.scorable else 0

    def _add_whoosh_postings(
        self, terms: dict[Any, TermPostings], field: FieldType, value: Any, docnum: int, boost: float
    ) -> int:
        length = 0
        for term, frequency, weight, encoded in field.index(value):
            key = term.decode("utf-8") if isinstance(field, TextField) else term
            terms.setdefault(key, []).extend((docnum, weight * boost, encoded))
            length += frequency
        return length if field.scorable else 0

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader()
        try:
            lengths = {
                name: [reader.doc_field_length(docnum, name) or 0 for docnum in range(self.docnum)]
                for name in self.terms
                if self.schema[name].scorable
            }
        finally:
            reader.close()
        fieldwriter = self.fieldwriter
        for fieldname in sorted(self.terms):
            field = self.schema[fieldname]
            terms = self.terms.pop(fieldname)
            field_lengths = lengths.get(fieldname)
            fieldwriter.start_field(fieldname, field)
            for term in sorted(terms):
                postings = terms[term]
                ids = postings[0::3]
                fieldwriter.start_term(term.encode("utf-8") if isinstance(term, str) else term)
                fieldwriter.add_postings_of_term(
                    ids,
                    postings[1::3],
                    postings[2::3],
                    [field_lengths[i] for i in ids] if field_lengths else [0] * len(ids),
                )
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        fieldwriter.close()


def write_fresh_index(
    ix: Index,
    shares: Sequence[Sequence[T]],
    to_document: Callable[[T], dict[str, Any]],
    progress: Callable[[Sequence[T]], Iterable[T]] = lambda items: items,
) -> None:
    """Write the fresh index ``ix``: one segment per share, in share order.

    The first share is written here, the others each in a forked process at the same
    time (they read the shares from memory; only the finished segment's description
    comes back). The shares' documents keep their order across segments. Forks ignore
    Ctrl-C: the interrupted parent stops them and cancels, and the index is unchanged.
    """
    writer = BuildWriter(ix)
    children: list[tuple[BaseProcess, Connection]] = []
    try:
        children = [_start_share(ix, share, to_document) for share in shares[1:]]
        for item in progress(shares[0]):
            writer.add_document(**to_document(item))
        segments = [writer._finalize_segment()] if writer._added else []
        for process, receiver in children:
            outcome = _receive(receiver)
            process.join()
            if isinstance(outcome, str):
                raise RuntimeError(f"an index writer process failed: {outcome}")
            if outcome is not None:
                segments.append(outcome)
    except BaseException:
        for process, _ in children:
            process.terminate()
            process.join()
        writer.cancel()
        raise
    if not writer._added:
        writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()


def _start_share(
    ix: Index, share: Sequence[T], to_document: Callable[[T], dict[str, Any]]
) -> tuple[BaseProcess, Connection]:
    receiver, sender = _FORK.Pipe(duplex=False)
    process = _FORK.Process(target=_write_share, args=(ix, share, to_document, sender), daemon=True)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process.start()
    finally:
        signal.signal(signal.SIGINT, previous)
    sender.close()
    return process, receiver


def _write_share(
    ix: Index, share: Sequence[T], to_document: Callable[[T], dict[str, Any]], sender: Connection
) -> None:
    """In a forked process: write one segment and send its description (or the error) back."""
    try:
        writer = BuildWriter(ix, _lk=False)
        for item in share:
            writer.add_document(**to_document(item))
        sender.send(writer._finalize_segment() if writer._added else None)
    except BaseException as exc:  # reported by the parent, which then cancels the build
        sender.send(f"{type(exc).__name__}: {exc}")
    finally:
        sender.close()


def _receive(receiver: Connection) -> W3Segment | str | None:
    try:
        outcome: W3Segment | str | None = receiver.recv()
    except EOFError:
        return "it exited without a result"
    return outcome
