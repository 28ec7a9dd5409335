"""The index directory: generations, the pointer to the live one, the writer lock.

Layout of an index directory::

    CURRENT            name of the live generation (replaced atomically)
    gen-<stamp>/       one complete Whoosh index plus release-search.json
    reindex.lock       held (flock) by the one reindex allowed at a time

A full build writes a new generation and then swaps ``CURRENT``; readers keep
the generation they opened, and the previous one is kept so that a reader that
has just read ``CURRENT`` can still open it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from indexer.records import KnownRelease, ReleaseRecord

V = TypeVar("V")
# A JSON object's members: a mapping, or (key, value) pairs to write as they come.
Pairs = Mapping[str, V] | Iterable[tuple[str, V]]

POINTER = "CURRENT"
LOCK = "reindex.lock"
METADATA = "release-search.json"
COMPLETIONS = "completions.json"
# Each release's content hash and source file, as of one Whoosh commit: lets an incremental
# run compare the corpus with the index without reading (and decompressing) every release.
MANIFEST = "manifest.json"
# What the last run read from each source (a JSON Lines line, a file), by a key of its bytes
# and place: unchanged sources are not parsed again.
SOURCES = "sources.json"
# The corpus files that run read whole without an error: stamps (size, modification time)
# and their sources' keys; apart from SOURCES, so that an unchanged corpus is told quickly.
FILES = "files.json"
GENERATION_PREFIX = "gen-"


class IndexLocked(Exception):
    """Another reindex holds the index."""


class IndexMissing(Exception):
    """There is no index yet at the given place."""


class IndexDamaged(Exception):
    """An index file does not match the checksum recorded when it was written."""


@dataclass(frozen=True)
class Generation:
    """One complete index on disk."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def metadata(self) -> dict[str, Any]:
        """Return the build facts written beside the Whoosh files."""
        try:
            data = json.loads((self.path / METADATA).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def index_files(self) -> list[Path]:
        """Return Whoosh's own files in this generation (segments and tables of contents)."""
        ours = {METADATA, COMPLETIONS, MANIFEST, SOURCES, FILES}
        return sorted(
            path
            for path in self.path.iterdir()
            if path.is_file() and path.name not in ours and not path.name.endswith(("LOCK", ".tmp"))
        )

    def checksums(self, verified: dict[str, str] | None = None) -> dict[str, str]:
        """Return a digest of each index file, to be recorded with the metadata.

        Digests in ``verified`` (files checked earlier in this run) are reused: Whoosh
        never rewrites a file under the same name, it writes new ones.
        """
        known = verified or {}
        paths = self.index_files()
        unknown = [path for path in paths if not known.get(path.name)]
        # Hashing releases the GIL: the files (gigabytes at a million releases) are
        # read and hashed on every core at once.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            digests = dict(zip([path.name for path in unknown], pool.map(_digest, unknown), strict=True))
        return {path.name: known.get(path.name) or digests[path.name] for path in paths}

    def file_stamps(self) -> dict[str, list[int]]:
        """Return each index file's size and modification time, to be recorded with the checksums."""
        return {path.name: list(_stamp(path)) for path in self.index_files()}

    def verify(self) -> dict[str, str]:
        """Raise :class:`IndexDamaged` unless every recorded file is present and intact;
        return the digests checked (none where there was nothing to check against).

        A file whose size and modification time are as recorded with its checksum has
        not been written to since, and is not read again (a million releases' index is
        gigabytes): any write, a torn or truncated one too, changes them.
        """
        metadata = self.metadata()
        stamps = metadata.get("file_stamps")
        stamps = stamps if isinstance(stamps, dict) else {}
        recorded = metadata.get("checksums")
        if not isinstance(recorded, dict):
            return {}  # an index written before checksums were recorded
        tables = sorted(self.path.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.rsplit("_", 1)[-1]))
        if tables and tables[-1].name not in recorded:
            return {}  # a reindex has just committed and is about to record the new files
        for name, digest in sorted(recorded.items()):
            path = self.path / name
            if not path.is_file():
                raise IndexDamaged(f"Index generation {self.name} is damaged: {name} is missing.")
            if stamps.get(name) == list(_stamp(path)):
                continue
            if _digest(path, str(digest)) != digest:
                raise IndexDamaged(
                    f"Index generation {self.name} is damaged: {name} does not match its checksum."
                )
        return {str(name): str(digest) for name, digest in recorded.items()}

    def completions(self) -> dict[str, list[str]]:
        """Return the titles and tags offered as search-box completions."""
        try:
            data = json.loads((self.path / COMPLETIONS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        return {key: [str(item) for item in data.get(key, [])] for key in ("titles", "tags")}

    def write_completions(self, phrases: dict[str, list[str]]) -> None:
        """Replace the completions (``{"titles": [...], "tags": [...]}``) atomically."""
        _atomic_write(self.path / COMPLETIONS, json.dumps(phrases, ensure_ascii=False))

    def manifest(self, commit: int) -> dict[str, tuple[str, str]] | None:
        """Return {release id: (content hash, source path)} if recorded for Whoosh commit ``commit``."""
        try:
            data = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (
            not isinstance(data, dict)
            or data.get("commit") != commit
            or not isinstance(data.get("releases"), dict)
        ):
            return None  # missing, or older than the index (a run stopped between commit and manifest)
        return {str(key): (str(value[0]), str(value[1])) for key, value in data["releases"].items()}

    def write_manifest(self, commit: int, releases: Pairs[tuple[str, str]]) -> None:
        """Record each release's content hash and source path as of Whoosh commit ``commit``
        (``releases``: a mapping, or (id, value) pairs written as they come; a repeated id's
        last value counts)."""
        _atomic_write(self.path / MANIFEST, _json_object({"commit": commit}, "releases", releases))

    def known_sources(self) -> dict[str, list[KnownRelease]]:
        """Return what the run that wrote this generation read from each source, by key."""
        try:
            data = json.loads((self.path / SOURCES).read_text(encoding="utf-8"))
            return {
                str(key): [
                    KnownRelease(str(i), str(t), tuple(map(str, g)), str(o), str(d))
                    for i, t, g, o, d in items
                ]
                for key, items in data["sources"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}  # none recorded, or unreadable: every source is read

    def known_files(self) -> dict[str, tuple[tuple[int, int], list[str]]]:
        """Return the files the run that wrote this generation read whole without an error,
        by path: their size and modification time then, and their sources' keys. None if
        the manifest has changed since (the record then describes an older index)."""
        try:
            data = json.loads((self.path / FILES).read_text(encoding="utf-8"))
            if data["manifest"] != list(_stamp(self.path / MANIFEST)):
                return {}
            return {
                str(path): ((int(size), int(mtime)), [str(key) for key in keys])
                for path, (size, mtime, keys) in data["files"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def write_known_sources(
        self,
        sources: Pairs[Sequence[ReleaseRecord | KnownRelease]],
        files: Mapping[str, tuple[tuple[int, int], Sequence[str]]] | None = None,
    ) -> None:
        """Record what this run read from each source and file (see :meth:`known_sources`
        and :meth:`known_files`)."""
        data = (
            (key, [(item.id, item.title, item.tags, item.origin, item.content_hash()) for item in items])
            for key, items in (sources.items() if isinstance(sources, Mapping) else sources)
        )
        _atomic_write(self.path / SOURCES, _json_object({}, "sources", data, ensure_ascii=False))
        stamps = {path: [*stamp, list(keys)] for path, (stamp, keys) in (files or {}).items()}
        record = {"manifest": _stamp(self.path / MANIFEST), "files": stamps}
        _atomic_write(self.path / FILES, json.dumps(record, ensure_ascii=False))

    def write_metadata(self, data: dict[str, Any]) -> None:
        """Replace the build facts atomically."""
        _atomic_write(self.path / METADATA, json.dumps(data, indent=2, sort_keys=True))


class IndexStore:
    """An index directory holding generations of the release index."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def current(self) -> Generation | None:
        """Return the live generation, or None when nothing was published yet."""
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.root / name
        return Generation(path) if name and path.is_dir() else None

    def require_current(self) -> Generation:
        """Return the live generation or raise :class:`IndexMissing`."""
        generation = self.current()
        if generation is None:
            raise IndexMissing(f"No index at {self.root} yet; run reindex to build one.")
        return generation

    def pointer_stamp(self) -> int:
        """Return a value that changes whenever ``CURRENT`` is replaced."""
        try:
            return (self.root / POINTER).stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def new_generation(self) -> Generation:
        """Create an empty directory for a new generation (not yet live)."""
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        path = self.root / f"{GENERATION_PREFIX}{stamp}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        path.mkdir()
        return Generation(path)

    def publish(self, generation: Generation) -> None:
        """Make ``generation`` live in one atomic step, then prune old ones."""
        previous = self.current()
        _atomic_write(self.root / POINTER, generation.name + "\n")
        keep = {generation.name} | ({previous.name} if previous else set())
        self.prune(keep)

    def prune(self, keep: set[str]) -> None:
        """Delete generations not in ``keep`` (abandoned or superseded builds)."""
        for path in self.root.glob(GENERATION_PREFIX + "*"):
            if path.name not in keep and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)

    @contextlib.contextmanager
    def writer_lock(self, wait_seconds: float) -> Iterator[None]:
        """Hold the one-writer lock, waiting up to ``wait_seconds`` for it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as handle:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexLocked(
                            f"Another reindex holds the index at {self.root}; "
                            f"gave up after waiting {wait_seconds:g} s."
                        ) from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


# Checksums name their algorithm; unnamed ones (older indexes) are BLAKE2b-128.
# SHA-256 is written now: with the SHA CPU instructions it runs at about twice BLAKE2b's speed.
CHECKSUM_ALGORITHM = "sha256"


def _digest(path: Path, like: str = f"{CHECKSUM_ALGORITHM}:") -> str:
    """Return the checksum of a file, in the algorithm of the checksum ``like``."""
    algorithm, _, _ = like.rpartition(":")
    digest = hashlib.new(algorithm) if algorithm else hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"{algorithm}:{digest.hexdigest()}" if algorithm else digest.hexdigest()


def _stamp(path: Path) -> tuple[int, int]:
    """Return a file's size and modification time ((0, 0) if it is missing)."""
    try:
        stat = path.stat()
    except OSError:
        return 0, 0
    return stat.st_size, stat.st_mtime_ns


def _atomic_write(path: Path, text: str | Iterable[str]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.writelines([text] if isinstance(text, str) else text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _json_object(
    head: dict[str, Any], name: str, members: Pairs[Any], ensure_ascii: bool = True
) -> Iterator[str]:
    """Yield the JSON text of ``head`` with one more member, ``name``: an object of
    ``members``, written a member at a time (a million releases' record is never one string)."""
    yield json.dumps(head, ensure_ascii=ensure_ascii)[:-1] + (", " if head else "") + json.dumps(name) + ": {"
    pairs = members.items() if isinstance(members, Mapping) else members
    for number, (key, value) in enumerate(pairs):
        key_text, value_text = (
            json.dumps(key, ensure_ascii=ensure_ascii),
            json.dumps(value, ensure_ascii=ensure_ascii),
        )
        yield f"{', ' if number else ''}{key_text}: {value_text}"
    yield "}}"
