"""How a full build cuts its text into groups merged into the index's segments, and how far
reading the corpus has got (which tells how big the groups should be)."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Sequence
from pathlib import Path

from indexer.corpus import Corpus, stream_corpus
from indexer.records import ReleaseRecord
from indexer.windows import SegmentGroups

LIMIT = 1_000  # characters a group may hold


def group_sizes(windows: list[int], shares: Sequence[float | None], merging: int = 2) -> list[int]:
    """Feed windows of the given sizes (characters) to SegmentGroups, each with what share of
    the corpus has been read once it is; return the groups' sizes."""
    groups = SegmentGroups(limit=LIMIT, merging=merging)
    sizes: list[int] = []
    for number, (chars, share) in enumerate(zip(windows, shares, strict=True)):
        window = [ReleaseRecord(id=f"r{number}", title="", body="x" * chars)]
        if groups.starts_new(window, share) or not sizes:
            sizes.append(0)
        sizes[-1] += chars
    return sizes


def exact_shares(windows: list[int]) -> list[float]:
    total = sum(windows)
    return [sum(windows[: number + 1]) / total for number in range(len(windows))]


def test_a_big_corpus_makes_even_groups_one_for_each_merging_process_in_turn() -> None:
    windows = [70] * 51  # 3,570 characters: four groups at least

    balanced = group_sizes(windows, exact_shares(windows))
    unknown = group_sizes(windows, [None] * len(windows))

    assert len(balanced) == 4 and max(balanced) - min(balanced) <= 70  # within a window
    assert max(balanced) <= LIMIT
    # Not knowing how much is left, each group is filled up to the limit and the last is
    # small: its merge and the one before it end far apart.
    assert unknown == [980, 980, 980, 630]
    # Three merging processes: groups in threes.
    assert len(group_sizes(windows, exact_shares(windows), merging=3)) == 6


def test_a_corpus_within_one_group_is_not_cut() -> None:
    windows = [70] * 12

    assert group_sizes(windows, exact_shares(windows)) == [840]


def test_no_group_outgrows_the_limit_however_wrong_the_estimate() -> None:
    chance = random.Random(7)
    for _ in range(200):
        windows = [chance.randint(10, 300) for _ in range(chance.randint(1, 60))]
        skew = chance.uniform(0.3, 3.0)  # the share read so far, told wrongly
        shares = [min(1.0, share * skew) for share in exact_shares(windows)]

        sizes = group_sizes(windows, shares)

        assert sum(sizes) == sum(windows)
        assert all(size <= LIMIT for size in sizes)


def test_reading_a_corpus_tells_what_share_of_its_bytes_is_read(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"r{n}", "title": f"Release {n}", "body": "text " * n}) for n in range(40)]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("---\nid: b\ntitle: A page\n---\nSome text.\n", encoding="utf-8")
    corpus = Corpus()

    shares = [corpus.read_share() for _ in stream_corpus(tmp_path, corpus)]

    assert len(shares) == 41
    assert all(share is not None and 0 < share <= 1 for share in shares)
    assert shares == sorted(shares) and shares[-1] == 1.0
    assert corpus.read_share() == 1.0


def test_the_share_read_is_unknown_where_a_file_is_compressed(tmp_path: Path) -> None:
    line = json.dumps({"id": "r1", "title": "Release", "body": "text"})
    with gzip.open(tmp_path / "a.jsonl.gz", "wt", encoding="utf-8") as file:
        file.write(line + "\n")
    corpus = Corpus()

    assert [corpus.read_share() for _ in stream_corpus(tmp_path, corpus)] == [None]
