"""What a full build remembers of each release it indexed, kept on disk until the end.

A full build indexes the corpus a window at a time and then records, for the next
incremental run, each release's identity, title, tags, origin and content hash (the
manifest, the sources record, the completions). Kept in memory, that would grow by about
a kilobyte a release: at a million releases, as much as the writers' budgets. The log
writes each window's releases to a file in the new generation and reads them back, a
line at a time, when the records are written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from indexer.records import KnownRelease

# The log's name in the generation being built (removed before the generation goes live).
LOG_NAME = ".build-releases.jsonl"


class ReleaseLog:
    """Releases indexed so far, by source, in corpus order; a source's key is ``None``
    when it is not to be remembered (one of its records was bad)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOG_NAME
        self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self.count = 0

    def add(self, key: str | None, releases: Sequence[KnownRelease], indexed: Sequence[bool]) -> None:
        """Append one source's good releases, saying of each whether it was indexed (a
        duplicate id is not)."""
        rows = [(item.id, item.title, item.tags, item.origin, item.digest) for item in releases]
        self._file.write(json.dumps([key, rows, [int(flag) for flag in indexed]], ensure_ascii=False) + "\n")
        self.count += sum(indexed)

    def _lines(self) -> Iterator[tuple[str | None, list[KnownRelease], list[int]]]:
        self._file.flush()
        with open(self.path, encoding="utf-8") as lines:
            for line in lines:
                key, rows, indexed = json.loads(line)
                yield key, [KnownRelease(i, t, tuple(g), o, d) for i, t, g, o, d in rows], indexed

    def releases(self) -> Iterator[KnownRelease]:
        """Yield every release indexed, in corpus order."""
        for _, releases, indexed in self._lines():
            yield from (release for release, flag in zip(releases, indexed, strict=True) if flag)

    def remembered_sources(self) -> Iterator[tuple[str, list[KnownRelease]]]:
        """Yield the sources to remember (those with a key) and their good releases."""
        return ((key, releases) for key, releases, _ in self._lines() if key is not None)

    def close(self) -> None:
        """Close and remove the log."""
        self._file.close()
        self.path.unlink(missing_ok=True)
