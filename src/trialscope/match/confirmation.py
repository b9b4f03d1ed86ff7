"""How a diagnosis was confirmed, said in a note and asked by a criterion.

"Patient with COVID-19. Definitive diagnosis: never." is a suspected case: it does not
meet "laboratory-confirmed COVID-19", and a case "positive on rapid test only" does not
meet "confirmed by RT-PCR". :attr:`Condition.confirmed_by` holds what the record says:
``pcr``, ``antigen``, ``serology``, ``confirmed`` (confirmed, the test not said), or an
empty list (never confirmed). None, the usual case, is "not said": then a criterion's
confirmation words decide nothing, as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from trialscope.match.patient import Confirmation, Patient

_METHODS = (
    (
        "pcr",
        re.compile(
            r"\b(?:q?RT[\s-]?q?PCR|q?PCR|polymerase\s+chain\s+reaction|NAATs?|nucleic\s+acid"
            r"(?:\s+amplification)?\s+tests?|molecular\s+tests?)\b",
            re.I,
        ),
    ),
    (
        "antigen",
        re.compile(
            r"\b(?:rapid\s+(?:antigen\s+)?(?:diagnostic\s+)?tests?|rapid\s+antigen|antigen\s+tests?"
            r"|lateral\s+flow|home\s+tests?)\b",
            re.I,
        ),
    ),
    ("serology", re.compile(r"\b(?:serolog\w*|antibody\s+tests?)\b", re.I)),
)
_DEFINITIVE = re.compile(r"\W*definitive\s+diagnosis\s*:\s*(?P<value>[^\n]*)", re.I)
_NEVER = re.compile(r"\s*(?:never|no\b|not\b|none|pending|unconfirmed|suspected)", re.I)
_YES = re.compile(r"\s*(?:yes|confirmed|positive)\b", re.I)
# "tested positive for COVID-19 by PCR", "SARS-CoV-2 RT-PCR positive"
_POSITIVE = re.compile(r"\bpositive\b|\bconfirmed\b|\bdetected\b", re.I)
_NEGATIVE = re.compile(r"\bnegative\b|\bnot\s+detected\b|\bno\b", re.I)
# what in a criterion asks for a confirmed diagnosis
_ASKS = re.compile(
    r"\b(?:confirm\w*|documented|proven|definitive|tested\s+positive|positive\s+(?:test|result)s?"
    r"|diagnosed\s+(?:by|with|via|on|through))\b",
    re.I,
)
_SUSPECTED = re.compile(r"\b(?:suspected|probable|presumed|presumptive|possible)\b", re.I)
_NEGATIVE_RESULT = re.compile(r"\bnegative\b|\bnot\s+detected\b|\b-ve\b", re.I)
#: words before a name that only say it was confirmed ("Laboratory-confirmed COVID-19")
_CONFIRMING = frozenset(
    {"laboratory", "lab", "confirmed", "laboratory-confirmed", "lab-confirmed", "documented"}
    | {"proven", "pcr-confirmed", "virologically", "microbiologically"}
)
_CLAUSE = re.compile(r"[;\n]|\.(?=\s|$)")
_SAID = {
    "pcr": "PCR",
    "antigen": "a rapid antigen test",
    "serology": "serology",
    "confirmed": "a test not named",
}


def methods_in(text: str) -> list[Confirmation]:
    return [cast(Confirmation, name) for name, pattern in _METHODS if pattern.search(text)]


def read_confirmation(patient: Patient, text: str, spans: list[tuple[int, int]]) -> None:
    """Set ``confirmed_by`` on the note's conditions from what its sentences say: a
    "Definitive diagnosis:" line speaks of the disease the opening sentence names, a
    positive test of the conditions named in its own sentence."""
    for number, (lo, hi) in enumerate(spans):
        sentence = text[lo:hi]
        label = _DEFINITIVE.match(sentence)
        if label is not None:
            value = label.group("value")
            said: list[Confirmation] | None = methods_in(value) or None
            if _NEVER.match(value):
                said = []
            elif said is None and _YES.match(value):
                said = ["confirmed"]
            where = "sentence 1"
        elif _POSITIVE.search(sentence) and not _NEGATIVE.search(sentence):
            said = methods_in(sentence) or None
            where = f"sentence {number + 1}"
        else:
            continue
        if said is None:
            continue
        for condition in patient.conditions:
            if condition.status != "absent" and condition.source.ref == where:
                condition.confirmed_by = list(said)


def asked_confirmation(text: str, start: int, end: int) -> frozenset[str] | None:
    """The confirmation a criterion asks of the condition named at ``text[start:end]``
    (its clause): test names ({"pcr", "antigen"} for "by RT-PCR or rapid antigen"),
    {"any"} for "confirmed" / "documented" / "tested positive", None for none."""
    lo = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    after = _CLAUSE.search(text, end)
    # the whole clause: "... by real time PCR or ... diagnosis (possible case)"
    window = text[max(lo, start - 150) : min(after.start() if after else len(text), end + 300)]
    if _NEGATIVE_RESULT.search(window):
        return None  # "PCR test result negative" asks for a negative test, not a diagnosis
    if _SUSPECTED.search(window):
        return None  # "Confirmed or suspected COVID-19": a suspected case will do
    methods = methods_in(window)
    if methods:
        return frozenset(methods)
    return frozenset({"any"}) if _ASKS.search(window) else None


def only_confirming(words: Sequence[str]) -> bool:
    """The qualifier words say only that the diagnosis was confirmed."""
    return bool(words) and all(w.lower() in _CONFIRMING for w in words)


def confirmation_holds(have: Sequence[str], asked: frozenset[str]) -> bool | None:
    """Whether a diagnosis confirmed by ``have`` is what ``asked`` asks; None when the
    record does not say by which test."""
    if not have:
        return False
    if "any" in asked or asked & set(have):
        return True
    return None if "confirmed" in have else False


def describe_confirmation(have: Sequence[str]) -> str:
    if not have:
        return "not confirmed"
    return "confirmed by " + " and ".join(_SAID[m] for m in have) + " only"
