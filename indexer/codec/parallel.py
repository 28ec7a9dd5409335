"""Write a fresh index with several processes at once, keeping the documents' order.

Each writer process starts on one share of the documents (consecutive ones) and writes
it into a segment of its own, as :class:`~indexer.codec.writer.BuildWriter` writes. The
processes claim their documents a few at a time from shared memory
(:class:`_WorkQueue`): one that runs out takes the back half of what another has left
and writes that into another segment. A process slowed down (this machine's cores
vary in speed from minute to minute) then no longer holds the build up. A writer whose
postings reach its memory budget writes them out as a segment and goes on in a new one.
Segments are committed in document order, so the index holds what a single writer's
would, in the same order.

:class:`FreshIndexBuild` takes the documents a window at a time (consecutive runs of
them), so that neither the documents nor the postings of a whole corpus are ever in
memory at once: the writer processes are forked afresh for each window.
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
from whoosh.fields import Schema
from whoosh.index import Index

from indexer.codec.dense_postings import keep_common_words
from indexer.codec.merge import merge_runs
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
# Documents added between two looks at a writer's memory.
BUDGET_CHECK_EVERY = 32
# Processes merging groups of runs at once, at the end of a build.
MERGE_PROCESSES = 2


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
    """What every writer of one window shares: the index, the documents and the work."""

    ix: Index
    items: Sequence[T]
    queue: _WorkQueue
    to_document: Callable[[T], dict[str, Any]]
    report: Callable[[T], R] | None
    schema: Schema | None = None  # the fields so far, when the index's own lack some
    memory_budget: int | None = None  # bytes of postings a writer holds before it flushes
    window_base: int = 0  # where this window starts in its group's merged segment

    def new_writer(self, **kwargs: Any) -> BuildWriter:
        """Return a writer of a new segment, with this build's fields."""
        writer = BuildWriter(self.ix, **kwargs)
        if self.schema is not None:
            writer.schema = self.schema
        return writer

    def add(self, writer: BuildWriter, item: T) -> Any:
        """Add ``item``'s document; return its report (``None`` without ``report``)."""
        writer.add_document(**self.to_document(item))
        return self.report(item) if self.report else None

    def claimed(self, number: int) -> Iterator[T]:
        """Yield the documents writer ``number`` claims, until its range is done."""
        return map(self.items.__getitem__, self.queue.claimed(number))

    def write(self, number: int, writer: BuildWriter, items: Iterable[T], steal: bool) -> list[_Written[R]]:
        """Write ``items`` (what writer ``number`` claims) with ``writer`` into its segment,
        a new one each time the postings reach the memory budget, and, with ``steal``,
        what it then takes over from slower writers (before finishing the last segment,
        while the slower writers still have documents to give)."""
        written: list[_Written[R]] = []
        start = self.queue.start(number)
        writer.id_base = self.window_base + start
        reports: list[R] = []
        for count, item in enumerate(items, start=1):
            reports.append(self.add(writer, item))
            if count % BUDGET_CHECK_EVERY == 0 and self._over_budget(writer):
                written.append(_Written(start, writer.finish_segment(), reports))
                writer, start, reports = self.new_writer(_lk=False), self.queue.start(number), []
                writer.id_base = self.window_base + start
        written += self.write_stolen(number) if steal else []
        if writer.has_documents:
            written.append(_Written(start, writer.finish_segment(), reports))
        elif not writer.holds_index_lock:
            writer.close_empty_segment()  # one that got nothing after a flush (the holder closes at commit)
        return written

    def _over_budget(self, writer: BuildWriter) -> bool:
        return self.memory_budget is not None and writer.buffered_bytes() >= self.memory_budget

    def write_stolen(self, number: int) -> list[_Written[R]]:
        """Take over documents from slower writers and write them, each run into a segment."""
        written: list[_Written[R]] = []
        for _ in range(STEALS_PER_WRITER):
            if not self.queue.steal(number):
                break
            written += self.write(number, self.new_writer(_lk=False), self.claimed(number), steal=False)
        return written


