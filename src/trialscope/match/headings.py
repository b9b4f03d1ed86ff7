"""What a list heading says about the points under it.

A heading such as "No clinically significant cardiac disease, including any of the
following:" is skipped as a criterion of its own, but it turns its points around: each
point names something the patient must *not* have, so it is judged as an exclusion. A
heading such as "History of another primary malignancy except for:" lists what is
*allowed*: its points rule no one out, and the heading itself is the criterion, which a
rule-out cannot settle while an exception might apply. A heading's time window ("Any of
the following within 6 months before the first dose:") is the window of each point that
has none of its own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from trialscope.criteria import Item

Relation = Literal["negated", "exception"]

# the heading introduces a list: it ends with a colon, or says "the following"
_LIST = re.compile(r"(?::\s*\.?\s*$|\bthe\s+following\b|\bas\s+follows\b)", re.I)
# ... and says its points are instances of what it names ("No prior HRT or hysterectomy:"
# over definitions of menopause is a label, not a list of things to be without)
_INSTANCES = re.compile(
    r"\b(?:including|the\s+following|such\s+as|e\.\s?g\b|for\s+example|as\s+follows|any\s+of)"
    r"|\bof\s*:\s*$",
    re.I,
)

# "No ...", "Without ...", "Must not have ...": each point is something to be without
_ABSENCE = re.compile(
    r"^\s*(?:(?:patients?|participants?|subjects?)\s+(?:must|should|may)\s+(?:not|have\s+no)\b"
    r"|(?:must|should)\s+not\b|no\b|not\b|without\b|absence\s+of\b|free\s+of\b"
    r"|none\s+of\b|(?:has|have)\s+no\b)",
    re.I,
)
# "Patients who have any of the following are NOT eligible:": each point excludes
_EXCLUDING = re.compile(
    r"\b(?:any|one|each)\s+of\s+the\s+following\b[^.;()\[\]]*?"
    r"\b(?:(?:are|is|will\s+be|be)\s+(?:not\s+eligible|ineligible|excluded)"
    r"|make\S*\s+(?:the\s+|a\s+)?(?:patient|participant|subject)s?\s+ineligible)\b"
    r"|\b(?:are|is|will\s+be)\s+(?:not\s+eligible|ineligible|excluded)\b[^.;:()]*?"
    r"\b(?:if|when)\b[^:]*\b(?:any|one)\s+of\s+the\s+following\b",
    re.I,
)
# what makes a heading something other than a plain list of things to be without:
# counts ("at least two of"), ways in, conditions on whom it asks, definitions
_NOT_NEGATED = re.compile(
    r"\b(?:at\s+least|or\s+more|more\s+than|less\s+than|fewer\s+than|only|if|when|unless"
    r"|defin\w*|criteri\w*|except\w*|allowed|permitted|acceptable|eligible|ineligible"
    r"|candidates?|contacts?|persons?|people|partners?|requires?d?|must\s+(?:have|be)"
    r"|determined|judged|assessed|opinion|contraindicat\w*\s+to\s+the\s+following"
    r"|\d+\s+of)\b",
    re.I,
)
# "except:", "with the following exceptions:", "Exceptions are allowed for the following"
_EXCEPTIONS = re.compile(
    r"\b(?:except(?:\s+(?:for|that|as\s+(?:noted|listed|follows)|the\s+following))?"
    r"|(?:with|are)\s+the\s+(?:following\s+)?exceptions?(?:\s+of)?"
    r"|(?:permissible|permitted|allowed)\s+exceptions?"
    r"|exceptions?\s+(?:are|is)\s+(?:allowed|permitted|made)\b[^:]{0,60})"
    r"(?:\s+(?:the\s+)?(?:following|below)(?:\s+\w+)?)?\s*:\s*\.?\s*$",
    re.I,
)
# a point worded as a way in or with its own negation keeps its own reading
_OWN_NEGATION = re.compile(
    r"^\s*(?:no|not|none|without|absence\s+of|free\s+of|negative|never)\b"
    r"|\b(?:must|should|may|can)\s*not\b|\bcannot\b|\bis\s+not\b|\bare\s+not\b",
    re.I,
)
_PERMISSION = re.compile(
    r"\b(?:allowed|permitted|acceptable|eligible|may\s+(?:be\s+)?(?:included|enrolled"
    r"|participate|have))\b",
    re.I,
)
_HEADING_WORDS = 4


def negated_list(text: str) -> bool:
    """A heading whose points are each something the patient must not have."""
    if not _LIST.search(text):
        return False
    if _EXCLUDING.search(text):
        return True
    if len(text.rstrip(" :.").split()) <= _HEADING_WORDS:
        return False  # "No prior therapy:" is a label, its points say what they mean
    # an aside says nothing of the points ("(prior use is allowed, but ...)"), and "1 or
    # more of" is "any of": "No rapidly progressive disease as defined by 1 or more of"
    plain = _ANY_OF.sub("any of", _ASIDE.sub(" ", text))
    if _SINCE_AND_NO.match(plain):
        return True  # "More than 7 days since prior and no concurrent CYP3A4 inhibitors,"
    if _DEFINED_BY_ANY.search(plain) and _ABSENCE.match(plain):
        return True
    return (
        bool(_ABSENCE.match(plain))
        and bool(_INSTANCES.search(plain))
        and not _NOT_NEGATED.search(plain)
    )


def definition_list(text: str) -> bool:
    """A heading whose points define a word of the criteria ("The following are not
    considered measurable:"): they ask nothing of the patient on their own."""
    return bool(_DEFINITION.search(text))


_ASIDE = re.compile(r"\([^()]*\)")
_ANY_OF = re.compile(r"\b(?:1|one)\s+or\s+more\s+of\b", re.I)
_DEFINED_BY_ANY = re.compile(r"\bdefined\s+(?:by|as)\s+any\s+of\s+the\s+following\b", re.I)
_SINCE_AND_NO = re.compile(
    r"^\s*(?:more\s+than|at\s+least|over)\s+\d+\s+\w+\s+since\s+prior\s+and\s+no\s+"
    r"(?:concurrent|other)\b[^:]*\b(?:including|such\s+as|the\s+following)\b",
    re.I,
)
_DEFINITION = re.compile(
    r"\bthe\s+following\s+(?:\w+\s+){0,2}(?:are|is)\s+(?:not\s+)?considered\s+"
    r"(?:non-?)?(?:measurable|evaluable)"
    r"|\bthe\s+following\s+(?:\w+\s+){0,2}do(?:es)?\s+not\s+qualify\b",
    re.I,
)


def exception_list(text: str) -> bool:
    """A heading whose points are exceptions to it ("... except for:"); exceptions to a
    permission ("Concurrent chemotherapy allowed except for the following:") are what
    it forbids, a negated list."""
    return bool(_EXCEPTIONS.search(text)) and not _forbids(text)


def _forbids(text: str) -> bool:
    allowed = _PERMISSION.search(_EXCEPTIONS_ALLOWED.sub("", text))
    return allowed is not None and not _ABSENCE.match(text)


_EXCEPTIONS_ALLOWED = re.compile(r"\bexceptions?\s+(?:are|is)\s+(?:allowed|permitted)", re.I)


def point_under(heading: Item, point: Item) -> Relation | None:
    """How ``heading`` turns ``point``: its exceptions ask nothing; under a negated list,
    an inclusion point is judged as an exclusion (a point with its own negation or a
    way in keeps its own reading)."""
    if exception_list(heading.text):
        return "exception"
    if point.kind == "exclusion":
        return None
    if _EXCEPTIONS.search(heading.text) and _forbids(heading.text):
        return "negated"  # "Concurrent hormonal therapy allowed except:": those are not
    if excluded_label(heading.text) and not _OWN_NEGATION.search(point.text):
        return "negated"  # "Ineligible subtypes:" / "Chondrosarcoma"
    if heading.parent is not None or not negated_list(heading.text):
        return None  # a nested heading is a part of its own parent's criterion
    if _OWN_NEGATION.search(point.text) or _PERMISSION.search(point.text):
        return None
    return "negated"


# "Ineligible subtypes:", "Excluded histologies:": a short label whose points are each out
_EXCLUDED_LABEL = re.compile(
    r"^\W*(?:[\w-]+\s+){0,3}?(?:ineligible|not\s+eligible|excluded|not\s+allowed|prohibited)"
    r"(?:\s+[\w-]+){0,3}\s*:\s*$",
    re.I,
)
# a heading over permissions ("Prior malignancy allowed if:"): its points are no requirements
_PERMITS = re.compile(r"\b(?:allowed|permitted|acceptable|may|optional)\b", re.I)


def excluded_label(text: str) -> bool:
    """A short heading that names what is not eligible ("Ineligible subtypes:")."""
    return bool(_EXCLUDED_LABEL.match(text)) and not _EXCEPTIONS.search(text)


def keeps_closed_world(heading: Item) -> bool:
    """A known diagnosis may decide the points of ``heading`` as it decides a top-level
    item: the heading is no list of exceptions, exclusions or permissions (the caller
    also asks that it lists alternatives, "Diagnosis of one of the following:")."""
    text = heading.text
    return (
        heading.kind != "exclusion"
        and not exception_list(text)
        and not negated_list(text)
        and not excluded_label(text)
        and not _PERMITS.search(text)
    )


def with_heading_window(heading: Item, point: Item) -> Item:
    """``point`` with ``heading``'s "within" windows when it has no window of its own:
    "Any of the following within 6 months before the first dose:" / "Myocardial
    infarction" asks about a myocardial infarction in the last 6 months."""
    if point.windows:
        return point
    windows = tuple(w for w in heading.windows if w.relation == "within")
    return replace(point, windows=windows) if windows else point
