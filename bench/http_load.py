"""A bounded HTTP load on 127.0.0.1, and the servers it is aimed at.

Usage (from the repository root; the speed benchmark runs it for you)::

    python bench/http_load.py --base http://127.0.0.1:8000 --paths paths.json \\
        [--concurrency 8] [--max-requests 600] [--max-seconds 30] [--seed 1]

``paths.json`` is a JSON list of request paths (``/api/search?q=...``). The driver shuffles
them with the seed, sends them round-robin from ``--concurrency`` threads, one connection per
request (gunicorn's sync workers close each one), and stops at ``--max-requests`` or
``--max-seconds``, whichever comes first. It reads every response body, sends no
``Accept-Encoding`` (so no compression on either side) and prints one JSON object: requests,
errors, seconds, requests/s and latency percentiles in milliseconds. Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import children, clock, summarize, total_rss_kb  # noqa: E402

LOCALHOST = "127.0.0.1"


def run_load(
    base: str, paths: list[str], concurrency: int, max_requests: int, max_seconds: float, seed: int = 1
) -> dict[str, Any]:
    """Send up to ``max_requests`` GETs for ``paths`` from ``concurrency`` threads within ``max_seconds``."""
    url = urllib.parse.urlsplit(base)
    if url.hostname != LOCALHOST:
        raise ValueError(f"The load only goes to {LOCALHOST}, not {url.hostname}.")
    order = list(paths)
    random.Random(seed).shuffle(order)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    sent = 0
    started = clock()
    deadline = started + max_seconds

    def next_path() -> str | None:
        nonlocal sent
        with lock:
            if sent >= max_requests or clock() >= deadline:
                return None
            sent += 1
            return order[(sent - 1) % len(order)]

    def worker() -> None:
        while (path := next_path()) is not None:
            begun = clock()
            try:
                connection = http.client.HTTPConnection(LOCALHOST, url.port, timeout=60)
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                connection.close()
                error = "" if response.status == 200 else f"HTTP {response.status} {path}"
            except OSError as exc:
                error = f"{exc!r} {path}"
            elapsed = (clock() - begun) * 1000
            with lock:
                latencies.append(elapsed)
                if error:
                    errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = clock() - started
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        "seconds": round(seconds, 3),
        "rps": round(len(latencies) / seconds, 2) if seconds else 0.0,
        "latency_ms": summarize(latencies),
    }


def load_in_subprocess(
    base: str, paths_file: Path, concurrency: int, max_requests: int, max_seconds: float
) -> dict[str, Any]:
    """Run :func:`run_load` in a second process, so the client does not share the caller's GIL."""
    command = [sys.executable, str(Path(__file__).resolve()), "--base", base, "--paths", str(paths_file)]
    command += ["--concurrency", str(concurrency), "--max-requests", str(max_requests)]
    command += ["--max-seconds", str(max_seconds)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=max_seconds + 120)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def free_port() -> int:
    """Return a port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """A gunicorn server started as a subprocess, stopped (by its own pid) on exit."""

    def __init__(self, command: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> None:
        self.base = f"http://{LOCALHOST}:{port}"
        self.log = open(log, "w")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )

    def __enter__(self) -> Server:
        deadline = clock() + 60
        while clock() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The server exited with {self.process.returncode}; see {self.log.name}.")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=5) as response:
                    if response.status == 200 and len(self.workers()) > 0:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"The server did not answer within 60 s; see {self.log.name}.")

    def workers(self) -> list[int]:
        """Return the pids of the gunicorn workers (the children of the master)."""
        return children(self.process.pid)

    def worker_memory_mb(self) -> dict[str, float]:
        """Return the VmRSS, Pss and RssAnon (private memory) of the workers in MB, each summed."""
        workers = self.workers()
        return {field: round(total_rss_kb(workers, field) / 1024, 1) for field in ("VmRSS", "Pss", "RssAnon")}

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn stops its workers gracefully
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help=f"Server address, http://{LOCALHOST}:PORT.")
    parser.add_argument("--paths", type=Path, required=True, help="JSON list of request paths.")
    parser.add_argument("--concurrency", type=int, default=1, help="Requests in flight (default 1).")
    parser.add_argument("--max-requests", type=int, default=600, help="Stop after this many (default 600).")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="Stop after this long (default 30).")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the request order (default 1).")
    args = parser.parse_args()
    paths = json.loads(args.paths.read_text())
    result = run_load(args.base, paths, args.concurrency, args.max_requests, args.max_seconds, args.seed)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
