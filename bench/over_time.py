"""The cost of matches over time: the histogram's share of a search, and how fast exports stream.

Usage (from the repository root)::

    python bench/over_time.py --index /tmp/doj            # DOJ queries if ../shared/corpora has it
    (bench/speed.py runs it too, after the in-process queries: ``results["over_time"]``)

**Histogram**: every query of the set through ``SearchService.search`` (result cache off)
with the histogram and without it (its function and the date lookup replaced by stubs),
alternating query by query and which goes first, ``runs`` times; p50/p95/p99 of each
and their ratio; and the histogram by itself (date lookup and counting, best of 5 per
query), which a busy machine's noise disturbs far less than a ratio of whole searches.
**Export**: ``/api/search.csv`` and ``.jsonl`` of every release and of a
common word through the whole WSGI app (parameters, search, stored fields, formatting,
chunks), the body read as a client would; rows per second, best of ``runs``. No timing
is asserted: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from in_process import to_request  # noqa: E402
from queries import DEFAULT_SEED, BenchQuery, draw_queries, read_releases  # noqa: E402
from timing import clock, combine_runs, cpu_probe, ratio, summarize  # noqa: E402

from search_app import create_app  # noqa: E402
from search_app.engine.doc_table import DocTable  # noqa: E402
from search_app.engine.histogram import histogram  # noqa: E402
from search_app.service import SearchRequest, SearchService, search_service  # noqa: E402
from search_app.service.contract import Histogram  # noqa: E402

DOJ = BENCH.parent.parent / "shared" / "corpora" / "doj-opa-2009-2018" / "releases.jsonl.gz"
EXPORTS = ("q=", "q=fraud")


class _WithoutHistogram:
    """Replace the histogram and its date lookup by stubs while inside."""

    def __enter__(self) -> None:
        self.saved = search_service.histogram, DocTable.dated_days
        search_service.histogram = lambda days, undated, asked: Histogram("year", [], 0)  # type: ignore[assignment]
        DocTable.dated_days = lambda table, ids: (np.empty(0, np.int64), 0)  # type: ignore[method-assign]

    def __exit__(self, *exc: object) -> None:
        search_service.histogram, DocTable.dated_days = self.saved  # type: ignore[method-assign]


def measure_histogram(
    index: Path, variants: Path | None, queries: list[BenchQuery], runs: int
) -> dict[str, Any]:
    """Time every query with and without the histogram, alternating; return both and their ratio."""
    service = SearchService(index, variants, result_cache=0)
    requests = [to_request(query, service.filter_names()) for query in queries]
    for request in requests:  # warm-up: postings read once
        service.search(request)
    times: dict[str, list[list[float]]] = {"with": [], "without": []}
    for run in range(runs):
        pass_times: dict[str, list[float]] = {"with": [], "without": []}
        for number, request in enumerate(requests):
            for kind in ("with", "without") if (number + run) % 2 == 0 else ("without", "with"):
                started = clock()
                if kind == "with":
                    service.search(request)
                else:
                    with _WithoutHistogram():
                        service.search(request)
                pass_times[kind].append((clock() - started) * 1000)
        for kind, values in pass_times.items():
            times[kind].append(values)
    figures: dict[str, Any] = {
        "runs": runs,
        "queries": len(requests),
        "alone": _histogram_alone(service, requests),
    }
    for kind, per_run in times.items():
        figures[f"{kind}_histogram"] = combine_runs([summarize(values) for values in per_run])
    with_m, without_m = figures["with_histogram"]["median"], figures["without_histogram"]["median"]
    figures["ratio"] = {key: ratio(with_m[key], without_m[key]) for key in ("mean", "p50", "p95", "p99")}
    return figures


def _histogram_alone(service: SearchService, requests: list[SearchRequest]) -> dict[str, float]:
    """Time the histogram by itself (date lookup and counting) for every query: best of 5 each."""
    times = []
    for request in requests:
        found = service.in_order(request, ordered=False)
        best = float("inf")
        for _ in range(5):
            started = clock()
            histogram(*found.table.dated_days(found.ids), request.interval)
            best = min(best, clock() - started)
        times.append(best * 1000)
    return summarize(times)


def measure_export(index: Path, variants: Path | None, runs: int) -> dict[str, Any]:
    """Stream CSV and JSON Lines exports through the app; return rows per second, best of ``runs``."""
    client = create_app({"INDEX_DIR": index, "VARIANTS_PATH": variants, "RESULT_CACHE": 0}).test_client()
    figures: dict[str, Any] = {}
    for kind in ("csv", "jsonl"):
        for query in EXPORTS:
            passes = []
            for _ in range(runs + 1):  # the first pass warms the page cache and is not counted
                started = clock()
                response = client.get(f"/api/search.{kind}?{query}", buffered=False)
                size = sum(len(chunk) for chunk in response.response)
                response.close()
                seconds = clock() - started
                rows = int(response.headers["X-Export-Rows"])
                passes.append(
                    {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}
                )
            best = max(passes[1:], key=lambda figure: figure["rows_per_s"])
            best["median_rows_per_s"] = statistics.median(figure["rows_per_s"] for figure in passes[1:])
            best["mb"] = round(size / 1e6, 2)
            figures[f"{kind} {query}"] = best
    return figures


def measure_over_time(
    index: Path, variants: Path | None, queries: list[BenchQuery], runs: int
) -> dict[str, Any]:
    """Return the histogram's cost and the export speed, with the CPU probe before and after."""
    probe = cpu_probe()
    return {
        "cpu_probe_s": probe,
        "histogram": measure_histogram(index, variants, queries, runs),
        "export": measure_export(index, variants, runs),
        "cpu_probe_end_s": cpu_probe(),
    }


