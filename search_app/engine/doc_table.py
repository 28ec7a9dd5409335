"""Per-generation columns in memory: which releases are live, their dates and facet values.

Loaded once when a worker opens an index generation (a few tens of milliseconds
for 12,694 releases), so filtering, counting facets and sorting by date are
array operations over the matched document numbers instead of a column lookup
per release per search.
"""

from __future__ import annotations

import datetime as dt
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from search_app.service.contract import FACET_LIMIT, FacetValue

DocIds = npt.NDArray[np.int32]


class FacetColumn:
    """One facet field: its distinct values and which releases carry each.

    Counting costs a pass over the values of the releases counted, not over the whole
    column: (release, value) pairs are kept in release order with each release's range.
    """

    def __init__(self, values: list[str], docs: DocIds, ordinals: DocIds, size: int) -> None:
        self.values = values  # ordinal -> value
        self.ordinal = {value: number for number, value in enumerate(values)}
        self.docs = docs  # one entry per (release, value) pair, in release order ...
        self.ordinals = ordinals  # ... and the value's ordinal
        self.size = size
        # Releases carry at most one value (a year, a source): one ordinal per release, plus
        # one (0 for none).
        self.single: npt.NDArray[Any] | None = None
        if not len(docs) or bool(np.all(docs[1:] > docs[:-1])):  # in release order: no repeats
            self.single = np.zeros(size, np.uint8 if len(values) < 255 else np.int32)
            self.single[docs] = ordinals + 1
        # Every release carries the facet's one value ("en" in an English corpus).
        self.everywhere = len(values) == 1 and len(docs) == size and self.single is not None
        self._docs_with: dict[int, DocIds] = {}

    def count(self, ids: DocIds) -> npt.NDArray[np.int64]:
        """Return how many of ``ids`` (distinct document numbers) carry each value, by ordinal."""
        if not self.values:
            return np.zeros(0, np.int64)
        if self.everywhere:
            return np.array([len(ids)], np.int64)
        if self.single is not None:
            return np.bincount(self.single[ids], minlength=len(self.values) + 1)[1:]
        # Multi-valued (topics): each (release, value) pair whose release is counted.
        counted = np.zeros(self.size, bool)
        counted[ids] = True
        return np.bincount(self.ordinals[counted[self.docs]], minlength=len(self.values))

    def top(self, counts: npt.NDArray[np.int64]) -> list[FacetValue]:
        """Return the most frequent values by ``counts``, ties by value."""
        present = np.flatnonzero(counts)
        ranked = sorted(present.tolist(), key=lambda number: (-int(counts[number]), self.values[number]))
        return [FacetValue(self.values[number], int(counts[number])) for number in ranked[:FACET_LIMIT]]

    def docs_with(self, value: str) -> DocIds:
        """Return the sorted document numbers of releases carrying ``value``."""
        number = self.ordinal.get(value)
        if number is None:
            return np.empty(0, np.int32)
        docs = self._docs_with.get(number)
        if docs is None:
            docs = np.unique(self.docs[self.ordinals == number])
            self._docs_with[number] = docs
        return docs


