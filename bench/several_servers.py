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

from http_load import Server, free_port, load_in_subprocess  # noqa: E402
from nginx_front import running_nginx, upstreams_used  # noqa: E402
from queries import draw_queries, read_releases  # noqa: E402
from timing import clock  # noqa: E402

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


def measure(corpus: Path, work: Path, seconds: float, concurrency: int) -> dict[str, Any]:
    """Run the publish under load; return the figures."""
    builder, copies = work / "builder", [work / "app1", work / "app2"]
    for old in (builder, *copies):
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
    paths_file = work / "paths.json"
    paths_file.write_text(json.dumps(paths))
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
            load: dict[str, Any] = {}
            thread = threading.Thread(
                target=lambda: load.update(load_in_subprocess(front, paths_file, concurrency, 10**9, seconds))
            )
            thread.start()
            started = clock()
            publish_at = min(5.0, seconds / 4)
            threading.Event().wait(publish_at)  # the load runs on its own before the publish
            reindex(folder, builder, *[arg for copy in copies for arg in ("--publish", str(copy))])
            publish_s = clock() - started - publish_at
            thread.join()
            after = [generation(one.base), generation(two.base)]
        used = upstreams_used(work / "nginx")
    return {
        "load": load,
        "publish_s": round(publish_s, 2),
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
