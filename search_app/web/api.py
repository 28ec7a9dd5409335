"""The JSON API: search, one release, completions, and the OpenAPI document that describes them."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from search_app.service import SearchService
from search_app.service.contract import IndexUnavailable, SearchResult, result_json
from search_app.web.errors import json_error
from search_app.web.openapi import openapi_document
from search_app.web.params import BadParameter, search_request

bp = Blueprint("api", __name__, url_prefix="/api")

# Offered by a fresh index; the OpenAPI document names these when there is no index to ask.
DEFAULT_FILTERS = ["year", "tag", "source", "lang"]


def service() -> SearchService:
    """Return the app's search service."""
    found: SearchService = current_app.extensions["search_service"]
    return found


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
        search_args = search_request(request.args, service().filter_names(), strict=True)
    except BadParameter as bad:
        return json_error(400, "bad_parameter", bad.message, bad.param)
    result = service().search(search_args)
    return jsonify({**result_json(result), "links": page_links(result)})


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
