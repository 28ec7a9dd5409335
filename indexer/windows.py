"""Cut a stream of corpus sources into windows that a bounded-memory build indexes in turn,
and each window into its writers' shares."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import accumulate, pairwise

from indexer.codec.parallel import MERGE_PROCESSES
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
    for a group of consecutive windows are merged into one at the end of the build.

    A group holds at most ``limit`` characters of text. Given how much of the corpus has
    been read (``read_share``), the groups are also made about equal, and as many as a
    multiple of the ``merging`` processes: so that no group's merge runs alone at the end
    while the other processes' cores are idle."""

    def __init__(self, limit: int = SEGMENT_CHARS, merging: int = MERGE_PROCESSES) -> None:
        self.limit, self.merging = limit, merging
        self._chars = 0  # text of the windows in the last group
        self._seen = 0  # text of all the windows so far
        self._groups = 1  # the first window starts the first group

    def starts_new(self, records: Iterable[ReleaseRecord], read_share: float | None = None) -> bool:
        """Tell whether a window of ``records`` starts a new group (and count it in).
        ``read_share`` is the share of the corpus read so far, this window included."""
        chars = sum(len(record.title) + len(record.body) for record in records)
        seen_before, self._seen = self._seen, self._seen + chars
        new = seen_before > 0 and self._chars + chars > self.limit
        if read_share and seen_before > 0 and not new:
            expected = self._seen / read_share
            groups = group_count(expected, self.limit, self.merging)
            # Groups end at the window nearest each of their equal shares of the text.
            new = self._groups < groups and seen_before + chars / 2 > self._groups * expected / groups
        self._chars = chars if new else self._chars + chars
        self._groups += new
        return new


def group_count(chars: float, limit: int, merging: int) -> int:
    """Return how many groups ``chars`` of text make: the fewest within ``limit``, rounded up
    to a multiple of ``merging`` if there are several."""
    fewest = max(1, math.ceil(chars / limit))
    return fewest if fewest == 1 else math.ceil(fewest / merging) * merging


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
