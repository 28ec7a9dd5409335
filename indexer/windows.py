"""Cut a stream of corpus sources into windows that a bounded-memory build indexes in turn,
and each window into its writers' shares."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import accumulate, pairwise

from indexer.corpus import Source
from indexer.records import KnownRelease, ReleaseRecord

# Memory a writer's postings take per character of text it indexes, with a margin (as
# BuildWriter.buffered_bytes counts it: 12.9 MB per million characters on 12,000
# synthetic releases, more where more words are rare). A window holds about as much text
# as fills the writers' budgets, not more: a writer that reaches its budget flushes a
# segment, and the rest of its share makes a small one.
POSTINGS_BYTES_PER_CHAR = 15
# Text of a window (characters), whatever the budget: fewer make too many segments.
LEAST_WINDOW_CHARS = 1 << 20


# Text of the windows merged into one segment of the index, at most (characters): its
# stored fields stay well within the 2 GB Whoosh's column of them can address.
SEGMENT_CHARS = 1 << 30


class SegmentGroups:
    """Say which windows start a new segment of the index: the runs the writers write
    for a group of consecutive windows are merged into one at the end of the build."""

    def __init__(self, limit: int = SEGMENT_CHARS) -> None:
        self.limit = limit
        self._chars = 0  # text of the windows in the last group

    def starts_new(self, records: Iterable[ReleaseRecord]) -> bool:
        """Tell whether a window of ``records`` starts a new group (and count it in)."""
        chars = sum(len(record.title) + len(record.body) for record in records)
        new = self._chars > 0 and self._chars + chars > self.limit
        self._chars = chars if new else self._chars + chars
        return new


def window_chars(budget_mb: int, writers: int) -> int:
    """Return how many characters of text a window holds, given each writer's budget."""
    return max(LEAST_WINDOW_CHARS, (budget_mb << 20) * writers // POSTINGS_BYTES_PER_CHAR)


def windows(sources: Iterable[Source], chars: int) -> Iterator[list[Source]]:
    """Yield the sources in runs that hold at least ``chars`` characters of new records'
    text each (the last one less), a source never split."""
    window: list[Source] = []
    size = 0
    for source in sources:
        window.append(source)
        size += sum(len(record.title) + len(record.body) for record in source[2])
        if size >= chars:
            yield window
            window, size = [], 0
    if window:
        yield window


def shares(records: list[ReleaseRecord], count: int) -> list[list[ReleaseRecord]]:
    """Split records into ``count`` runs of consecutive records with about as much text each."""
    sizes = list(accumulate(len(record.title) + len(record.body) for record in records))
    total = sizes[-1] if sizes else 0
    bounds = [0, *(bisect_left(sizes, total * part / count) for part in range(1, count)), len(records)]
    return [records[start:end] for start, end in pairwise(bounds)]


def known_release(release: ReleaseRecord | KnownRelease) -> KnownRelease:
    """Return what is remembered of a release once it is indexed: identity, title, tags
    and content hash (not its text)."""
    if isinstance(release, KnownRelease):
        return release
    return KnownRelease(release.id, release.title, release.tags, release.origin, release.content_hash())
