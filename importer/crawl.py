"""Import one source: walk its listing pages (or feed, or sitemap) and write its releases."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from importer.corpus_files import ReleaseFile, release_path, same_release, write_atomically
from importer.extract import extract_release
from importer.feeds import kind_of, read_feed, read_sitemap
from importer.fetch import Fetcher, FetchError, Page, Politeness, RobotsDisallowed
from importer.listing import ReleaseLink, read_listing
from importer.state import ImportState, PageState, Source
from importer.urls import LinkRules, canonical_url, same_site, site_of, uses_www


class FatalImport(Exception):
    """A source that cannot be imported at all (its start page); reads ``url: reason``."""


@dataclass
class ImportSummary:
    """What an import did, for the one-line summary and ``--json``."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    pages: int = 0
    not_modified: int = 0
    robots_skipped: int = 0
    gone: int = 0  # releases the site no longer has: their files are kept
    requests: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fatal: bool = False
    seconds: float = 0.0

    def error(self, url: str, message: str) -> None:
        """Record a failure as ``url: message``."""
        self.errors.append({"url": url, "message": message})

    def as_dict(self) -> dict[str, object]:
        """Return the summary as JSON-ready data."""
        data = asdict(self)
        del data["fatal"]
        data["seconds"] = round(self.seconds, 3)
        return data


Progress = Callable[[str], None]


