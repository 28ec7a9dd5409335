"""What the importer remembers between runs: the sources (sources.toml) and each page's
validators and links (import-state.json), both beside the releases in the corpus folder."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from importer.corpus_files import write_atomically

SOURCES_FILE = "sources.toml"
STATE_FILE = "import-state.json"
STATE_VERSION = 1


class BadSources(Exception):
    """sources.toml is missing or cannot be read."""


@dataclass(frozen=True)
class Source:
    """One place releases are imported from, as given on the command line."""

    url: str
    name: str | None = None
    lang: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_pages: int = 100

    def patterns(self) -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
        """Return the include and exclude patterns, compiled."""
        return tuple(map(re.compile, self.include)), tuple(map(re.compile, self.exclude))


def read_sources(corpus: Path) -> list[Source]:
    """Return the sources recorded in ``corpus/sources.toml``."""
    path = corpus / SOURCES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadSources(f"{path} does not exist: give a URL to import from.") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadSources(f"{path}: cannot read: {exc}") from None
    sources = []
    for number, entry in enumerate(data.get("source", []), start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise BadSources(f"{path}: source {number} has no url")
        known = {key: entry[key] for key in ("name", "lang", "max_pages") if key in entry}
        sources.append(
            Source(
                entry["url"],
                include=tuple(entry.get("include", ())),
                exclude=tuple(entry.get("exclude", ())),
                **known,
            )
        )
    return sources


def remember_sources(corpus: Path, given: list[Source]) -> None:
    """Add (or update) ``given`` in ``corpus/sources.toml``, keeping the others."""
    try:
        kept = [s for s in read_sources(corpus) if s.url not in {g.url for g in given}]
    except BadSources:
        kept = []
    entries = []
    for source in [*kept, *given]:
        entry = {key: value for key, value in asdict(source).items() if value not in (None, ())}
        entry = {key: list(value) if isinstance(value, tuple) else value for key, value in entry.items()}
        entries.append(entry)
    header = "# Sources of `import-releases` with no URL (written by import-releases; edit freely).\n"
    write_atomically(corpus / SOURCES_FILE, header + tomli_w.dumps({"source": entries}))


@dataclass
class PageState:
    """A page fetched before: its validators, and for a listing, the links it held."""

    etag: str | None = None
    last_modified: str | None = None
    links: list[dict[str, Any]] = field(default_factory=list)  # listing pages: ReleaseLink fields
    next_url: str | None = None
    canonical: str | None = None  # release pages: the URL they were imported under


@dataclass
class ImportState:
    """Every page and release the importer has seen in this corpus folder."""

    pages: dict[str, PageState] = field(default_factory=dict)
    releases: dict[str, str] = field(default_factory=dict)  # canonical URL -> file below the corpus

    @classmethod
    def load(cls, corpus: Path) -> ImportState:
        """Read the state file; a missing or unreadable one means a first run."""
        try:
            data = json.loads((corpus / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return cls()
        pages = {url: PageState(**fields) for url, fields in data.get("pages", {}).items()}
        return cls(pages, dict(data.get("releases", {})))

    def save(self, corpus: Path) -> None:
        """Write the state file atomically."""
        data = {
            "version": STATE_VERSION,
            "pages": {url: asdict(page) for url, page in sorted(self.pages.items())},
            "releases": dict(sorted(self.releases.items())),
        }
        write_atomically(corpus / STATE_FILE, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
