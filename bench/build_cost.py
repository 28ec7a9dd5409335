"""What building costs: a full ``reindex`` and incremental ones, timed, sized and with peak memory.

Usage (from the repository root; the speed benchmark runs it for you)::

    python bench/build_cost.py CORPUS.jsonl[.gz] WORK_DIR     # prints the figures as JSON

The corpus is copied as JSON Lines into ``WORK_DIR/corpus``; ``reindex --full`` builds
``WORK_DIR/index`` in a subprocess under ``/usr/bin/time -v`` (peak RSS of the largest process)
while a sampler sums the RSS of the whole process tree (Whoosh's ``procs=2`` forks writers).
Then incremental runs: with nothing changed, after 1 and after 100 changed releases, and
after reverting those 100 (which leaves the index as the full build made it). Also the FTS5
baseline's build of the same releases (:mod:`fts5_app`), in process, with its size on disk.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fts5_app import build_database  # noqa: E402
from timing import TreeMemorySampler, clock  # noqa: E402

BIN = Path(sys.executable).parent
TIME = Path("/usr/bin/time")
CHANGES = (1, 100)


def disk_mb(path: Path) -> float:
    """Return the size of a file or of the files under a folder, in MB."""
    if path.is_file():
        return round(path.stat().st_size / 1e6, 1)
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def run_reindex(corpus: Path, index: Path, full: bool) -> dict[str, Any]:
    """Run ``reindex`` in a subprocess; return its summary with wall time and peak memory."""
    command = [str(BIN / "reindex"), "--corpus", str(corpus), "--index", str(index), "--json", "--wait", "60"]
    if full:
        command.append("--full")
    timed = TIME.exists()
    if timed:
        command = [str(TIME), "-v", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = clock()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeMemorySampler(process.pid) as sampler:
        out, err = process.communicate()
    wall = clock() - started
    if process.returncode not in (0, 1) or not out.strip():  # 1: bad records skipped
        raise RuntimeError(f"reindex failed ({process.returncode}): {err.strip()[-2000:]}")
    summary = json.loads(out)
    peak_kb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    for line in err.splitlines():
        if timed and "Maximum resident set size" in line:
            peak_kb = int(line.rsplit(":", 1)[1])
    return {
        "wall_s": round(wall, 2),
        "reported_s": round(summary["seconds"], 2),
        "added": summary["added"],
        "updated": summary["updated"],
        "deleted": summary["deleted"],
        "documents": summary["documents"],
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "peak_tree_rss_mb": round(sampler.peak_kb / 1024, 1),
        "peak_tree_pss_mb": round(sampler.peak_pss_kb / 1024, 1),
        "peak_tree_pss_at_s": sampler.peak_pss_at,
        "peak_pss_mb_by_process": [round(kb / 1024, 1) for kb in sampler.peak_pss_by_process],
        "sampler_cpu_s": round(sampler.cpu_s, 1),
    }


def _write_lines(path: Path, lines: list[str]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    os.replace(tmp, path)


def _edited(lines: list[str], count: int, mark: str) -> list[str]:
    """Return ``lines`` with ``count`` releases, evenly spread, given a changed body."""
    edited = list(lines)
    step = max(1, len(lines) // count)
    for number in range(0, step * count, step)[:count]:
        release = json.loads(lines[number])
        release["body"] = f"{release.get('body', '')}\n\nEdited for the speed benchmark ({mark})."
        edited[number] = json.dumps(release) + "\n"
    return edited


def measure_build(releases: list[dict[str, Any]], work: Path) -> dict[str, Any]:
    """Build an index of ``releases`` under ``work`` and measure full and incremental runs."""
    corpus_dir, index = work / "corpus", work / "index"
    shutil.rmtree(corpus_dir, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)  # else a reused work folder's old generation is counted too
    corpus_dir.mkdir(parents=True)
    lines = [json.dumps(release) + "\n" for release in releases]
    copy = corpus_dir / "releases.jsonl"
    _write_lines(copy, lines)
    full = run_reindex(corpus_dir, index, full=True)
    full["releases_per_s"] = round(full["documents"] / full["wall_s"], 1)
    full["index_mb"] = disk_mb(index)
    incremental = {"no_change": run_reindex(corpus_dir, index, full=False)}
    for count in CHANGES:
        _write_lines(copy, _edited(lines, count, f"{count} changed"))
        incremental[f"{count}_changed"] = run_reindex(corpus_dir, index, full=False)
    _write_lines(copy, lines)
    incremental[f"{CHANGES[-1]}_reverted"] = run_reindex(corpus_dir, index, full=False)
    return {"full": full, "incremental": incremental, "index": str(index)}


def measure_multilingual_build(sources: list[Path], work: Path) -> dict[str, Any]:
    """Build one index of the given corpus files (English, French and Arabic releases) in a
    subprocess, as :func:`measure_build` does; return its time and rates."""
    corpus_dir, index = work / "multilingual" / "corpus", work / "multilingual" / "index"
    shutil.rmtree(work / "multilingual", ignore_errors=True)
    corpus_dir.mkdir(parents=True)
    for number, source in enumerate(sources):
        shutil.copy(source, corpus_dir / f"{number:03}-{source.name}")
    characters = sum(len(path.read_text(encoding="utf-8")) for path in corpus_dir.iterdir())
    full = run_reindex(corpus_dir, index, full=True)
    full["releases_per_s"] = round(full["documents"] / full["wall_s"], 1)
    full["characters_per_s"] = round(characters / full["wall_s"])
    full["index_mb"] = disk_mb(index)
    return full


def measure_fts5_build(releases: list[dict[str, Any]], path: Path) -> dict[str, Any]:
    """Build the FTS5 baseline's database at ``path``; return its time, rate and size."""
    path.unlink(missing_ok=True)
    started = clock()
    build_database(releases, path)
    seconds = clock() - started
    return {
        "wall_s": round(seconds, 2),
        "releases_per_s": round(len(releases) / seconds, 1),
        "index_mb": disk_mb(path),
        "path": str(path),
    }


def main() -> None:
    from queries import read_releases

    corpus, work = Path(sys.argv[1]), Path(sys.argv[2])
    releases = list(read_releases(corpus))
    figures = measure_build(releases, work)
    figures["fts5"] = measure_fts5_build(releases, work / "fts5.sqlite")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
