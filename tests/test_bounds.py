"""Every request is bounded: hostile queries answer, and no query does more than its bounds allow.

Work is counted (search_app/engine/work.py), never timed.
"""

from __future__ import annotations

import itertools
import json
import string
import urllib.parse
import urllib.request
from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_app.engine import work
from search_app.engine.did_you_mean import (
    MAX_CANDIDATES,
    MAX_CORRECTED,
    MAX_WORDS_CONSIDERED,
    NOT_TYPOS_WARNING,
)
from search_app.engine.highlight import SNIPPET_MAX_SCAN_CHARS
from search_app.engine.query_reading import (
    MAX_EXPANDING_WORDS,
    MAX_EXPANSIONS,
    MAX_QUERY_WORDS,
    MAX_RANKED_EXPANSIONS,
)
from search_app.engine.variants import SEARCH_FIELDS
from search_app.service import SearchService
from search_app.service.contract import SearchRequest
from search_app.web.params import MAX_QUERY_TEXT

FIVE_LETTER_MADE_UP = " ".join(f"zzq{a}{b}" for a, b in itertools.product("xy", string.ascii_lowercase))
FOUR_LETTER_MADE_UP = " ".join("q" + "".join(p) for p in itertools.product("ab", "ab", "abcdefghij"))
PASTED = ("The Coalition met in Kuwait to discuss the liberation of Raqqa and Mosul. " * 140)[:10_000]
WORDS_WARNING = f"Only the first {MAX_QUERY_WORDS} words of the query were searched for."
# Upper bounds on the work of any one search request, from the stages' limits.
BOUNDS = {
    "spelling_words": MAX_WORDS_CONSIDERED,
    "spelling_candidates": MAX_CORRECTED * MAX_CANDIDATES,
    "expansion_ranked": MAX_RANKED_EXPANSIONS + MAX_EXPANDING_WORDS * len(SEARCH_FIELDS) * MAX_EXPANSIONS,
    "highlight_chars": 100 * SNIPPET_MAX_SCAN_CHARS,
}
COMMON = ["coalition", "raqqa", "kuwait", "iraq", "the", "liberated", "ministers", "daesh", "syria"]
RARE = ["bridge", "engineers", "infrastructure", "rehabilitation", "mosul", "guiding", "principles"]
MADE_UP = st.text(alphabet="qxzjkv", min_size=4, max_size=9)
PATTERNS = st.sampled_from(["co*", "*a*", "r?qqa", "kuwiat~", "mini*", "liber*", "?"])
WORDS = st.one_of(st.sampled_from(COMMON + RARE), MADE_UP, PATTERNS)
QUERIES = st.lists(WORDS, min_size=1, max_size=40).map(" ".join)


def service_of(app: Flask) -> SearchService:
    found: SearchService = app.extensions["search_service"]
    return found


def test_forty_made_up_five_letter_words_get_an_answer_and_no_spelling_work(app: Flask) -> None:
    with work.counting() as counts:
        result = service_of(app).search(SearchRequest(q=FIVE_LETTER_MADE_UP))
    assert (result.total, result.suggestion) == (0, None)
    assert NOT_TYPOS_WARNING in result.warnings
    assert counts["spelling_candidates"] == 0


def test_forty_made_up_four_letter_words_get_an_answer_and_no_spelling_work(client: FlaskClient) -> None:
    with work.counting() as counts:
        response = client.get("/api/search", query_string={"q": FOUR_LETTER_MADE_UP})
    assert response.status_code == 200
    assert response.json["suggestion"] is None
    assert response.json["warnings"] == [NOT_TYPOS_WARNING]
    assert counts["spelling_candidates"] == 0


def test_a_typo_is_still_corrected(client: FlaskClient) -> None:
    corrected = client.get("/api/search", query_string={"q": "kuwiat"}).json
    assert (corrected["corrected_from"], corrected["query"], corrected["total"]) == ("kuwiat", "kuwait", 3)
    verbatim = client.get("/api/search", query_string={"q": "kuwiat", "verbatim": "1"}).json
    assert (verbatim["suggestion"], verbatim["total"]) == ("kuwait", 0)


def test_a_ten_thousand_character_query_is_cut_with_a_warning_over_real_http(live_server: str) -> None:
    url = live_server + "/api/search?" + urllib.parse.urlencode({"q": PASTED})
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        answer = json.load(response)
    assert answer["warnings"] == [WORDS_WARNING]
    assert answer["query"] == PASTED[:MAX_QUERY_TEXT]


def test_a_ten_thousand_character_query_on_the_page_over_real_http(live_server: str) -> None:
    url = live_server + "/?" + urllib.parse.urlencode({"q": PASTED})
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        page = response.read().decode()
    assert WORDS_WARNING in page


def test_generated_queries_stay_within_their_work_bounds(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    service = service_of(app)
    largest: Counter[str] = Counter()

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(QUERIES, st.sampled_from([1, 100]))
    def check(q: str, per_page: int) -> None:
        with work.counting() as counts:
            result = service.search(SearchRequest(q=q, per_page=per_page))
        assert result.total >= 0
        for kind, bound in BOUNDS.items():
            assert counts[kind] <= bound, (kind, q)
        for kind, n in counts.items():
            largest[kind] = max(largest[kind], n)

    check()
    with capsys.disabled():
        print(f"\nlargest work of a generated query: {dict(sorted(largest.items()))}")
