"""Every match of a search as CSV or JSON Lines, streamed: ``/api/search.csv`` and ``/api/search.jsonl``.

Settings (app config, default from the environment):

- ``EXPORT_MAX_ROWS``: the most rows one export gives (default 100,000); beyond it the answer
  is cut and says so in ``X-Export-Truncated``. Env: ``RELEASE_SEARCH_EXPORT_MAX_ROWS``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request, stream_with_context

from search_app.service import SearchRequest
from search_app.web.api import service
from search_app.web.errors import json_error
from search_app.web.params import BadParameter, search_request

bp = Blueprint("export", __name__, url_prefix="/api")

MAX_ROWS_ENV = "RELEASE_SEARCH_EXPORT_MAX_ROWS"
DEFAULT_MAX_ROWS = 100_000
ROWS_PER_CHUNK = 500  # rows written to the client at a time
TAG_SEPARATOR = "; "  # between the tags of one release in a CSV cell
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/jsonl"}
_to_json = json.JSONEncoder(
    ensure_ascii=False
).encode  # one encoder: json.dumps(..., ensure_ascii=False) makes one a row


@bp.get("/search.csv")
def search_csv() -> Response | tuple[Response, int]:
    """Answer with every match of a search as CSV, a header row first."""
    return _export("csv")


@bp.get("/search.jsonl")
def search_jsonl() -> Response | tuple[Response, int]:
    """Answer with every match of a search as JSON Lines, one release a line."""
    return _export("jsonl")


def _export(kind: str) -> Response | tuple[Response, int]:
    try:
        search_args = search_request(request.args, service().filter_names(), strict=True)
    except BadParameter as bad:
        return json_error(400, "bad_parameter", bad.message, bad.param)
    matches = service().in_order(search_args)
    cap = current_app.config["EXPORT_MAX_ROWS"]
    rows = matches.rows(cap)
    body = csv_chunks(rows, matches.fields()) if kind == "csv" else chunks(jsonl_lines(rows))
    response = Response(stream_with_context(body), mimetype=MEDIA_TYPES[kind])
    response.implicit_sequence_conversion = False  # nothing after this (validators, 304s) may buffer it
    response.headers["Content-Disposition"] = f'attachment; filename="{export_filename(search_args, kind)}"'
    response.headers["X-Export-Total"] = str(len(matches))
    response.headers["X-Export-Rows"] = str(min(len(matches), cap))
    response.headers["X-Export-Truncated"] = "true" if len(matches) > cap else "false"
    return response


def csv_chunks(rows: Iterable[dict[str, Any]], fields: list[str]) -> Iterator[str]:
    """Yield a header line, then the rows as CSV (tags joined by ``; ``, None as empty), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fields)
    for number, row in enumerate(rows, 1):
        row["tags"] = TAG_SEPARATOR.join(row["tags"])
        writer.writerow([row[name] for name in fields])
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Yield one JSON object per row, each on its own line."""
    for row in rows:
        yield _to_json(row) + "\n"


def chunks(lines: Iterable[str]) -> Iterator[str]:
    """Join ``lines`` into chunks of :data:`ROWS_PER_CHUNK`, fewer and larger writes to the client."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == ROWS_PER_CHUNK:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def export_filename(search_args: SearchRequest, extension: str) -> str:
    """Return a file name saying what was searched, in ASCII letters, digits and dashes.

    >>> import datetime as dt
    >>> export_filename(SearchRequest(q='"Hate crime"', filters={"tag": ("Civil Rights",)}), "csv")
    'releases-hate-crime-tag-civil-rights.csv'
    >>> export_filename(SearchRequest(date_from=dt.date(2016, 1, 1)), "jsonl")
    'releases-all-from-2016-01-01.jsonl'
    """
    parts = [search_args.q.strip() or "all"]
    for name, values in sorted(search_args.filters.items()):
        parts += [name, *values]
    if search_args.date_from:
        parts += ["from", search_args.date_from.isoformat()]
    if search_args.date_to:
        parts += ["to", search_args.date_to.isoformat()]
    if search_args.sort:
        parts += [search_args.sort]
    ascii_text = unicodedata.normalize("NFKD", " ".join(parts)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].strip("-")
    return f"releases-{slug or 'search'}.{extension}"


def max_rows(setting: Any) -> int:
    """Return the export cap from a setting (a number, or its text from the environment)."""
    try:
        value = int(setting)
    except (TypeError, ValueError):
        raise SystemExit(f"{MAX_ROWS_ENV} must be a whole number, not {setting!r}") from None
    return max(0, value)


def register(app: Flask) -> None:
    """Install the export routes and their setting on ``app``."""
    app.config.setdefault("EXPORT_MAX_ROWS", os.environ.get(MAX_ROWS_ENV) or DEFAULT_MAX_ROWS)
    app.config["EXPORT_MAX_ROWS"] = max_rows(app.config["EXPORT_MAX_ROWS"])
    app.register_blueprint(bp)
