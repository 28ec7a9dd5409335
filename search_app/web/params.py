"""Read and validate search parameters from a query string."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from werkzeug.datastructures import MultiDict

from search_app.service.contract import INTERVALS, SORTS, SearchRequest

MAX_PER_PAGE = 100
MAX_PAGE = 1000
MAX_FILTER_VALUES = 20
# Only the first 500 characters of a query are searched (query_reading says so in the
# warnings); the rest is dropped here, so a pasted page is not echoed in every link.
MAX_QUERY_TEXT = 2_000
SCALARS = ("q", "page", "per_page", "sort", "from", "to", "verbatim", "interval")
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# How each value must be written, and what to say when it is not.
PLAIN = {
    "page": (r"[0-9]+", "page must be a whole number"),
    "per_page": (r"[0-9]+", "per_page must be a whole number"),
    "sort": (r".+", f"sort must be one of {', '.join(SORTS)}"),
    "from": (ISO_DATE, "from must be a date as YYYY-MM-DD"),
    "to": (ISO_DATE, "to must be a date as YYYY-MM-DD"),
    "verbatim": (r"[01]", "verbatim must be 0 or 1"),
    "interval": (".+", f"interval must be one of {', '.join(INTERVALS)}"),
}


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


def search_request(
    args: MultiDict[str, str], filter_names: Iterable[str], *, strict: bool = False
) -> SearchRequest:
    """Build a :class:`SearchRequest` from query-string ``args`` or raise :class:`BadParameter`.

    The page forgives what the API (``strict``) does not: see :func:`check_strictly`.
    """
    filter_names = list(filter_names)
    if strict:
        check_strictly(args, filter_names)
    sort = args.get("sort", "").strip() or None
    if sort is not None and sort not in SORTS:
        raise BadParameter("sort", f"sort must be one of {', '.join(SORTS)}, got {sort[:40]!r}.")
    interval = args.get("interval", "").strip() or None
    if interval is not None and interval not in INTERVALS:
        raise BadParameter(
            "interval", f"interval must be one of {', '.join(INTERVALS)}, got {interval[:40]!r}."
        )
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
        q=args.get("q", "")[:MAX_QUERY_TEXT],
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", 10, 1, MAX_PER_PAGE),
        sort=sort,
        date_from=date_from,
        date_to=date_to,
        filters=filters,
        verbatim=args.get("verbatim", "").strip() == "1",
        interval=interval,
    )


def check_strictly(args: MultiDict[str, str], filter_names: Iterable[str]) -> None:
    """Raise :class:`BadParameter` for what the search page forgives but the API's contract does not.

    That is a parameter given twice or given empty (``q`` may be empty), a number or date not
    written plainly (`` 5``, ``1_0``, ``20180101``), and more filter values than allowed even
    when some repeat or are empty.
    """
    for name in SCALARS:
        values = args.getlist(name)
        if len(values) > 1:
            raise BadParameter(name, f"{name} must be given once, got it {len(values)} times.")
        if name in PLAIN and values and not re.fullmatch(PLAIN[name][0], values[0], re.ASCII):
            raise BadParameter(name, f"{PLAIN[name][1]}, got {values[0][:40]!r}.")
    for name in filter_names:
        if len(args.getlist(name)) > MAX_FILTER_VALUES:
            raise BadParameter(name, f"at most {MAX_FILTER_VALUES} values of {name} at once.")
