"""The ``reindex`` command: keep the index in step with the corpus."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click
from tqdm import tqdm

from indexer import codec, huge_pages
from indexer.build import StrictStop, reindex
from indexer.corpus import CorpusNotFound
from indexer.publish import publish_to
from indexer.records import ReleaseRecord
from indexer.settings import CORPUS_ENV, DEFAULT_CORPUS, DEFAULT_INDEX, INDEX_ENV
from indexer.store import IndexLocked, IndexMissing, IndexStore

EXIT_OK, EXIT_SKIPPED, EXIT_FATAL = 0, 1, 2
# Passed as the context's object by the installed command (:func:`run`): it may start
# itself again (in-process callers, such as tests, are never replaced).
RERUNNABLE = "rerunnable"
F = TypeVar("F", bound=Callable[..., Any])


def index_dir_option(purpose: str) -> Callable[[F], F]:
    """Return the ``--index DIR`` option (env ``RELEASE_SEARCH_INDEX``) shared by both commands."""
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar=INDEX_ENV,
        default=DEFAULT_INDEX,
        show_default=True,
        help=f"{purpose} Env: {INDEX_ENV}.",
    )


def _progress_bar(records: Iterable[ReleaseRecord], total: int) -> Iterable[ReleaseRecord]:
    # disable=None: a bar on a terminal, silence when stderr is a pipe or file.
    return tqdm(records, total=total, unit=" releases", disable=None, file=sys.stderr, leave=False)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
@click.option(
    "--corpus",
    "corpus",
    type=click.Path(path_type=Path),
    envvar=CORPUS_ENV,
    default=DEFAULT_CORPUS,
    show_default=True,
    help=f"Folder or file of releases (.md .txt .jsonl .jsonl.gz .html .xml .rss .atom). Env: {CORPUS_ENV}.",
)
@index_dir_option("Index directory to create or update.")
@click.option("--full", is_flag=True, help="Build a fresh index beside the live one and swap it in.")
@click.option("--strict", is_flag=True, help="Stop at the first bad record and change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Seconds to wait for another reindex to finish.",
)
@click.option(
    "--publish",
    "destinations",
    type=click.Path(path_type=Path, file_okay=False),
    multiple=True,
    help="Then copy the live generation, read-only, into this app server's index directory "
    "and make it live there (repeatable).",
)
def main(
    context: click.Context,
    corpus: Path,
    index_dir: Path,
    full: bool,
    strict: bool,
    as_json: bool,
    wait_seconds: float,
    destinations: tuple[Path, ...],
) -> None:
    """Index the releases in CORPUS into the index directory.

    Incremental by default: only added, changed and removed releases are
    written. Exit status: 0 all well, 1 finished but skipped bad records,
    2 usage or fatal error.
    """
    try:
        codec.check_whoosh_version()
    except codec.UnsupportedWhoosh as exc:
        click.echo(f"reindex: {exc}", err=True)
        sys.exit(EXIT_FATAL)
    if context.obj == RERUNNABLE and (full or IndexStore(index_dir).current() is None):
        huge_pages.rerun_with_huge_pages(sys.argv[1:])  # a full build: returns if no gain
    try:
        summary = reindex(
            corpus, index_dir, full=full, strict=strict, wait_seconds=wait_seconds, progress=_progress_bar
        )
    except (CorpusNotFound, IndexLocked, StrictStop) as exc:
        click.echo(f"reindex: {exc}", err=True)
        sys.exit(EXIT_FATAL)
    except KeyboardInterrupt:
        click.echo("reindex: interrupted; the live index was not changed.", err=True)
        sys.exit(EXIT_FATAL)
    except OSError as exc:  # a full disk, a file size limit, a folder it may not write to
        click.echo(f"reindex: {_where_and_why(exc, index_dir)}", err=True)
        sys.exit(EXIT_FATAL)
    for error in summary.errors:
        click.echo(str(error), err=True)
    try:
        for destination in destinations:
            copy = publish_to(index_dir, destination, wait_seconds)
            click.echo(f"published {copy.name} to {destination}", err=True)
    except (IndexLocked, IndexMissing, OSError) as exc:
        click.echo(f"reindex: cannot publish: {exc}", err=True)
        sys.exit(EXIT_FATAL)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(summary.line())
    sys.exit(EXIT_SKIPPED if summary.errors else EXIT_OK)


def run() -> None:
    """The installed ``reindex`` command: :func:`main`, which may start the command again
    before a full build (:mod:`indexer.huge_pages`)."""
    main(prog_name="reindex", obj=RERUNNABLE)


def _where_and_why(error: OSError, index_dir: Path) -> str:
    """Return ``path: reason`` for an operating system error: the file it names, else the
    index folder (a failed write names no file)."""
    return f"{error.filename or index_dir}: {error.strerror or error}"
