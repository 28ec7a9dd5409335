"""URL canonicalisation, so that each release is imported once, and the one-site rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that only say where a visitor came from.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|igshid|yclid)$", re.IGNORECASE
)


def site_of(url: str) -> str:
    """Return the site a URL belongs to: its host without ``www.``.

    >>> site_of("https://WWW.Example.org:443/news")
    'example.org'
    """
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def same_site(url: str, site: str) -> bool:
    """Tell whether ``url`` is on ``site`` (``www.`` or not), over http or https."""
    parts = urlsplit(url)
    return parts.scheme in DEFAULT_PORTS and site_of(url) == site


def canonical_url(url: str, base: str | None = None, prefer_www: bool | None = None) -> str:
    """Return ``url`` (resolved against ``base``) in one spelling per page.

    Fragments, tracking parameters (``utm_*``, ``fbclid``…), default ports, a
    trailing slash (except the root's) and an empty query go; scheme and host
    are lowercased; ``prefer_www`` puts ``www.`` on the host or takes it off.

    >>> canonical_url("HTTP://Example.org:80/news/raqqa/?utm_source=x&id=3#top")
    'http://example.org/news/raqqa?id=3'
    >>> canonical_url("/a/b/", base="https://www.example.org/news", prefer_www=False)
    'https://example.org/a/b'
    """
    absolute = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(absolute)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if prefer_www is True and not host.startswith("www.") and "." in host and not _is_ip(host):
        host = "www." + host
    elif prefer_www is False:
        host = host.removeprefix("www.")
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port is not None and parts.port != DEFAULT_PORTS.get(scheme):
        netloc += f":{parts.port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(key)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _is_ip(host: str) -> bool:
    return bool(re.fullmatch(r"[\d.]+", host)) or ":" in host


def uses_www(url: str) -> bool:
    """Tell whether the URL's host starts with ``www.``."""
    return (urlsplit(url).hostname or "").lower().startswith("www.")


def matches_any(url: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    """Tell whether any of ``patterns`` is found in ``url``."""
    return any(pattern.search(url) for pattern in patterns)


@dataclass(frozen=True)
class LinkRules:
    """Which links of a source count: on its site, spelled canonically, and (when given)
    matching an ``include`` pattern and no ``exclude`` pattern."""

    site: str
    prefer_www: bool = False
    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()

    def on_site(self, href: str | None, base: str) -> str | None:
        """Return ``href`` resolved and canonical when it leads to a page of the site, else None."""
        if not href or href.strip().startswith(("#", "mailto:", "tel:", "javascript:")):
            return None
        absolute = canonical_url(href, base=base, prefer_www=self.prefer_www)
        return absolute if same_site(absolute, self.site) else None

    def wanted(self, url: str) -> bool:
        """Tell whether the include/exclude patterns let ``url`` through."""
        return (not self.include or matches_any(url, self.include)) and not matches_any(url, self.exclude)
