"""An HTML listing page: its release links (found without per-site rules) and the next page."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import lxml.html
from lxml.etree import ParserError

from importer.urls import LinkRules, canonical_url

# Parts of a page that hold site-wide links, never the listing's items.
_CHROME = (
    "ancestor-or-self::*[self::nav or self::header or self::footer or self::aside or @role='navigation'"
    " or re:test(concat(@class, ' ', @id), '(^|[\\s_-])(nav|navbar|menu|breadcrumbs?|pager|pagination|"
    "share|social|cookies?|footer|header|sidebar|skip)([\\s_-]|$)', 'i')]"
)
_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}
_NEXT_TEXT = re.compile(r"^(next( page)?|older( posts| entries)?|suivant|weiter)?\s*[›»>→]*$", re.IGNORECASE)
_PAGE_OF = re.compile(r"\bpage\s+(\d+)\s+of\s+(\d+)\b", re.IGNORECASE)
_PAGE_PARAM = re.compile(r"^(page|p|pg|paged|start|offset)$", re.IGNORECASE)
_PAGE_SEGMENT = re.compile(r"/page/(\d+)/?$")


@dataclass(frozen=True)
class ReleaseLink:
    """A link to one release, with what the listing (or feed) says of it."""

    url: str  # canonical
    title: str = ""
    date: str | None = None


@dataclass
class Listing:
    """What one listing page leads to."""

    releases: list[ReleaseLink] = field(default_factory=list)
    next_url: str | None = None
    page_of: tuple[int, int] | None = None  # "Page 1 of 4"


def read_listing(html: str, url: str, rules: LinkRules) -> Listing:
    """Find the release links of a listing page and its next page.

    The releases are the largest group of same-site links that sit in the same
    place of the page's structure (same ancestors, same folder of the site),
    outside navigation, headers, footers, share bars and pagination.
    The include/exclude patterns of ``rules``, when given, filter the links first.
    """
    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8", "replace"), base_url=url)
    except (ParserError, ValueError):
        return Listing()
    here = canonical_url(url, prefer_www=rules.prefer_www)
    next_url = _next_page(tree, url, here, rules.prefer_www)
    groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    titles: dict[str, str] = {}
    for anchor in tree.xpath("//a[@href]"):
        href = rules.on_site(anchor.get("href"), url)
        if href is None or href in (here, next_url) or _is_page_link(href, here):
            continue
        if anchor.xpath(_CHROME, namespaces=_NAMESPACES):
            continue
        if not rules.wanted(href):
            continue
        text = " ".join(anchor.text_content().split())
        if len(text) > len(titles.get(href, "")):
            titles[href] = text
        groups[(_signature(anchor), _folder(href))].append((href, text))
    best = max(
        groups.values(),
        key=lambda links: (len({h for h, _ in links}), sum(len(t) for _, t in links)),
        default=[],
    )
    ordered = list(dict.fromkeys(href for href, _ in best))
    return Listing([ReleaseLink(href, titles.get(href, "")) for href in ordered], next_url, _page_of(tree))


def _signature(anchor: lxml.html.HtmlElement) -> str:
    """Return where a link sits: the tags and classes of its three nearest ancestors."""
    parts = []
    for element in [anchor, *list(anchor.iterancestors())[:3]]:
        classes = ".".join(sorted((element.get("class") or "").split()))
        parts.append(f"{element.tag}.{classes}")
    return "/".join(parts)


def _folder(url: str) -> str:
    path = urlsplit(url).path
    return path.rsplit("/", 1)[0]


def _page_number(url: str) -> tuple[str, int] | None:
    """Return the page parameter of a listing URL and its value (``?page=2``, ``/page/2``)."""
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query):
        if _PAGE_PARAM.match(key) and value.isdigit():
            return key, int(value)
    match = _PAGE_SEGMENT.search(parts.path)
    return ("/page/", int(match.group(1))) if match else None


def _without_page(url: str) -> str:
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if not _PAGE_PARAM.match(k))
    return f"{parts.netloc}{_PAGE_SEGMENT.sub('', parts.path) or '/'}?{query}"


def _is_page_link(href: str, here: str) -> bool:
    """Tell whether ``href`` is another page of this listing."""
    return _page_number(href) is not None and _without_page(href) == _without_page(here)


def _next_page(tree: lxml.html.HtmlElement, url: str, here: str, prefer_www: bool) -> str | None:
    """Return the next page: ``rel=next``, a "Next"/"›" link, or the page number after this one."""
    page_of = _page_of(tree)
    if page_of is not None and page_of[0] >= page_of[1]:
        return None
    rel_next = "[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
    for href in tree.xpath(f"//link{rel_next} | //a{rel_next}"):
        return canonical_url(str(href), base=url, prefer_www=prefer_www)
    for anchor in tree.xpath("//a[@href]"):
        label = " ".join(
            (anchor.text_content() or anchor.get("aria-label") or anchor.get("title") or "").split()
        )
        aria = anchor.get("aria-label") or anchor.get("title") or ""
        if label and _NEXT_TEXT.match(label) or aria and _NEXT_TEXT.match(aria.strip()):
            return canonical_url(anchor.get("href"), base=url, prefer_www=prefer_www)
    current = _page_number(here)
    number = current[1] if current else 0
    following = []
    for href in tree.xpath("//a/@href"):
        candidate = canonical_url(str(href), base=url, prefer_www=prefer_www)
        found = _page_number(candidate)
        if found and found[1] > number and _without_page(candidate) == _without_page(here):
            following.append((found[1], candidate))
    return min(following)[1] if following else None


def _page_of(tree: lxml.html.HtmlElement) -> tuple[int, int] | None:
    match = _PAGE_OF.search(" ".join(tree.text_content().split()))
    return (int(match.group(1)), int(match.group(2))) if match else None
