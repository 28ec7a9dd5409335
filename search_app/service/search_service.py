"""The search service: one object that answers both the page and the API.

It takes plain arguments, returns dataclasses and imports nothing from Flask.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.searching import Searcher, TimeLimit

from indexer import settings
from indexer.languages import text_direction
from indexer.schema import FIELDS_LANGUAGE, KeywordListField, language_fields, split_list
from indexer.store import IndexStore
from search_app.engine.array_search import ArraySearcher
from search_app.engine.completions import Completion, Completions
from search_app.engine.doc_table import DocIds, DocTable
from search_app.engine.highlight import MatchTerms, highlight_snippet, highlight_whole
from search_app.engine.histogram import histogram
from search_app.engine.language_highlight import terms_for_language
from search_app.engine.matches import Matches, Scores
from search_app.engine.partial_match import FEW_ALL_WORDS, MANY_CORRECTED, widen
from search_app.engine.proximity import proximity_boosted
from search_app.engine.query_reading import ParsedQuery, parse_query, plain_words
from search_app.engine.variants import NameVariants
from search_app.service.contract import (
    FACET_PARAMS,
    Release,
    SearchHit,
    SearchRequest,
    SearchResult,
)
from search_app.service.live_generation import GenerationFollower, LiveGeneration
from search_app.service.match_list import MatchList
from search_app.service.result_cache import ResultCache

# The first RERANK_DEPTH hits by relevance are re-ranked by proximity (engine/proximity.py).
RERANK_DEPTH = 50
# "More like this": key words taken from the start of a release, and how many.
RELATED_TEXT_CHARS = 20_000
RELATED_WORDS = 5  # as Whoosh's more_like
TIME_LIMIT_WARNING = "The search took too long and was stopped; these results may be incomplete."
# Results remembered per worker and generation (each a page of hits, a few kB).
RESULT_CACHE_SIZE = settings.DEFAULT_RESULT_CACHE
_Matching = tuple[ParsedQuery, Matches, list[str]]  # the query as read, its matches, warnings
_Ranked = tuple[DocIds, Scores]


class SearchService:
    """Search one index directory; follows new index generations without a restart."""

    def __init__(
        self,
        index_root: Path,
        variants_path: Path | None = None,
        time_budget: float = 5.0,
        result_cache: int = RESULT_CACHE_SIZE,
        postings_cache_mb: int | None = None,
    ) -> None:
        self.time_budget = time_budget
        self.store = IndexStore(index_root)
        self.variants = NameVariants(variants_path)
        self._generations = GenerationFollower(self.store, postings_cache_mb)
        self._lock = threading.Lock()
        self._answered_for: LiveGeneration | None = None
        self._completions: Completions | None = None
        self._results = ResultCache(result_cache)

    # -- index lifecycle ---------------------------------------------------------

    def _open(self) -> LiveGeneration:
        """Return the live generation, forgetting what the previous one answered when it changed."""
        live = self._generations.current()
        if live is not self._answered_for:
            with self._lock:
                if live is not self._answered_for:
                    self._completions = None
                    self._results.clear()
                    self._answered_for = live
        return live

    def searcher(self) -> Searcher:
        """Return a searcher on the live generation, reopening it when it changed."""
        return self._open().searcher

    def facet_fields(self) -> list[str]:
        """Return the fields offered as facets by the live index."""
        return list(self._open().facet_fields)

    def health(self) -> dict[str, Any]:
        """Return status, document count and generation of the live index."""
        searcher = self.searcher()
        generation = self.store.require_current()
        meta = generation.metadata()
        return {
            "status": "ok",
            "documents": searcher.doc_count(),
            "generation": generation.name,
            "updated_at": meta.get("updated_at"),
        }

    # -- searching ---------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """Run one search and return the requested page with facets and highlights.

        Its time budget starts once the live generation is open: opening a new one (~5 s at a
        million releases) is done once per worker and generation, not by this search alone."""
        live = self._open()
        started = time.perf_counter()
        key = (live.stamp, self.variants.stamp(), _request_key(request))
        cached = self._results.get(key)
        if cached is not None:
            return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
        result = self._search(live, request, started)
        if TIME_LIMIT_WARNING not in result.warnings:  # a cut-short answer is not worth keeping
            self._results.put(key, result)
        return result

    def _search(
        self, live: LiveGeneration, request: SearchRequest, started: float, spell: bool = True
    ) -> SearchResult:
        """Search; with ``spell``, suggest a spelling (once) and try it when nothing matches."""
        searcher, table = live.searcher, live.table
        parsed, matches, warnings = self._matching(live, request, started)
        sort = request.effective_sort
        ids = matches.ids
        all_words_total, widened = len(ids), None
        suggestion: str | None = None
        spelling_notes: list[str] = []
        if spell and request.q.strip() and all_words_total < 3:
            suggestion, notes = live.spelling.suggest_noting(parsed.text)
            spelling_notes = list(notes)
        corrected = None
        if not all_words_total and suggestion and not request.verbatim:
            as_suggested = replace(request, q=suggestion, verbatim=True)
            corrected = replace(
                self._search(live, as_suggested, started, spell=False), corrected_from=request.q
            )
            if corrected.all_words_total >= MANY_CORRECTED:
                return corrected
        if all_words_total < FEW_ALL_WORDS and TIME_LIMIT_WARNING not in warnings:
            widened = widen(live.matcher, parsed.text, matches, self.variants, started + self.time_budget)
            if widened:
                kept = self._filtered(table, widened.ids, request, searcher.schema)
                widened = widened if len(kept) == len(widened.ids) else widened.subset(kept)
            ids = widened.ids if widened is not None else ids
        total = len(ids)
        if not total and corrected is not None and corrected.all_words_total:
            return corrected  # nothing at all for the words as typed: a few for the correction
        if not total:  # why there is no suggestion matters only when nothing was found
            warnings += spelling_notes
        start = (request.page - 1) * request.per_page
        limit = request.page * request.per_page
        if sort == "relevance" and widened is not None:
            page = widened.page(start, limit, RERANK_DEPTH, live.matcher.positions)
        elif sort == "relevance":
            top, scores = self._ranked(live, parsed, matches, limit)
            page = list(zip(top[start:limit].tolist(), scores[start:limit].tolist(), strict=True))
        else:
            ordered = table.by_date(ids, newest_first=sort == "newest")
            ordered = widened.complete_first(ordered) if widened is not None else ordered
            page = [(docnum, 0.0) for docnum in ordered[start:limit].tolist()]
        terms = _Terms(list(parsed.query.iter_all_terms()) if not parsed.is_everything else [])
        hits = [self._hit(searcher.stored_fields(docnum), score, terms) for docnum, score in page]
        if widened is not None:
            hits = [replace(h, missing=widened.missing(d)) for h, (d, _) in zip(hits, page, strict=True)]
        return SearchResult(
            query=request.q,
            page=request.page,
            per_page=request.per_page,
            total=total,
            pages=max(1, math.ceil(total / request.per_page)),
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            sort=sort,
            hits=hits,
            facets=table.facet_counts(ids),
            suggestion=suggestion,
            parsed=_describe(parsed),
            variants=parsed.variants,
            degraded=parsed.degraded,
            warnings=warnings,
            all_words_total=all_words_total,
            histogram=histogram(*table.dated_days(ids), request.interval),
        )

    def _matching(self, live: LiveGeneration, request: SearchRequest, started: float) -> _Matching:
        """Return the query as read, every match of ``request`` (filters applied) and any warnings."""
        searcher, table = live.searcher, live.table
        languages = request.filters.get("lang")  # analyse the query only in the languages asked for
        parsed = parse_query(request.q, searcher.schema, self.variants, searcher.reader(), languages)
        warnings = list(parsed.warnings)
        try:
            if parsed.is_everything:
                matches = Matches(table.live_ids, np.zeros(len(table.live_ids)))
            else:
                matches = live.matcher.run(parsed.query, started + self.time_budget)
        except TimeLimit:
            warnings.append(TIME_LIMIT_WARNING)
            matches = Matches.empty()
        ids = self._filtered(table, matches.ids, request, searcher.schema)
        return parsed, matches if len(ids) == len(matches.ids) else matches.subset(ids), warnings

    def _ranked(self, live: LiveGeneration, parsed: ParsedQuery, matches: Matches, count: int) -> _Ranked:
        """Return the best ``count`` (at least) matches by relevance, best first."""
        # The first RERANK_DEPTH hits are re-ranked whatever the page asked for, so a release's place
        # never depends on per_page; boosts only raise scores, so the re-ranked head stays above the rest.
        top, scores = matches.top(max(count, RERANK_DEPTH))
        head = slice(0, RERANK_DEPTH)
        top[head], scores[head] = self._proximity_rerank(parsed, live.matcher, top[head], scores[head])
        return top, scores

    def in_order(self, request: SearchRequest, ordered: bool = True) -> MatchList:
        """Return every match of ``request`` in the search's order (document order unless ``ordered``)."""
        live = self._open()
        parsed, matches, warnings = self._matching(live, request, time.perf_counter())
        ids, scores = matches.ids, np.zeros(len(matches))
        if ordered and request.effective_sort == "relevance":
            ids, scores = self._ranked(live, parsed, matches, len(matches))
        elif ordered:
            ids = live.table.by_date(ids, newest_first=request.effective_sort == "newest")
        return MatchList(live.searcher, live.table, ids, scores, warnings)

    def _filtered(self, table: DocTable, ids: DocIds, request: SearchRequest, schema: Schema) -> DocIds:
        if request.date_from or request.date_to:
            ids = table.within_dates(ids, request.date_from, request.date_to)
        for param, values in request.filters.items():
            name = FACET_PARAMS.get(param, param)
            # A release can carry several tags: all must match. A release has one year or source.
            every = name in schema and isinstance(schema[name], KeywordListField)
            ids = table.with_values(ids, name, values, every=every)
        return ids

    def _proximity_rerank(
        self, parsed: ParsedQuery, matcher: ArraySearcher, top: DocIds, scores: Scores
    ) -> tuple[DocIds, Scores]:
        """Re-rank the top hits: releases with the query's words close together move up.

        Only the first :data:`RERANK_DEPTH` hits are re-ranked, so the cost is a few
        position lookups, not a proximity search over every match.
        """
        words = plain_words(parsed.query)
        if not words or len(top) < 2:
            return top, scores
        boosted = proximity_boosted(matcher.positions, words, top, scores)
        order = np.lexsort((top, -boosted))
        return top[order], boosted[order]

    def filter_names(self) -> list[str]:
        """Return the request parameter names that filter on a facet."""
        reverse = {value: key for key, value in FACET_PARAMS.items()}
        return [reverse.get(name, name) for name in self.facet_fields()]

    def _hit(self, stored: dict[str, Any], score: float, query_terms: _Terms) -> SearchHit:
        title, body = stored.get("title", ""), stored.get("body", "")
        lang = stored.get("lang") or "en"
        terms = query_terms.of(lang)
        return SearchHit(
            id=stored["id"],
            title=title,
            date=_date_text(stored.get("date")),
            url=stored.get("url"),
            tags=split_list(stored.get("tags")),
            source=stored.get("source"),
            score=round(score, 4),
            title_html=highlight_whole(title, terms),
            snippet_html=highlight_snippet(body, terms),
            lang=lang,
            dir=text_direction(lang),
        )

    def suggest(self, typed: str, limit: int = 10) -> list[Completion]:
        """Return completions for what was typed in the search box."""
        self.searcher()
        if self._completions is None:
            phrases = self.store.require_current().completions()
            self._completions = Completions(phrases["titles"], phrases["tags"], self.variants.names())
        return self._completions.complete(typed, limit)

    # -- single releases ----------------------------------------------------------

    def release(self, release_id: str) -> Release | None:
        """Return the release with ``release_id``, or None."""
        stored = self.searcher().document(id=release_id)
        if stored is None:
            return None
        known = {
            "id",
            "title",
            "body",
            "date",
            "url",
            "tags",
            "source",
            "year",
            "content_hash",
            "source_path",
            "lang",
        }
        return Release(
            id=stored["id"],
            title=stored.get("title", ""),
            body=stored.get("body", ""),
            date=_date_text(stored.get("date")),
            url=stored.get("url"),
            tags=split_list(stored.get("tags")),
            source=stored.get("source"),
            extra={name: split_list(value) for name, value in sorted(stored.items()) if name not in known},
            lang=stored.get("lang") or "en",
            dir=text_direction(stored.get("lang")),
        )

    def related(self, release_id: str, limit: int = 5) -> list[SearchHit]:
        """Return releases about the same things as ``release_id`` ("more like this").

        Bounded whatever the release's length: key words come from its first
        :data:`RELATED_TEXT_CHARS` characters, and the releases holding them are found and
        scored with arrays (BM25F, as Whoosh's ``more_like`` scores them), within the time budget.
        """
        live = self._open()
        searcher = live.searcher
        docnum = searcher.document_number(id=release_id)
        if docnum is None:
            return []
        stored = searcher.stored_fields(docnum)
        field = language_fields(stored.get("lang") or FIELDS_LANGUAGE)["body"]
        if field not in searcher.schema:
            return []
        text = f"{stored.get('title', '')}\n{stored.get('body', '')}"[:RELATED_TEXT_CHARS]
        key_terms = searcher.key_terms_from_text(field, text, numterms=RELATED_WORDS)
        similar = wq.Or([wq.Term(field, word, boost=weight) for word, weight in key_terms])
        try:
            matches = live.matcher.run(similar, time.perf_counter() + self.time_budget)
        except TimeLimit:
            return []
        ids, scores = matches.top(limit + 1)
        found = [
            (doc, score) for doc, score in zip(ids.tolist(), scores.tolist(), strict=True) if doc != docnum
        ]
        return [self._hit(searcher.stored_fields(doc), score, _Terms([])) for doc, score in found[:limit]]

    def highlight_release(self, release: Release, q: str) -> tuple[str, str]:
        """Return the release's title and body as HTML with the words of ``q`` marked."""
        searcher = self.searcher()
        parsed = parse_query(q, searcher.schema, self.variants, searcher.reader(), [release.lang])
        terms = terms_for_language(release.lang, list(parsed.query.iter_all_terms()) if q.strip() else [])
        return highlight_whole(release.title, terms), highlight_whole(release.body, terms)

    def live_generation(self) -> tuple[str, int, dt.datetime]:
        """Return the live generation's name, its Whoosh commit number and when it was last written.

        Together they change on every reindex that writes something (a full build makes a new
        generation; an incremental one commits to the live one), so they make an HTTP validator.
        """
        return self._open().validator


class _Terms:
    """A query's terms, and what to mark for them in each language's releases (made once each)."""

    def __init__(self, terms: list[tuple[str, str]]) -> None:
        self.terms = terms
        self._by_language: dict[str, MatchTerms] = {}

    def of(self, lang: str) -> MatchTerms:
        """Return what to mark in a release in ``lang``."""
        found = self._by_language.get(lang)
        if found is None:
            found = self._by_language[lang] = terms_for_language(lang, self.terms)
        return found


def _request_key(request: SearchRequest) -> tuple[Any, ...]:
    filters = tuple(sorted((name, tuple(values)) for name, values in request.filters.items()))
    dates = (request.date_from, request.date_to)
    options = (request.verbatim, request.interval)
    return (request.q, request.page, request.per_page, request.sort, dates, filters, options)


def _date_text(value: Any) -> str | None:
    return value.date().isoformat() if isinstance(value, dt.datetime) else None


def _describe(parsed: ParsedQuery) -> str:
    if parsed.is_everything:
        return "all releases"
    if parsed.query is wq.NullQuery:
        return "nothing to search for (only common words or symbols)"
    text = str(parsed.query)
    return f"{text} (read as plain words)" if parsed.degraded else text
