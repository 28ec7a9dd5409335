"""The JSON API: the documented shape, the error shape, and that nothing typed gives a 500."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from search_app import create_app

HIT_KEYS = {"id", "title", "date", "url", "tags", "score", "title_html", "snippet_html"}
TOP_KEYS = {"query", "page", "per_page", "total", "pages", "took_ms", "hits", "facets", "suggestion"}


def test_search_answers_the_documented_shape(client: FlaskClient) -> None:
    response = client.get("/api/search?q=liberated")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert TOP_KEYS <= set(data)
    assert (data["query"], data["page"], data["per_page"], data["total"], data["pages"]) == (
        "liberated",
        1,
        10,
        5,
        1,
    )
    assert isinstance(data["took_ms"], float)
    for hit in data["hits"]:
        assert HIT_KEYS <= set(hit)
        assert hit["date"] is None or re.fullmatch(r"\d{4}-\d\d-\d\d", hit["date"])
        assert isinstance(hit["tags"], list) and isinstance(hit["score"], float)
    titles = {hit["title"]: hit["title_html"] for hit in data["hits"][:2]}
    assert titles == {
        "Syrian Democratic Forces Liberate Raqqa": "Syrian Democratic Forces <mark>Liberate</mark> Raqqa",
        "Iraqi Forces Launch Offensive to Liberate Final Daesh Stronghold in Iraq": "Iraqi Forces Launch Offensive to <mark>Liberate</mark> Final Daesh Stronghold in Iraq",
    }
    assert all(set(item) == {"value", "count"} for values in data["facets"].values() for item in values)


def test_search_pages_and_per_page(client: FlaskClient) -> None:
    data = client.get("/api/search?q=&per_page=5&page=3").get_json()
    assert (data["total"], data["pages"], len(data["hits"])) == (12, 3, 2)


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("page=0", "page", "page must be between 1 and 1000, got 0."),
        ("page=two", "page", "page must be a whole number, got 'two'."),
        ("per_page=101", "per_page", "per_page must be between 1 and 100, got 101."),
        ("sort=random", "sort", "sort must be one of relevance, newest, oldest, got 'random'."),
        ("from=2018-13-01", "from", "from must be a date as YYYY-MM-DD, got '2018-13-01'."),
        ("from=2019-01-01&to=2018-01-01", "from", "from must not be after to."),
    ],
)
def test_bad_parameters_get_a_400_naming_them(
    client: FlaskClient, query: str, param: str, message: str
) -> None:
    response = client.get("/api/search?" + query)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": "bad_parameter", "message": message, "param": param}}


def test_unknown_routes_and_methods_use_the_error_shape(client: FlaskClient) -> None:
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    with_newline = client.get("/api/releases/a%0Ab/more")
    assert with_newline.status_code == 404 and with_newline.get_json()["error"]["code"] == "not_found"
    wrong = client.post("/api/search")
    assert wrong.status_code == 405 and wrong.get_json()["error"]["code"] == "method_not_allowed"


def test_release_by_id_with_related_ids(client: FlaskClient) -> None:
    data = client.get("/api/releases/syrian-democratic-forces-liberate-raqqa").get_json()
    assert data["title"] == "Syrian Democratic Forces Liberate Raqqa"
    assert data["date"] == "2017-10-20" and "Raqqa" in data["tags"]
    assert data["related"] and "syrian-democratic-forces-liberate-raqqa" not in data["related"]
    unknown = client.get("/api/releases/no-such-release")
    assert unknown.status_code == 404
    assert unknown.get_json() == {
        "error": {"code": "not_found", "message": "No release with id 'no-such-release'.", "param": "id"}
    }


def test_healthz_reports_documents_and_generation(client: FlaskClient) -> None:
    data = client.get("/healthz").get_json()
    assert data["status"] == "ok" and data["documents"] == 12 and data["generation"].startswith("gen-")


def test_missing_index_is_a_clear_503(tmp_path: Path) -> None:
    client = create_app({"INDEX_DIR": tmp_path / "none", "VARIANTS_PATH": None}).test_client()
    response = client.get("/api/search?q=x")
    assert response.status_code == 503
    assert response.get_json()["error"] == {
        "code": "index_unavailable",
        "message": f"No index at {tmp_path}/none yet; run reindex to build one.",
        "param": None,
    }
    assert client.get("/healthz").status_code == 503
    page = client.get("/?q=x")
    assert page.status_code == 503 and b"run reindex to build one" in page.data


@pytest.mark.parametrize(
    "q",
    ['"', "(", "title:", "*:*", "a~~~", "[a TO", "%00", "NOT", "date:2018-99", "\u202e\u0000", "x" * 3000],
)
def test_odd_queries_over_real_http_never_fail(live_server: str, q: str) -> None:
    url = live_server + "/api/search?" + urllib.parse.urlencode({"q": q})
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert "hits" in json.load(response)


def test_real_server_answers_liberated(live_server: str) -> None:
    with urllib.request.urlopen(live_server + "/api/search?q=liberated", timeout=10) as response:
        data = json.load(response)
    assert "<mark>Liberate</mark>" in data["hits"][0]["title_html"]
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(live_server + "/api/search?per_page=0", timeout=10)
    assert error.value.code == 400
    assert json.load(error.value)["error"]["param"] == "per_page"
    error.value.close()


def test_suggest_completes_titles_tags_and_variants(client: FlaskClient) -> None:
    data = client.get("/api/suggest?q=raq").get_json()
    assert data["query"] == "raq"
    texts = [(item["text"], item["kind"]) for item in data["suggestions"]]
    assert texts[:3] == [("Raqqa", "variant"), ("Raqqah", "variant"), ("al-Raqqa", "variant")]
    assert ("Coalition engineers erect steel bridge in Raqqah", "title") in texts
    assert ("Syria", "tag") in [
        (i["text"], i["kind"]) for i in client.get("/api/suggest?q=syr").get_json()["suggestions"]
    ]
    assert client.get("/api/suggest?q=").get_json()["suggestions"] == []
    assert client.get("/api/suggest?q=%22%28%5B").get_json()["suggestions"] == []


def test_damaged_index_is_a_clear_503_and_reindex_recovers(corpus_dir: Path, tmp_path: Path) -> None:
    from indexer import reindex
    from indexer.store import IndexStore

    index_dir = tmp_path / "ix"
    reindex(corpus_dir, index_dir)
    generation = IndexStore(index_dir).require_current()
    segment = next(path for path in generation.path.iterdir() if path.suffix == ".seg")
    data = bytearray(segment.read_bytes())
    middle = len(data) // 2
    # Silent damage Whoosh itself would not notice; inverted, so the bytes surely change.
    data[middle : middle + 32] = bytes(byte ^ 0xFF for byte in data[middle : middle + 32])
    segment.write_bytes(bytes(data))

    client = create_app({"INDEX_DIR": index_dir, "VARIANTS_PATH": corpus_dir / "variants.txt"}).test_client()
    response = client.get("/api/search?q=raqqa")
    assert response.status_code == 503
    message = response.get_json()["error"]["message"]
    assert (
        message
        == f"Index generation {generation.name} is damaged: {segment.name} does not match its checksum. Run reindex to rebuild it."
    )
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "unavailable"

    summary = reindex(corpus_dir, index_dir)  # incremental by default; rebuilds because of the damage
    assert summary.full and summary.documents == 12
    assert client.get("/api/search?q=raqqa").get_json()["total"] == 3


def test_unreadable_generation_is_a_503_not_a_500(corpus_dir: Path, tmp_path: Path) -> None:
    from indexer import reindex
    from indexer.store import IndexStore

    index_dir = tmp_path / "ix"
    reindex(corpus_dir, index_dir)
    generation = IndexStore(index_dir).require_current()
    meta_path = generation.path / "release-search.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["facet_fields"] = 5  # damaged: not a list of field names
    meta_path.write_text(json.dumps(meta), encoding="utf-8")

    client = create_app({"INDEX_DIR": index_dir, "VARIANTS_PATH": corpus_dir / "variants.txt"}).test_client()
    response = client.get("/api/search?q=raqqa")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "index_unavailable"
    assert error["message"].startswith(f"The index at {index_dir} cannot be read: ")
    page = client.get("/?q=raqqa")
    assert page.status_code == 503 and b"cannot be read" in page.data
