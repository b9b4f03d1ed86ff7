"""The setting of a treatment: given for early disease ((neo)adjuvant, perioperative) or
for advanced / metastatic disease (a line of therapy, palliative).

"Previously untreated with any systemic anticancer therapy for their locally advanced or
metastatic disease" is not broken by adjuvant letrozole years before the relapse; it is
by first-line letrozole. A criterion's setting is read from the words around the therapy
it names, a note's from the words of the therapy's clause; a therapy whose setting the
record does not say leaves such a criterion UNKNOWN, with a question, never MET.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from trialscope.criteria import Item, Mention
from trialscope.match.patient import Therapy

Setting = Literal["early", "advanced"]

_EARLY = re.compile(
    r"\b(?:\(neo\)\s*-?\s*adjuvant|neo-?adjuvant|adjuvant|peri-?operative|post-?operative"
    r"|pre-?operative|curative[\s-]intent)\b",
    re.I,
)
_ADVANCED_NOTE = re.compile(
    r"\b(?:first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+line\b|\b[1-4]L\b|\blines?\s+of\b"
    r"|\bpalliative\b|\bfor\s+(?:(?:his|her|their|the)\s+)?(?:recurrent\s+|locally\s+)?"
    r"(?:advanced|metastatic|stage\s+iv|recurrent)\b|\b(?:advanced|metastatic)\s+setting\b",
    re.I,
)
# after the therapy: "for their locally advanced or metastatic disease", "in the metastatic
# setting"; before it: "first-line", "prior ... for advanced disease"
_ADVANCED_AFTER = re.compile(
    r"^[^.;]{0,40}?\b(?:for|in|of)\s+(?:(?:their|the|his|her|this|locally|unresectable|"
    r"recurrent|or|and/or|,|/)\s*)*(?:advanced|metastatic|stage\s+iv)\b"
    r"|^[^.;]{0,40}?\b(?:advanced|metastatic)\s+setting\b",
    re.I,
)
_UNTREATED = re.compile(
    r"\b(?:untreated|treatment[\s-]+na[iï]ve|therapy[\s-]+na[iï]ve|na[iï]ve\s+to|not\s+"
    r"(?:been\s+)?previously\s+treated|never\s+(?:been\s+)?treated|have\s+not\s+been\s+treated"
    r"|has\s+not\s+been\s+treated)\b",
    re.I,
)


def note_setting(text: str) -> Setting | None:
    """The setting a note's clause gives its therapies ("adjuvant letrozole",
    "first-line FOLFOX")."""
    if _EARLY.search(text):
        return "early"
    if _ADVANCED_NOTE.search(text):
        return "advanced"
    return None


def wanted_setting(item: Item, mention: Mention) -> Setting | None:
    """The setting the item asks the therapy about, if it names one."""
    base = item.span[0]
    return _wanted_setting(item.text, mention.span[0] - base, mention.span[1] - base)


# keyed by the words and where the name sits in them: hashing a whole Item (its
# mentions, bounds and windows) for every therapy judged cost more than the regexes
@lru_cache(maxsize=100_000)
def _wanted_setting(text: str, start: int, end: int) -> Setting | None:
    before = text[max(0, start - 30) : start]
    if _EARLY.search(before):
        return "early"
    if _ADVANCED_AFTER.search(text[end:]) or _ADVANCED_NOTE.search(before):
        return "advanced"
    return None


def fits(wanted: Setting | None, therapy: Therapy) -> bool | None:
    """The therapy was given in the wanted setting (None: the record does not say)."""
    if wanted is None:
        return True
    if therapy.setting is None:
        return None
    return therapy.setting == wanted


def describe(wanted: Setting) -> str:
    return "locally advanced or metastatic disease" if wanted == "advanced" else "early disease"


def untreated(item: Item) -> bool:
    """The item asks for no prior treatment in the "untreated / treatment-naive" way."""
    return bool(_UNTREATED.search(item.text))
