"""A web site on 127.0.0.1 for the importer's tests: tests/fixtures/site/ plus trap routes,
with ETag/Last-Modified, gzip, and a log of every request as the server saw it."""

from __future__ import annotations

import gzip
import hashlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SITE_DIR = Path(__file__).resolve().parent / "fixtures" / "site"
LAST_MODIFIED = "Mon, 05 Mar 2018 10:00:00 GMT"


@dataclass(frozen=True)
class Hit:
    """One request: when it arrived (server's monotonic clock), what it asked for, its headers."""

    at: float
    path: str  # path and query
    host: str
    headers: dict[str, str]


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


Route = Callable[["Handler"], None]


def site_pages() -> dict[str, Resource]:
    """Return tests/fixtures/site/ by URL: ``news/x.html`` is ``/news/x``, ``@`` stands for ``?``."""
    pages = {}
    for path in sorted(SITE_DIR.rglob("*.html")):
        url = "/" + path.relative_to(SITE_DIR).with_suffix("").as_posix().replace("@", "?")
        pages[url] = Resource(path.read_bytes())
    return pages


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        site = self.server.site
        with site.lock:
            site.log.append(
                Hit(time.monotonic(), self.path, self.headers.get("Host", ""), dict(self.headers))
            )
        parts = urlsplit(self.path)
        route = site.routes.get(parts.path)
        if route is not None:
            route(self)
            return
        resource = site.pages.get(self.path) or site.pages.get(parts.path.rstrip("/") or "/")
        if resource is None:
            self.send(Resource(b"<html><body><h1>Not found</h1></body></html>", status=404))
            return
        self.send(resource)

    def send(self, resource: Resource) -> None:
        body = resource.body
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        if resource.status == 200 and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(resource.status)
        headers = {"Content-Type": resource.content_type, **resource.headers}
        if resource.status == 200:
            headers.setdefault("ETag", etag)
            headers.setdefault("Last-Modified", LAST_MODIFIED)
        if "gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 512:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    site: FixtureSite

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet when a client drops a connection (the importer closes kept-alive ones
        and gives up on huge pages); anything else is a bug in a test's route: print it."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FixtureSite:
    """The fixture site, served on a free port of 127.0.0.1 by a thread."""

    def __init__(self) -> None:
        self.pages = site_pages()
        self.routes: dict[str, Route] = {}
        self.log: list[Hit] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()  # lets stalled routes finish at teardown
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.site = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/press-releases") -> str:
        """Return the absolute URL of ``path`` on this site."""
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        """Return the paths requested so far, in order."""
        with self.lock:
            return [hit.path for hit in self.log]

    def hits(self, prefix: str = "/") -> list[Hit]:
        """Return the requests whose path starts with ``prefix``."""
        with self.lock:
            return [hit for hit in self.log if hit.path.startswith(prefix)]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def html(
        self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        """Serve ``body`` at ``path``."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[path] = Resource(data, content_type, dict(headers))

    def __enter__(self) -> FixtureSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def serve_site() -> Iterator[FixtureSite]:
    with FixtureSite() as site:
        yield site
