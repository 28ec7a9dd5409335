"""Read a corpus folder or file into release records, collecting bad records."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import frontmatter
import yaml

from indexer.feeds import read_feed
from indexer.fields import build_record
from indexer.html_pages import read_html_page
from indexer.records import KnownRelease, RecordError, ReleaseRecord
from indexer.source_files import Stamp, file_stamp, is_gzipped, is_utf8_text, lines

VARIANTS_FILENAME = "variants.txt"
FRONT_MATTER_SUFFIXES = (".md", ".markdown", ".txt")
JSON_LINES_SUFFIXES = (".jsonl", ".jsonl.gz")
HTML_SUFFIXES = (".html", ".htm")
FEED_SUFFIXES = (".xml", ".rss", ".atom")
ALL_SUFFIXES = FRONT_MATTER_SUFFIXES + JSON_LINES_SUFFIXES + HTML_SUFFIXES + FEED_SUFFIXES


class _StringDateLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a bad date is reported as a date error."""


_StringDateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _FrontMatterYAML(frontmatter.YAMLHandler):
    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=_StringDateLoader)  # noqa: S506 - a SafeLoader subclass


class CorpusNotFound(Exception):
    """The corpus path does not exist or holds no release files."""


# What earlier runs read, by source key (see :func:`source_key`).
KnownSources = Mapping[str, Sequence[KnownRelease]]
# Files read whole without an error by earlier runs, by path: their stamp and sources' keys.
KnownFiles = Mapping[str, tuple[Stamp, Sequence[str]]]
Item = ReleaseRecord | KnownRelease | RecordError


@dataclass
class Corpus:
    """Everything read from a corpus: good records, bad ones, and (given what an earlier
    run read) the releases whose source text has not changed since."""

    records: list[ReleaseRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    # Releases whose source is byte for byte as an earlier run read it: not parsed again.
    known: list[KnownRelease] = field(default_factory=list)
    # Each source read without errors, by key, with its releases: to remember for the next run.
    sources: dict[str, list[ReleaseRecord | KnownRelease]] = field(default_factory=dict)
    # Each file whose sources all were, by path: its stamp and their keys (see KnownFiles).
    files: dict[str, tuple[Stamp, list[str]]] = field(default_factory=dict)
    # Bytes of the corpus files (None if some are compressed), and how many were read so far.
    bytes_total: int | None = None
    bytes_read: int = 0

    def read_share(self) -> float | None:
        """Return the share of the corpus's bytes read so far (``None`` if unknown)."""
        return min(1.0, self.bytes_read / self.bytes_total) if self.bytes_total else None

    @property
    def releases(self) -> list[ReleaseRecord | KnownRelease]:
        """Return every good release, parsed or known."""
        return [*self.records, *self.known]


def corpus_files(root: Path) -> list[Path]:
    """List the release files under ``root`` (or ``root`` itself), sorted."""
    if not root.exists():
        raise CorpusNotFound(f"Corpus path {root} does not exist.")
    if root.is_file():
        return [root]
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
        and path.name != VARIANTS_FILENAME
        and path.name.lower().endswith(ALL_SUFFIXES)
    )


def unchanged_files(root: Path, files: KnownFiles) -> bool:
    """Return whether the corpus at ``root`` is the files in ``files``, each with its stamp."""
    try:
        paths = corpus_files(root)
    except CorpusNotFound:
        return False
    if {str(path) for path in paths} != files.keys():
        return False
    return all(file_stamp(path) == tuple(files[str(path)][0]) for path in paths)


def load_corpus(root: Path, known: KnownSources | None = None, files: KnownFiles | None = None) -> Corpus:
    """Read every release under ``root``; duplicate ids are errors naming both places.

    A source (a JSON Lines line, or a whole file of another kind) whose key is in
    ``known`` is not parsed again: its releases come back as the known ones. A file
    in ``files`` with the same size and modification time is not even read.
    """
    corpus = Corpus()
    for key, items, records in stream_corpus(root, corpus, known, files):
        if key is not None:
            corpus.sources[key] = items
        corpus.records += records
    return corpus


Source = tuple[str | None, list[ReleaseRecord | KnownRelease], list[ReleaseRecord]]


