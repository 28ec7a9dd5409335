"""Matches over time: the histogram of a search, the trends of several, and their pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import SEED_CORPUS
from flask.testing import FlaskClient

from indexer import reindex
from search_app import create_app

STEP = {
    "day": lambda day: day + dt.timedelta(days=1),
    "week": lambda day: day + dt.timedelta(days=7),
    "month": lambda day: (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1),
    "year": lambda day: day.replace(year=day.year + 1),
}


def check_histogram(data: dict[str, Any]) -> list[tuple[str, int]]:
    """Assert what every histogram promises; return its (start, count) pairs."""
    histogram = data["histogram"]
    buckets = [(bucket["start"], bucket["count"]) for bucket in histogram["buckets"]]
    assert sum(count for _, count in buckets) + histogram["undated"] == data["total"]
    starts = [dt.date.fromisoformat(start) for start, _ in buckets]
    for day in starts:  # each bucket starts on the first day of its interval
        assert {"day": True, "week": day.weekday() == 0, "month": day.day == 1}.get(
            histogram["interval"], day.timetuple().tm_yday == 1
        )
    step = STEP[histogram["interval"]]
    assert all(step(a) == b for a, b in zip(starts, starts[1:], strict=False))  # contiguous
    if buckets:
        assert buckets[0][1] > 0 and buckets[-1][1] > 0  # from the first matching date to the last
    return buckets


@pytest.mark.parametrize("query", ["q=", "q=daesh", "q=raqqa", "tag=Iraq", "q=xyzzy", "q=&interval=day"])
def test_seed_histogram_sums_to_the_total_and_is_contiguous(client: FlaskClient, query: str) -> None:
    data = client.get(f"/api/search?{query}").get_json()
    check_histogram(data)


def test_seed_histogram_counts_undated_releases_apart(client: FlaskClient) -> None:
    data = client.get("/api/search?q=&interval=month").get_json()
    assert check_histogram(data) == [
        ("2017-10-01", 2),
        ("2017-11-01", 0),
        ("2017-12-01", 0),
        ("2018-01-01", 0),
        ("2018-02-01", 2),
    ]
    assert data["histogram"]["undated"] == 8


@pytest.fixture(scope="module")
def dated_client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """An app over releases with known dates, two of them undated."""
    root = tmp_path_factory.mktemp("dated")
    corpus = root / "corpus"
    corpus.mkdir()
    dates = ["2016-01-15", "2016-01-20", "2016-03-02", "2017-12-31", None, None]
    for number, date in enumerate(dates):
        front = f"title: Fraud case {number}\n" + (f"date: '{date}'\n" if date else "")
        tags = "tags: [Tax]\n" if number % 2 == 0 else ""
        (corpus / f"case-{number}.md").write_text(
            f"---\n{front}{tags}---\nA fraud scheme, number {number}.\n"
        )
    (corpus / "other.md").write_text("---\ntitle: Antitrust ruling\ndate: '2016-02-10'\n---\nA merger.\n")
    index = root / "index"
    assert reindex(corpus, index).documents == 7
    app = create_app({"INDEX_DIR": index, "VARIANTS_PATH": SEED_CORPUS / "variants.txt", "TESTING": True})
    return app.test_client()


@pytest.mark.parametrize(
    ("query", "interval", "expected", "undated"),
    [
        ("q=fraud&interval=year", "year", [("2016-01-01", 3), ("2017-01-01", 1)], 2),
        ("q=fraud", "month", [("2016-01-01", 2), ("2016-02-01", 0), ("2016-03-01", 1)], 2),
        ("q=fraud&interval=week&to=2016-01-31", "week", [("2016-01-11", 1), ("2016-01-18", 1)], 0),
        (
            "q=fraud&from=2016-01-01&to=2016-01-31",
            "day",
            [("2016-01-15", 1)] + [(f"2016-01-{d}", 0) for d in range(16, 20)] + [("2016-01-20", 1)],
            0,
        ),
        ("q=fraud&tag=Tax&interval=year", "year", [("2016-01-01", 2)], 1),
        ("q=", "month", [("2016-01-01", 2), ("2016-02-01", 1), ("2016-03-01", 1)], 2),
    ],
    ids=["years", "months-chosen", "weeks-from-monday", "days-in-a-date-range", "tag-filter", "everything"],
)
def test_histogram_of_known_dates(
    dated_client: FlaskClient, query: str, interval: str, expected: list[tuple[str, int]], undated: int
) -> None:
    data = dated_client.get(f"/api/search?{query}").get_json()
    buckets = check_histogram(data)
    assert data["histogram"]["interval"] == interval
    assert buckets[: len(expected)] == expected
    assert data["histogram"]["undated"] == undated


def test_chosen_interval_runs_from_first_to_last_month(dated_client: FlaskClient) -> None:
    buckets = check_histogram(dated_client.get("/api/search?q=fraud").get_json())
    assert len(buckets) == 24 and buckets[-1] == ("2017-12-01", 1)  # January 2016 to December 2017


@pytest.mark.parametrize(
    "query", ["q=fraud&q=antitrust", "q=fraud&q=antitrust&interval=month", "q=fraud&tag=Tax&q=ruling"]
)
def test_trends_shares_are_counts_over_every_release(dated_client: FlaskClient, query: str) -> None:
    data = dated_client.get(f"/api/trends?{query}").get_json()
    all_counts = [bucket["count"] for bucket in data["all"]]
    for series in data["series"]:
        assert [b["start"] for b in series["buckets"]] == [b["start"] for b in data["all"]]
        for bucket, every in zip(series["buckets"], all_counts, strict=True):
            assert bucket["count"] <= every
            assert bucket["share"] == pytest.approx(bucket["count"] / every if every else 0.0, abs=1e-6)
        search = dated_client.get(
            "/api/search?" + re.sub(r"q=[^&]*", "", query) + f"&q={series['q']}"
        ).get_json()
        assert series["total"] == search["total"]


def test_trends_count_every_release_with_the_filters(dated_client: FlaskClient) -> None:
    data = dated_client.get("/api/trends?q=fraud&q=merger&interval=year").get_json()
    assert data["interval"] == "year"
    assert data["all"] == [{"start": "2016-01-01", "count": 4}, {"start": "2017-01-01", "count": 1}]
    fraud, merger = data["series"]
    assert [(b["count"], b["share"]) for b in fraud["buckets"]] == [(3, 0.75), (1, 1.0)]
    assert [(b["count"], b["share"]) for b in merger["buckets"]] == [(1, 0.25), (0, 0.0)]
    assert (fraud["total"], merger["total"]) == (6, 1)


@pytest.mark.parametrize(
    ("url", "param", "message"),
    [
        ("/api/trends?q=a&q=b&q=c&q=d&q=e", "q", "at most 4 queries at once, got 5."),
        (
            "/api/trends?q=a&interval=hour",
            "interval",
            "interval must be one of day, week, month, year, got 'hour'.",
        ),
        (
            "/api/search?q=a&interval=decade",
            "interval",
            "interval must be one of day, week, month, year, got 'decade'.",
        ),
        ("/api/search?interval=", "interval", "interval must be one of day, week, month, year, got ''."),
    ],
)
def test_bad_interval_and_too_many_queries_are_400s(
    client: FlaskClient, url: str, param: str, message: str
) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": "bad_parameter", "message": message, "param": param}}


def bar_links(html: str) -> list[tuple[str, str]]:
    """Return (label, href) of the histogram's bars."""
    found = re.findall(r'<a href="([^"]+)" aria-label="([^"]+)">\s*<title>', html)
    return [(label, href.replace("&amp;", "&")) for href, label in found]


