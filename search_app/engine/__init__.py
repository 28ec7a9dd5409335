"""The engine parts the search service drives: reading queries, array matching and BM25F
scoring, per-generation columns, proximity, highlighting, did-you-mean, completions and
name variants. Whoosh's on-disk format and private API stay in :mod:`indexer.codec`."""
