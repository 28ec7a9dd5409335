"""Release Search web app: the search page and the JSON API over one index."""

from __future__ import annotations

from typing import Any

from flask import Flask

from indexer import settings
from search_app.service import SearchService


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the app; ``INDEX_DIR`` and ``VARIANTS_PATH`` default to the environment."""
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented field order
    app.config.update(
        INDEX_DIR=settings.index_dir(),
        VARIANTS_PATH=settings.variants_path(),
        RESULT_CACHE=settings.result_cache_size(),
        POSTINGS_CACHE_MB=settings.postings_cache_mb(),
    )
    app.config.update(config or {})
    app.extensions["search_service"] = SearchService(
        app.config["INDEX_DIR"],
        app.config["VARIANTS_PATH"],
        result_cache=app.config["RESULT_CACHE"],
        postings_cache_mb=app.config["POSTINGS_CACHE_MB"],
    )

    from search_app.web import api, errors, pages, security

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    errors.register(app)
    security.register(app)
    # The Atom feed and the HTTP manners (caching, CORS, compression) of the API and the feed.
    from search_app.web import feed, http_headers

    app.register_blueprint(feed.bp)
    http_headers.register(app)
    # Matches over time and exports of every match.
    from search_app.web import export, trends

    export.register(app)
    app.register_blueprint(trends.bp)
    return app
