"""Release Search indexer: corpus files in, a Whoosh index on disk out."""

from indexer.build import ReindexSummary, StrictStop, reindex
from indexer.corpus import Corpus, CorpusNotFound, load_corpus
from indexer.records import RecordError, ReleaseRecord
from indexer.store import IndexLocked, IndexMissing, IndexStore

__all__ = [
    "Corpus",
    "CorpusNotFound",
    "IndexLocked",
    "IndexMissing",
    "IndexStore",
    "RecordError",
    "ReindexSummary",
    "ReleaseRecord",
    "StrictStop",
    "load_corpus",
    "reindex",
]
