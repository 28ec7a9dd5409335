"""What one word becomes in a language other than English (English: indexer/words.py).

French drops an elided article or pronoun (``l'Église`` is ``eglise``), then every
language folds case and accents; Arabic unifies letter variants and drops diacritics
(indexer/arabic.py). The stemmed form is Snowball's for the languages it knows
(Arabic included), and the folded word itself for any other language.

>>> LanguageForms("fr")["l’Église"], LanguageForms("fr")["jusqu'à"]
(('eglise', 'eglis'), ('a', None))
>>> LanguageForms("ar")["وَالرِّيَاضُ"]
('والرياض', 'رياض')
>>> LanguageForms("xx")["Straße"]
('strasse', 'strasse')
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from whoosh.lang.stopwords import stoplists

from indexer.arabic import STOP_WORDS as ARABIC_STOP_WORDS
from indexer.arabic import normalize_arabic, snowball_arabic_stem
from indexer.languages import SNOWBALL_LANGUAGES
from indexer.word_shapes import STRAIGHT_APOSTROPHES

WordForms = tuple[str, str | None]

# French elided words: the article, pronoun or conjunction before an apostrophe.
FRENCH_ELISIONS = ("l", "d", "j", "qu", "n", "s", "c", "m", "t", "jusqu", "lorsqu", "puisqu", "quoiqu")
ELISIONS = {"fr": frozenset(FRENCH_ELISIONS)}
# Forms remembered per language before starting afresh (bounds a process's memory).
WORD_CACHE_SIZE = 200_000
# Arabic's stemmer: Snowball's, which scored best of light10, ISRI and Snowball on the judged
# queries (bench/relevance.py --arabic-stemmer) and keeps names whole with any prefix.
ARABIC_STEMMER: list[Callable[[str], str]] = [snowball_arabic_stem]


def fold(text: str) -> str:
    """Return ``text`` in NFKC, lower case, with straight apostrophes and no accents."""
    text = unicodedata.normalize("NFKC", text).translate(STRAIGHT_APOSTROPHES).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def strip_elision(word: str, elisions: frozenset[str]) -> str:
    """Drop an elided word before the first apostrophe: ``l'eglise`` is ``eglise``."""
    head, apostrophe, rest = word.partition("'")
    return rest if apostrophe and rest and head in elisions else word


def _stemmer(lang: str) -> Callable[[str], str] | None:
    if lang == "ar":
        return lambda word: ARABIC_STEMMER[0](word)
    if lang in SNOWBALL_LANGUAGES:
        from nltk.stem.snowball import SnowballStemmer

        stemmer = SnowballStemmer(SNOWBALL_LANGUAGES[lang])
        return lambda word: str(stemmer.stem(word))
    return None


class LanguageForms(dict[str, WordForms]):
    """Written word -> (normalised form, stem) in one language, filled on demand.

    An empty normalised form means the word is dropped; the stem is ``None`` for a stop word.
    """

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.elisions = ELISIONS.get(lang, frozenset())
        own = stoplists.get(lang, ())
        self.stop_words = ARABIC_STOP_WORDS if lang == "ar" else frozenset(map(fold, own))
        self.stem = _stemmer(lang)

    def normalize(self, written: str) -> str:
        """Return the comparable (exact-field) form of one written word."""
        word = fold(normalize_arabic(written) if self.lang == "ar" else written)
        if self.elisions:
            word = strip_elision(word, self.elisions)
        return word.strip("'")

    def __missing__(self, written: str) -> WordForms:
        exact = self.normalize(written)
        if not exact or exact in self.stop_words:
            forms: WordForms = (exact, None)
        else:
            forms = (exact, self.stem(exact) if self.stem else exact)
        if len(self) >= WORD_CACHE_SIZE:
            self.clear()
        self[written] = forms
        return forms


_FORMS: dict[str, LanguageForms] = {}


def language_forms(lang: str) -> LanguageForms:
    """Return the (shared, growing) word forms of ``lang``."""
    forms = _FORMS.get(lang)
    if forms is None:
        forms = _FORMS[lang] = LanguageForms(lang)
    return forms


def reset_language_forms() -> None:
    """Forget every language's remembered forms (after switching the Arabic stemmer)."""
    _FORMS.clear()
