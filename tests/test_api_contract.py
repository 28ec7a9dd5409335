"""The API's contract: real answers of every endpoint against the OpenAPI document, the Atom
feed against RFC 4287, pagination links, one error shape, and HTTP manners (validators and
304s, Cache-Control, CORS, compression)."""

from __future__ import annotations

import gzip
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import SEED_CORPUS
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.deserializing.media_types.util import plain_loads
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from werkzeug.test import TestResponse

from indexer import reindex
from search_app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
RAQQA = "syrian-democratic-forces-liberate-raqqa"


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    data: dict[str, Any] = client.get("/api/openapi.json").get_json()
    return data


@pytest.fixture
def openapi(document: dict[str, Any]) -> OpenAPI:
    # The feed and the exports are text to the document ("a string"); openapi-core would hand them over as bytes.
    text_types = ("application/atom+xml", "text/csv", "application/jsonl")
    as_text = Config(extra_media_type_deserializers=dict.fromkeys(text_types, plain_loads))
    return OpenAPI.from_dict(document, config=as_text)


def check(openapi: OpenAPI, response: TestResponse, *, valid_request: bool = True) -> None:
    """Validate ``response`` (and, when it should be valid, its request) against the document."""
    request = WerkzeugOpenAPIRequest(response.request)
    if valid_request:
        openapi.validate_request(request)
    openapi.validate_response(request, WerkzeugOpenAPIResponse(response))


