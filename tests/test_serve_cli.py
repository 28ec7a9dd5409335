"""``search-app``'s options: a socket handed over must be one that listens."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

from search_app.web.serve import main as serve_main


def test_a_file_handed_over_as_the_socket_is_a_usage_error(tmp_path: Path) -> None:
    with open(tmp_path / "not-a-socket", "w") as handle:
        fd = handle.fileno()
        result = CliRunner().invoke(serve_main, ["--index", str(tmp_path), "--socket-fd", str(fd)])
    assert result.exit_code == 2
    assert f"Invalid value for --socket-fd: {fd} is not an open socket" in result.output


def test_a_socket_that_does_not_listen_is_a_usage_error(tmp_path: Path) -> None:
    with socket.socket() as unlistening:
        unlistening.bind(("127.0.0.1", 0))
        result = CliRunner().invoke(
            serve_main, ["--index", str(tmp_path), "--socket-fd", str(unlistening.fileno())]
        )
    assert result.exit_code == 2
    assert "does not listen" in result.output
