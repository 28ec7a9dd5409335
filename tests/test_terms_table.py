"""The terms table written in batches reads, through Whoosh's own reader, as Whoosh's."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.filedb.filestore import RamStorage
from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter

from indexer.codec.terms_table import TermsTable

entries = st.dictionaries(st.binary(min_size=1, max_size=12), st.binary(max_size=40), max_size=300)


def written(storage: RamStorage, name: str, items: dict[bytes, bytes], batches: int, whoosh: bool) -> None:
    writer = OrderedHashWriter(storage.create_file(name))
    ordered = sorted(items.items())
    if whoosh:
        for key, value in ordered:
            writer.add(key, value)
    else:
        table = TermsTable.adopt(writer)
        size = -(-len(ordered) // batches) if ordered else 1
        for start in range(0, len(ordered), size):
            batch = ordered[start : start + size]
            if start // size % 2:  # some keys one at a time, as a field of dates or ids adds them
                for key, value in batch:
                    table.add(key, value)
            else:
                table.add_all([key for key, _ in batch], [value for _, value in batch])
    writer.close()


@settings(max_examples=60, deadline=None)
@given(items=entries, batches=st.integers(1, 5))
def test_a_terms_table_written_in_batches_finds_every_key_as_whooshs_does(
    items: dict[bytes, bytes], batches: int
) -> None:
    storage = RamStorage()
    written(storage, "ours", items, batches, whoosh=False)
    written(storage, "whoosh", items, batches, whoosh=True)
    ours = OrderedHashReader.open(storage, "ours")
    whoosh = OrderedHashReader.open(storage, "whoosh")
    assert list(ours.items()) == list(whoosh.items()) == sorted(items.items())
    for key, value in items.items():
        assert ours[key] == value
        assert list(ours.all(key)) == [value]
    assert b"\xff" * 13 not in ours
    for key in list(items)[:20]:
        assert ours.closest_key(key) == whoosh.closest_key(key) == key


def test_full_buckets_that_wrap_around_their_end_still_find_every_key() -> None:
    # Many keys: some bucket's run of full slots reaches its last slot.
    items = {f"term{number}".encode(): number.to_bytes(4, "big") for number in range(20_000)}
    storage = RamStorage()
    written(storage, "ours", items, 1, whoosh=False)
    ours = OrderedHashReader.open(storage, "ours")
    assert all(ours[key] == value for key, value in items.items())
    assert len(list(ours.keys())) == len(items)
