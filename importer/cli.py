"""The ``import-releases`` command: listing pages, feeds and sitemaps to corpus files."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
from tqdm import tqdm

from importer.crawl import ImportSummary, import_releases
from importer.fetch import Politeness
from importer.state import BadSources, Source, read_sources, remember_sources
from indexer.settings import CORPUS_ENV

EXIT_OK, EXIT_FAILURES, EXIT_FATAL = 0, 1, 2


def _patterns(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        try:
            re.compile(value)
        except re.error as exc:
            raise click.BadParameter(f"not a regular expression: {value!r} ({exc})") from None
    return values


def _urls(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not re.match(r"^https?://[^/\s]+", value):
            raise click.BadParameter(f"not an http(s) URL: {value!r}")
    return values


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("urls", nargs=-1, callback=_urls, metavar="[URL]...")
@click.option(
    "--corpus",
    type=click.Path(path_type=Path, file_okay=False),
    envvar=CORPUS_ENV,
    required=True,
    help=f"Corpus folder to write releases into (DIR/<host>/…/<slug>.md). Env: {CORPUS_ENV}.",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds between requests to a host (robots.txt's Crawl-delay when larger).",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Listing pages to follow at most.",
)
@click.option("--source", "source_name", help="Source name for the releases [default: the site's name].")
@click.option("--lang", help="Language code for releases whose page does not say (<html lang>).")
@click.option(
    "--include", multiple=True, callback=_patterns, help="Only release URLs matching this regex (repeatable)."
)
@click.option(
    "--exclude", multiple=True, callback=_patterns, help="No release URLs matching this regex (repeatable)."
)
@click.option(
    "--full", is_flag=True, help="Walk every listing page, not only until a page holds nothing new."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.01),
    default=20.0,
    show_default=True,
    help="Seconds for one page, at most.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1024),
    default=5_000_000,
    show_default=True,
    help="Size of one page (decompressed), at most.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def main(
    urls: tuple[str, ...],
    corpus: Path,
    delay: float,
    max_pages: int,
    source_name: str | None,
    lang: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    full: bool,
    timeout: float,
    max_bytes: int,
    as_json: bool,
) -> None:
    """Import press releases from listing pages, RSS/Atom feeds or sitemaps at URL
    into the corpus folder, as Markdown with front matter for reindex.

    With no URL, the sources recorded in DIR/sources.toml are imported again.
    Incremental: pages seen before are revalidated (ETag, Last-Modified), and a
    listing is followed until a page holds nothing new. Exit status: 0 all
    well, 1 finished with failures, 2 fatal (start page unusable, bad options).
    """
    if urls:
        sources = [Source(url, source_name, lang, include, exclude, max_pages) for url in dict.fromkeys(urls)]
    else:
        try:
            sources = read_sources(corpus)
        except BadSources as exc:
            click.echo(f"import-releases: {exc}", err=True)
            sys.exit(EXIT_FATAL)
    corpus.mkdir(parents=True, exist_ok=True)
    politeness = Politeness(delay=delay, timeout=timeout, max_bytes=max_bytes)
    with tqdm(unit=" releases", disable=None, file=sys.stderr, leave=False) as bar:

        def tick(url: str) -> None:
            bar.set_postfix_str(url[-60:], refresh=False)
            bar.update()

        try:
            summary = import_releases(sources, corpus, politeness, full=full, progress=tick)
        except KeyboardInterrupt:
            click.echo("import-releases: interrupted; files written so far are complete.", err=True)
            sys.exit(EXIT_FATAL)
    if urls:
        remember_sources(
            corpus,
            [s for s in sources if s.url not in {e["url"] for e in summary.errors} or not summary.fatal],
        )
    _report(summary, as_json)
    sys.exit(EXIT_FATAL if summary.fatal else EXIT_FAILURES if summary.failed else EXIT_OK)


def _report(summary: ImportSummary, as_json: bool) -> None:
    if as_json:
        data = summary.as_dict()
        del data["notes"], data["requests"]
        click.echo(json.dumps(data))
        return
    for error in summary.errors:
        click.echo(f"{error['url']}: {error['message']}", err=True)
    for note in summary.notes:
        click.echo(note, err=True)
    gone = f", {summary.gone} gone from the site (files kept)" if summary.gone else ""
    pages = f"{summary.pages} listing page{'' if summary.pages == 1 else 's'}"
    click.echo(
        f"imported: {summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.failed} failed{gone}; {pages}, {summary.not_modified} not modified, "
        f"{summary.robots_skipped} skipped by robots.txt; {summary.requests} requests "
        f"({summary.seconds:.1f} s)"
    )
