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
        term_ids, _, counts, values = group_postings(term_ids, np.zeros_like(term_ids), positions)
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
DEFAULT_FACET_FIELDS = ("year", "tags", "source")


def build_schema(extra_fields: list[str]) -> Schema:
    """Return the schema for releases with the given extra field names."""
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
    )
    for name in extra_fields:
        schema.add(name, keyword_list_field())
    return schema


def record_to_document(record: ReleaseRecord) -> dict[str, Any]:
    """Return the Whoosh document fields for one record."""
    doc: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        "title_exact": record.title,
        "body": record.body,
        "body_exact": record.body,
        "dated": 1 if record.date else 0,
        "content_hash": record.content_hash(),
        "source_path": record.source_path,
    }
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
