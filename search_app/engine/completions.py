"""Completions for the search box: titles, tags and name variants that match what was typed."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.analysis import tokenize_words

MAX_SUGGESTIONS = 10


@dataclass(frozen=True)
class Completion:
    """One completion: the text to put in the box, and what kind of thing it is."""

    text: str
    kind: str  # "title", "tag" or "variant"


class Completions:
    """Prefix search over a fixed list of phrases, folded like the index folds words."""

    def __init__(self, titles: list[str], tags: list[str], variants: list[str]) -> None:
        entries: list[tuple[str, str, str]] = []
        for kind, phrases in (("variant", variants), ("tag", tags), ("title", titles)):
            entries.extend((" ".join(tokenize_words(phrase)), phrase, kind) for phrase in phrases)
        self._entries = entries

    def complete(self, typed: str, limit: int = MAX_SUGGESTIONS) -> list[Completion]:
        """Return phrases whose start, or the start of one of whose words, matches ``typed``."""
        words = tokenize_words(typed)
        if not words or len(typed) > 200:
            return []
        if typed[-1].isspace():
            words.append("")  # "raqqa " completes the next word
        prefix = " ".join(words) if words[-1] else " ".join(words[:-1]) + " "
        starts, inside, seen = [], [], set()
        for folded, phrase, kind in self._entries:
            if phrase in seen:
                continue
            if folded.startswith(prefix):
                starts.append(Completion(phrase, kind))
                seen.add(phrase)
            elif f" {prefix}" in folded:
                inside.append(Completion(phrase, kind))
                seen.add(phrase)
            if len(starts) >= limit:
                break
        starts.sort(key=lambda c: (c.kind == "title", len(c.text)))
        inside.sort(key=lambda c: (c.kind == "title", len(c.text)))
        return (starts + inside)[:limit]
