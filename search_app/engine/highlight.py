"""Highlight matched words in stored text: the one place that makes ``<mark>`` markup.

Safety: every piece of stored text goes through :func:`html.escape` (quotes
included) before it reaches the output; the only markup added is the literal
``<mark>`` / ``</mark>`` pair around an escaped word. The result is therefore
safe to insert as HTML element content (never inside an attribute).

Speed: the text is scanned once with the tokenizer's word pattern (in C); each
distinct word is normalised and compared with the query once per request, so a
long body costs a regular-expression pass and a dictionary lookup per word, not
a trip through the analysis chain.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from typing import NamedTuple

from indexer.analysis import STOP_WORDS, WORD_RE, cached_stem, normalize_word
from indexer.schema import EXACT_FIELDS
from indexer.word_shapes import APOSTROPHE_CLASS, APOSTROPHES, FAST_WORD_PATTERN, HYPHEN_CLASS, HYPHENS
from search_app.engine import work

STEMMED_FIELDS = frozenset({"title", "body", "extra_text"})
SNIPPET_CHARS = 240
SNIPPET_FRAGMENTS = 2
SNIPPET_SCAN_CHARS = 3000
# Nor further than this when the start has no match: a snippet's cost has a ceiling.
SNIPPET_MAX_SCAN_CHARS = 100_000
ELLIPSIS = " … "


class WrittenForms:
    """Every word as written met so far in this process, grouped by normalised word and by stem.

    A query's stems then name the written forms to look for ("Liberated", "liberate", …),
    and finding them in a text is a set intersection, not a lookup per word per request.
    """

    LIMIT = 500_000  # forms remembered before starting afresh (bounds a worker's memory)

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.by_word: dict[str, set[str]] = {}
        self.by_stem: dict[str, set[str]] = {}
        self.version = 0
        self._lock = threading.Lock()

    def learn(self, written: set[str]) -> None:
        """Remember the words as written that were not seen before."""
        new = written - self.seen
        if not new:
            return
        with self._lock:
            if len(self.seen) > self.LIMIT:
                self.seen, self.by_word, self.by_stem = set(), {}, {}
            for form in new:
                word = normalize_word(form)
                if not word:
                    continue
                self.by_word.setdefault(word, set()).add(form)
                if word not in STOP_WORDS:
                    self.by_stem.setdefault(cached_stem(word), set()).add(form)
            self.seen |= new
            self.version += 1


_FORMS = WrittenForms()


class MatchTerms:
    """The words a query looks for, split into stems and exact (unstemmed) words."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self.stems: set[str] = set()
        self.exact: set[str] = set()
        for field, text in terms:
            if field in STEMMED_FIELDS:
                self.stems.add(text)
            elif field in EXACT_FIELDS.values():
                self.exact.add(text)
        self._forms: set[str] = set()
        self._version = -1
        self._ascii_starts: re.Pattern[str] | None | bool = False  # False: not built yet

    def __bool__(self) -> bool:
        return bool(self.stems or self.exact)

    def spans(self, text: str) -> list[Span]:
        """Return the spans of ``text`` holding words the query looks for (see :func:`matched_spans`)."""
        return matched_spans(text, self)

    def match_written(self, written: str) -> str | None:
        """Return the normalised form of a word as written if the query looks for it, else None."""
        return self.wanted_among({written}).get(written)

    def wanted_among(self, written: set[str]) -> dict[str, str]:
        """Return those of the words as written that the query looks for, with their normalised forms."""
        _FORMS.learn(written)
        return {form: normalize_word(form) for form in written & self._written_forms()}

    def ascii_starts(self) -> re.Pattern[str] | None:
        """Return a pattern for where, in ASCII text, a token the query wants can start."""
        if self._ascii_starts is False:
            self._ascii_starts = _starts_pattern(self.stems | self.exact)
        return self._ascii_starts if isinstance(self._ascii_starts, re.Pattern) else None

    def _written_forms(self) -> set[str]:
        if self._version != _FORMS.version:
            forms: set[str] = set()
            for stem in self.stems:
                forms |= _FORMS.by_stem.get(stem, set())
            for word in self.exact:
                forms |= _FORMS.by_word.get(word, set())
            self._forms, self._version = forms, _FORMS.version
        return self._forms


