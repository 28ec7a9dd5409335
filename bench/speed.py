"""Speed benchmark (``make bench``): Release Search and an SQLite FTS5 baseline, measured side by side.

Usage (from the repository root)::

    python bench/speed.py                                  # DOJ corpus if ../shared/corpora has it
    python bench/speed.py --runs 3 --scale 20000           # what `make bench` runs
    python bench/speed.py --skip-build --index /tmp/doj --skip-http --skip-scale   # quick: queries only
    python bench/speed.py --corpus FILE.jsonl.gz --profile

Parts (each can be skipped): **build** (``reindex --full`` in a subprocess: time, releases/s,
size on disk, peak memory; incremental runs after 0, 1 and 100 changed releases; the FTS5
build of the same releases; a multilingual build of the seed's English releases and the French
and Arabic ones of bench/multilingual), **over time** (the histogram's share of a search and
export speed, bench/over_time.py), **query in process** (p50/p95/p99 of ``SearchService.search``
and of FTS5 over a seeded query set of ~300 queries of 12 kinds, see bench/queries.py),
**HTTP** (``search-app`` and the FTS5 app under gunicorn with 2 workers each, a bounded load
at concurrency 1 and 8 from a second process, worker RSS before and after) and **scale**
(a synthetic corpus of ``--scale`` releases, bench/synthetic.py: build and in-process
queries). ``--runs N`` repeats the query and HTTP measurements and reports medians with
the spread between runs. Without the DOJ corpus the main corpus is synthetic too.

Results: bench/results/speed-<timestamp>.json and a table on stdout. No timing is asserted:
this is a benchmark, not a test. The load goes to 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

from build_cost import measure_build, measure_fts5_build, measure_multilingual_build  # noqa: E402
from http_load import Server, free_port, load_in_subprocess  # noqa: E402
from in_process import measure_queries, profile_pass  # noqa: E402
from over_time import measure_over_time  # noqa: E402
from over_time import report as over_time_report  # noqa: E402
from queries import DEFAULT_SEED, BenchQuery, draw_queries, read_releases  # noqa: E402
from report import print_table  # noqa: E402
from synthetic import write_corpus  # noqa: E402
from timing import combine_runs, cpu_probe, ratio  # noqa: E402

DOJ = ROOT.parent / "shared" / "corpora" / "doj-opa-2009-2018" / "releases.jsonl.gz"
# The multilingual build: the seed's English releases and the French and Arabic relevance sets.
MULTILINGUAL_SOURCES = [
    *sorted((ROOT / "corpus").glob("*.md")),
    BENCH / "multilingual" / "fr.jsonl",
    BENCH / "multilingual" / "ar.jsonl",
]
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, help="Releases (.jsonl/.jsonl.gz); default DOJ, else synthetic."
    )
    parser.add_argument("--synthetic-count", type=int, default=12694, help="Size of a synthetic main corpus.")
    parser.add_argument("--index", type=Path, help="Reuse this built index of the corpus for the queries.")
    parser.add_argument(
        "--variants", type=Path, default=ROOT / "corpus" / "variants.txt", help="Name variants."
    )
    parser.add_argument("--queries", type=int, default=300, help="Size of the query set (default 300).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Seed of the query set.")
    parser.add_argument("--runs", type=int, default=1, help="Repeat query and HTTP measurements N times.")
    parser.add_argument("--http-passes", type=int, default=2, help="Passes over the query set per load.")
    parser.add_argument("--http-seconds", type=float, default=30.0, help="Time limit per load.")
    parser.add_argument("--scale", type=int, default=20000, help="Releases in the synthetic scale corpus.")
    parser.add_argument("--skip-build", action="store_true", help="Do not measure the build (needs --index).")
    parser.add_argument("--skip-http", action="store_true", help="Do not measure over HTTP.")
    parser.add_argument(
        "--skip-scale", action="store_true", help="Do not measure the synthetic scale corpus."
    )
    parser.add_argument(
        "--skip-over-time", action="store_true", help="Do not measure the histogram's cost and exports."
    )
    parser.add_argument("--profile", action="store_true", help="Profile one in-process pass (cProfile).")
    parser.add_argument(
        "--work", type=Path, help="Work folder (default: a new /tmp/bench-* removed at the end)."
    )
    parser.add_argument(
        "--out", type=Path, help="Results file (default bench/results/speed-<timestamp>.json)."
    )
    args = parser.parse_args(argv)
    if args.skip_build and not args.index:
        parser.error("--skip-build needs --index DIR (an index to query)")
    return args


def environment() -> dict[str, Any]:
    """Return what the figures depend on: machine, versions, the commit measured."""

    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    from importlib.metadata import version

    # The tree is edited while benchmarks run: a hash of the code says which version was measured.
    sources = hashlib.sha256()
    for path in sorted([*ROOT.glob("indexer/**/*.py"), *ROOT.glob("search_app/**/*.py")]):
        sources.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_probe_s": cpu_probe(),
        "sqlite": sqlite3.sqlite_version,
        "whoosh": version("whoosh-reloaded"),
        "commit": git("rev-parse", "HEAD"),
        "modified_files": len(git("status", "--porcelain", "--untracked-files=no").splitlines()),
        "sources_sha256": sources.hexdigest()[:16],
    }


def measure_http(
    index: Path,
    variants: Path,
    fts5_db: Path,
    queries: list[BenchQuery],
    args: argparse.Namespace,
    work: Path,
) -> dict[str, Any]:
    """Serve both engines with gunicorn (2 workers each) and load them alike; return the figures."""
    paths_file = work / "paths.json"
    paths = ["/api/search?" + urllib.parse.urlencode(query.params()) for query in queries]
    paths_file.write_text(json.dumps(paths))
    rs_port, fts_port = free_port(), free_port()
    rs_command = [str(BIN / "search-app"), "--port", str(rs_port), "--workers", "2", "--index", str(index)]
    fts_command = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{fts_port}"]
    fts_command += ["--chdir", str(BENCH), "--timeout", "30", "--access-logfile", "-", "fts5_app:app"]
    requests = args.http_passes * len(paths)
    figures: dict[str, Any] = {"requests_per_load": requests, "seconds_per_load": args.http_seconds}
    rs_env = {"RELEASE_SEARCH_VARIANTS": str(variants)}
    with (
        # The result cache off: every request is searched afresh, as FTS5 searches afresh.
        Server(
            rs_command, rs_port, work / "search-app.log", {**rs_env, "RELEASE_SEARCH_RESULT_CACHE": "0"}
        ) as rs,
        Server(fts_command, fts_port, work / "fts5-app.log", {"BENCH_FTS5_DB": str(fts5_db)}) as fts,
    ):
        servers = {"release_search": rs, "fts5": fts}
        rss: dict[str, dict[str, Any]] = {name: {} for name in servers}
        for name, server in servers.items():
            rss[name]["before"] = server.worker_memory_mb()
            load_in_subprocess(server.base, paths_file, 2, len(paths), 60)  # warm-up: every query once
            rss[name]["after_warmup"] = server.worker_memory_mb()
        for concurrency in (1, 8):
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
            for _ in range(args.runs):
                for name, server in servers.items():
                    load = load_in_subprocess(
                        server.base, paths_file, concurrency, requests, args.http_seconds
                    )
                    runs[name].append(load)
            level: dict[str, Any] = {}
            for name, loads in runs.items():
                flat = [
                    {**load["latency_ms"], "rps": load["rps"], "errors": load["errors"]} for load in loads
                ]
                level[name] = {**combine_runs(flat), "per_run": loads}
            rs_m, fts_m = level["release_search"]["median"], level["fts5"]["median"]
            level["ratio"] = {key: ratio(rs_m[key], fts_m[key]) for key in ("p50", "p95", "p99", "rps")}
            figures[f"concurrency_{concurrency}"] = level
        for name, server in servers.items():
            rss[name]["after_load"] = server.worker_memory_mb()
            rss[name]["workers"] = len(server.workers())
        figures["worker_rss"] = rss
    figures["cached_concurrency_8"] = _measure_cached(rs_command, rs_env, paths_file, requests, args, work)
    return figures


def _measure_cached(
    command: list[str],
    env: dict[str, str],
    paths_file: Path,
    requests: int,
    args: argparse.Namespace,
    work: Path,
) -> dict[str, Any]:
    """Release Search as deployed (result cache on), after a warm-up pass: repeated searches."""
    with Server(
        command, int(command[command.index("--port") + 1]), work / "search-app-cached.log", env
    ) as rs:
        load_in_subprocess(rs.base, paths_file, 2, requests, 60)
        loads = [
            load_in_subprocess(rs.base, paths_file, 8, requests, args.http_seconds) for _ in range(args.runs)
        ]
        flat = [{**load["latency_ms"], "rps": load["rps"], "errors": load["errors"]} for load in loads]
        return {**combine_runs(flat), "per_run": loads, "worker_rss_after": rs.worker_memory_mb()}


def measure_scale(count: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Build and query a synthetic corpus of ``count`` releases; return the figures."""
    corpus = work / "scale" / "releases.jsonl.gz"
    write_corpus(corpus, count)
    releases = list(read_releases(corpus))
    build = measure_build(releases, work / "scale")
    fts5 = measure_fts5_build(releases, work / "scale" / "fts5.sqlite")
    queries = draw_queries(releases, args.queries, args.seed)
    del releases
    timing = measure_queries(Path(build["index"]), args.variants, Path(fts5["path"]), queries, args.runs)
    return {"releases": count, "build": build, "fts5_build": fts5, "query": timing}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {"started": started.isoformat(timespec="seconds"), "environment": environment()}
    try:
        corpus, synthetic = args.corpus or DOJ, False
        if not corpus.exists() and not args.corpus:
            corpus, synthetic = work / "synthetic" / "releases.jsonl.gz", True
            print(
                f"No DOJ corpus at {DOJ}: using {args.synthetic_count} synthetic releases.", file=sys.stderr
            )
            write_corpus(corpus, args.synthetic_count)
        releases = list(read_releases(corpus))
        queries = draw_queries(releases, args.queries, args.seed)
        results["corpus"] = {"path": str(corpus), "releases": len(releases), "synthetic": synthetic}
        print(f"{len(releases)} releases, {len(queries)} queries; work folder {work}", file=sys.stderr)
        index = args.index
        if not args.skip_build:
            print("build: reindex --full, then incremental runs ...", file=sys.stderr)
            results["build"] = measure_build(releases, work)
            index = index or Path(results["build"]["index"])
        results["fts5_build"] = measure_fts5_build(releases, work / "fts5.sqlite")
        fts5_db = Path(results["fts5_build"]["path"])
        del releases
        assert index is not None
        print(f"query in process: {args.runs} run(s) over {index} ...", file=sys.stderr)
        results["query"] = measure_queries(index, args.variants, fts5_db, queries, args.runs)
        if not args.skip_over_time:
            print("over time: the histogram's cost, export speed ...", file=sys.stderr)
            results["over_time"] = measure_over_time(index, args.variants, queries, args.runs)
        if args.profile:
            out = RESULTS / f"speed-{started:%Y%m%dT%H%M%S}.prof"
            RESULTS.mkdir(exist_ok=True)
            results["profile"] = {"file": str(out), "top": profile_pass(index, args.variants, queries, out)}
        if not args.skip_http:
            print("HTTP: gunicorn, 2 workers each, concurrency 1 and 8 ...", file=sys.stderr)
            results["http"] = measure_http(index, args.variants, fts5_db, queries, args, work)
        if not args.skip_build:
            print("multilingual build: English, French and Arabic releases ...", file=sys.stderr)
            results["multilingual_build"] = measure_multilingual_build(MULTILINGUAL_SOURCES, work)
        if not args.skip_scale:
            print(f"scale: {args.scale} synthetic releases ...", file=sys.stderr)
            results["scale"] = measure_scale(args.scale, args, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1)
    results["environment"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["environment"]["cpu_probe_end_s"] = cpu_probe()
    out = args.out or RESULTS / f"speed-{started:%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print_table(results)
    if "over_time" in results:
        print("\n" + "\n".join(over_time_report(results["over_time"])))
    print(f"\nfull results: {out}")


if __name__ == "__main__":
    main()