def test_results_page_draws_bars_that_narrow_to_their_period(client: FlaskClient) -> None:
    html = client.get("/?q=daesh&from=2017-10-22").data.decode()
    assert "Releases per week" in html
    bars = bar_links(html)
    assert bars[0][0] == "Week of 23 October 2017: 1 release"
    assert [label.split(": ")[1] for label, _ in bars] == ["1 release", "2 releases"]
    args = parse_qs(urlparse(bars[0][1]).query)
    assert args == {"q": ["daesh"], "from": ["2017-10-23"], "to": ["2017-10-29"]}
    first_week = client.get(bars[0][1]).data.decode()
    assert "1 release for “daesh”" in first_week
    assert '<th scope="col">Week</th>' in html and "Week of 6 November 2017</td><td>0</td>" in html


def test_results_page_links_to_exports_and_trends(client: FlaskClient) -> None:
    html = client.get("/?q=daesh&tag=Iraq&page=2&per_page=2").data.decode()
    assert 'href="/api/search.csv?q=daesh&amp;tag=Iraq"' in html
    assert 'href="/api/search.jsonl?q=daesh&amp;tag=Iraq"' in html
    assert '<a class="trends-link" href="/trends?q=daesh&amp;tag=Iraq">Compare over time</a>' in html


def test_trends_page_draws_a_line_and_a_legend_per_query(client: FlaskClient) -> None:
    html = client.get("/trends?q=daesh&q=raqqa&q=").data.decode()
    assert len(re.findall(r'<g class="series-\d">', html)) == 2
    assert re.search(r'<a href="/\?q=daesh">daesh</a> <span class="facet-count">9</span>', html)
    assert 'href="/trends?q=daesh" aria-label="Remove raqqa"' in html
    assert 'href="/trends?q=daesh&amp;q=raqqa&amp;measure=share"' in html
    assert html.count('id="trend-q-') == 3  # two queries and room for a third


def test_trends_page_with_five_queries_says_so(client: FlaskClient) -> None:
    response = client.get("/trends?q=a&q=b&q=c&q=d&q=e")
    assert response.status_code == 400
    assert "at most 4 queries at once, got 5." in response.data.decode()


def test_trends_page_without_queries_offers_the_form(client: FlaskClient) -> None:
    html = client.get("/trends").data.decode()
    assert "Compare searches over time" in html and html.count('id="trend-q-') == 1
