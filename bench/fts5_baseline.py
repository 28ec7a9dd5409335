"""SQLite FTS5 baseline for the benchmarks: the same releases, a stock tokenizer, bm25 ranking.

The baseline indexes title and body with ``tokenize='porter unicode61'`` (for French and
Arabic: ``unicode61 remove_diacritics 2``, Porter being English only) and ranks with
``bm25(docs, 3.0, 1.0)`` (title weighted three times the body). It has no name variants, no
spelling suggestions and no extra fields: it is what a plain FTS5 setup gives.

A Release Search query is translated fairly (:func:`to_fts5`): plain words are ANDed, each
quoted; ``"phrases"`` stay phrases; ``AND``/``OR``/``NOT`` and parentheses pass through;
``-word`` becomes ``NOT word`` and ``+word`` a plain word; ``prefix*`` an FTS5 prefix;
``word~`` drops the ``~``; ``field:value`` is restricted to the column when FTS5 has it
(``title``, ``body``) and otherwise searched everywhere. If FTS5 rejects the translation,
the query is run as its quoted plain words (:func:`plain_fts5`). For questions and typos,
:meth:`Fts5Baseline.search_all_else_any` answers "all words, else any word".

>>> to_fts5('raqqa -daesh "steel bridge" liber* title:kuwait tag:Iraq raqa~')
'"raqqa" "steel bridge" "liber" * title : "kuwait" "Iraq" "raqa" NOT "daesh"'
>>> to_fts5("iraq OR (syria AND NOT x)")
'"iraq" OR ( "syria" NOT "x" )'
>>> plain_fts5('topics:"Hate Crimes" AND -x')
'"topics" "Hate" "Crimes" "x"'
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

COLUMNS = ("title", "body")
ENGLISH_TOKENIZER = "porter unicode61"
# FTS5's best stock setting for other languages: case and diacritics folded, no stemming.
MULTILINGUAL_TOKENIZER = "unicode61 remove_diacritics 2"
OPERATORS = frozenset({"AND", "OR", "NOT"})
TOKEN = re.compile(
    r'(?P<sign>[-+]?)(?:(?P<field>\w+):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+))|(?P<paren>[()])'
)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def to_fts5(query: str) -> str:
    """Translate a Release Search query into an FTS5 MATCH expression ('' if nothing to search)."""
    parts: list[str] = []
    negated: list[str] = []
    for match in TOKEN.finditer(query):
        if match["paren"]:
            parts.append(match["paren"])
            continue
        word, phrase, field, sign = match["word"], match["phrase"], match["field"], match["sign"]
        if word in OPERATORS and not field and not sign:
            if word == "NOT" and parts and parts[-1] == "AND":
                parts.pop()  # FTS5's NOT is binary: "a AND NOT b" is "a NOT b"
            parts.append(word)
            continue
        text = phrase if phrase is not None else re.sub(r"~\d*$", "", word)
        prefix = phrase is None and text.endswith("*")
        text = text.rstrip("*")
        if not re.search(r"\w", text):
            continue
        term = _quote(text) + (" *" if prefix else "")
        if field in COLUMNS:
            term = f"{field} : {term}"
        (negated if sign == "-" else parts).append(term)
    if not parts:
        return ""
    return " ".join(parts + [f"NOT {term}" for term in negated])


def plain_fts5(query: str) -> str:
    """Return the query's words, each quoted, ANDed: the fallback when FTS5 rejects a translation."""
    return " ".join(_quote(word) for word in re.findall(r"\w+", query) if word not in OPERATORS)


class Fts5Baseline:
    """An in-memory (or on-disk) FTS5 index of (id, title, body) rows."""

    def __init__(
        self,
        releases: Iterable[tuple[str, str, str]],
        path: str = ":memory:",
        tokenize: str = ENGLISH_TOKENIZER,
    ) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(f"CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='{tokenize}')")
        self.ids: list[str] = []
        rows = []
        for rowid, (release_id, title, body) in enumerate(releases, start=1):
            self.ids.append(release_id)
            rows.append((rowid, title, body))
        with self.db:
            self.db.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", rows)

    def _run(self, expression: str, limit: int) -> list[str]:
        if not expression:
            return []
        rows = self.db.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 3.0, 1.0), rowid LIMIT ?",
            (expression, limit),
        ).fetchall()
        return [self.ids[rowid - 1] for (rowid,) in rows]

    def search(self, query: str, limit: int = 10) -> list[str]:
        """Return the ids of the best ``limit`` releases for a Release Search query."""
        try:
            return self._run(to_fts5(query), limit)
        except sqlite3.OperationalError:
            return self._run(plain_fts5(query), limit)

    def search_all_else_any(self, query: str, limit: int = 10) -> list[str]:
        """Return the best releases with all of the query's words, else with any of them.

        What a plain FTS5 setup does for natural-language questions and typos: the words
        ANDed, and when that finds nothing, ORed (bm25 rewards those with more of them).
        """
        found = self.search(query, limit)
        words = [_quote(word) for word in re.findall(r"\w+", query) if word not in OPERATORS]
        return found or self._run(" OR ".join(words), limit)
