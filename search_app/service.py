"""The search service: one object that answers both the page and the API.

It takes plain arguments, returns dataclasses and imports nothing from Flask.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from pathlib import Path
from typing import Any

from whoosh import index, sorting
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TimeLimitCollector
from whoosh.fields import Schema
from whoosh.searching import Hit, Results, Searcher, TimeLimit

from indexer.schema import KeywordListField, split_list
from indexer.store import IndexDamaged, IndexMissing, IndexStore
from search_app.contract import (
    FACET_LIMIT,
    FACET_PARAMS,
    FacetValue,
    IndexUnavailable,
    Release,
    SearchHit,
    SearchRequest,
    SearchResult,
)
from search_app.highlight import MatchTerms, highlight_snippet, highlight_whole
from search_app.proximity import close_together
from search_app.query import ParsedQuery, parse_query, plain_words
from search_app.spelling import SpellingSuggester
from search_app.suggest import Completion, Completions
from search_app.variants import NameVariants

# Relevance-ranked pages within the first RERANK_DEPTH hits are re-ranked by proximity;
# a release with the query's words within a few positions gets its score times PROXIMITY_BONUS.
RERANK_DEPTH = 50
PROXIMITY_BONUS = 1.5


class SearchService:
    """Search one index directory; follows new index generations without a restart."""

    def __init__(self, index_root: Path, variants_path: Path | None = None, time_budget: float = 5.0) -> None:
        self.time_budget = time_budget
        self.store = IndexStore(index_root)
        self.variants = NameVariants(variants_path)
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._stamp: tuple[Any, ...] = ()
        self._facet_fields: list[str] = []
        self._completions: Completions | None = None
        self._spelling: SpellingSuggester  # set with each searcher

    # -- index lifecycle ---------------------------------------------------------

    def _current_stamp(self) -> tuple[Any, ...]:
        generation = self.store.current()
        if generation is None:
            return ()
        try:
            meta_mtime = (generation.path / "release-search.json").stat().st_mtime_ns
        except OSError:
            meta_mtime = 0
        return (self.store.pointer_stamp(), generation.name, meta_mtime)

    def searcher(self) -> Searcher:
        """Return a searcher on the live generation, reopening it when it changed."""
        stamp = self._current_stamp()
        if self._searcher is not None and stamp == self._stamp:
            return self._searcher
        with self._lock:
            if self._searcher is not None and stamp == self._stamp:
                return self._searcher
            try:
                generation = self.store.require_current()
                generation.verify()
                searcher = index.open_dir(str(generation.path)).searcher()
            except IndexMissing as exc:
                raise IndexUnavailable(str(exc)) from None
            except IndexDamaged as exc:
                raise IndexUnavailable(f"{exc} Run reindex to rebuild it.") from None
            except Exception as exc:  # noqa: BLE001 - any failure to open is "unavailable"
                raise IndexUnavailable(f"The index at {self.store.root} cannot be read: {exc}") from None
            old, self._searcher, self._stamp = self._searcher, searcher, stamp
            self._completions = None
            self._spelling = SpellingSuggester(searcher)
            meta = generation.metadata()
            self._facet_fields = [
                f for f in meta.get("facet_fields", ["year", "tags", "source"]) if f in searcher.schema
            ]
            if old is not None:
                old.close()
            return searcher

    def facet_fields(self) -> list[str]:
        """Return the fields offered as facets by the live index."""
        self.searcher()
        return list(self._facet_fields)

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
        """Run one search and return the requested page with facets and highlights."""
        started = time.perf_counter()
        searcher = self.searcher()
        parsed = parse_query(request.q, searcher.schema, self.variants, searcher.reader())
        sort = request.effective_sort
        limit = request.page * request.per_page
        rerank = sort == "relevance" and limit <= RERANK_DEPTH
        collector = searcher.collector(
            limit=RERANK_DEPTH if rerank else limit,
            sortedby=_sort_facet(sort),
            groupedby=self._facets(searcher.schema),
            maptype=sorting.Count,
        )
        # use_alarm=False: signals only work in the main thread, and web workers may not be.
        collector = TimeLimitCollector(collector, timelimit=self.time_budget, use_alarm=False)
        search_filter = self._filter(request, searcher.schema)
        if search_filter is not None:
            # Outermost: Whoosh's filter works in collect_matches, which the time limit replaces.
            collector = FilterCollector(collector, search_filter, None)
        warnings = list(parsed.warnings)
        try:
            searcher.search_with_collector(parsed.query, collector)
        except TimeLimit:
            warnings.append("The search took too long and was stopped; these results may be incomplete.")
        results = collector.results()
        total = len(results)
        terms = MatchTerms(parsed.query.iter_all_terms()) if not parsed.is_everything else MatchTerms([])
        start = (request.page - 1) * request.per_page
        ranked = self._proximity_rerank(parsed, results) if rerank else list(results)
        hits = [self._hit(hit, terms) for hit in ranked[start:limit]]
        facets = {name: _facet_values(results.groups(name)) for name in self._facet_fields}
        suggestion = self._spelling.suggest(request.q) if request.q.strip() and total < 3 else None
        return SearchResult(
            query=request.q,
            page=request.page,
            per_page=request.per_page,
            total=total,
            pages=max(1, math.ceil(total / request.per_page)),
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            sort=sort,
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            parsed=_describe(parsed),
            variants=parsed.variants,
            degraded=parsed.degraded,
            warnings=warnings,
        )

    def _proximity_rerank(self, parsed: ParsedQuery, results: Results) -> list[Hit]:
        """Re-rank the top hits: releases with the query's words close together move up.

        Only the first :data:`RERANK_DEPTH` hits are re-ranked, so the cost is a few
        postings skips, not a proximity search over every match.
        """
        top = list(results)
        words = plain_words(parsed.query)
        if not words or len(top) < 2:
            return top
        # The reader of the search that produced the docnums, even if a new generation arrived since.
        near = close_together(results.searcher.reader(), words, (hit.docnum for hit in top))
        return sorted(
            top, key=lambda hit: -(hit.score or 0.0) * (PROXIMITY_BONUS if hit.docnum in near else 1.0)
        )

    def _facets(self, schema: Schema) -> dict[str, sorting.FacetType]:
        facets: dict[str, sorting.FacetType] = {}
        for name in self._facet_fields:
            overlapping = isinstance(schema[name], KeywordListField)
            facets[name] = sorting.FieldFacet(name, allow_overlap=overlapping)
        return facets

    def _filter(self, request: SearchRequest, schema: Schema) -> wq.Query | None:
        clauses: list[wq.Query] = []
        if request.date_from or request.date_to:
            start = dt.datetime.combine(request.date_from, dt.time.min) if request.date_from else None
            end = dt.datetime.combine(request.date_to, dt.time.max) if request.date_to else None
            clauses.append(wq.DateRange("date", start, end))
        for param, values in request.filters.items():
            name = FACET_PARAMS.get(param, param)
            terms = [wq.Term(name, value) for value in values]
            if isinstance(schema[name], KeywordListField):
                clauses.extend(terms)  # a release can carry several tags: all must match
            else:
                clauses.append(wq.Or(terms))
        return wq.And(clauses) if clauses else None

    def filter_names(self) -> list[str]:
        """Return the request parameter names that filter on a facet."""
        reverse = {value: key for key, value in FACET_PARAMS.items()}
        return [reverse.get(name, name) for name in self.facet_fields()]

    def _hit(self, hit: Hit, terms: MatchTerms) -> SearchHit:
        stored = hit.fields()
        title, body = stored.get("title", ""), stored.get("body", "")
        return SearchHit(
            id=stored["id"],
            title=title,
            date=_date_text(stored.get("date")),
            url=stored.get("url"),
            tags=split_list(stored.get("tags")),
            source=stored.get("source"),
            # Sorted searches put the sort key in ``score``; only relevance has a score.
            score=round(hit.score, 4) if isinstance(hit.score, float) else 0.0,
            title_html=highlight_whole(title, terms),
            snippet_html=highlight_snippet(body, terms),
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
        )

    def related(self, release_id: str, limit: int = 5) -> list[SearchHit]:
        """Return releases about the same things as ``release_id`` ("more like this")."""
        searcher = self.searcher()
        docnum = searcher.document_number(id=release_id)
        if docnum is None:
            return []
        stored = searcher.stored_fields(docnum)
        text = f"{stored.get('title', '')}\n{stored.get('body', '')}"
        similar = searcher.more_like(docnum, "body", text=text, top=limit)
        return [self._hit(hit, MatchTerms([])) for hit in similar]

    def highlight_release(self, release: Release, q: str) -> tuple[str, str]:
        """Return the release's title and body as HTML with the words of ``q`` marked."""
        searcher = self.searcher()
        parsed = parse_query(q, searcher.schema, self.variants, searcher.reader())
        terms = MatchTerms(parsed.query.iter_all_terms()) if q.strip() else MatchTerms([])
        return highlight_whole(release.title, terms), highlight_whole(release.body, terms)

    def live_generation(self) -> tuple[str, int, dt.datetime]:
        """Return the live generation's name, its Whoosh commit number and when it was last written.

        Together they change on every reindex that writes something (a full build makes a new
        generation; an incremental one commits to the live one), so they make an HTTP validator.
        """
        commit = self.searcher().reader().generation()
        generation = self.store.require_current()
        try:
            updated = dt.datetime.fromisoformat(str(generation.metadata()["updated_at"]))
        except (KeyError, ValueError):
            updated = dt.datetime.fromtimestamp(generation.path.stat().st_mtime, dt.UTC)
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=dt.UTC)
        return generation.name, commit if isinstance(commit, int) else -1, updated


def _sort_facet(sort: str) -> sorting.FacetType | None:
    if sort == "relevance":
        return None
    # Undated releases sort last both ways.
    return sorting.MultiFacet(
        [sorting.FieldFacet("dated", reverse=True), sorting.FieldFacet("date", reverse=sort == "newest")]
    )


def _facet_values(groups: dict[Any, int]) -> list[FacetValue]:
    values = [
        FacetValue(key.decode("utf-8") if isinstance(key, bytes) else str(key), count)
        for key, count in groups.items()
        if key not in (None, "", b"")
    ]
    values.sort(key=lambda item: (-item.count, item.value))
    return values[:FACET_LIMIT]


def _date_text(value: Any) -> str | None:
    return value.date().isoformat() if isinstance(value, dt.datetime) else None


def _describe(parsed: ParsedQuery) -> str:
    if parsed.is_everything:
        return "all releases"
    if parsed.query is wq.NullQuery:
        return "nothing to search for (only common words or symbols)"
    text = str(parsed.query)
    return f"{text} (read as plain words)" if parsed.degraded else text
