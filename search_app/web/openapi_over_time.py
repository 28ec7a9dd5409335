"""The OpenAPI parts of matches over time and exports: the histogram, ``/api/trends`` and
``/api/search.csv`` / ``.jsonl`` (merged into the document by :mod:`search_app.web.openapi`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from search_app.engine.histogram import MAX_BUCKETS, MAX_CHOSEN_BUCKETS
from search_app.service.contract import INTERVALS
from search_app.service.trends import MAX_QUERIES
from search_app.web.openapi import DATE, _json, _object, _query, _ref

COUNT = {"type": "integer", "minimum": 0}
INTERVAL = _query(
    "interval",
    "Histogram buckets: `day`, `week` (from Monday), `month` or `year`. Default: the finest that "
    f"gives at most {MAX_CHOSEN_BUCKETS} buckets over the span of the matches; one that would give "
    f"more than {MAX_BUCKETS} is widened.",
    {"type": "string", "enum": list(INTERVALS)},
)
BUCKET = _object({"start": DATE | {"description": "The interval's first day."}, "count": COUNT})

SCHEMAS: dict[str, Any] = {
    "Bucket": BUCKET,
    "Histogram": _object(
        {
            "interval": {"type": "string", "enum": list(INTERVALS)},
            "buckets": {"type": "array", "items": _ref("schemas", "Bucket")},
            "undated": {**COUNT, "description": "Matches without a date."},
        },
        "Every match (filters and dates applied) per interval, contiguous and zero-filled from the "
        "first matching date to the last; the counts plus `undated` make `total`.",
    ),
    "Trends": _object(
        {
            "interval": {"type": "string", "enum": list(INTERVALS)},
            "all": {
                "type": "array",
                "items": _ref("schemas", "Bucket"),
                "description": "Every release (filters and dates applied) per interval.",
            },
            "series": {
                "type": "array",
                "maxItems": MAX_QUERIES,
                "items": _object(
                    {
                        "q": {"type": "string"},
                        "total": {**COUNT, "description": "Every match, dated or not."},
                        "buckets": {
                            "type": "array",
                            "items": _object(
                                {
                                    "start": DATE,
                                    "count": COUNT,
                                    "share": {
                                        "type": "number",
                                        "minimum": 0,
                                        "maximum": 1,
                                        "description": "count / the bucket's `all` count (0 when that is 0).",
                                    },
                                }
                            ),
                        },
                    }
                ),
            },
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
        "Each query's matches per interval over the same buckets, and their share of every release.",
    ),
}

HEADERS: dict[str, Any] = {
    "X-Export-Total": {"description": "How many releases match the search.", "schema": COUNT},
    "X-Export-Rows": {"description": "How many rows this answer holds.", "schema": COUNT},
    "X-Export-Truncated": {
        "description": "`true` when there were more matches than the export cap (default 100,000).",
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
    "Content-Disposition": {
        "description": "`attachment` with a file name saying what was searched.",
        "schema": {"type": "string"},
    },
}


Responses = Callable[..., dict[str, Any]]  # openapi._responses: (ok, *error codes) -> responses


def _export(media_type: str, name: str, summary: str, parameters: list[Any], responses: Responses) -> Any:
    ok = {"description": summary, "content": {media_type: {"schema": {"type": "string"}}}}
    table = responses(ok, "400", "503")
    table["200"]["headers"] |= {header: _ref("headers", header) for header in HEADERS}
    return {"get": {"operationId": name, "summary": summary, "parameters": parameters, "responses": table}}


def paths(search_parameters: list[dict[str, Any]], responses: Responses) -> dict[str, Any]:
    """Return the paths of exports and trends; ``search_parameters`` are those of ``/api/search``."""
    unpaged = [p for p in search_parameters if p["name"] not in ("page", "per_page")]
    fields = "`id`, `title`, `date`, `url`, `source`, `tags`, `lang` (when the index has it) and `score`"
    every = "Every match of a search (at most the export cap), streamed in the search's order"
    queries = _query(
        "q",
        f"A query to follow over time; repeat it for up to {MAX_QUERIES} (`q=fraud&q=hate+crime`). "
        "Blank ones are left out.",
        {"type": "array", "items": {"type": "string"}, "maxItems": MAX_QUERIES},
        style="form",
        explode=True,
    )
    others = [p for p in search_parameters if p["name"] not in ("q", "page", "per_page", "sort")]
    return {
        "/api/search.csv": _export(
            "text/csv", "exportCsv", f"{every}, as CSV: a header row, then {fields}.", unpaged, responses
        ),
        "/api/search.jsonl": _export(
            "application/jsonl", "exportJsonLines", f"{every}, as JSON Lines: {fields}.", unpaged, responses
        ),
        "/api/trends": {
            "get": {
                "operationId": "trends",
                "summary": f"Up to {MAX_QUERIES} queries over time: matches per interval, and their "
                "share of every release.",
                "parameters": [queries, *others, INTERVAL],
                "responses": responses(_json(_ref("schemas", "Trends"), "The series."), "400", "503"),
            }
        },
    }