def report(figures: dict[str, Any]) -> list[str]:
    """Return the lines bench/speed.py prints for these figures."""
    hist = figures["histogram"]
    lines = [f"Histogram cost in process, ms ({hist['runs']} run(s))       p50         p95         p99"]
    for kind in ("with_histogram", "without_histogram"):
        median = hist[kind]["median"]
        lines.append(
            f"  {kind.replace('_', ' '):<34}" + "".join(f"{median[p]:>12}" for p in ("p50", "p95", "p99"))
        )
    lines.append(
        f"  {'ratio with / without':<34}" + "".join(f"{hist['ratio'][p]:>12}" for p in ("p50", "p95", "p99"))
    )
    lines.append(
        f"  {'histogram alone':<34}" + "".join(f"{hist['alone'][p]:>12}" for p in ("p50", "p95", "p99"))
    )
    lines.append("Export, streamed through the app           rows  rows/s best    median          MB")
    for name, best in figures["export"].items():
        cells = (best["rows"], best["rows_per_s"], best["median_rows_per_s"], best["mb"])
        lines.append(f"  {name:<34}" + "".join(f"{cell:>12}" for cell in cells))
    lines.append(f"  CPU probe {figures['cpu_probe_s']} s at start, {figures['cpu_probe_end_s']} s at end")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="A built index of the corpus.")
    parser.add_argument(
        "--corpus", type=Path, default=DOJ, help="Releases to draw queries from (default DOJ)."
    )
    parser.add_argument("--variants", type=Path, default=BENCH.parent / "corpus" / "variants.txt")
    parser.add_argument("--queries", type=int, default=300, help="Size of the query set.")
    parser.add_argument("--runs", type=int, default=3, help="Measured passes.")
    parser.add_argument("--out", type=Path, help="Write the figures here as JSON.")
    args = parser.parse_args()
    queries = draw_queries(list(read_releases(args.corpus)), args.queries, DEFAULT_SEED)
    figures = measure_over_time(args.index, args.variants, queries, args.runs)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1) + "\n")
    print("\n".join(report(figures)))


if __name__ == "__main__":
    main()
