"""The JSON API: ``/api/search`` and ``/api/releases/<id>``."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, Response, current_app, jsonify, request

from search_app.errors import json_error
from search_app.params import BadParameter, search_request
from search_app.service import SearchService

bp = Blueprint("api", __name__, url_prefix="/api")


def service() -> SearchService:
    """Return the app's search service."""
    found: SearchService = current_app.extensions["search_service"]
    return found


@bp.get("/search")
def search() -> Response | tuple[Response, int]:
    """Search releases and answer with a page of highlighted hits."""
    try:
        search_args = search_request(request.args, service().filter_names())
    except BadParameter as bad:
        return json_error(400, "bad_parameter", bad.message, bad.param)
    result = dataclasses.asdict(service().search(search_args))
    return jsonify(result)


@bp.get("/suggest")
def suggest() -> Response:
    """Answer with completions (titles, tags, name variants) for a search box."""
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
