"""Whoosh's postings of text fields, made from tokens with NumPy.

The analyzer gives each token a term id and a position
(:meth:`~indexer.analysis.WordAnalyzer.word_tokens`); :func:`group_postings` makes
them into one posting per term and document, its positions encoded byte for byte as
Whoosh's ``Positions`` format encodes them (:func:`encode_positions`), for many
documents at a time.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from indexer.codec.layout import GAPS_PICKLE_START, encode_positions, once_encoded

TermIds = npt.NDArray[np.int32]
Numbers = npt.NDArray[np.int32]
# Encoded positions (Whoosh's ``Positions`` values, bytes), one per posting.
Values = npt.NDArray[np.object_]
# Postings grouped from tokens: term ids (see :func:`indexer.analysis.term_text`),
# document numbers, numbers of positions and encoded positions, by term id, then
# document; and the positions themselves, posting after posting.
Postings = tuple[TermIds, Numbers, npt.NDArray[np.int64], Values, Numbers]


def group_postings(term_ids: TermIds, docnums: Numbers, positions: Numbers) -> Postings:
    """Make postings of tokens given in document order, then token order: one per term
    and document, with its positions encoded as :func:`encode_positions` encodes them."""
    if not len(term_ids):
        return term_ids, docnums, np.zeros(0, np.int64), np.empty(0, object), positions
    order = ascending_by_term(term_ids)
    term_ids, docnums, positions = term_ids[order], docnums[order], positions[order]
    starts = np.flatnonzero(
        np.concatenate(([True], (term_ids[1:] != term_ids[:-1]) | (docnums[1:] != docnums[:-1])))
    )
    counts = np.diff(starts, append=len(term_ids))
    single = counts == 1
    values = np.empty(len(counts), object)
    values[single] = once_encoded(positions[starts[single]])
    if not single.all():
        several = ~single
        gaps = np.diff(positions, prepend=0).astype(np.int64)
        gaps[starts] = positions[starts]
        values[several] = _encode_gap_lists(counts[several], gaps[np.repeat(several, counts)])
    return term_ids[starts], docnums[starts], counts, values, positions


def ascending_by_term(term_ids: TermIds) -> npt.NDArray[np.int64]:
    """Return the order that sorts ``term_ids`` and keeps equal ones in their order (as a
    stable sort does): each id (below 2**31) with its place makes a unique key; sorting
    the keys themselves (NumPy's vectorised sort) and keeping their places takes about a
    third of an ``argsort``'s time."""
    places = np.arange(len(term_ids), dtype=np.int64)
    keys = np.sort((term_ids.astype(np.int64) << 32) | places)
    keys &= 0xFFFFFFFF
    return keys


def _interleave(values: list[bytes], first: npt.NDArray[np.bool_]) -> list[bytes]:
    """Put back in order values listed as those where ``first`` holds, then the others."""
    firsts = np.cumsum(first) - 1
    others = int(np.count_nonzero(first)) + np.cumsum(~first) - 1
    return list(map(values.__getitem__, np.where(first, firsts, others).tolist()))


# pickle.dumps(gaps, 2) of a list of 2 to 1000 small ints: a list stored in memo 0, a
# mark, one opcode per int (K: one byte, M: two, J: four), APPENDS and STOP.
_LIST_HEAD = np.frombuffer(GAPS_PICKLE_START + b"q\x00(", np.uint8)
_PICKLE_BATCH = 1000
_INT_OPCODES = np.frombuffer(b"KMJ", np.uint8)


def _encode_gap_lists(counts: npt.NDArray[np.int64], gaps: npt.NDArray[np.int64]) -> list[bytes]:
    """Encode position lists of ``counts`` gaps each (all > 1, gaps below 2**31) at once,
    byte for byte as :func:`encode_positions`."""
    batched = counts <= _PICKLE_BATCH
    if not batched.all():  # longer lists, which pickle writes in batches: one at a time
        runs = np.split(gaps, np.cumsum(counts)[:-1])
        short = [run for run, fits in zip(runs, batched.tolist(), strict=True) if fits]
        long = [encode_positions(np.cumsum(run).tolist()) for run in runs if len(run) > _PICKLE_BATCH]
        encoded = _encode_gap_lists(counts[batched], np.concatenate(short)) if short else []
        return _interleave(encoded + long, batched)
    postings = len(counts)
    kind = (gaps >= 1 << 8).astype(np.int64) + (gaps >= 1 << 16)  # 0: K, 1: M, 2: J
    sizes = 2 + kind + (kind == 2)
    group = np.repeat(np.arange(postings), counts)
    # Each value: count (4 bytes), list head (6), the ints, then "e." (2).
    item_at = np.cumsum(sizes) - sizes + 12 * group + 10
    lengths = np.add.reduceat(sizes, np.cumsum(counts) - counts) + 12
    ends = np.cumsum(lengths)
    begins = ends - lengths
    buffer = np.empty(int(ends[-1]), np.uint8)
    head = np.empty((postings, 10), np.uint8)
    head[:, :4] = counts.astype(">u4").view(np.uint8).reshape(postings, 4)
    head[:, 4:] = _LIST_HEAD
    buffer[(begins[:, None] + np.arange(10)).ravel()] = head.ravel()
    buffer[item_at] = _INT_OPCODES[kind]
    little = gaps.astype("<u4").view(np.uint8).reshape(-1, 4)
    buffer[item_at + 1] = little[:, 0]
    wide = kind > 0
    buffer[item_at[wide] + 2] = little[wide, 1]
    widest = kind == 2
    buffer[item_at[widest] + 3] = little[widest, 2]
    buffer[item_at[widest] + 4] = little[widest, 3]
    buffer[ends - 2] = ord("e")
    buffer[ends - 1] = ord(".")
    data = buffer.tobytes()
    return [data[begin:end] for begin, end in zip(begins.tolist(), ends.tolist(), strict=True)]
