"""Name variants (Raqqa / Raqqah, Daesh / ISIS / Da'esh), applied at query time.

The variants file holds one group per line, names separated by commas; ``#``
starts a comment. The file is re-read when it changes, so edits need no reindex.
A group may mix scripts and languages (Daesh, Daech, داعش): each name is analysed in
the language of the field it is looked for in, so ``Daech`` finds داعش in Arabic releases.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from whoosh import query as wq

from indexer.analysis import stemming_analyzer
from indexer.language_analysis import LanguageAnalyzer
from indexer.schema import FIELDS_LANGUAGE, field_language

SEARCH_FIELDS = ("title", "body", "extra_text")

_analyzer = stemming_analyzer()


def _stems(name: str, lang: str = FIELDS_LANGUAGE) -> tuple[str, ...]:
    analyzer = _analyzer if lang == FIELDS_LANGUAGE else LanguageAnalyzer(stem=True, lang=lang)
    return tuple(token.text for token in analyzer(name, mode="query"))


def _searched_language(field: str) -> str | None:
    """Return the language a searched field is analysed in, else None (not searched)."""
    if field in SEARCH_FIELDS:
        return FIELDS_LANGUAGE
    lang = field_language(field)
    return lang if lang and not field.endswith("_exact") else None


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
        self._groups: list[VariantGroup] = []
        # The groups' forms in each other language: lang -> (form -> groups, forms by group)
        self._by_language: dict[str, tuple[_FormIndex, dict[int, tuple[tuple[str, ...], ...]]]] = {}
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
            self._by_form, self._groups, self._by_language = by_form, groups, {}
            self._stamp = stamp

    def _language_forms(self, lang: str) -> tuple[_FormIndex, dict[int, tuple[tuple[str, ...], ...]]]:
        """Return the groups' names analysed in ``lang``, indexed by form (made on first use)."""
        found = self._by_language.get(lang)
        if found is None:
            by_form: _FormIndex = {}
            forms_of: dict[int, tuple[tuple[str, ...], ...]] = {}
            for group in self._groups:
                forms = tuple(_stems(name, lang) for name in group.names)
                forms_of[id(group)] = forms
                for position, form in enumerate(forms):
                    if form:
                        by_form.setdefault(form, []).append((group, position))
            found = self._by_language[lang] = (by_form, forms_of)
        return found

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
            lang = _searched_language(node.fieldname)
            by_form, forms_of = (
                (self._by_form, None) if lang == FIELDS_LANGUAGE else self._language_forms(str(lang))
            )
            alternatives: list[wq.Query] = [node]
            for group, position in by_form.get(form, []):
                forms = group.forms if forms_of is None else forms_of[id(group)]
                for index, (name, other) in enumerate(zip(group.names, forms, strict=True)):
                    if index != position and other and other != form:
                        alternatives.append(_form_query(node.fieldname, other, node.boost))
                        added.append(name)
            return wq.Or(alternatives) if len(alternatives) > 1 else node

        expanded = visit(query)
        return expanded, list(dict.fromkeys(added))


_FormIndex = dict[tuple[str, ...], list[tuple[VariantGroup, int]]]


def _form_of(node: wq.Query) -> tuple[str, ...] | None:
    """Return the analysed words of a plain term or phrase in a searched field."""
    searched = isinstance(node, wq.Term | wq.Phrase) and _searched_language(node.fieldname) is not None
    if isinstance(node, wq.Term) and searched:
        return (node.text,)
    if isinstance(node, wq.Phrase) and searched and not node.slop > 1:
        return tuple(node.words)
    return None


def _form_query(field: str, form: tuple[str, ...], boost: float) -> wq.Query:
    if len(form) == 1:
        return wq.Term(field, form[0], boost=boost)
    return wq.Phrase(field, list(form), boost=boost)
