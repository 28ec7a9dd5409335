"""Which paths machines read (the API and the feed): JSON errors, CORS and validators there."""

from __future__ import annotations

import re

# The same rule as :func:`is_machine_path`, as a regular expression (for flask-cors); ``(?s)``:
# an API path with a newline in it (``/api/releases/a%0Ab``) is still the API's.
MACHINE_PATHS = r"(?s)^/api(/.*)?$|^/feed\.atom$"
_MACHINE_PATHS_RE = re.compile(MACHINE_PATHS)


def is_machine_path(path: str) -> bool:
    """Tell whether ``path`` is the API's or the feed's, not a page for people.

    >>> [is_machine_path(p) for p in ("/api", "/api/search", "/feed.atom", "/", "/apiary")]
    [True, True, True, False, False]
    """
    return _MACHINE_PATHS_RE.match(path) is not None
