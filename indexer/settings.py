"""Where things live by default, and the environment variables that move them."""

from __future__ import annotations

import os
from pathlib import Path

INDEX_ENV = "RELEASE_SEARCH_INDEX"
CORPUS_ENV = "RELEASE_SEARCH_CORPUS"
VARIANTS_ENV = "RELEASE_SEARCH_VARIANTS"

DEFAULT_INDEX = "var/index"
DEFAULT_CORPUS = "corpus"


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
