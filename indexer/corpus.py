"""Read a corpus folder or file into release records, collecting bad records."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from indexer.feeds import read_feed
from indexer.fields import build_record
from indexer.html_pages import read_html_page
from indexer.records import RecordError, ReleaseRecord

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


@dataclass
class Corpus:
    """Everything read from a corpus: good records and bad ones."""

    records: list[ReleaseRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)


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


def load_corpus(root: Path) -> Corpus:
    """Read every release under ``root``; duplicate ids are errors naming both places."""
    corpus = Corpus()
    seen: dict[str, str] = {}
    base = root if root.is_dir() else root.parent
    for path in corpus_files(root):
        for item in read_file(path, base):
            if isinstance(item, RecordError):
                corpus.errors.append(item)
            elif item.id in seen:
                path_text, _, line = item.origin.rpartition(":")
                error_path, error_line = (path_text, int(line)) if line.isdigit() else (item.origin, None)
                reason = f"duplicate id {item.id!r}, first defined at {seen[item.id]}"
                corpus.errors.append(RecordError(error_path, error_line, "id", reason))
            else:
                seen[item.id] = item.origin
                corpus.records.append(item)
    return corpus


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
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                yield _json_record(line, shown, number, f"{stem}#{number}")
    except UnicodeDecodeError as exc:
        yield RecordError(shown, None, "file", f"not UTF-8 text (byte {exc.start})")
    except (OSError, EOFError) as exc:
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
