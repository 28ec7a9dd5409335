"""The ``search-app`` command: serve the app with gunicorn, a production WSGI server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

from indexer import codec
from indexer.cli import index_dir_option
from indexer.settings import INDEX_ENV

# A query pasted into the search box must get an answer, not gunicorn's HTML 414 (its
# limit is at most 8,190 bytes). So the request line is not limited by gunicorn's setting
# (0): its C parser (gunicorn-h1c, used when installed) then accepts lines up to 1 MiB, more than a browser's
# form sends in practice, and without the pure-Python parser's re-copying of the buffer
# on every read. The app cuts the query itself (search_app/web/params.py, then
# query_reading's word and character limits) and says so in the answer's warnings.
# Fronting gunicorn to turn its refusals into our error shape would need a proxy in front
# of every deployment; accepting the line keeps the one process and one error shape.
LONG_REQUEST_LINES = 0


class GunicornServer(BaseApplication):
    """Run a Flask app factory under gunicorn with the given settings."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Imported here so each worker builds its own app (and opens its own searcher).
        from search_app import create_app

        return create_app()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    envvar="PORT",
    default=8000,
    show_default=True,
    help="Port to listen on. Env: PORT.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    envvar="RELEASE_SEARCH_WORKERS",
    default=min(4, (os.cpu_count() or 1) + 1),
    show_default=True,
    help="Worker processes. Env: RELEASE_SEARCH_WORKERS.",
)
@index_dir_option("Index directory to serve.")
def main(host: str, port: int, workers: int, index_dir: Path) -> None:
    """Serve the search page and JSON API on http://HOST:PORT."""
    try:
        codec.check_whoosh_version()
    except codec.UnsupportedWhoosh as exc:
        raise click.ClickException(str(exc)) from None
    os.environ[INDEX_ENV] = str(index_dir.resolve())
    click.echo(f"Release Search on http://{host}:{port}/ (index {index_dir}, {workers} workers)", err=True)
    GunicornServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "sync",
            "timeout": 30,
            "limit_request_line": LONG_REQUEST_LINES,
            "graceful_timeout": 10,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "warning",
        }
    ).run()
