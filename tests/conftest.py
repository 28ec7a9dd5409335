"""Shared fixtures: real corpora and indexes in temporary folders, a real server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer import reindex
from search_app import create_app

REPO = Path(__file__).resolve().parent.parent
SEED_CORPUS = REPO / "corpus"
BIN = Path(sys.executable).parent


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped seed corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, target)
    return target


@pytest.fixture
def write_release(tmp_path: Path) -> Callable[..., Path]:
    """Write a Markdown release with front matter into ``tmp_path/corpus``."""

    def write(name: str, front_matter: str, body: str = "", folder: Path | None = None) -> Path:
        root = folder or tmp_path / "corpus"
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{textwrap.dedent(front_matter).strip()}\n---\n{body}", encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the shipped seed corpus, built once per test run."""
    index_dir = tmp_path_factory.mktemp("seed") / "index"
    summary = reindex(SEED_CORPUS, index_dir)
    assert summary.documents == 12 and not summary.errors
    return index_dir


@pytest.fixture
def app(seed_index: Path) -> Flask:
    return create_app(
        {"INDEX_DIR": seed_index, "VARIANTS_PATH": SEED_CORPUS / "variants.txt", "TESTING": True}
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {seconds} s")


@pytest.fixture(scope="session")
def live_server(seed_index: Path) -> Iterator[str]:
    """The real ``search-app`` command (gunicorn, 2 workers) on 127.0.0.1; yields its base URL."""
    port = free_port()
    env = {**os.environ, "RELEASE_SEARCH_VARIANTS": str(SEED_CORPUS / "variants.txt")}
    process = subprocess.Popen(
        [str(BIN / "search-app"), "--port", str(port), "--workers", "2", "--index", str(seed_index)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/healthz", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
