"""Full builds' segment writer: Whoosh's files, with less work per posting.

Whoosh's ``SegmentWriter`` passes each posting through a pool as a tuple, sorts all
of them at commit, reads each posting's field length back from the file it has just
written, and hands postings to the codec one call at a time. :class:`BuildWriter`
collects text fields' tokens as arrays of term ids and positions and makes them into
postings with NumPy (:class:`TextPostings`, :func:`~indexer.codec.postings.group_postings`),
keeps the other fields' postings together by term (remembering what each repeated
value indexes to), keeps field lengths in memory, and writes each term's postings,
term info and terms table entry in one go through :class:`~indexer.codec.postings_writer.BuildCodec`.
A search reads from its segments exactly what it reads from Whoosh's
(``tests/test_writer.py`` compares everything).

For a fresh index only: it neither merges segments nor replaces documents.
:func:`indexer.codec.parallel.write_fresh_index` runs several writers at once.
Subclasses ``SegmentWriter`` and uses its private methods: checked against
whoosh-reloaded 2.7.5 (:data:`indexer.codec.WHOOSH_VERSION`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import W3Segment
from whoosh.fields import FieldType
from whoosh.index import Index
from whoosh.writing import SegmentWriter

from indexer.analysis import term_text
from indexer.codec.blocks import FieldBlocks
from indexer.codec.dense_postings import DenseWriter, run_dense_from
from indexer.codec.layout import length_bytes
from indexer.codec.postings import Numbers, TermIds, Values, ascending_by_term, group_postings
from indexer.codec.postings_writer import BuildCodec
from indexer.schema import Posting, TextField, phrase_field

# A term's postings, in the order documents were added, flat: id, weight, value, id, ...
TermPostings = list[Any]
# Values remembered per field (with their postings) by BuildWriter._indexed.
KNOWN_VALUES = 100_000
# What a Python object costs beyond its data, about: for memory accounting only.
OBJECT_BYTES = 56


class TextPostings:
    """A text field's tokens as documents arrive, made into postings with NumPy (no
    Python code per token or posting) a batch of documents at a time."""

    # Tokens buffered before they are grouped: bounds the memory the grouping takes.
    BATCH_TOKENS = 1 << 20

    def __init__(self, weight: float, keep_positions: bool = False) -> None:
        self._weight = weight
        # With ``keep_positions``, the positions as numbers too (for dense positions).
        self._keep_positions = keep_positions
        self._positions: list[Numbers] = []
        self._boosts: dict[int, float] = {}  # document -> boost, where not 1
        self._tokens: list[tuple[TermIds, Numbers]] = []
        self._docnums: list[int] = []
        self._buffered = 0
        self._postings: list[tuple[TermIds, Numbers, npt.NDArray[np.int64]]] = []
        self._values: list[Values] = []
        self._grouped_bytes = 0  # what the grouped postings hold, about
        self._token_bytes = 0  # what the buffered tokens hold, about

    @property
    def buffered_bytes(self) -> int:
        """Return about how much memory the field's tokens and postings take."""
        return self._grouped_bytes + self._token_bytes

    def add(self, docnum: int, term_ids: TermIds, positions: Numbers, boost: float) -> None:
        """Add one document's tokens (term ids and positions, in token order)."""
        self._tokens.append((term_ids, positions))
        self._docnums.append(docnum)
        if boost != 1:
            self._boosts[docnum] = boost
        self._buffered += len(term_ids)
        self._token_bytes += term_ids.nbytes + positions.nbytes + 2 * OBJECT_BYTES
        if self._buffered >= self.BATCH_TOKENS:
            self._group()

    def _group(self) -> None:
        if not self._tokens:
            return
        term_ids = np.concatenate([ids for ids, _ in self._tokens])
        positions = np.concatenate([numbers for _, numbers in self._tokens])
        sizes = [len(ids) for ids, _ in self._tokens]
        docnums = np.repeat(np.array(self._docnums, np.int32), sizes)
        term_ids, docnums, counts, values, positions = group_postings(term_ids, docnums, positions)
        self._postings.append((term_ids, docnums, counts))
        self._values.append(values)
        arrays = term_ids.nbytes + docnums.nbytes + counts.nbytes
        if self._keep_positions:
            self._positions.append(positions)
            arrays += positions.nbytes
        self._grouped_bytes += arrays + sum(map(len, values)) + OBJECT_BYTES * len(values)
        self._tokens, self._docnums, self._buffered, self._token_bytes = [], [], 0, 0

    def blocks(
        self, field_lengths: Sequence[int] | None, limit: int, id_base: int = 0
    ) -> tuple[FieldBlocks, list[str], list[int]] | None:
        """Return the field's postings in blocks of up to ``limit`` (see :class:`FieldBlocks`),
        ids moved by ``id_base``, with its terms in order and each one's number there;
        ``None`` if there are none."""
        self._group()
        if not any(map(len, self._values)):
            return None
        # Each batch's arrays are let go as soon as they are joined: at its peak, writing
        # a field holds its postings about twice, not three times.
        id_parts, docnum_parts, count_parts = (list(parts) for parts in zip(*self._postings, strict=True))
        value_parts, position_parts = self._values, self._positions
        self._values, self._postings, self._positions, self._grouped_bytes = [], [], [], 0
        ids = _joined(id_parts)
        order = ascending_by_term(ids)  # batches are in document order, and stay so
        ids = ids[order]
        docnums = _joined(docnum_parts)[order]
        counts = _joined(count_parts)
        positions = None
        if self._keep_positions:  # where each posting's positions start, in the new order
            positions = (np.cumsum(counts) - counts)[order], _joined(position_parts)
        counts = counts[order]
        values = _joined(value_parts)[order]
        del order
        # Whoosh's weight: number of positions times the field's weight, times the boost.
        weights = counts * self._weight
        if self._boosts:
            weights *= np.array([self._boosts.get(docnum, 1.0) for docnum in docnums.tolist()])
        if positions is None:
            del counts
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        if field_lengths:  # worked out per document, then looked up per posting
            lengths = length_bytes(np.asarray(field_lengths, np.int64)).astype(np.int16)[docnums]
        else:
            lengths = np.zeros(len(ids), np.int16)
        docnums += id_base
        blocks = FieldBlocks(starts, docnums, weights, values, lengths, limit)
        del docnums, weights, values, lengths
        if positions is not None:
            blocks.keep_positions(counts, *positions)
        texts = [term_text(term_id) for term_id in ids[starts].tolist()]
        numbers = sorted(range(len(texts)), key=texts.__getitem__)
        return blocks, [texts[number] for number in numbers], numbers


