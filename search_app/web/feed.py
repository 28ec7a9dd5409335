"""Any search as an Atom feed (RFC 4287): ``/feed.atom`` takes the parameters of ``/api/search``."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from flask import Blueprint, Response, request, url_for
from werkzeug.datastructures import MultiDict

from search_app.service import SearchHit, SearchRequest, SearchResult
from search_app.web.api import page_url, service
from search_app.web.errors import json_error
from search_app.web.params import BadParameter, check_strictly, search_request

bp = Blueprint("feed", __name__)

FEED_PER_PAGE = 20
ATOM = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot carry at all (controls, stray surrogates, U+FFFE/U+FFFF).
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Return ``text`` without the characters that XML 1.0 cannot carry.

    >>> xml_text("Raqqa\\x00\\x0b liberated")
    'Raqqa liberated'
    """
    return NOT_XML.sub("", text)


def feed_request() -> SearchRequest:
    """Read the search parameters, newest first and twenty to a page unless asked otherwise."""
    check_strictly(request.args, service().filter_names())  # the feed is as strict as the API
    args = MultiDict(request.args)
    for name, default in (("sort", "newest"), ("per_page", str(FEED_PER_PAGE))):
        if not args.get(name, "").strip():
            args[name] = default
    return search_request(args, service().filter_names())


@bp.get("/feed.atom")
def feed() -> Response | tuple[Response, int]:
    """Answer with a search as an Atom feed."""
    try:
        search_args = feed_request()
    except BadParameter as bad:
        return json_error(400, "bad_parameter", bad.message, bad.param)
    result = service().search(search_args)
    _, _, updated = service().live_generation()
    return Response(build_feed(result, search_args, updated), mimetype=ATOM)


def build_feed(result: SearchResult, search_args: SearchRequest, updated: dt.datetime) -> bytes:
    """Return the feed of one page of ``result``; ``updated`` is when the index last changed."""
    root = request.host_url.rstrip("/")
    self_url = root + page_url(result.page)
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _text(feed, "id", self_url)
    _text(feed, "title", feed_title(search_args))
    _text(feed, "updated", _timestamp(updated))
    _text(ET.SubElement(feed, "author"), "name", "Release Search")
    _text(feed, "generator", "Release Search")
    _link(feed, self_url, "self", ATOM)
    _link(feed, search_page_url(root), "alternate", "text/html")
    # Paging links (RFC 5005) let a reader walk a long result list.
    _link(feed, root + page_url(1), "first", ATOM)
    _link(feed, root + page_url(result.pages), "last", ATOM)
    if result.page < result.pages:
        _link(feed, root + page_url(result.page + 1), "next", ATOM)
    if result.page > 1:
        _link(feed, root + page_url(min(result.page - 1, result.pages)), "previous", ATOM)
    for hit in result.hits:
        feed.append(entry_element(hit, root, updated))
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def entry_element(hit: SearchHit, root: str, fallback: dt.datetime) -> ET.Element:
    """Return ``hit`` as an entry whose id is its page here; undated releases take ``fallback`` as updated."""
    page = root + url_for("pages.release", release_id=hit.id)
    entry = ET.Element("entry")
    _text(entry, "id", page)
    _text(entry, "title", xml_text(hit.title).strip() or hit.id)
    published = dt.datetime.fromisoformat(hit.date).replace(tzinfo=dt.UTC) if hit.date else None
    _text(entry, "updated", _timestamp(published or fallback))
    if published:
        _text(entry, "published", _timestamp(published))
    if hit.source:
        _text(ET.SubElement(entry, "author"), "name", hit.source)
    original = web_url(hit.url)
    if original:
        # One alternate per type (RFC 4287 4.1.1): the original, with the page here as related.
        _link(entry, original, "alternate", "text/html")
        _link(entry, page, "related", "text/html")
    else:
        _link(entry, page, "alternate", "text/html")
    for tag in hit.tags:
        if xml_text(tag).strip():
            ET.SubElement(entry, "category", term=xml_text(tag))
    if hit.snippet_html:
        # Escaped text with <mark> (search_app.engine.highlight), escaped once more as Atom "html" text.
        _text(entry, "summary", hit.snippet_html, type="html")
    return entry


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> None:
    ET.SubElement(parent, tag, attributes).text = xml_text(text)


def _link(parent: ET.Element, href: str, rel: str, media_type: str) -> None:
    ET.SubElement(parent, "link", href=xml_text(href), rel=rel, type=media_type)


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def web_url(url: str | None) -> str | None:
    """Return ``url`` when it is an http or https URL, else None."""
    try:
        return url if url and urlsplit(url).scheme in ("http", "https") else None
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None


def feed_title(search_args: SearchRequest) -> str:
    """Return a title that says what the feed searches for."""
    parts = [f"“{search_args.q.strip()}”"] if search_args.q.strip() else ["Newest releases"]
    parts += [f"{name}: {', '.join(values)}" for name, values in search_args.filters.items()]
    if search_args.date_from or search_args.date_to:
        parts.append(f"{search_args.date_from or '…'} to {search_args.date_to or '…'}")
    return "Release Search: " + "; ".join(parts)


def search_page_url(root: str) -> str:
    """Return the absolute URL of the search page with this feed's parameters."""
    query = request.query_string.decode("utf-8", "replace")
    return f"{root}{url_for('pages.search')}" + (f"?{query}" if query else "")
