"""Corpus files as a stream of lines, and the stamp that tells an unchanged file without reading it."""

from __future__ import annotations

import codecs
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from isal import igzip, isal_zlib

# ISA-L's decompression error (its type stubs declare it as an instance).
ISAL_ERROR = cast(type[Exception], isal_zlib.error)
# A file changed less than this long before it was read may change again within the same
# modification time (the file system's clock is coarse): its stamp is not trusted.
RACY_SECONDS = 2.0
CHUNK = 1 << 20

# (size in bytes, modification time in nanoseconds)
Stamp = tuple[int, int]


def file_stamp(path: Path) -> Stamp | None:
    """Return ``path``'s size and modification time, or ``None`` if they cannot be trusted
    to tell a later change (the file cannot be read, or was changed a moment ago)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if stat.st_mtime_ns > time.time_ns() - int(RACY_SECONDS * 1e9):
        return None
    return stat.st_size, stat.st_mtime_ns


def is_gzipped(path: Path) -> bool:
    """Tell whether a corpus file is gzipped (by its name)."""
    return path.name.lower().endswith(".gz")


def _open(path: Path) -> IO[bytes]:
    """Open a (possibly gzipped, by its name) file for reading bytes."""
    if is_gzipped(path):
        return cast(IO[bytes], igzip.open(path, "rb"))  # ISA-L: a third of gzip's time
    return open(path, "rb")


def is_utf8_text(path: Path) -> bool:
    """Return whether the whole file (decompressed) reads as UTF-8, reading a chunk at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with _open(path) as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                if not chunk.isascii():
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except (OSError, EOFError, zlib.error, ISAL_ERROR, UnicodeDecodeError):
        return False
    return True


def lines(path: Path) -> Iterator[bytes]:
    """Yield the file's lines as ``bytes.splitlines`` splits the whole file (at \\n, \\r\\n
    and \\r), without holding the file in memory."""
    with _open(path) as handle:
        for line in handle:  # each ends at \n (but the last): a \r\n pair never spans two
            yield from line.splitlines()
