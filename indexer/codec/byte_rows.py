"""Numbers as rows of bytes, and where consecutive records start: for writers that encode
thousands of small records at once with NumPy (block headers, pickled tuples)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Bytes = npt.NDArray[np.uint8]
Offsets = npt.NDArray[np.int64]


def as_bytes(numbers: npt.NDArray[np.integer] | npt.NDArray[np.floating], dtype: str) -> Bytes:
    """Return each number as ``dtype`` (a NumPy type such as ``">i4"`` or ``"<i4"``), one row
    of bytes each."""
    as_type = np.ascontiguousarray(numbers, dtype=np.dtype(dtype))
    rows: Bytes = as_type.view(np.uint8).reshape(len(as_type), as_type.itemsize)
    return rows


def starts_of(sizes: Offsets, base: int = 0) -> Offsets:
    """Return where each of consecutive records of ``sizes`` starts, the first at ``base``."""
    ends = np.cumsum(sizes)
    starts: Offsets = ends - sizes + base
    return starts
