"""Soak: minutes of ordinary and hostile queries at once over real HTTP, against ``search-app``.

Usage (from the repository root, with an index built by ``reindex``)::

    python bench/soak.py --index /tmp/doj [--minutes 5] [--concurrency 16] [--workers 3]

The bench starts ``search-app`` (gunicorn) on a free port of 127.0.0.1 over the index and sends,
from ``--concurrency`` threads, a mix of ordinary queries and the hostile classes a visitor
can type: many unknown words, long pasted text, deep wildcards, fuzzy words, typos, deep
paging and every facet at once. It prints (and writes to ``--out``) one JSON object: the CPU
probe, requests, the 5xx and other non-200 answers, latency percentiles overall and per
class, the slowest request, and the workers' memory (VmRSS, Pss, RssAnon summed) after a
warm-up and at the end. ``make soak`` runs it on the index in ``SOAK_INDEX``.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from http_load import LOCALHOST, Server, free_port  # noqa: E402
from timing import clock, cpu_probe, summarize  # noqa: E402

ORDINARY = [
    "fraud",
    "drug trafficking",
    "tax evasion",
    "kuwait",
    "civil rights",
    "health care fraud",
    "immigration",
    "money laundering",
    "antitrust",
    '"trial attorney"',
    "guilty plea",
    "cyber",
]
TYPOS = ["fruad", "kuwiat", "ministerail", "counterterrorsm", "goverment", "briebery"]
PASTED = (
    "The defendant pleaded guilty today before a federal judge to conspiracy to commit wire "
    "fraud and money laundering, according to the Department of Justice. "
) * 60


def made_up(rng: random.Random, count: int, length: int) -> str:
    """Return ``count`` made-up words of ``length`` letters."""
    return " ".join("".join(rng.choice("qxzjvkw") for _ in range(length)) for _ in range(count))


def facet_values(base: str) -> dict[str, list[str]]:
    """Return the most common value of every facet of the index behind ``base``."""
    with urllib.request.urlopen(base + "/api/search?per_page=1", timeout=60) as response:
        facets = json.load(response)["facets"]
    names = {"tags": "tag"}
    return {names.get(name, name): [values[0]["value"]] for name, values in facets.items() if values}


def request_mix(base: str, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """Return (class, query-string parameters) pairs: ordinary queries and hostile ones."""
    rng = random.Random(seed)
    every_facet = {name: values for name, values in facet_values(base).items()}
    mix: list[tuple[str, dict[str, Any]]] = []
    for n in range(40):
        mix += [("ordinary", {"q": ORDINARY[n % len(ORDINARY)]}) for _ in range(4)]
        mix.append(("typo", {"q": TYPOS[n % len(TYPOS)]}))
        mix.append(("many unknown words", {"q": made_up(rng, 40, rng.choice([4, 5]))}))
        mix.append(("long pasted text", {"q": PASTED[: rng.choice([2_000, 10_000])]}))
        mix.append(("deep wildcards", {"q": rng.choice(["*a*", "*e* *i*", "co* re* in* de* pr*", "*ion*"])}))
        mix.append(
            ("fuzzy words", {"q": rng.choice(["fraud~2 kuwiat~2", "ministerail~ briebery~", "sentenced~"])})
        )
        mix.append(("deep paging", {"q": rng.choice(["the", "court"]), "page": 100, "per_page": 100}))
        mix.append(("every facet", {"q": rng.choice(ORDINARY), **every_facet, "sort": "newest"}))
    rng.shuffle(mix)
    return mix


def soak(
    base: str, mix: list[tuple[str, dict[str, Any]]], concurrency: int, seconds: float
) -> dict[str, Any]:
    """Send the mix round-robin from ``concurrency`` threads for ``seconds``."""
    port = urllib.parse.urlsplit(base).port
    lock = threading.Lock()
    order = itertools.cycle(mix)
    rows: list[tuple[str, float, int, str]] = []
    deadline = clock() + seconds

    def worker() -> None:
        while clock() < deadline:
            with lock:
                kind, params = next(order)
            path = "/api/search?" + urllib.parse.urlencode(params, doseq=True)
            begun = clock()
            try:
                connection = http.client.HTTPConnection(LOCALHOST, port, timeout=120)
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                connection.close()
                status = response.status
            except OSError:
                status = 0
            with lock:
                rows.append((kind, (clock() - begun) * 1000, status, path))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slowest = max(rows, key=lambda row: row[1])
    kinds = sorted({row[0] for row in rows})
    return {
        "seconds": seconds,
        "concurrency": concurrency,
        "requests": len(rows),
        "status_5xx": sum(1 for row in rows if row[2] >= 500),
        "failed_connections": sum(1 for row in rows if row[2] == 0),
        "other_non_200": sum(1 for row in rows if 0 < row[2] < 500 and row[2] != 200),
        "latency_ms": summarize([row[1] for row in rows]),
        "by_class": {kind: summarize([row[1] for row in rows if row[0] == kind]) for kind in kinds},
        "slowest": {
            "class": slowest[0],
            "ms": round(slowest[1], 1),
            "status": slowest[2],
            "path": slowest[3][:160],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="An index built by reindex.")
    parser.add_argument("--minutes", type=float, default=5.0, help="How long to soak (default 5).")
    parser.add_argument("--concurrency", type=int, default=16, help="Requests in flight (default 16).")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3).")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the made-up words and order.")
    parser.add_argument(
        "--result-cache",
        type=int,
        default=0,
        help="Results each worker remembers (default 0: every request worked out, as a varied load would).",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "soak.json", help="JSON out."
    )
    args = parser.parse_args(argv)
    port = free_port()
    command = [str(Path(sys.executable).with_name("search-app")), "--port", str(port)]
    command += ["--workers", str(args.workers), "--index", str(args.index)]
    log = args.out.with_suffix(".server.log")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"cpu_probe_s": cpu_probe(), "index": str(args.index), "workers": args.workers}
    env = {**os.environ, "RELEASE_SEARCH_RESULT_CACHE": str(args.result_cache)}
    report["result_cache"] = args.result_cache
    with Server(command, port, log, env) as server:
        mix = request_mix(server.base, args.seed)
        soak(server.base, mix, args.concurrency, 20)  # warm-up: every worker reads its tables once
        report["memory_mb_start"] = server.worker_memory_mb()
        report.update(soak(server.base, mix, args.concurrency, args.minutes * 60))
        report["memory_mb_end"] = server.worker_memory_mb()
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 1 if report["status_5xx"] or report["failed_connections"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
