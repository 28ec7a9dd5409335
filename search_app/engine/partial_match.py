"""Ranked partial matching: when few releases have every word, rank those with most of them.

Only plain words relax. A query with ``AND``/``OR``/``NOT``, parentheses or ``+word`` keeps
its strict meaning; phrases, ``field:value``, ``-word``, ``prefix*`` and ``word~`` stay
required. Each plain word weighs its rarity (IDF): a release missing "say" loses little, one
missing "yemen" a lot. Question and filler words weigh nothing, so they neither veto nor
dominate. Releases are ranked by (has every word, weight of the words it lacks, score), the
score being BM25F of the words it has, with the proximity bonus among its own words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from whoosh import query as wq
from whoosh.lang.stopwords import stoplists
from whoosh.searching import TimeLimit

from indexer.word_shapes import OPERATOR_WORDS
from search_app.engine.array_search import ArraySearcher
from search_app.engine.matches import DocIds, Matches, Scores, top_rows, union, within
from search_app.engine.proximity import PositionsOf, proximity_boosted
from search_app.engine.query_reading import parse_query
from search_app.engine.variants import NameVariants

# Relax when fewer releases than a first page of results have every word.
FEW_ALL_WORDS = 10
# A typed query no release matches shows its spelling correction's results when they are this many.
MANY_CORRECTED = 3
# At most this many plain words are weighed (the rarest): a pasted paragraph is a query too.
MAX_RELAXED_WORDS = 10
# Every release with at least one weighed word is shown (below those with more): cutting
# those that lack over half the weight, as minimum_should_match would, lost the answer to
# one French question in ten in bench/relevance.py (nDCG@10 0.694 against 0.749).
# Question and filler words that survive the English stop list, and French ones (the
# analysis has only the English list): optional and weightless, their score scaled down.
FILLER_WORDS = frozenset(
    "say says said tell told know explain describe mean meaning many much whose whom "
    "happen happened name named called kind type please "
    "quel quelle quels quelles comment pourquoi combien quand où ou quoi lequel laquelle "
    "lesquels lesquelles est-ce qu'est-ce c'est".split()
) | frozenset(stoplists["fr"])
FILLER_SCORE = 0.2
# Leading and trailing punctuation that is not query syntax ("surrender?", "Broncos,").
_EDGES = ".,;:!?¿¡«»“”‘’'"
_SYNTAX = re.compile(r'[*?~"()\[\]{}^\\]')


@dataclass(frozen=True)
class RelaxableQuery:
    """A query split into what stays required and the plain words that may be missing."""

    strict: str
    words: tuple[str, ...]


def split_query(text: str, fields: frozenset[str]) -> RelaxableQuery | None:
    """Split ``text`` into required syntax and plain words; None when nothing may relax.

    >>> split_query('what did "the secretary" say about yemen? -saudi', frozenset())
    RelaxableQuery(strict='"the secretary" -saudi', words=('what', 'did', 'say', 'about', 'yemen'))
    >>> split_query("iraq OR syria", frozenset()) is None
    True
    """
    if text.count('"') % 2:
        text = text.replace('"', " ")  # an unclosed quote is read as plain words
    if re.search(r"[()]", text):
        return None
    strict: list[str] = []
    words: list[str] = []
    for token in re.findall(r'[-+]?(?:\w+:)?"[^"]*"|\S+', text):
        field = token.split(":", 1)[0].lstrip("+-") if ":" in token else ""
        if token in OPERATOR_WORDS or token.startswith("+"):
            return None
        if token.startswith("-") or '"' in token or (field and field in fields):
            strict.append(token)
            continue
        word = token.strip(_EDGES)
        if not word:
            continue
        if _SYNTAX.search(word):
            strict.append(token)
        else:
            words.append(word)
    if not words or len(words) + len(strict) < 2:
        return None
    return RelaxableQuery(" ".join(strict), tuple(words))


@dataclass
class PartialMatches:
    """Releases with some of the words: per release its score, the words it lacks and their weight."""

    ids: DocIds
    scores: Scores
    complete: npt.NDArray[np.bool_]  # has every word (the strict query's matches)
    missing_weight: Scores
    missing_mask: npt.NDArray[np.int64]  # bit i: lacks words[i]
    words: tuple[str, ...]
    stems: tuple[str | None, ...]

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, ids: DocIds) -> PartialMatches:
        """Return the partial matches whose ids are in ``ids`` (a sorted subset)."""
        keep = within(self.ids, ids)
        return PartialMatches(
            self.ids[keep],
            self.scores[keep],
            self.complete[keep],
            self.missing_weight[keep],
            self.missing_mask[keep],
            self.words,
            self.stems,
        )

    def _order(self, scores: Scores, rows: npt.NDArray[np.intp] | None, count: int) -> npt.NDArray[np.intp]:
        """Return the best ``count`` of ``rows`` (None: all) in rank order: every word first,
        then the least weight missing, the highest score, the first document."""
        if rows is None:  # every partial match: the columns as they are, not copies
            keys = [~self.complete, np.round(self.missing_weight, 6), -scores, self.ids]
            return top_rows(keys, count)
        keys = [~self.complete[rows], np.round(self.missing_weight[rows], 6), -scores[rows], self.ids[rows]]
        return rows[top_rows(keys, count)]

    def ranked(self, count: int, depth: int, positions_of: PositionsOf) -> tuple[DocIds, Scores]:
        """Return the ``max(count, depth)`` best ids and scores, the first ``depth`` with proximity bonus."""
        rows = self._order(self.scores, None, max(count, depth))
        head = rows[:depth]
        boosted = self.scores[head].copy()
        for mask in set(self.missing_mask[head].tolist()):
            group = np.flatnonzero(self.missing_mask[head] == mask)
            words = [s for i, s in enumerate(self.stems) if s and not mask >> i & 1]
            if len(words) >= 2 and len(group) >= 1:
                boosted[group] = proximity_boosted(positions_of, words, self.ids[head[group]], boosted[group])
        scores = self.scores.copy()
        scores[head] = boosted
        rows = np.concatenate((self._order(scores, head, len(head)), rows[depth:]))
        return self.ids[rows], scores[rows]

    def page(self, start: int, stop: int, depth: int, positions_of: PositionsOf) -> list[tuple[int, float]]:
        """Return (docnum, score) of the hits from ``start`` to ``stop`` in rank order."""
        ids, scores = self.ranked(stop, depth, positions_of)
        return list(zip(ids[start:stop].tolist(), scores[start:stop].tolist(), strict=True))

    def complete_first(self, ordered: DocIds) -> DocIds:
        """Return ``ordered`` (ids of these matches) with the releases having every word first."""
        complete = within(ordered, self.ids[self.complete])
        return np.concatenate((ordered[complete], ordered[~complete]))

    def missing(self, docnum: int) -> list[str]:
        """Return the words, as typed, that release ``docnum`` lacks."""
        at = int(np.searchsorted(self.ids, docnum))
        if at >= len(self.ids) or self.ids[at] != docnum:
            return []
        mask = int(self.missing_mask[at])
        return [word for i, word in enumerate(self.words) if mask >> i & 1]


def widen(
    matcher: ArraySearcher, text: str, strict_matches: Matches, variants: NameVariants, deadline: float
) -> PartialMatches | None:
    """Return releases with the required parts of ``text`` and most of its plain words, or None.

    None too when nothing may relax, or when the time budget ran out first.
    """
    schema, reader = matcher.searcher.schema, matcher.searcher.reader()
    relaxable = split_query(text, frozenset(schema.names()))
    if relaxable is None:
        return None

    def parse(part: str) -> wq.Query:
        return parse_query(part, schema, variants, reader).query

    try:
        return _widen(matcher, relaxable, strict_matches, parse, deadline)
    except TimeLimit:
        return None


def _widen(
    matcher: ArraySearcher,
    relaxable: RelaxableQuery,
    strict_matches: Matches,
    parse: Callable[[str], wq.Query],
    deadline: float,
) -> PartialMatches | None:
    reader = matcher.searcher.reader()
    parsed: dict[str, tuple[str, wq.Query]] = {}
    for word in relaxable.words:
        query = parse(word)
        if query is not wq.NullQuery and not isinstance(query, wq.Every):
            parsed.setdefault(str(query), (word, query))
    if not parsed:
        return None
    frequency = {key: _doc_frequency(reader, query) for key, (_, query) in parsed.items()}
    kept = sorted(parsed, key=lambda key: frequency[key])[:MAX_RELAXED_WORDS]
    kept.sort(key=lambda key: relaxable.words.index(parsed[key][0]))
    words = tuple(parsed[key][0] for key in kept)
    runs = [matcher.run(parsed[key][1], deadline) for key in kept]
    filler = np.array([word.lower() in FILLER_WORDS for word in words])
    if filler.all():
        filler[:] = False
    total_docs = max(reader.doc_count(), 1)
    weights = np.array([math.log(total_docs / (1 + len(run))) + 1 for run in runs])
    weights[filler] = 0.0
    scaled = [
        Matches(run.ids, run.scores * (FILLER_SCORE if is_filler else 1.0))
        for run, is_filler in zip(runs, filler.tolist(), strict=True)
    ]
    candidates = union([run for run, is_filler in zip(scaled, filler.tolist(), strict=True) if not is_filler])
    if relaxable.strict:
        required = matcher.run(parse(relaxable.strict), deadline)
        if all(token.startswith("-") for token in relaxable.strict.split()):
            candidates = candidates.subset(required.ids)  # exclusions only exclude
        else:  # every release with the required parts; the plain words only rank them
            candidates = union([Matches(required.ids, required.scores), candidates.subset(required.ids)])
    # The releases with every word are among them, but for the odd one (a name variant).
    extra = strict_matches.ids[~within(strict_matches.ids, candidates.ids)]
    if len(extra):
        candidates = union([candidates, Matches(extra, np.zeros(len(extra)))])
    ids = candidates.ids
    if not len(ids):
        return None
    scores = candidates.scores
    mask = np.zeros(len(ids), np.int64)
    missing = np.zeros(len(ids), np.float64)
    for i, run in enumerate(scaled):  # whole-array operations: ids are most of the index
        present = within(ids, run.ids)
        absent = ~present
        mask |= absent.astype(np.int64) << i
        if weights[i]:
            missing += absent * weights[i]
        if filler[i]:
            at = np.searchsorted(run.ids, ids[present])
            scores[present] += run.scores[at]
    complete = within(ids, strict_matches.ids)
    # Releases with every word keep their strict score, so their order is today's.
    at = np.searchsorted(strict_matches.ids, ids[complete])
    scores[complete] = strict_matches.scores[at]
    mask[complete] = 0
    missing[complete] = 0.0
    stems = tuple(_stem(parsed[key][1]) for key in kept)
    return PartialMatches(ids, scores, complete, missing, mask, words, stems)


def _doc_frequency(reader: object, query: wq.Query) -> int:
    """Return how many releases hold any of ``query``'s words (an upper bound)."""
    return sum(
        reader.doc_frequency(term.fieldname, term.text)  # type: ignore[attr-defined]
        for term in query.leaves()
        if isinstance(term, wq.Term)
    )


def _stem(query: wq.Query) -> str | None:
    """Return the one word a plain word's query looks for in every field, if it is one."""
    texts = {node.text for node in query.leaves() if isinstance(node, wq.Term)}
    return next(iter(texts)) if len(texts) == 1 and isinstance(query, wq.Or | wq.Term) else None
