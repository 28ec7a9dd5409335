"""Work counted per request: how many words, candidates and characters each stage handled.

Every stage that could grow with what a visitor types (spelling candidates compared,
index words scanned for prefixes, wildcards and fuzzy words, characters highlighted)
adds what it did here. The counts are per thread (a sync worker serves one request
at a time), so tests can check that no query does more than its bounds allow
without timing anything.

>>> with counting() as work:
...     count("spelling_candidates", 40)
>>> work["spelling_candidates"]
40
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


def count(kind: str, amount: int = 1) -> None:
    """Add ``amount`` units of work of ``kind`` to the counts being kept on this thread."""
    counts: Counter[str] | None = getattr(_local, "counts", None)
    if counts is not None:
        counts[kind] += amount


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count the work done on this thread inside the block; yields the counts as they grow."""
    outer: Counter[str] | None = getattr(_local, "counts", None)
    counts: Counter[str] = Counter()
    _local.counts = counts
    try:
        yield counts
    finally:
        _local.counts = outer
        if outer is not None:
            outer.update(counts)
