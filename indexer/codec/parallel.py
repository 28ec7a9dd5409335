"""Write a fresh index with several processes at once, keeping the documents' order.

Each writer process starts on one share of the documents (consecutive ones) and writes
it into a segment of its own, as :class:`~indexer.codec.writer.BuildWriter` writes. The
processes claim their documents a few at a time from shared memory
(:class:`_WorkQueue`): one that runs out takes the back half of what another has left
and writes that into another segment. A process slowed down (this machine's cores
vary in speed from minute to minute) then no longer holds the build up. Segments are
committed in document order, so the index is the one a single writer would make.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

from whoosh.codec.whoosh3 import W3Segment
from whoosh.index import Index

from indexer.codec.writer import BuildWriter

T = TypeVar("T")
R = TypeVar("R")

# Writer processes are forked: they share the loaded corpus instead of receiving it.
_FORK = multiprocessing.get_context("fork")

# Documents a writer claims at a time.
CLAIM = 16
# A writer that runs out takes half of another's remaining documents if at least this
# many remain (and this share of all of them): fewer are not worth a segment more.
STEAL_AT_LEAST = 256
STEAL_SHARE = 1 / 50
# How often one writer takes work from another.
STEALS_PER_WRITER = 1


class _WorkQueue:
    """Each writer's next document and end, in memory shared by the forked writers."""

    def __init__(self, bounds: Sequence[int]) -> None:
        self._lock = _FORK.Lock()
        self._next = _FORK.Array("q", list(bounds[:-1]), lock=False)
        self._end = _FORK.Array("q", list(bounds[1:]), lock=False)
        self._least_stolen = max(STEAL_AT_LEAST, int(bounds[-1] * STEAL_SHARE))

    def start(self, writer: int) -> int:
        """Return the first document ``writer`` has not claimed yet."""
        return int(self._next[writer])

    def claimed(self, writer: int) -> Iterator[int]:
        """Yield the documents ``writer`` claims, a few at a time, until its range is done."""
        while True:
            with self._lock:
                start = self._next[writer]
                end = min(start + CLAIM, self._end[writer])
                self._next[writer] = max(start, end)
            if start >= end:
                return
            yield from range(start, end)

    def steal(self, writer: int) -> bool:
        """Give ``writer`` the back half of the largest range another writer has left, if
        it is worth it; return whether it was."""
        with self._lock:
            left = [end - start for start, end in zip(self._next, self._end, strict=True)]
            left[writer] = 0
            victim = max(range(len(left)), key=left.__getitem__)
            if left[victim] < self._least_stolen:
                return False
            middle = self._end[victim] - left[victim] // 2
            self._next[writer], self._end[writer] = middle, self._end[victim]
            self._end[victim] = middle
            return True


@dataclass
class _Written(Generic[R]):
    """A segment one writer wrote: its first document, description and reports."""

    start: int
    segment: W3Segment
    reports: list[R]


@dataclass
class _Build(Generic[T, R]):
    """What every writer of one build shares: the index, the documents and the work."""

    ix: Index
    items: Sequence[T]
    queue: _WorkQueue
    to_document: Callable[[T], dict[str, Any]]
    report: Callable[[T], R] | None

    def add(self, writer: BuildWriter, item: T) -> Any:
        """Add ``item``'s document; return its report (``None`` without ``report``)."""
        writer.add_document(**self.to_document(item))
        return self.report(item) if self.report else None

    def claimed(self, number: int) -> Iterator[T]:
        """Yield the documents writer ``number`` claims, until its range is done."""
        return map(self.items.__getitem__, self.queue.claimed(number))

    def write(self, number: int, writer: BuildWriter, items: Iterable[T], steal: bool) -> list[_Written[R]]:
        """Write ``items`` (what writer ``number`` claims) with ``writer`` into its segment,
        and, with ``steal``, what it then takes over from slower writers (before finishing
        that segment, while the slower writers still have documents to give)."""
        start = self.queue.start(number)
        reports = [self.add(writer, item) for item in items]
        written = self.write_stolen(number) if steal else []
        if writer.has_documents:
            written.append(_Written(start, writer.finish_segment(), reports))
        return written

    def write_stolen(self, number: int) -> list[_Written[R]]:
        """Take over documents from slower writers and write them, each run into a segment."""
        written: list[_Written[R]] = []
        for _ in range(STEALS_PER_WRITER):
            if not self.queue.steal(number):
                break
            written += self.write(number, BuildWriter(self.ix, _lk=False), self.claimed(number), steal=False)
        return written