class DocTable:
    """Live releases, date sort keys and facet columns of one index generation."""

    def __init__(self, searcher: Searcher, facet_fields: list[str]) -> None:
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self.live = np.zeros(self.size, bool)
        self.live[np.fromiter(reader.all_doc_ids(), np.int64)] = True
        self.live_ids = np.flatnonzero(self.live).astype(np.int32)
        # Numeric columns hold shifted integers: compare with the stored form of dated=1.
        self.dated = _numbers(reader, "dated", self.size) == searcher.schema["dated"].to_column_value(1)
        # Undated releases hold the column's default (the largest unsigned value): zero them.
        self.date = np.where(self.dated, _numbers(reader, "date", self.size), 0).astype(np.int64)
        self._date_field = searcher.schema["date"]
        # Days since 1970-01-01 (0 where undated), for histograms; the unit comes from the field.
        epoch = self._date_field.to_column_value(dt.datetime(1970, 1, 1))
        per_day = self._date_field.to_column_value(dt.datetime(1970, 1, 2)) - epoch
        self.day = np.where(self.dated, (self.date - epoch) // per_day, 0).astype(np.int64)
        self.facets = {name: _facet_column(reader, name, self.size) for name in facet_fields}
        self._totals: dict[str, npt.NDArray[np.int64]] = {}

    def within_dates(self, ids: DocIds, start: dt.date | None, end: dt.date | None) -> DocIds:
        """Keep the dated releases between ``start`` and ``end`` (inclusive)."""
        keep = self.dated[ids]
        dates = self.date[ids]
        if start is not None:
            keep &= dates >= self._date_field.to_column_value(dt.datetime.combine(start, dt.time.min))
        if end is not None:
            keep &= dates <= self._date_field.to_column_value(dt.datetime.combine(end, dt.time.max))
        return ids[keep]

    def with_values(self, ids: DocIds, field: str, values: tuple[str, ...], every: bool) -> DocIds:
        """Keep releases carrying all of ``values`` (``every``) or any of them."""
        column = self.facets.get(field) or _EMPTY
        sets = [column.docs_with(value) for value in values]
        if every:
            for docs in sets:
                ids = ids[np.isin(ids, docs, assume_unique=True)]
            return ids
        return ids[np.isin(ids, np.concatenate(sets) if sets else np.empty(0, np.int32))]

    def facet_counts(self, ids: DocIds) -> dict[str, list[FacetValue]]:
        """Return the top values of every facet among ``ids`` (live releases).

        When most live releases match, the rest are counted and taken from the totals.
        """
        if 2 * len(ids) > len(self.live_ids):
            unmatched = self.live.copy()
            unmatched[ids] = False
            rest = np.flatnonzero(unmatched).astype(np.int32)
            return {
                name: column.top(self._facet_totals(name) - column.count(rest))
                for name, column in self.facets.items()
            }
        return {name: column.top(column.count(ids)) for name, column in self.facets.items()}

    def _facet_totals(self, name: str) -> npt.NDArray[np.int64]:
        """Return how many live releases carry each value of facet ``name`` (counted once)."""
        totals = self._totals.get(name)
        if totals is None:
            totals = self._totals[name] = self.facets[name].count(self.live_ids)
        return totals

    def dated_days(self, ids: DocIds) -> tuple[npt.NDArray[np.int64], int]:
        """Return the days since 1970-01-01 of the dated releases among ``ids``, and how many are undated."""
        keep = self.dated[ids]
        days = self.day[ids[keep]]
        return days, len(ids) - len(days)

    def by_date(self, ids: DocIds, newest_first: bool) -> DocIds:
        """Order ``ids`` by date (undated releases last either way, ties by document number)."""
        dates = self.date[ids]
        key = -dates if newest_first else dates
        return ids[np.lexsort((ids, key, ~self.dated[ids]))]


_EMPTY = FacetColumn([], np.empty(0, np.int32), np.empty(0, np.int32), 0)


def _numbers(reader: IndexReader, field: str, size: int) -> npt.NDArray[np.uint64]:
    """Read a numeric column (raw sortable values) for every document; 0 where missing."""
    values = np.zeros(size, np.uint64)
    for segment, offset in reader.leaf_readers():
        if not segment.has_column(field):
            continue
        column = segment.column_reader(field, translate=False)
        count = segment.doc_count_all()
        values[offset : offset + count] = np.fromiter((column[n] for n in range(count)), np.uint64, count)
    return values


def _facet_column(reader: IndexReader, field: str, size: int) -> FacetColumn:
    """Read a facet column: each distinct stored value is decoded once (a million releases
    share a few thousand years, sources and tag lists)."""
    ordinal: dict[str, int] = {}
    decoded: dict[Any, tuple[int, ...]] = {}  # a stored value -> the ordinals of its values
    per_doc: list[tuple[int, ...]] = []  # every document's, in document order
    for segment, offset in reader.leaf_readers():
        count = segment.doc_count_all()
        per_doc.extend([()] * (offset - len(per_doc)))
        if not segment.has_column(field):
            continue
        column = segment.column_reader(field, translate=False)
        for docnum in range(count):
            raw = column[docnum]
            key = tuple(raw) if isinstance(raw, list) else raw
            found = decoded.get(key)
            if found is None:
                found = decoded[key] = _ordinals(raw, ordinal)
            per_doc.append(found)
    per_doc.extend([()] * (size - len(per_doc)))
    lengths = np.fromiter(map(len, per_doc), np.int64, len(per_doc))
    ordinals = np.fromiter(chain.from_iterable(per_doc), np.int32, int(lengths.sum()))
    docs = np.repeat(np.arange(len(per_doc), dtype=np.int32), lengths)
    return FacetColumn(list(ordinal), docs, ordinals, size)


def _ordinals(raw: Any, ordinal: dict[str, int]) -> tuple[int, ...]:
    """Return the ordinals of a stored facet value's values, numbering new ones."""
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    values = [item.decode("utf-8") if isinstance(item, bytes) else str(item) for item in items]
    return tuple(ordinal.setdefault(value, len(ordinal)) for value in values if value)
