"""The ``search-app`` command: serve the app with gunicorn, a production WSGI server."""

from __future__ import annotations

import os
import socket
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
@click.option(
    "--socket-fd",
    type=click.IntRange(0),
    default=None,
    help="Serve on this listening socket, already open (a file descriptor handed over by a "
    "service manager or a test), instead of HOST:PORT.",
)
@index_dir_option("Index directory to serve.")
def main(host: str, port: int, workers: int, socket_fd: int | None, index_dir: Path) -> None:
    """Serve the search page and JSON API on http://HOST:PORT."""
    try:
        codec.check_whoosh_version()
    except codec.UnsupportedWhoosh as exc:
        raise click.ClickException(str(exc)) from None
    if socket_fd is not None:
        _check_listening(socket_fd)
    os.environ[INDEX_ENV] = str(index_dir.resolve())
    place = (
        f"the socket of file descriptor {socket_fd}" if socket_fd is not None else f"http://{host}:{port}/"
    )
    click.echo(f"Release Search on {place} (index {index_dir}, {workers} workers)", err=True)
    GunicornServer(
        {
            "bind": f"fd://{socket_fd}" if socket_fd is not None else f"{host}:{port}",
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


def _check_listening(fd: int) -> None:
    """Fail with a usage error unless ``fd`` is an open socket that listens."""
    try:
        with socket.socket(fileno=os.dup(fd)) as handed:
            listening = handed.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    except OSError as exc:
        raise click.BadParameter(
            f"{fd} is not an open socket ({exc.strerror})", param_hint="--socket-fd"
        ) from None
    if not listening:
        raise click.BadParameter(
            f"the socket of file descriptor {fd} does not listen", param_hint="--socket-fd"
        )
