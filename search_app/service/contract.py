"""What the search service takes and gives: plain dataclasses, shared by the page and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

SORTS = ("relevance", "newest", "oldest")
INTERVALS = ("day", "week", "month", "year")  # histogram buckets; weeks start on Monday
FACET_LIMIT = 10
# Facet parameter names that differ from their field names.
FACET_PARAMS = {"tag": "tags"}


class IndexUnavailable(Exception):
    """The index is missing or cannot be read."""


@dataclass(frozen=True)
class SearchRequest:
    """What to search for, which page, in which order, within which filters."""

    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    verbatim: bool = False  # search the words as typed, never a spelling correction of them
    interval: str | None = None  # of the histogram; None: chosen from the span of the matches

    @property
    def effective_sort(self) -> str:
        """Relevance for a query, newest first when listing everything."""
        if self.sort:
            return self.sort
        return "relevance" if self.q.strip() else "newest"


@dataclass(frozen=True)
class SearchHit:
    """One release in a result list."""

    id: str
    title: str
    date: str | None
    url: str | None
    tags: list[str]
    source: str | None
    score: float
    title_html: str
    snippet_html: str
    missing: list[str] = field(default_factory=list)  # query words, as typed, this release lacks
    lang: str = "en"  # ISO 639-1: the record's language, else the detected one
    dir: str = "ltr"  # "rtl" for a language written right to left (Arabic)


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class Bucket:
    """Releases dated within one interval."""

    start: str  # the interval's first day, YYYY-MM-DD
    count: int


@dataclass(frozen=True)
class Histogram:
    """Matches over time: contiguous buckets from the first matching date to the last."""

    interval: str
    buckets: list[Bucket]
    undated: int  # matches without a date (the buckets' counts plus these make the total)


@dataclass(frozen=True)
class SearchResult:
    """A page of results and everything shown around it."""

    query: str
    page: int
    per_page: int
    total: int
    pages: int
    took_ms: float
    sort: str
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None
    parsed: str
    variants: list[str]
    degraded: bool  # the query could not be read as written and was read as plain words
    warnings: list[str]  # limits that applied: a cut query, a search stopped by the time budget
    all_words_total: int = 0  # releases with every word; below ``total`` when partial matches are shown
    corrected_from: str | None = None  # the query typed, when these are the results of its correction
    histogram: Histogram = field(default_factory=lambda: Histogram("year", [], 0))


@dataclass(frozen=True)
class Release:
    """One release with all its fields."""

    id: str
    title: str
    body: str
    date: str | None
    url: str | None
    tags: list[str]
    source: str | None
    extra: dict[str, list[str]]
    lang: str = "en"
    dir: str = "ltr"


def result_json(result: SearchResult) -> dict[str, object]:
    """Return ``result`` as JSON-ready data (what ``dataclasses.asdict`` gives, without its deep copies)."""
    data = dict(vars(result))
    data["hits"] = [dict(vars(hit)) for hit in result.hits]
    data["facets"] = {name: [dict(vars(value)) for value in values] for name, values in result.facets.items()}
    data["histogram"] = histogram_json(result.histogram)
    return data


def histogram_json(histogram: Histogram) -> dict[str, object]:
    """Return ``histogram`` as JSON-ready data."""
    buckets = [{"start": bucket.start, "count": bucket.count} for bucket in histogram.buckets]
    return {"interval": histogram.interval, "buckets": buckets, "undated": histogram.undated}