def _joined(parts: list[Any]) -> Any:
    """Join ``parts`` (arrays) into one and empty the list: they are let go at once."""
    joined = np.concatenate(parts)
    parts.clear()
    return joined


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
        self._other_postings = 0  # postings in self.terms, and field lengths, for accounting
        # Added to the postings' ids: a run of a bigger segment, merged later
        # (indexer.codec.merge), is written with the ids it will have there.
        self.id_base = 0
        # The segment's common words' postings as arrays (indexer.codec.dense_postings).
        self._dense: DenseWriter | None = None

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
                        self._other_postings += 1
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
            postings = self.texts[fieldname] = TextPostings(field.format.field_boost, phrase_field(fieldname))
        postings.add(docnum, term_ids, positions, boost)
        return len(term_ids) if field.scorable else 0

    def _add_whoosh_postings(
        self, fieldname: str, field: FieldType, value: Any, docnum: int, boost: float
    ) -> int:
        terms = self.terms.setdefault(fieldname, {})
        length = 0
        for term, frequency, weight, encoded in self._indexed(fieldname, field, value):
            terms.setdefault(term, []).extend((docnum, weight * boost, encoded))
            self._other_postings += 1
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
                self._write_text_field(fieldname, self.texts.pop(fieldname), lengths.get(fieldname))
            else:
                self._write_field(fieldname, self.terms.pop(fieldname), lengths.get(fieldname))
            fieldwriter.finish_field()
        fieldwriter.close()

    def _write_text_field(
        self, fieldname: str, postings: TextPostings, field_lengths: list[int] | None
    ) -> None:
        found = postings.blocks(field_lengths, self.fieldwriter.block_limit, self.id_base)
        if found is None:
            return
        blocks, texts, numbers = found
        btexts = [text.encode("utf-8") for text in texts]
        self.fieldwriter.add_blocks(blocks, btexts, numbers)
        if self.schema[fieldname].scorable:  # words are searched in scored fields
            least, frequencies = run_dense_from(), blocks.doc_frequencies
            for btext, term in zip(btexts, numbers, strict=True):
                if frequencies[term] >= least:
                    self._dense_writer().add(fieldname, btext, *blocks.postings(term), blocks.positions(term))

    def _write_field(
        self, fieldname: str, terms: dict[bytes, TermPostings], field_lengths: list[int] | None
    ) -> None:
        least = run_dense_from() if self.schema[fieldname].scorable else None
        for term in sorted(terms):
            postings = terms[term]
            ids = postings[0::3]
            term_lengths = [field_lengths[i] for i in ids] if field_lengths else [0] * len(ids)
            if self.id_base:
                ids = [docnum + self.id_base for docnum in ids]
            self.fieldwriter.add_term(term, ids, postings[1::3], postings[2::3], term_lengths)
            if least is not None and len(ids) >= least:
                self._dense_writer().add(
                    fieldname, term, np.array(ids, np.int32), np.array(postings[1::3], np.float32)
                )

    def _dense_writer(self) -> DenseWriter:
        if self._dense is None:
            self._dense = DenseWriter(self.storage, self.newsegment)
        return self._dense

    # -- SegmentWriter's private steps, named for the parallel build -------------------
    # Checked against whoosh-reloaded 2.7.5: ``_added``, ``_finalize_segment``,
    # ``_close_segment``, ``_commit_toc`` and ``_finish`` are SegmentWriter's own.

    def buffered_bytes(self) -> int:
        """Return about how much memory this segment's postings take until it is written
        (what the memory budget of a build bounds)."""
        texts = sum(postings.buffered_bytes for postings in self.texts.values())
        return texts + self._other_postings * 2 * OBJECT_BYTES

    @property
    def holds_index_lock(self) -> bool:
        """Whether this writer holds the index's write lock (and is to commit)."""
        return self.writelock is not None

    @property
    def has_documents(self) -> bool:
        """Whether any document was added to this writer's segment."""
        return bool(self._added)

    def _finalize_segment(self) -> W3Segment:
        segment: W3Segment = super()._finalize_segment()
        if self._dense is not None:  # moved into place once the compound file is made
            self._dense.finish()
            self._dense = None
        return segment

    def cancel(self) -> None:
        if self._dense is not None:
            self._dense.cancel()
            self._dense = None
        super().cancel()

    def finish_segment(self) -> W3Segment:
        """Write out this writer's segment and return it, without committing the index."""
        segment: W3Segment = self._finalize_segment()
        return segment

    def close_empty_segment(self) -> None:
        """Close this writer's segment when no document was added to it."""
        self._close_segment()

    def commit_segments(self, segments: list[W3Segment]) -> None:
        """Commit ``segments`` (in document order) as the index's, and release the lock."""
        self._commit_toc(segments)
        self._finish()
