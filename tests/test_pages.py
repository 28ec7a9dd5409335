"""The HTML pages, rendered by the app: what a person sees for a search and a release."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from flask.testing import FlaskClient


def text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


def test_home_page_has_a_labelled_search_box(client: FlaskClient) -> None:
    html = client.get("/").data.decode()
    assert '<label for="q" class="search-label">Search press releases</label>' in html
    assert 'id="q" name="q" type="search"' in html


def test_results_page_shows_count_marked_titles_and_snippets(client: FlaskClient) -> None:
    html = client.get("/?q=liberated").data.decode()
    assert "5 releases for “liberated”" in text(html.encode())
    assert "Syrian Democratic Forces <mark>Liberate</mark> Raqqa" in html
    assert "announcement of the <mark>liberation</mark> of Raqqa" in html


def test_results_page_links_to_other_pages(client: FlaskClient) -> None:
    html = client.get("/?q=&per_page=5").data.decode()
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="(/\?[^"]*)"', html)]
    pages = {parse_qs(urlparse(link).query).get("page", [""])[0] for link in links} - {""}
    assert pages == {"2", "3"}
    assert 'aria-current="page">1<' in html


def test_page_past_the_end_shows_the_last_page_with_a_note(client: FlaskClient) -> None:
    response = client.get("/?q=&per_page=5&page=9")
    assert response.status_code == 200
    assert "There are only 3 pages of results; this is the last one." in response.data.decode()


def test_variants_and_suggestions_are_shown(client: FlaskClient) -> None:
    assert "Also matched: Raqqa, al-Raqqa" in client.get("/?q=Raqqah").data.decode()
    html = client.get("/?q=kuwiat&verbatim=1").data.decode()
    assert 'Did you mean <a href="/?q=kuwait">kuwait</a>?' in html


def test_bad_parameter_on_the_page_is_a_400_with_a_message(client: FlaskClient) -> None:
    response = client.get("/?q=x&page=zero")
    assert response.status_code == 400
    assert "page must be a whole number, got &#39;zero&#39;." in response.data.decode()


def test_facet_link_adds_a_filter_and_chip_removes_it(client: FlaskClient) -> None:
    html = client.get("/?q=daesh").data.decode()
    assert '<a href="/?q=daesh&amp;tag=Syria">Syria</a>' in html
    filtered = client.get("/?q=daesh&tag=Syria").data.decode()
    assert "5 releases for “daesh”" in text(filtered.encode())
    assert 'href="/?q=daesh" aria-label="Remove filter tag: Syria"' in filtered


def test_release_page_highlights_query_and_links_back(client: FlaskClient) -> None:
    html = client.get(
        "/releases/syrian-democratic-forces-liberate-raqqa?q=raqqa&back=q%3Draqqa"
    ).data.decode()
    assert "<h1>Syrian Democratic Forces Liberate <mark>Raqqa</mark></h1>" in html
    assert "now <mark>Raqqah</mark> are turning points" in html
    assert '<a href="/?q=raqqa">← Back to results</a>' in html
    assert "Related releases" in html


def test_unknown_release_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/releases/nope")
    assert response.status_code == 404
    assert "There is no release with id &#39;nope&#39;." in response.data.decode()


def test_no_results_offers_dropping_a_filter_with_its_count(client: FlaskClient) -> None:
    html = client.get("/?q=bridge&tag=Iraq").data.decode()
    assert "No releases match" in html
    assert 'Remove tag: Iraq: <a href="/?q=bridge">1 release</a>' in html


def test_results_page_links_its_atom_feed_and_date_presets(client: FlaskClient) -> None:
    html = client.get("/?q=raqqa&tag=Syria&page=1").data.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Atom feed of this search" href="/feed.atom?q=raqqa&amp;tag=Syria">'
        in html
    )
    assert re.search(r'<a href="/\?q=raqqa&amp;tag=Syria&amp;from=\d{4}-\d\d-\d\d">Past year</a>', html)
