"""The search box's completions: every title and tag of the releases indexed, once each."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeVar


class Titled(Protocol):
    """A release as completions see it."""

    @property
    def title(self) -> str: ...

    @property
    def tags(self) -> Sequence[str]: ...


T = TypeVar("T", bound=Titled)


class Completions:
    """Titles and tags gathered from releases."""

    def __init__(self) -> None:
        self.titles: set[str] = set()
        self.tags: set[str] = set()

    def gathered(self, releases: Iterable[T]) -> Iterator[T]:
        """Yield ``releases``, counting each one's title and tags in as it goes by."""
        for release in releases:
            self.titles.add(release.title)
            self.tags.update(release.tags)
            yield release

    def as_dict(self) -> dict[str, list[str]]:
        """Return the titles and tags, sorted."""
        return {"titles": sorted(self.titles), "tags": sorted(self.tags)}


def completions_of(releases: Iterable[Titled]) -> dict[str, list[str]]:
    """Return the completions of ``releases``."""
    completions = Completions()
    for _ in completions.gathered(releases):
        pass
    return completions.as_dict()
