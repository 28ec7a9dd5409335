"""Read a saved HTML release page: title, date, url, tags and body text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from indexer.fields import build_record
from indexer.html_text import container_text, main_container, meta_content
from indexer.languages import language_code
from indexer.records import RecordError, ReleaseRecord

DATE_SELECTORS = (
    'meta[property="article:published_time"]',
    'meta[name="dc.date"]',
    'meta[name="DC.date"]',
    'meta[name="date"]',
    'meta[itemprop="datePublished"]',
    "time[datetime]",
)


def read_html_page(path: Path, base: Path) -> ReleaseRecord | RecordError:
    """Read one saved release page; the page's own chrome is left out of the body."""
    shown = str(path)
    try:
        tree = LexborHTMLParser(path.read_bytes())
    except OSError as exc:
        return RecordError(shown, None, "file", f"cannot read: {exc.strerror}")
    heading = tree.css_first("h1")
    title_tag = tree.css_first("title")
    title = (
        (heading.text(deep=True) if heading is not None else None)
        or meta_content(tree, 'meta[property="og:title"]')
        or (title_tag.text() if title_tag is not None else None)
    )
    canonical = tree.css_first('link[rel="canonical"]')
    keywords = meta_content(tree, 'meta[name="keywords"]')
    data: dict[str, Any] = {
        "title": title,
        "date": meta_content(tree, *DATE_SELECTORS),
        "url": (canonical.attributes.get("href") if canonical is not None else None)
        or meta_content(tree, 'meta[property="og:url"]'),
        "tags": [t.attributes.get("content") for t in tree.css('meta[property="article:tag"]')] or keywords,
        "source": meta_content(tree, 'meta[property="og:site_name"]'),
        "lang": _page_language(tree),
    }
    container = main_container(tree)
    if heading is not None:
        heading.decompose()
    data["body"] = container_text(container) if container is not None else ""
    default_id = path.relative_to(base).with_suffix("").as_posix()
    return _build(data, default_id, shown)


def _page_language(tree: LexborHTMLParser) -> str | None:
    """Return the page's declared language (``<html lang>``, else ``og:locale``)."""
    root = tree.css_first("html")
    declared = root.attributes.get("lang") if root is not None else None
    return language_code(declared) or language_code(meta_content(tree, 'meta[property="og:locale"]'))


def _build(data: dict[str, Any], default_id: str, shown: str) -> ReleaseRecord | RecordError:
    try:
        return build_record(
            {k: v for k, v in data.items() if v}, default_id=default_id, path=shown, line=None
        )
    except RecordError as error:
        return error
