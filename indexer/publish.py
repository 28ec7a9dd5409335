"""Ship the live generation to another index directory (an app server's copy) and make it live there.

An app server that reads its own copy of the index follows that copy's ``CURRENT``
pointer, as it follows the builder's: ``publish`` copies the generation into the
destination under a temporary name, makes its files read-only, renames it into place
and only then replaces ``CURRENT`` (atomically, as :meth:`IndexStore.publish` does).
A server reading the destination never sees a half-copied generation; the one it was
reading is kept until the next publish, so searches under way finish.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from indexer.store import Generation, IndexStore

# A copy under way: renamed to its generation's name once complete.
PARTIAL_PREFIX = ".publishing-"
READ_ONLY = 0o444


def copy_name(generation: Generation) -> str:
    """Return the name of ``generation``'s copy: its own plus a digest of its files'
    checksums, since an incremental run updates a generation in place."""
    checksums = generation.metadata().get("checksums", {})
    digest = hashlib.sha256(json.dumps(checksums, sort_keys=True).encode()).hexdigest()[:12]
    return f"{generation.name}-{digest}"


def publish_to(source: Path, destination: Path, wait_seconds: float = 5.0) -> Generation:
    """Copy the live generation of the index at ``source`` into ``destination`` (read-only)
    and make it live there; return the copy. Nothing is copied if it is there already."""
    with IndexStore(source).writer_lock(wait_seconds):  # no reindex changes it while it is copied
        generation = IndexStore(source).require_current()
        target = IndexStore(destination)
        with target.writer_lock(wait_seconds):
            copy = Generation(destination / copy_name(generation))
            if not copy.path.is_dir():
                _copy(generation, copy.path)
            if target.current() != copy:
                target.publish(copy)
    return copy


def _copy(generation: Generation, path: Path) -> None:
    """Copy ``generation``'s files to ``path`` through a temporary folder, read-only."""
    for stale in path.parent.glob(PARTIAL_PREFIX + "*"):  # left by a publish that was stopped
        shutil.rmtree(stale, ignore_errors=True)
    partial = path.with_name(f"{PARTIAL_PREFIX}{path.name}")
    partial.mkdir(parents=True)
    try:
        for file in sorted(generation.path.iterdir()):
            if file.is_file() and not file.name.endswith(("LOCK", ".tmp")):
                copied = partial / file.name
                shutil.copyfile(file, copied)
                with open(copied, "rb") as handle:
                    os.fsync(handle.fileno())
                copied.chmod(READ_ONLY)
        os.rename(partial, path)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
