"""One window of a parallel build: its writers' work and the processes that do it.

The writers claim their documents a few at a time from shared memory
(:class:`WorkQueue`): one that runs out takes the back half of what another has left
and writes that into another segment. A writer whose postings reach its memory budget
writes them out as a segment and goes on in a new one. Each writer process sends back
the descriptions of the segments it wrote, with what it learned (:class:`Learning`).
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, Protocol, TypeVar

from whoosh.codec.whoosh3 import W3Segment
from whoosh.fields import Schema
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
# Documents added between two looks at a writer's memory.
BUDGET_CHECK_EVERY = 32
# Seconds between two looks at how far a window's writer processes are (progress).
PROGRESS_EVERY = 0.2


class WorkQueue:
    """Each writer's next document and end, in memory shared by the forked writers."""

    def __init__(self, bounds: Sequence[int]) -> None:
        self._lock = _FORK.Lock()
        self._next = _FORK.Array("q", list(bounds[:-1]), lock=False)
        self._end = _FORK.Array("q", list(bounds[1:]), lock=False)
        self._total = bounds[-1]
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

    def claimed_count(self) -> int:
        """Return how many documents the writers have claimed so far, all together."""
        with self._lock:
            left = sum(max(0, end - start) for start, end in zip(self._next, self._end, strict=True))
        return int(self._total - left)

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
class Written(Generic[R]):
    """A segment one writer wrote: its first document, description and reports."""

    start: int
    segment: W3Segment
    reports: list[R]


@dataclass
class WindowBuild(Generic[T, R]):
    """What every writer of one window shares: the index, the documents and the work."""

    ix: Index
    items: Sequence[T]
    queue: WorkQueue
    to_document: Callable[[T], dict[str, Any]]
    report: Callable[[T], R] | None
    schema: Schema | None = None  # the fields so far, when the index's own lack some
    memory_budget: int | None = None  # bytes of postings a writer holds before it flushes
    window_base: int = 0  # where this window starts in its group's merged segment
    learning: Learning | None = None  # what a writer process hands back besides its runs

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

    def write(self, number: int, writer: BuildWriter, items: Iterable[T], steal: bool) -> list[Written[R]]:
        """Write ``items`` (what writer ``number`` claims) with ``writer`` into its segment,
        a new one each time the postings reach the memory budget, and, with ``steal``,
        what it then takes over from slower writers (before finishing the last segment,
        while the slower writers still have documents to give)."""
        written: list[Written[R]] = []
        start = self.queue.start(number)
        writer.id_base = self.window_base + start
        reports: list[R] = []
        for count, item in enumerate(items, start=1):
            reports.append(self.add(writer, item))
            if count % BUDGET_CHECK_EVERY == 0 and self._over_budget(writer):
                written.append(Written(start, writer.finish_segment(), reports))
                writer, start, reports = self.new_writer(_lk=False), self.queue.start(number), []
                writer.id_base = self.window_base + start
        written += self.write_stolen(number) if steal else []
        if writer.has_documents:
            written.append(Written(start, writer.finish_segment(), reports))
        elif not writer.holds_index_lock:
            writer.close_empty_segment()  # one that got nothing after a flush (the holder closes at commit)
        return written

    def _over_budget(self, writer: BuildWriter) -> bool:
        return self.memory_budget is not None and writer.buffered_bytes() >= self.memory_budget

    def write_stolen(self, number: int) -> list[Written[R]]:
        """Take over documents from slower writers and write them, each run into a segment."""
        written: list[Written[R]] = []
        for _ in range(STEALS_PER_WRITER):
            if not self.queue.steal(number):
                break
            written += self.write(number, self.new_writer(_lk=False), self.claimed(number), steal=False)
        return written


class Learning(Protocol):
    """What writer processes learn that the next window's writers should know too
    (words' stems and term ids): noted in each writer, handed back to the parent at its end."""

    def start_learning(self) -> None: ...

    def take_learned(self) -> Any: ...

    def learn(self, learned: Any) -> None: ...


