"""Where a word stands in releases, for phrases and proximity.

From the word's dense positions (:mod:`indexer.codec.dense_postings`) in the segments
that have them, from its whole position table when it is cached or cheap to build, or
else decoded from only the postings blocks that hold the releases asked about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from whoosh.formats import Positions
from whoosh.searching import Searcher

from indexer.codec.dense_postings import DensePostings
from indexer.codec.layout import position_gaps
from indexer.codec.postings_reader import read_postings, values_for
from search_app.engine.matches import DocIds
from search_app.engine.position_table import PositionTable

# A word in at most this many releases always gets its whole (cached) position table.
SMALL_POSTINGS = 8192

Cached = Callable[[tuple[str, Any]], tuple[DocIds, Any] | None]
Remember = Callable[[tuple[str, Any], tuple[DocIds, Any]], None]


class WordPositions:
    """Look up words' positions in one index generation (its searcher and segments)."""

    def __init__(
        self,
        searcher: Searcher,
        segments: list[tuple[Searcher, int]],
        dense: list[DensePostings | None],
        cached: Cached,
        remember: Remember,
    ) -> None:
        """``segments``: each segment's searcher and first release; ``dense``: their dense
        postings; ``cached`` and ``remember`` read and fill the searcher's postings cache."""
        self.searcher = searcher
        self._segments, self._dense = segments, dense
        self._cached, self._remember = cached, remember

    def at(self, field: str, btext: bytes, docs: DocIds) -> tuple[DocIds, npt.NDArray[np.int32]]:
        """(release, position) pairs of a word in ``docs`` (sorted, all holding it).

        From the word's dense positions where its segments have them, or its whole position
        table when it is cached, small, or when ``docs`` are most of the releases holding
        the word; else only ``docs`` are decoded, skipping other blocks (a phrase of two
        common words need not decode every release with either).
        """
        cached = self._cached((field, (btext, "positions")))
        if cached is not None:
            return cast(PositionTable, cached[1]).gather(docs)
        mapped, unmapped = self._mapped_positions(field, btext)
        if mapped:  # the other segments' (an incremental run's, small) decoded for ``docs``
            decoded = self._decoded_positions(field, btext, docs, unmapped)
            return _gathered(mapped, docs, decoded.gather(decoded.ids))
        holding = self.searcher.doc_frequency(field, btext)
        whole_table = 2 * len(docs) >= holding or holding <= SMALL_POSTINGS
        if whole_table or type(self.searcher.schema[field].format) is not Positions:
            return self._whole_table(field, btext).gather(docs)
        table = self._decoded_positions(field, btext, docs)
        return table.gather(table.ids)

    def in_releases(self, field: str, text: str, docs: list[int]) -> dict[int, list[int]]:
        """Return the positions of a word in those of ``docs`` (sorted docnums) that hold it.

        From the word's dense positions or cached position table; otherwise only the
        releases asked for are looked up, skipping whole postings blocks (proximity asks
        about a page's worth of releases, and a common word's full table would cost far
        more to build).
        """
        if field not in self.searcher.schema:
            return {}
        btext = self.searcher.schema[field].to_bytes(text)
        cached = self._cached((field, (btext, "positions")))
        mapped, unmapped = self._mapped_positions(field, btext)
        wanted = np.asarray(docs, np.int32)
        if cached is not None or mapped:
            if cached is not None:
                found, positions = cast(PositionTable, cached[1]).gather(wanted)
            else:
                decoded = self._decoded_positions(field, btext, wanted, unmapped)
                found, positions = _gathered(mapped, wanted, decoded.gather(decoded.ids))
            by_doc: dict[int, list[int]] = {}
            for doc, position in zip(found.tolist(), positions.tolist(), strict=True):
                by_doc.setdefault(doc, []).append(position)
            return by_doc
        decode = self.searcher.schema[field].format.decode_positions
        found, values = self._values_at(field, btext, np.asarray(docs, np.int64))
        return {doc: list(decode(value)) for doc, value in zip(found.tolist(), values, strict=True)}

    def _mapped_positions(
        self, field: str, btext: bytes
    ) -> tuple[list[tuple[int, int, PositionTable]], list[int]]:
        """Return the word's positions in each segment holding it that has dense positions of
        it, as (first release, releases, table), and the numbers of the other segments
        holding it."""
        tables, unmapped = [], []
        for number, (subsearcher, offset) in enumerate(self._segments):
            reader = subsearcher.reader()
            if (field, btext) not in reader:
                continue
            dense = self._dense[number]
            found = dense.positions(field, btext) if dense is not None else None
            postings = dense.postings(field, btext) if dense is not None else None
            if found is None or postings is None:
                unmapped.append(number)
            else:
                tables.append((offset, reader.doc_count_all(), PositionTable.of_arrays(postings[0], *found)))
        return tables, unmapped

    def _decoded_positions(
        self, field: str, btext: bytes, docs: DocIds, segments: list[int] | None = None
    ) -> PositionTable:
        """Return the word's position table of those of ``docs`` that hold it, decoded from the
        postings blocks holding them (in ``segments`` only, if given)."""
        found, values = self._values_at(field, btext, docs, segments)
        return PositionTable(found, position_gaps(values), True)

    def _values_at(
        self, field: str, btext: bytes, docs: npt.NDArray[Any], segments: list[int] | None = None
    ) -> tuple[DocIds, list[bytes]]:
        """Return those of the sorted ``docs`` that hold the word, with its encoded positions
        there, reading only the postings blocks that hold them (in ``segments`` only, if given)."""
        found: list[DocIds] = []
        values: list[bytes] = []
        docs = np.asarray(docs, np.int64)
        for number, (subsearcher, offset) in enumerate(self._segments):
            if segments is not None and number not in segments:
                continue
            reader = subsearcher.reader()
            local = docs[(docs >= offset) & (docs < offset + reader.doc_count_all())] - offset
            if not len(local) or (field, btext) not in reader:
                continue  # a segment holding none of the documents is not looked at
            ids, segment_values = values_for(reader.postings(field, btext), local)
            found.append(ids + offset)
            values.extend(segment_values)
        return (np.concatenate(found) if found else np.empty(0, np.int32)), values

    def _whole_table(self, field: str, btext: bytes) -> PositionTable:
        key = (field, (btext, "positions"))
        cached = self._cached(key)
        if cached is not None:
            return cast(PositionTable, cached[1])
        field_format = self.searcher.schema[field].format
        as_deltas = type(field_format) is Positions  # Whoosh's encoding: pickled position gaps
        id_parts: list[DocIds] = []
        lists: list[list[int]] = []
        for subsearcher, offset in self._segments:
            reader = subsearcher.reader()
            if (field, btext) not in reader:
                continue
            ids, _, values = read_postings(reader.postings(field, btext), with_values=True)
            id_parts.append(ids + offset)
            lists.extend(position_gaps(values) if as_deltas else map(field_format.decode_positions, values))
        table = PositionTable(
            np.concatenate(id_parts) if id_parts else np.empty(0, np.int32), lists, as_deltas
        )
        self._remember(key, (table.ids, table))
        return table


def _gathered(
    tables: list[tuple[int, int, PositionTable]],
    docs: DocIds,
    more: tuple[DocIds, npt.NDArray[np.int32]] | None = None,
) -> tuple[DocIds, npt.NDArray[np.int32]]:
    """Return (release, position) pairs of those of the sorted ``docs`` holding a word, from
    its tables by segment (see :meth:`ArraySearcher._mapped_positions`), and ``more`` pairs."""
    found: list[DocIds] = [more[0]] if more is not None else []
    positions: list[npt.NDArray[Any]] = [more[1]] if more is not None else []
    for offset, count, table in tables:
        local = docs[(docs >= offset) & (docs < offset + count)] - offset
        if len(local):
            ids, at = table.gather(local.astype(np.int32))
            found.append(ids + offset)
            positions.append(at)
    if not found:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(found), np.concatenate(positions).astype(np.int32)
