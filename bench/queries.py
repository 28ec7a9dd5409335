"""The speed benchmark's query set: drawn from a corpus, seeded, each query labelled with its kind.

Usage (from the repository root)::

    python bench/queries.py CORPUS.jsonl[.gz] [--count 300] [--seed 20260101] [--out queries.json]

Kinds (shares of ``--count``): single common and rare words, 2- and 3-word queries taken from
one release's title (so they match something), quoted phrases taken from a body, boolean
(``a OR b``, ``a -b``), prefix (``word*``), fuzzy (``word~``), a topics facet filter, a date
range (``from``/``to``) and deep pages (page 5 to 10). Words come from a seeded sample of at
most 5,000 releases; every choice is made from sorted lists, so one seed gives one query set
whatever the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from whoosh.lang.stopwords import stoplists

DEFAULT_SEED = 20260101
SAMPLE = 5000
STOP_WORDS = frozenset(stoplists["en"]) | {"and", "or", "not", "to"}
WORD = re.compile(r"[A-Za-z]+")
# Shares of the query set, by kind (they sum to 1).
KINDS = {
    "common": 0.04,
    "question": 0.06,
    "rare": 0.10,
    "two_words": 0.10,
    "three_words": 0.08,
    "phrase": 0.10,
    "or": 0.07,
    "not": 0.07,
    "prefix": 0.07,
    "fuzzy": 0.07,
    "topic_filter": 0.08,
    "date_range": 0.08,
    "deep_page": 0.08,
}


@dataclass(frozen=True)
class BenchQuery:
    """One search of the benchmark: what ``SearchRequest`` and ``/api/search`` both take."""

    kind: str
    q: str
    page: int = 1
    date_from: str | None = None
    date_to: str | None = None
    topics: tuple[str, ...] = field(default_factory=tuple)

    def params(self) -> list[tuple[str, str]]:
        """Return the query-string parameters of ``/api/search`` for this search."""
        params = [("q", self.q)]
        if self.page != 1:
            params.append(("page", str(self.page)))
        if self.date_from:
            params.append(("from", self.date_from))
        if self.date_to:
            params.append(("to", self.date_to))
        params.extend(("topics", topic) for topic in self.topics)
        return params

    def as_dict(self) -> dict[str, Any]:
        """Return the query as plain JSON-ready data."""
        return {**asdict(self), "topics": list(self.topics)}


def read_releases(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the releases of a ``.jsonl`` or ``.jsonl.gz`` file, one dict each."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def content_words(text: str, min_len: int = 3) -> list[str]:
    """Return the lowercased words of ``text`` that are not stop words.

    >>> content_words("The Justice Department's Tax Division and FBI")
    ['justice', 'department', 'tax', 'division', 'fbi']
    """
    return [w for w in (m.lower() for m in WORD.findall(text)) if len(w) >= min_len and w not in STOP_WORDS]


class QueryDrawer:
    """Draw queries of each kind from a sample of releases with one seeded generator."""

    def __init__(self, releases: list[dict[str, Any]], seed: int) -> None:
        self.rng = random.Random(seed)
        self.sample = self.rng.sample(releases, min(SAMPLE, len(releases)))
        df: Counter[str] = Counter()
        for release in self.sample:
            df.update(set(content_words(f"{release.get('title', '')} {release.get('body', '')}")))
        n = len(self.sample)
        ranked = sorted(df, key=lambda w: (-df[w], w))
        self.common = [w for w in ranked if df[w] >= 0.05 * n and len(w) >= 4]
        self.middle = [w for w in ranked if 0.005 * n <= df[w] < 0.05 * n and len(w) >= 4]
        self.rare = sorted(w for w in ranked if 2 <= df[w] <= 4 and len(w) >= 5)
        self.with_topics = [r for r in self.sample if r.get("topics")]
        self.dated = [r for r in self.sample if r.get("date")]

    def _pick(self, words: list[str]) -> str:
        return self.rng.choice(words)

    def _title_words(self, count: int) -> str:
        for _ in range(100):
            release = self.rng.choice(self.sample)
            words = list(dict.fromkeys(content_words(release.get("title", ""), 4)))
            if len(words) >= count:
                start = self.rng.randrange(len(words) - count + 1)
                return " ".join(words[start : start + count])
        return " ".join(self.rng.sample(self.middle, count))

    def _phrase(self) -> str:
        for _ in range(100):
            tokens = [t.lower() for t in WORD.findall(self.rng.choice(self.sample).get("body", ""))]
            if len(tokens) < 10:
                continue
            size = self.rng.choice((2, 2, 3))
            start = self.rng.randrange(len(tokens) - size)
            window = tokens[start : start + size]
            if all(len(w) >= 3 for w in (window[0], window[-1])) and not {window[0], window[-1]} & STOP_WORDS:
                return '"' + " ".join(window) + '"'
        return '"' + self._title_words(2) + '"'

    def draw(self, kind: str) -> BenchQuery:
        """Return one query of ``kind``."""
        if kind == "common":
            return BenchQuery(kind, self._pick(self.common))
        if kind == "rare":
            return BenchQuery(kind, self._pick(self.rare or self.middle))
        if kind == "two_words":
            return BenchQuery(kind, self._title_words(2))
        if kind == "three_words":
            return BenchQuery(kind, self._title_words(3))
        if kind == "phrase":
            return BenchQuery(kind, self._phrase())
        if kind == "or":
            return BenchQuery(kind, f"{self._pick(self.middle)} OR {self._pick(self.middle)}")
        if kind == "not":
            return BenchQuery(kind, f"{self._pick(self.common)} -{self._pick(self.middle)}")
        if kind == "prefix":
            word = self._pick([w for w in self.common + self.middle if len(w) >= 6])
            return BenchQuery(kind, word[: self.rng.choice((4, 5))] + "*")
        if kind == "fuzzy":
            return BenchQuery(kind, self._pick([w for w in self.middle if len(w) >= 5]) + "~")
        if kind == "topic_filter" and self.with_topics:
            release = self.rng.choice(self.with_topics)
            words = content_words(release.get("title", ""), 4) or self.common
            return BenchQuery(kind, self.rng.choice(words), topics=(self.rng.choice(release["topics"]),))
        if kind == "date_range" and self.dated:
            day = dt.date.fromisoformat(str(self.rng.choice(self.dated)["date"])[:10])
            half = dt.timedelta(days=self.rng.choice((30, 90, 180, 365)))
            q = self._pick(self.common + self.middle)
            return BenchQuery(kind, q, date_from=(day - half).isoformat(), date_to=(day + half).isoformat())
        if kind == "question":  # issue 15: a question whose words rarely all meet
            return BenchQuery(
                kind, f"what did the {self._title_words(2)} say about {self._pick(self.middle)}?"
            )
        if kind == "deep_page":
            return BenchQuery(kind, self._pick(self.common), page=self.rng.randint(5, 10))
        return BenchQuery("common", self._pick(self.common))  # a kind this corpus cannot make


def draw_queries(
    releases: list[dict[str, Any]], count: int = 300, seed: int = DEFAULT_SEED
) -> list[BenchQuery]:
    """Return ``count`` queries drawn from ``releases``, grouped by kind, the same for one seed."""
    drawer = QueryDrawer(releases, seed)
    shares = {kind: round(share * count) for kind, share in KINDS.items()}
    shares["common"] += count - sum(shares.values())
    return [drawer.draw(kind) for kind, n in shares.items() for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="Releases as .jsonl or .jsonl.gz.")
    parser.add_argument("--count", type=int, default=300, help="How many queries (default 300).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed.")
    parser.add_argument("--out", type=Path, help="Write the queries here as JSON (default: stdout).")
    args = parser.parse_args()
    queries = draw_queries(list(read_releases(args.corpus)), args.count, args.seed)
    text = json.dumps([query.as_dict() for query in queries], indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
