"""The OpenAPI 3.1 document of the JSON API and the feed, served at ``/api/openapi.json``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from search_app.service.contract import SORTS
from search_app.web.params import MAX_FILTER_VALUES, MAX_PAGE, MAX_PER_PAGE

JSON = "application/json"
NULLABLE_STRING = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date", "example": "2017-10-20"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
STRINGS = {"type": "array", "items": {"type": "string"}}
# Every hit and release says its language, and the direction to show its text in.
LANGUAGE_PROPERTIES = {
    "lang": {
        "type": "string",
        "description": "ISO 639-1 code: the record's language, else the detected one.",
    },
    "dir": {"type": "string", "enum": ["ltr", "rtl"], "description": "Text direction (rtl for Arabic)."},
}
INTEGER = {"type": "integer", "minimum": 1}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """Return a closed object schema in which every property is required."""
    schema = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    return {"description": description, **schema} if description else schema


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


def _search_parameters(filter_names: Iterable[str]) -> list[dict[str, Any]]:
    """Return the parameters shared by ``/api/search`` and ``/feed.atom``."""
    parameters = [
        _query(
            "q",
            'The query: words (every inflection matches), `"phrases"`, `AND`/`OR`/`NOT`, `-word`, '
            "`field:value`, `prefix*`, `word~`. Malformed queries are read as plain words. "
            "Empty: every release.",
            {"type": "string", "default": ""},
            example="liberated",
        ),
        _query("page", "Page number, from 1 (default).", INTEGER | {"maximum": MAX_PAGE}),
        _query(
            "per_page",
            "Hits per page (default 10; 20 for the feed).",
            INTEGER | {"maximum": MAX_PER_PAGE},
        ),
        _query(
            "sort",
            "Order: relevance, or by date. Default: relevance for a query, newest first without one "
            "and for the feed.",
            {"type": "string", "enum": list(SORTS)},
        ),
        _query("from", "Earliest release date (inclusive). Must not be after `to`.", DATE),
        _query("to", "Latest release date (inclusive).", DATE),
        _query(
            "verbatim",
            "1: search the words as typed, never a spelling correction of them (see `corrected_from`).",
            {"type": "string", "enum": ["0", "1"]},
        ),
    ]
    for name in filter_names:
        parameters.append(
            _query(
                name,
                f"Facet filter; repeat it for several values, all of which must match "
                f"(`{name}=a&{name}=b`). At most {MAX_FILTER_VALUES} distinct values.",
                {"type": "array", "items": {"type": "string"}, "maxItems": MAX_FILTER_VALUES},
                style="form",
                explode=True,
            )
        )
    return parameters


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def _cached(response: dict[str, Any]) -> dict[str, Any]:
    """Return ``response`` with the caching headers every successful answer carries."""
    return {**response, "headers": {name: _ref("headers", name) for name in ("ETag", "Last-Modified")}}


def _responses(ok: dict[str, Any], *errors: str) -> dict[str, Any]:
    table: dict[str, Any] = {"200": _cached(ok), "304": _ref("responses", "NotModified")}
    names = {"400": "BadParameter", "404": "NotFound", "503": "IndexUnavailable"}
    for code in errors:
        table[code] = _ref("responses", names[code])
    return table


SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {"type": "string", "examples": ["bad_parameter", "not_found"]},
                    "message": {"type": "string"},
                    "param": {**NULLABLE_STRING, "description": "The parameter at fault, if any."},
                }
            )
        },
        "Every error under /api (and of the feed) has this shape.",
    ),
    "Hit": _object(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "date": NULLABLE_DATE,
            "url": {**NULLABLE_STRING, "description": "The original release, when known."},
            "tags": STRINGS,
            "source": NULLABLE_STRING,
            "score": {"type": "number", "description": "Relevance; 0 when sorted by date."},
            "title_html": {"type": "string", "description": "Escaped title, matched words in `<mark>`."},
            "snippet_html": {"type": "string", "description": "Escaped excerpt, matched words in `<mark>`."},
            "missing": {
                **STRINGS,
                "description": "Query words, as typed, this release lacks (partial matches only).",
            },
            **LANGUAGE_PROPERTIES,
        }
    ),
    "FacetValue": _object({"value": {"type": "string"}, "count": {"type": "integer", "minimum": 1}}),
    "Links": _object(
        {
            name: {**NULLABLE_STRING, "format": "uri-reference"}
            for name in ("self", "next", "prev", "first", "last")
        },
        "Root-relative URLs of this page and its neighbours, every other parameter kept; null where none.",
    ),
    "SearchResult": _object(
        {
            "query": {"type": "string"},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "took_ms": {"type": "number", "minimum": 0},
            "sort": {"type": "string", "enum": list(SORTS)},
            "hits": {"type": "array", "items": _ref("schemas", "Hit")},
            "facets": {
                "type": "object",
                "description": "Facet name (`year`, `tags`, `source`, …) to its ten commonest values.",
                "additionalProperties": {"type": "array", "items": _ref("schemas", "FacetValue")},
            },
            "suggestion": {**NULLABLE_STRING, "description": "Did-you-mean, for few or no hits."},
            "parsed": {"type": "string", "description": "The query as it was read."},
            "variants": {**STRINGS, "description": "Name variants also searched for."},
            "degraded": {"type": "boolean", "description": "The query was read as plain words."},
            "warnings": {
                **STRINGS,
                "description": "Limits that applied: a cut query, a search stopped early.",
            },
            "all_words_total": {
                "type": "integer",
                "minimum": 0,
                "description": "Releases with every word. When fewer than ten, releases with most of the "
                "words are shown below them, each with its `missing` words, and `total` counts them all.",
            },
            "corrected_from": {
                **NULLABLE_STRING,
                "description": "The query typed, when no release had its words and these are the results "
                "of its spelling correction (`query`); `verbatim=1` searches it as typed.",
            },
            "links": _ref("schemas", "Links"),
            "histogram": _ref("schemas", "Histogram"),
        }
    ),
    "Release": _object(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "body": {"type": "string"},
            "date": NULLABLE_DATE,
            "url": NULLABLE_STRING,
            "tags": STRINGS,
            "source": NULLABLE_STRING,
            "extra": {"type": "object", "additionalProperties": STRINGS},
            **LANGUAGE_PROPERTIES,
            "related": {**STRINGS, "description": "Ids of releases about the same things."},
        }
    ),
    "Suggestions": _object(
        {
            "query": {"type": "string"},
            "suggestions": {
                "type": "array",
                "maxItems": 10,
                "items": _object(
                    {
                        "text": {"type": "string"},
                        "kind": {"type": "string", "enum": ["title", "tag", "variant"]},
                    }
                ),
            },
        }
    ),
    "Health": {
        "oneOf": [
            _object(
                {
                    "status": {"const": "ok"},
                    "documents": {"type": "integer", "minimum": 0},
                    "generation": {"type": "string"},
                    "updated_at": NULLABLE_STRING,
                }
            ),
            _object({"status": {"const": "unavailable"}, "message": {"type": "string"}}),
        ]
    },
}

RESPONSES: dict[str, Any] = {
    "BadParameter": _json(_ref("schemas", "Error"), "A parameter cannot be used; `param` names it."),
    "NotFound": _json(_ref("schemas", "Error"), "No such route or release."),
    "IndexUnavailable": _json(_ref("schemas", "Error"), "There is no readable index yet."),
    "NotModified": {
        "description": "The client's copy (`If-None-Match` / `If-Modified-Since`) is still current.",
        "headers": {name: _ref("headers", name) for name in ("ETag", "Last-Modified")},
    },
}

HEADERS: dict[str, Any] = {
    "ETag": {
        "description": "Weak validator that changes whenever the index (or the name-variants file) changes.",
        "schema": {"type": "string"},
    },
    "Last-Modified": {"description": "When the index was last written.", "schema": {"type": "string"}},
}


def openapi_document(filter_names: Iterable[str]) -> dict[str, Any]:
    """Return the OpenAPI document, with the facet filters that the live index offers."""
    from search_app.web import openapi_over_time as over_time  # it builds on this module's helpers

    filters = list(filter_names)
    release_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
        "example": "syrian-democratic-forces-liberate-raqqa",
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Release Search",
            "version": "1",
            "summary": "Full-text search over press releases.",
            "description": "Every answer is cacheable (`ETag`, `Last-Modified`, `Cache-Control`), "
            "readable cross-origin, and compressed when the client accepts it. Any other method "
            "gets 405 and any other path under /api 404, both in the error shape.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search releases; a page of ranked, highlighted hits with facets.",
                    "parameters": [*_search_parameters(filters), over_time.INTERVAL],
                    "responses": _responses(
                        _json(_ref("schemas", "SearchResult"), "A page of results."), "400", "503"
                    ),
                }
            },
            **over_time.paths(_search_parameters(filters), _responses),
            "/api/releases/{id}": {
                "get": {
                    "operationId": "release",
                    "summary": "One release with all its fields and related release ids.",
                    "parameters": [release_id],
                    "responses": _responses(_json(_ref("schemas", "Release"), "The release."), "404", "503"),
                }
            },
            "/api/suggest": {
                "get": {
                    "operationId": "suggest",
                    "summary": "Completions for a search box: name variants, tags and titles.",
                    "parameters": [
                        _query(
                            "q",
                            "What was typed so far.",
                            {"type": "string"},
                            example="raq",
                        )
                    ],
                    "responses": _responses(
                        _json(_ref("schemas", "Suggestions"), "Up to ten completions."), "503"
                    ),
                }
            },
            "/feed.atom": {
                "get": {
                    "operationId": "feed",
                    "summary": "Any search as an Atom feed (RFC 4287), newest first, 20 entries a page.",
                    "parameters": _search_parameters(filters),
                    "responses": _responses(
                        {
                            "description": "An Atom feed.",
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                        },
                        "400",
                        "503",
                    ),
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": _responses(_json({"type": "object"}, "The OpenAPI document.")),
                }
            },
            "/api/": {
                "get": {
                    "operationId": "apiIndex",
                    "summary": "A short page about the API, with example requests.",
                    "responses": _responses(
                        {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}}
                    ),
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the index is readable, with its size and generation.",
                    "responses": {
                        "200": _json(_ref("schemas", "Health"), "The index is readable."),
                        "503": _json(_ref("schemas", "Health"), "There is no readable index."),
                    },
                }
            },
        },
        "components": {
            "schemas": SCHEMAS | over_time.SCHEMAS,
            "responses": RESPONSES,
            "headers": HEADERS | over_time.HEADERS,
        },
    }