# Snowball stems that do not start like their words: "dying" is "die".
_IRREGULAR_STEMS = {"die": "dy", "lie": "ly", "tie": "ty"}


def _starts_pattern(words: set[str]) -> re.Pattern[str] | None:
    prefixes: set[str] = set()
    for word in words:
        if word.isascii():
            prefix = word[:-1] or word
            prefixes.add(prefix)
            if word in _IRREGULAR_STEMS:
                prefixes.add(_IRREGULAR_STEMS[word])
            if "iz" in prefix:
                prefixes.add(prefix.replace("iz", "is"))  # "stabilisation" is "stabilization"
    if not prefixes:
        return None
    # A hyphen may join the parts of a compound anywhere ("counter-terrorism").
    alternatives = "|".join(
        "-?".join(re.escape(char) for char in prefix) for prefix in sorted(prefixes, key=len, reverse=True)
    )
    # Zero-width (a lookahead), so a candidate inside a longer candidate is found too.
    return re.compile(rf"(?<!\w)(?<!\w')(?=(?:{alternatives}))", re.IGNORECASE | re.ASCII)


class Span(NamedTuple):
    """A matched word (or hyphenated compound) at ``text[start:end]``."""

    start: int
    end: int
    word: str


def matched_spans(text: str, terms: MatchTerms) -> list[Span]:
    """Return the non-overlapping spans of ``text`` holding words the query looks for.

    Words are split as the index splits them; a hyphenated compound whose joined
    form matches ("counterterrorism" in "counter-terrorism") is marked whole.
    """
    if text.isascii():
        return _merge(_ascii_spans(text, terms))
    return _merge(_any_spans(text, terms))


def _any_spans(text: str, terms: MatchTerms) -> list[Span]:
    """The matched spans of any text: every distinct word looked at."""
    spans: list[Span] = []
    wanted = terms.wanted_among(set(WORD_RE.findall(text)))
    for written, word in wanted.items():
        spans.extend(Span(at, at + len(written), word) for at in _occurrences(text, written))
    for match in COMPOUND_RE.finditer(text):
        compound = terms.match_written("".join(WORD_RE.findall(match.group())))
        if compound:
            spans.append(Span(match.start(), match.end(), compound))
    return spans


def _ascii_spans(text: str, terms: MatchTerms) -> list[Span]:
    """The matched spans of an ASCII text, found from where a query word could start.

    In ASCII text a word normalises to its lower case (less a possessive ``'s``), and a
    stem is its word less a changed last letter or two, so every matching token starts
    with a query term less its last letter: a case-blind search for those prefixes finds
    every candidate, and only candidates are looked at word by word.
    """
    pattern = terms.ascii_starts()
    spans: list[Span] = []
    if pattern is None:
        return spans
    for start in (match.start() for match in pattern.finditer(text)):
        token = WORD_RE.match(text, start)
        if token is None:
            continue
        word = terms.match_written(token.group())
        if word:
            spans.append(Span(start, token.end(), word))
        inside_a_run = start > 1 and text[start - 1] in HYPHENS and _is_word_char(text[start - 2])
        run = None if inside_a_run else COMPOUND_RE.match(text, start)
        if run is not None and run.end() > token.end():
            compound = terms.match_written("".join(WORD_RE.findall(run.group())))
            if compound:
                spans.append(Span(start, run.end(), compound))
    return spans


# A run of words joined by hyphens, as the tokenizer joins them into a compound.
# Possessive quantifiers and a start only at a token's start keep the scan linear.
COMPOUND_RE = re.compile(
    rf"(?<!\w)(?<!\w{APOSTROPHE_CLASS}){FAST_WORD_PATTERN}(?:{HYPHEN_CLASS}{FAST_WORD_PATTERN})++"
)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what ``\w`` matches


def _occurrences(text: str, written: str) -> Iterable[int]:
    """Yield where ``written`` occurs in ``text`` as a whole token (as the tokenizer splits words)."""
    size, end = len(written), len(text)
    at = text.find(written)
    while at >= 0:
        after = at + size
        if not (
            (at > 0 and _is_word_char(text[at - 1]))
            or (at > 1 and text[at - 1] in APOSTROPHES and _is_word_char(text[at - 2]))
            or (after < end and _is_word_char(text[after]))
            or (after + 1 < end and text[after] in APOSTROPHES and _is_word_char(text[after + 1]))
        ):
            yield at
        at = text.find(written, at + 1)


