"""Everything that knows Whoosh's on-disk format or private API, in one place.

Lucene's codec layer is the model: each structure of the format is defined once
(:mod:`~indexer.codec.layout`) and used by both the writer
(:mod:`~indexer.codec.writer`, :mod:`~indexer.codec.postings_writer`,
:mod:`~indexer.codec.blocks`, :mod:`~indexer.codec.postings`,
:mod:`~indexer.codec.parallel`) and the reader (:mod:`~indexer.codec.postings_reader`,
:mod:`~indexer.codec.mapped_segments`); other private attributes are read through
:mod:`~indexer.codec.whoosh_private`. All of it was checked against one Whoosh
release, :data:`WHOOSH_VERSION`, which ``pyproject.toml`` pins and
:func:`check_whoosh_version` insists on at start-up.
"""

from __future__ import annotations

from importlib import metadata

WHOOSH_DISTRIBUTION = "whoosh-reloaded"
WHOOSH_VERSION = "2.7.5"


class UnsupportedWhoosh(RuntimeError):
    """The installed Whoosh is not the release this code was checked against."""


def installed_whoosh_version() -> str | None:
    """Return the installed whoosh-reloaded version, or None if it is not installed."""
    try:
        return metadata.version(WHOOSH_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def check_whoosh_version(found: str | None = None) -> None:
    """Raise :class:`UnsupportedWhoosh` unless the supported Whoosh release is installed."""
    found = installed_whoosh_version() if found is None else found
    if found == WHOOSH_VERSION:
        return
    have = f"version {found} is installed" if found else "it is not installed"
    raise UnsupportedWhoosh(
        f"Release Search needs {WHOOSH_DISTRIBUTION}=={WHOOSH_VERSION} (it reads Whoosh's index "
        f"format directly), but {have}. Install the tested versions with: "
        "pip install -c constraints.txt -e ."
    )