class ClaimedHere(Sequence[T]):
    """The documents of a window written here, as a sequence (for a progress bar);
    iterating claims them."""

    def __init__(self, build: WindowBuild[T, Any], length: int) -> None:
        self._build, self._length = build, length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: Any) -> Any:
        raise TypeError("documents are claimed in turn, not looked up")

    def __iter__(self) -> Iterator[T]:
        return self._build.claimed(0)


class ClaimedByWriters(Sequence[T]):
    """A window's documents as its writer processes claim them, as a sequence (for a
    progress bar): iterating waits for the writers, yielding documents as they are
    claimed, and gathers what each writer sends back."""

    def __init__(self, build: WindowBuild[T, Any], children: list[tuple[BaseProcess, Connection]]) -> None:
        self._build, self._children = build, children
        self.results: dict[int, tuple[list[Written[Any]], Any]] = {}

    def __len__(self) -> int:
        return len(self._build.items)

    def __getitem__(self, index: Any) -> Any:
        raise TypeError("documents are claimed in turn, not looked up")

    def __iter__(self) -> Iterator[T]:
        pending = {id(receiver): (number, receiver) for number, (_, receiver) in enumerate(self._children)}
        shown = 0
        while pending:
            for ready in wait([receiver for _, receiver in pending.values()], timeout=PROGRESS_EVERY):
                number, receiver = pending.pop(id(ready))
                self.results[number] = _receive(receiver)
            claimed = self._build.queue.claimed_count()
            yield from self._build.items[shown:claimed]
            shown = claimed
        yield from self._build.items[shown:]


def collect(
    build: WindowBuild[T, R],
    children: list[tuple[BaseProcess, Connection]],
    progress: Callable[[Sequence[T]], Iterable[T]],
    learning: Learning | None,
) -> list[Written[R]]:
    """Wait for a window's writer processes; return the segments they wrote, and hand
    what they learned to ``learning``."""
    claimed = ClaimedByWriters(build, children)
    for _ in progress(claimed):
        pass
    written: list[Written[R]] = []
    for number, (process, _) in enumerate(children):
        runs, learned = claimed.results[number]
        written += runs
        if learning is not None:
            learning.learn(learned)
        process.join()
    return written


def start_writer(build: WindowBuild[T, Any], number: int) -> tuple[BaseProcess, Connection]:
    """Fork writer ``number`` of a window (ignoring Ctrl-C: the parent stops it); return
    it with the end of the pipe its result comes back on."""
    receiver, sender = _FORK.Pipe(duplex=False)
    process = _FORK.Process(target=_write_in_child, args=(build, number, sender), daemon=True)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process.start()
    finally:
        signal.signal(signal.SIGINT, previous)
    sender.close()
    return process, receiver


def _write_in_child(build: WindowBuild[T, Any], number: int, sender: Connection) -> None:
    """In a forked process: write writer ``number``'s segments and send their
    descriptions back with what it learned (or the error)."""
    try:
        if build.learning is not None:
            build.learning.start_learning()
        written = build.write(number, build.new_writer(_lk=False), build.claimed(number), steal=True)
        sender.send((written, build.learning.take_learned() if build.learning else None))
    except OSError as exc:  # a full disk, say: the parent raises it as it is, and cancels the build
        sender.send(exc)
    except BaseException as exc:  # reported by the parent, which then cancels the build
        sender.send(f"{type(exc).__name__}: {exc}")
    finally:
        sender.close()


def _receive(receiver: Connection) -> tuple[list[Written[Any]], Any]:
    """Return the segments a writer process wrote, and what it learned."""
    try:
        outcome: tuple[list[Written[Any]], Any] | OSError | str = receiver.recv()
    except EOFError:
        outcome = "it exited without a result"
    if isinstance(outcome, OSError):
        raise outcome
    if isinstance(outcome, str):
        raise RuntimeError(f"an index writer process failed: {outcome}")
    return outcome
