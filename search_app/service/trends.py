"""Several queries over time: each one's matches per bucket, and its share of every release."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from search_app.engine.histogram import bucket_range, bucket_starts, choose_interval, counts, span
from search_app.service.contract import Bucket, SearchRequest
from search_app.service.search_service import SearchService

MAX_QUERIES = 4


@dataclass(frozen=True)
class TrendBucket:
    """One query's matches within one interval, and their share of that interval's releases."""

    start: str
    count: int
    share: float  # count / releases in the interval; 0 when there are none


@dataclass(frozen=True)
class TrendSeries:
    """One query over time."""

    q: str
    total: int  # every match, dated or not
    buckets: list[TrendBucket]


@dataclass(frozen=True)
class Trends:
    """Queries over the same buckets, with the count of every release per bucket."""

    interval: str
    all: list[Bucket]  # every release (filters and dates applied) per bucket
    series: list[TrendSeries]
    warnings: list[str]


def trends(service: SearchService, queries: list[str], request: SearchRequest) -> Trends:
    """Count each query's matches (with ``request``'s filters) over the buckets of every release.

    The buckets run from the first to the last date of every release the filters keep, so
    all series share them; the interval is ``request.interval`` or chosen from that span.
    """
    everything = service.in_order(replace(request, q=""), ordered=False)
    all_days, _ = everything.table.dated_days(everything.ids)
    ends = span(all_days)
    interval = choose_interval(*ends, request.interval) if ends else request.interval or "year"
    first, last = bucket_range(interval, *ends) if ends else (0, -1)
    starts = bucket_starts(interval, first, last)
    per_bucket = counts(all_days, interval, first, last)
    series, warnings = [], list(everything.warnings)
    for q in queries:
        found = service.in_order(replace(request, q=q), ordered=False)
        warnings += [warning for warning in found.warnings if warning not in warnings]
        days, _ = found.table.dated_days(found.ids)
        matched = counts(days, interval, first, last)
        shares = np.divide(matched, per_bucket, out=np.zeros(len(matched)), where=per_bucket > 0)
        buckets = [
            TrendBucket(start, count, round(share, 6))
            for start, count, share in zip(starts, matched.tolist(), shares.tolist(), strict=True)
        ]
        series.append(TrendSeries(q, len(found), buckets))
    all_buckets = [Bucket(start, count) for start, count in zip(starts, per_bucket.tolist(), strict=True)]
    return Trends(interval, all_buckets, series, warnings)


def trends_json(found: Trends) -> dict[str, object]:
    """Return ``found`` as JSON-ready data."""
    return {
        "interval": found.interval,
        "all": [{"start": bucket.start, "count": bucket.count} for bucket in found.all],
        "series": [
            {"q": one.q, "total": one.total, "buckets": [dict(vars(bucket)) for bucket in one.buckets]}
            for one in found.series
        ],
        "warnings": found.warnings,
    }
