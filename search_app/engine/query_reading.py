"""Turn what a user typed into a Whoosh query that never fails to parse.

Before parsing, the text is rewritten so that the query language means what a
reader of press releases expects:

- a quoted phrase or word matches the text as written (the unstemmed fields):
  ``"liberation"`` does not match "liberate";
- a hyphenated word also matches its joined spelling:
  ``counter-terrorism`` finds "counterterrorism" too.

After parsing, name variants are added; :func:`plain_words` gives the service the
words whose closeness it rewards when it re-ranks the first results.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from whoosh import qparser
from whoosh import query as wq
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.reading import IndexReader

from indexer.codec.whoosh_private import whoosh_expansions
from indexer.schema import EXACT_FIELDS, FIELDS_LANGUAGE, field_language, language_fields
from indexer.word_shapes import APOSTROPHE_CLASS, COMPOUND_PATTERN, OPERATOR_WORDS
from search_app.engine import work
from search_app.engine.lexicon import lexicon
from search_app.engine.variants import SEARCH_FIELDS, NameVariants

MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 40
# A prefix, wildcard or fuzzy word matches at most this many of the index's words
# (the most frequent ones), which bounds the work one query can cause.
MAX_EXPANSIONS = 100
# At most this many different prefix, wildcard or fuzzy words are expanded per query, and
# at most this many index words' frequencies are looked up to rank their expansions
# (about 30 microseconds each: Whoosh decodes a term info in Python).
MAX_EXPANDING_WORDS = 10
MAX_RANKED_EXPANSIONS = 6_000
MAX_RANKED_PER_WORD = 2_000
EXPANDING_WARNING = f"Only the first {MAX_EXPANDING_WORDS} prefix, wildcard or fuzzy words were searched for."
MANY_EXPANSIONS_WARNING = "{word} matches too many words: only a sample of them was searched for."
MAX_FUZZY_DISTANCE = 2
FUZZY_PREFIX = 2
# Characters with a meaning in the query language, dropped when a query is read as plain words.
SYNTAX_CHARACTERS = re.compile(r"[\"()\[\]{}^~*?:+\-\\]")
NEGATION = re.compile(r"(^|\s)(-\S|NOT\s)")
FIELD_ALIASES = {"tags": ["tag"]}
# A quoted phrase (maybe field-scoped); a hyphenated word, or a word with an apostrophe,
# that is neither field-scoped nor negated nor a pattern.
REWRITE = re.compile(
    rf'(?P<field>\b\w+:)?"(?P<phrase>[^"]+)"'
    rf"|(?<![\w:\-'])(?P<compound>{COMPOUND_PATTERN})(?![\w*~])"
    rf"|(?<![\w:\-'])(?P<apostrophe>\w+(?:{APOSTROPHE_CLASS}\w+)+)(?![\w*~])"
)


@dataclass(frozen=True)
class ParsedQuery:
    """A query ready to run, and how the user's text was read."""

    query: wq.Query
    text: str
    variants: list[str]
    degraded: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def is_everything(self) -> bool:
        return isinstance(self.query, wq.Every)


def index_languages(schema: Schema) -> list[str]:
    """Return the languages with fields of their own in ``schema`` (English's are the plain ones)."""
    return sorted({lang for name in schema.names() if (lang := field_language(name))})


def searched_languages(schema: Schema, languages: Iterable[str] | None = None) -> list[str]:
    """Return the languages a query is analysed in: every language of the index, or only
    those of a ``lang`` filter."""
    known = [FIELDS_LANGUAGE, *index_languages(schema)]
    return known if languages is None else [lang for lang in known if lang in set(languages)]


