"""HTTP manners for the API and the feed: validators and 304s, caching, CORS and compression.

Settings (app config, defaults from the environment):

- ``CORS_ORIGINS``: origins allowed to read the API and the feed, ``*`` (default), a list,
  or a comma-separated string; empty turns CORS off. Env: ``RELEASE_SEARCH_CORS_ORIGINS``.
- ``API_MAX_AGE``: seconds the API and the feed may be cached (default 60).
- ``STATIC_MAX_AGE``: seconds static files may be cached (default 3600).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from flask_compress import Compress
from flask_cors import CORS

from search_app.service import IndexUnavailable, SearchService
from search_app.web.paths import MACHINE_PATHS, is_machine_path

CORS_ENV = "RELEASE_SEARCH_CORS_ORIGINS"


def cors_origins(setting: Any) -> list[str]:
    """Return the allowed origins from a setting that is a list or a comma/space-separated string.

    >>> cors_origins("https://a.example, https://b.example")
    ['https://a.example', 'https://b.example']
    >>> cors_origins("")
    []
    """
    if isinstance(setting, str):
        return setting.replace(",", " ").split()
    return [str(origin) for origin in setting or []]


def validators(service: SearchService, variants_path: Path | None) -> tuple[str, dt.datetime] | None:
    """Return an ETag and a Last-Modified time for what the live index answers, or None without one.

    Name variants are read at query time, so their file's changes count too.
    """
    try:
        name, commit, updated = service.live_generation()
    except IndexUnavailable:
        return None
    try:
        variants_mtime = variants_path.stat().st_mtime if variants_path else None
    except OSError:
        variants_mtime = None
    if variants_mtime is not None:
        updated = max(updated, dt.datetime.fromtimestamp(int(variants_mtime), dt.UTC))
    stamp = f"{name}:{commit}:{updated.isoformat()}:{variants_mtime}"
    return hashlib.sha256(stamp.encode()).hexdigest()[:20], updated


def add_cache_headers(response: Response) -> Response:
    """Give API and feed answers validators and a lifetime; answer 304 when the client's copy is current."""
    if request.endpoint == "static":
        response.cache_control.no_cache = None  # send_file's default; the validators still apply
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["STATIC_MAX_AGE"]
        return response
    if not is_machine_path(request.path) or request.method not in ("GET", "HEAD"):
        return response
    if cors_origins(current_app.config["CORS_ORIGINS"]) != ["*"]:
        response.vary.add("Origin")  # Access-Control-Allow-Origin depends on who asks
    if response.status_code >= 400:
        response.cache_control.no_store = True  # an error now says nothing about the next answer
        return response
    if response.status_code != 200:
        return response
    found = validators(current_app.extensions["search_service"], current_app.config.get("VARIANTS_PATH"))
    if found is not None:
        etag, updated = found
        # Weak: answers carry took_ms, so equal ETags mean the same results, not the same bytes.
        response.set_etag(etag, weak=True)
        response.last_modified = updated
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["API_MAX_AGE"]
    response.make_conditional(request)  # turns the answer into a 304 in place
    return response


def register(app: Flask) -> None:
    """Install caching, CORS and compression on ``app``."""
    app.config.setdefault("CORS_ORIGINS", os.environ.get(CORS_ENV, "*"))
    app.config.setdefault("API_MAX_AGE", 60)
    app.config.setdefault("STATIC_MAX_AGE", 3600)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    CORS(
        app,
        resources={MACHINE_PATHS: {}},  # readable cross-origin
        origins=cors_origins(app.config["CORS_ORIGINS"]),
        methods=["GET", "HEAD", "OPTIONS"],
        expose_headers=["ETag", "X-Export-Total", "X-Export-Rows", "X-Export-Truncated"],
        send_wildcard=True,  # "*" rather than the caller's origin: one answer for every cache
        max_age=86400,
    )
    Compress(app)
    # After-request functions run last-registered first: validators and 304s, then compression, then CORS.
    app.after_request(add_cache_headers)
