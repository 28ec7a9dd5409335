"""The FTS5 baseline as a search service and a tiny WSGI app, for the speed benchmark.

Usage (from the repository root)::

    python bench/fts5_app.py CORPUS.jsonl.gz /tmp/bench-x/fts5.sqlite     # build the database
    BENCH_FTS5_DB=/tmp/bench-x/fts5.sqlite gunicorn --chdir bench --workers 2 \\
        --bind 127.0.0.1:8001 fts5_app:app                                  # serve it

``GET /api/search?q=&page=&per_page=&from=&to=&topics=`` answers JSON with ``total`` (an exact
``COUNT(*)``) and ``hits`` (id, title, date, score, ``title_html`` from ``highlight()`` and
``snippet_html`` from ``snippet()``), ranked by ``bm25(docs, 3.0, 1.0)`` as in
:mod:`fts5_baseline`, whose query translation it uses. Dates and topics live in plain tables
beside the FTS5 table, so the date range and topic filters of the benchmark apply here too.
It computes no facets, spelling suggestions or name variants: that is the baseline's limit.
``GET /healthz`` answers ``{"status": "ok"}``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fts5_baseline import Fts5Baseline, plain_fts5, to_fts5  # noqa: E402

DB_ENV = "BENCH_FTS5_DB"
SNIPPET_TOKENS = 40  # about the 240 characters of a Release Search snippet
# The page's rows are picked by bm25 in a subquery, so that highlight() and snippet() run for
# those rows only (in the select list of a plain ORDER BY ... OFFSET they run for all rows up
# to the offset). Filters use "+docs.rowid" so that SQLite does not hand the list of rows in
# the date range to FTS5 as a rowid constraint, which runs the match once per row.
HIT_SQL = """
SELECT meta.id, meta.date, highlight(docs, 0, '<mark>', '</mark>'),
       snippet(docs, 1, '<mark>', '</mark>', ' … ', {tokens}), bm25(docs, 3.0, 1.0) AS score
FROM docs JOIN meta ON meta.rowid = docs.rowid
WHERE docs MATCH :match AND docs.rowid IN (
    SELECT docs.rowid FROM docs WHERE docs MATCH :match{where}
    ORDER BY bm25(docs, 3.0, 1.0), docs.rowid LIMIT :limit OFFSET :offset)
ORDER BY score, docs.rowid
"""
COUNT_SQL = "SELECT COUNT(*) FROM docs WHERE docs MATCH :match{where}"
DATE_FILTER = " AND +docs.rowid IN (SELECT rowid FROM meta WHERE date BETWEEN :from AND :to)"
TOPIC_FILTER = " AND +docs.rowid IN (SELECT rowid FROM topics WHERE topic = :topic{n})"


def build_database(releases: list[dict[str, Any]], path: Path) -> None:
    """Write an FTS5 database of ``releases`` to ``path``, with their ids, dates and topics beside it."""
    baseline = Fts5Baseline(
        ((str(r["id"]), str(r.get("title", "")), str(r.get("body", ""))) for r in releases), str(path)
    )
    db = baseline.db
    with db:
        db.execute("CREATE TABLE meta(rowid INTEGER PRIMARY KEY, id TEXT, date TEXT)")
        db.execute("CREATE TABLE topics(topic TEXT, rowid INTEGER, PRIMARY KEY(topic, rowid)) WITHOUT ROWID")
        db.executemany(
            "INSERT INTO meta VALUES (?, ?, ?)",
            [(rowid, r["id"], str(r.get("date") or "")[:10]) for rowid, r in enumerate(releases, start=1)],
        )
        db.executemany(
            "INSERT OR IGNORE INTO topics VALUES (?, ?)",
            [(t, rowid) for rowid, r in enumerate(releases, start=1) for t in r.get("topics") or []],
        )
        db.execute("CREATE INDEX meta_date ON meta(date)")
    db.close()


class Fts5Search:
    """Top hits with highlights and an exact total from an FTS5 database made by :func:`build_database`."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def search(
        self,
        q: str,
        page: int = 1,
        per_page: int = 10,
        date_from: str | None = None,
        date_to: str | None = None,
        topics: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Return ``{"total": n, "hits": [...]}`` for one page of ``q``."""
        where = ""
        args: dict[str, Any] = {"limit": per_page, "offset": (page - 1) * per_page}
        if date_from or date_to:
            where += DATE_FILTER
            args.update({"from": date_from or "0000", "to": date_to or "9999"})
        for n, topic in enumerate(topics):
            where += TOPIC_FILTER.format(n=n)
            args[f"topic{n}"] = topic
        try:
            return self._run(to_fts5(q), where, args)
        except sqlite3.OperationalError:
            return self._run(plain_fts5(q), where, args)

    def _run(self, match: str, where: str, args: dict[str, Any]) -> dict[str, Any]:
        if not match:
            return {"total": 0, "hits": []}
        args = {**args, "match": match}
        rows = self.db.execute(HIT_SQL.format(tokens=SNIPPET_TOKENS, where=where), args).fetchall()
        (total,) = self.db.execute(COUNT_SQL.format(where=where), args).fetchone()
        hits = [
            {"id": id_, "date": date, "title_html": title, "snippet_html": snippet, "score": round(-score, 4)}
            for id_, date, title, snippet, score in rows
        ]
        return {"total": total, "hits": hits}


_search: Fts5Search | None = None
Respond = Callable[[str, list[tuple[str, str]]], Any]


def app(environ: dict[str, Any], start_response: Respond) -> list[bytes]:
    """Answer ``/api/search`` and ``/healthz`` as JSON."""
    global _search
    path = environ.get("PATH_INFO", "")
    payload: dict[str, Any]
    if path == "/healthz":
        status, payload = "200 OK", {"status": "ok"}
    elif path == "/api/search":
        if _search is None:  # opened in each worker after the fork, never shared
            _search = Fts5Search(Path(os.environ[DB_ENV]))
        args = parse_qs(environ.get("QUERY_STRING", ""))

        def one(name: str, default: str = "") -> str:
            return args.get(name, [default])[0]

        status = "200 OK"
        payload = _search.search(
            one("q"),
            page=int(one("page", "1")),
            per_page=int(one("per_page", "10")),
            date_from=one("from") or None,
            date_to=one("to") or None,
            topics=args.get("topics", []),
        )
    else:
        status, payload = "404 Not Found", {"error": {"code": "not_found", "message": path}}
    body = json.dumps(payload).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def main() -> None:
    from queries import read_releases

    corpus, path = Path(sys.argv[1]), Path(sys.argv[2])
    releases = list(read_releases(corpus))
    build_database(releases, path)
    print(f"{len(releases)} releases in {path}")


if __name__ == "__main__":
    main()
