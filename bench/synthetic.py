"""A deterministic synthetic corpus of press releases, for measuring at sizes the real corpus lacks.

Usage (from the repository root)::

    python bench/synthetic.py --count 100000 --out /tmp/bench-syn/releases.jsonl.gz [--seed 1]
    python bench/synthetic.py --make-vocabulary ../shared/corpora/doj-opa-2009-2018/releases.jsonl.gz

Words follow the DOJ corpus: bench/vocabulary.json.gz (made by ``--make-vocabulary``, shipped
so the generator works without the corpus) holds the 20,000 most frequent body words with
their counts, the most frequent word pairs, title words, topics, components and length
statistics. Body words are drawn from those counts (a Zipf-like curve), extended past them
by made-up words on the same curve so that the vocabulary grows with the corpus as Heaps'
law says (63,425 distinct words in DOJ's 7.4 million); a third of the draws are frequent
word pairs, so phrases match. Body and title lengths are log-normal with DOJ's median and
90th percentile; dates are spread over DOJ's 2009-2018 and sorted; a third of releases carry
one or two topics. One seed and count always give the same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import math
import random
import re
import statistics
import sys
from collections import Counter
from itertools import accumulate
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from queries import read_releases  # noqa: E402

VOCABULARY = Path(__file__).resolve().parent / "vocabulary.json.gz"
WORD = re.compile(r"[A-Za-z]+")
TOP_WORDS, TOP_PAIRS, TOP_TITLE_WORDS = 20000, 5000, 4000
PAIR_SHARE = 0.33
SYLLABLES = "ka lo ri men ta vo su ne dar pi gel mo tur ba sen fi rak zu lan po".split()
FIRST_DAY, LAST_DAY = dt.date(2009, 1, 5), dt.date(2018, 4, 13)


def make_vocabulary(corpus: Path) -> dict[str, Any]:
    """Count what the generator needs in a corpus of releases."""
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    title_words: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    components: Counter[str] = Counter()
    body_lengths, title_lengths, with_topics, releases = [], [], 0, 0
    for release in read_releases(corpus):
        releases += 1
        tokens = [token.lower() for token in WORD.findall(release.get("body", ""))]
        words.update(tokens)
        pairs.update(zip(tokens, tokens[1:], strict=False))
        title = WORD.findall(release.get("title", ""))
        title_words.update(title)
        body_lengths.append(len(tokens))
        title_lengths.append(len(title))
        topics.update(release.get("topics") or [])
        components.update(release.get("components") or [])
        with_topics += bool(release.get("topics"))
    deciles = statistics.quantiles(body_lengths, n=10)
    title_deciles = statistics.quantiles(title_lengths, n=10)
    return {
        "source": str(corpus.name),
        "releases": releases,
        "tokens": sum(words.values()),
        "distinct_words": len(words),
        "body_words": {"median": statistics.median(body_lengths), "p90": deciles[-1]},
        "title_words": {"median": statistics.median(title_lengths), "p90": title_deciles[-1]},
        "topic_share": round(with_topics / max(releases, 1), 4),
        "words": words.most_common(TOP_WORDS),
        "pairs": [[f"{a} {b}", n] for (a, b), n in pairs.most_common(TOP_PAIRS)],
        "title_words_counts": title_words.most_common(TOP_TITLE_WORDS),
        "topics": topics.most_common(),
        "components": components.most_common(),
    }


def made_up_word(rank: int) -> str:
    """Return a pronounceable word for vocabulary rank ``rank`` (rank in base 20, a syllable a digit).

    >>> made_up_word(21), made_up_word(12345), made_up_word(20000)
    ('lolo', 'logelzuvo', 'rigelkaka')
    """
    digits, n = [], rank
    while True:
        n, digit = divmod(n, len(SYLLABLES))
        digits.append(SYLLABLES[digit])
        if n == 0:
            break
    return "".join(reversed(digits))


def _log_normal(rng: random.Random, median: float, p90: float, low: int, high: int) -> int:
    sigma = math.log(p90 / median) / 1.2816
    return max(low, min(high, round(rng.lognormvariate(math.log(median), sigma))))


class Generator:
    """Make releases one by one from a vocabulary with one seeded generator."""

    def __init__(self, vocabulary: dict[str, Any], count: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocabulary = vocabulary
        known = [word for word, _ in vocabulary["words"]]
        weights = [float(n) for _, n in vocabulary["words"]]
        # Heaps' law, V = K * sqrt(tokens), fitted on the source, sizes the vocabulary here.
        tokens = count * vocabulary["body_words"]["median"] * 1.1
        distinct = int(vocabulary["distinct_words"] * math.sqrt(tokens / vocabulary["tokens"]))
        last, top = weights[-1], len(known)
        for rank in range(top, max(top, distinct)):
            known.append(made_up_word(rank))
            weights.append(last * top / rank)  # Zipf: frequency falls as 1 / rank
        self.words, self.word_cum = known, list(accumulate(weights))
        self.pairs = [pair for pair, _ in vocabulary["pairs"]]
        self.pair_cum = list(accumulate(n for _, n in vocabulary["pairs"]))
        self.title_words = [word for word, _ in vocabulary["title_words_counts"]]
        self.title_cum = list(accumulate(n for _, n in vocabulary["title_words_counts"]))
        self.topics = [topic for topic, _ in vocabulary["topics"]]
        self.topic_cum = list(accumulate(n for _, n in vocabulary["topics"]))
        self.components = [name for name, _ in vocabulary["components"]]
        self.component_cum = list(accumulate(n for _, n in vocabulary["components"]))

    def body(self) -> str:
        """Return a body of sentences and paragraphs with DOJ's length and word frequencies."""
        length = _log_normal(self.rng, **self.vocabulary["body_words"], low=5, high=30000)
        n_pairs = round(length * PAIR_SHARE / 2)
        tokens = self.rng.choices(self.words, cum_weights=self.word_cum, k=length - 2 * n_pairs)
        tokens += self.rng.choices(self.pairs, cum_weights=self.pair_cum, k=n_pairs)
        self.rng.shuffle(tokens)
        paragraphs, sentences, start = [], [], 0
        while start < len(tokens):
            end = start + self.rng.randint(10, 30)
            sentence = " ".join(tokens[start:end])
            sentences.append(sentence[:1].upper() + sentence[1:] + ".")
            start = end
            if len(sentences) >= self.rng.randint(2, 5) or start >= len(tokens):
                paragraphs.append(" ".join(sentences))
                sentences = []
        return "\n\n".join(paragraphs)

    def release(self, number: int, day: dt.date) -> dict[str, Any]:
        """Return release number ``number``, dated ``day``."""
        title_length = _log_normal(self.rng, **self.vocabulary["title_words"], low=3, high=40)
        title = " ".join(self.rng.choices(self.title_words, cum_weights=self.title_cum, k=title_length))
        topics: list[str] = []
        if self.rng.random() < self.vocabulary["topic_share"]:
            k = 1 if self.rng.random() < 0.8 else 2
            topics = sorted(set(self.rng.choices(self.topics, cum_weights=self.topic_cum, k=k)))
        components = self.rng.choices(self.components, cum_weights=self.component_cum, k=1)
        release_id = f"syn-{number:07d}"
        return {
            "id": release_id,
            "title": title[:1].upper() + title[1:],
            "date": day.isoformat(),
            "url": f"https://releases.example/{release_id}",
            "body": self.body(),
            "topics": topics,
            "components": components,
            "agency": "Synthetic Office of Public Affairs",
        }


