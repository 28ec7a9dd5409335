"""Matched releases as arrays: sorted document numbers with one score each, and the
union and intersection that Boolean queries combine them with.

Small sets are combined by sorting; sets that cover a good share of the index are
combined over a dense array indexed by document number, which costs a pass over
the document numbers instead of a sort (a million releases, words in most of them:
a union of three ~4x faster, an intersection ~2x).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

DocIds = npt.NDArray[np.int32]
Scores = npt.NDArray[np.float64]

# Combine over a dense array when the parts hold at least one entry per DENSE_SHARE
# document numbers of the range they span.
DENSE_SHARE = 16


class Matches:
    """Sorted document numbers with one score each."""

    __slots__ = ("ids", "scores")

    def __init__(self, ids: DocIds, scores: Scores) -> None:
        self.ids = ids
        self.scores = scores

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> Matches:
        return cls(np.empty(0, np.int32), np.empty(0, np.float64))

    def subset(self, ids: DocIds) -> Matches:
        """Return the matches whose ids are in ``ids`` (a sorted subset of this one's)."""
        keep = within(self.ids, ids)
        return Matches(self.ids[keep], self.scores[keep])

    def top(self, count: int) -> tuple[DocIds, Scores]:
        """Return the ``count`` best ids and scores, best first (ties by document number)."""
        if count < len(self.ids):
            part = np.argpartition(-self.scores, count - 1)[:count]
        else:
            part = np.arange(len(self.ids))
        order = part[np.lexsort((self.ids[part], -self.scores[part]))]
        return self.ids[order], self.scores[order]


def union(parts: list[Matches]) -> Matches:
    """Return the releases in any part, each scored with the sum of its scores."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return Matches.empty()
    if len(parts) == 1:
        return Matches(parts[0].ids, parts[0].scores.copy())
    size = max(int(part.ids[-1]) for part in parts) + 1
    ids = np.concatenate([part.ids for part in parts])
    scores = np.concatenate([part.scores for part in parts])
    if _dense(len(ids), size):
        sums = np.bincount(ids, weights=scores, minlength=size).astype(np.float64, copy=False)
        seen = np.zeros(size, bool)
        seen[ids] = True
        present = np.flatnonzero(seen)
        return Matches(present.astype(np.int32), sums[present])
    unique, inverse = np.unique(ids, return_inverse=True)
    summed = np.bincount(inverse, weights=scores, minlength=len(unique)).astype(np.float64)
    return Matches(unique.astype(np.int32), summed)


def intersection(parts: list[Matches]) -> Matches:
    """Return the releases in every part, each scored with the sum of its scores."""
    if not parts or any(not len(part) for part in parts):
        return Matches.empty()
    parts = sorted(parts, key=len)
    ids, scores = parts[0].ids, parts[0].scores.copy()
    for part in parts[1:]:
        size = int(max(ids[-1], part.ids[-1])) + 1
        if _dense(len(ids) + len(part), size):
            place = np.full(size, -1, np.int32)  # where each document is in ``part``, or -1
            place[part.ids] = np.arange(len(part), dtype=np.int32)
            at = place[ids]
            keep = at >= 0
            ids, scores = ids[keep], scores[keep] + part.scores[at[keep]]
        else:
            common, left, right = np.intersect1d(ids, part.ids, assume_unique=True, return_indices=True)
            ids, scores = common, scores[left] + part.scores[right]
        if not len(ids):
            break
    return Matches(ids.astype(np.int32), scores)


def shared_ids(parts: list[DocIds]) -> DocIds:
    """Return the document numbers in every one of ``parts`` (each sorted, distinct)."""
    if not parts:
        return np.empty(0, np.int32)
    parts = sorted(parts, key=len)
    ids = parts[0]
    for part in parts[1:]:
        ids = ids[within(ids, part)]
    return ids


def within(ids: DocIds, others: DocIds) -> npt.NDArray[np.bool_]:
    """Tell which of the distinct ``ids`` are in ``others`` (sorted, distinct): ``np.isin``,
    over a dense array when the two are large for the range they span, or each of a few
    ids looked up in many others."""
    if not len(ids) or not len(others):
        return np.zeros(len(ids), bool)
    if len(ids) * DENSE_SHARE < len(others):
        at = np.minimum(np.searchsorted(others, ids), len(others) - 1)
        return np.asarray(others[at] == ids)
    size = int(max(ids.max(), others.max())) + 1
    if _dense(len(ids) + len(others), size):
        seen = np.zeros(size, bool)
        seen[others] = True
        return seen[ids]
    return np.isin(ids, others, assume_unique=True)


def top_rows(keys: list[npt.NDArray[Any]], count: int) -> npt.NDArray[np.intp]:
    """Return the rows of the ``count`` smallest by ``keys`` (primary key first, each
    smaller-is-better), in that order: as ``np.lexsort`` of the reversed keys, cut to ``count``.

    Each key narrows the rows first (a partition, not a sort): only the rows that can be in
    the first ``count`` are sorted, a handful out of a million partial matches.
    """
    rows = np.arange(len(keys[0]))
    kept: list[npt.NDArray[np.intp]] = []  # rows surely in, whatever their order among them
    wanted = count
    for key in keys:
        if wanted <= 0 or len(rows) <= wanted:
            break
        values = key[rows]
        cut = np.partition(values, wanted - 1)[wanted - 1]
        better = values < cut
        kept.append(rows[better])
        wanted -= int(better.sum())
        rows = rows[values == cut]  # tied with the cut: the next key decides among them
    candidates = np.concatenate([*kept, rows])
    order = np.lexsort([key[candidates] for key in reversed(keys)])
    return candidates[order][:count]


def _dense(entries: int, size: int) -> bool:
    """Whether ``entries`` document numbers below ``size`` are combined faster densely."""
    return entries * DENSE_SHARE >= size
