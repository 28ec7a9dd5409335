"""Shared fixtures: real corpora and indexes in temporary folders, a real server."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fixture_site import FixtureSite, serve_site
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings

from indexer import reindex
from search_app import create_app

# Property tests explore new examples locally and replay the same ones in CI.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile("ci" if os.environ.get("CI") else "default")

REPO = Path(__file__).resolve().parent.parent
SEED_CORPUS = REPO / "corpus"
MULTILINGUAL_FIXTURES = REPO / "tests" / "fixtures" / "multilingual"
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


@pytest.fixture(scope="session")
def multilingual_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpus and the French and Arabic fixtures (genuine texts) in one folder."""
    target = tmp_path_factory.mktemp("multilingual") / "corpus"
    shutil.copytree(SEED_CORPUS, target)
    for path in MULTILINGUAL_FIXTURES.glob("*.md"):
        if path.name != "SOURCES.md":
            shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def multilingual_index(multilingual_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of :func:`multilingual_corpus`, built once per test run."""
    index_dir = tmp_path_factory.mktemp("multilingual") / "index"
    summary = reindex(multilingual_corpus, index_dir)
    assert summary.documents == 36 and not summary.errors
    return index_dir


@pytest.fixture
def multilingual_client(multilingual_corpus: Path, multilingual_index: Path) -> FlaskClient:
    variants = multilingual_corpus / "variants.txt"
    config = {"INDEX_DIR": multilingual_index, "VARIANTS_PATH": variants, "TESTING": True}
    return create_app(config).test_client()


@pytest.fixture
def app(seed_index: Path) -> Flask:
    return create_app(
        {"INDEX_DIR": seed_index, "VARIANTS_PATH": SEED_CORPUS / "variants.txt", "TESTING": True}
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def wait_until_serving(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Wait for the server's first answer. Its socket listens from the start, so the
    request waits in the socket's queue until the server takes it (no polling); if the
    server exits, its socket closes and the request is refused at once."""
    try:
        with urllib.request.urlopen(url, timeout=seconds):
            return
    except OSError as exc:
        raise RuntimeError(f"server did not answer {url}: {exc} (exit code {process.poll()})") from exc


@contextlib.contextmanager
def serving(index_dir: Path, workers: int = 2) -> Iterator[str]:
    """Run the real ``search-app`` command (gunicorn) on a free port of 127.0.0.1; yield its base URL."""
    env = {**os.environ, "RELEASE_SEARCH_VARIANTS": str(SEED_CORPUS / "variants.txt")}
    with socket.create_server(("127.0.0.1", 0)) as listener:  # handed to the server, listening
        port = listener.getsockname()[1]
        fd = str(listener.fileno())
        process = subprocess.Popen(
            [
                str(BIN / "search-app"),
                "--socket-fd",
                fd,
                "--workers",
                str(workers),
                "--index",
                str(index_dir),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(listener.fileno(),),
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/healthz", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(seed_index: Path) -> Iterator[str]:
    """The real server over the seed index, shared by the tests of a run."""
    with serving(seed_index) as base:
        yield base


def synthetic_corpus(path: Path, count: int, seed: int = 7) -> Path:
    """Write ``count`` deterministic releases as JSON Lines (for build and fault tests)."""
    rng = random.Random(seed)
    words = [line.strip() for line in WORDS.split() if line.strip()]
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            body = " ".join(rng.choice(words) for _ in range(rng.randint(40, 120)))
            title = " ".join(rng.choice(words) for _ in range(6)).capitalize()
            record = {
                "id": f"syn-{number:06d}",
                "title": title,
                "body": body,
                "date": f"{2010 + number % 9}-{1 + number % 12:02d}-{1 + number % 28:02d}",
                "topics": [rng.choice(["Tax", "Civil Rights", "Antitrust"])],
            }
            handle.write(json.dumps(record) + "\n")
    return path


WORDS = """coalition forces liberate city bridge engineers minister meeting partners support
reconstruction stability security offensive district release statement attorney general
court sentenced charged fraud tax civil rights antitrust investigation federal agents
department justice prosecutor announced today guilty plea scheme million victims trial"""


@pytest.fixture
def fixture_site() -> Iterator[FixtureSite]:
    """The seed's press-release listing as a CMS site on 127.0.0.1 (tests/fixtures/site/)."""
    yield from serve_site()


def checked_dense_postings(reader: Any, dense: Any, fieldnames: list[str], least: int) -> int:
    """Check one segment's dense postings (``DensePostings``): they hold exactly its words in
    ``least`` of its releases or more, each equal to what Whoosh reads from the blocks
    (deleted releases included), with positions in the exact fields. Return how many
    words were checked."""
    from indexer.codec.postings_reader import read_postings
    from indexer.schema import phrase_field

    checked = 0
    for fieldname in fieldnames:
        for btext, info in reader.iter_field(fieldname):
            arrays = dense.postings(fieldname, btext)
            assert (arrays is not None) == (info.doc_frequency() >= least), (fieldname, btext)
            if arrays is None:
                continue
            matcher = reader.postings(fieldname, btext)
            ids, weights, _ = read_postings(getattr(matcher, "child", matcher))
            assert arrays[0].tolist() == ids.tolist() and arrays[1].tolist() == weights.tolist()
            positions = dense.positions(fieldname, btext)
            assert (positions is not None) == phrase_field(fieldname), (fieldname, btext)
            if positions is not None:
                counts, flat = positions[0].tolist(), positions[1].tolist()
                matcher = reader.postings(fieldname, btext)
                _, _, values = read_postings(getattr(matcher, "child", matcher), with_values=True)
                expected = [list(reader.schema[fieldname].format.decode_positions(value)) for value in values]
                starts = list(itertools.accumulate(counts, initial=0))
                assert [flat[start:end] for start, end in itertools.pairwise(starts)] == expected
            checked += 1
    return checked
