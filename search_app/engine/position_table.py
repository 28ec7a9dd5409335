"""A word's positions in the releases that hold it, as flat arrays, for phrases and proximity."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.codec.slices import slice_indexes

DocIds = npt.NDArray[np.int32]


class PositionTable:
    """A word's positions in every release holding it: flat arrays, one slice per release."""

    def __init__(self, ids: DocIds, positions: list[list[int]], gaps: bool = False) -> None:
        """``positions`` per release, as positions or (``gaps``) as gaps from the previous one."""
        self.ids = ids
        # 32-bit counts and starts: a table is sized by its releases as much as by its positions.
        counts = np.fromiter(map(len, positions), np.int32, len(positions))
        self.starts = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)[:-1])).astype(np.int32)
        self.counts = counts
        flat = np.fromiter(itertools.chain.from_iterable(positions), np.int64, int(counts.sum()))
        if gaps and len(flat):
            # Sums within each release: the overall running sum less its value before the release.
            running = np.cumsum(flat)
            before = np.where(self.starts > 0, running[np.maximum(self.starts - 1, 0)], 0)
            flat = running - np.repeat(before, counts)
        self.positions = flat.astype(np.int32)

    @classmethod
    def of_arrays(cls, ids: DocIds, counts: npt.NDArray[Any], positions: npt.NDArray[Any]) -> PositionTable:
        """Return the table of a word's postings given as arrays (as dense postings hold them):
        each release's number of positions, and the positions, release after release."""
        table = cls.__new__(cls)
        table.ids, table.counts, table.positions = ids, counts, positions
        table.starts = np.cumsum(counts, dtype=np.int64) - counts
        return table

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.starts.nbytes + self.counts.nbytes + self.positions.nbytes)

    def gather(self, docs: DocIds) -> tuple[DocIds, npt.NDArray[np.int32]]:
        """Return (release, position) pairs for those of the sorted ``docs`` that hold the word."""
        if not len(self.ids) or not len(docs):
            return np.empty(0, np.int32), np.empty(0, np.int32)
        if 4 * len(docs) >= len(self.ids):  # many of the word's releases: marked, not looked up
            wanted = np.zeros(int(max(self.ids[-1], docs[-1])) + 1, bool)
            wanted[docs] = True
            at = np.flatnonzero(wanted[self.ids])
        else:
            at = np.minimum(np.searchsorted(self.ids, docs), len(self.ids) - 1)
            at = at[self.ids[at] == docs]
        counts = self.counts[at].astype(np.int64)
        return np.repeat(self.ids[at], counts), self.positions[slice_indexes(self.starts[at], counts)]


def ascending(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return the distinct values in ascending order; for values already in order (position
    keys are, as a table gathers them), without sorting."""
    if len(values) < 2:
        return values
    steps = values[1:] > values[:-1]
    if steps.all():
        return values
    if (values[1:] >= values[:-1]).all():
        return values[np.concatenate(([True], steps))]
    return np.unique(values)


def common(left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return the values in both ascending, distinct arrays: the smaller one looked up in the larger."""
    if len(left) > len(right):
        left, right = right, left
    if not len(left):
        return left
    at = np.minimum(np.searchsorted(right, left), len(right) - 1)
    return left[right[at] == left]
