"""Every match of one search, in the search's order: what exports and trends read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from whoosh.searching import Searcher

from indexer.codec.stored_fields import stored_documents
from indexer.schema import split_list
from search_app.engine.doc_table import DocIds, DocTable
from search_app.engine.matches import Scores

# The fields of an exported row, in order; ``lang`` only when the index stores it.
EXPORT_FIELDS = ("id", "title", "date", "url", "source", "tags", "lang", "score")


@dataclass(frozen=True)
class MatchList:
    """Document numbers of every match (filters applied) with their scores, and where to read them."""

    searcher: Searcher  # of the generation searched: read stored fields from this one
    table: DocTable
    ids: DocIds
    scores: Scores  # 0 unless ordered by relevance
    warnings: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def fields(self) -> list[str]:
        """Return the names of an exported row's fields (``lang`` only when the index stores it)."""
        stored = set(self.searcher.schema.stored_names())
        return [name for name in EXPORT_FIELDS if name != "lang" or "lang" in stored]

    def rows(self, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield the first ``limit`` matches (default: all) as export rows, one at a time, in order."""
        with_lang = "lang" in self.fields()
        documents = stored_documents(self.searcher.reader(), self.ids[:limit].tolist())
        for stored, score in zip(documents, self.scores[:limit].tolist(), strict=True):
            date = stored.get("date")
            row = {
                "id": stored["id"],
                "title": stored.get("title", ""),
                "date": date.date().isoformat() if isinstance(date, dt.datetime) else None,
                "url": stored.get("url"),
                "source": stored.get("source"),
                "tags": split_list(stored.get("tags")),
            }
            if with_lang:
                row["lang"] = stored.get("lang")
            row["score"] = round(score, 4)
            yield row
