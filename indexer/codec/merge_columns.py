"""Merge the per-document columns of a fresh build's runs: stored fields, field lengths
and the values facets and sorting read, document after document.

Uses Whoosh's column readers and writers and the per-document writer's private
methods: checked against whoosh-reloaded 2.7.5 (:data:`indexer.codec.WHOOSH_VERSION`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3Segment
from whoosh.columns import Column, VarBytesColumn
from whoosh.fields import Schema
from whoosh.filedb.compound import CompoundStorage

from indexer.codec.postings_writer import BuildCodec

_STORED_COLUMN = "_stored"


class RunParts(NamedTuple):
    """One run being merged: its compound file's parts, and its first document."""

    parts: CompoundStorage
    segment: W3Segment
    docbase: int

    def part(self, extension: str) -> Any:
        return self.parts.open_file(self.segment.make_filename(extension))

    def part_length(self, extension: str) -> int:
        return int(self.parts.file_length(self.segment.make_filename(extension)))


def _column_type(schema: Schema, name: str) -> Column:
    if name == _STORED_COLUMN:
        return VarBytesColumn()  # the compressed bytes, copied as they are
    if name.startswith("_") and name.endswith("_len"):
        return LENGTHS_COLUMN
    field = schema[name] if name in schema else None
    if field is None or field.column_type is None:
        raise ValueError(f"cannot merge column {name!r}: no such column in the schema")
    column: Column = field.column_type
    return column


def _column_names(source: RunParts) -> list[str]:
    prefix, suffix = source.segment.make_filename("."), W3Codec.COLUMN_EXT
    return [
        name[len(prefix) : -len(suffix)]
        for name in source.parts.list()
        if name.startswith(prefix) and name.endswith(suffix)
    ]


def _raw_stored_add(perdoc: Any) -> Any:
    """Return the stored fields column's ``add``, taking bytes compressed already: the
    writer made it a pickling and compressing column around a plain bytes column."""
    plain = perdoc._get_column(_STORED_COLUMN)._child
    return lambda docnum, value: VarBytesColumn.Writer.add(plain, docnum, value)


def _new_column(perdoc: Any, name: str, column: Column) -> Any:
    perdoc._create_column(name, column)
    return perdoc._get_column(name).add


def merge_columns(
    codec: BuildCodec, storage: Any, schema: Schema, merged: W3Segment, sources: list[RunParts], total: int
) -> None:
    """Copy every column value of every document, and sum the field lengths."""
    perdoc = codec.per_document_writer(storage, merged)
    names = sorted({name for source in sources for name in _column_names(source)})
    for name in names:
        column = _column_type(schema, name)
        add = _raw_stored_add(perdoc) if name == _STORED_COLUMN else _new_column(perdoc, name, column)
        for source in sources:
            extension = "." + name + W3Codec.COLUMN_EXT
            if not source.parts.file_exists(source.segment.make_filename(extension)):
                continue
            count = source.segment.doc_count_all()
            reader = column.reader(source.part(extension), 0, source.part_length(extension), count)
            docbase = source.docbase
            for docnum, value in enumerate(reader):
                add(docbase + docnum, value)
    lengths: dict[str, int] = {}
    for source in sources:
        for field, length in source.segment._fieldlengths.items():
            lengths[field] = lengths.get(field, 0) + length
    perdoc._fieldlengths = lengths
    perdoc._doccount = total
    perdoc.close()
