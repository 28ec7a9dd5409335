"""Typo benchmark: did-you-mean's accuracy and latency on bench/typos.json, old and new.

Usage (from the repository root, with a DOJ index built by ``reindex``)::

    python bench/typos.py --index /tmp/doj [--old 3e2db14] [--base http://127.0.0.1:8000]

Each typo (135 DOJ misspellings, one- and two-word, with the intended spelling) goes to
``SpellingSuggester.suggest`` in this process; a suggestion equal to the intended text
(compared case-insensitively) is correct. Latency is per query, after the suggester has
read its lexicon once (that first load is reported apart); each query is new to the
suggester, so nothing is answered from its memory. ``--old REV`` also runs the
implementation as it was at git revision REV (its module source is read with ``git show``
and run beside the current one), so before and after come from one process and machine.
``--base`` also times the full search request of each typo over HTTP against a running
server. Prints one JSON object: the CPU probe, then per implementation accuracy (overall,
one-word, two-word), p50/p95/max latency in ms and the misses; writes it to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import types
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from timing import cpu_probe, summarize  # noqa: E402
from whoosh import index  # noqa: E402

from indexer.store import IndexStore  # noqa: E402
from search_app.engine import did_you_mean  # noqa: E402

MODULE = "search_app/engine/did_you_mean.py"


def old_module(revision: str) -> types.ModuleType:
    """Return the did-you-mean module as it was at git ``revision``."""
    source = subprocess.run(
        ["git", "show", f"{revision}:{MODULE}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType(f"did_you_mean_{revision}")
    exec(compile(source, f"{revision}:{MODULE}", "exec"), module.__dict__)  # noqa: S102 - our own history
    return module


def measure(module: Any, searcher: Any, typos: list[dict[str, Any]]) -> dict[str, Any]:
    """Return accuracy and latency of ``module.SpellingSuggester`` on ``typos``."""
    suggester = module.SpellingSuggester(searcher)
    started = time.perf_counter()
    suggester.suggest("warmup wrd")  # reads the lexicon, where the implementation does
    first = (time.perf_counter() - started) * 1000
    latencies: list[float] = []
    right: dict[str, list[bool]] = {"one-word": [], "two-word": []}
    misses = []
    for typo in typos:
        begun = time.perf_counter()
        got = suggester.suggest(typo["q"])
        latencies.append((time.perf_counter() - begun) * 1000)
        ok = (got or "").lower() == typo["intended"].lower()
        right[typo["kind"]].append(ok)
        if not ok:
            misses.append(f"{typo['q']} -> {got} (meant {typo['intended']})")
    every = right["one-word"] + right["two-word"]
    return {
        "first_call_ms": round(first, 1),
        "accuracy": round(sum(every) / len(every), 3),
        "accuracy_by_kind": {kind: round(sum(oks) / len(oks), 3) for kind, oks in right.items() if oks},
        "correct": sum(every),
        "of": len(every),
        "latency_ms": summarize(latencies),
        "misses": misses,
    }


def over_http(base: str, typos: list[dict[str, Any]]) -> dict[str, Any]:
    """Time the search request of each typo against a running server."""
    latencies = []
    for typo in typos:
        url = f"{base}/api/search?{urllib.parse.urlencode({'q': typo['q']})}"
        begun = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
        latencies.append((time.perf_counter() - begun) * 1000)
    return {"latency_ms": summarize(latencies)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="A DOJ index built by reindex.")
    parser.add_argument("--typos", type=Path, default=ROOT / "bench" / "typos.json", help="The typo set.")
    parser.add_argument("--old", help="Also run did-you-mean as it was at this git revision.")
    parser.add_argument("--base", help="Also time each typo's search over HTTP at this server.")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "typos.json", help="JSON out."
    )
    args = parser.parse_args(argv)
    typos = json.loads(args.typos.read_text())["queries"]
    generation = IndexStore(args.index).require_current()
    report: dict[str, Any] = {"cpu_probe_s": cpu_probe(), "typos": len(typos)}
    modules = [("new", did_you_mean)] + ([(f"old@{args.old}", old_module(args.old))] if args.old else [])
    for name, module in modules:
        with index.open_dir(str(generation.path)).searcher() as searcher:
            report[name] = measure(module, searcher, typos)
    if args.base:
        report["http"] = over_http(args.base, typos)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    short = {
        k: {**v, "misses": len(v["misses"])} if isinstance(v, dict) and "misses" in v else v
        for k, v in report.items()
    }
    print(json.dumps(short))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