def test_openapi_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate_spec(document)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/search.csv",
        "/api/search.jsonl",
        "/api/trends",
        "/api/search",
        "/api/releases/{id}",
        "/api/suggest",
        "/feed.atom",
        "/api/openapi.json",
        "/api/",
        "/healthz",
    }
    search_params = [p["name"] for p in document["paths"]["/api/search"]["get"]["parameters"]]
    filters = ["year", "tag", "source", "lang"]
    assert search_params == ["q", "page", "per_page", "sort", "from", "to", "verbatim", *filters, "interval"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/search?q=liberated",
        "/api/search?per_page=5&page=3",
        "/api/search?q=raqqah&per_page=1",
        "/api/search?tag=Syria&tag=Raqqa&sort=oldest&from=2017-01-01&to=2018-12-31",
        "/api/search?q=%22unclosed&year=2017",
        "/api/search?q=xyzzy",
        "/api/search?page=9",
        "/api/search?q=daesh&interval=week",
        "/api/search.csv?q=raqqa&sort=newest",
        "/api/search.jsonl?tag=Iraq",
        "/api/trends?q=raqqa&q=daesh&interval=month",
        "/api/trends?tag=Syria",
        f"/api/releases/{RAQQA}",
        "/api/suggest?q=raq",
        "/api/suggest",
        "/feed.atom?q=raqqa",
        "/feed.atom?tag=Iraq&per_page=2&page=2",
        "/api/openapi.json",
        "/api/",
        "/healthz",
    ],
)
def test_endpoint_answers_match_the_document(client: FlaskClient, openapi: OpenAPI, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    check(openapi, response)


@pytest.mark.parametrize(
    ("url", "status", "param"),
    [
        ("/api/search?per_page=500", 400, "per_page"),
        ("/api/search?sort=random", 400, "sort"),
        ("/api/search?from=2019-01-01&to=2018-01-01", 400, "from"),
        ("/api/search?interval=hour", 400, "interval"),
        ("/api/search.csv?interval=hour", 400, "interval"),
        ("/api/trends?q=a&q=b&q=c&q=d&q=e", 400, "q"),
        ("/feed.atom?page=0", 400, "page"),
        ("/api/releases/no-such-release", 404, "id"),
    ],
)
def test_error_answers_match_the_document(
    client: FlaskClient, openapi: OpenAPI, url: str, status: int, param: str
) -> None:
    response = client.get(url)
    assert response.status_code == status and response.mimetype == "application/json"
    assert response.get_json()["error"]["param"] == param
    assert response.headers["Cache-Control"] == "no-store"
    check(openapi, response, valid_request=status == 404)


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("page=1&page=2", "page", "page must be given once, got it 2 times."),
        ("q=a&q=b", "q", "q must be given once, got it 2 times."),
        ("page=", "page", "page must be a whole number, got ''."),
        ("per_page=1_0", "per_page", "per_page must be a whole number, got '1_0'."),
        ("per_page=%D9%A3", "per_page", "per_page must be a whole number, got '٣'."),
        ("sort=", "sort", "sort must be one of relevance, newest, oldest, got ''."),
        ("from=20180101", "from", "from must be a date as YYYY-MM-DD, got '20180101'."),
        ("to=%202018-01-01", "to", "to must be a date as YYYY-MM-DD, got ' 2018-01-01'."),
        ("tag=" + "&tag=".join(["Iraq"] * 21), "tag", "at most 20 values of tag at once."),
    ],
    ids=[
        "twice",
        "q-twice",
        "empty",
        "underscore",
        "arabic-digit",
        "empty-sort",
        "compact-date",
        "padded",
        "21-tags",
    ],
)
def test_api_refuses_what_the_page_forgives(
    client: FlaskClient, query: str, param: str, message: str
) -> None:
    for path in ("/api/search", "/feed.atom"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert response.get_json() == {"error": {"code": "bad_parameter", "message": message, "param": param}}
    assert client.get(f"/?{query}").status_code in (200, 400)  # the page's own rules


def test_api_index_page_links_to_the_document(client: FlaskClient) -> None:
    page = client.get("/api/").get_data(as_text=True)
    assert '<a href="/api/openapi.json">OpenAPI 3.1 document</a>' in page
    assert '<a href="/api/search?q=liberated&amp;per_page=2">' in page
    assert "<code>year</code>, <code>tag</code>, <code>source</code>" in page
    assert client.get("/api").status_code == 308


def test_not_modified_answers_match_the_document(client: FlaskClient, openapi: OpenAPI) -> None:
    first = client.get("/api/search?q=raqqa")
    again = client.get("/api/search?q=raqqa", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    check(openapi, again)


def test_missing_index_answers_match_the_document(tmp_path: Path, openapi: OpenAPI) -> None:
    client = create_app({"INDEX_DIR": tmp_path / "none", "VARIANTS_PATH": None}).test_client()
    for url in ("/api/search?q=x", "/api/releases/x", "/api/suggest?q=x", "/feed.atom"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "index_unavailable"
        check(openapi, response)
    assert client.get("/api/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("GET", "/api/nothing-here", 404, "not_found"),
        ("GET", "/api/releases/", 404, "not_found"),
        ("POST", "/api/search", 405, "method_not_allowed"),
        ("DELETE", f"/api/releases/{RAQQA}", 405, "method_not_allowed"),
        ("PUT", "/feed.atom", 405, "method_not_allowed"),
    ],
)
def test_unknown_routes_and_methods_answer_the_error_shape(
    client: FlaskClient, document: dict[str, Any], method: str, url: str, status: int, code: str
) -> None:
    response = client.open(url, method=method)
    assert response.status_code == status and response.mimetype == "application/json"
    OAS31Validator(document["components"]["schemas"]["Error"]).validate(response.get_json())
    assert response.get_json()["error"]["code"] == code
    if status == 405:
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_head_and_options_are_answered_without_a_body(client: FlaskClient) -> None:
    get = client.get("/api/search?q=raqqa")
    head = client.head("/api/search?q=raqqa")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"] and head.mimetype == "application/json"
    options = client.options("/api/search")
    assert options.status_code == 200 and options.data == b""
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    missing = client.head("/api/nothing-here")
    assert missing.status_code == 404 and missing.data == b""


# -- pagination links ---------------------------------------------------------------------


def test_search_links_keep_every_parameter(client: FlaskClient) -> None:
    data = client.get("/api/search?q=raqqa&tag=Syria&tag=Raqqa&per_page=1&page=2&sort=newest").get_json()
    base = "/api/search?q=raqqa&tag=Syria&tag=Raqqa&per_page=1&sort=newest&page="
    assert data["pages"] == 3
    assert data["links"] == {
        "self": base + "2",
        "next": base + "3",
        "prev": base + "1",
        "first": base + "1",
        "last": base + "3",
    }
    followed = client.get(data["links"]["next"]).get_json()
    assert followed["page"] == 3 and followed["links"]["next"] is None


def test_search_links_are_null_where_there_is_no_page(client: FlaskClient) -> None:
    one_page = client.get("/api/search?q=liberated").get_json()["links"]
    assert (one_page["next"], one_page["prev"]) == (None, None)
    assert one_page["first"] == one_page["last"] == one_page["self"] == "/api/search?q=liberated&page=1"
    beyond = client.get("/api/search?q=liberated&page=7").get_json()["links"]
    assert (beyond["next"], beyond["prev"]) == (None, "/api/search?q=liberated&page=1")


# -- the Atom feed --------------------------------------------------------------------------


def test_feed_is_well_formed_atom_newest_first(client: FlaskClient) -> None:
    response = client.get("/feed.atom?q=raqqa&per_page=2")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author/{0}name"):
        assert feed.find(ATOM + required.format(ATOM)) is not None, required
    links = {(link.get("rel"), link.get("type")): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links[("self", "application/atom+xml")] == "http://localhost/feed.atom?q=raqqa&per_page=2&page=1"
    assert links[("next", "application/atom+xml")] == "http://localhost/feed.atom?q=raqqa&per_page=2&page=2"
    assert links[("alternate", "text/html")] == "http://localhost/?q=raqqa&per_page=2"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Release Search: “raqqa”"
    assert [entry.title for entry in parsed.entries] == [
        "Syrian Democratic Forces Liberate Raqqa",  # 2017-10-20; the undated ones come after
        "Coalition engineers erect steel bridge in Raqqah",
    ]
    first = parsed.entries[0]
    assert first.id == first.link == f"http://localhost/releases/{RAQQA}"
    assert first.updated == "2017-10-20T00:00:00Z" and first.author == "Global Coalition against Daesh"
    assert first.summary_detail.type == "text/html"
    summary = feed.findtext(f"{ATOM}entry/{ATOM}summary")
    assert summary is not None and "liberation of <mark>Raqqa</mark>, Syria" in summary
    assert [tag.term for tag in first.tags][:2] == ["Raqqa", "Syria"]


def test_feed_entry_links_to_the_original_when_it_is_on_the_web(tmp_path: Path, write_release: Any) -> None:
    write_release("web.md", "title: On the web\ndate: '2020-01-02'\nurl: https://example.org/a?b=1&c=2")
    write_release("ftp.md", "title: Not on the web\ndate: '2020-01-01'\nurl: ftp://example.org/x")
    reindex(tmp_path / "corpus", tmp_path / "index")
    client = create_app({"INDEX_DIR": tmp_path / "index", "VARIANTS_PATH": None}).test_client()
    entries = ET.fromstring(client.get("/feed.atom").data).findall(f"{ATOM}entry")
    links = [[(link.get("rel"), link.get("href")) for link in entry.iter(f"{ATOM}link")] for entry in entries]
    assert links == [
        [("alternate", "https://example.org/a?b=1&c=2"), ("related", "http://localhost/releases/web")],
        [("alternate", "http://localhost/releases/ftp")],
    ]


def test_feed_escapes_markup_and_drops_characters_xml_cannot_carry(
    tmp_path: Path, write_release: Any
) -> None:
    write_release(
        "odd.md", "title: 'A <b>bold</b> & \"odd\" title'\ntags: ['<x>']", "Body with \x0b <i>tags</i>."
    )
    reindex(tmp_path / "corpus", tmp_path / "index")
    client = create_app({"INDEX_DIR": tmp_path / "index", "VARIANTS_PATH": None}).test_client()
    response = client.get("/feed.atom?q=%00body%0B&tag=%3Cx%3E")
    feed = ET.fromstring(response.data)
    assert feed.findtext(f"{ATOM}title") == "Release Search: “body”; tag: <x>"
    entry = feed.find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}title") == 'A <b>bold</b> & "odd" title'
    assert entry.findtext(f"{ATOM}summary") == "<mark>Body</mark> with  &lt;i&gt;tags&lt;/i&gt;."


# -- HTTP manners ---------------------------------------------------------------------------


def test_validators_answer_304_until_the_index_changes(tmp_path: Path, corpus_dir: Path) -> None:
    index_dir = tmp_path / "index"
    reindex(corpus_dir, index_dir)
    client = create_app({"INDEX_DIR": index_dir, "VARIANTS_PATH": None}).test_client()
    first = client.get("/api/search?q=raqqa")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "public, max-age=60"
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        again = client.get("/api/search?q=raqqa", headers=headers)
        assert again.status_code == 304 and again.headers["ETag"] == etag
    release = next(corpus_dir.glob("*.md"))
    release.write_text(release.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    reindex(corpus_dir, index_dir)  # incremental: the same generation, a new commit
    changed = client.get("/api/search?q=raqqa", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    reindex(corpus_dir, index_dir, full=True)  # a new generation
    rebuilt = client.get("/api/search?q=raqqa", headers={"If-None-Match": changed.headers["ETag"]})
    assert rebuilt.status_code == 200 and rebuilt.headers["ETag"] != changed.headers["ETag"]


def test_editing_the_variants_file_changes_the_validator(tmp_path: Path, seed_index: Path) -> None:
    variants = tmp_path / "variants.txt"
    shutil.copy(SEED_CORPUS / "variants.txt", variants)
    client = create_app({"INDEX_DIR": seed_index, "VARIANTS_PATH": variants}).test_client()
    etag = client.get("/api/search?q=raqqa").headers["ETag"]
    variants.write_text("Raqqa, Raqqah\n", encoding="utf-8")
    stat = variants.stat()
    os.utime(variants, (stat.st_atime, stat.st_mtime + 5))
    assert client.get("/api/search?q=raqqa", headers={"If-None-Match": etag}).status_code == 200


def test_static_files_are_cached_longer(client: FlaskClient) -> None:
    with client.get("/static/style.css") as response:
        assert response.headers["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize(
    ("setting", "origin", "allowed"),
    [
        (None, "https://any.example", "*"),
        ("https://a.example, https://b.example", "https://b.example", "https://b.example"),
        ("https://a.example", "https://c.example", None),
        ("", "https://a.example", None),
    ],
    ids=["default-any", "listed", "not-listed", "off"],
)
def test_cors_origins_come_from_config(
    seed_index: Path, setting: str | None, origin: str, allowed: str | None
) -> None:
    config: dict[str, Any] = {"INDEX_DIR": seed_index, "VARIANTS_PATH": None}
    if setting is not None:
        config["CORS_ORIGINS"] = setting
    client = create_app(config).test_client()
    for url in ("/api/search?q=raqqa", "/feed.atom", "/api/releases/nope"):
        response = client.get(url, headers={"Origin": origin})
        assert response.headers.get("Access-Control-Allow-Origin") == allowed
        # Unless every origin gets "*", the answer depends on who asks, and caches must know.
        assert ("Origin" in response.vary) == (setting is not None)
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": origin}).headers


def test_cors_origins_come_from_the_environment(seed_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASE_SEARCH_CORS_ORIGINS", "https://a.example")
    client = create_app({"INDEX_DIR": seed_index, "VARIANTS_PATH": None}).test_client()
    response = client.get("/api/search", headers={"Origin": "https://a.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.example"
    preflight = client.options(
        "/api/search",
        headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_large_answers_are_gzipped_when_the_client_accepts_it(app: Flask) -> None:
    client = app.test_client()
    plain = client.get("/api/search?q=")
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    zipped = client.get("/api/search?q=", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.data) < len(plain.data)
    unzipped = gzip.decompress(zipped.data)
    assert unzipped.startswith(b'{"query":"","page":1')
    small = client.get("/api/suggest?q=", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
