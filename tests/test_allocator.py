"""A build's freed postings arrays leave its memory (indexer.codec.allocator)."""

from __future__ import annotations

import subprocess
import sys

# Frees a 20 MB array (glibc's moving threshold rises past the next ones), then makes
# thirty 5 MB arrays with a small array kept after each, frees the big ones and prints
# how many MB the process holds more than before them.
_SCENARIO = """
import sys
import numpy as np
from indexer.codec.allocator import unmap_large_blocks

def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 >> 20

if sys.argv[1] == "fixed" and not unmap_large_blocks():
    sys.exit("not set")
np.ones(20 << 20, np.uint8)
before = rss_mb()
arrays, kept = [], []
for _ in range(30):
    arrays.append(np.ones(5 << 20, np.uint8))
    kept.append(np.ones(200 << 10, np.uint8))
del arrays
print(rss_mb() - before)
"""


def _held_mb(threshold: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _SCENARIO, threshold], capture_output=True, text=True, check=True, timeout=60
    )
    return int(done.stdout)


def test_freed_large_arrays_leave_the_process_with_the_fixed_threshold() -> None:
    assert _held_mb("moving") > 100  # glibc's default keeps the 150 MB freed in its heap
    assert _held_mb("fixed") < 20
