"""Exports: every match of a search as CSV or JSON Lines, in the search's order, streamed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_CORPUS, synthetic_corpus
from flask import Flask
from flask.testing import FlaskClient

from indexer import reindex
from search_app import create_app

FIELDS = ["id", "title", "date", "url", "source", "tags", "lang", "score"]


def read_csv(client: FlaskClient, query: str) -> tuple[list[dict[str, str]], Any]:
    response = client.get(f"/api/search.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True), newline=""))
    rows = list(reader)
    assert reader.fieldnames == FIELDS
    return rows, response.headers


def read_jsonl(client: FlaskClient, query: str) -> tuple[list[dict[str, Any]], Any]:
    response = client.get(f"/api/search.jsonl?{query}")
    assert response.status_code == 200 and response.mimetype == "application/jsonl"
    lines = response.get_data(as_text=True).splitlines()
    return [json.loads(line) for line in lines], response.headers


def every_hit(client: FlaskClient, query: str) -> list[dict[str, Any]]:
    """Return every hit of ``/api/search`` for ``query``, page by page."""
    hits, page = [], 1
    while True:
        data = client.get(f"/api/search?{query}&per_page=100&page={page}").get_json()
        hits += data["hits"]
        if page >= data["pages"]:
            return hits
        page += 1


@pytest.mark.parametrize(
    "query",
    ["q=", "q=daesh", "q=raqqa&sort=oldest", "tag=Iraq&sort=newest", "q=daesh&from=2017-01-01", "q=xyzzy"],
)
def test_exports_hold_every_match_in_the_search_order(client: FlaskClient, query: str) -> None:
    hits = every_hit(client, query)
    rows, headers = read_csv(client, query)
    lines, _ = read_jsonl(client, query)
    assert len(rows) == len(lines) == len(hits) == int(headers["X-Export-Total"])
    assert [row["id"] for row in rows] == [line["id"] for line in lines] == [hit["id"] for hit in hits]
    for hit, row, line in zip(hits, rows, lines, strict=True):
        assert line == {name: hit[name] for name in FIELDS}
        assert row == {
            **{name: "" if hit[name] is None else str(hit[name]) for name in FIELDS},
            "tags": "; ".join(hit["tags"]),
        }
    assert headers["X-Export-Truncated"] == "false"


def test_export_names_the_file_after_the_search(client: FlaskClient) -> None:
    for query, name in [
        (
            "q=Raqqa+liberated&tag=Syria&from=2017-01-01",
            "releases-raqqa-liberated-tag-syria-from-2017-01-01.csv",
        ),
        ("q=", "releases-all.csv"),
    ]:
        with client.get(f"/api/search.csv?{query}") as response:
            assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'


def test_export_refuses_what_the_api_refuses(client: FlaskClient) -> None:
    response = client.get("/api/search.csv?sort=random")
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == "sort"


@pytest.fixture(scope="module")
def synthetic_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    corpus = synthetic_corpus(root / "releases.jsonl", 1500)
    index = root / "index"
    assert reindex(corpus, index).documents == 1500
    return index


def synthetic_app(index: Path, **config: Any) -> Flask:
    return create_app(
        {"INDEX_DIR": index, "VARIANTS_PATH": SEED_CORPUS / "variants.txt", "TESTING": True, **config}
    )


def test_large_export_is_streamed_and_counts_equal_the_total(synthetic_index: Path) -> None:
    client = synthetic_app(synthetic_index).test_client()
    total = client.get("/api/search?q=fraud OR court").get_json()["total"]
    assert total > 500
    response = client.get("/api/search.csv?q=fraud OR court", buffered=False)
    assert response.is_streamed and "Content-Length" not in response.headers
    chunks = list(response.response)
    response.close()
    assert len(chunks) > 1  # written a chunk at a time, not as one body
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode(), newline="")))
    assert len(rows) == total
    scores = [float(row["score"]) for row in rows]
    assert scores[60:] == sorted(scores[60:], reverse=True)  # by relevance below the re-ranked head
    lines, _ = read_jsonl(client, "q=fraud OR court")
    assert len(lines) == total and [line["id"] for line in lines] == [row["id"] for row in rows]


def test_export_beyond_the_cap_is_cut_and_says_so(synthetic_index: Path) -> None:
    client = synthetic_app(synthetic_index, EXPORT_MAX_ROWS=100).test_client()
    rows, headers = read_csv(client, "sort=oldest")
    assert len(rows) == 100
    assert (headers["X-Export-Truncated"], headers["X-Export-Total"], headers["X-Export-Rows"]) == (
        "true",
        "1500",
        "100",
    )
    assert [row["date"] for row in rows] == sorted(row["date"] for row in rows)
    lines, headers = read_jsonl(client, "q=xyzzy")
    assert lines == [] and headers["X-Export-Truncated"] == "false"


def test_export_cap_comes_from_the_environment(
    synthetic_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASE_SEARCH_EXPORT_MAX_ROWS", "7")
    rows, headers = read_csv(synthetic_app(synthetic_index).test_client(), "q=")
    assert len(rows) == 7 and headers["X-Export-Truncated"] == "true"
