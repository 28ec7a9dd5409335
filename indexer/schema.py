"""The Whoosh schema of a release index, and how a record becomes a document.

The schema (analyzers included) is pickled into the index, so the analyzer
classes it uses live at stable, module-level import paths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
from whoosh.analysis import Analyzer, RegexTokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, FieldType, Schema
from whoosh.formats import Positions as PositionsFormat

from indexer.analysis import (
    WordAnalyzer,
    exact_analyzer,
    stemming_analyzer,
    term_text,
)

# Imported here too: schemas pickled before indexer.codec existed name indexer.schema.KeywordListColumn.
from indexer.codec.columns import KeywordListColumn
from indexer.codec.postings import Numbers, TermIds, group_postings
from indexer.language_analysis import LanguageAnalyzer
from indexer.languages import detect_language
from indexer.records import ReleaseRecord

# Keyword lists are joined with the ASCII unit separator, so values may hold commas
# ("U.S. Department of Justice, Office of Public Affairs").
LIST_SEPARATOR = "\x1f"

TITLE_BOOST = 3.0
# Extra fields with at most this many distinct values are offered as facets.
MAX_FACET_VALUES = 1000


def keyword_list_analyzer() -> Analyzer:
    """Analyzer that indexes each list item whole, case and spaces kept."""
    return RegexTokenizer(r"[^\x1f]+")


class KeywordListField(KEYWORD):
    """A stored, facetable list of exact values (tags and extra fields).

    Values are indexed whole (case and spaces kept) and also kept in a list
    column, which is what Whoosh's overlapping facets read fastest.
    """

    def __init__(self) -> None:
        super().__init__(stored=True, scorable=True, analyzer=keyword_list_analyzer())
        self.column_type = KeywordListColumn()

    def to_column_value(self, value: str) -> list[bytes]:
        return [item.encode("utf-8") for item in split_list(value)]


Posting = tuple[bytes, int, float, bytes]


class TextField(TEXT):
    """Whoosh's TEXT field, indexed straight from :meth:`WordAnalyzer.word_tokens`
    (grouped into postings by :func:`~indexer.codec.postings.group_postings`).

    Whoosh would pass every token through the analyzer and the format; this gives
    the same postings (tests/test_analysis.py checks) without per-token objects.
    Queries still use the analyzer.
    """

    def word_tokens(self, value: object) -> tuple[TermIds, Numbers] | None:
        """Return the term id and position of each indexed token of ``value`` (see
        :meth:`WordAnalyzer.word_tokens`), or ``None`` where Whoosh's own indexing
        applies (not a string, another analyzer or format)."""
        analyzer, plain_positions = self.analyzer, type(self.format) is PositionsFormat
        if isinstance(value, str) and isinstance(analyzer, WordAnalyzer) and plain_positions:
            return analyzer.word_tokens(value)
        return None

    def index(self, value: object, **kwargs: object) -> Iterable[Posting]:
        tokens = None if kwargs else self.word_tokens(value)
        if tokens is None:
            return super().index(value, **kwargs)
        boost = self.format.field_boost
        term_ids, positions = tokens
        term_ids, _, counts, values, _ = group_postings(term_ids, np.zeros_like(term_ids), positions)
        return [
            (term_text(term_id).encode("utf-8"), count, count * boost, encoded)
            for term_id, count, encoded in zip(term_ids.tolist(), counts.tolist(), values, strict=True)
        ]


def keyword_list_field() -> FieldType:
    """Return a new :class:`KeywordListField`."""
    return KeywordListField()


# The unstemmed copy of each stemmed text field: quoted words and phrases match it as written.
EXACT_FIELDS = {"title": "title_exact", "body": "body_exact"}
# Facets every index offers (extra fields that repeat are added per corpus).
DEFAULT_FACET_FIELDS = ("year", "tags", "source", "lang")
# The language whose releases use the fields above (title, body, ...): other languages
# get fields of their own, named by their code (title_fr, body_fr, title_fr_exact, ...).
FIELDS_LANGUAGE = "en"


def phrase_field(name: str) -> bool:
    """Tell whether quoted words and phrases are searched in field ``name`` (an exact field)."""
    return name.endswith("_exact")


def language_fields(lang: str) -> dict[str, str]:
    """Return the text fields of ``lang``: {"title": "title_fr", "body": "body_fr", ...}."""
    if lang == FIELDS_LANGUAGE:
        return {name: name for name in ("title", "body", "title_exact", "body_exact")}
    return {name: f"{name}_{lang}" for name in ("title", "body")} | {
        f"{name}_exact": f"{name}_{lang}_exact" for name in ("title", "body")
    }


def field_language(field: str) -> str | None:
    """Return the language of a per-language text field ("body_ar" -> "ar"), else None."""
    parts = field.split("_")
    if parts[0] in ("title", "body") and len(parts) in (2, 3) and len(parts[1]) == 2:
        return parts[1] if len(parts) == 2 or parts[2] == "exact" else None
    return None


def add_language_fields(schema: Schema, lang: str) -> None:
    """Add the text fields of ``lang`` to ``schema`` (a no-op for English or a known language)."""
    for name, field in language_field_types(lang).items():
        if name not in schema:
            schema.add(name, field)


def language_field_types(lang: str) -> dict[str, FieldType]:
    """Return the new text fields a release in ``lang`` needs (none for English)."""
    if lang == FIELDS_LANGUAGE:
        return {}
    names = language_fields(lang)
    stemmed, exact = LanguageAnalyzer(stem=True, lang=lang), LanguageAnalyzer(stem=False, lang=lang)
    return {
        names["title"]: TextField(analyzer=stemmed, field_boost=TITLE_BOOST, multitoken_query="phrase"),
        names["title_exact"]: TextField(analyzer=exact, field_boost=TITLE_BOOST, multitoken_query="phrase"),
        names["body"]: TextField(analyzer=stemmed, multitoken_query="phrase"),
        names["body_exact"]: TextField(analyzer=exact, spelling=True, multitoken_query="phrase"),
    }


def build_schema(extra_fields: list[str], languages: Iterable[str] = ()) -> Schema:
    """Return the schema for releases with the given extra field names and languages."""
    stemmed, exact = stemming_analyzer(), exact_analyzer()
    schema = Schema(
        id=ID(stored=True, unique=True),
        # A word that analyses to several ("al-Raqqa") is searched as a phrase.
        title=TextField(analyzer=stemmed, stored=True, field_boost=TITLE_BOOST, multitoken_query="phrase"),
        title_exact=TextField(analyzer=exact, field_boost=TITLE_BOOST, multitoken_query="phrase"),
        body=TextField(analyzer=stemmed, stored=True, multitoken_query="phrase"),
        body_exact=TextField(analyzer=exact, spelling=True, multitoken_query="phrase"),
        extra_text=TextField(analyzer=stemmed, multitoken_query="phrase"),
        date=DATETIME(stored=True, sortable=True),
        dated=NUMERIC(sortable=True),
        year=ID(stored=True, sortable=True),
        url=STORED(),
        tags=keyword_list_field(),
        source=ID(stored=True, sortable=True),
        content_hash=STORED(),
        source_path=STORED(),
        lang=ID(stored=True, sortable=True),
    )
    for name in extra_fields:
        schema.add(name, keyword_list_field())
    for lang in sorted(set(languages)):
        add_language_fields(schema, lang)
    return schema


def release_language(record: ReleaseRecord) -> str:
    """Return the release's language: the record's, else detected from its text (once)."""
    lang: str | None = record.lang or record.__dict__.get("_detected_lang")
    if lang is None:
        lang = detect_language(f"{record.title}\n{record.body}")
        object.__setattr__(record, "_detected_lang", lang)
    return lang


def record_to_document(record: ReleaseRecord) -> dict[str, Any]:
    """Return the Whoosh document fields for one record."""
    lang = release_language(record)
    doc: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        "title_exact": record.title,
        "body": record.body,
        "body_exact": record.body,
        "dated": 1 if record.date else 0,
        "content_hash": record.content_hash(),
        "source_path": record.source_path,
        "lang": lang,
    }
    if lang != FIELDS_LANGUAGE:
        # Analysed in the language's own fields; title and body stay stored where every
        # reader looks for them (indexed there as empty text).
        names = language_fields(lang)
        for name in ("title", "body"):
            text = doc.pop(name)
            doc[names[name]] = doc[names[f"{name}_exact"]] = text
            doc[name], doc[f"_stored_{name}"] = "", text
            del doc[f"{name}_exact"]
    if record.date:
        doc["date"] = dt.datetime.combine(record.date, dt.time())
        doc["year"] = str(record.date.year)
    if record.url:
        doc["url"] = record.url
    if record.tags:
        doc["tags"] = LIST_SEPARATOR.join(record.tags)
    if record.source:
        doc["source"] = record.source
    texts = []
    for name, value in record.extra.items():
        values = value if isinstance(value, list) else [value]
        doc[name] = LIST_SEPARATOR.join(values)
        texts.extend(values)
    if texts:
        doc["extra_text"] = "\n".join(texts)
    return doc


def split_list(value: str | None) -> list[str]:
    """Split a stored keyword list back into its values."""
    return [item for item in (value or "").split(LIST_SEPARATOR) if item]