def _parser(schema: Schema, languages: list[str]) -> qparser.QueryParser:
    fields = [name for name in SEARCH_FIELDS if name in schema] if FIELDS_LANGUAGE in languages else []
    # The query is analysed once per language: each language's fields have its analyzer. The
    # body's exact field too, so that the form typed ranks above its inflections (d'État over
    # États); the title's added nothing on the judged queries.
    fields += [
        language_fields(lang)[name]
        for lang in languages
        if lang != FIELDS_LANGUAGE
        for name in ("title", "body", "body_exact")
    ]
    parser = qparser.MultifieldParser(fields, schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    # "+" and "-" are operators only at the start of a word: "counter-terrorism" is one word.
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


# ``title:word`` or ``body:"a phrase"``: scoped to a text field, which each language has its own of.
SCOPED = re.compile(r'(?<![\w:])(?P<field>title|body):(?P<value>"[^"]+"|[^\s"()]+)')


def scope_to_languages(text: str, languages: Sequence[str]) -> str:
    """Rewrite ``title:``/``body:`` words and phrases to the same field of each language.

    >>> scope_to_languages('title:etat body:"coalition contre"', ["en", "fr"])
    '(title:etat OR title_fr:etat) (body_exact:"coalition contre" OR body_fr_exact:"coalition contre")'
    """
    if list(languages) == [FIELDS_LANGUAGE]:
        return text

    def replace(match: re.Match[str]) -> str:
        field, value = match.group("field"), match.group("value")
        name = f"{field}_exact" if value.startswith('"') else field
        return "(" + " OR ".join(f"{language_fields(lang)[name]}:{value}" for lang in languages) + ")"

    return SCOPED.sub(replace, text)


def rewrite(text: str, languages: Sequence[str] = (FIELDS_LANGUAGE,)) -> str:
    """Rewrite quoted phrases to the exact fields and hyphenated words to both spellings.

    A quoted phrase is looked for as written in each searched language's exact fields.

    >>> rewrite('"liberation" title:"Raqqa"')
    '(title_exact:"liberation" OR body_exact:"liberation") title_exact:"Raqqa"'
    >>> rewrite("counter-terrorism -al-Qaeda al-Qa'im")
    "(counter-terrorism OR counterterrorism) -al-Qaeda (al-Qa'im OR alQa'im)"
    >>> rewrite("O'Hare FBI’s")
    "(O'Hare OR OHare) (FBI’s OR FBIs)"
    """

    def replace(match: re.Match[str]) -> str:
        if match.group("apostrophe"):
            # Many corpora lost their apostrophes ("FBIs", "OHare"): look for that spelling too.
            word = match.group("apostrophe")
            return f"({word} OR {re.sub(APOSTROPHE_CLASS, '', word)})"
        if match.group("compound"):
            compound = match.group("compound")
            return f"({compound} OR {re.sub(r'[-‐‑]', '', compound)})"
        field, phrase = (match.group("field") or "")[:-1], match.group("phrase")
        if not field:
            exact = [
                language_fields(lang)[name] for lang in languages for name in ("title_exact", "body_exact")
            ]
            return "(" + " OR ".join(f'{name}:"{phrase}"' for name in exact) + ")"
        if field in EXACT_FIELDS:
            return f'{EXACT_FIELDS[field]}:"{phrase}"'
        return match.group(0)

    return REWRITE.sub(replace, text)


def parse_query(
    text: str,
    schema: Schema,
    variants: NameVariants,
    reader: IndexReader | None = None,
    languages: Iterable[str] | None = None,
) -> ParsedQuery:
    """Parse ``text``; malformed input degrades to its plain words.

    The text is analysed in each language of the index, or only in ``languages``.

    With a ``reader``, prefix, wildcard and fuzzy words are expanded to at most
    :data:`MAX_EXPANSIONS` real words of the index (so they can be highlighted too).
    """
    text, warnings = _bounded(text)
    if not text:
        return ParsedQuery(wq.Every(), "", [], warnings=warnings)
    searched = searched_languages(schema, languages)
    parser = _parser(schema, searched)
    degraded = False
    try:
        rewritten = rewrite(scope_to_languages(text, searched), searched)
        query = parser.parse(rewritten)
        if query is wq.NullQuery and NEGATION.search(text):
            # Only exclusions ("-daesh"): exclude from everything rather than match nothing.
            query = parser.parse("*:* " + rewritten)
    except Exception:  # noqa: BLE001 - any parser failure means "read it as words"
        query = wq.NullQuery
    if query is wq.NullQuery or _has_error(query):
        # Plain words: no syntax characters, and operators ("NOT", "AND") as the words they are.
        words = SYNTAX_CHARACTERS.sub(" ", text).split()
        plain = " ".join(word.lower() if word in OPERATOR_WORDS else word for word in words)
        try:
            query = parser.parse(plain) if plain else wq.NullQuery
        except Exception:  # noqa: BLE001 - nothing left to read
            query = wq.NullQuery
        degraded = True
    query, added = variants.expand(query)
    if reader is not None:
        notes: list[str] = []
        query = limit_expansions(query, reader, notes)
        warnings += tuple(dict.fromkeys(notes))
    return ParsedQuery(query, text, added, degraded, warnings)


def _bounded(text: str) -> tuple[str, tuple[str, ...]]:
    """Collapse whitespace and cut overlong queries, saying so."""
    warnings = []
    words = text.split()
    if len(words) > MAX_QUERY_WORDS:
        words = words[:MAX_QUERY_WORDS]
        warnings.append(f"Only the first {MAX_QUERY_WORDS} words of the query were searched for.")
    text = " ".join(words)
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        warnings.append(f"Only the first {MAX_QUERY_CHARS} characters of the query were searched for.")
    return text, tuple(warnings)


def limit_expansions(query: wq.Query, reader: IndexReader, notes: list[str] | None = None) -> wq.Query:
    """Replace each prefix, wildcard and fuzzy word by its most frequent matching words.

    What is left out for the bounds is said in ``notes``.
    """
    notes = [] if notes is None else notes
    expanding: set[str] = set()
    ranked = 0

    def visit(node: wq.Query) -> wq.Query:
        nonlocal ranked
        if isinstance(node, wq.FuzzyTerm):
            node.maxdist = min(node.maxdist, MAX_FUZZY_DISTANCE)
            # Only words sharing the first two letters are compared: a one-letter prefix
            # meant ~95,000 comparisons per fuzzy word on DOJ.
            node.prefixlength = min(max(node.prefixlength, FUZZY_PREFIX), len(node.text))
        if isinstance(node, wq.Prefix | wq.Wildcard | wq.FuzzyTerm):
            expanding.add(node.text)
            if len(expanding) > MAX_EXPANDING_WORDS:
                notes.append(EXPANDING_WARNING)
                return wq.NullQuery
            words = _expansions(node, reader)
            work.count("expansion_words", len(words))
            if len(words) > MAX_EXPANSIONS:
                allowed = max(MAX_EXPANSIONS, min(MAX_RANKED_PER_WORD, MAX_RANKED_EXPANSIONS - ranked))
                if len(words) > allowed:
                    words = words[:: -(-len(words) // allowed)]  # an even sample, in index order
                    notes.append(MANY_EXPANSIONS_WARNING.format(word=_written(node)))
                ranked += len(words)
                work.count("expansion_ranked", len(words))
                words = heapq.nlargest(
                    MAX_EXPANSIONS, words, key=lambda w: reader.doc_frequency(node.field(), w)
                )
            field = node.field()
            terms: list[wq.Query] = [
                wq.Term(field, schema_text(reader, field, w), boost=node.boost) for w in words
            ]
            return wq.Or(terms) if terms else wq.NullQuery
        return node if node.is_leaf() else node.apply(visit)

    return visit(query)


def _expansions(node: wq.Query, reader: IndexReader) -> list[str | bytes]:
    """The index words a prefix, wildcard or fuzzy word matches."""
    field = node.field()
    if field not in reader.schema:
        return []
    if not isinstance(reader.schema[field], TEXT | KEYWORD | ID):  # dates and numbers: Whoosh's way
        return list(whoosh_expansions(node, reader))
    if isinstance(node, wq.FuzzyTerm):
        return list(lexicon(reader, field).within(node.text, node.maxdist, node.prefixlength))
    if isinstance(node, wq.Prefix):
        return list(lexicon(reader, field).with_prefix(node.text))
    if isinstance(node, wq.Wildcard):
        return list(lexicon(reader, field).matching(node.text))
    return list(whoosh_expansions(node, reader))


def _written(node: wq.Query) -> str:
    """Return how a prefix, wildcard or fuzzy word was typed (near enough), quoted."""
    suffix = "*" if isinstance(node, wq.Prefix) else "~" if isinstance(node, wq.FuzzyTerm) else ""
    return f"“{node.text}{suffix}”"


def schema_text(reader: IndexReader, field: str, word: bytes | str) -> str:
    """Decode an index word of ``field`` back to text (Whoosh yields either)."""
    return word if isinstance(word, str) else str(reader.schema[field].from_bytes(word))


def _has_error(query: wq.Query) -> bool:
    # The parser marks what it could not read with an ``error`` attribute.
    return any(getattr(node, "error", None) for node in [query, *query.leaves()])


def plain_words(query: wq.Query) -> list[str] | None:
    """Return the stems of a query made only of plain words ANDed together, else None."""
    if not isinstance(query, wq.And) or len(query.subqueries) < 2:
        return None
    words = []
    for sub in query.subqueries:
        terms = (
            [node for node in sub.subqueries if isinstance(node, wq.Term)] if isinstance(sub, wq.Or) else []
        )
        if not terms or len(terms) != len(sub.subqueries):
            return None
        # The English fields' stems (other languages' fields analyse the word their own way).
        english = [term for term in terms if term.fieldname in SEARCH_FIELDS] or terms
        if len({term.text for term in english}) != 1:
            return None
        words.append(english[0].text)
    return words