def load_vocabulary(path: Path = VOCABULARY) -> dict[str, Any]:
    """Read a vocabulary written by ``--make-vocabulary``."""
    with gzip.open(path, "rt", encoding="utf-8") as file:
        vocabulary: dict[str, Any] = json.load(file)
    return vocabulary


def write_corpus(out: Path, count: int, seed: int = 1, vocabulary: dict[str, Any] | None = None) -> None:
    """Write ``count`` synthetic releases to ``out`` (``.jsonl`` or ``.jsonl.gz``, no timestamp)."""
    generator = Generator(vocabulary or load_vocabulary(), count, seed)
    span = (LAST_DAY - FIRST_DAY).days
    days = sorted(FIRST_DAY + dt.timedelta(days=generator.rng.randrange(span + 1)) for _ in range(count))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw:
        stream = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if out.suffix == ".gz" else raw
        with io.TextIOWrapper(stream, encoding="utf-8") as text:
            for number, day in enumerate(days):
                text.write(json.dumps(generator.release(number, day)) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000, help="How many releases (default 20000).")
    parser.add_argument("--out", type=Path, help="Where to write the releases (.jsonl or .jsonl.gz).")
    parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
    parser.add_argument("--vocabulary", type=Path, default=VOCABULARY, help="Vocabulary file to draw from.")
    parser.add_argument(
        "--make-vocabulary", type=Path, metavar="CORPUS", help="Count CORPUS into --vocabulary and stop."
    )
    args = parser.parse_args()
    if args.make_vocabulary:
        with gzip.GzipFile(args.vocabulary, "wb", mtime=0) as file:
            file.write(json.dumps(make_vocabulary(args.make_vocabulary)).encode("utf-8"))
        print(f"wrote {args.vocabulary}")
        return
    if not args.out:
        parser.error("--out is required")
    write_corpus(args.out, args.count, args.seed, load_vocabulary(args.vocabulary))


if __name__ == "__main__":
    main()
