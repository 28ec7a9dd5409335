"""Queries compared over time: ``/api/trends`` as JSON and ``/trends`` as a line chart."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from werkzeug.datastructures import MultiDict

from search_app.service import SearchRequest
from search_app.service.trends import MAX_QUERIES, Trends, trends, trends_json
from search_app.web.api import service
from search_app.web.charts import Period, line_chart
from search_app.web.errors import json_error
from search_app.web.params import BadParameter, check_strictly, search_request

bp = Blueprint("trends", __name__)

MEASURES = ("count", "share")


def read_trends(strict: bool) -> tuple[list[str], SearchRequest]:
    """Return the queries (blank ones dropped) and the filters they share, or raise :class:`BadParameter`."""
    given = request.args.getlist("q")
    if len(given) > MAX_QUERIES:  # counted as sent, empty ones too (the documented maxItems)
        raise BadParameter("q", f"at most {MAX_QUERIES} queries at once, got {len(given)}.")
    queries = [q for q in given if q.strip()]
    others = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k != "q"])
    if strict:
        check_strictly(others, service().filter_names())
    return queries, search_request(others, service().filter_names())


@bp.get("/api/trends")
def api_trends() -> Response | tuple[Response, int]:
    """Answer with up to four queries' matches per interval, and their shares of every release."""
    try:
        queries, shared = read_trends(strict=True)
    except BadParameter as bad:
        return json_error(400, "bad_parameter", bad.message, bad.param)
    return jsonify(trends_json(trends(service(), queries, shared)))


def search_link(q: str, one: Period, shared: SearchRequest) -> str:
    """Return the search page for ``q`` within ``one`` period (and the shared filters)."""
    start = max(one.start, shared.date_from) if shared.date_from else one.start
    end = min(one.end, shared.date_to) if shared.date_to else one.end
    args = [("q", q), *_filter_args(), ("from", start.isoformat()), ("to", end.isoformat())]
    return "/?" + urlencode(args)


def trends_url(queries: list[str], **changes: str | None) -> str:
    """Return this trends page with other ``queries`` or other parameters (None removes one)."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "q" and k not in changes and v]
    kept += [(k, v) for k, v in changes.items() if v is not None]
    return "/trends?" + urlencode([("q", q) for q in queries] + kept)


def _filter_args() -> list[tuple[str, str]]:
    names = set(service().filter_names())
    return [(k, v) for k, v in request.args.items(multi=True) if k in names and v]


@bp.get("/trends")
def trends_page() -> str | tuple[str, int]:
    """Show up to four queries over time as lines on one chart, with a form to change them."""
    measure = request.args.get("measure", "count")
    page = {
        "measure": measure if measure in MEASURES else "count",
        "max_queries": MAX_QUERIES,
        "trends_url": trends_url,
        "kept": [(k, v) for k, v in request.args.items(multi=True) if k != "q" and v],
    }
    try:
        queries, shared = read_trends(strict=False)
    except BadParameter as bad:
        queries = [q for q in request.args.getlist("q") if q.strip()][:MAX_QUERIES]
        return render_template("trends.html", error=bad.message, queries=queries, found=None, **page), 400
    found: Trends | None = trends(service(), queries, shared) if queries else None
    chart = None
    if found is not None:
        link = lambda q, one: search_link(q, one, shared)  # noqa: E731
        chart = line_chart(found, page["measure"] == "share", link)
    return render_template("trends.html", error=None, queries=queries, found=found, chart=chart, **page)
