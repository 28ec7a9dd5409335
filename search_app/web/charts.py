"""Geometry of the server-drawn SVG charts: a histogram's bars, trend lines, and their time axis.

Positions are percentages of the plot, so a chart stretches to any width (360 px phones
included) while its text keeps its size; templates only place what is computed here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from search_app.service.contract import Histogram
from search_app.service.trends import Trends

# Labels on the time axis (years, or months as "Oct 2017"); every other one is hidden on narrow screens.
MAX_YEAR_TICKS, MAX_MONTH_TICKS = 12, 8
TOP, BOTTOM = 6.0, 100.0  # the plot's vertical extent, in percent: room above the highest point
MIN_BAR = 2.0  # a bar of one release among thousands still shows (percent of the plot)


@dataclass(frozen=True)
class Period:
    """The days of one bucket, and how to name it."""

    start: dt.date
    end: dt.date
    label: str  # "October 2017", "Week of 2 October 2017", ...
    short: str  # for the axis: "2017", "Oct 2017"


def period(start: str, interval: str) -> Period:
    """Return the period of the bucket starting on ``start``.

    >>> october = period("2017-10-01", "month")
    >>> october.end, october.label, october.short
    (datetime.date(2017, 10, 31), 'October 2017', 'Oct 2017')
    >>> period("2017-10-02", "week").label
    'Week of 2 October 2017'
    """
    first = dt.date.fromisoformat(start)
    month = f"{calendar.month_abbr[first.month]} {first.year}"
    if interval == "year":
        return Period(first, dt.date(first.year, 12, 31), str(first.year), str(first.year))
    if interval == "month":
        last = dt.date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
        return Period(first, last, f"{calendar.month_name[first.month]} {first.year}", month)
    day = f"{first.day} {calendar.month_name[first.month]} {first.year}"
    if interval == "week":
        return Period(first, first + dt.timedelta(days=6), f"Week of {day}", month)
    return Period(first, first, day, month)


@dataclass(frozen=True)
class Tick:
    """One label of the time axis."""

    x: float  # percent of the width
    label: str
    anchor: str  # SVG text-anchor: start, middle or end (labels at the edges stay inside)
    minor: bool  # hidden on narrow screens


def ticks(periods: list[Period], interval: str) -> list[Tick]:
    """Return the axis labels: years, or months for spans under two years (a dozen labels at most)."""
    if not periods:
        return []
    years = periods[-1].start.year - periods[0].start.year
    by_year = interval == "year" or years >= 2
    marks = []
    for number, one in enumerate(periods):
        previous = periods[number - 1].start if number else None
        new = previous is None or (
            one.start.year != previous.year if by_year else one.start.month != previous.month
        )
        if new:
            marks.append((number, str(one.start.year) if by_year else one.short))
    marks = marks[:: math.ceil(len(marks) / (MAX_YEAR_TICKS if by_year else MAX_MONTH_TICKS))]
    width = 100 / len(periods)
    found = []
    for place, (number, label) in enumerate(marks):
        x = (number + 0.5) * width
        anchor = "start" if x < 4 else "end" if x > 96 else "middle"
        x += {"start": -width / 2, "end": width / 2, "middle": 0}[anchor]  # from the edge of its slot
        found.append(Tick(round(x, 3), label, anchor, place % 2 == 1))
    return found


@dataclass(frozen=True)
class Bar:
    """One bucket of a histogram: where it stands, what it says, where it leads."""

    x: float
    width: float
    y: float
    height: float
    count: int
    period: Period
    label: str  # "October 2017: 3 releases"
    href: str


@dataclass(frozen=True)
class BarChart:
    """A histogram ready to draw."""

    interval: str
    bars: list[Bar]
    ticks: list[Tick]
    peak: int
    undated: int


def releases(count: int) -> str:
    """Return ``count`` releases in words.

    >>> releases(1), releases(12345)
    ('1 release', '12,345 releases')
    """
    return f"{count:,} release{'' if count == 1 else 's'}"


def bar_chart(histogram: Histogram, link: Callable[[Period], str]) -> BarChart:
    """Place the bars of ``histogram``; ``link`` gives the search narrowed to a period."""
    periods = [period(bucket.start, histogram.interval) for bucket in histogram.buckets]
    peak = max((bucket.count for bucket in histogram.buckets), default=0)
    slot = 100 / max(1, len(periods))
    bars = []
    for number, (bucket, one) in enumerate(zip(histogram.buckets, periods, strict=True)):
        height = _height(bucket.count / peak if peak else 0.0)
        bars.append(
            Bar(
                x=round(number * slot + slot * 0.1, 3),
                width=round(slot * 0.8, 3),
                y=round(BOTTOM - height, 3),
                height=round(height, 3),
                count=bucket.count,
                period=one,
                label=f"{one.label}: {releases(bucket.count)}",
                href=link(one),
            )
        )
    return BarChart(histogram.interval, bars, ticks(periods, histogram.interval), peak, histogram.undated)


def _height(fraction: float) -> float:
    return 0.0 if fraction <= 0 else max(MIN_BAR, fraction * (BOTTOM - TOP))


@dataclass(frozen=True)
class Point:
    """One query's value in one bucket."""

    x: float
    y: float
    label: str  # "fraud, 2016: 512 releases (38.2% of 1,340)"
    href: str


@dataclass(frozen=True)
class Line:
    """One query drawn as a line: its segments and its points."""

    q: str
    total: int
    segments: list[tuple[float, float, float, float]]  # x1, y1, x2, y2
    points: list[Point]


@dataclass(frozen=True)
class LineChart:
    """Trends ready to draw."""

    lines: list[Line]
    ticks: list[Tick]
    peak_label: str  # the value at the top of the plot
    periods: list[Period]


def line_chart(found: Trends, shares: bool, link: Callable[[str, Period], str]) -> LineChart:
    """Place one line per query of ``found``, in counts or in ``shares`` of every release."""
    periods = [period(bucket.start, found.interval) for bucket in found.all]
    values = [[b.share if shares else b.count for b in one.buckets] for one in found.series]
    peak = max((value for row in values for value in row), default=0) or 1
    slot = 100 / max(1, len(periods))
    lines = []
    for one, row in zip(found.series, values, strict=True):
        points = []
        for number, (bucket, value, when) in enumerate(zip(one.buckets, row, periods, strict=True)):
            share = f"{bucket.share:.1%} of {found.all[number].count:,}"
            label = f"{one.q}, {when.label}: {releases(bucket.count)} ({share})"
            y = round(BOTTOM - value / peak * (BOTTOM - TOP), 3)
            points.append(Point(round((number + 0.5) * slot, 3), y, label, link(one.q, when)))
        segments = [(a.x, a.y, b.x, b.y) for a, b in zip(points, points[1:], strict=False)]
        lines.append(Line(one.q, one.total, segments, points))
    peak_label = f"{peak:.1%}" if shares else f"{int(peak):,}"
    return LineChart(lines, ticks(periods, found.interval), peak_label, periods)
