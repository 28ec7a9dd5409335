"""Column types of our own, for the schema's list fields."""

from __future__ import annotations

from whoosh.columns import VarBytesListColumn


class KeywordListColumn(VarBytesListColumn):
    """Whoosh's list column, with an empty list for segments that have no values.

    Whoosh's own class lacks the default (its private ``_default``, checked against
    whoosh-reloaded 2.7.5), so facets fail on any segment where the field never occurs
    (e.g. after an incremental run adds releases without tags).
    """

    _default = ()
