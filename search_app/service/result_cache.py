"""The last few results of one index generation, for the searches people repeat."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from search_app.service.contract import SearchResult


class ResultCache:
    """The last few results of one generation, for the searches people repeat (a small LRU)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, SearchResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> SearchResult | None:
        with self._lock:
            result = self._items.get(key)
            if result is not None:
                self._items.move_to_end(key)
            return result

    def put(self, key: Any, result: SearchResult) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = result
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