def stream_corpus(
    root: Path, corpus: Corpus, known: KnownSources | None = None, files: KnownFiles | None = None
) -> Iterator[Source]:
    """Yield each source under ``root`` in turn, as ``load_corpus`` reads them, without
    keeping its records: its key (``None`` if it is not to be remembered: it could not be
    read, or had errors), its good releases, and the new records among them (duplicates
    left out). Errors and known releases go into ``corpus``, and how far the reading is
    (:meth:`Corpus.read_share`)."""
    seen: dict[str, str] = {}
    base = root if root.is_dir() else root.parent
    paths = corpus_files(root)
    sizes = [_size(path) for path in paths]
    corpus.bytes_total = None if any(map(is_gzipped, paths)) else sum(sizes)
    for path, size in zip(paths, sizes, strict=True):
        stamp, keys, read_before = file_stamp(path), [], corpus.bytes_read
        listed = (files or {}).get(str(path))
        for key, items, source_size in read_sources(path, base, known or {}, listed, stamp):
            corpus.bytes_read += source_size
            good = [item for item in items if not isinstance(item, RecordError)]
            remembered = key if key is not None and len(good) == len(items) else None
            keys.append(remembered)
            added = [item for item in items if _add(corpus, seen, item)]
            yield remembered, good, [item for item in added if isinstance(item, ReleaseRecord)]
        corpus.bytes_read = read_before + size
        if stamp is not None and None not in keys:
            corpus.files[str(path)] = (stamp, cast(list[str], keys))


