"""Validate raw field values into the typed values of a release record."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from indexer.languages import language_code
from indexer.records import KNOWN_FIELDS, ExtraValue, RecordError, ReleaseRecord

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# The per-language text fields of the schema (title_fr, body_ar_exact, ...).
LANGUAGE_FIELD = re.compile(r"^(title|body)_[a-z]{2}(_exact)?$")
RESERVED_NAMES = frozenset(KNOWN_FIELDS) | {
    "year",
    "dated",
    "title_exact",
    "body_exact",
    "extra_text",
    "content_hash",
    "source_path",
    "caption_text",
}


class FieldProblem(ValueError):
    """A field value that cannot be used; carries the field's name."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def parse_date(value: Any) -> dt.date | None:
    """Read an ISO 8601 date or datetime (string, date or datetime) as a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise FieldProblem("date", f"expected an ISO 8601 date, got {type(value).__name__}")
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise FieldProblem("date", f"not a valid ISO 8601 date: {text!r}") from None


def _text(name: str, value: Any, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldProblem(name, "missing; every release needs a " + name)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldProblem(name, f"expected text, got {type(value).__name__}")
    return str(value)


def _string_list(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = [part for part in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise FieldProblem(name, f"expected a list of strings, got {type(value).__name__}")
    result = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise FieldProblem(name, f"expected a list of strings, found {type(item).__name__}")
        text = str(item).strip()
        if text:
            result.append(text)
    return tuple(dict.fromkeys(result))


def _extra(name: str, value: Any) -> ExtraValue | None:
    if not FIELD_NAME.match(name) or name in RESERVED_NAMES or LANGUAGE_FIELD.match(name):
        raise FieldProblem(name, "extra field names must be lower-case words and not reserved")
    if value is None:
        return None
    if isinstance(value, list):
        return list(_string_list(name, value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldProblem(name, f"expected text or a list of text, got {type(value).__name__}")
    return str(value)


def _lang(value: Any) -> str | None:
    if value is None or value == "":
        return None
    code = language_code(value)
    if code is None:
        raise FieldProblem(
            "lang", f"expected an ISO 639-1 language code such as 'en' or 'fr-FR', got {value!r}"
        )
    return code


def build_record(data: Mapping[str, Any], *, default_id: str, path: str, line: int | None) -> ReleaseRecord:
    """Turn raw fields into a :class:`ReleaseRecord`, or raise :class:`RecordError`."""
    try:
        record_id = _text("id", data.get("id")) or default_id
        title = _text("title", data.get("title"), required=True)
        assert title is not None
        extra: dict[str, ExtraValue] = {}
        for name, value in data.items():
            if name in KNOWN_FIELDS:
                continue
            converted = _extra(str(name), value)
            if converted not in (None, [], ""):
                assert converted is not None
                extra[str(name)] = converted
        url = _text("url", data.get("url"))
        return ReleaseRecord(
            id=record_id.strip(),
            title=" ".join(title.split()),
            body=(_text("body", data.get("body")) or "").strip(),
            date=parse_date(data.get("date")),
            url=url.strip() if url else None,
            tags=_string_list("tags", data.get("tags")),
            source=_text("source", data.get("source")),
            extra=extra,
            origin=path if line is None else f"{path}:{line}",
            lang=_lang(data.get("lang")),
        )
    except FieldProblem as problem:
        raise RecordError(path, line, problem.field, problem.reason) from None
