"""The HTML pages: search, one release, and the health check."""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, jsonify, render_template, request
from werkzeug.datastructures import MultiDict

from indexer.languages import language_label
from search_app.service import IndexUnavailable, SearchRequest
from search_app.web.api import service
from search_app.web.charts import Period, bar_chart
from search_app.web.params import BadParameter, search_request

bp = Blueprint("pages", __name__)


def url_with(**changes: str | list[str] | None) -> str:
    """Return the current search URL with some parameters changed (None removes).

    Any change other than ``page`` goes back to page 1.
    """
    args = MultiDict(request.args)
    if "page" not in changes:
        args.pop("page", None)
    for name, value in changes.items():
        args.pop(name, None)
        if value is None:
            continue
        for item in [value] if isinstance(value, str) else value:
            args.add(name, item)
    query = urlencode([(k, v) for k, v in args.items(multi=True) if v != ""])
    return "/?" + query if query else "/"


@bp.app_context_processor
def template_helpers() -> dict[str, object]:
    return {"url_with": url_with, "language_label": language_label}


@bp.get("/")
def search() -> str | tuple[str, int]:
    """Show the search box and, when asked, a page of results."""
    facet_names = service().filter_names()
    try:
        search_args = search_request(request.args, facet_names)
    except BadParameter as bad:
        return render_template("search.html", error=bad.message, result=None, args=request.args), 400
    result = service().search(search_args)
    note = None
    if result.total and search_args.page > result.pages:
        note = f"There are only {result.pages} pages of results; this is the last one."
        search_args = dataclasses.replace(search_args, page=result.pages)
        result = service().search(search_args)
    return render_template(
        "search.html",
        result=result,
        request_args=search_args,
        note=note,
        relaxations=relaxations(search_args) if not result.total else [],
        date_presets=date_presets(dt.date.today()),
        feed_url="/feed.atom?" + urlencode(_search_params(), doseq=True),
        histogram=bar_chart(result.histogram, lambda one: narrowed(one, search_args)),
        export_query=urlencode([(k, v) for k, v in _search_params() if k != "interval"]),
        facet_params=dict(zip(service().facet_fields(), facet_names, strict=True)),
        back=request.query_string.decode("utf-8", "replace"),
        error=None,
    )


@dataclasses.dataclass(frozen=True)
class Relaxation:
    """A filter the user could drop, and how many releases that would give."""

    label: str
    url: str
    total: int


def relaxations(search_args: SearchRequest) -> list[Relaxation]:
    """For an empty result, count what dropping each filter (or the date range) would give."""
    found = []
    for param, values in search_args.filters.items():
        for value in values:
            kept = {
                k: tuple(v for v in vs if not (k == param and v == value))
                for k, vs in search_args.filters.items()
            }
            wider = dataclasses.replace(
                search_args, page=1, per_page=1, filters={k: v for k, v in kept.items() if v}
            )
            remaining = [v for v in request.args.getlist(param) if v != value]
            found.append(
                Relaxation(f"{param}: {value}", url_with(**{param: remaining}), service().search(wider).total)
            )
    if search_args.date_from or search_args.date_to:
        wider = dataclasses.replace(search_args, page=1, per_page=1, date_from=None, date_to=None)
        found.append(
            Relaxation(
                "the date range", url_with(**{"from": None, "to": None}), service().search(wider).total
            )
        )
    return [item for item in found if item.total]


def narrowed(one: Period, search_args: SearchRequest) -> str:
    """Return this search narrowed to the days of ``one`` (within its own date range)."""
    start = max(one.start, search_args.date_from) if search_args.date_from else one.start
    end = min(one.end, search_args.date_to) if search_args.date_to else one.end
    return url_with(**{"from": start.isoformat(), "to": end.isoformat(), "interval": None})


def date_presets(today: dt.date) -> list[tuple[str, str]]:
    """Return (label, from-date) pairs for the date-range shortcuts."""
    spans = [("Past month", 31), ("Past year", 365), ("Past 5 years", 5 * 365 + 1)]
    return [(label, (today - dt.timedelta(days=days)).isoformat()) for label, days in spans]


def _search_params() -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page") and v]


@bp.get("/releases/<path:release_id>")
def release(release_id: str) -> str:
    """Show one release in full, with the search words highlighted."""
    found = service().release(release_id)
    if found is None:
        abort(404, description=f"There is no release with id {release_id!r}.")
    q = request.args.get("q", "")
    title_html, body_html = service().highlight_release(found, q)
    back = request.args.get("back", "")
    return render_template(
        "release.html",
        release=found,
        title_html=title_html,
        body_html=body_html,
        related=service().related(release_id),
        back_url="/?" + back if back and not back.startswith(("/", "\\")) else "/",
        q=q,
    )


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report whether the index is readable, with its size and generation."""
    try:
        return jsonify(service().health()), 200
    except IndexUnavailable as exc:
        return jsonify({"status": "unavailable", "message": str(exc)}), 503
