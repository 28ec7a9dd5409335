"""Where things live by default, and the environment variables that move them."""

from __future__ import annotations

import os
from pathlib import Path

INDEX_ENV = "RELEASE_SEARCH_INDEX"
CORPUS_ENV = "RELEASE_SEARCH_CORPUS"
VARIANTS_ENV = "RELEASE_SEARCH_VARIANTS"
RESULT_CACHE_ENV = "RELEASE_SEARCH_RESULT_CACHE"
POSTINGS_CACHE_ENV = "RELEASE_SEARCH_POSTINGS_CACHE_MB"
BUILD_MEMORY_ENV = "RELEASE_SEARCH_BUILD_MEMORY_MB"

DEFAULT_INDEX = "var/index"
DEFAULT_CORPUS = "corpus"
DEFAULT_RESULT_CACHE = 512
DEFAULT_BUILD_MEMORY_MB = 512


def index_dir() -> Path:
    """Return the index directory (``$RELEASE_SEARCH_INDEX``, default ``var/index``)."""
    return Path(os.environ.get(INDEX_ENV) or DEFAULT_INDEX)


def corpus_path() -> Path:
    """Return the corpus path (``$RELEASE_SEARCH_CORPUS``, default ``corpus``)."""
    return Path(os.environ.get(CORPUS_ENV) or DEFAULT_CORPUS)


def variants_path() -> Path:
    """Return the name-variants file (``$RELEASE_SEARCH_VARIANTS``, default in the corpus)."""
    explicit = os.environ.get(VARIANTS_ENV)
    if explicit:
        return Path(explicit)
    corpus = corpus_path()
    return (corpus if corpus.is_dir() else corpus.parent) / "variants.txt"


def result_cache_size() -> int:
    """Return how many search results each worker remembers (``$RELEASE_SEARCH_RESULT_CACHE``,
    default 512; 0 turns the cache off, as the benchmark does to time the search itself)."""
    value = os.environ.get(RESULT_CACHE_ENV, "").strip()
    return _whole_number(RESULT_CACHE_ENV, value) if value else DEFAULT_RESULT_CACHE


def postings_cache_mb() -> int | None:
    """Return the postings cache of each worker in MB (``$RELEASE_SEARCH_POSTINGS_CACHE_MB``);
    ``None`` (the default) sizes it by the index: an eighth of it, from 48 to 512 MB."""
    value = os.environ.get(POSTINGS_CACHE_ENV, "").strip()
    return _whole_number(POSTINGS_CACHE_ENV, value) if value else None


def build_memory_mb() -> int:
    """Return the memory budget of each writer of a full build in MB, past which it writes
    its postings out as a segment (``$RELEASE_SEARCH_BUILD_MEMORY_MB``, default 512, at least 1)."""
    value = os.environ.get(BUILD_MEMORY_ENV, "").strip()
    return max(1, _whole_number(BUILD_MEMORY_ENV, value)) if value else DEFAULT_BUILD_MEMORY_MB


def _whole_number(name: str, value: str) -> int:
    try:
        return max(0, int(value))
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None
