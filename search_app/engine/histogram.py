"""Matches over time: releases counted per day, week, month or year with NumPy.

Dates arrive as day numbers (days since 1970-01-01, from :class:`DocTable`'s date
column). A bucket is numbered from 1970 in its own unit, so counting is one
``bincount`` over the matches and the zero-filled, contiguous run of buckets is an
``arange`` from the first number to the last; no Python loop runs per release.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import numpy.typing as npt

from search_app.service.contract import INTERVALS, Bucket, Histogram

Days = npt.NDArray[np.int64]

# The interval chosen from the span is the finest that gives at most this many bars.
MAX_CHOSEN_BUCKETS = 40
# An interval asked for is widened when it would give more bars than this.
MAX_BUCKETS = 4000
# 1970-01-01 was a Thursday: day numbers shifted by 3 count weeks from Monday 1969-12-29.
_MONDAY_SHIFT = 3
_EPOCH = dt.date(1970, 1, 1)
# Days whose month and year are looked up in a table rather than worked out.
_TABLE_FIRST_DAY, _TABLE_END_DAY = (dt.date(1900, 1, 1) - _EPOCH).days, (dt.date(2100, 1, 1) - _EPOCH).days


def bucket_numbers(days: Days, interval: str) -> Days:
    """Return the bucket of each day, numbered from the one holding 1970-01-01.

    >>> bucket_numbers(np.array([0, 3, 4, 31, 365]), "week").tolist()
    [0, 0, 1, 4, 52]
    >>> bucket_numbers(np.array([0, 30, 31, 365]), "month").tolist()
    [0, 0, 1, 12]
    """
    if interval == "day":
        return days
    if interval == "week":
        return (days + _MONDAY_SHIFT) // 7
    unit = "M" if interval == "month" else "Y"
    table = _calendar(unit)
    offsets = days - _TABLE_FIRST_DAY
    if len(days) and offsets.min() >= 0 and offsets.max() < len(table):
        return table[offsets]  # a lookup: NumPy's calendar conversion costs ~80 ns a day
    return days.astype("datetime64[D]").astype(f"datetime64[{unit}]").astype(np.int64)


@functools.cache
def _calendar(unit: str) -> Days:
    """Return the month or year number (``unit`` M or Y) of every day from 1900 to 2099."""
    days = np.arange(_TABLE_FIRST_DAY, _TABLE_END_DAY, dtype=np.int64)
    return days.astype("datetime64[D]").astype(f"datetime64[{unit}]").astype(np.int64)


def bucket_starts(interval: str, first: int, last: int) -> list[str]:
    """Return the first day (YYYY-MM-DD) of every bucket from number ``first`` to ``last``.

    >>> bucket_starts("week", 0, 1)
    ['1969-12-29', '1970-01-05']
    >>> bucket_starts("month", 0, 2)
    ['1970-01-01', '1970-02-01', '1970-03-01']
    """
    numbers = np.arange(first, last + 1, dtype=np.int64)
    if interval == "week":
        days = numbers * 7 - _MONDAY_SHIFT
    elif interval == "day":
        days = numbers
    else:
        unit = "M" if interval == "month" else "Y"
        days = numbers.astype(f"datetime64[{unit}]").astype("datetime64[D]").astype(np.int64)
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").tolist()


def choose_interval(first_day: int, last_day: int, asked: str | None) -> str:
    """Return ``asked`` (widened if it would give too many bars), or the finest that fits the span.

    >>> choose_interval(0, 100, None), choose_interval(0, 1000, None), choose_interval(0, 5000, None)
    ('week', 'month', 'year')
    >>> choose_interval(0, 5000, "day")
    'week'
    """
    limit = MAX_CHOSEN_BUCKETS if asked is None else MAX_BUCKETS
    candidates = INTERVALS if asked is None else INTERVALS[INTERVALS.index(asked) :]
    for interval in candidates:
        first, last = bucket_range(interval, first_day, last_day)
        if last - first + 1 <= limit:
            return interval
    return "year"


def span(days: Days) -> tuple[int, int] | None:
    """Return the first and last of ``days``, or None when there are none."""
    return (int(days.min()), int(days.max())) if len(days) else None


def counts(days: Days, interval: str, first: int, last: int) -> npt.NDArray[np.int64]:
    """Count ``days`` per bucket numbered ``first`` to ``last`` (days outside are not counted)."""
    numbers = bucket_numbers(days, interval) - first
    size = last - first + 1
    inside = numbers[(numbers >= 0) & (numbers < size)]
    return np.bincount(inside, minlength=size).astype(np.int64)


def bucket_range(interval: str, first_day: int, last_day: int) -> tuple[int, int]:
    """Return the numbers of the buckets holding ``first_day`` and ``last_day``.

    >>> bucket_range("month", 0, 365), bucket_range("year", -1, 0)
    ((0, 12), (-1, 0))
    """
    return _number(first_day, interval), _number(last_day, interval)


def _number(day: int, interval: str) -> int:
    """Return the bucket of one day, as :func:`bucket_numbers` does, without arrays."""
    if interval == "day":
        return day
    if interval == "week":
        return (day + _MONDAY_SHIFT) // 7
    date = _EPOCH + dt.timedelta(days=day)
    return (date.year - 1970) * 12 + date.month - 1 if interval == "month" else date.year - 1970


def histogram(days: Days, undated: int, asked: str | None) -> Histogram:
    """Return the histogram of ``days`` over the buckets from the first to the last of them."""
    ends = span(days)
    if ends is None:
        return Histogram(asked or "year", [], undated)
    interval = choose_interval(*ends, asked)
    first, last = bucket_range(interval, *ends)
    per_bucket = np.bincount(bucket_numbers(days, interval) - first, minlength=last - first + 1).tolist()
    starts = bucket_starts(interval, first, last)
    return Histogram(interval, [Bucket(s, c) for s, c in zip(starts, per_bucket, strict=True)], undated)
