"""Polite HTTP for one site: robots.txt, a gap between requests, retries, caps, redirects."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from urllib.parse import urljoin

import httpx

from importer.decode import decode_page
from importer.robots import ROBOTS_TOKEN, RobotsRules
from importer.urls import canonical_url, same_site, site_of

RETRY_STATUSES = (429, 503)


def _user_agent() -> str:
    try:
        version = metadata.version("release-search")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"{ROBOTS_TOKEN}/{version} (import-releases of Release Search, a press-release search engine)"


USER_AGENT = _user_agent()


@dataclass(frozen=True)
class Politeness:
    """How gently to fetch: every limit the importer keeps to."""

    delay: float = 1.0  # minimum seconds from the end of one request to the start of the next
    timeout: float = 20.0  # seconds for a whole response, a stalled one included
    max_bytes: int = 5_000_000  # a page's size, after decompression
    max_retries: int = 3  # for 429 and 503
    max_retry_wait: float = 120.0  # the most we wait on one Retry-After
    max_redirects: int = 5


class FetchError(Exception):
    """A page that could not be had, and why; ``str()`` reads ``url: reason``."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.status = url, reason, status


class RobotsDisallowed(FetchError):
    """robots.txt asks us not to fetch the page."""


@dataclass
class Page:
    """One answer: the page's bytes and what revalidating it later needs."""

    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    content_type: str
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None  # of a redirect
    retry_after: str | None = None  # of a 429 or 503
    _text: str | None = field(default=None, repr=False)

    @property
    def not_modified(self) -> bool:
        """Tell whether the server answered 304 Not Modified."""
        return self.status == 304

    @property
    def text(self) -> str:
        """Return the body as text, decoded as a browser would."""
        if self._text is None:
            self._text = decode_page(self.body, self.content_type)
        return self._text


class Fetcher:
    """Fetch pages of one site, one at a time, as robots.txt and :class:`Politeness` allow."""

    def __init__(
        self,
        start_url: str,
        politeness: Politeness,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.site = site_of(start_url)
        self.origin = canonical_url(urljoin(start_url, "/"))
        self.politeness = politeness
        self._client = client or httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(politeness.timeout),
            follow_redirects=False,
        )
        self._clock, self._sleep = clock, sleep
        self._ready_at = 0.0
        self._robots: RobotsRules | None = None
        self._robots_unreachable: str | None = None  # why robots.txt could not be had
        self.requests = 0

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    @property
    def robots(self) -> RobotsRules:
        """Return the site's robots.txt rules, fetched on first use."""
        if self._robots is None:
            url = urljoin(self.origin, "/robots.txt")
            try:
                page = self._request(url, {})
                self._robots = RobotsRules.from_response(page.status, page.text if page.status < 300 else "")
            except FetchError as error:
                self._robots = RobotsRules.from_response(error.status, "")
                self._robots_unreachable = error.reason
            # Its Crawl-delay counts from robots.txt itself on.
            self._ready_at = max(self._ready_at, self._clock() + self.delay)
        return self._robots

    @property
    def delay(self) -> float:
        """Return the gap kept between requests: ``--delay`` or Crawl-delay, the larger."""
        return max(self.politeness.delay, self.robots.crawl_delay())

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Page:
        """Fetch ``url``, revalidating with ``etag``/``last_modified``; raise :class:`FetchError`."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = [url]
        current = url
        while True:
            if not same_site(current, self.site):
                raise FetchError(url, f"redirected off the site, to {current}")
            if not self.robots.allows(current):
                if self._robots_unreachable:
                    raise FetchError(url, f"{self._robots_unreachable} (robots.txt could not be read)")
                raise RobotsDisallowed(
                    url, "disallowed by robots.txt" + ("" if current == url else f" ({current})")
                )
            page = self._with_retries(current, headers)
            if page.status not in (301, 302, 303, 307, 308):
                page.url = url
                return page
            location = page.location
            if not location:
                raise FetchError(url, f"HTTP {page.status} without a Location")
            current = urljoin(current, location)
            if current in seen:
                raise FetchError(url, f"redirect loop ({' -> '.join([*seen, current])})")
            if len(seen) > self.politeness.max_redirects:
                raise FetchError(url, f"more than {self.politeness.max_redirects} redirects")
            seen.append(current)
            headers = {}

    def _with_retries(self, url: str, headers: dict[str, str]) -> Page:
        for attempt in range(self.politeness.max_retries + 1):
            page = self._request(url, headers)
            if page.status not in RETRY_STATUSES:
                if page.status >= 400:
                    raise FetchError(url, f"HTTP {page.status}", page.status)
                return page
            if attempt == self.politeness.max_retries:
                break
            # Back off: what Retry-After asks (capped), else 1, 2, 4… times the delay.
            wait = _retry_after(page.retry_after, time.time())
            backoff = max(self.delay, 1.0) * 2**attempt
            wait = min(wait if wait is not None else backoff, self.politeness.max_retry_wait)
            self._ready_at = max(self._ready_at, self._clock() + wait)
        raise FetchError(url, f"HTTP {page.status} after {self.politeness.max_retries} retries", page.status)

    def _request(self, url: str, headers: dict[str, str]) -> Page:
        """Send one request when the gap allows; read at most ``max_bytes`` within ``timeout``."""
        wait = self._ready_at - self._clock()
        if wait > 0:
            self._sleep(wait)
        self.requests += 1
        deadline = self._clock() + self.politeness.timeout
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                return self._read(url, response, deadline)
        except httpx.TimeoutException:
            raise FetchError(url, f"timed out after {self.politeness.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, _network_reason(exc)) from None
        finally:
            # The gap runs from the end of this request, so the server sees it too.
            self._ready_at = max(self._ready_at, self._clock() + self._gap())

    def _gap(self) -> float:
        # robots.txt itself is fetched before its Crawl-delay is known.
        return self.politeness.delay if self._robots is None else self.delay

    def _read(self, url: str, response: httpx.Response, deadline: float) -> Page:
        status = response.status_code
        header = response.headers.get
        if status in (301, 302, 303, 307, 308):
            return Page(url, url, status, "", location=header("location"))
        if status in RETRY_STATUSES:
            return Page(url, url, status, "", retry_after=header("retry-after"))
        page = Page(
            url,
            str(response.url),
            status,
            header("content-type", ""),
            b"",
            header("etag"),
            header("last-modified"),
        )
        if status != 200:
            return page
        cap = self.politeness.max_bytes
        length = header("content-length")
        if length and length.isdigit() and int(length) > cap and not header("content-encoding"):
            raise FetchError(url, f"page larger than the {cap:,}-byte cap ({int(length):,} bytes); not read")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise FetchError(url, f"page larger than the {cap:,}-byte cap; not read")
            if self._clock() > deadline:
                raise FetchError(url, f"timed out after {self.politeness.timeout:g} s")
            chunks.append(chunk)
        page.body = b"".join(chunks)
        return page


def _retry_after(value: str | None, now: float) -> float | None:
    """Return the seconds a Retry-After header asks for (delta-seconds or an HTTP date).

    >>> _retry_after("3", 0.0), _retry_after("Thu, 01 Jan 1970 00:00:10 GMT", 4.0), _retry_after("soon", 0.0)
    (3.0, 6.0, None)
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _network_reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({_first_line(exc) or 'connection refused'})"
    if isinstance(exc, httpx.DecodingError):
        return f"cannot decompress the page ({_first_line(exc)})"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0]
