"""Name variants (Raqqa / Raqqah, Daesh / ISIS / Da'esh), applied at query time.

The variants file holds one group per line, names separated by commas; ``#``
starts a comment. The file is re-read when it changes, so edits need no reindex.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from whoosh import query as wq

from indexer.analysis import stemming_analyzer

SEARCH_FIELDS = ("title", "body", "extra_text")

_analyzer = stemming_analyzer()


def _stems(name: str) -> tuple[str, ...]:
    return tuple(token.text for token in _analyzer(name, mode="query"))


@dataclass(frozen=True)
class VariantGroup:
    """Names that mean the same thing, each with its analysed form."""

    names: tuple[str, ...]
    forms: tuple[tuple[str, ...], ...]


def parse_variants(text: str) -> list[VariantGroup]:
    """Read variant groups from the text of a variants file."""
    groups = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        names = tuple(dict.fromkeys(name.strip() for name in line.split(",") if name.strip()))
        forms = tuple(_stems(name) for name in names)
        if len(names) > 1:
            groups.append(VariantGroup(names, forms))
    return groups


class NameVariants:
    """The variant groups of one file, reloaded when the file changes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: float | None = None
        self._by_form: dict[tuple[str, ...], list[tuple[VariantGroup, int]]] = {}
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        try:
            stamp = self.path.stat().st_mtime if self.path else None
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        with self._lock:
            groups = []
            if self.path and stamp is not None:
                try:
                    groups = parse_variants(self.path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError):
                    groups = []
            by_form: dict[tuple[str, ...], list[tuple[VariantGroup, int]]] = {}
            for group in groups:
                for position, form in enumerate(group.forms):
                    if form:
                        by_form.setdefault(form, []).append((group, position))
            self._by_form, self._stamp = by_form, stamp

    def stamp(self) -> float | None:
        """Return the modification time of the variants file as last read (changes on edit)."""
        self._refresh()
        return self._stamp

    def names(self) -> list[str]:
        """Return every name of every group."""
        self._refresh()
        return sorted(
            {name for groups in self._by_form.values() for group, _ in groups for name in group.names}
        )

    def expand(self, query: wq.Query) -> tuple[wq.Query, list[str]]:
        """Return ``query`` with each variant name also matching its group, and the
        names added ("also matched")."""
        self._refresh()
        added: list[str] = []

        def visit(node: wq.Query) -> wq.Query:
            form = _form_of(node)
            if form is None:
                return node if node.is_leaf() else node.apply(visit)
            alternatives: list[wq.Query] = [node]
            for group, position in self._by_form.get(form, []):
                for index, (name, other) in enumerate(zip(group.names, group.forms, strict=True)):
                    if index != position and other and other != form:
                        alternatives.append(_form_query(node.fieldname, other, node.boost))
                        added.append(name)
            return wq.Or(alternatives) if len(alternatives) > 1 else node

        expanded = visit(query)
        return expanded, list(dict.fromkeys(added))


def _form_of(node: wq.Query) -> tuple[str, ...] | None:
    """Return the analysed words of a plain term or phrase in a searched field."""
    if isinstance(node, wq.Term) and node.fieldname in SEARCH_FIELDS:
        return (node.text,)
    if isinstance(node, wq.Phrase) and node.fieldname in SEARCH_FIELDS and not node.slop > 1:
        return tuple(node.words)
    return None


def _form_query(field: str, form: tuple[str, ...], boost: float) -> wq.Query:
    if len(form) == 1:
        return wq.Term(field, form[0], boost=boost)
    return wq.Phrase(field, list(form), boost=boost)