@dataclass
class SourceRun:
    """One source being imported: its fetcher, the corpus and what this run has seen."""

    source: Source
    corpus: Path
    state: ImportState
    fetcher: Fetcher
    summary: ImportSummary
    full: bool = False
    progress: Progress = lambda url: None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    seen_links: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.start = canonical_url(self.source.url)
        self.prefer_www = uses_www(self.start)
        include, exclude = self.source.patterns()
        self.rules = LinkRules(self.fetcher.site, self.prefer_www, include, exclude)

    def run(self) -> None:
        """Import the source; raise :class:`FatalImport` when its start page is unusable."""
        try:
            page = self._fetch_page(self.start)
        except FetchError as error:
            raise FatalImport(str(error)) from None
        kind = "listing" if page.not_modified else kind_of(page.body, page.content_type)
        if kind == "feed":
            self._import_links(self._feed_links(page))
        elif kind == "sitemap":
            self._walk_sitemap(page)
        elif kind in ("html", "listing"):
            self._walk_listing(page)
        else:
            raise FatalImport(
                f"{self.start}: not an HTML page, feed or sitemap ({page.content_type or 'no type'})"
            )

    # Listings

    def _walk_listing(self, page: Page) -> None:
        url: str | None = self.start
        visited: set[str] = set()
        while url is not None:
            visited.add(url)
            links, next_url = self._listing_links(url, page)
            if not links and url == self.start:
                raise FatalImport(f"{self.start}: no release links found on the page")
            fresh = [link for link in links if link.url not in self.seen_links]
            if not fresh:
                self.summary.notes.append(f"{url}: nothing new on the page; stopped following the listing")
                return
            never_seen = [link for link in fresh if link.url not in self.state.pages]
            self._import_links(fresh)
            if not self.full and not never_seen:
                return  # a whole page of releases seen before: the rest of the listing is older
            if next_url is None or next_url in visited:
                return
            if len(visited) >= self.source.max_pages:
                self.summary.notes.append(
                    f"{self.start}: stopped after {self.source.max_pages} listing pages (--max-pages)"
                )
                return
            try:
                page = self._fetch_page(next_url)
            except FetchError as error:
                self._failed(error)
                return
            url = next_url

    def _listing_links(self, url: str, page: Page) -> tuple[list[ReleaseLink], str | None]:
        known = self.state.pages.setdefault(url, PageState())
        if not page.not_modified:
            listing = read_listing(page.text, url, self.rules)
            known.links = [asdict(link) for link in listing.releases]
            known.next_url = listing.next_url
        return [ReleaseLink(**link) for link in known.links], known.next_url

    def _feed_links(self, page: Page) -> list[ReleaseLink]:
        known = self.state.pages.setdefault(self.start, PageState())
        if not page.not_modified:
            links = read_feed(page.body, self.start, self.rules)
            if not links:
                raise FatalImport(f"{self.start}: no release links in the feed")
            known.links = [asdict(link) for link in links]
        return [ReleaseLink(**link) for link in known.links]

    def _walk_sitemap(self, page: Page) -> None:
        queue, done = [(self.start, page)], {self.start}
        while queue:
            url, current = queue.pop(0)
            known = self.state.pages.setdefault(url, PageState())
            if not current.not_modified:
                sitemap = read_sitemap(current.body, url, self.rules)
                known.links = [asdict(link) for link in sitemap.releases]
                for child in sitemap.sitemaps:
                    if child not in done and len(done) < self.source.max_pages:
                        done.add(child)
                        try:
                            queue.append((child, self._fetch_page(child)))
                        except FetchError as error:
                            self._failed(error)
            self._import_links([ReleaseLink(**link) for link in known.links])

    def _fetch_page(self, url: str) -> Page:
        """Fetch a listing, feed or sitemap page, revalidating what an earlier run saw."""
        known = self.state.pages.get(url)
        page = self.fetcher.get(url, known.etag if known else None, known.last_modified if known else None)
        self.summary.pages += 1
        self.summary.not_modified += page.not_modified
        self._remember(url, page)
        return page

    # Releases

    def _import_links(self, links: list[ReleaseLink]) -> None:
        for link in links:
            if link.url in self.seen_links:
                continue
            self.seen_links.add(link.url)
            self.progress(link.url)
            try:
                self._import_release(link)
            except RobotsDisallowed:
                self.summary.robots_skipped += 1
            except FetchError as error:
                if error.status in (404, 410) and link.url in self.state.pages:
                    self.summary.gone += 1
                    self.summary.notes.append(
                        f"{link.url}: gone from the site (HTTP {error.status}); its file is kept"
                    )
                else:
                    self._failed(error)

    def _import_release(self, link: ReleaseLink) -> None:
        known = self.state.pages.get(link.url)
        recorded = self.state.releases.get(known.canonical or "") if known else None
        revalidate = known is not None and recorded is not None and (self.corpus / recorded).is_file()
        page = self.fetcher.get(
            link.url,
            known.etag if revalidate and known else None,
            known.last_modified if revalidate and known else None,
        )
        self._remember(link.url, page)
        if page.not_modified:
            self.summary.not_modified += 1
            self.summary.unchanged += 1
            return
        if kind_of(page.body, page.content_type) != "html":
            raise FetchError(link.url, f"not an HTML page ({page.content_type or 'no type'})")
        found = extract_release(page.text, page.final_url, today=self.now.date())
        canonical = (
            found.canonical if found.canonical and same_site(found.canonical, self.fetcher.site) else link.url
        )
        canonical = canonical_url(canonical, prefer_www=self.prefer_www)
        self.state.pages[link.url].canonical = canonical
        if canonical in self.written:
            return  # the same release under another URL: imported once
        self.written.add(canonical)
        title = found.title or link.title
        if not title:
            raise FetchError(link.url, "no title found on the page")
        date = found.date or (dt.date.fromisoformat(link.date) if link.date else None)
        release = ReleaseFile(
            title=title,
            body=found.body,
            url=canonical,
            date=date,
            tags=found.tags,
            source=self.source.name or found.site_name or self.fetcher.site,
            lang=found.lang or self.source.lang,
            fetched=self.now,
        )
        self._write(canonical, release)

    def _write(self, canonical: str, release: ReleaseFile) -> None:
        relative = self.state.releases.get(canonical)
        path = self.corpus / relative if relative else release_path(self.corpus, canonical)
        text = release.render()
        try:
            old = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            old = None
        if old is not None and same_release(old, text):
            self.summary.unchanged += 1
        else:
            write_atomically(path, text)
            if old is None:
                self.summary.new += 1
            else:
                self.summary.updated += 1
        self.state.releases[canonical] = path.relative_to(self.corpus).as_posix()

    def _remember(self, url: str, page: Page) -> None:
        known = self.state.pages.setdefault(url, PageState())
        if page.not_modified:
            return
        known.etag, known.last_modified = page.etag, page.last_modified

    def _failed(self, error: FetchError) -> None:
        self.summary.failed += 1
        self.summary.error(error.url, error.reason)


def import_releases(
    sources: list[Source],
    corpus: Path,
    politeness: Politeness,
    full: bool = False,
    progress: Progress = lambda url: None,
) -> ImportSummary:
    """Import every source into ``corpus``; the state file is saved even when a source fails."""
    started = time.perf_counter()
    summary = ImportSummary()
    state = ImportState.load(corpus)
    fetchers: dict[str, Fetcher] = {}
    try:
        for source in sources:
            fetcher = fetchers.get(site_of(source.url))
            if fetcher is None:
                fetcher = fetchers[site_of(source.url)] = Fetcher(source.url, politeness)
            try:
                SourceRun(source, corpus, state, fetcher, summary, full, progress).run()
            except FatalImport as error:
                url, _, message = str(error).partition(": ")
                summary.error(url, message)
                summary.fatal = True
    finally:
        if corpus.is_dir():
            state.save(corpus)
        for fetcher in fetchers.values():
            summary.requests += fetcher.requests
            fetcher.close()
        summary.seconds = time.perf_counter() - started
    return summary
