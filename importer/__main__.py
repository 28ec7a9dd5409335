"""``python -m importer``: the import-releases command."""

from importer.cli import main

main()
