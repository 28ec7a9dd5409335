"""Several app servers, each with its own copy of the index, behind nginx: a new
generation published to every copy while searches run fails none of them."""

from __future__ import annotations

import json
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

from conftest import serving, synthetic_corpus

from indexer.build import reindex
from indexer.publish import copy_name, publish_to
from indexer.store import IndexStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from nginx_front import running_nginx, upstreams_used  # noqa: E402

QUERIES = [
    "/api/search?q=tax",
    "/api/search?q=%22civil+rights%22",
    "/?q=antitrust",
    "/api/search?q=fraud&page=2",
]


class Load:
    """Send searches to ``base`` from a few threads until stopped; keep what went wrong."""

    def __init__(self, base: str, threads: int = 3) -> None:
        self.base = base
        self.done = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._answered = threading.Condition()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(threads)]

    def _run(self, number: int) -> None:
        sent = number
        while not self._stop.is_set():
            path = QUERIES[sent % len(QUERIES)]
            sent += 1
            try:
                with urllib.request.urlopen(self.base + path, timeout=30) as response:
                    response.read()
                failure = None
            except (urllib.error.URLError, OSError) as exc:
                failure = f"{path}: {exc}"
            with self._answered:
                self.done += 1
                if failure:
                    self.failures.append(failure)
                self._answered.notify_all()

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def wait_for(self, more: int, seconds: float = 120) -> None:
        """Wait until ``more`` further requests have been answered."""
        with self._answered:
            target = self.done + more
            assert self._answered.wait_for(lambda: self.done >= target, seconds), (
                f"load stalled at {self.done} requests"
            )

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def health(base: str) -> dict[str, object]:
    with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
        data: dict[str, object] = json.load(response)
    return data


def test_a_generation_published_to_two_servers_behind_nginx_fails_no_request(tmp_path: Path) -> None:
    builder = tmp_path / "builder"
    reindex(synthetic_corpus(tmp_path / "first.jsonl", 300), builder)
    copies = [tmp_path / "server-a" / "index", tmp_path / "server-b" / "index"]
    first = [publish_to(builder, copy) for copy in copies]
    front = tmp_path / "nginx"

    with serving(copies[0]) as a, serving(copies[1]) as b, running_nginx(front, [a[7:], b[7:]]) as base:
        assert [health(server)["generation"] for server in (a, b)] == [first[0].name, first[1].name]
        with Load(base) as load:
            load.wait_for(60)
            reindex(synthetic_corpus(tmp_path / "second.jsonl", 450, seed=9), builder, full=True)
            published = [publish_to(builder, copy) for copy in copies]
            # Each worker looks at CURRENT on every request: the next answer is the new generation's.
            assert [health(server)["generation"] for server in (a, b)] == [published[0].name] * 2
            load.wait_for(60)  # searches go on after both servers switched

        assert load.failures == []
        assert published[0].name == published[1].name == copy_name(IndexStore(builder).require_current())
        assert published[0].name != first[0].name
        for server in (a, b, base):
            assert health(server)["documents"] == 450
        # nginx sent searches to both servers, and every answer was a success.
        used = upstreams_used(front)
        assert set(used) >= {a[7:], b[7:]}
    statuses = {line.split()[0] for line in (front / "access.log").read_text().splitlines()}
    assert statuses <= {"200", "304"}


def test_publish_copies_the_live_generation_read_only_and_only_once(tmp_path: Path) -> None:
    builder = tmp_path / "builder"
    reindex(synthetic_corpus(tmp_path / "corpus.jsonl", 50), builder)
    copy = publish_to(builder, tmp_path / "server")
    again = publish_to(builder, tmp_path / "server")

    assert again == copy == IndexStore(tmp_path / "server").require_current()
    assert sorted(p.name for p in (tmp_path / "server").iterdir() if not p.name.startswith(".")) == [
        "CURRENT",
        copy.name,
        "reindex.lock",
    ]
    files = list(copy.path.iterdir())
    assert files and all(path.stat().st_mode & 0o222 == 0 for path in files)
    assert IndexStore(tmp_path / "server").require_current().verify()  # every checksum matches
