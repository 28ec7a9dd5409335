"""Read and validate search parameters from a query string."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from werkzeug.datastructures import MultiDict

from search_app.contract import SORTS, SearchRequest

MAX_PER_PAGE = 100
MAX_PAGE = 1000
MAX_FILTER_VALUES = 20


class BadParameter(ValueError):
    """A request parameter that cannot be used; names the parameter."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def _int(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, f"{name} must be a whole number, got {raw[:40]!r}.") from None
    if not low <= value <= high:
        raise BadParameter(name, f"{name} must be between {low} and {high}, got {value}.")
    return value


def _date(args: MultiDict[str, str], name: str) -> dt.date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(name, f"{name} must be a date as YYYY-MM-DD, got {raw[:40]!r}.") from None


def search_request(args: MultiDict[str, str], filter_names: Iterable[str]) -> SearchRequest:
    """Build a :class:`SearchRequest` from query-string ``args`` or raise :class:`BadParameter`."""
    sort = args.get("sort", "").strip() or None
    if sort is not None and sort not in SORTS:
        raise BadParameter("sort", f"sort must be one of {', '.join(SORTS)}, got {sort[:40]!r}.")
    date_from, date_to = _date(args, "from"), _date(args, "to")
    if date_from and date_to and date_from > date_to:
        raise BadParameter("from", "from must not be after to.")
    filters: dict[str, tuple[str, ...]] = {}
    for name in filter_names:
        values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        if len(values) > MAX_FILTER_VALUES:
            raise BadParameter(name, f"at most {MAX_FILTER_VALUES} values of {name} at once.")
        if values:
            filters[name] = values
    return SearchRequest(
        q=args.get("q", ""),
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", 10, 1, MAX_PER_PAGE),
        sort=sort,
        date_from=date_from,
        date_to=date_to,
        filters=filters,
    )
