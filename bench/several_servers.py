"""Two ``search-app`` servers with their own index copies behind nginx, a new generation
published to both while a load runs: requests, failures and latency during the publish.

Usage (from the repository root)::

    python bench/several_servers.py CORPUS WORK_DIR [--seconds 30] [--concurrency 4]

Builds CORPUS (linked into ``WORK_DIR/corpus``) into ``WORK_DIR/builder``, publishes it to
``WORK_DIR/app1`` and ``WORK_DIR/app2``, serves each with ``search-app`` (2 workers) behind
nginx (:mod:`nginx_front`), adds a release and reindexes (new index files: a new copy to
ship), then starts the load through nginx and, a few seconds in, runs
``reindex --publish`` to both copies, which copies the whole generation to each. Prints JSON:
the load's figures, how long the publish took, which generation each server ended on.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import Server, free_port  # noqa: E402
from nginx_front import running_nginx, upstreams_used  # noqa: E402
from queries import draw_queries, read_releases  # noqa: E402
from timing import clock, summarize  # noqa: E402

BIN = Path(sys.executable).parent


def reindex(corpus: Path, index: Path, *extra: str) -> None:
    """Run ``reindex`` (exit 0 or 1: bad records skipped are no failure here)."""
    done = subprocess.run([str(BIN / "reindex"), "--corpus", str(corpus), "--index", str(index), *extra])
    if done.returncode not in (0, 1):
        raise RuntimeError(f"reindex failed with {done.returncode}")


def generation(base: str) -> str:
    """Return the generation a server reports."""
    with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
        return str(json.load(response)["generation"])


class TimedLoad:
    """Send ``paths`` to ``base`` from ``concurrency`` threads until stopped, noting when each
    request started, how long it took and whether it failed."""

    def __init__(self, base: str, paths: list[str], concurrency: int) -> None:
        self.base, self.paths = base, paths
        self.started = clock()
        self.samples: list[tuple[float, float, bool]] = []  # (start, ms, failed)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(concurrency)]

    def _run(self, number: int) -> None:
        sent = number
        while not self._stop.is_set():
            path = self.paths[sent % len(self.paths)]
            sent += 1
            begun = clock()
            try:
                with urllib.request.urlopen(self.base + path, timeout=60) as response:
                    response.read()
                failed = response.status != 200
            except OSError:
                failed = True
            self.samples.append((begun - self.started, (clock() - begun) * 1000, failed))

    def __enter__(self) -> TimedLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def figures(self, start: float = 0.0, end: float = float("inf")) -> dict[str, Any]:
        """Return requests, failures and latency of the requests started in [start, end) s."""
        chosen = [(ms, failed) for begun, ms, failed in self.samples if start <= begun < end]
        return {
            "requests": len(chosen),
            "failed": sum(failed for _, failed in chosen),
            "latency_ms": summarize([ms for ms, _ in chosen]),
        }


def measure(corpus: Path, work: Path, seconds: float, concurrency: int) -> dict[str, Any]:
    """Run the publish under load; return the figures."""
    builder, copies = work / "builder", [work / "app1", work / "app2"]
    for old in (builder, *copies, work / "nginx"):
        shutil.rmtree(old, ignore_errors=True)
    folder = work / "corpus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / corpus.name).symlink_to(corpus.resolve())
    added = folder / "added.md"
    reindex(folder, builder, "--full", *[arg for copy in copies for arg in ("--publish", str(copy))])
    paths = [
        "/api/search?" + urllib.parse.urlencode(query.params())
        for query in draw_queries(list(read_releases(corpus)), 200, 1)
    ]
    servers = [
        Server(
            [str(BIN / "search-app"), "--port", str(port), "--workers", "2", "--index", str(copy)], port, log
        )
        for copy, port, log in ((c, free_port(), work / f"{c.name}.log") for c in copies)
    ]
    with servers[0] as one, servers[1] as two:
        upstreams = [one.base.removeprefix("http://"), two.base.removeprefix("http://")]
        with running_nginx(work / "nginx", upstreams) as front:
            before = [generation(one.base), generation(two.base)]
            added.write_text("---\ntitle: A release added for the publish benchmark\n---\nBody.\n")
            reindex(folder, builder)  # new index files, not yet published
            for path in paths:  # warm-up: both servers' caches hold what the load asks
                with urllib.request.urlopen(front + path, timeout=60) as response:
                    response.read()
            with TimedLoad(front, paths, concurrency) as load:
                publish_at = min(5.0, seconds / 4)
                threading.Event().wait(publish_at)  # the load runs on its own before the publish
                reindex(folder, builder, *[arg for copy in copies for arg in ("--publish", str(copy))])
                published_at = clock() - load.started
                threading.Event().wait(max(0.0, seconds - published_at))
            after = [generation(one.base), generation(two.base)]
        used = upstreams_used(work / "nginx")
    return {
        "load": load.figures(),
        "before_publish": load.figures(0, publish_at),
        "during_publish": load.figures(publish_at, published_at),
        "after_publish": load.figures(published_at),
        "concurrency": concurrency,
        "publish_s": round(published_at - publish_at, 2),
        "publish_started_s": publish_at,
        "generations_before": before,
        "generations_after": after,
        "requests_per_server": used,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--seconds", type=float, default=30.0, help="Length of the load (default 30).")
    parser.add_argument("--concurrency", type=int, default=4, help="Requests in flight (default 4).")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(json.dumps(measure(args.corpus, args.work, args.seconds, args.concurrency), indent=2))


if __name__ == "__main__":
    main()
