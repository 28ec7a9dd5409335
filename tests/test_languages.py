"""Releases in English, French and Arabic: each analysed, searched, filtered and shown as its language.

Every text searched here is a genuine release from tests/fixtures/multilingual (see SOURCES.md).
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MULTILINGUAL_FIXTURES
from flask.testing import FlaskClient
from whoosh import index

from indexer import reindex
from indexer.arabic import normalize_arabic
from indexer.corpus import load_corpus
from indexer.feeds import read_feed
from indexer.html_pages import read_html_page
from indexer.language_analysis import LanguageAnalyzer
from indexer.languages import detect_language, language_label
from indexer.schema import release_language
from search_app.engine.query_reading import parse_query, plain_words
from search_app.service import SearchRequest, SearchService


def analysed(lang: str, text: str, stem: bool = True) -> list[str]:
    return [token.text for token in LanguageAnalyzer(stem=stem, lang=lang)(text)]


def fixture(name: str) -> str:
    return (MULTILINGUAL_FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("written", "normalised"),
    [("أحمد", "احمد"), ("إسلام", "اسلام"), ("آمال", "امال"), ("مستشفى", "مستشفي"), ("المتحدة", "المتحده")],
    ids=["hamza-above", "hamza-below", "madda", "alef-maksura", "ta-marbuta"],
)
def test_arabic_normalisation_unifies_letter_forms(written: str, normalised: str) -> None:
    assert normalize_arabic(written) == normalised


def test_arabic_words_keep_their_diacritics_and_tatweel_inside_one_token() -> None:
    assert analysed("ar", "قُتِلَ كتـــاب", stem=False) == ["قتل", "كتاب"]


def test_arabic_clitic_prefixes_and_suffixes_are_stemmed_away() -> None:
    assert len(set(analysed("ar", "الأطفال والأطفال وبالأطفال للأطفال أطفال"))) == 1
    assert analysed("ar", "مظاهرات مظاهراتها") == analysed("ar", "مظاهرة مظاهرة")


@pytest.mark.parametrize("name", ["الزرقاء", "داعش", "سوريا", "الرياض"])
def test_a_name_stems_to_one_form_with_any_prefix(name: str) -> None:
    # A single ل or ب before a bare word stays (it starts لبنان and باراك too): only the
    # article's combinations and و are clitics for sure.
    bare = name.removeprefix("ال")
    forms = {name, "و" + name} | ({"ب" + name, "لل" + bare, "و" + name} if name != bare else set())
    stems = {tuple(analysed("ar", form)) for form in forms}
    assert len(stems) == 1, stems


@pytest.mark.parametrize(
    ("written", "word"),
    [
        ("l'Église", "eglise"),
        ("d’État", "etat"),
        ("jusqu'aujourd'hui", "aujourd'hui"),
        ("qu’elles", "elles"),
        ("lorsqu'ils", "ils"),
        ("Koweït", "koweit"),
    ],
)
def test_french_elision_is_dropped_and_accents_folded(written: str, word: str) -> None:
    assert analysed("fr", written, stem=False) == [word]


def test_french_words_are_stemmed_with_snowball() -> None:
    assert analysed("fr", "attentats attentat") == ["attentat", "attentat"]
    assert analysed("fr", "l'église, églises") == ["eglis", "eglis"]


def test_a_language_without_a_stemmer_is_folded_only() -> None:
    assert analysed("sw", "Habari ZA Leo") == ["habari", "za", "leo"]


@pytest.mark.parametrize(
    ("name", "lang"),
    [
        ("nolang-fr-un-sc11170-mogadiscio-2013.md", "fr"),
        ("nolang-ar-un-dppa-ar-who-emro-rebuild-health-systems.md", "ar"),
        ("nolang-en-global-coalition-to-meet-in-kuwait.md", "en"),
    ],
)
def test_a_release_without_lang_has_its_language_detected(name: str, lang: str) -> None:
    assert "lang:" not in fixture(name).split("---")[1]
    (record,) = [r for r in load_corpus(MULTILINGUAL_FIXTURES).records if r.source_path.endswith(name)]
    assert record.lang is None
    assert release_language(record) == lang


def test_short_text_falls_back_to_the_default_language(monkeypatch: pytest.MonkeyPatch) -> None:
    assert detect_language("Daech") == "en"
    monkeypatch.setenv("RELEASE_SEARCH_DEFAULT_LANG", "fr")
    assert detect_language("Daech") == "fr"


def test_html_lang_and_feed_language_give_the_release_language(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<html lang="fr-FR"><head><title>Communiqué</title></head><body><main><h1>Communiqué</h1>'
        "<p>Texte</p></main></body></html>",
        encoding="utf-8",
    )
    feed = tmp_path / "feed.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Actualités</title><language>ar</language>'
        "<item><title>بيان</title><link>https://example.org/1</link></item></channel></rss>",
        encoding="utf-8",
    )
    record = read_html_page(page, tmp_path)
    (entry,) = list(read_feed(feed, tmp_path))
    assert getattr(record, "lang", None) == "fr"
    assert getattr(entry, "lang", None) == "ar"


def test_a_bad_lang_is_reported_and_skipped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad.md").write_text('---\ntitle: "x"\nlang: "français"\n---\ntexte', encoding="utf-8")
    (error,) = load_corpus(corpus).errors
    assert str(error) == (
        f"{corpus / 'bad.md'}:3: lang: expected an ISO 639-1 language code such as 'en' or 'fr-FR', "
        "got 'français'"
    )


def search(client: FlaskClient, query: str) -> dict:
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ids(result: dict) -> set[str]:
    return {hit["id"] for hit in result["hits"]}


def test_arabic_query_finds_the_word_with_its_prefixes(multilingual_client: FlaskClient) -> None:
    result = search(multilingual_client, "q=الأطفال&per_page=50")
    assert {
        "ar-unicef-ar-2019-02-27-yemen-pledging",  # والأطفال
        "ar-unicef-ar-2020-11-13-world-childrens-day",  # وبالأطفال
    } <= ids(result)
    assert {hit["lang"] for hit in result["hits"]} == {"ar"}


def test_arabic_query_with_diacritics_finds_the_word_written_without(
    multilingual_client: FlaskClient,
) -> None:
    result = search(multilingual_client, "q=قَتَلَ")
    assert "ar-unicef-ar-2024-12-08-syria-children" in ids(result)


def test_french_query_without_accents_or_article_finds_elided_words(multilingual_client: FlaskClient) -> None:
    assert "fr-wikinews-vatican-jubile-misericorde" in ids(search(multilingual_client, "q=etat"))
    assert ids(search(multilingual_client, "q=eiil&lang=fr&per_page=1")) == {
        "fr-eu-eeas-coalition-eiil-un-an"
    }


def test_daech_finds_the_arabic_release_through_the_variants_file(multilingual_client: FlaskClient) -> None:
    result = search(multilingual_client, "q=Daech&lang=ar")
    assert ids(result) == {"ar-ksa-mofa-global-coalition-about"}
    assert "داعش" in result["variants"]


def test_lang_filter_keeps_one_language_and_repeated_means_either(multilingual_client: FlaskClient) -> None:
    arabic = search(multilingual_client, "q=&lang=ar&per_page=100")
    both = search(multilingual_client, "q=&lang=ar&lang=fr&per_page=100")
    assert arabic["total"] == 12 and {hit["lang"] for hit in arabic["hits"]} == {"ar"}
    assert both["total"] == 23 and {hit["lang"] for hit in both["hits"]} == {"ar", "fr"}


def test_lang_facet_counts_each_language(multilingual_client: FlaskClient) -> None:
    facet = search(multilingual_client, "q=")["facets"]["lang"]
    assert {value["value"]: value["count"] for value in facet} == {"en": 13, "ar": 12, "fr": 11}


def test_every_hit_and_release_says_its_language_and_direction(multilingual_client: FlaskClient) -> None:
    for hit in search(multilingual_client, "q=&per_page=100")["hits"]:
        assert hit["dir"] == ("rtl" if hit["lang"] == "ar" else "ltr")
    release = multilingual_client.get("/api/releases/ar-ksa-mofa-global-coalition-about").get_json()
    assert (release["lang"], release["dir"]) == ("ar", "rtl")
    assert "lang" not in release["extra"]


def test_quoted_phrases_stay_exact_in_french(multilingual_client: FlaskClient) -> None:
    assert (
        search(multilingual_client, 'q="attentat"&lang=fr')["total"]
        < search(multilingual_client, "q=attentat&lang=fr")["total"]
    )


def test_highlights_mark_words_as_written(multilingual_client: FlaskClient) -> None:
    french = search(multilingual_client, "q=eiil&lang=fr")["hits"][0]
    assert "<mark>l&#x27;EIIL</mark>" in french["snippet_html"] + french["title_html"]
    arabic = search(multilingual_client, "q=قتل&lang=ar")
    marked = " ".join(hit["snippet_html"] for hit in arabic["hits"])
    assert "<mark>قُتل</mark>" in marked


def test_arabic_snippets_are_cut_between_words(multilingual_client: FlaskClient) -> None:
    hits = search(multilingual_client, "q=الأطفال&per_page=50")["hits"]
    assert len(hits) >= 5
    for hit in hits:
        text = html.unescape(re.sub(r"</?mark>", "", hit["snippet_html"])).strip(" …")
        body = multilingual_client.get(f"/api/releases/{hit['id']}").get_json()["body"]
        for fragment in text.split(" … "):
            at = body.find(fragment)
            assert at >= 0, fragment
            end = at + len(fragment)
            assert at == 0 or body[at - 1].isspace()
            assert end == len(body) or body[end].isspace() or body[end] in ",;:"


def test_pages_carry_lang_dir_and_the_language_facet(multilingual_client: FlaskClient) -> None:
    page = multilingual_client.get("/?q=الأطفال").get_data(as_text=True)
    assert re.search(r'<li class="hit" lang="ar" dir="rtl">', page)
    assert "Arabic (العربية)" in page
    release = multilingual_client.get("/releases/ar-ksa-mofa-global-coalition-about?q=داعش")
    html = release.get_data(as_text=True)
    assert '<header lang="ar" dir="rtl"><h1>' in html
    assert '<div class="release-body" lang="ar" dir="rtl">' in html
    assert "<mark>داعش</mark>" in html


def test_did_you_mean_does_not_break_on_arabic(multilingual_client: FlaskClient) -> None:
    result = search(multilingual_client, "q=الاطفالل")
    assert result["total"] >= 0
    assert multilingual_client.get("/api/suggest?q=الأط").status_code == 200


def test_language_facet_labels() -> None:
    assert language_label("ar") == "Arabic (العربية)"
    assert language_label("en") == "English"


def test_reindex_of_an_index_without_languages_rebuilds_it_in_full(tmp_path: Path, corpus_dir: Path) -> None:
    reindex(corpus_dir, tmp_path / "index")
    live = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text().strip()
    ix = index.open_dir(str(live))
    writer = ix.writer()
    writer.remove_field("lang")  # as an index built before releases had languages
    writer.commit()
    summary = reindex(corpus_dir, tmp_path / "index")
    assert summary.full and summary.documents == 12
    assert summary.line().startswith(
        "full build (the index was built by an earlier version, without release languages):"
    )


def test_a_release_in_a_new_language_is_added_incrementally(tmp_path: Path, corpus_dir: Path) -> None:
    reindex(corpus_dir, tmp_path / "index")
    name = "fr-wikinews-vatican-jubile-misericorde.md"
    (corpus_dir / name).write_text(fixture(name), encoding="utf-8")
    summary = reindex(corpus_dir, tmp_path / "index")
    assert (summary.full, summary.added) == (False, 1)
    service = SearchService(tmp_path / "index")
    result = service.search(SearchRequest(q="etat"))
    assert [(hit.id, hit.lang) for hit in result.hits] == [(name.removesuffix(".md"), "fr")]
    assert "<mark>d’État</mark>" in result.hits[0].snippet_html


def test_language_fields_reopen_and_search_in_a_fresh_process(multilingual_index: Path) -> None:
    script = (
        "import sys; from whoosh import index; from whoosh.qparser import QueryParser;"
        "from indexer.store import IndexStore;"
        "ix = index.open_dir(str(IndexStore(sys.argv[1]).require_current().path));"
        "s = ix.searcher(); q = QueryParser('body_ar', ix.schema).parse('بالأطفال');"
        "print(len(s.search(q, limit=None)), ix.schema['body_ar'].analyzer)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(multilingual_index)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split(maxsplit=1) == ["6", "LanguageAnalyzer(stem=True, lang='ar')\n"]


def test_a_field_scoped_word_searches_that_field_in_every_language(multilingual_client: FlaskClient) -> None:
    assert ids(search(multilingual_client, "q=title:etat")) == {"fr-un-sc10906-ankara"}  # États-Unis
    assert ids(search(multilingual_client, "q=title:تحالف")) == {"ar-ksa-mofa-global-coalition-about"}


def test_plain_words_are_the_english_stems_when_other_languages_are_searched(
    multilingual_index: Path, multilingual_corpus: Path
) -> None:
    service = SearchService(multilingual_index, multilingual_corpus / "variants.txt")
    searcher = service.searcher()
    parsed = parse_query("liberated bridges", searcher.schema, service.variants, searcher.reader())
    assert plain_words(parsed.query) == ["liber", "bridg"]


def test_arabic_spelling_suggestions_count_the_article_as_no_letters(
    multilingual_client: FlaskClient,
) -> None:
    # "الرياض" is in no fixture release; two edits would make it "المياه" (water), a different word.
    unknown = search(multilingual_client, "q=الرياض&verbatim=1")
    assert (unknown["total"], unknown["suggestion"]) == (0, None)
    typo = search(multilingual_client, "q=الاطفالل&verbatim=1")  # one letter too many
    assert typo["suggestion"] == "الاطفال"


def test_related_releases_of_an_arabic_release_are_arabic(multilingual_index: Path) -> None:
    service = SearchService(multilingual_index)
    related = service.related("ar-unicef-ar-2019-02-27-yemen-pledging")
    assert related and {hit.lang for hit in related} == {"ar"}
