"""Read RSS and Atom feeds (feedparser): each entry is a release."""

from __future__ import annotations

import datetime as dt
import xml.sax
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser

from indexer.fields import build_record
from indexer.html_text import html_to_text
from indexer.languages import language_code
from indexer.records import RecordError, ReleaseRecord


def read_feed(path: Path, base: Path) -> Iterator[ReleaseRecord | RecordError]:
    """Yield one record (or error) per feed entry."""
    shown = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield RecordError(shown, None, "file", f"cannot read: {exc.strerror}")
        return
    feed = feedparser.parse(raw)
    problem = feed.get("bozo_exception")
    line = problem.getLineNumber() if problem is not None and hasattr(problem, "getLineNumber") else None
    if not feed.entries:
        reason = f"not a readable RSS or Atom feed: {problem}" if problem else "feed has no entries"
        yield RecordError(shown, line, "feed", reason)
        return
    source = feed.feed.get("title")
    # RSS <language>, Atom xml:lang: the feed's language is each entry's unless it says otherwise.
    feed_lang = language_code(feed.feed.get("language"))
    stem = path.relative_to(base).as_posix()
    for number, entry in enumerate(feed.entries, start=1):
        yield _entry_record(entry, source, shown, f"{stem}#{number}", number, feed_lang)
    # feedparser recovers what it can of a feed that is not well-formed (cut off, bad XML);
    # the entries it read are kept, and the feed is still reported so the run exits non-zero.
    if isinstance(problem, xml.sax.SAXException):
        what = problem.getMessage() if isinstance(problem, xml.sax.SAXParseException) else str(problem)
        read = len(feed.entries)
        yield RecordError(shown, line, "feed", f"not well-formed XML: {what} ({read} entries read)")


def _entry_record(
    entry: Any, source: str | None, shown: str, default_id: str, number: int, feed_lang: str | None = None
) -> ReleaseRecord | RecordError:
    content = entry.get("content") or []
    html = content[0].get("value", "") if content else entry.get("summary", "")
    # Look before reading: feedparser warns when a missing "updated_parsed" is read.
    when = entry.get("published_parsed") or (entry["updated_parsed"] if "updated_parsed" in entry else None)
    data: dict[str, Any] = {
        "id": entry.get("id") or entry.get("link") or default_id,
        "title": entry.get("title"),
        "body": html_to_text(html) if html else "",
        "date": dt.date(when.tm_year, when.tm_mon, when.tm_mday).isoformat() if when else None,
        "url": entry.get("link"),
        "tags": [tag.get("term") for tag in entry.get("tags", []) if tag.get("term")],
        "source": source,
        "lang": language_code((entry.get("title_detail") or {}).get("language")) or feed_lang,
    }
    try:
        return build_record(
            {k: v for k, v in data.items() if v}, default_id=default_id, path=shown, line=None
        )
    except RecordError as error:
        # Feeds have no useful line numbers; name the entry instead.
        return RecordError(shown, None, f"entry {number}: {error.field}", error.reason)
