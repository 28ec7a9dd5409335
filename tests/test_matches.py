"""Union and intersection of matches: the same answer whether combined by sorting or densely."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_app.engine import matches
from search_app.engine.matches import Matches, intersection, shared_ids, top_rows, union, within

# Sets of (document number, score): sparse ones over a wide range, dense ones over a narrow one.
match_sets = st.lists(
    st.one_of(
        st.dictionaries(st.integers(0, 1 << 20), st.floats(0, 50), max_size=40),
        st.dictionaries(st.integers(0, 200), st.floats(0, 50), max_size=150),
    ),
    min_size=1,
    max_size=4,
)


def as_matches(found: dict[int, float]) -> Matches:
    ids = sorted(found)
    return Matches(np.asarray(ids, np.int32), np.asarray([found[i] for i in ids], np.float64))


def expected(sets: list[dict[int, float]], every: bool) -> dict[int, float]:
    keys = set(sets[0]).intersection(*sets[1:]) if every else set().union(*sets)
    return {key: sum(found.get(key, 0.0) for found in sets) for key in keys}


@pytest.mark.parametrize("dense_share", [0, 16, 1 << 40], ids=["sorted", "chosen by size", "dense"])
@settings(max_examples=80, deadline=None)
@given(sets=match_sets)
def test_union_and_intersection_sum_scores_of_the_right_releases(
    sets: list[dict[int, float]], dense_share: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matches, "DENSE_SHARE", dense_share)
        for combine, every in ((union, False), (intersection, True)):
            got = combine([as_matches(found) for found in sets])
            want = expected(sets, every)
            assert got.ids.dtype == np.int32
            assert got.ids.tolist() == sorted(want)
            assert np.allclose(got.scores, [want[key] for key in sorted(want)])


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.integers(-5, 5)), min_size=1, max_size=300),
    count=st.integers(1, 320),
)
def test_top_rows_are_the_first_rows_of_a_full_sort(rows: list[tuple[bool, int, int]], count: int) -> None:
    """Few distinct values in each key, so most rows tie on the first keys and the last decides."""
    keys = [np.asarray(column) for column in zip(*rows, strict=True)] + [np.arange(len(rows))[::-1].copy()]
    full = np.lexsort(list(reversed(keys)))
    assert top_rows(keys, count).tolist() == full[:count].tolist()


@pytest.mark.parametrize("dense_share", [0, 16, 1 << 40], ids=["sorted", "chosen by size", "dense"])
@settings(max_examples=80, deadline=None)
@given(sets=match_sets)
def test_membership_and_subsets_find_the_releases_of_the_other_set(
    sets: list[dict[int, float]], dense_share: int
) -> None:
    first, other = as_matches(sets[0]), as_matches(sets[-1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matches, "DENSE_SHARE", dense_share)
        found = within(first.ids, other.ids)
        both = first.subset(first.ids[found])
        shared = shared_ids([as_matches(chosen).ids for chosen in sets])
    assert first.ids[found].tolist() == sorted(set(sets[0]) & set(sets[-1]))
    assert shared.tolist() == sorted(set(sets[0]).intersection(*sets[1:]))
    assert both.ids.tolist() == first.ids[found].tolist()
    assert both.scores.tolist() == [sets[0][doc] for doc in both.ids.tolist()]
