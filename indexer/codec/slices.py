"""Flat arrays cut into one slice per release: the indexes of many slices at once."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def slice_indexes(starts: npt.NDArray[np.integer], lengths: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    """Return the indexes of every element of the slices ``[start, start + length)``, slice
    after slice, without a Python loop.

    >>> slice_indexes(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    total = int(lengths.sum())
    steps = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts.astype(np.int64), lengths) + steps
