"""Send search requests to the served app while ``reindex --full`` rebuilds its index.

Usage: python bench/requests_during_reindex.py CORPUS INDEX_DIR [--requests 2000] [--concurrency 4]

Starts ``search-app`` (gunicorn, 2 workers) on a free port of 127.0.0.1 over INDEX_DIR,
starts a full reindex of CORPUS into the same INDEX_DIR, and keeps sending requests
until the rebuild is over and at least ``--requests`` were sent. Prints failures and latency.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BIN = Path(sys.executable).parent
QUERIES = [
    "hate crime",
    "tax fraud",
    '"trial attorney"',
    "sentenced",
    "health care fraud",
    "isis",
    "",
    "antitrust -merger",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_request(base: str, number: int) -> tuple[bool, float, str]:
    url = f"{base}/api/search?" + urllib.parse.urlencode({"q": QUERIES[number % len(QUERIES)]})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            json.load(response)
            ok = response.status == 200
            return ok, time.perf_counter() - started, "" if ok else str(response.status)
    except Exception as exc:  # noqa: BLE001 - every failure counts, whatever it is
        return False, time.perf_counter() - started, repr(exc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--server-log", type=Path, help="Write the server's log here.")
    args = parser.parse_args()

    port = free_port()
    log = open(args.server_log, "w") if args.server_log else subprocess.DEVNULL  # noqa: SIM115
    server = subprocess.Popen(
        [str(BIN / "search-app"), "--port", str(port), "--workers", "2", "--index", str(args.index)],
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        before = json.load(urllib.request.urlopen(base + "/healthz"))["generation"]
        build = subprocess.Popen(
            [str(BIN / "reindex"), "--corpus", str(args.corpus), "--index", str(args.index), "--full"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        results = []
        number = 0
        with ThreadPoolExecutor(args.concurrency) as pool:
            while build.poll() is None or number < args.requests:
                batch = [pool.submit(one_request, base, number + i) for i in range(args.concurrency * 10)]
                number += len(batch)
                results.extend(future.result() for future in batch)
        after = json.load(urllib.request.urlopen(base + "/healthz"))["generation"]
    finally:
        server.terminate()
        server.wait()
    latencies = sorted(seconds * 1000 for _, seconds, _ in results)
    failures = [reason for ok, _, reason in results if not ok]
    print(
        json.dumps(
            {
                "requests": len(results),
                "failures": len(failures),
                "failure_examples": failures[:5],
                "reindex_exit": build.returncode,
                "generation_before": before,
                "generation_after": after,
                "p50_ms": round(statistics.median(latencies), 1),
                "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
