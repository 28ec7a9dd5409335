"""Write a fresh index with several processes at once, keeping the documents' order.

:class:`FreshIndexBuild` takes the documents a window at a time (consecutive runs of
them), so that neither the documents nor the postings of a whole corpus are ever in
memory at once. Each window's writer processes are forked afresh
(:mod:`~indexer.codec.window_writers`), each starting on one share of its documents
(consecutive ones) and writing segments of its own (runs), as
:class:`~indexer.codec.writer.BuildWriter` writes; while they write, this process reads
the next window. At the end, each group of consecutive runs is merged into one segment
(:mod:`~indexer.codec.merge`), and the segments are committed in document order: the
index holds what a single writer's would, in the same order.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

from whoosh.codec.whoosh3 import W3Segment
from whoosh.fields import Schema
from whoosh.index import Index

from indexer.codec.allocator import unmap_large_blocks
from indexer.codec.dense_postings import keep_common_words
from indexer.codec.merge import merge_runs
from indexer.codec.window_writers import (
    ClaimedHere,
    Learning,
    WindowBuild,
    WorkQueue,
    Written,
    collect,
    start_writer,
)
from indexer.codec.writer import BuildWriter

T = TypeVar("T")
R = TypeVar("R")

# Merges run in forked processes.
_FORK = multiprocessing.get_context("fork")
# Processes merging groups of runs at once, at the end of a build.
MERGE_PROCESSES = 2


@dataclass
class _Window(Generic[T, R]):
    """A window being written: its build, the group its runs join, and its writer
    processes (none when the parent writes it itself, at :meth:`FreshIndexBuild.finish`)."""

    build: WindowBuild[T, R]
    group: list[W3Segment]
    children: list[tuple[BaseProcess, Connection]]


class FreshIndexBuild(Generic[T, R]):
    """Write a fresh index a window of documents at a time, each window with several
    writer processes; commit every segment, in document order, at the end.

    A window's writers are forked (:meth:`start`) and work while this process reads the
    next window; :meth:`finish` waits for them. ``memory_budget`` bounds the postings
    each writer holds (bytes, as :meth:`BuildWriter.buffered_bytes` counts them): past
    it, a writer flushes a segment. ``learning`` carries what writers learn (stems, term
    ids) back to this process, so the next window's writers start with it.
    """

    def __init__(
        self,
        ix: Index,
        to_document: Callable[[T], dict[str, Any]],
        report: Callable[[T], R] | None = None,
        memory_budget: int | None = None,
        learning: Learning | None = None,
    ) -> None:
        self.ix, self.to_document, self.report = ix, to_document, report
        self.memory_budget, self.learning = memory_budget, learning
        self.schema: Schema | None = None
        self._holder = BuildWriter(ix)  # holds the index's lock, writes first and commits
        self._holder_used = False
        # Runs written so far, in document order, by group: each group's are merged into
        # one segment at the end (indexer.codec.merge).
        self._groups: list[list[W3Segment]] = [[]]
        self._documents = 0  # given to writers so far
        self._group_start = 0  # the first document of the last group
        self._window: _Window[T, R] | None = None
        self._collection = _CollectionPause()
        self._merging: _Merging | None = None  # the groups' segments, once started
        unmap_large_blocks()  # freed postings arrays leave this process and its writers

    def write(
        self,
        shares: Sequence[Sequence[T]],
        progress: Callable[[Sequence[T]], Iterable[T]] = lambda items: items,
        new_group: bool = False,
    ) -> list[R]:
        """Write the next window of documents, one writer per share; return
        ``report(item)`` of each item, in order (:meth:`start`, then :meth:`finish`)."""
        self.start(shares, new_group)
        return self.finish(progress)

    def start(self, shares: Sequence[Sequence[T]], new_group: bool = False) -> None:
        """Start writing the next window of documents, one writer per share: with
        several shares, each in a forked process, and return at once.

        With ``new_group``, this window's documents start a new segment of the index
        (the group of windows before it is big enough); else they join the last one."""
        if self._window is not None:
            raise RuntimeError("the window started before is not finished")
        if new_group and self._groups[-1]:
            self._groups.append([])
            self._group_start = self._documents
        items = [item for share in shares for item in share]
        queue = WorkQueue([0, *accumulate(len(share) for share in shares)])
        build = WindowBuild(
            ix=self.ix, items=items, queue=queue, to_document=self.to_document, report=self.report
        )
        build.schema, build.memory_budget, build.learning = self.schema, self.memory_budget, self.learning
        build.window_base = self._documents - self._group_start
        self._documents += len(items)
        window = _Window(build, self._groups[-1], [])
        self._window = window
        if len(shares) > 1:
            self._collection.pause()  # until finish: forks leave the parent's pages shared
            try:
                window.children = [start_writer(build, number) for number in range(len(shares))]
            except BaseException:
                self.cancel()
                raise

    def finish(self, progress: Callable[[Sequence[T]], Iterable[T]] = lambda items: items) -> list[R]:
        """Finish the window started last and return ``report(item)`` of each item, in
        order. ``progress`` wraps the window's documents as its writers claim them (or,
        written here, those of the only share)."""
        window, self._window = self._window, None
        if window is None:
            raise RuntimeError("no window was started")
        try:
            if window.children:
                written = collect(window.build, window.children, progress, self.learning)
            else:
                written = self._write_here(window.build, progress)
        except BaseException:
            self._window = window
            self.cancel()
            raise
        finally:
            self._collection.resume()
        written.sort(key=lambda part: part.start)
        window.group += [part.segment for part in written]  # not the reports: memory stays flat
        return [found for part in written for found in part.reports] if self.report else []

    def _write_here(
        self, build: WindowBuild[T, R], progress: Callable[[Sequence[T]], Iterable[T]]
    ) -> list[Written[R]]:
        """Write a window of one share in this process."""
        first = self._holder if not self._holder_used else build.new_writer(_lk=False)
        if build.schema is not None:
            first.schema = build.schema
        self._holder_used = True
        self._collection.pause()
        return build.write(0, first, progress(ClaimedHere(build, len(build.items))), steal=False)

    @property
    def generation(self) -> int:
        """The number of the index generation :meth:`commit` writes."""
        number: int = self._holder.generation
        return number

    def start_merging(self, schema: Schema | None = None) -> None:
        """Start merging each group's runs into a segment (with ``schema``, if given), in
        forked processes while this one goes on; :meth:`commit` waits for them."""
        self._merging = self._merges(schema)

    def commit(self, schema: Schema | None = None) -> None:
        """Commit every group's segment, in document order, once merged (merges started
        here if :meth:`start_merging` was not called)."""
        merging = self._merging or self._merges(schema)
        self._holder.commit_segments(merging.segments())

    def _merges(self, schema: Schema | None) -> _Merging:
        holder = self._holder
        if not self._holder_used or not holder.has_documents:
            holder.close_empty_segment()
        if schema is not None:
            holder.schema = schema
        return _Merging(self.ix, holder.schema, [group for group in self._groups if group])

    def cancel(self) -> None:
        """Give the build up: writer and merging processes are stopped, the index is
        left as it was, and unlocked."""
        window, self._window = self._window, None
        for process, _ in window.children if window else []:
            process.terminate()
            process.join()
        if self._merging is not None:
            self._merging.stop()
        self._collection.resume()
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

    With several shares, each writer runs in a forked process, all at the same time
    (one share is written here): they read the documents from memory; only each
    finished segment's description comes back, with ``report(item)`` of each item if
    ``report`` is given (what a writer worked out that the caller needs too). Returns the
    reports, in item order. ``progress`` wraps the documents as the writers claim them.
    Forks ignore Ctrl-C: the interrupted parent stops them and cancels, and the index is
    unchanged.
    """
    build: FreshIndexBuild[T, R] = FreshIndexBuild(ix, to_document, report, memory_budget)
    reports = build.write(shares, progress)
    build.commit()
    return reports


