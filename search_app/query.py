"""Turn what a user typed into a Whoosh query that never fails to parse."""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import qparser
from whoosh import query as wq
from whoosh.fields import Schema

from search_app.variants import SEARCH_FIELDS, NameVariants

MAX_QUERY_CHARS = 500
# Characters with a meaning in the query language, dropped when a query is read as plain words.
SYNTAX_CHARACTERS = re.compile(r"[\"()\[\]{}^~*?:+\-\\]")
NEGATION = re.compile(r"(^|\s)(-\S|NOT\s)")
FIELD_ALIASES = {"tags": ["tag"]}


@dataclass(frozen=True)
class ParsedQuery:
    """A query ready to run, and how the user's text was read."""

    query: wq.Query
    text: str
    variants: list[str]
    degraded: bool = False

    @property
    def is_everything(self) -> bool:
        return isinstance(self.query, wq.Every)


def _parser(schema: Schema) -> qparser.QueryParser:
    fields = [name for name in SEARCH_FIELDS if name in schema]
    parser = qparser.MultifieldParser(fields, schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.PlusMinusPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


def parse_query(text: str, schema: Schema, variants: NameVariants) -> ParsedQuery:
    """Parse ``text``; malformed input degrades to its plain words."""
    text = " ".join(text.split())[:MAX_QUERY_CHARS]
    if not text:
        return ParsedQuery(wq.Every(), "", [])
    parser = _parser(schema)
    degraded = False
    try:
        query = parser.parse(text)
    except Exception:  # noqa: BLE001 - any parser failure means "read it as words"
        query = wq.NullQuery
    if query is wq.NullQuery and NEGATION.search(text):
        # Only exclusions ("-daesh"): exclude from everything rather than match nothing.
        query = parser.parse("*:* " + text)
    if query is wq.NullQuery or _has_error(query):
        plain = SYNTAX_CHARACTERS.sub(" ", text)
        query = parser.parse(" ".join(plain.split())) if plain.strip() else wq.NullQuery
        degraded = True
    query, added = variants.expand(query)
    return ParsedQuery(query, text, added, degraded)


def _has_error(query: wq.Query) -> bool:
    # The parser marks what it could not read with an ``error`` attribute.
    return any(getattr(node, "error", None) for node in [query, *query.leaves()])
