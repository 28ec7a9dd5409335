"""The JSON API: search, one release, completions, and the OpenAPI document that describes them."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from werkzeug.datastructures import MultiDict

from search_app.contract import SORTS, IndexUnavailable, SearchResult
from search_app.errors import json_error
from search_app.openapi import openapi_document
from search_app.params import MAX_FILTER_VALUES, BadParameter, search_request
from search_app.service import SearchService

bp = Blueprint("api", __name__, url_prefix="/api")

# Offered by a fresh index; the OpenAPI document names these when there is no index to ask.
DEFAULT_FILTERS = ["year", "tag", "source"]
SCALARS = ("q", "page", "per_page", "sort", "from", "to")
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# How each value must be written, and what to say when it is not.
PLAIN = {
    "page": (r"[0-9]+", "page must be a whole number"),
    "per_page": (r"[0-9]+", "per_page must be a whole number"),
    "sort": (r".+", f"sort must be one of {', '.join(SORTS)}"),
    "from": (ISO_DATE, "from must be a date as YYYY-MM-DD"),
    "to": (ISO_DATE, "to must be a date as YYYY-MM-DD"),
}


def service() -> SearchService:
    """Return the app's search service."""
    found: SearchService = current_app.extensions["search_service"]
    return found


def check_strictly(args: MultiDict[str, str], filter_names: Iterable[str]) -> None:
    """Raise :class:`BadParameter` for what the search page forgives but the API's contract does not.

    That is a parameter given twice or given empty (``q`` may be empty), a number or date not
    written plainly (`` 5``, ``1_0``, ``20180101``), and more filter values than allowed even
    when some repeat or are empty.
    """
    for name in SCALARS:
        values = args.getlist(name)
        if len(values) > 1:
            raise BadParameter(name, f"{name} must be given once, got it {len(values)} times.")
        if name in PLAIN and values and not re.fullmatch(PLAIN[name][0], values[0], re.ASCII):
            raise BadParameter(name, f"{PLAIN[name][1]}, got {values[0][:40]!r}.")
    for name in filter_names:
        if len(args.getlist(name)) > MAX_FILTER_VALUES:
            raise BadParameter(name, f"at most {MAX_FILTER_VALUES} values of {name} at once.")


def page_url(page: int) -> str:
    """Return the root-relative URL of this request with ``page`` changed and every other parameter kept."""
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "page"]
    args.append(("page", str(page)))
    return f"{request.script_root}{request.path}?{urlencode(args)}"


def page_links(result: SearchResult) -> dict[str, str | None]:
    """Return links to this page of ``result``, its neighbours and its ends (None where there is none)."""
    return {
        "self": page_url(result.page),
        "next": page_url(result.page + 1) if result.page < result.pages else None,
        "prev": page_url(min(result.page - 1, result.pages)) if result.page > 1 else None,
        "first": page_url(1),
        "last": page_url(result.pages),
    }


@bp.get("/search")
def search() -> Response | tuple[Response, int]:
    """Search releases and answer with a page of highlighted hits."""
    try:
        check_strictly(request.args, service().filter_names())
        search_args = search_request(request.args, service().filter_names())
    except BadParameter as bad:
        return json_error(400, "bad_parameter", bad.message, bad.param)
    result = service().search(search_args)
    return jsonify({**dataclasses.asdict(result), "links": page_links(result)})


@bp.get("/suggest")
def suggest() -> Response | tuple[Response, int]:
    """Answer with completions (titles, tags, name variants) for a search box."""
    if (given := len(request.args.getlist("q"))) > 1:
        return json_error(400, "bad_parameter", f"q must be given once, got it {given} times.", "q")
    typed = request.args.get("q", "")
    completions = service().suggest(typed)
    return jsonify({"query": typed, "suggestions": [dataclasses.asdict(c) for c in completions]})


@bp.get("/releases/<path:release_id>")
def release(release_id: str) -> Response | tuple[Response, int]:
    """Answer with one release and all its fields."""
    found = service().release(release_id)
    if found is None:
        return json_error(404, "not_found", f"No release with id {release_id!r}.", "id")
    data = dataclasses.asdict(found)
    data["related"] = [hit.id for hit in service().related(release_id)]
    return jsonify(data)


def filter_names() -> list[str]:
    """Return the live index's facet filter names, or the usual ones when there is no index."""
    try:
        return service().filter_names()
    except IndexUnavailable:
        return DEFAULT_FILTERS


@bp.get("/openapi.json")
def openapi() -> Response:
    """Answer with the OpenAPI document of the API, naming the live index's facet filters."""
    return jsonify(openapi_document(filter_names()))


@bp.get("/")
def index() -> str:
    """Show a short page about the API with example requests."""
    return render_template("api_index.html", filters=filter_names())
