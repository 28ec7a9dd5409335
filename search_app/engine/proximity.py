"""Proximity: which of a few releases have the query's words close together.

Asking Whoosh for a span query would work out spans for every release that has the
words; this looks only at the releases given, with each word's positions there, so
re-ranking the first page costs a few lookups, not a second search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

# (field, word, sorted docnums) -> positions of the word in those of the releases that have it
PositionsOf = Callable[[str, str, list[int]], dict[int, list[int]]]

PROXIMITY_FIELDS = ("title", "body")
# Words at most this many positions apart count as close.
PROXIMITY_WINDOW = 5
# A release with the query's words that close together has its score multiplied by this.
PROXIMITY_BONUS = 1.5


def proximity_boosted(
    positions_of: PositionsOf, words: list[str], ids: npt.NDArray[np.int32], scores: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Return ``scores`` with :data:`PROXIMITY_BONUS` applied to the releases among ``ids``
    where the words are close together."""
    near = close_together(positions_of, words, ids.tolist())
    return scores * np.where(np.isin(ids, list(near)), PROXIMITY_BONUS, 1.0)


def close_together(positions_of: PositionsOf, words: list[str], docnums: Iterable[int]) -> set[int]:
    """Return the docnums where every word occurs within the window of some other occurrence."""
    wanted = sorted(set(docnums))
    found: set[int] = set()
    for field in PROXIMITY_FIELDS:
        positions = [positions_of(field, word, wanted) for word in words]
        for docnum in wanted:
            lists = [by_doc.get(docnum) for by_doc in positions]
            if all(lists) and _within_window([lst for lst in lists if lst], PROXIMITY_WINDOW):
                found.add(docnum)
    return found


def _within_window(position_lists: list[list[int]], window: int) -> bool:
    """Tell whether one position from each list fits in ``window`` positions.

    >>> _within_window([[1, 40], [44]], 5)
    True
    >>> _within_window([[1], [20]], 5)
    False
    """
    events = sorted((pos, index) for index, positions in enumerate(position_lists) for pos in positions)
    need = len(position_lists)
    counts = [0] * need
    covered = 0
    left = 0
    for pos, index in events:
        if counts[index] == 0:
            covered += 1
        counts[index] += 1
        while events[left][0] < pos - window:
            left_index = events[left][1]
            counts[left_index] -= 1
            if counts[left_index] == 0:
                covered -= 1
            left += 1
        if covered == need:
            return True
    return False
