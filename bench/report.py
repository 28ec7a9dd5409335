"""The short table that bench/speed.py prints from its results.

Usage::

    python bench/report.py bench/results/speed-<timestamp>.json     # print the table again
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PCTS = ("p50", "p95", "p99")


def _row(label: str, *cells: Any) -> str:
    return f"  {label:<34}" + "".join(f"{'-' if c is None else c:>12}" for c in cells)


def _spread(figures: dict[str, Any]) -> str:
    spread = figures.get("spread", {})
    return "" if not spread or not any(spread.values()) else f"   (spread p50 {spread.get('p50', 0):.0%})"


def _build_lines(title: str, build: dict[str, Any] | None, fts5: dict[str, Any] | None) -> list[str]:
    lines = [f"{title:<36}{'Release S.':>12}{'FTS5':>12}{'ratio':>12}"]
    full = (build or {}).get("full", {})
    fts5 = fts5 or {}

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 1) if a and b else None

    lines.append(
        _row(
            "full build, s",
            full.get("wall_s"),
            fts5.get("wall_s"),
            ratio(full.get("wall_s"), fts5.get("wall_s")),
        )
    )
    lines.append(_row("releases/s", full.get("releases_per_s"), fts5.get("releases_per_s")))
    lines.append(
        _row(
            "size on disk, MB",
            full.get("index_mb"),
            fts5.get("index_mb"),
            ratio(full.get("index_mb"), fts5.get("index_mb")),
        )
    )
    if full:
        lines.append(
            _row("peak RSS MB: largest process / tree", full["peak_rss_mb"], full["peak_tree_rss_mb"])
        )
        runs = build["incremental"] if build else {}
        text = " · ".join(
            f"{name.replace('_', ' ')} {run['wall_s']} s ({run['updated']} upd.)"
            for name, run in runs.items()
        )
        lines.append(f"  incremental: {text}")
    return lines


def _query_lines(title: str, query: dict[str, Any]) -> list[str]:
    rs, fts = query["release_search"], query["fts5"]
    lines = [f"{title:<36}{'p50':>12}{'p95':>12}{'p99':>12}"]
    lines.append(_row("Release Search", *(rs["median"][p] for p in PCTS)) + _spread(rs))
    lines.append(_row("FTS5", *(fts["median"][p] for p in PCTS)) + _spread(fts))
    lines.append(_row("ratio Release Search / FTS5", *(query["ratio"][p] for p in PCTS)))
    kinds = ", ".join(
        f"{k} {v['release_search']:.1f}/{v['fts5']:.1f}" for k, v in query["by_kind_p50_ms"].items()
    )
    lines.append(f"  p50 by kind, ms (RS/FTS5): {kinds}")
    first = query.get("release_search_first_pass")
    if first:
        lines.append(_row("Release Search, first pass (cold)", *(first[p] for p in PCTS)))
    cached = query.get("repeated_search_cached")
    if cached:
        lines.append(_row("Release Search, repeated (cached)", *(cached[p] for p in PCTS)))
    return lines


def _http_lines(http: dict[str, Any]) -> list[str]:
    lines = []
    for level in ("concurrency_1", "concurrency_8"):
        figures = http[level]
        title = f"HTTP, {level.replace('_', ' ')}, ms"
        lines.append(f"{title:<36}{'p50':>12}{'p95':>12}{'p99':>12}{'req/s':>12}")
        for name, label in (("release_search", "Release Search"), ("fts5", "FTS5")):
            median = figures[name]["median"]
            errors = f"   {median['errors']:.0f} errors" if median["errors"] else ""
            lines.append(_row(label, *(median[p] for p in (*PCTS, "rps"))) + _spread(figures[name]) + errors)
        lines.append(_row("ratio Release Search / FTS5", *(figures["ratio"][p] for p in (*PCTS, "rps"))))
    cached = http.get("cached_concurrency_8")
    if cached:
        median = cached["median"]
        label = "RS, result cache on, repeated"
        lines.append(_row(label, *(median[p] for p in (*PCTS, "rps"))) + _spread(cached))
    rss = http["worker_rss"]
    lines.append("  worker memory MB per worker, VmRSS / Pss / RssAnon: before | after warm-up | after load")
    for name, label in (("release_search", "Release Search"), ("fts5", "FTS5")):
        r = rss[name]
        stages = [r[stage] for stage in ("before", "after_warmup", "after_load")]
        workers = max(1, r["workers"])
        text = " | ".join(
            " / ".join(f"{m.get(key, 0) / workers:.0f}" for key in ("VmRSS", "Pss", "RssAnon"))
            for m in stages
        )
        lines.append(f"    {label}, {r['workers']} workers: {text}")
    return lines


def table(results: dict[str, Any]) -> list[str]:
    """Return the lines of the summary table."""
    corpus = results["corpus"]
    name = "synthetic" if corpus["synthetic"] else Path(corpus["path"]).parent.name
    env = results["environment"]
    lines = [
        f"Release Search speed: {name}, {corpus['releases']:,} releases; {env['cpus']} CPUs, "
        f"Python {env['python']}, load average {env['load_average'][0]} at start, "
        f"{env.get('load_average_end', ['?'])[0]} at end",
        f"CPU probe (a fixed Python loop, best of 3; lower is faster): "
        f"{env.get('cpu_probe_s', '?')} s at start, {env.get('cpu_probe_end_s', '?')} s at end",
        "",
    ]
    lines += _build_lines("Build", results.get("build"), results.get("fts5_build"))
    query = results["query"]
    lines += ["", *_query_lines(f"In process, ms ({query['runs']} run(s))", query)]
    if "http" in results:
        lines += ["", *_http_lines(results["http"])]
    if "multilingual_build" in results:
        build = results["multilingual_build"]
        lines += [
            "",
            f"Multilingual build (English, French, Arabic): {build['documents']} releases in "
            f"{build['wall_s']} s, {build['releases_per_s']} releases/s, "
            f"{build['characters_per_s']:,} characters/s, {build['index_mb']} MB",
        ]
    if "scale" in results:
        scale = results["scale"]
        title = f"Scale: {scale['releases']:,} synthetic"
        lines += ["", *_build_lines(title, scale["build"], scale["fts5_build"])]
        lines += _query_lines("  queries in process, ms", scale["query"])
    if "profile" in results:
        lines += ["", f"Profile (cProfile, one pass): {results['profile']['file']}"]
    return lines


def print_table(results: dict[str, Any]) -> None:
    """Print the summary table of a speed benchmark's results."""
    print("\n".join(table(results)))


if __name__ == "__main__":
    print_table(json.loads(Path(sys.argv[1]).read_text()))
