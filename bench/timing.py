"""Small measuring helpers for the benchmarks: percentiles, spreads and process memory.

Usage (from another bench module, with ``bench/`` on ``sys.path``)::

    from timing import summarize, rss_kb, process_tree
    summarize([12.0, 15.5, 40.1])  # {"n": 3, "mean": ..., "p50": ..., "p95": ..., "p99": ..., "max": ...}

Memory comes from ``/proc`` (Linux): ``VmRSS`` of a process, and a process tree found by
parent ids, so no third-party package is needed.

>>> percentile([1.0, 2.0, 3.0, 4.0], 50)
2.5
>>> spread([10.0, 11.0, 12.0])
0.182
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path


def cpu_probe(rounds: int = 3) -> float:
    """Return the best of ``rounds`` timings (s) of a fixed pure-Python loop: how fast
    this shared machine's CPU runs Python right now, to read other figures by."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        table: dict[int, int] = {}
        for number in range(2_000_000):
            table[number & 65535] = number * 2
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the ``pct`` percentile of ``values`` by linear interpolation (0.0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(latencies_ms: Sequence[float]) -> dict[str, float]:
    """Return count, mean, p50, p95, p99 and max of latencies in milliseconds."""
    return {
        "n": len(latencies_ms),
        "mean": round(statistics.fmean(latencies_ms), 3) if latencies_ms else 0.0,
        "p50": round(percentile(latencies_ms, 50), 3),
        "p95": round(percentile(latencies_ms, 95), 3),
        "p99": round(percentile(latencies_ms, 99), 3),
        "max": round(max(latencies_ms, default=0.0), 3),
    }


def spread(values: Sequence[float]) -> float:
    """Return (max - min) / median of repeated measurements: the noise between runs."""
    if len(values) < 2 or statistics.median(values) == 0:
        return 0.0
    return round((max(values) - min(values)) / statistics.median(values), 3)


def combine_runs(runs: Sequence[dict[str, float]]) -> dict[str, object]:
    """Return the median of each figure over runs, and each figure's spread between runs."""
    keys = [key for key in runs[0] if isinstance(runs[0][key], int | float)]
    return {
        "median": {key: round(statistics.median(run[key] for run in runs), 3) for key in keys},
        "spread": {key: spread([run[key] for run in runs]) for key in keys},
    }


def ratio(numerator: float, denominator: float) -> float | None:
    """Return numerator / denominator rounded, or None when the denominator is zero."""
    return round(numerator / denominator, 2) if denominator else None


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """Return the resident set size of process ``pid`` in KiB (0 if it is gone).

    ``VmRSS`` counts the pages of memory-mapped index files too, which processes share
    through the page cache; ``RssAnon`` is the process's own memory only; ``Pss`` (from
    ``smaps_rollup``) counts shared pages divided among the processes sharing them.
    """
    source = "smaps_rollup" if field == "Pss" else "status"
    try:
        for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the parent id follows ")".
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def children(pid: int) -> list[int]:
    """Return the ids of the direct children of ``pid``."""
    return sorted(child for child, parent in _parents().items() if parent == pid)


def process_tree(pid: int) -> list[int]:
    """Return ``pid`` and the ids of all its descendants."""
    parents = _parents()
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree.extend(frontier)
    return tree


def total_rss_kb(pids: Iterable[int], field: str = "VmRSS") -> int:
    """Return the summed resident set size (or another ``/proc/PID/status`` field) of ``pids`` in KiB."""
    return sum(rss_kb(pid, field) for pid in pids)


class TreeMemorySampler:
    """Sample the summed RSS of a process tree on a thread; ``peak_kb`` is the highest seen.

    ``peak_pss_kb`` is the highest summed PSS: forked writers share their parent's pages,
    which each one's RSS counts again, PSS once. PSS is read from ``smaps_rollup``, for
    which the kernel walks every page a process maps (~9 ms a GB in 4 KB pages): read ten
    times a second during a million-release build, it took ~280 s of CPU from the build's
    two cores. So RSS is read every ``interval``, and PSS every ``pss_interval`` or when
    the RSS is as high as at the PSS peak so far (at most four times a second). ``cpu_s``
    is what the sampling cost (CPU seconds of its thread), reported beside the build's
    time; ``peak_pss_at`` says when the PSS peaked (seconds from the start) and
    ``peak_pss_by_process`` how it was shared out (KiB by process, the first the root).
    """

    def __init__(self, pid: int, interval: float = 0.25, pss_interval: float = 1.0) -> None:
        self.pid = pid
        self.interval, self.pss_interval = interval, pss_interval
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self.peak_pss_at = 0.0
        self.peak_pss_by_process: list[int] = []
        self.cpu_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = last_pss = time.monotonic()
        rss_at_peak = 0  # the tree's RSS when its PSS peaked
        while not self._stop.is_set():
            tree = process_tree(self.pid)
            rss = total_rss_kb(tree)
            self.peak_kb = max(self.peak_kb, rss)
            now = time.monotonic()
            # PSS each interval, and sooner (at most four times a second) when RSS is as
            # high as it was at the PSS peak: the PSS may be peaking again.
            near_peak = rss >= rss_at_peak and now - last_pss >= min(0.25, self.pss_interval)
            if near_peak or now - last_pss >= self.pss_interval:
                last_pss = now
                by_process = [rss_kb(pid, "Pss") for pid in tree]
                if sum(by_process) > self.peak_pss_kb:
                    self.peak_pss_kb, self.peak_pss_by_process = sum(by_process), by_process
                    self.peak_pss_at, rss_at_peak = round(now - started, 1), rss
            self._stop.wait(self.interval)
        self.cpu_s = time.thread_time()

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def clock() -> float:
    """Return a monotonic time in seconds (the one every bench module uses)."""
    return time.perf_counter()
