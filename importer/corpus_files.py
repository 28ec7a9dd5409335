"""Releases as corpus files: where each one goes, its front matter, and atomic writes."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from urllib.parse import urlsplit

import yaml

# The front matter line that changes on every fetch; a release whose other lines are the
# same is unchanged, and its file is left alone (so reindex sees nothing new either).
_FETCHED_LINE = re.compile(r"^fetched: .*$", re.MULTILINE)


@dataclass(frozen=True)
class ReleaseFile:
    """One release as the importer writes it."""

    title: str
    body: str
    url: str
    date: dt.date | None
    tags: tuple[str, ...]
    source: str
    lang: str | None
    fetched: dt.datetime

    def render(self) -> str:
        """Return the Markdown file: YAML front matter, then the body."""
        fields: dict[str, object] = {"title": self.title}
        if self.date:
            fields["date"] = self.date.isoformat()
        fields["url"] = self.url
        if self.tags:
            fields["tags"] = list(self.tags)
        fields["source"] = self.source
        if self.lang:
            fields["lang"] = self.lang
        fields["fetched"] = self.fetched.isoformat(timespec="seconds")
        front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=1000)
        return f"---\n{front}---\n\n{self.body.strip()}\n"


def slug(text: str) -> str:
    """Return a file-name-safe slug.

    >>> slug("Life After Daesh – Raqqawis’ Hopes!")
    'life-after-daesh-raqqawis-hopes'
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120]


def release_path(corpus: Path, url: str) -> Path:
    """Return where the release at ``url`` goes: ``corpus/<host>/<folders>/<slug>.md``.

    >>> release_path(Path("c"), "https://example.org/news/2018/Raqqa-Liberated?id=3").as_posix()
    'c/example.org/news/2018/raqqa-liberated-id-3.md'
    """
    parts = urlsplit(url)
    host = slug((parts.hostname or "site").replace(".", "-dot-")).replace("-dot-", ".")
    if parts.port:
        host += f"_{parts.port}"
    segments = [slug(s) for s in parts.path.split("/") if slug(s)]
    name = segments.pop() if segments else "index"
    if parts.query:
        name = slug(f"{name} {parts.query}") or blake2b(parts.query.encode(), digest_size=4).hexdigest()
    return corpus.joinpath(host, *segments, f"{name}.md")


def same_release(old: str, new: str) -> bool:
    """Tell whether two renderings differ only in when they were fetched."""
    return _FETCHED_LINE.sub("", old) == _FETCHED_LINE.sub("", new)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``, so that a
    reader (or a crash) never sees a half-written release."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
