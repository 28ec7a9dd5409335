"""Match and score a query over whole postings lists with NumPy.

Whoosh matches and scores one document at a time in Python (a few microseconds
per matching release and query word). Here each word's postings are read once
per index generation into arrays (cached), and Boolean queries combine them with
array operations: BM25F scores computed exactly as Whoosh computes them, for all
matches at once. Parts of a query this module does not model (phrases, ranges)
are run by Whoosh's own matchers, so every query gives Whoosh's answer, faster.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from whoosh import query as wq
from whoosh.scoring import BM25F
from whoosh.searching import Searcher, TimeLimit

from indexer.codec.dense_postings import DensePostings
from indexer.codec.layout import BYTE_LENGTHS
from indexer.codec.postings_reader import read_postings
from indexer.codec.whoosh_private import bm25f_field_b, segment_length_bytes
from search_app.engine.matches import DocIds, Matches, Scores, intersection, shared_ids, union, within
from search_app.engine.position_table import PositionTable, ascending, common
from search_app.engine.word_positions import WordPositions

# Bytes of postings kept in memory per worker and generation (ids, weights and, for
# phrases, position tables); words picked at random are dropped when it is full. By
# default an eighth of the index's size, within these bounds: a bigger corpus has
# bigger postings for the same searches (figures in CHANGES.md).
MIN_POSTINGS_CACHE_BYTES = 48 << 20
MAX_POSTINGS_CACHE_BYTES = 512 << 20
# The last few ORs run (a word searched in several fields) are remembered, unboosted:
# as many as the words partial matching runs again (MAX_RELAXED_WORDS).
RECENT_ORS = 10
# Added to a position minus the word's place in a phrase, so keys stay positive.
_POSITION_BIAS = 1 << 16


class ArraySearcher:
    """Evaluate queries against one Whoosh searcher (one index generation)."""

    def __init__(
        self, searcher: Searcher, cache_bytes: int = MIN_POSTINGS_CACHE_BYTES, folder: Path | None = None
    ) -> None:
        """``folder``: the index generation's, where segments' dense postings are found."""
        weighting = searcher.weighting
        if not isinstance(weighting, BM25F):
            raise TypeError("array search models BM25F scoring only")
        self.searcher = searcher
        self.B, self.K1 = weighting.B, weighting.K1
        self.field_B = bm25f_field_b(weighting)
        self.doc_count = searcher.reader().doc_count_all()
        self._segments = _segments(searcher)
        self._dense = [_dense_postings(folder, sub) for sub, _ in self._segments]
        self._deleted: dict[int, DocIds] = {}
        self._lengths: dict[str, npt.NDArray[np.uint8]] = {}
        self._bm25_tables: dict[str, tuple[Scores, npt.NDArray[np.float64]]] = {}
        self._postings: dict[tuple[str, Any], tuple[DocIds, Any]] = {}
        self._cached_bytes = 0
        self._recent: OrderedDict[wq.Query, Matches] = OrderedDict()
        self._cache_limit = cache_bytes
        self._random = random.Random(0)
        self._lock = threading.Lock()
        self.word_positions = WordPositions(
            searcher, self._segments, self._dense, self._cached, self._remember
        )

    # -- queries ---------------------------------------------------------------

    def run(self, q: wq.Query, deadline: float = math.inf) -> Matches:
        """Return every live document matching ``q``, with Whoosh's BM25F score.

        Raises :class:`whoosh.searching.TimeLimit` once ``deadline`` (a
        :func:`time.perf_counter` value) has passed.
        """
        return self._run(deadline, q)

    def _run(self, deadline: float, q: wq.Query) -> Matches:
        if time.perf_counter() > deadline:
            raise TimeLimit
        if isinstance(q, wq.Term):
            return self._term(q)
        if isinstance(q, type(wq.NullQuery)):
            return Matches.empty()
        if isinstance(q, wq.Or) and type(q) is wq.Or and q.minmatch in (0, 1) and q.scale is None:
            recalled = self._recalled(q)
            if recalled is None:
                recalled = self._recall(q, union([self._run(deadline, sub) for sub in q.subqueries]))
            return recalled
        if type(q) is wq.And and not any(isinstance(sub, wq.Not) for sub in q.subqueries):
            parts = [self._run(deadline, sub) for sub in q.subqueries]
            return self._boosted(intersection(parts), q.boost)
        if type(q) is wq.Phrase and q.slop == 1:
            return self._phrase(q)
        if type(q) is wq.AndNot:
            positive, negative = self._run(deadline, q.a), self._run(deadline, q.b)
            keep = ~within(positive.ids, negative.ids)
            return self._boosted(Matches(positive.ids[keep], positive.scores[keep]), q.boost)
        if type(q) is wq.AndMaybe:
            required, optional = self._run(deadline, q.a), self._run(deadline, q.b)
            scores = required.scores.copy()
            at = np.searchsorted(optional.ids, required.ids)
            at[at >= len(optional.ids)] = 0
            present = (optional.ids[at] == required.ids) if len(optional.ids) else np.zeros(len(at), bool)
            scores[present] += optional.scores[at[present]]
            return self._boosted(Matches(required.ids, scores), q.boost)
        return self._by_whoosh(q, deadline)

    def _recalled(self, q: wq.Query) -> Matches | None:
        """Return the matches of ``q`` if it was among the last few ORs run (a word in several
        fields: partial matching runs each word again after the whole query)."""
        with self._lock:
            found = self._recent.get(q)
        return None if found is None else self._boosted(Matches(found.ids, found.scores), q.boost)

    def _recall(self, q: wq.Query, matches: Matches) -> Matches:
        """Remember the matches of ``q`` (read-only) and return them boosted."""
        matches.ids.flags.writeable = matches.scores.flags.writeable = False
        with self._lock:
            self._recent[q] = matches
            while len(self._recent) > RECENT_ORS:
                self._recent.popitem(last=False)
        return self._boosted(Matches(matches.ids, matches.scores), q.boost)

    @staticmethod
    def _boosted(matches: Matches, boost: float) -> Matches:
        if boost != 1.0:
            matches.scores = matches.scores * boost
        return matches

    def _term(self, q: wq.Term) -> Matches:
        field, text = q.fieldname, q.text
        schema = self.searcher.schema
        if field not in schema:
            return Matches.empty()
        btext = schema[field].to_bytes(text)
        ids, weights = self._postings_of(field, btext)
        if not len(ids):
            return Matches.empty()
        return self._boosted(Matches(ids, self._scores(field, text, ids, weights)), q.boost)

    def _scores(self, field: str, text: str, ids: DocIds, weights: npt.NDArray[Any]) -> Scores:
        """Return a word's score in each of the releases ``ids``, given its weights there."""
        if self.searcher.schema[field].scorable:
            return cast(Scores, self.searcher.idf(field, text) * self._bm25_tf(field, ids, weights))
        return weights.astype(np.float64)

    def _bm25_tf(self, field: str, ids: DocIds, weights: npt.NDArray[Any]) -> Scores:
        """BM25F's score of each posting but for the IDF factor, as Whoosh computes it:
        ``tf * (K1 + 1) / (tf + K1 * ((1 - B) + B * fl / avgfl))``.

        A field length is one of 256 (Whoosh keeps it as a byte): the denominator's length
        part is looked up, and for whole term counts below 256 (dense postings' weights)
        the whole factor is, from a table of every (count, length byte).
        """
        tables = self._bm25_tables.get(field)
        if tables is None:
            avgfl = self.searcher.avg_field_length(field) or 1
            b, k1 = self.field_B.get(field, self.B), self.K1
            norm = k1 * ((1 - b) + b * BYTE_LENGTHS.astype(np.float64) / avgfl)
            counts = np.arange(256, dtype=np.float64)[:, None]
            tables = self._bm25_tables[field] = (norm, (counts * (k1 + 1)) / (counts + norm[None, :]))
        norm, by_count = tables
        length_bytes = self._length_bytes(field)[ids]
        if weights.dtype == np.uint8:
            return cast(Scores, by_count[weights, length_bytes])
        return cast(Scores, (weights * (self.K1 + 1)) / (weights + norm[length_bytes]))

    def _phrase(self, q: wq.Phrase) -> Matches:
        """Releases with the words in a row (as Whoosh's ``Phrase`` with slop 1), scored
        like Whoosh: the sum of the words' scores (worked out for the matches only)."""
        schema = self.searcher.schema
        if q.fieldname not in schema or not q.words:
            return Matches.empty()
        field = schema[q.fieldname]
        words = [field.to_bytes(word) for word in q.words]
        postings = [self._postings_of(q.fieldname, btext) for btext in words]
        candidates = shared_ids([ids for ids, _ in postings])
        # A key per (release, position of the phrase's first word) where every word so far
        # is in its place. Rarest word first: each word narrows the releases the next is
        # looked up in.
        keys: npt.NDArray[np.int64] | None = None
        for offset in sorted(range(len(words)), key=lambda i: len(postings[i][0])):
            if not len(candidates):
                return Matches.empty()
            docs, positions = self.word_positions.at(q.fieldname, words[offset], candidates)
            word_keys = ascending(
                (docs.astype(np.int64) << 32) | (positions.astype(np.int64) - offset + _POSITION_BIAS)
            )
            keys = word_keys if keys is None else common(keys, word_keys)
            candidates = ascending((keys >> 32).astype(np.int32))
        scores = np.zeros(len(candidates))
        for text, (ids, weights) in zip(q.words, postings, strict=True):
            scores += self._scores(q.fieldname, text, candidates, weights[np.searchsorted(ids, candidates)])
        return self._boosted(Matches(candidates, scores), q.boost)

    def positions(self, field: str, text: str, docs: list[int]) -> dict[int, list[int]]:
        """Return the positions of a word in those of ``docs`` (sorted docnums) that hold it."""
        return self.word_positions.in_releases(field, text, docs)

    def _by_whoosh(self, q: wq.Query, deadline: float) -> Matches:
        """Run ``q`` with Whoosh's own matcher, collecting ids and scores."""
        ids: list[int] = []
        scores: list[float] = []
        for subsearcher, offset in self._segments:
            matcher = q.matcher(subsearcher, subsearcher.context())
            while matcher.is_active():
                if len(ids) % 1024 == 0 and time.perf_counter() > deadline:
                    raise TimeLimit
                ids.append(matcher.id() + offset)
                scores.append(matcher.score())
                matcher.next()
        return Matches(np.asarray(ids, np.int32), np.asarray(scores, np.float64))

    # -- postings and lengths, read once per generation --------------------------

    def _postings_of(self, field: str, btext: bytes) -> tuple[DocIds, npt.NDArray[Any]]:
        """Return a word's ids and weights (bytes when they are whole counts, else floats)."""
        key = (field, btext)
        with self._lock:
            cached = self._postings.get(key)
            if cached is not None:
                return cached
        id_parts: list[DocIds] = []
        weight_parts: list[npt.NDArray[Any]] = []
        decoded = False  # read from postings blocks, not only mapped from dense postings
        for number, (subsearcher, offset) in enumerate(self._segments):
            reader = subsearcher.reader()
            if (field, btext) not in reader:
                continue
            dense = self._dense[number]
            found = dense.postings(field, btext) if dense is not None else None
            if found is None:
                ids, weights, _ = read_postings(reader.postings(field, btext))
                decoded = True
            else:
                ids, weights = self._live(number, reader, *found)
            id_parts.append(ids + offset)
            weight_parts.append(weights)
        if {part.dtype for part in weight_parts} != {np.dtype(np.uint8)}:  # whole counts stay bytes
            weight_parts = [part.astype(np.float64) for part in weight_parts]
        result = (
            (np.concatenate(id_parts), np.concatenate(weight_parts))
            if id_parts
            else (np.empty(0, np.int32), np.empty(0, np.float64))
        )
        if decoded:  # mapped postings cost about as little to read again as to keep
            self._remember(key, result)
        return result

    def _live(
        self, number: int, reader: Any, ids: DocIds, weights: npt.NDArray[Any]
    ) -> tuple[DocIds, npt.NDArray[Any]]:
        """Drop the postings of segment ``number``'s deleted releases."""
        if not reader.has_deletions():
            return ids, weights
        deleted = self._deleted.get(number)
        if deleted is None:
            found = reader.segment().deleted_docs()
            deleted = self._deleted[number] = np.sort(np.fromiter(found, np.int32))
        keep = ~within(ids, deleted)
        return ids[keep], weights[keep]

    def _cached(self, key: tuple[str, Any]) -> tuple[DocIds, Any] | None:
        """Return a word's cached arrays, if any."""
        with self._lock:
            return self._postings.get(key)

    def _remember(self, key: tuple[str, Any], value: tuple[DocIds, Any]) -> None:
        """Cache a word's arrays; when full, drop words picked at random.

        Random rather than least-recently-used: a stream of searches whose words add up to
        a little more than the cache (a crawler, a benchmark's query list) would make LRU
        drop each word just before it is needed again, and every search would read afresh.
        """
        size = _size_of(value)
        if size > self._cache_limit // 4:
            return  # one word would crowd out hundreds
        with self._lock:
            self._postings[key] = value
            self._cached_bytes += size
            while self._cached_bytes > self._cache_limit and len(self._postings) > 1:
                victim = self._random.choice(list(self._postings))
                if victim == key:
                    continue
                self._cached_bytes -= _size_of(self._postings.pop(victim))

    def _length_bytes(self, field: str) -> npt.NDArray[np.uint8]:
        """Return every release's length of ``field`` as Whoosh keeps it: one byte."""
        lengths = self._lengths.get(field)
        if lengths is None:
            parts = [segment_length_bytes(sub.reader(), field) for sub, _ in self._segments]
            lengths = np.concatenate(parts) if parts else np.zeros(0, np.uint8)
            self._lengths[field] = lengths
        return lengths


def _size_of(value: tuple[DocIds, Any]) -> int:
    ids, rest = value
    if isinstance(rest, PositionTable):
        return rest.nbytes
    return int(ids.nbytes + rest.nbytes)


def _dense_postings(folder: Path | None, searcher: Searcher) -> DensePostings | None:
    """Return a segment's dense postings, if its generation's ``folder`` holds them."""
    segment = getattr(searcher.reader(), "segment", None)
    if folder is None or segment is None:
        return None
    return DensePostings.of_segment(folder, segment())


def _segments(searcher: Searcher) -> list[tuple[Searcher, int]]:
    if searcher.subsearchers:
        return list(searcher.subsearchers)
    return [(searcher, 0)]


def postings_cache_bytes(index_bytes: int, configured_mb: int | None = None) -> int:
    """Return the postings cache size for an index of ``index_bytes``: ``configured_mb``
    if given, else an eighth of the index within the default bounds."""
    if configured_mb is not None:
        return configured_mb << 20
    return min(MAX_POSTINGS_CACHE_BYTES, max(MIN_POSTINGS_CACHE_BYTES, index_bytes // 8))