def write_fresh_index(
    ix: Index,
    shares: Sequence[Sequence[T]],
    to_document: Callable[[T], dict[str, Any]],
    progress: Callable[[Sequence[T]], Iterable[T]] = lambda items: items,
    report: Callable[[T], R] | None = None,
) -> list[R]:
    """Write the fresh index ``ix`` from the shares' documents, one writer per share.

    The first writer runs here, the others each in a forked process at the same time:
    they read the documents from memory; only each finished segment's description
    comes back, with ``report(item)`` of each item if ``report`` is given (what a writer
    worked out that the caller needs too). Returns the reports, in item order.
    ``progress`` wraps the first share as this process writes it. Forks ignore Ctrl-C:
    the interrupted parent stops them and cancels, and the index is unchanged.
    """
    items = [item for share in shares for item in share]
    queue = _WorkQueue([0, *accumulate(len(share) for share in shares)])
    build = _Build(ix, items, queue, to_document, report)
    with _collection_paused():
        written = _write(build, len(shares), _ClaimedView(build, len(shares[0])), progress)
    return [found for part in written for found in part.reports] if report else []


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a build makes millions of objects that live
    until its end (postings), which the collector would go through again and again
    for no garbage. Objects made before are frozen, so forks leave their pages shared."""
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _write(
    build: _Build[T, R],
    writers: int,
    first: Sequence[T],
    progress: Callable[[Sequence[T]], Iterable[T]],
) -> list[_Written[R]]:
    """Write with ``writers`` writers, this process being the first; return the
    segments written, in document order, once committed."""
    writer = BuildWriter(build.ix)  # holds the index's lock and commits
    children: list[tuple[BaseProcess, Connection]] = []
    try:
        children = [_start(build, number) for number in range(1, writers)]
        written = build.write(0, writer, progress(first), steal=True)
        for process, receiver in children:
            written += _receive(receiver)
            process.join()
    except BaseException:
        for process, _ in children:
            process.terminate()
            process.join()
        writer.cancel()
        raise
    if not writer.has_documents:
        writer.close_empty_segment()
    written.sort(key=lambda part: part.start)
    writer.commit_segments([part.segment for part in written])
    return written


class _ClaimedView(Sequence[T]):
    """The documents the first writer claims, as a sequence as long as its share (for a
    progress bar); iterating claims them."""

    def __init__(self, build: _Build[T, Any], length: int) -> None:
        self._build, self._length = build, length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: Any) -> Any:
        raise TypeError("documents are claimed in turn, not looked up")

    def __iter__(self) -> Iterator[T]:
        return self._build.claimed(0)


def _start(build: _Build[T, Any], number: int) -> tuple[BaseProcess, Connection]:
    receiver, sender = _FORK.Pipe(duplex=False)
    process = _FORK.Process(target=_write_in_child, args=(build, number, sender), daemon=True)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process.start()
    finally:
        signal.signal(signal.SIGINT, previous)
    sender.close()
    return process, receiver


def _write_in_child(build: _Build[T, Any], number: int, sender: Connection) -> None:
    """In a forked process: write writer ``number``'s segments and send their
    descriptions back (or the error)."""
    try:
        sender.send(build.write(number, BuildWriter(build.ix, _lk=False), build.claimed(number), steal=True))
    except BaseException as exc:  # reported by the parent, which then cancels the build
        sender.send(f"{type(exc).__name__}: {exc}")
    finally:
        sender.close()


def _receive(receiver: Connection) -> list[_Written[Any]]:
    """Return the segments a writer process wrote."""
    try:
        outcome: list[_Written[Any]] | str = receiver.recv()
    except EOFError:
        outcome = "it exited without a result"
    if isinstance(outcome, str):
        raise RuntimeError(f"an index writer process failed: {outcome}")
    return outcome
