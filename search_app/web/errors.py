"""One JSON error shape for the API, and friendly pages for the site."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search_app.service import IndexUnavailable
from search_app.web.paths import is_machine_path


def json_error(status: int, code: str, message: str, param: str | None = None) -> tuple[Response, int]:
    """Return the API's error response: ``{"error": {"code", "message", "param"}}``."""
    return jsonify({"error": {"code": code, "message": message, "param": param}}), status


def _wants_json() -> bool:
    """Tell whether this request is the API's or the feed's (machines), not a page (people)."""
    return is_machine_path(request.path)


def register(app: Flask) -> None:
    """Install handlers so that no error reaches a user as a traceback."""

    @app.errorhandler(IndexUnavailable)
    def index_unavailable(error: IndexUnavailable) -> tuple[Response | str, int]:
        if _wants_json():
            return json_error(503, "index_unavailable", str(error))
        return render_template("error.html", status=503, message=str(error)), 503

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        if _wants_json():
            response, status = json_error(status, code, error.description or error.name)
        else:
            response = app.make_response(
                render_template("error.html", status=status, message=error.description)
            )
        # Keep what the error says in headers, such as 405's Allow (required by RFC 9110).
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response | str, int]:
        app.logger.exception("Unexpected error on %s", request.path)
        message = "Something went wrong on our side; the error was logged."
        if _wants_json():
            return json_error(500, "internal_error", message)
        return render_template("error.html", status=500, message=message), 500
