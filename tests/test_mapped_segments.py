"""Compound segments are read through the shared memory map, with BytesIO's reading behaviour."""

from __future__ import annotations

import io
import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from whoosh import index

from indexer.codec import mapped_segments
from indexer.codec.mapped_segments import MappedPart, _Window
from search_app.service import SearchRequest, SearchService

operations = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(-1, 40)),
        st.tuples(st.just("readline"), st.integers(-1, 40)),
        st.tuples(st.just("seek"), st.integers(0, 80)),
        st.tuples(st.just("seek_cur"), st.integers(-10, 10)),
        st.tuples(st.just("seek_end"), st.integers(-30, 0)),
    ),
    max_size=20,
)


@given(data=st.binary(max_size=60).map(lambda b: b.replace(b"x", b"\n")), steps=operations)
def test_window_reads_like_bytesio(data: bytes, steps: list[tuple[str, int]]) -> None:
    window, reference = _Window(memoryview(data)), io.BytesIO(data)
    for name, value in steps:
        for stream in (window, reference):
            if name in ("read", "readline"):
                pass
            elif name == "seek":
                stream.seek(value)
            elif name == "seek_cur":
                stream.seek(max(-stream.tell(), value), os.SEEK_CUR)
            else:
                stream.seek(value, os.SEEK_END)
        if name in ("read", "readline"):
            assert getattr(window, name)(value) == getattr(reference, name)(value)
        assert window.tell() == reference.tell()


def test_searching_reads_segments_from_the_map(seed_index: Path) -> None:
    service = SearchService(seed_index)
    assert service.search(SearchRequest(q="liberated")).total == 5
    ix = index.open_dir(str(service.store.require_current().path))
    (segment,) = ix._segments()
    assert segment.is_compound()
    storage = segment.open_compound_file(ix.storage)
    parts = [storage.open_file(name) for name in storage.list()]
    assert parts and all(isinstance(part, MappedPart) for part in parts)
    mapped_segments.install()  # idempotent
    assert isinstance(storage.open_file(storage.list()[0]), MappedPart)
    for part in parts:
        part.close()
    storage.close()
