"""Have the C allocator give large arrays' memory back to the system when they are freed.

glibc's ``malloc`` serves a request above its mmap threshold with pages of their own,
unmapped when freed; below it, from its heap, which it seldom shrinks. The threshold
starts at 128 KB and rises to the size of each such block freed (up to 32 MB), so
after a build's first large arrays are freed, the next ones, tens of megabytes of
postings each, come from the heap and stay counted in the process's memory. Writing one
window's run (9,700 synthetic releases) peaked 527 MB above the writer's starting
memory with the moving threshold, 386 MB with a fixed 4 MB one, in the same time
(a 128 KB one cost a tenth more time: many mid-sized arrays then fault their pages in).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# mallopt's parameter number for the threshold (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 4 << 20


def unmap_large_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes for this process (and the
    processes it forks); tell whether it was set (not on another C library)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # no glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
