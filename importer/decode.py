"""Bytes of a web page to text: the encoding from a BOM, the header, ``<meta>``, or a guess."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)",
    re.IGNORECASE,
)
# Browsers read these labels as windows-1252 (WHATWG Encoding Standard), and so do we:
# pages labelled Latin-1 routinely hold curly quotes from 0x80-0x9f.
_AS_WINDOWS_1252 = {"iso8859-1", "latin-1", "ascii", "us-ascii", "iso-8859-1", "latin1", "l1", "cp819"}


def charset_label(content_type: str | None) -> str | None:
    """Return the ``charset`` of a Content-Type header, if any.

    >>> charset_label("text/html; charset=Windows-1256")
    'Windows-1256'
    """
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _AS_WINDOWS_1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def sniff_encoding(body: bytes, content_type: str | None = None) -> str:
    """Return the codec to read ``body`` with, in the order browsers use.

    A byte-order mark wins, then the Content-Type header, then a ``<meta>``
    charset in the first 4 KB, then UTF-8 if the bytes are valid UTF-8, then a
    statistical guess (charset-normalizer).

    >>> sniff_encoding(b'<meta charset="windows-1256"><p>\\xc7</p>')
    'cp1256'
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    declared = _codec(charset_label(content_type))
    if declared:
        return declared
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        declared = _codec(meta.group(1).decode("ascii", "replace"))
        # A page that says UTF-16 in a <meta> it could be read in is not UTF-16.
        if declared and not declared.startswith("utf-16"):
            return declared
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(body[:65536]).best()
        return _codec(best.encoding) or "cp1252" if best else "cp1252"
    return "utf-8"


def decode_page(body: bytes, content_type: str | None = None) -> str:
    """Return the text of a page, its BOM dropped and undecodable bytes replaced."""
    encoding = sniff_encoding(body, content_type)
    for bom, name in _BOMS:
        if encoding == name and body.startswith(bom):
            body = body[len(bom) :]
    return body.decode(encoding, errors="replace")