class _Merging:
    """Each group's one segment (its only run, or its runs merged), each with its common
    words' postings as arrays too, being made by up to :data:`MERGE_PROCESSES` forked
    processes at the same time."""

    def __init__(self, ix: Index, schema: Schema, groups: list[list[W3Segment]]) -> None:
        jobs = [(ix.storage, schema, ix.indexname, group) for group in groups]
        self._pool = _FORK.Pool(max(1, min(len(jobs), MERGE_PROCESSES)), initializer=_ignore_interrupts)
        self._done = self._pool.starmap_async(_finished_segment, jobs)

    def segments(self) -> list[W3Segment]:
        """Wait for the segments and return them, in the groups' order."""
        try:
            segments: list[W3Segment] = self._done.get()
        except BaseException:
            self.stop()
            raise
        self._pool.close()
        self._pool.join()
        return segments

    def stop(self) -> None:
        """Stop the merging processes."""
        self._pool.terminate()
        self._pool.join()


def _finished_segment(storage: Any, schema: Schema, indexname: str, group: list[W3Segment]) -> W3Segment:
    """Return a group's one segment: its runs merged (with their dense postings, see
    :mod:`~indexer.codec.dense_postings`), or its only run, keeping its commonest words'."""
    if len(group) > 1:
        merged = merge_runs(storage, schema, indexname, group)
        _delete_runs(storage, group)
        return merged
    keep_common_words(storage, group[0])
    return group[0]


def _delete_runs(storage: Any, runs: list[W3Segment]) -> None:
    """Delete merged runs' files at once, not at the commit: a build's disk holds a
    group's runs or its segment, not both, once it is merged (runs and segments together
    take more than twice the index: 9.3 GB for 250,000 releases' 3.3 GB)."""
    prefixes = tuple(f"{run.segment_id()}." for run in runs)
    for name in storage.list():
        if name.startswith(prefixes):
            storage.delete_file(name)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool and cancels


class _CollectionPause:
    """Pause the cyclic garbage collector while a window is written: a build makes
    millions of objects that live until its end (postings), which the collector would go
    through again and again for no garbage, and while forked writers run, a collection
    here would copy pages they share. Objects made before are frozen, so forks leave
    their pages shared."""

    def __init__(self) -> None:
        self._enabled: bool | None = None  # the collector's state before the pause

    def pause(self) -> None:
        if self._enabled is None:
            self._enabled = gc.isenabled()
            gc.disable()
        gc.freeze()

    def resume(self) -> None:
        if self._enabled is None:
            return
        gc.unfreeze()
        if self._enabled:
            gc.enable()
        self._enabled = None
