"""Release languages: ISO 639-1 codes, their names and writing direction, and detection.

A release's language comes from its record (``lang`` in front matter or JSON Lines,
``<html lang>``, a feed's language); without one it is detected from the text with
py3langid (langid.py's model, shipped inside the package: no download at run time).
Measured on the multilingual fixtures and 2,000 DOJ releases (bench notes in CHANGES.md):
no error on 300 characters, about 1 ms a text; lingua (low accuracy mode) was as right
and 15 times slower. Texts too short to tell, or read with little confidence, take the
corpus default (``$RELEASE_SEARCH_DEFAULT_LANG``, default ``en``).

>>> language_code("fr-FR"), language_code("AR"), language_code("english")
('fr', 'ar', None)
>>> text_direction("ar"), text_direction("fr")
('rtl', 'ltr')
"""

from __future__ import annotations

import os
import re
from typing import Any

DEFAULT_LANG_ENV = "RELEASE_SEARCH_DEFAULT_LANG"
DEFAULT_LANGUAGE = "en"

# Names shown in the language facet: in English, and in the language itself.
LANGUAGE_NAMES = {
    "ar": ("Arabic", "العربية"),
    "da": ("Danish", "Dansk"),
    "de": ("German", "Deutsch"),
    "en": ("English", "English"),
    "es": ("Spanish", "Español"),
    "fa": ("Persian", "فارسی"),
    "fi": ("Finnish", "Suomi"),
    "fr": ("French", "Français"),
    "he": ("Hebrew", "עברית"),
    "hu": ("Hungarian", "Magyar"),
    "it": ("Italian", "Italiano"),
    "ku": ("Kurdish", "Kurdî"),
    "nl": ("Dutch", "Nederlands"),
    "no": ("Norwegian", "Norsk"),
    "pt": ("Portuguese", "Português"),
    "ro": ("Romanian", "Română"),
    "ru": ("Russian", "Русский"),
    "sv": ("Swedish", "Svenska"),
    "tr": ("Turkish", "Türkçe"),
    "ur": ("Urdu", "اردو"),
}
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur", "ps", "sd", "yi", "dv", "ug"})

# Languages NLTK's Snowball stems (besides English and Arabic, which have their own chains).
SNOWBALL_LANGUAGES = {
    "da": "danish",
    "de": "german",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
}

_CODE = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*$")
# Fewer letters than this and detection is a guess: the default is taken.
MIN_LETTERS = 40
# Characters of a text the detector reads (its opening: title and first lines).
DETECT_CHARS = 300
# Below this probability (normalised over the model's languages) the default is taken.
MIN_CONFIDENCE = 0.8


def language_code(value: object) -> str | None:
    """Return the ISO 639-1 code of a language tag ("fr", "fr-FR", "ar_SY"), else None."""
    if not isinstance(value, str):
        return None
    match = _CODE.match(value.strip())
    return match.group(1).lower() if match else None


def default_language() -> str:
    """Return the corpus default language (``$RELEASE_SEARCH_DEFAULT_LANG``, default ``en``)."""
    return language_code(os.environ.get(DEFAULT_LANG_ENV, "")) or DEFAULT_LANGUAGE


def text_direction(lang: str | None) -> str:
    """Return ``rtl`` for a language written right to left, else ``ltr``."""
    return "rtl" if lang in RIGHT_TO_LEFT else "ltr"


def language_label(lang: str) -> str:
    """Return how the language facet names ``lang``: "Arabic (العربية)", "English"."""
    english, own = LANGUAGE_NAMES.get(lang, (lang, lang))
    return english if english == own else f"{english} ({own})"


def detect_language(text: str, default: str | None = None) -> str:
    """Return the language ``text`` is written in, or the default when it is too short to tell."""
    fallback = default or default_language()
    sample = text[:DETECT_CHARS]
    if sum(map(str.isalpha, sample)) < MIN_LETTERS:
        return fallback
    if plainly_english(sample):
        return "en"
    lang, confidence = _identifier().classify(sample)
    return str(lang) if confidence >= MIN_CONFIDENCE else fallback


# Common English function words (not "in", "on", "was": German and French have them too):
# a tenth or more of the words of an English opening, a few of a French or German one.
_ENGLISH_WORDS = frozenset(
    "the of and to for that with by is as at from has have be are this said which its an".split()
)
_ASCII_WORD = re.compile(r"[A-Za-z]+")
ENGLISH_SHARE = 0.1


def plainly_english(sample: str) -> bool:
    """Tell whether a text's opening is plainly English: ASCII letters only, a tenth of its
    words or more English function words. Such texts skip the model: 12,267 of the 12,694
    DOJ releases, where it agreed with the model on all but one (which the model took
    for Nigerian Pidgin)."""
    words = _ASCII_WORD.findall(sample)
    if not sample.isascii() and sum(map(len, words)) < sum(map(str.isalpha, sample)):
        return False  # a letter outside ASCII: é, ß or another script
    common = sum(map(_ENGLISH_WORDS.__contains__, map(str.lower, words)))
    return len(words) > 0 and common >= ENGLISH_SHARE * len(words)


_IDENTIFIER: Any = None


def forget_model() -> None:
    """Let go of the detection model (about 116 MB), before a build forks its writers."""
    global _IDENTIFIER
    _IDENTIFIER = None


def _identifier() -> Any:
    # Loaded when first needed (the model takes a quarter of a second to read).
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER
