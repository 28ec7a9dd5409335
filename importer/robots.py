"""robots.txt: what a site lets us fetch, and how slowly (protego)."""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

# The product token robots.txt groups are matched against (``User-agent: release-search``).
ROBOTS_TOKEN = "release-search"


@dataclass(frozen=True)
class RobotsRules:
    """A site's robots.txt as read once at the start of an import."""

    parser: Protego | None  # None: everything allowed
    disallow_all: bool = False

    @classmethod
    def from_response(cls, status: int | None, text: str) -> RobotsRules:
        """Read robots.txt as RFC 9309 says: 2xx rules apply, 4xx means no rules, and a
        server error (or no answer) means nothing may be fetched."""
        if status is None or status >= 500:
            return cls(None, disallow_all=True)
        if status >= 400 or not text.strip():
            return cls(None)
        return cls(Protego.parse(text))

    def allows(self, url: str) -> bool:
        """Tell whether ``url`` may be fetched."""
        if self.disallow_all:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, ROBOTS_TOKEN))

    def crawl_delay(self) -> float:
        """Return the Crawl-delay asked of us, in seconds (0 when none)."""
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(ROBOTS_TOKEN)
        return float(delay) if delay else 0.0

    def sitemaps(self) -> list[str]:
        """Return the sitemaps robots.txt names."""
        return list(self.parser.sitemaps) if self.parser is not None else []
