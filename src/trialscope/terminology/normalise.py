"""Token normalisation shared by the vocabulary build and the tagger.

Both sides go through the same function, so a rule only has to map variants onto the same
key, not onto a real English word: "metastasis" and "metastases" both become "metastas",
"tumours" becomes "tumor", "Sjögren's" becomes "sjogren".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

# A token is a run of letters/digits (with an optional possessive 's, dropped) or a "+",
# which reads as "positive" ("HER2+").
_TOKEN = re.compile(r"[^\W_]+(?:['’`]s\b)?|\+")
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "τ": "tau",
    "ω": "omega",
}
_GREEK_TABLE = str.maketrans(_GREEK)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}
# roman numerals are folded only after these words ("type II", "stage IV"): alone, "i" and
# "iv" are a pronoun and "intravenous"
_NUMBERED = frozenset({"type", "stage", "grade", "class", "phase", "group"})
# words where a final "s", "ss" or "us" is not a plural ending
_KEEP_S = ("ss", "us", "is")


class Token(NamedTuple):
    key: str  # normalised form
    raw: str  # as written
    start: int
    end: int


# letters whose case pair folds differently from themselves
_CASE_ODDITIES = str.maketrans({"ı": "i", "\u0345": "ι"})


def fold(text: str) -> str:
    """Lower case, Greek letters spelt out, accents removed."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered
    lowered = lowered.translate(_GREEK_TABLE)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _singular(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sis"):  # metastasis → metastas (matches metastases below)
        return word[:-2]
    if word.endswith("ses"):  # metastases, diseases, viruses
        return word[:-2]
    if word.endswith("se"):  # disease → diseas (matches diseases)
        return word[:-1]
    if word.endswith(("xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("ae"):  # vertebrae
        return word[:-1]
    if word.endswith("s") and not word.endswith(_KEEP_S):
        return word[:-1]
    return word


def _us_spelling(word: str) -> str:
    """British → US spelling for the patterns medical text has: tumour, leukaemia, oedema."""
    if word.endswith("our") and len(word) > 4:
        word = word[:-3] + "or"
    if "ae" in word:
        word = word.replace("ae", "e")
    if "oe" in word:  # oesophagus, diarrhoea; not toe, shoe
        word = (
            word[:-2].replace("oe", "e") + "oe" if word.endswith("oe") else word.replace("oe", "e")
        )
    return word


@lru_cache(maxsize=1 << 16)  # words repeat: notes and vocabulary share most of them
def normalise_word(word: str) -> str:
    """One token's key (no context rules)."""
    if word == "+":
        return "positive"
    folded = fold(word)
    if folded.endswith(("'s", "’s", "`s")):
        folded = folded[:-2]
    return _us_spelling(_singular(folded))


def tokens(text: str) -> Iterator[Token]:
    """The text's tokens with their normalised keys and character spans."""
    previous = ""
    for match in _TOKEN.finditer(text):
        raw = match.group()
        key = normalise_word(raw)
        if previous in _NUMBERED and key in _ROMAN:
            key = _ROMAN[key]
        previous = key
        yield Token(key, raw, match.start(), match.end())


def phrase_key(text: str) -> str:
    """A whole phrase's lookup key: its token keys joined by single spaces.

    The text is folded before it is split, so that case changes which add or drop
    combining marks ("ǰ".upper() is "J" + caron) cannot move a token boundary."""
    folded = fold(text.translate(_CASE_ODDITIES))
    return " ".join(t.key for t in tokens(folded))


def uninvert(term: str) -> str:
    """MeSH's inverted headings read naturally: "Leukemia, Myeloid, Acute" → "Acute Myeloid
    Leukemia". Parts that look like qualifiers of a name ("Diabetes Mellitus, Type 2")
    are still moved in front, which is also how people write them."""
    if ", " not in term or "(" in term:
        return term
    return " ".join(reversed([part.strip() for part in term.split(", ")]))
