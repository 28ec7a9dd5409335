"""Arabic words: orthographic normalisation, and the stemmers compared (light10, ISRI, Snowball).

Normalisation (Lucene's ``ArabicNormalizer``, plus the hamza seats ؤ and ئ, as the judged
queries fold them): alef with hamza or madda and alef wasla to bare alef, alef maksura
to ya, ta marbuta to ha, tatweel and every diacritic (harakat, shadda, sukun) removed.

>>> normalize_arabic("كِتَابٌ")
'كتاب'
>>> normalize_arabic("أحمد") == normalize_arabic("احمد")
True
>>> light10_stem(normalize_arabic("والرياض")), light10_stem(normalize_arabic("بالرياض"))
('رياض', 'رياض')
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nltk.stem.isri import ISRIStemmer
    from nltk.stem.snowball import SnowballStemmer

# Alef forms, ya and ta marbuta, hamza seats (a hamza seat is its letter without the hamza).
_LETTERS = str.maketrans(
    {
        "\u0622": "\u0627",  # آ
        "\u0623": "\u0627",  # أ
        "\u0625": "\u0627",  # إ
        "\u0671": "\u0627",  # ٱ
        "\u0649": "\u064a",  # ى
        "\u0629": "\u0647",  # ة
        "\u0624": "\u0648",  # ؤ
        "\u0626": "\u064a",  # ئ
        "\u0640": None,  # tatweel
    }
)

# Lucene's ArabicStemmer (Larkey, Ballesteros and Connell's light10): at most one prefix,
# then each suffix once, in this order; a stem keeps at least two letters.
PREFIXES = ("ال", "وال", "بال", "كال", "فال", "لل", "و")
SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")

# Common function words (normalised): prepositions, pronouns, particles. Dropped from
# the stemmed fields as the English stop words are.
STOP_WORDS = frozenset(
    {
        "في",
        "من",
        "علي",
        "الي",
        "عن",
        "ان",
        "او",
        "ثم",
        "قد",
        "لا",
        "لم",
        "لن",
        "ما",
        "مع",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "التي",
        "الذي",
        "الذين",
        "هو",
        "هي",
        "هم",
        "كان",
        "كانت",
        "كما",
        "بين",
        "حتي",
        "عند",
        "كل",
        "وقد",
        "فيه",
        "فيها",
        "منذ",
        "به",
        "بها",
        "له",
        "لها",
        "و",
        "ب",
        "ل",
        "ف",
    }
)


def normalize_arabic(word: str) -> str:
    """Return ``word`` with Arabic letter variants unified and its diacritics removed."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def light10_stem(word: str) -> str:
    """Strip one clitic prefix and the common suffixes of a normalised Arabic word."""
    for prefix in PREFIXES:
        if _starts_with(word, prefix):
            word = word[len(prefix) :]
            break
    for suffix in SUFFIXES:
        if len(word) >= len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
    return word


def _starts_with(word: str, prefix: str) -> bool:
    if len(prefix) == 1 and len(word) < 4:
        return False
    return len(word) >= len(prefix) + 2 and word.startswith(prefix)


@cache
def _isri() -> ISRIStemmer:
    # Imported when first needed, as indexer.words does: importing NLTK takes 0.3 s.
    from nltk.stem.isri import ISRIStemmer

    return ISRIStemmer()


@cache
def _snowball() -> SnowballStemmer:
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("arabic")


def isri_stem(word: str) -> str:
    """Stem with NLTK's ISRI root stemmer (compared in bench/relevance.py; not the default)."""
    return str(_isri().stem(word))


def snowball_arabic_stem(word: str) -> str:
    """Stem with NLTK's Snowball Arabic stemmer (compared in bench/relevance.py; not the default)."""
    return str(_snowball().stem(word)) or word


# The stemmers bench/relevance.py compares; Snowball scored best (see indexer/language_words.py).
ARABIC_STEMMERS = {"light10": light10_stem, "isri": isri_stem, "snowball": snowball_arabic_stem}
