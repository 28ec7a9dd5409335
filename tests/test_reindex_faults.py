"""Reindexing under faults and load: kill -9 mid-build, and requests during a rebuild."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import serving, synthetic_corpus

from indexer import reindex
from indexer.store import IndexStore
from search_app.service import SearchRequest, SearchService

BIN = Path(sys.executable).parent


def start_full_reindex(corpus: Path, index_dir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN / "reindex"), "--corpus", str(corpus), "--index", str(index_dir), "--full"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches the writer's forks too
    )


def test_sigkill_during_full_reindex_keeps_every_document(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    small = synthetic_corpus(tmp_path / "small.jsonl", 300)
    reindex(small, index_dir)
    live = IndexStore(index_dir).require_current()
    big = synthetic_corpus(tmp_path / "big.jsonl", 4000, seed=8)

    process = start_full_reindex(big, index_dir)
    deadline = time.monotonic() + 60
    while len(list(index_dir.glob("gen-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # let it write for a while
    assert process.poll() is None, "the build finished before it could be killed; make the corpus bigger"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    assert IndexStore(index_dir).require_current() == live
    service = SearchService(index_dir)
    assert service.health()["documents"] == 300
    assert service.search(SearchRequest(per_page=100, page=3)).total == 300
    assert all(service.release(f"syn-{n:06d}") is not None for n in range(300))

    summary = reindex(big, index_dir, full=True, wait_seconds=5)  # the lock died with the process
    assert summary.documents == 4000
    assert sorted(p.name for p in index_dir.glob("gen-*")) == sorted({live.name, summary.generation})


def test_requests_during_full_reindex_all_succeed(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    corpus = synthetic_corpus(tmp_path / "corpus.jsonl", 2500)
    reindex(corpus, index_dir)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "new.md").write_text("---\ntitle: Zanzibar bridge opens\n---\n")
    both = tmp_path / "both"
    both.mkdir()
    (both / "corpus.jsonl").symlink_to(corpus)
    (both / "new.md").symlink_to(tmp_path / "more" / "new.md")

    failures: list[str] = []
    statuses: list[int] = []
    done = threading.Event()

    def hammer(base: str) -> None:
        queries = ["coalition", "bridge engineers", '"federal agents"', "tax -fraud", "", "zanzibar"]
        number = 0
        while not done.is_set() and number < 5000:
            url = f"{base}/api/search?q={urllib.request.quote(queries[number % len(queries)])}"
            number += 1
            try:
                with urllib.request.urlopen(url, timeout=20) as response:
                    statuses.append(response.status)
                    json.load(response)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                failures.append(f"{url}: {exc}")

    with serving(index_dir) as base:
        thread = threading.Thread(target=hammer, args=(base,))
        thread.start()
        process = start_full_reindex(both, index_dir)
        assert process.wait(timeout=240) == 0
        time.sleep(0.5)
        done.set()
        thread.join(timeout=60)
        with urllib.request.urlopen(f"{base}/api/search?q=zanzibar", timeout=10) as response:
            assert json.load(response)["total"] == 1  # the app serves the new generation, no restart

    assert failures == []
    assert len(statuses) > 20 and set(statuses) == {200}


def test_sigkill_during_incremental_reindex_keeps_every_document(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    first = synthetic_corpus(tmp_path / "first.jsonl", 3000)
    reindex(first, index_dir)
    changed = synthetic_corpus(tmp_path / "changed.jsonl", 3000, seed=9)  # same ids, every body changed

    process = subprocess.Popen(
        [str(BIN / "reindex"), "--corpus", str(changed), "--index", str(index_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(2.0)  # loading, hashing, then writing: kill it while it writes
    assert process.poll() is None, "the incremental run finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    service = SearchService(index_dir)
    assert service.health()["documents"] == 3000
    assert all(service.release(f"syn-{n:06d}") is not None for n in range(0, 3000, 7))

    summary = reindex(changed, index_dir, wait_seconds=5)  # no stale lock is left behind
    assert (summary.updated, summary.documents) == (3000, 3000)
