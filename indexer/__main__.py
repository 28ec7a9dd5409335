"""Allow ``python -m indexer``: the ``reindex`` command (how it starts itself again, too)."""

from indexer.cli import run

run()
