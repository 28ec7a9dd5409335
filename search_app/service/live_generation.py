"""Open the live index generation and follow new ones without a restart.

Every failure to open or read a generation is :class:`IndexUnavailable` (a 503).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from whoosh import index
from whoosh.searching import Searcher

from indexer.codec import mapped_segments
from indexer.schema import DEFAULT_FACET_FIELDS
from indexer.store import Generation, IndexDamaged, IndexMissing, IndexStore
from search_app.engine.array_search import ArraySearcher, postings_cache_bytes
from search_app.engine.did_you_mean import SpellingSuggester
from search_app.engine.doc_table import DocTable
from search_app.service.contract import IndexUnavailable


@dataclass(frozen=True)
class LiveGeneration:
    """What one index generation is searched with, opened together and used together."""

    stamp: tuple[Any, ...]
    searcher: Searcher
    matcher: ArraySearcher
    table: DocTable
    facet_fields: list[str]
    spelling: SpellingSuggester
    validator: tuple[str, int, dt.datetime]  # generation name, Whoosh commit, last written


class GenerationFollower:
    """The live generation of one index directory, reopened when ``CURRENT`` changes."""

    def __init__(self, store: IndexStore, postings_cache_mb: int | None = None) -> None:
        mapped_segments.install()  # share the index's pages between workers instead of copying them
        self.store = store
        self._postings_cache_mb = postings_cache_mb
        self._lock = threading.Lock()
        self._live: LiveGeneration | None = None

    def _postings_cache_bytes(self, generation: Generation) -> int:
        index_bytes = sum(path.stat().st_size for path in generation.index_files())
        return postings_cache_bytes(index_bytes, self._postings_cache_mb)

    def _current_stamp(self) -> tuple[Any, ...]:
        generation = self.store.current()
        if generation is None:
            return ()
        try:
            meta_mtime = (generation.path / "release-search.json").stat().st_mtime_ns
        except OSError:
            meta_mtime = 0
        return (self.store.pointer_stamp(), generation.name, meta_mtime)

    def current(self) -> LiveGeneration:
        """Return the live generation's searcher and tables, reopening them when it changed."""
        stamp = self._current_stamp()
        live = self._live
        if live is not None and stamp == live.stamp:
            return live
        with self._lock:
            live = self._live
            if live is not None and stamp == live.stamp:
                return live
            try:
                new = self._open_generation(stamp)
            except IndexMissing as exc:
                raise IndexUnavailable(str(exc)) from None
            except IndexDamaged as exc:
                raise IndexUnavailable(f"{exc} Run reindex to rebuild it.") from None
            except Exception as exc:  # noqa: BLE001 - any failure to open or read is "unavailable"
                raise IndexUnavailable(f"The index at {self.store.root} cannot be read: {exc}") from None
            old, self._live = self._live, new
            # Did-you-mean reads the index's words once; a thread does it now, not a visitor's typo.
            threading.Thread(target=new.spelling.warm, name="spelling warm-up", daemon=True).start()
            if old is not None:
                old.searcher.close()
            return new

    def _open_generation(self, stamp: tuple[Any, ...]) -> LiveGeneration:
        """Open the live generation and everything searched with it (any failure raises)."""
        generation = self.store.require_current()
        generation.verify()
        searcher = index.open_dir(str(generation.path)).searcher()
        try:
            meta = generation.metadata()
            offered = meta.get("facet_fields", list(DEFAULT_FACET_FIELDS))
            facet_fields = [name for name in offered if name in searcher.schema]
            return LiveGeneration(
                stamp=stamp,
                searcher=searcher,
                matcher=ArraySearcher(searcher, self._postings_cache_bytes(generation), generation.path),
                table=DocTable(searcher, facet_fields),
                facet_fields=facet_fields,
                spelling=SpellingSuggester(searcher),
                validator=_validator(generation, meta, searcher),
            )
        except BaseException:
            searcher.close()
            raise


def _validator(
    generation: Generation, meta: dict[str, Any], searcher: Searcher
) -> tuple[str, int, dt.datetime]:
    commit = searcher.reader().generation()
    try:
        updated = dt.datetime.fromisoformat(str(meta["updated_at"]))
    except (KeyError, ValueError):
        updated = dt.datetime.fromtimestamp(generation.path.stat().st_mtime, dt.UTC)
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=dt.UTC)
    return generation.name, commit if isinstance(commit, int) else -1, updated
