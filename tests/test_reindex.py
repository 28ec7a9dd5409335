"""The reindex command: builds, incremental runs, exit codes and the JSON summary."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh import index

from indexer import corpus as corpus_module
from indexer.cli import main
from indexer.store import IndexStore
from search_app.service import SearchRequest, SearchService

BIN = Path(sys.executable).parent


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    return result.exit_code, result.stdout, result.stderr


def summary(*args: str | Path) -> dict[str, object]:
    code, out, _ = run(*args, "--json")
    data = json.loads(out)
    data["exit"] = code
    return data


def titles(index_dir: Path, q: str = "") -> list[str]:
    """Return the titles of releases with the words of ``q`` as typed (never a correction)."""
    result = SearchService(index_dir).search(SearchRequest(q=q, per_page=100, verbatim=True))
    return sorted(hit.title for hit in result.hits)


def test_reindex_builds_the_seed_corpus_and_prints_a_summary(corpus_dir: Path, tmp_path: Path) -> None:
    code, out, err = run("--corpus", corpus_dir, "--index", tmp_path / "ix")
    assert code == 0
    assert err == ""
    assert out.startswith(
        "full build: 12 added, 0 updated, 0 deleted, 0 unchanged, 0 skipped; 12 releases in the index ("
    )
    assert len(titles(tmp_path / "ix")) == 12


def test_reindex_unchanged_corpus_writes_nothing(corpus_dir: Path, tmp_path: Path) -> None:
    run("--corpus", corpus_dir, "--index", tmp_path / "ix")
    generation = IndexStore(tmp_path / "ix").require_current()
    before = sorted((p.name, p.stat().st_mtime_ns) for p in generation.path.iterdir())
    data = summary("--corpus", corpus_dir, "--index", tmp_path / "ix")
    assert (data["added"], data["updated"], data["deleted"], data["unchanged"]) == (0, 0, 0, 12)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in generation.path.iterdir()) == before


def test_reindex_incremental_adds_updates_and_deletes(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    run("--corpus", corpus_dir, "--index", index_dir)
    edited = corpus_dir / "global-coalition-to-meet-in-kuwait.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("Kuwait, to affirm", "Kuwait City, to affirm")
    )
    (corpus_dir / "coalition-engineers-erect-steel-bridge-in-raqqah.md").unlink()
    (corpus_dir / "new.md").write_text("---\ntitle: Coalition opens a new bridge\n---\nA pontoon bridge.\n")
    data = summary("--corpus", corpus_dir, "--index", index_dir)
    assert (data["added"], data["updated"], data["deleted"], data["unchanged"]) == (1, 1, 1, 10)
    assert data["documents"] == 12 and data["exit"] == 0
    assert titles(index_dir, "bridge") == ["Coalition opens a new bridge"]
    assert titles(index_dir, '"Kuwait City"') == [
        "Global Coalition to meet in Kuwait",
        "Guiding Principles from the Global Coalition to defeat Daesh",
    ]


def test_reindex_skips_bad_records_reports_them_and_exits_1(corpus_dir: Path, tmp_path: Path) -> None:
    (corpus_dir / "broken.md").write_text("---\ndate: 2018-01-01\n---\nNo title here.\n")
    code, out, err = run("--corpus", corpus_dir, "--index", tmp_path / "ix")
    assert code == 1
    assert err == f"{corpus_dir}/broken.md:1: title: missing; every release needs a title\n"
    assert "12 added" in out and "1 skipped" in out


def test_reindex_json_summary_lists_errors(corpus_dir: Path, tmp_path: Path) -> None:
    (corpus_dir / "rows.jsonl").write_text('{"id": "x", "title": "Fine"}\n{oops\n')
    data = summary("--corpus", corpus_dir, "--index", tmp_path / "ix")
    assert data["exit"] == 1
    assert set(data) >= {
        "added",
        "updated",
        "deleted",
        "unchanged",
        "skipped",
        "errors",
        "documents",
        "seconds",
    }
    assert data["added"] == 13 and data["skipped"] == 1 and data["documents"] == 13
    assert data["errors"] == [
        {
            "path": f"{corpus_dir}/rows.jsonl",
            "line": 2,
            "field": "json",
            "message": "invalid JSON: Expecting property name enclosed in double quotes at column 2",
        }
    ]


def test_reindex_strict_stops_and_changes_nothing(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    run("--corpus", corpus_dir, "--index", index_dir)
    (corpus_dir / "new.md").write_text("---\ntitle: A new release\n---\n")
    (corpus_dir / "zz-broken.md").write_text("---\ntitle: Bad\ndate: yesterday\n---\n")
    code, out, err = run("--corpus", corpus_dir, "--index", index_dir, "--strict")
    assert code == 2
    assert out == ""
    assert err == (
        f"reindex: {corpus_dir}/zz-broken.md:3: date: not a valid ISO 8601 date: 'yesterday' "
        "(stopped by --strict; the index was not changed)\n"
    )
    assert "A new release" not in titles(index_dir)


def test_reindex_missing_corpus_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("--corpus", tmp_path / "nowhere", "--index", tmp_path / "ix")
    assert code == 2
    assert err == f"reindex: Corpus path {tmp_path}/nowhere does not exist.\n"


def test_second_reindex_waits_then_exits_2(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    with IndexStore(index_dir).writer_lock(wait_seconds=0):
        code, _, err = run("--corpus", corpus_dir, "--index", index_dir, "--wait", "0.3")
    assert code == 2
    assert err == f"reindex: Another reindex holds the index at {index_dir}; gave up after waiting 0.3 s.\n"


def test_full_rebuild_swaps_generation_and_service_follows(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    run("--corpus", corpus_dir, "--index", index_dir)
    service = SearchService(index_dir)
    first = service.health()["generation"]
    (corpus_dir / "new.md").write_text("---\ntitle: Coalition opens a new bridge\n---\n")
    assert summary("--corpus", corpus_dir, "--index", index_dir, "--full")["added"] == 13
    assert service.health()["generation"] != first
    assert service.search(SearchRequest(q='"new bridge"')).total == 1


def test_reindex_runs_as_a_console_script_and_as_a_module(corpus_dir: Path, tmp_path: Path) -> None:
    for command in ([str(BIN / "reindex")], [sys.executable, "-m", "indexer"]):
        out = subprocess.run(
            [*command, "--corpus", str(corpus_dir), "--index", str(tmp_path / "ix"), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(out.stdout)["documents"] == 12
        assert out.stderr == ""  # no progress bar when not on a terminal


def test_broken_edit_keeps_the_indexed_release(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    run("--corpus", corpus_dir, "--index", index_dir)
    broken = corpus_dir / "global-coalition-to-meet-in-kuwait.md"
    broken.write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    data = summary("--corpus", corpus_dir, "--index", index_dir)
    assert (data["exit"], data["deleted"], data["skipped"], data["documents"]) == (1, 0, 1, 12)
    assert "Global Coalition to meet in Kuwait" in titles(index_dir)


def test_facets_work_after_incremental_run_adds_a_segment_without_tags(
    corpus_dir: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    run("--corpus", corpus_dir, "--index", index_dir)
    (corpus_dir / "untagged.md").write_text("---\ntitle: Untagged bridge release\n---\n")
    assert summary("--corpus", corpus_dir, "--index", index_dir)["added"] == 1
    result = SearchService(index_dir).search(SearchRequest(q="bridge"))
    assert result.total == 2
    assert {item.value for item in result.facets["tags"]} == {"Raqqa", "Syria", "Global Coalition"}


def test_incremental_run_compares_with_the_manifest_of_the_last_commit(
    corpus_dir: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    run("--corpus", corpus_dir, "--index", index_dir)
    manifest_path = IndexStore(index_dir).require_current().path / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert len(manifest["releases"]) == 12

    # A recorded hash that differs from the corpus: the release counts as changed, so the manifest is read.
    first = sorted(manifest["releases"])[0]
    manifest["releases"][first][0] = "0" * 32
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    data = summary("--corpus", corpus_dir, "--index", index_dir)
    assert (data["updated"], data["unchanged"]) == (1, 11)

    # A manifest of another commit (a run stopped after committing) is not trusted: the releases are read.
    stale = json.loads(manifest_path.read_text(encoding="utf-8"))
    stale["commit"] -= 1
    stale["releases"][first][0] = "0" * 32
    manifest_path.write_text(json.dumps(stale), encoding="utf-8")
    data = summary("--corpus", corpus_dir, "--index", index_dir)
    assert (data["updated"], data["unchanged"]) == (0, 12)


def write_lines(path: Path, releases: list[dict[str, str]], newline: str = "\n") -> None:
    path.write_text("".join(json.dumps(release) + newline for release in releases), encoding="utf-8")


def test_unchanged_sources_are_not_read_again_yet_every_change_lands(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    corpus.mkdir()
    releases = [{"id": f"r{n}", "title": f"Release {n}", "body": f"body number{n}"} for n in range(5)]
    # A second definition of r0 is an error (a duplicate), and not indexed.
    write_lines(
        corpus / "releases.jsonl", [*releases, {"id": "r0", "title": "Second r0", "body": "rewritten"}]
    )
    first = summary("--corpus", corpus, "--index", index_dir)
    assert (first["added"], first["skipped"]) == (5, 1)
    assert IndexStore(index_dir).require_current().known_sources()  # what each line gave is remembered

    # Edit one line: that release is updated; the others are known, not parsed again.
    releases[2]["body"] = "body edited"
    write_lines(
        corpus / "releases.jsonl", [*releases, {"id": "r0", "title": "Second r0", "body": "rewritten"}]
    )
    data = summary("--corpus", corpus, "--index", index_dir)
    assert (data["updated"], data["unchanged"], data["skipped"]) == (1, 4, 1)
    assert data["errors"][0]["message"].startswith("duplicate id 'r0'")
    assert titles(index_dir, "edited") == ["Release 2"]

    # The first r0 goes: the second, an unchanged line, now defines r0 and must be indexed in full.
    releases[0] = {"id": "r9", "title": "Release 9", "body": "body number9"}
    write_lines(
        corpus / "releases.jsonl", [*releases, {"id": "r0", "title": "Second r0", "body": "rewritten"}]
    )
    data = summary("--corpus", corpus, "--index", index_dir)
    assert (data["added"], data["updated"], data["skipped"]) == (1, 1, 0)
    assert titles(index_dir, "rewritten") == ["Second r0"]
    assert len(titles(index_dir)) == 6


def test_sources_read_by_other_reading_code_are_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    corpus.mkdir()
    write_lines(corpus / "releases.jsonl", [{"id": "a", "title": "Plain title", "body": "text"}], "\r\n")
    run("--corpus", corpus, "--index", index_dir)
    # A new version of the reader that reads titles differently: nothing it remembers applies.
    original = corpus_module.build_record

    def shouting(data: dict[str, object], **kwargs: object) -> object:
        return original({**data, "title": str(data["title"]).upper()}, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(corpus_module, "build_record", shouting)
    monkeypatch.setattr(corpus_module, "_READER_VERSION", b"a newer reader")
    data = summary("--corpus", corpus, "--index", index_dir)
    assert (data["updated"], data["unchanged"]) == (1, 0)
    assert titles(index_dir) == ["PLAIN TITLE"]


def test_a_damaged_record_of_what_was_read_only_costs_time(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    run("--corpus", corpus_dir, "--index", index_dir)
    (IndexStore(index_dir).require_current().path / "sources.json").write_text("{not json", encoding="utf-8")
    edited = corpus_dir / "global-coalition-to-meet-in-kuwait.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Kuwait, to affirm", "Kuwaitt, to affirm"))
    data = summary("--corpus", corpus_dir, "--index", index_dir)
    assert (data["updated"], data["unchanged"], data["exit"]) == (1, 11, 0)
    assert len(titles(index_dir, "Kuwaitt")) == 1


def test_checksums_of_an_older_index_still_find_damage(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    run("--corpus", corpus_dir, "--index", index_dir)
    generation = IndexStore(index_dir).require_current()
    # Indexes written before checksums named their algorithm recorded plain BLAKE2b-128.
    metadata = generation.metadata()
    metadata["checksums"] = {
        name: hashlib.blake2b((generation.path / name).read_bytes(), digest_size=16).hexdigest()
        for name in metadata["checksums"]
    }
    generation.write_metadata(metadata)
    assert summary("--corpus", corpus_dir, "--index", index_dir)["full"] is False  # intact: updated in place

    segment = max(generation.path.glob("*.seg"), key=lambda path: path.stat().st_size)
    damaged = bytearray(segment.read_bytes())
    damaged[100] ^= 0xFF
    segment.write_bytes(bytes(damaged))
    data = summary("--corpus", corpus_dir, "--index", index_dir)
    assert (data["full"], data["added"]) == (True, 12)  # damage found: rebuilt from the corpus
    assert len(titles(index_dir, "Raqqa")) >= 1


def test_a_parallel_full_build_records_every_release_as_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forked writer hands back its releases' content hashes: the next run finds
    nothing changed, then exactly the one release edited in the forked writer's share."""
    from indexer import build

    monkeypatch.setattr(build, "PARALLEL_THRESHOLD", 2)
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    corpus.mkdir()
    releases = [{"id": f"r{n}", "title": f"Release {n}", "body": f"body number{n} " * n} for n in range(40)]
    write_lines(corpus / "releases.jsonl", releases)
    first = summary("--corpus", corpus, "--index", index_dir)
    assert (first["added"], first["full"]) == (40, True)
    written = index.open_dir(str(IndexStore(index_dir).require_current().path))
    assert len(written.reader().leaf_readers()) == 1  # the writers' runs, merged
    written.close()

    known = summary("--corpus", corpus, "--index", index_dir)  # compared as remembered
    assert (known["updated"], known["unchanged"]) == (0, 40)
    monkeypatch.setattr(corpus_module, "_READER_VERSION", b"other reader: parse every source")
    parsed = summary("--corpus", corpus, "--index", index_dir)  # compared as parsed again
    assert (parsed["updated"], parsed["unchanged"]) == (0, 40)

    releases[-1]["body"] = "edited last"
    write_lines(corpus / "releases.jsonl", releases)
    edited = summary("--corpus", corpus, "--index", index_dir)
    assert (edited["updated"], edited["unchanged"]) == (1, 39)
    assert titles(index_dir, "edited") == ["Release 39"]


def test_an_incremental_run_trusts_files_whose_size_and_time_are_as_last_read(
    corpus_dir: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    run("--corpus", corpus_dir, "--index", index_dir)
    path = sorted(corpus_dir.glob("*.md"))[0]
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace("Coalition", "Koalition", 1)
    assert edited != text and len(edited) == len(text)

    # Same size and modification time: the file is not read again.
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    data = summary("--corpus", corpus_dir, "--index", index_dir)
    assert (data["unchanged"], data["updated"], data["documents"]) == (12, 0, 12)
    assert titles(index_dir, "Koalition") == []

    # A new modification time: read, and the change indexed.
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))
    data = summary("--corpus", corpus_dir, "--index", index_dir)
    assert (data["unchanged"], data["updated"]) == (11, 1)
    assert SearchService(index_dir).search(SearchRequest(q="Koalition")).total == 1
