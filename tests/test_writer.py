"""The full-build writer: Whoosh's index, written faster, in one process or several."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import MULTILINGUAL_FIXTURES, SEED_CORPUS, checked_dense_postings, synthetic_corpus
from whoosh import index
from whoosh.index import Index
from whoosh.writing import SegmentWriter

from indexer import analysis, build, learned_words, words
from indexer.build import _extra_fields, reindex
from indexer.codec import dense_postings, merge, parallel, window_writers
from indexer.codec.dense_postings import DensePostings
from indexer.codec.parallel import write_fresh_index
from indexer.codec.postings import encode_positions
from indexer.codec.writer import BuildWriter
from indexer.corpus import load_corpus
from indexer.records import ReleaseRecord
from indexer.schema import build_schema, record_to_document, release_language
from indexer.store import IndexStore
from indexer.term_ids import WrittenIds, term_text, terms_numbered
from indexer.windows import SegmentGroups


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[ReleaseRecord]:
    """The seed corpus and 300 synthetic releases."""
    synthetic = synthetic_corpus(tmp_path_factory.mktemp("corpus") / "synthetic.jsonl", 300)
    return load_corpus(SEED_CORPUS).records + load_corpus(synthetic).records


def new_index(path: Path, records: list[ReleaseRecord]) -> Index:
    path.mkdir()
    languages = {release_language(record) for record in records}
    return index.create_in(str(path), build_schema(sorted(_extra_fields(records)), languages))


def write(writer: SegmentWriter, records: list[ReleaseRecord]) -> None:
    for record in records:
        writer.add_document(**record_to_document(record))
    writer.commit()


def segment_files(path: Path) -> dict[str, bytes]:
    """Segment files by extension (the segment's random name left out)."""
    return {
        name.split(".", 1)[1]: (path / name).read_bytes()
        for name in os.listdir(path)
        if name.startswith("MAIN_") and not name.endswith("LOCK")
    }


def contents(ix: Index, with_blocks: bool = True) -> dict[str, Any]:
    """Everything a search can read: stored fields, field lengths, term statistics,
    postings and (in a one-segment index) the statistics of each posting block."""
    found: dict[str, Any] = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        found["stored"] = list(reader.iter_docs())
        for fieldname in ix.schema.names():
            if not ix.schema[fieldname].indexed:
                continue
            found[f"lengths {fieldname}"] = [
                reader.doc_field_length(docnum, fieldname) or 0 for docnum in range(reader.doc_count_all())
            ]
            if ix.schema[fieldname].column_type is not None:  # what facets and sorting read
                found[f"column {fieldname}"] = [
                    value  # segment by segment: Whoosh's reader of all of them skips missing columns
                    for leaf, _ in reader.leaf_readers()
                    for value in leaf.column_reader(fieldname, translate=False)
                ]
            for term in reader.lexicon(fieldname):
                info = reader.term_info(fieldname, term)
                found[f"{fieldname} {term!r}"] = (
                    (info.weight(), info.doc_frequency(), info.min_length(), info.max_length()),
                    (info.max_weight(), info.min_id(), info.max_id()),
                    list(reader.postings(fieldname, term).all_items()),
                    blocks(reader.postings(fieldname, term)) if with_blocks else None,
                )
    return found


def blocks(matcher: Any) -> list[tuple[Any, ...]]:
    """Each posting's weight (what scoring reads) and the statistics of its block (what
    skipping by block quality reads)."""
    stats = []
    while matcher.is_active():
        stats.append(
            (
                matcher.id(),
                matcher.weight(),
                matcher.block_min_length(),
                matcher.block_max_length(),
                matcher.block_max_weight(),
            )
        )
        matcher.next()
    return stats


def test_build_writer_writes_what_whooshs_writer_writes(records: list[ReleaseRecord], tmp_path: Path) -> None:
    whoosh_ix = new_index(tmp_path / "whoosh", records)
    write(SegmentWriter(whoosh_ix, compound=False), records)
    build_ix = new_index(tmp_path / "build", records)
    write(BuildWriter(build_ix, compound=False), records)

    assert contents(build_ix) == contents(whoosh_ix)
    # Only the postings (the block data pickle's protocol) and the stored fields (ISA-L
    # in place of zlib, the same format) are stored differently.
    expected, written = segment_files(tmp_path / "whoosh"), segment_files(tmp_path / "build")
    assert set(written) - set(expected) <= {"dps"}  # common words' postings as arrays besides
    assert {name for name in expected if written[name] != expected[name]} == {"pst", "trm", "_stored.col"}
    assert len(written["_stored.col"]) < 1.05 * len(expected["_stored.col"])
    assert len(written["pst"]) < 0.7 * len(expected["pst"])


def test_build_writer_writes_french_and_arabic_fields_as_whooshs_writer(tmp_path: Path) -> None:
    records = load_corpus(SEED_CORPUS).records + load_corpus(MULTILINGUAL_FIXTURES).records
    assert {release_language(record) for record in records} == {"en", "fr", "ar"}
    whoosh_ix = new_index(tmp_path / "whoosh", records)
    write(SegmentWriter(whoosh_ix, compound=False), records)
    build_ix = new_index(tmp_path / "build", records)
    write(BuildWriter(build_ix, compound=False), records)

    written = contents(build_ix)
    assert written == contents(whoosh_ix)
    assert {name.split()[0] for name in written if name.startswith(("body_", "title_"))} >= {
        "body_fr",
        "body_fr_exact",
        "body_ar",
        "body_ar_exact",
        "title_fr",
        "title_ar",
    }


def test_parallel_build_gives_the_single_process_index_in_corpus_order(
    records: list[ReleaseRecord], tmp_path: Path
) -> None:
    single = new_index(tmp_path / "single", records)
    write_fresh_index(single, [records], record_to_document)
    parallel = new_index(tmp_path / "parallel", records)
    shares = [records[:100], records[100:250], records[250:]]
    reports = write_fresh_index(
        parallel, shares, record_to_document, report=lambda record: (record.id, os.getpid())
    )

    # What each writer process reported comes back in record order, from three processes.
    assert [doc_id for doc_id, _ in reports] == [record.id for record in records]
    assert len({pid for _, pid in reports}) == 3

    assert len(parallel.reader().leaf_readers()) == 1  # the three writers' runs, merged
    assert [fields["id"] for _, fields in parallel.reader().iter_docs()] == [record.id for record in records]
    assert contents(parallel, with_blocks=False) == contents(single, with_blocks=False)


@pytest.mark.parametrize("slow_share", [0, 1])
def test_a_writer_that_runs_out_takes_over_half_of_a_slower_ones_documents(
    records: list[ReleaseRecord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_share: int
) -> None:
    monkeypatch.setattr(window_writers, "STEAL_AT_LEAST", 8)
    monkeypatch.setattr(window_writers, "STEAL_SHARE", 0)
    shares = [records[:160], records[160:]]
    slow = {record.id for record in shares[slow_share]}
    # The slow writer (a writer on a slower core) holds its first document until the other
    # has run out and taken over part of its share: seen through the shared work queue.
    taken_over = multiprocessing.get_context("fork").Event()
    steal = window_writers.WorkQueue.steal

    def steal_and_say(queue: Any, writer: int) -> bool:
        stolen = steal(queue, writer)
        if stolen:
            taken_over.set()
        return stolen

    monkeypatch.setattr(window_writers.WorkQueue, "steal", steal_and_say)

    def to_document(record: ReleaseRecord) -> dict[str, Any]:
        if record.id in slow:
            assert taken_over.wait(120), "the other writer never took over"
        return record_to_document(record)

    single = new_index(tmp_path / "single", records)
    write_fresh_index(single, [records], record_to_document)
    stolen = new_index(tmp_path / "stolen", records)
    reports = write_fresh_index(stolen, shares, to_document, report=lambda record: (record.id, os.getpid()))

    # The fast writer wrote some of the slow one's documents (a run of its own, merged).
    slow_share_writers = {pid for doc_id, pid in reports if doc_id in slow}
    assert len(slow_share_writers) == 2
    assert len(stolen.reader().leaf_readers()) == 1
    # The index is the one a single writer makes, in corpus order; reports come in order too.
    assert [doc_id for doc_id, _ in reports] == [record.id for record in records]
    assert [fields["id"] for _, fields in stolen.reader().iter_docs()] == [record.id for record in records]
    assert contents(stolen, with_blocks=False) == contents(single, with_blocks=False)


def test_failed_writer_process_fails_the_build_and_writes_nothing(
    records: list[ReleaseRecord], tmp_path: Path
) -> None:
    def to_document(record: ReleaseRecord) -> dict[str, Any]:
        if record is records[-1]:
            raise ValueError("no document for you")
        return record_to_document(record)

    ix = new_index(tmp_path / "ix", records)
    with pytest.raises(RuntimeError, match="an index writer process failed: ValueError: no document for you"):
        write_fresh_index(ix, [records[:100], records[100:]], to_document)
    assert index.open_dir(str(tmp_path / "ix")).doc_count() == 0


def test_a_single_position_is_encoded_once_as_whoosh_encodes_it() -> None:
    one = encode_positions([7])
    assert encode_positions([7]) is one
    assert one == build_schema([])["body"].format.encode([7])


def test_a_writer_past_its_memory_budget_flushes_segments_that_hold_the_same_index(
    records: list[ReleaseRecord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whoosh_ix = new_index(tmp_path / "whoosh", records)
    write(SegmentWriter(whoosh_ix), records)
    flushed = new_index(tmp_path / "flushed", records)
    merged_runs = tmp_path / "merged-runs"  # written by the merging process
    merge_runs = parallel.merge_runs
    monkeypatch.setattr(
        parallel, "merge_runs", lambda *args: merged_runs.write_text(str(len(args[-1]))) and merge_runs(*args)
    )
    reports = write_fresh_index(
        flushed,
        [records[:150], records[150:]],
        record_to_document,
        report=lambda r: r.id,
        memory_budget=1 << 16,
    )

    assert reports == [record.id for record in records]
    assert int(merged_runs.read_text()) >= 6  # several flushes in each writer, merged into one segment
    assert len(flushed.reader().leaf_readers()) == 1
    assert [fields["id"] for _, fields in flushed.reader().iter_docs()] == [record.id for record in records]
    assert contents(flushed, with_blocks=False) == contents(whoosh_ix, with_blocks=False)
    assert not [name for name in os.listdir(tmp_path / "flushed") if name.endswith(".tmp")]


def test_a_full_build_a_window_at_a_time_indexes_what_a_single_writer_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = synthetic_corpus(tmp_path / "corpus.jsonl", 600)
    monkeypatch.setattr(build, "window_chars", lambda budget_mb, writers: 50_000)  # ~45 releases
    monkeypatch.setattr(build, "SegmentGroups", lambda: SegmentGroups(limit=200_000))  # ~4 windows
    monkeypatch.setenv("RELEASE_SEARCH_BUILD_MEMORY_MB", "1")
    monkeypatch.setattr(analysis, "TERMS_KEPT", 0)  # term ids forgotten after every window
    monkeypatch.setattr(merge, "_READ_BYTES", 200)  # merges read runs' terms a few at a time
    monkeypatch.setattr(merge, "_BATCH_ENTRIES", 7)  # and merge a few terms at a time
    monkeypatch.setattr(merge, "_MERGE_CHUNK", 3)  # put in order a few of each run's at a time
    forgotten: list[int] = []
    forget = analysis.forget_terms
    monkeypatch.setattr(analysis, "forget_terms", lambda: forgotten.append(terms_numbered()) or forget())
    # Each segment file there is at the commit, and the runs' only until they are merged.
    at_commit: list[tuple[set[str], set[str]]] = []
    commit_segments = BuildWriter.commit_segments

    def noting_files(writer: BuildWriter, segments: list[Any]) -> None:
        files = {name for name in writer.storage.list() if name.endswith(".seg")}
        at_commit.append((files, {segment.make_filename(".seg") for segment in segments}))
        commit_segments(writer, segments)

    monkeypatch.setattr(BuildWriter, "commit_segments", noting_files)
    summary = reindex(corpus, tmp_path / "windowed", full=True)
    built = index.open_dir(str(IndexStore(tmp_path / "windowed").require_current().path))
    records = load_corpus(corpus).records
    whoosh_ix = new_index(tmp_path / "whoosh", records)
    write(SegmentWriter(whoosh_ix), records)

    assert summary.documents == 600
    assert len([numbered for numbered in forgotten if numbered > 0]) >= 5  # after each window
    # The runs of each group of windows merged: a segment a group, holding all it should.
    assert 3 <= len(built.reader().leaf_readers()) <= 5
    [(files, committed)] = at_commit
    assert files == committed and len(committed) == len(built.reader().leaf_readers())
    assert built.schema.names() == whoosh_ix.schema.names()  # extra fields met in later windows too
    assert contents(built, with_blocks=False) == contents(whoosh_ix, with_blocks=False)


def test_merged_segments_hold_their_common_words_postings_as_arrays_joined_from_the_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs write the arrays of words in 16 of their releases or more; merging joins them (and
    decodes the runs' blocks where a word was rarer) for words in 48 of a segment's or more."""
    corpus = synthetic_corpus(tmp_path / "corpus.jsonl", 600)
    monkeypatch.setattr(build, "window_chars", lambda budget_mb, writers: 50_000)
    monkeypatch.setattr(build, "SegmentGroups", lambda: SegmentGroups(limit=200_000))
    monkeypatch.setattr(dense_postings, "DENSE_FROM", 48)
    monkeypatch.setattr(dense_postings, "RUN_DENSE_FROM", 16)
    monkeypatch.setenv("RELEASE_SEARCH_BUILD_MEMORY_MB", "1")
    reindex(corpus, tmp_path / "ix", full=True)
    folder = IndexStore(tmp_path / "ix").require_current().path
    built = index.open_dir(str(folder))
    leaves = built.reader().leaf_readers()

    assert len(leaves) >= 3
    scorable = [name for name in built.schema.names() if built.schema[name].scorable]
    checked = 0
    for reader, _ in leaves:
        dense = DensePostings.of_segment(folder, reader.segment())
        assert dense is not None
        checked += checked_dense_postings(reader, dense, scorable, 48)
    assert checked > 50
    # Only the segments' own files are left: no run's arrays, nothing half written.
    assert len([name for name in os.listdir(folder) if name.endswith(".dps")]) == len(leaves)
    assert not [name for name in os.listdir(folder) if name.endswith(".part")]


def test_the_next_window_is_read_while_the_writers_write_this_one(
    records: list[ReleaseRecord], tmp_path: Path
) -> None:
    # The writers of the first window hold their first document until this process has
    # gone on past ``start`` (where it reads the next window): a start that waited for
    # the writers would never see the event set.
    read_on = multiprocessing.get_context("fork").Event()

    def to_document(record: ReleaseRecord) -> dict[str, Any]:
        assert read_on.wait(120), "start() waited for the writers"
        return record_to_document(record)

    ix = new_index(tmp_path / "ix", records)
    fresh: parallel.FreshIndexBuild[ReleaseRecord, str] = parallel.FreshIndexBuild(
        ix, to_document, report=lambda record: record.id
    )
    fresh.start([records[:150], records[150:250]])
    read_on.set()
    first = fresh.finish()
    fresh.start([records[250:300], records[300:]])
    reports = first + fresh.finish()
    fresh.commit()

    single = new_index(tmp_path / "single", records)
    write_fresh_index(single, [records], record_to_document)
    assert reports == [record.id for record in records]
    assert contents(ix, with_blocks=False) == contents(single, with_blocks=False)


def test_words_stemmed_and_numbered_by_writer_processes_are_known_to_the_next_windows_writers(
    records: list[ReleaseRecord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms = words._WordFormsCache()
    numbered = WrittenIds(forms)
    monkeypatch.setattr(analysis, "_ENGLISH", analysis._ENGLISH._replace(forms=forms, written_ids=numbered))
    monkeypatch.setattr(learned_words, "WORD_FORMS", forms)
    stemmed_here: list[str] = []
    monkeypatch.setattr(
        words, "cached_stem", lambda word: stemmed_here.append(word) or words.snowball_stem(word)
    )
    ix = new_index(tmp_path / "ix", records)
    fresh: parallel.FreshIndexBuild[ReleaseRecord, str] = parallel.FreshIndexBuild(
        ix, record_to_document, learning=learned_words.WrittenWordsLearning()
    )
    shares = [records[:150], records[150:]]
    fresh.write(shares)

    # The writers (forked) stemmed every word of the window; this process stemmed none
    # of them, yet knows them all, as the next window's writers will when forked.
    def written(share: list[ReleaseRecord]) -> set[str]:
        return {word for record in share for word in words.WORD_RE.findall(f"{record.title} {record.body}")}

    assert stemmed_here == []
    assert len(written(records)) > 300 and written(records) <= forms.keys()
    assert forms["Prosecutors"] == ("prosecutors", "prosecutor")
    # The first writer's term ids are this process's now, meaning the same terms.
    assert written(shares[0]) <= numbered.keys()
    for word in written(shares[0]):
        exact, stem = forms[word]
        assert not exact or term_text(int(numbered.exact[numbered[word]])) == exact
        assert stem is None or term_text(int(numbered.stem[numbered[word]])) == stem
    fresh.cancel()
