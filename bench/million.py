"""A million synthetic releases (or ``--count``): build time and memory, the nothing-changed
incremental run, and searches in process and over HTTP, beside SQLite FTS5.

Usage (from the repository root; ``make bench-million`` runs it)::

    python bench/million.py --work /tmp/bench-million [--count 1000000] [--corpus FILE.jsonl]
        [--reuse-fts5] [--reuse-index]

The corpus (bench/synthetic.py; written once into ``WORK/corpus`` and reused) is never
loaded whole here: the FTS5 baseline is built from it a batch at a time, and queries are
drawn from its first 20,000 releases. ``reindex --full`` runs in a subprocess while a
sampler sums the memory of its whole process tree (RSS, and PSS, which counts the pages a
forked writer shares with its parent once). Results: ``bench/results/million-<stamp>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from build_cost import disk_mb, run_reindex  # noqa: E402
from in_process import measure_queries  # noqa: E402
from queries import DEFAULT_SEED, draw_queries, read_releases  # noqa: E402
from speed import RESULTS, environment, measure_http  # noqa: E402
from synthetic import write_corpus  # noqa: E402
from timing import clock  # noqa: E402

BATCH = 10_000
QUERY_SAMPLE = 20_000


def fts5_rows(corpus: Path) -> Iterator[tuple[int, str, str, str, str]]:
    """Yield (rowid, id, title, body, date) of every release, reading the corpus as it goes."""
    for rowid, release in enumerate(read_releases(corpus), start=1):
        date = str(release.get("date") or "")[:10]
        yield rowid, str(release["id"]), str(release.get("title", "")), str(release.get("body", "")), date


def build_fts5(corpus: Path, path: Path) -> dict[str, Any]:
    """Build the FTS5 baseline's database (as fts5_app.build_database does) a batch at a time."""
    path.unlink(missing_ok=True)
    started = clock()
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter unicode61')")
    db.execute("CREATE TABLE meta(rowid INTEGER PRIMARY KEY, id TEXT, date TEXT)")
    db.execute("CREATE TABLE topics(topic TEXT, rowid INTEGER, PRIMARY KEY(topic, rowid)) WITHOUT ROWID")
    rows = fts5_rows(corpus)
    while batch := list(itertools.islice(rows, BATCH)):
        with db:
            db.executemany(
                "INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", [r[:1] + r[2:4] for r in batch]
            )
            db.executemany("INSERT INTO meta VALUES (?, ?, ?)", [(r[0], r[1], r[4]) for r in batch])
    with db:
        db.execute("CREATE INDEX meta_date ON meta(date)")
    db.close()
    seconds = clock() - started
    return {"wall_s": round(seconds, 2), "index_mb": disk_mb(path), "path": str(path)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="Folder for the corpus, indexes and logs.")
    parser.add_argument(
        "--count", type=int, default=1_000_000, help="Synthetic releases (default 1,000,000)."
    )
    parser.add_argument("--corpus", type=Path, help="Use this JSON Lines corpus instead of a synthetic one.")
    parser.add_argument("--queries", type=int, default=200, help="Size of the query set (default 200).")
    parser.add_argument("--runs", type=int, default=1, help="Repeat query and HTTP measurements N times.")
    parser.add_argument("--http-passes", type=int, default=2, help="Passes over the query set per load.")
    parser.add_argument("--http-seconds", type=float, default=60.0, help="Time limit per load.")
    parser.add_argument(
        "--reuse-fts5", action="store_true", help="Use WORK/fts5.sqlite if an earlier run built it."
    )
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="Search WORK/index if an earlier run built it (no build, no incremental runs).",
    )
    args = parser.parse_args()
    work: Path = args.work
    corpus = args.corpus or work / "corpus" / "releases.jsonl"
    if args.corpus is None and not corpus.exists():
        print(f"writing {args.count} synthetic releases to {corpus} ...", file=sys.stderr)
        write_corpus(corpus, args.count)
    results: dict[str, Any] = {"environment": environment(), "corpus": str(corpus)}
    index = work / "index"
    if args.reuse_index and (index / "CURRENT").exists():
        results["build"] = {"reused": True, "index_mb": disk_mb(index)}
        results["incremental_no_change"] = []
    else:
        shutil.rmtree(index, ignore_errors=True)
        print("full build ...", file=sys.stderr)
        build = run_reindex(corpus, index, full=True)
        build["index_mb"] = disk_mb(index)
        build["releases_per_s"] = round(build["documents"] / build["wall_s"], 1)
        results["build"] = build
        print(json.dumps(build), file=sys.stderr)
        results["incremental_no_change"] = [run_reindex(corpus, index, full=False) for _ in range(2)]
        print(json.dumps(results["incremental_no_change"]), file=sys.stderr)
    if args.reuse_fts5 and (work / "fts5.sqlite").exists():
        results["fts5_build"] = fts5 = {"reused": True, "path": str(work / "fts5.sqlite")}
    else:
        print("FTS5 build ...", file=sys.stderr)
        results["fts5_build"] = fts5 = build_fts5(corpus, work / "fts5.sqlite")
    sample = list(itertools.islice(read_releases(corpus), QUERY_SAMPLE))
    queries = draw_queries(sample, args.queries, DEFAULT_SEED)
    del sample
    variants = BENCH.parent / "corpus" / "variants.txt"
    print("searches in process ...", file=sys.stderr)
    results["query"] = measure_queries(index, variants, Path(fts5["path"]), queries, args.runs)
    print("searches over HTTP ...", file=sys.stderr)
    results["http"] = measure_http(index, variants, Path(fts5["path"]), queries, args, work)
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"million-{stamp}.json"
    out.write_text(json.dumps(results, indent=2))
    print(
        json.dumps({key: results[key] for key in ("build", "incremental_no_change", "fts5_build")}, indent=2)
    )
    print(f"results: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
