"""The Flask-free search service: plain arguments in, dataclasses out, for the page and the API."""

from search_app.service.contract import IndexUnavailable, Release, SearchHit, SearchRequest, SearchResult
from search_app.service.search_service import SearchService

__all__ = ["IndexUnavailable", "Release", "SearchHit", "SearchRequest", "SearchResult", "SearchService"]