def _size(path: Path) -> int:
    """Return the file's size in bytes (0 if it cannot be read: its reading reports why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _add(corpus: Corpus, seen: dict[str, str], item: Item) -> bool:
    """Note ``item`` in ``corpus``; return whether it is a new record to index."""
    if isinstance(item, RecordError):
        corpus.errors.append(item)
    elif item.id in seen:
        path_text, _, line = item.origin.rpartition(":")
        error_path, error_line = (path_text, int(line)) if line.isdigit() else (item.origin, None)
        reason = f"duplicate id {item.id!r}, first defined at {seen[item.id]}"
        corpus.errors.append(RecordError(error_path, error_line, "id", reason))
    else:
        seen[item.id] = item.origin
        if isinstance(item, KnownRelease):
            corpus.known.append(item)
        else:
            return True
    return False


# Reading modules and libraries: a change to any of them may read a source differently.
_READER_MODULES = ("corpus.py", "feeds.py", "fields.py", "html_pages.py", "html_text.py", "records.py")
_READER_LIBRARIES = ("feedparser", "python-frontmatter", "PyYAML", "selectolax")


def _reader_version() -> bytes:
    """Return a digest of the code that reads releases, so that a source read by other
    code is never taken as known."""
    digest = hashlib.sha256()
    try:
        for name in _READER_MODULES:
            digest.update((Path(__file__).parent / name).read_bytes())
        for library in _READER_LIBRARIES:
            digest.update(metadata.version(library).encode())
    except (OSError, metadata.PackageNotFoundError):
        return b"unknown reader: remember nothing" + str(id(digest)).encode()
    return digest.digest()


_READER_VERSION = _reader_version()


def source_key(shown: str, relative: str, line: int | None, raw: bytes) -> str:
    """Return the key of one source: its bytes and everything else a release read from
    it depends on (where it is, its line, the reading code)."""
    digest = hashlib.sha256(_READER_VERSION)
    digest.update(f"\0{shown}\0{relative}\0{line}\0".encode("utf-8", "surrogateescape"))
    digest.update(raw)
    return digest.hexdigest()[:32]  # 128 bits, as the content hashes


def read_sources(
    path: Path,
    base: Path,
    known: KnownSources,
    listed: tuple[Stamp, Sequence[str]] | None = None,
    stamp: Stamp | None = None,
) -> Iterator[tuple[str | None, list[Item], int]]:
    """Yield each source of one corpus file with its key (``None`` where the file could
    not be read as bytes), what it gives (the known releases, or what it parses to) and
    about how many bytes of the file it takes (0 where not read).

    If the file had ``stamp`` when an earlier run ``listed`` it, with the keys of its
    sources, and each of those is known, it is not read again.
    """
    if listed is not None and stamp is not None and tuple(listed[0]) == stamp:
        if all(key in known for key in listed[1]):
            for key in listed[1]:
                yield key, list(known[key]), 0
            return
    if path.name.lower().endswith(JSON_LINES_SUFFIXES):
        yield from _json_line_sources(path, base, known)
        return
    try:
        raw = path.read_bytes()
    except OSError:
        yield None, list(read_file(path, base)), 0  # reports why
        return
    key = source_key(str(path), path.relative_to(base).as_posix(), None, raw)
    found = known.get(key)
    yield key, list(found) if found is not None else list(read_file(path, base)), len(raw)


def _json_line_sources(
    path: Path, base: Path, known: KnownSources
) -> Iterator[tuple[str | None, list[Item], int]]:
    if not is_utf8_text(path):
        yield None, list(read_json_lines(path, base)), 0  # the line-by-line reader says where it fails
        return
    shown, stem = str(path), path.relative_to(base).as_posix()
    # Lines split as the text reader splits them (\n, \r\n, \r), numbered the same way.
    for number, raw in enumerate(lines(path), start=1):
        key = source_key(shown, stem, number, raw)
        found = known.get(key)
        if found is not None:
            yield key, list(found), len(raw) + 1
            continue
        line = raw.decode("utf-8")
        if line.strip():
            yield key, [_json_record(line, shown, number, f"{stem}#{number}")], len(raw) + 1


def read_file(path: Path, base: Path) -> Iterator[ReleaseRecord | RecordError]:
    """Yield the records (or errors) of one corpus file, chosen by extension."""
    name = path.name.lower()
    if name.endswith(JSON_LINES_SUFFIXES):
        yield from read_json_lines(path, base)
    elif name.endswith(HTML_SUFFIXES):
        yield read_html_page(path, base)
    elif name.endswith(FEED_SUFFIXES):
        yield from read_feed(path, base)
    else:
        yield read_front_matter(path, base)


def read_front_matter(path: Path, base: Path) -> ReleaseRecord | RecordError:
    """Read one Markdown/text release with YAML front matter."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return RecordError(shown, None, "file", f"not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        return RecordError(shown, None, "file", f"cannot read: {exc.strerror}")
    try:
        post = frontmatter.loads(text, handler=_FrontMatterYAML())
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct starts; the problem mark
        # is often the end of the front matter, which helps less.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1  # the YAML text starts on the "---" line
        problem = getattr(exc, "problem", None) or "invalid YAML"
        return RecordError(shown, line, "front matter", f"invalid YAML: {problem}")
    except (ValueError, TypeError, AttributeError) as exc:
        return RecordError(shown, 1, "front matter", f"invalid front matter: {exc}")
    if not isinstance(post.metadata, dict):
        return RecordError(shown, 1, "front matter", "must be a mapping of field: value")
    data = dict(post.metadata)
    data["body"] = post.content
    default_id = path.relative_to(base).with_suffix("").as_posix()
    try:
        return build_record(data, default_id=default_id, path=shown, line=1)
    except RecordError as error:
        return RecordError(shown, _field_line(text, error.field), error.field, error.reason)


def _field_line(text: str, field_name: str) -> int:
    """Return the line of ``field_name:`` in the front matter, else 1."""
    match = re.search(rf"^{re.escape(field_name)}\s*:", text, flags=re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def read_json_lines(path: Path, base: Path) -> Iterator[ReleaseRecord | RecordError]:
    """Read releases from JSON Lines, plain or gzipped, one per line."""
    shown = str(path)
    stem = path.relative_to(base).as_posix()
    opener = gzip.open if is_gzipped(path) else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                yield _json_record(line, shown, number, f"{stem}#{number}")
    except UnicodeDecodeError as exc:
        yield RecordError(shown, None, "file", f"not UTF-8 text (byte {exc.start})")
    except (OSError, EOFError, zlib.error) as exc:
        yield RecordError(shown, None, "file", f"cannot read: {exc}")


def _json_record(line: str, path: str, number: int, default_id: str) -> ReleaseRecord | RecordError:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return RecordError(path, number, "json", f"invalid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(data, dict):
        return RecordError(path, number, "json", "each line must be a JSON object")
    try:
        return build_record(data, default_id=default_id, path=path, line=number)
    except RecordError as error:
        return error
