"""The shapes of words and queries, defined once for indexing, query reading and highlighting.

>>> import re
>>> re.findall(WORD_PATTERN, "ISIS/Da’esh counter-terrorism")
['ISIS', 'Da’esh', 'counter', 'terrorism']
>>> re.findall(COMPOUND_PATTERN, "a counter-terrorism unit")
['counter-terrorism']
"""

from __future__ import annotations

import re

# Straight, left and right single quotes, the modifier letter apostrophe and the prime:
# "Da’esh" and "Da'esh" are one word.
APOSTROPHES = frozenset("'\u2018\u2019\u02bc\u2032")
APOSTROPHE_CLASS = "[" + "".join(sorted(APOSTROPHES)) + "]"
# Each apostrophe as the straight one (normalisation).
STRAIGHT_APOSTROPHES = str.maketrans({char: "'" for char in APOSTROPHES if char != "'"})

# Hyphen-minus, hyphen and non-breaking hyphen join the parts of a compound.
HYPHENS = frozenset("-\u2010\u2011")
HYPHEN_CLASS = "[" + "".join(re.escape(hyphen) for hyphen in sorted(HYPHENS)) + "]"

# A word is a run of letters/digits, possibly joined by apostrophes as in "Da’esh" or
# "That’d". Hyphens, slashes and dashes split words: "counter-terrorism" is two tokens.
WORD_PATTERN = rf"\w+(?:{APOSTROPHE_CLASS}\w+)*"
# The same matches without backtracking (possessive quantifiers), found faster.
FAST_WORD_PATTERN = rf"\w++(?:{APOSTROPHE_CLASS}\w++)*+"
# Words joined by hyphens, as the tokenizer also indexes them joined ("counterterrorism").
COMPOUND_PATTERN = rf"{WORD_PATTERN}(?:{HYPHEN_CLASS}{WORD_PATTERN})+"

# Words with a meaning in the query language when written in capitals.
OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})

# Combining marks that belong inside a word: Latin accents written apart (NFD text) and
# Arabic harakat, shadda, sukun, dagger alef and Quranic marks. ``\w`` does not match them,
# so without these a vowelled Arabic word (كِتَابٌ) would split at every mark.
WORD_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
MARKED_WORD_PATTERN = rf"[\w{WORD_MARKS}]+(?:{APOSTROPHE_CLASS}[\w{WORD_MARKS}]+)*"
