"""Hostile data and hostile requests: markup is escaped everywhere, headers forbid the rest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from indexer import reindex
from search_app import create_app

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture
def hostile_client(tmp_path: Path, write_release: Callable[..., Path]) -> FlaskClient:
    write_release(
        "hostile.md",
        f"""
        title: 'Raqqa {PAYLOAD}'
        date: 2018-01-02
        url: 'javascript:alert(3)'
        tags: ['{PAYLOAD}', Raqqa]
        source: '{PAYLOAD}'
        topics: ['{PAYLOAD}']
        """,
        f'\nRaqqa body {PAYLOAD} "quoted" & more.\n',
    )
    write_release("other.md", f"title: Second Raqqa release\ntopics: ['{PAYLOAD}']\nsource: '{PAYLOAD}'")
    reindex(tmp_path / "corpus", tmp_path / "ix")
    app = create_app({"INDEX_DIR": tmp_path / "ix", "VARIANTS_PATH": None, "TESTING": True})
    return app.test_client()


@pytest.mark.parametrize(
    "path",
    [
        "/?q=raqqa",
        "/?q=raqqa&topics=" + PAYLOAD,
        "/?q=raqqa&tag=" + PAYLOAD,
        "/releases/hostile?q=raqqa",
        "/?q=" + PAYLOAD,
    ],
    ids=["results", "topic-chip", "tag-chip", "release-page", "query-echo"],
)
def test_markup_in_any_field_is_escaped_on_pages(hostile_client: FlaskClient, path: str) -> None:
    html = hostile_client.get(path).data.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert 'href="javascript:' not in html


def test_api_html_fields_escape_everything_but_mark(hostile_client: FlaskClient) -> None:
    data = hostile_client.get("/api/search?q=raqqa").get_json()
    hit = next(h for h in data["hits"] if h["id"] == "hostile")
    assert (
        hit["title_html"]
        == "<mark>Raqqa</mark> &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    )
    assert "&lt;script&gt;" in hit["snippet_html"] and "<script>" not in hit["snippet_html"]
    assert hit["title"].endswith(PAYLOAD)  # plain fields carry the text as it is, for clients to escape


def test_suggestions_are_data_not_markup(hostile_client: FlaskClient) -> None:
    response = hostile_client.get("/api/suggest?q=raqqa")
    assert response.mimetype == "application/json"
    texts = [item["text"] for item in json.loads(response.data)["suggestions"]]
    assert f"Raqqa {PAYLOAD}" in texts  # rendered with textContent by autocomplete.js


def test_security_headers_on_pages_and_api(hostile_client: FlaskClient) -> None:
    for path in ("/", "/?q=raqqa", "/api/search?q=raqqa", "/releases/nope", "/api/nope"):
        headers = hostile_client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script(hostile_client: FlaskClient) -> None:
    html = hostile_client.get("/?q=raqqa").data.decode()
    assert html.count("<script") == 1 and '<script src="/static/autocomplete.js" defer></script>' in html
    assert " on" + "click=" not in html and "style=" not in html