def _merge(spans: list[Span]) -> list[Span]:
    """Sort spans and fold the parts of a matched compound into the compound."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end), last.word)
        else:
            merged.append(span)
    return merged


def _marked(text: str, start: int, end: int, spans: Iterable[Span]) -> str:
    """Return ``text[start:end]`` escaped, with the spans inside it wrapped in ``<mark>``."""
    out: list[str] = []
    at = start
    for span in spans:
        if span.start < start or span.end > end:
            continue
        out.append(html.escape(text[at : span.start]))
        out.append("<mark>" + html.escape(text[span.start : span.end]) + "</mark>")
        at = span.end
    out.append(html.escape(text[at:end]))
    return "".join(out)


def highlight_whole(text: str, terms: MatchTerms) -> str:
    """Return all of ``text`` escaped, with matched words marked (for titles)."""
    if not text:
        return ""
    if not terms:
        return html.escape(text)
    return _marked(text, 0, len(text), terms.spans(text))


def highlight_snippet(
    text: str, terms: MatchTerms, *, top: int = SNIPPET_FRAGMENTS, chars: int = SNIPPET_CHARS
) -> str:
    """Return the best passages of ``text`` with matched words marked, else its opening."""
    if not text:
        return ""
    if len(text) <= chars:
        return highlight_whole(text, terms)
    spans = _spans_near_the_start(text, terms) if terms else []
    if not spans:
        return opening(text, chars)
    # Two passages share the budget a little more generously than one would have it.
    windows = _best_windows(spans, len(text), top, chars if top == 1 else chars * 2 // 3)
    fragments = [_widen_to_whitespace(text, start, end) for start, end in windows]
    prefix = "… " if fragments[0][0] > 0 else ""
    suffix = " …" if fragments[-1][1] < len(text) else ""
    return prefix + ELLIPSIS.join(_marked(text, start, end, spans) for start, end in fragments) + suffix


def _spans_near_the_start(text: str, terms: MatchTerms) -> list[Span]:
    """Matched spans of the first :data:`SNIPPET_SCAN_CHARS` characters (cut at whitespace),
    or of the text up to :data:`SNIPPET_MAX_SCAN_CHARS` when its start has none: a long
    release's best passage is nearly always in its opening paragraphs, and this bounds the
    work per hit."""
    if len(text) > SNIPPET_SCAN_CHARS:
        cut = text.find(" ", SNIPPET_SCAN_CHARS)
        if cut > 0:
            work.count("highlight_chars", cut)
            spans = terms.spans(text[:cut])
            if spans:
                return spans
    work.count("highlight_chars", min(len(text), SNIPPET_MAX_SCAN_CHARS))
    return terms.spans(text[:SNIPPET_MAX_SCAN_CHARS])


def _best_windows(spans: list[Span], length: int, top: int, chars: int) -> list[tuple[int, int]]:
    """Pick up to ``top`` non-overlapping windows of ``chars`` characters, each starting a
    little before a match, that hold the most distinct matched words (then the most matches)."""
    lead = chars // 3
    scored: list[tuple[int, int, int, int]] = []  # (-distinct, -count, start, end)
    for index, anchor in enumerate(spans):
        start = max(0, anchor.start - lead)
        end = min(length, start + chars)
        inside = [span.word for span in spans[index:] if span.end <= end]
        scored.append((-len(set(inside)), -len(inside), start, end))
    scored.sort()
    chosen: list[tuple[int, int]] = []
    for _, _, start, end in scored:
        if all(end <= other_start or start >= other_end for other_start, other_end in chosen):
            chosen.append((start, end))
            if len(chosen) == top:
                break
    return sorted(chosen)


def _widen_to_whitespace(text: str, start: int, end: int) -> tuple[int, int]:
    """Move a passage's edges out to whitespace, so no word or symbol is cut."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def opening(text: str, chars: int = SNIPPET_CHARS) -> str:
    """Return the escaped start of ``text``, cut at a word boundary."""
    if len(text) <= chars:
        return html.escape(text)
    cut = text.rfind(" ", 0, chars)
    return html.escape(text[: cut if cut > chars // 2 else chars].rstrip(" ,;:")) + " …"