class FreshIndexBuild(Generic[T, R]):
    """Write a fresh index a window of documents at a time, each window with several
    writer processes; commit every segment, in document order, at the end.

    ``memory_budget`` bounds the postings each writer holds (bytes, as
    :meth:`BuildWriter.buffered_bytes` counts them): past it, a writer flushes a segment.
    """

    def __init__(
        self,
        ix: Index,
        to_document: Callable[[T], dict[str, Any]],
        report: Callable[[T], R] | None = None,
        memory_budget: int | None = None,
    ) -> None:
        self.ix, self.to_document, self.report = ix, to_document, report
        self.memory_budget = memory_budget
        self.schema: Schema | None = None
        self._holder = BuildWriter(ix)  # holds the index's lock, writes first and commits
        self._holder_used = False
        # Runs written so far, in document order, by group: each group's are merged into
        # one segment at the end (indexer.codec.merge).
        self._groups: list[list[W3Segment]] = [[]]
        self._documents = 0  # written so far
        self._group_start = 0  # the first document of the last group

    def write(
        self,
        shares: Sequence[Sequence[T]],
        progress: Callable[[Sequence[T]], Iterable[T]] = lambda items: items,
        new_group: bool = False,
    ) -> list[R]:
        """Write the next window of documents, one writer per share (the first in this
        process, the others forked); return ``report(item)`` of each item, in order.

        With ``new_group``, this window's documents start a new segment of the index
        (the group of windows before it is big enough); else they join the last one."""
        if new_group and self._groups[-1]:
            self._groups.append([])
            self._group_start = self._documents
        items = [item for share in shares for item in share]
        queue = _WorkQueue([0, *accumulate(len(share) for share in shares)])
        build = _Build(ix=self.ix, items=items, queue=queue, to_document=self.to_document, report=self.report)
        build.schema, build.memory_budget = self.schema, self.memory_budget
        build.window_base = self._documents - self._group_start
        first = self._holder if not self._holder_used else build.new_writer(_lk=False)
        if self.schema is not None:
            first.schema = self.schema
        self._holder_used = True
        try:
            with _collection_paused():
                written = _write(build, first, len(shares), _ClaimedView(build, len(shares[0])), progress)
        except BaseException:
            self.cancel()
            raise
        written.sort(key=lambda part: part.start)
        self._groups[-1] += [part.segment for part in written]  # not the reports: memory stays flat
        self._documents += len(items)
        return [found for part in written for found in part.reports] if self.report else []

    def commit(self, schema: Schema | None = None) -> None:
        """Merge each group's runs into a segment and commit those, in document order
        (with ``schema``, if given)."""
        holder = self._holder
        if not self._holder_used or not holder.has_documents:
            holder.close_empty_segment()
        if schema is not None:
            holder.schema = schema
        holder.commit_segments(_merged(self.ix, holder.schema, [group for group in self._groups if group]))

    def cancel(self) -> None:
        """Give the build up: the index is left as it was, and unlocked."""
        if not self._holder.is_closed:
            self._holder.cancel()


def write_fresh_index(
    ix: Index,
    shares: Sequence[Sequence[T]],
    to_document: Callable[[T], dict[str, Any]],
    progress: Callable[[Sequence[T]], Iterable[T]] = lambda items: items,
    report: Callable[[T], R] | None = None,
    memory_budget: int | None = None,
) -> list[R]:
    """Write the fresh index ``ix`` from the shares' documents, one writer per share.

    The first writer runs here, the others each in a forked process at the same time:
    they read the documents from memory; only each finished segment's description
    comes back, with ``report(item)`` of each item if ``report`` is given (what a writer
    worked out that the caller needs too). Returns the reports, in item order.
    ``progress`` wraps the first share as this process writes it. Forks ignore Ctrl-C:
    the interrupted parent stops them and cancels, and the index is unchanged.
    """
    build: FreshIndexBuild[T, R] = FreshIndexBuild(ix, to_document, report, memory_budget)
    reports = build.write(shares, progress)
    build.commit()
    return reports


def _merged(ix: Index, schema: Schema, groups: list[list[W3Segment]]) -> list[W3Segment]:
    """Return one segment per group (its only run, or its runs merged), each with its common
    words' postings as arrays too. Groups are finished at the same time by up to
    :data:`MERGE_PROCESSES` processes."""
    jobs = [(ix.storage, schema, ix.indexname, group) for group in groups]
    if len(jobs) > 1:
        with _FORK.Pool(min(len(jobs), MERGE_PROCESSES), initializer=_ignore_interrupts) as pool:
            return pool.starmap(_finished_segment, jobs)
    return [_finished_segment(*job) for job in jobs]


def _finished_segment(storage: Any, schema: Schema, indexname: str, group: list[W3Segment]) -> W3Segment:
    """Return a group's one segment: its runs merged (with their dense postings, see
    :mod:`~indexer.codec.dense_postings`), or its only run, keeping its commonest words'."""
    if len(group) > 1:
        return merge_runs(storage, schema, indexname, group)
    keep_common_words(storage, group[0])
    return group[0]


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool and cancels


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
    writer: BuildWriter,
    writers: int,
    first: Sequence[T],
    progress: Callable[[Sequence[T]], Iterable[T]],
) -> list[_Written[R]]:
    """Write one window with ``writers`` writers, this process (with ``writer``) being
    the first; return the segments written."""
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
        raise
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
        sender.send(build.write(number, build.new_writer(_lk=False), build.claimed(number), steal=True))
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
