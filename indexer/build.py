"""Build and update the release index: full builds and incremental runs."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index
from whoosh.writing import IndexWriter

from indexer.analysis import forget_words, forget_written_words
from indexer.codec import mapped_segments
from indexer.codec.parallel import FreshIndexBuild
from indexer.completions import Completions, completions_of
from indexer.corpus import Corpus, Source, load_corpus, stream_corpus, unchanged_files
from indexer.languages import forget_model
from indexer.learned_words import WrittenWordsLearning
from indexer.records import KnownRelease, RecordError, ReleaseRecord
from indexer.release_log import ReleaseLog
from indexer.schema import (
    DEFAULT_FACET_FIELDS,
    MAX_FACET_VALUES,
    build_schema,
    keyword_list_field,
    language_field_types,
    record_to_document,
    release_language,
)
from indexer.settings import build_memory_mb
from indexer.store import Generation, IndexDamaged, IndexStore
from indexer.windows import SegmentGroups, known_release, shares, window_chars, windows
from indexer.words import snowball_stem

# Below this many releases a single-process writer is faster than forking.
PARALLEL_THRESHOLD = 2000
# Writer processes of a parallel full build: each writes one segment.
BUILD_PROCESSES = 2

Progress = Callable[[Iterable[ReleaseRecord], int], Iterable[ReleaseRecord]]


class StrictStop(Exception):
    """``--strict`` met a bad record; nothing was changed."""

    def __init__(self, error: RecordError) -> None:
        super().__init__(f"{error} (stopped by --strict; the index was not changed)")
        self.error = error


@dataclass
class ReindexSummary:
    """What a reindex did."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[RecordError] = field(default_factory=list)
    documents: int = 0
    seconds: float = 0.0
    full: bool = False
    generation: str = ""
    rebuilt_because: str = ""  # why an incremental run rebuilt the index in full

    def as_dict(self) -> dict[str, object]:
        """Return the summary as JSON-ready data."""
        return {
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": [error.as_dict() for error in self.errors],
            "documents": self.documents,
            "seconds": round(self.seconds, 3),
            "full": self.full,
            "generation": self.generation,
        } | ({"rebuilt_because": self.rebuilt_because} if self.rebuilt_because else {})

    def line(self) -> str:
        """Return the one-line summary printed at the end of a run."""
        kind = "full build" if self.full else "incremental"
        if self.rebuilt_because:
            kind = f"full build ({self.rebuilt_because})"
        return (
            f"{kind}: {self.added} added, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged, {self.skipped} skipped; "
            f"{self.documents} releases in the index ({self.seconds:.1f} s)"
        )


def _no_progress(records: Iterable[ReleaseRecord], total: int) -> Iterable[ReleaseRecord]:
    return records


def reindex(
    corpus_path: Path,
    index_root: Path,
    *,
    full: bool = False,
    strict: bool = False,
    wait_seconds: float = 5.0,
    progress: Progress = _no_progress,
) -> ReindexSummary:
    """Bring the index at ``index_root`` in step with the corpus at ``corpus_path``."""
    started = time.perf_counter()
    store = IndexStore(index_root)
    full = full or store.current() is None
    known_files = {} if full or (live := store.current()) is None else live.known_files()
    # Every file as the last run read it (by size and modification time): nothing to read.
    unchanged = bool(known_files) and unchanged_files(corpus_path, known_files)
    known = {} if full or unchanged else _known_sources(store)
    corpus = Corpus() if full or unchanged else load_corpus(corpus_path, known, known_files)
    if strict and corpus.errors:
        raise StrictStop(corpus.errors[0])
    with store.writer_lock(wait_seconds):
        current = store.current()
        verified: dict[str, str] = {}
        rebuilt_because = ""
        if current is not None and not full:
            try:
                verified = current.verify()
            except IndexDamaged:
                full = True  # rebuild from the corpus rather than update damaged files
        if current is not None and not full and _schema_outdated(current):
            full, rebuilt_because = True, SCHEMA_CHANGED
        if full or current is None:
            corpus = Corpus()  # a rebuild reads every release whole, a window at a time
            summary = _full_build(store, stream_corpus(corpus_path, corpus), corpus, progress, strict)
            summary.rebuilt_because = rebuilt_because
        elif unchanged and current.known_files() == known_files:
            documents = int(current.metadata().get("documents", 0))
            summary = ReindexSummary(unchanged=documents, documents=documents, generation=current.name)
        else:
            if unchanged:  # another run changed the index meanwhile: compare it with the corpus
                known = current.known_sources()
                corpus = load_corpus(corpus_path, known, known_files)
            summary = _incremental(current, corpus, lambda: load_corpus(corpus_path), verified, progress)
            if corpus.sources.keys() != known.keys() or corpus.files != current.known_files():
                current.write_known_sources(corpus.sources, corpus.files)
    summary.errors = corpus.errors
    summary.skipped = len(corpus.errors)
    summary.seconds = time.perf_counter() - started
    return summary


