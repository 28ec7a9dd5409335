"""Send search requests to the served app while ``reindex --full`` rebuilds its index.

Usage: python bench/requests_during_reindex.py CORPUS INDEX_DIR [--requests 2000]
       [--concurrency 4] [--seconds 0] [--reindex-after 0]

Starts ``search-app`` (gunicorn, 2 workers) on a free port of 127.0.0.1 over INDEX_DIR,
starts a full reindex of CORPUS into the same INDEX_DIR after ``--reindex-after``
seconds, and keeps sending requests until the rebuild is over, at least ``--requests``
were sent and ``--seconds`` have passed. Prints failures, latency and the workers'
memory (RSS) before and after.
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


def worker_rss_mb(server_pid: int, field: str = "VmRSS") -> list[float]:
    """Return a memory figure of each gunicorn worker (children of the arbiter), in MB.

    ``VmRSS`` counts the index files Whoosh maps into memory (shared between workers and
    with the page cache); ``RssAnon`` is the worker's own memory.
    """
    try:
        children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    except OSError:
        return []
    sizes = []
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        lines = [line for line in status.splitlines() if line.startswith(field + ":")]
        sizes.append(round(int(lines[0].split()[1]) / 1024, 1) if lines else 0.0)
    return sorted(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--server-log", type=Path, help="Write the server's log here.")
    parser.add_argument("--seconds", type=float, default=0, help="Keep the load up at least this long.")
    parser.add_argument("--reindex-after", type=float, default=0, help="Seconds of load before the reindex.")
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
        for number in range(20):  # warm up each worker before measuring memory
            one_request(base, number)
        rss_before = worker_rss_mb(server.pid)
        anon_before = worker_rss_mb(server.pid, "RssAnon")
        started = time.monotonic()
        build: subprocess.Popen[bytes] | None = None
        results = []
        number = 0
        with ThreadPoolExecutor(args.concurrency) as pool:
            while (
                build is None
                or build.poll() is None
                or number < args.requests
                or time.monotonic() - started < args.seconds
            ):
                if build is None and time.monotonic() - started >= args.reindex_after:
                    build = subprocess.Popen(
                        [
                            str(BIN / "reindex"),
                            "--corpus",
                            str(args.corpus),
                            "--index",
                            str(args.index),
                            "--full",
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                batch = [pool.submit(one_request, base, number + i) for i in range(args.concurrency * 10)]
                number += len(batch)
                results.extend(future.result() for future in batch)
        elapsed = time.monotonic() - started
        rss_after = worker_rss_mb(server.pid)
        anon_after = worker_rss_mb(server.pid, "RssAnon")
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
                "seconds": round(elapsed, 1),
                "requests_per_second": round(len(results) / elapsed, 1),
                "concurrency": args.concurrency,
                "reindex_exit": build.returncode if build else None,
                "worker_rss_mb_before": rss_before,
                "worker_rss_mb_after": rss_after,
                "worker_anon_mb_before": anon_before,
                "worker_anon_mb_after": anon_after,
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
