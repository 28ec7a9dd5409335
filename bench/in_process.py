"""Query latency in process: ``SearchService.search`` and the FTS5 baseline, same queries, same run.

Usage: imported by bench/speed.py (``measure_queries``, ``profile_pass``).

Both engines answer every query of the set once as a warm-up, then ``runs`` times measured.
Within a run the two engines alternate query by query (which one goes first alternates too),
so a background burst on the machine hits both alike. Release Search does what ``search()``
does: top 10 with highlights, facets and an exact total; FTS5 does top 10 with
``highlight()``/``snippet()`` and an exact ``COUNT(*)``.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import pstats
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fts5_app import Fts5Search  # noqa: E402
from queries import BenchQuery  # noqa: E402
from timing import clock, combine_runs, ratio, summarize  # noqa: E402

from search_app.service import SearchRequest, SearchService  # noqa: E402


def to_request(query: BenchQuery, filter_names: list[str]) -> SearchRequest:
    """Return the ``SearchRequest`` for a benchmark query."""
    filters = {"topics": query.topics} if query.topics and "topics" in filter_names else {}
    return SearchRequest(
        q=query.q,
        page=query.page,
        date_from=dt.date.fromisoformat(query.date_from) if query.date_from else None,
        date_to=dt.date.fromisoformat(query.date_to) if query.date_to else None,
        filters=filters,
    )


def _fts5(search: Fts5Search, query: BenchQuery) -> int:
    found = search.search(query.q, query.page, 10, query.date_from, query.date_to, query.topics)
    if query.kind == "question" and not found["total"]:  # all words, else any word
        found = search.search(" OR ".join(re.findall(r"\w+", query.q)), query.page, 10)
    return int(found["total"])


def measure_queries(
    index: Path, variants: Path | None, fts5_db: Path, queries: list[BenchQuery], runs: int
) -> dict[str, Any]:
    """Time every query on both engines ``runs`` times after a warm-up; return the figures.

    Release Search runs with its result cache off, so every search is worked out afresh
    (as FTS5's is); the cost of a repeated search, answered from the cache, is reported apart,
    and so is the warm-up pass of a fresh service, which reads every word's postings from
    the index files (later passes find most of them in the worker's postings cache).
    """
    service = SearchService(index, variants, result_cache=0)
    fts5 = Fts5Search(fts5_db)
    requests = [to_request(query, service.filter_names()) for query in queries]
    totals = []
    first_pass_ms = []  # a fresh service: every word's postings read from the index files
    for query, request in zip(queries, requests, strict=True):
        started = clock()
        total = service.search(request).total
        first_pass_ms.append((clock() - started) * 1000)
        totals.append((total, _fts5(fts5, query)))
    rs_ms: list[list[float]] = [[] for _ in queries]
    fts_ms: list[list[float]] = [[] for _ in queries]
    for run in range(runs):
        for number, (query, request) in enumerate(zip(queries, requests, strict=True)):
            for engine in ("rs", "fts") if (number + run) % 2 == 0 else ("fts", "rs"):
                started = clock()
                if engine == "rs":
                    service.search(request)
                    rs_ms[number].append((clock() - started) * 1000)
                else:
                    _fts5(fts5, query)
                    fts_ms[number].append((clock() - started) * 1000)
    per_run = [
        {"release_search": summarize([t[run] for t in rs_ms]), "fts5": summarize([t[run] for t in fts_ms])}
        for run in range(runs)
    ]
    figures: dict[str, Any] = {"runs": runs, "queries": len(queries), "per_run": per_run}
    for engine in ("release_search", "fts5"):
        figures[engine] = combine_runs([run[engine] for run in per_run])
    rs, fts = figures["release_search"]["median"], figures["fts5"]["median"]
    figures["ratio"] = {key: ratio(rs[key], fts[key]) for key in ("mean", "p50", "p95", "p99")}
    by_kind: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"rs": [], "fts": []})
    for query, rs_times, fts_times in zip(queries, rs_ms, fts_ms, strict=True):
        by_kind[query.kind]["rs"].extend(rs_times)
        by_kind[query.kind]["fts"].extend(fts_times)
    figures["repeated_search_cached"] = _cached_repeats(index, variants, requests)
    figures["release_search_first_pass"] = summarize(first_pass_ms)
    figures["question_ms"] = {  # issue 15: partial matching's cost, beside FTS5 all-else-any
        engine: summarize(by_kind["question"][key])
        for engine, key in (("release_search", "rs"), ("fts5", "fts"))
    }
    figures["by_kind_p50_ms"] = {
        kind: {
            "release_search": round(statistics.median(times["rs"]), 2),
            "fts5": round(statistics.median(times["fts"]), 2),
        }
        for kind, times in by_kind.items()
    }
    figures["per_query"] = [
        {
            **query.as_dict(),
            "release_search_ms": round(statistics.median(rs_times), 2),
            "fts5_ms": round(statistics.median(fts_times), 2),
            "release_search_total": rs_total,
            "fts5_total": fts_total,
        }
        for query, rs_times, fts_times, (rs_total, fts_total) in zip(
            queries, rs_ms, fts_ms, totals, strict=True
        )
    ]
    return figures


def _cached_repeats(index: Path, variants: Path | None, requests: list[SearchRequest]) -> dict[str, Any]:
    """Time each search a second time with the result cache on (what a popular search costs)."""
    service = SearchService(index, variants)
    times = []
    for request in requests:
        service.search(request)
        started = clock()
        service.search(request)
        times.append((clock() - started) * 1000)
    return summarize(times)


def profile_pass(index: Path, variants: Path | None, queries: list[BenchQuery], out: Path) -> list[str]:
    """Profile one warm pass of ``SearchService.search``; save the stats and return the top 15 lines."""
    service = SearchService(index, variants, result_cache=0)
    requests = [to_request(query, service.filter_names()) for query in queries]
    for request in requests:
        service.search(request)
    profiler = cProfile.Profile()
    profiler.enable()
    for request in requests:
        service.search(request)
    profiler.disable()
    profiler.dump_stats(out)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(15)
    return [line for line in text.getvalue().splitlines() if line.strip()]