SCHEMA_CHANGED = "the index was built by an earlier version, without release languages"


def _schema_outdated(generation: Generation) -> bool:
    """Tell whether the live index lacks a field this version writes (it is rebuilt in full)."""
    try:
        ix = index.open_dir(str(generation.path))
    except Exception:  # noqa: BLE001 - an unreadable index is rebuilt too
        return True
    try:
        return "lang" not in ix.schema
    finally:
        ix.close()


@dataclass
class _FieldValues:
    distinct: set[str] = field(default_factory=set)
    occurrences: int = 0

    @property
    def facetable(self) -> bool:
        # A facet groups releases: few distinct values, each shared on average.
        return len(self.distinct) <= MAX_FACET_VALUES and 2 * len(self.distinct) <= self.occurrences


def _extra_fields(
    records: Iterable[ReleaseRecord], values: dict[str, _FieldValues] | None = None
) -> dict[str, _FieldValues]:
    """Count the values of the records' extra fields (into ``values``, if given)."""
    values = defaultdict(_FieldValues, values or {})
    for record in records:
        for name, value in record.extra.items():
            seen = values[name]
            items = value if isinstance(value, list) else [value]
            seen.occurrences += len(items)
            if len(seen.distinct) <= MAX_FACET_VALUES:
                seen.distinct.update(items)
    return values


def _facet_fields(extra_values: dict[str, _FieldValues]) -> list[str]:
    facetable = [name for name, seen in sorted(extra_values.items()) if seen.facetable]
    return [*DEFAULT_FACET_FIELDS, *facetable]


def _known_sources(store: IndexStore) -> dict[str, list[KnownRelease]]:
    """Return what the run that wrote the live generation read, by source (any run's
    record serves: a source's key covers everything its releases depend on)."""
    current = store.current()
    return current.known_sources() if current is not None else {}


def _full_build(
    store: IndexStore, sources: Iterable[Source], corpus: Corpus, progress: Progress, strict: bool
) -> ReindexSummary:
    """Build a new generation from ``sources`` (read into ``corpus`` as they come) and
    make it live. Releases are indexed a window at a time, and of each only its identity,
    title, tags and content hash are kept: memory stays bounded whatever the corpus size."""
    budget_mb = build_memory_mb()
    extra_values: dict[str, _FieldValues] = {}
    languages: set[str] = set()
    generation = store.new_generation()
    build: FreshIndexBuild[ReleaseRecord, str] | None = None
    indexed = ReleaseLog(generation.path)
    try:
        ix = index.create_in(str(generation.path), build_schema([]))
        build = FreshIndexBuild(
            ix,
            record_to_document,
            ReleaseRecord.content_hash,
            budget_mb << 20,
            learning=WrittenWordsLearning(),
        )
        snowball_stem("loaded")  # NLTK imported once, before the writers fork, not in each
        groups = SegmentGroups()
        # Each window is read while the writers write the one before (see FreshIndexBuild.start).
        written: tuple[list[Source], list[ReleaseRecord]] | None = None
        for window in windows(sources, window_chars(budget_mb, BUILD_PROCESSES)):
            if strict and corpus.errors:
                raise StrictStop(corpus.errors[0])
            records = [record for _, _, new in window for record in new]
            extra_values = _extra_fields(records, extra_values)
            languages |= {release_language(record) for record in records}  # detected here, not in forks
            if written is not None:
                _finish_window(build, *written, indexed, progress)
            build.schema = build_schema(sorted(extra_values), languages)  # fields met so far
            parallel = len(records) >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1
            new_group = groups.starts_new(records, corpus.read_share())
            build.start(shares(records, BUILD_PROCESSES if parallel else 1), new_group)
            written = (window, records)
        if written is not None:
            _finish_window(build, *written, indexed, progress)
        if strict and corpus.errors:
            raise StrictStop(corpus.errors[0])
        forget_model()
        forget_words()
        build.start_merging(build_schema(sorted(extra_values), languages))  # in forks, meanwhile
        completions = Completions()  # gathered as the manifest is written: the log is read once for both
        logged = completions.gathered(indexed.releases())
        releases = ((item.id, (item.digest, item.source_path)) for item in logged)
        generation.write_manifest(build.generation, releases)
        generation.write_known_sources(indexed.remembered_sources(), corpus.files)
        build.commit()
        ix.close()
        facets = _facet_fields(extra_values)
        indexed.close()
        _write_metadata(generation, indexed.count, facets, completions.as_dict(), generation.checksums())
    except BaseException:
        indexed.close()
        if build is not None:
            build.cancel()
        store.prune({current.name} if (current := store.current()) else set())
        raise
    store.publish(generation)
    return ReindexSummary(added=indexed.count, documents=indexed.count, full=True, generation=generation.name)


