"""Reindexing under faults and load: kill -9 mid-build, and requests during a rebuild.

Each test waits on something it can see (the progress bar ``reindex`` draws on a
terminal, a generation folder, answers from the server), never on a fixed sleep.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import resource
import select
import signal
import struct
import subprocess
import sys
import termios
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


class ReindexOnTerminal:
    """``reindex`` run with its stderr on a pseudo-terminal, so that it draws its progress bar."""

    def __init__(self, *args: str) -> None:
        self._terminal, child_side = pty.openpty()
        # A terminal 100 columns wide: tqdm draws nothing on one of width 0.
        fcntl.ioctl(child_side, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        self.process = subprocess.Popen(
            [str(BIN / "reindex"), *args],
            stdout=subprocess.DEVNULL,
            stderr=child_side,
            start_new_session=True,  # its own process group: the kill reaches the writer's forks too
        )
        os.close(child_side)
        self._seen = b""

    def wait_for_progress(self, releases: int, seconds: float = 120) -> int:
        """Wait until the bar shows at least ``releases`` written; return the count shown."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            ready, _, _ = select.select([self._terminal], [], [], 0.5)
            if not ready:
                continue
            try:
                self._seen = (self._seen + os.read(self._terminal, 4096))[-4096:]
            except OSError:  # the terminal closed: the process ended
                break
            counts = [int(done) for done in re.findall(rb"(\d+)/\d+ \[", self._seen)]
            if counts and counts[-1] >= releases:
                return counts[-1]
        raise AssertionError(f"reindex ended or stalled before writing {releases} releases: {self._seen!r}")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        os.close(self._terminal)


def test_sigkill_during_full_reindex_keeps_every_document(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    small = synthetic_corpus(tmp_path / "small.jsonl", 300)
    reindex(small, index_dir)
    live = IndexStore(index_dir).require_current()
    big = synthetic_corpus(tmp_path / "big.jsonl", 4000, seed=8)

    build = ReindexOnTerminal("--corpus", str(big), "--index", str(index_dir), "--full")
    build.wait_for_progress(500)  # the first writer's share is 2,000: well inside the build
    assert len(list(index_dir.glob("gen-*"))) == 2  # the new generation, half written
    build.kill()

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
    reindexed = threading.Event()

    def hammer(base: str) -> None:
        """Search until the rebuild is done, then 20 more times (the new generation live)."""
        queries = ["coalition", "bridge engineers", '"federal agents"', "tax -fraud", "", "zanzibar"]
        number, after = 0, 0
        while after < 20 and number < 5000:
            after += reindexed.is_set()
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
        reindexed.set()
        thread.join(timeout=120)
        assert not thread.is_alive()
        with urllib.request.urlopen(f"{base}/api/search?q=zanzibar", timeout=10) as response:
            assert json.load(response)["total"] == 1  # the app serves the new generation, no restart

    assert failures == []
    assert len(statuses) > 20 and set(statuses) == {200}


def test_sigkill_during_incremental_reindex_keeps_every_document(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    first = synthetic_corpus(tmp_path / "first.jsonl", 3000)
    reindex(first, index_dir)
    changed = synthetic_corpus(tmp_path / "changed.jsonl", 3000, seed=9)  # same ids, every body changed

    run = ReindexOnTerminal("--corpus", str(changed), "--index", str(index_dir))
    run.wait_for_progress(1000)  # a third of the changed releases written: kill it while it writes
    run.kill()

    service = SearchService(index_dir)
    assert service.health()["documents"] == 3000
    assert all(service.release(f"syn-{n:06d}") is not None for n in range(0, 3000, 7))

    summary = reindex(changed, index_dir, wait_seconds=5)  # no stale lock is left behind
    assert (summary.updated, summary.documents) == (3000, 3000)


def test_a_rebuild_that_cannot_write_its_files_says_where_and_why_and_keeps_the_live_index(
    tmp_path: Path,
) -> None:
    index_dir = tmp_path / "ix"
    reindex(synthetic_corpus(tmp_path / "small.jsonl", 300), index_dir)
    live = IndexStore(index_dir).require_current()
    largest = max(path.stat().st_size for path in live.path.iterdir())
    big = synthetic_corpus(tmp_path / "big.jsonl", 4000, seed=8)  # two writer processes
    # Said to be English: the language model, which unpacks itself into a temporary file,
    # is not loaded, so the limit stops the index's own files.
    lines = big.read_text(encoding="utf-8").splitlines()
    big.write_text("".join(json.dumps({**json.loads(line), "lang": "en"}) + "\n" for line in lines))

    def limit_file_size() -> None:  # as a full disk would: writes past it fail (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (largest, largest))

    failed = subprocess.run(
        [str(BIN / "reindex"), "--corpus", str(big), "--index", str(index_dir), "--full"],
        capture_output=True,
        text=True,
        timeout=240,
        preexec_fn=limit_file_size,
    )

    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr
    assert f"reindex: {index_dir}: File too large" in failed.stderr.splitlines()
    assert IndexStore(index_dir).require_current() == live
    assert [path.name for path in index_dir.glob("gen-*")] == [live.name]  # the half-written one is gone
    assert SearchService(index_dir).search(SearchRequest(per_page=100, page=3)).total == 300
