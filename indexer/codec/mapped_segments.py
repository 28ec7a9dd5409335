"""Read compound index segments through the shared memory map instead of private copies.

Whoosh stores each segment as one compound file, maps it with ``mmap`` and hands out
its parts (postings, stored fields, columns) as ``BufferFile`` objects. A
``BufferFile`` wraps its part in ``io.BytesIO``, which copies it: every process that
opens the index ends up holding a private copy of most of it. :class:`MappedPart` reads the same bytes
straight from the map, which the operating system shares between all workers.

:func:`install` switches Whoosh's compound storage to it; reading is unchanged.
"""

from __future__ import annotations

import os
from typing import Any

from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.structfile import BufferFile

_installed = False


class _Window:
    """A read-only file over a memoryview: what ``BytesIO`` offers readers, without the copy."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._size = len(view)
        self._at = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._at
        if start >= self._size:
            return b""  # past the end: nothing, and the position stays
        end = self._size if size is None or size < 0 else min(self._size, start + size)
        self._at = end
        return self._view[start:end].tobytes()

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        start = self._at
        if start >= self._size:
            return b""
        limit = self._size if size is None or size < 0 else min(self._size, start + size)
        end = start
        while end < limit:
            end += 1
            if self._view[end - 1] == 0x0A:
                break
        self._at = end
        return self._view[start:end].tobytes()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._at, os.SEEK_END: self._size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at

    def close(self) -> None:
        self._view.release()


class MappedPart(BufferFile):
    """A part of a compound segment, read from the memory map without copying it."""

    def __init__(self, buf: memoryview, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _Window(buf)


def _open_part(self: CompoundStorage, name: str, *args: Any, **kwargs: Any) -> Any:
    if self._source is None or self.is_closed:
        return _whoosh_open_file(self, name, *args, **kwargs)
    offset, length = self.range(name)
    return MappedPart(memoryview(self._source)[offset : offset + length], name=name)


_whoosh_open_file = CompoundStorage.open_file


def install() -> None:
    """Make Whoosh read compound segments through the memory map (idempotent)."""
    global _installed
    if not _installed:
        CompoundStorage.open_file = _open_part
        _installed = True