def _finish_window(
    build: FreshIndexBuild[ReleaseRecord, str],
    window: list[Source],
    records: list[ReleaseRecord],
    indexed: ReleaseLog,
    progress: Progress,
) -> None:
    """Wait for the writers of ``window`` (``records`` its new records) and note in
    ``indexed`` what the manifest, the sources record and completions need of it."""
    digests = build.finish(lambda share: progress(share, len(share)))  # worked out by the writers
    forget_written_words()  # the window's postings are written: memory stays flat
    for record, digest in zip(records, digests, strict=True):
        record.remember_content_hash(digest)
    for key, items, new in window:
        added = {id(record) for record in new}
        flags = [id(item) in added for item in items]
        indexed.add(key, [known_release(item) for item in items], flags)


def _incremental(
    generation: Generation,
    corpus: Corpus,
    reread: Callable[[], Corpus],
    verified: dict[str, str],
    progress: Progress,
) -> ReindexSummary:
    """Write only what changed. Releases from files with bad records are kept as
    indexed, so a broken edit never deletes a release that was searchable.

    ``verified`` holds the index files' digests checked at the start of the run.
    """
    # Whoosh would copy each part of a segment it reads (postings, terms) into memory:
    # gigabytes at a million releases. Read them from the memory map instead.
    mapped_segments.install()
    ix = index.open_dir(str(generation.path))
    before = _indexed_releases(generation, ix)
    indexed = {doc_id: content_hash for doc_id, (content_hash, _) in before.items()}
    records: Sequence[ReleaseRecord | KnownRelease] = corpus.releases
    changed = _changed(records, indexed)
    if changed is None:  # a known release is to be written: read every source again
        corpus = reread()
        records = corpus.records
        changed = _changed(records, indexed) or []
    unreadable = {error.path for error in corpus.errors}
    kept = {doc_id for doc_id, (_, source_path) in before.items() if source_path in unreadable}
    wanted = {record.id: record for record in records}
    removed = [doc_id for doc_id in indexed if doc_id not in wanted and doc_id not in kept]
    summary = ReindexSummary(
        added=sum(1 for record in changed if record.id not in indexed),
        updated=sum(1 for record in changed if record.id in indexed),
        deleted=len(removed),
        unchanged=len(records) - len(changed),
        documents=len(set(wanted) | kept),
        generation=generation.name,
    )
    if not changed and not removed:
        if generation.manifest(ix.latest_generation()) is None:  # an index from before manifests
            generation.write_manifest(ix.latest_generation(), before)
        ix.close()
        return summary
    writer: IndexWriter = ix.writer(timeout=0)
    try:
        new_fields = sorted({name for record in changed for name in record.extra} - set(ix.schema.names()))
        for name in new_fields:
            writer.add_field(name, keyword_list_field())
        for lang in sorted({release_language(record) for record in changed}):
            for name, field_type in language_field_types(lang).items():
                if name not in ix.schema:
                    writer.add_field(name, field_type)
        for doc_id in removed:
            writer.delete_by_term("id", doc_id)
        for record in progress(changed, len(changed)):
            writer.update_document(**record_to_document(record))
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    releases = {doc_id: before[doc_id] for doc_id in kept}
    releases.update((record.id, (record.content_hash(), record.source_path)) for record in records)
    generation.write_manifest(ix.latest_generation(), releases)
    ix.close()
    facets = generation.metadata().get("facet_fields", list(DEFAULT_FACET_FIELDS))
    _write_metadata(
        generation, summary.documents, facets, completions_of(records), generation.checksums(verified)
    )
    return summary


def _changed(
    releases: Sequence[ReleaseRecord | KnownRelease], indexed: dict[str, str]
) -> list[ReleaseRecord] | None:
    """Return the releases not indexed as they are now, or ``None`` if one of those is
    only known (a release whose source is unchanged, yet is not indexed as it was read:
    a duplicate id whose first definition went away, or an index rebuilt since)."""
    changed = [release for release in releases if indexed.get(release.id) != release.content_hash()]
    records = [release for release in changed if isinstance(release, ReleaseRecord)]
    return records if len(records) == len(changed) else None


def _indexed_releases(generation: Generation, ix: index.Index) -> dict[str, tuple[str, str]]:
    """Return {id: (content hash, source path)} of the indexed releases: from the manifest
    when it matches the index's last commit, else from every stored release (slower)."""
    recorded = generation.manifest(ix.latest_generation())
    if recorded is not None:
        return recorded
    with ix.searcher() as searcher:
        return {
            fields["id"]: (str(fields.get("content_hash")), str(fields.get("source_path")))
            for fields in searcher.all_stored_fields()
        }


def _write_metadata(
    generation: Generation,
    documents: int,
    facet_fields: list[str],
    completions: dict[str, list[str]],
    checksums: dict[str, str],
) -> None:
    # Completions first: the metadata file's change is what tells readers to reload.
    generation.write_completions(completions)
    generation.write_metadata(
        {
            "documents": documents,
            "facet_fields": facet_fields,
            "checksums": checksums,
            "file_stamps": generation.file_stamps(),
            "updated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
