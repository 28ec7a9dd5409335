"""A release page to a release: trafilatura (and htmldate) with our rules for metadata."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import lxml.html
import trafilatura
from htmldate import find_date
from lxml.etree import ParserError

from importer.urls import canonical_url

# Elements whose headings belong to something other than the release itself.
_NOT_THE_RELEASE = "ancestor::*[self::nav or self::aside or self::footer or self::header]"


# Blocks trafilatura keeps on short pages that most sites name alike: share bars,
# breadcrumbs and tag lists (pruned inside trafilatura's own pass). Pruning
# "-share" and "cookie" classes too cost 0.01 body F1 each on bench/extraction.py's pages.
_PRUNE_XPATH = [
    "//*[contains(concat(' ', translate(@class, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ_', "
    f"'abcdefghijklmnopqrstuvwxyz-'), ' '), '{name}')]"
    for name in (" share", " social", " breadcrumb", " field-tags")
]


@dataclass(frozen=True)
class Extracted:
    """What a release page says about itself."""

    title: str
    body: str
    date: dt.date | None
    tags: tuple[str, ...]
    lang: str | None
    canonical: str | None
    site_name: str | None


def extract_release(html: str, url: str, today: dt.date | None = None) -> Extracted:
    """Extract title, body, date, tags, language and canonical URL from a release page."""
    today = today or dt.date.today()
    tree = _parse(html)
    dates: dict[str, Any] = {"extensive_search": True, "original_date": True, "max_date": today.isoformat()}
    document = trafilatura.bare_extraction(
        html,
        url=url,
        prune_xpath=_PRUNE_XPATH,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params=dates,
    )
    title = getattr(document, "title", None) or ""
    body = getattr(document, "text", None) or ""
    # The date from the whole page: the pruned one has lost some (7 of 726 on the bench).
    found = find_date(html, url=url, **dates)
    tags = [*(getattr(document, "tags", None) or []), *(getattr(document, "categories", None) or [])]
    site_name = getattr(document, "sitename", None)
    if tree is not None:
        title = _title(tree, title, site_name)
    return Extracted(
        title=_clean_space(title),
        body=_paragraphs(body, title),
        date=_checked_date(_to_date(found, today), html),
        tags=_unique(tag for tag in tags if tag),
        lang=_lang(tree) or getattr(document, "language", None),
        canonical=_canonical(tree, url),
        site_name=site_name,
    )


def _parse(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(html.encode("utf-8", "replace"))
    except (ParserError, ValueError):
        return None


def _title(tree: lxml.html.HtmlElement, found: str, site_name: str | None) -> str:
    """Prefer the page's one ``<h1>`` when trafilatura's title is the ``<title>`` with the
    site's name around it; else take the site's name off trafilatura's."""
    headings = [_clean_space(h.text_content()) for h in tree.xpath(f"//h1[not({_NOT_THE_RELEASE})]")]
    headings = [h for h in headings if h]
    if len(headings) == 1 and headings[0] != found and headings[0] in found:
        return headings[0]
    if site_name and found:
        for separator in (" | ", " - ", " – ", " — ", " :: ", " · "):
            if found.endswith(separator + site_name):
                return found[: -len(separator + site_name)]
            if found.startswith(site_name + separator):
                return found[len(site_name + separator) :]
    return found


def _to_date(value: str | None, today: dt.date) -> dt.date | None:
    """Read an ISO 8601 date or datetime (htmldate reads the rest), never one in the future."""
    if not value:
        return None
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if match:
        try:
            date = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            date = None
    else:
        guessed = find_date(f"<html><body><p>{value}</p></body></html>", original_date=True)
        date = dt.date.fromisoformat(guessed) if guessed else None
    return date if date is not None and dt.date(1990, 1, 1) <= date <= today else None


def _lang(tree: lxml.html.HtmlElement | None) -> str | None:
    if tree is None:
        return None
    declared = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    code = declared.strip().split("-")[0].split("_")[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _canonical(tree: lxml.html.HtmlElement | None, url: str) -> str | None:
    if tree is None:
        return None
    for href in tree.xpath("//link[@rel='canonical']/@href"):
        if str(href).strip():
            return canonical_url(str(href), base=url)
    return None


def _checked_date(date: dt.date | None, html: str) -> dt.date | None:
    """Drop a 1 January that only a year stands for ("© 2018"): htmldate reads a bare year so."""
    if date is None or (date.month, date.day) != (1, 1):
        return date
    year = date.year
    spelled = (
        rf"{year}-0?1-0?1\b|\b0?1[./]0?1[./]{year}"
        rf"|\b1(st)?\s+jan(uary)?\.?,?\s+{year}|jan(uary)?\.?\s+1(st)?,?\s+{year}"
    )
    return date if re.search(spelled, html, re.IGNORECASE) else None


def _paragraphs(text: str, title: str) -> str:
    """Put a blank line between trafilatura's paragraphs, as Markdown wants, without the
    title repeated as the first one."""
    lines = [_clean_space(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    title = _clean_space(title)
    while lines and title and lines[0].startswith(title):
        rest = lines[0][len(title) :].strip()
        lines[0:1] = [rest] if rest else []
    return "\n\n".join(lines)


def _clean_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _unique(values: object) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:  # type: ignore[attr-defined]
        for part in str(value).split(","):
            part = _clean_space(part)
            if part and part.lower() not in {key.lower() for key in seen}:
                seen[part] = None
    return tuple(seen)
