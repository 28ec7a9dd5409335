"""RSS/Atom feeds (feedparser) and sitemaps (lxml): the release links they list."""

from __future__ import annotations

import gzip
import re
import time
import zlib
from dataclasses import dataclass, field

import feedparser
from lxml import etree

from importer.listing import ReleaseLink
from importer.urls import LinkRules

_XML_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<([\w:]+)", re.DOTALL)


@dataclass
class Sitemap:
    """A sitemap's release links, or the sitemaps a sitemap index names."""

    releases: list[ReleaseLink] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


def kind_of(body: bytes, content_type: str) -> str | None:
    """Return what a start page is: ``"html"``, ``"feed"``, ``"sitemap"``, or ``None``."""
    body = maybe_gunzip(body)
    match = _XML_START.match(body[:4096])
    root = match.group(3).decode("ascii", "replace").split(":")[-1].lower() if match else ""
    if root in ("rss", "feed", "rdf"):
        return "feed"
    if root in ("urlset", "sitemapindex"):
        return "sitemap"
    mime = content_type.split(";")[0].strip().lower()
    if root == "html" or mime in ("text/html", "application/xhtml+xml"):
        return "html"
    return None


def maybe_gunzip(body: bytes, limit: int = 50_000_000) -> bytes:
    """Return ``body`` unzipped when it is gzip data (a ``sitemap.xml.gz``), else as it is."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, limit)
    except (zlib.error, gzip.BadGzipFile):
        return body
    return data


def read_feed(body: bytes, url: str, rules: LinkRules) -> list[ReleaseLink]:
    """Return the same-site entry links of an RSS or Atom feed, with their titles and dates."""
    parsed = feedparser.parse(body)
    links = []
    for entry in parsed.entries:
        href = entry.get("link")
        if not href:
            continue
        link = rules.on_site(href, url)
        if link is None or not rules.wanted(link):
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        date = time.strftime("%Y-%m-%d", stamp) if stamp else None
        links.append(ReleaseLink(link, " ".join(str(entry.get("title", "")).split()), date))
    return list({link.url: link for link in links}.values())


def read_sitemap(body: bytes, url: str, rules: LinkRules) -> Sitemap:
    """Return the same-site page links of a sitemap, or the sitemaps of a sitemap index."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(maybe_gunzip(body), parser=parser)
    except etree.XMLSyntaxError:
        return Sitemap()
    if root is None:
        return Sitemap()
    found = Sitemap()
    is_index = etree.QName(root).localname == "sitemapindex"
    for loc in root.iter("{*}loc"):
        href = rules.on_site((loc.text or "").strip(), url)
        if href is None:
            continue
        if is_index:
            found.sitemaps.append(href)
        elif rules.wanted(href):
            found.releases.append(ReleaseLink(href))
    return found
