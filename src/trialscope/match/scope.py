"""Ages that say whom a part of an item is for, not what every patient must be.

"ECOG 0-2 (0 to 3 for participants >= 60 to 74 years of age ...)" asks ECOG 0-2 of a
45-year-old; the age names who gets the looser bound. "Pediatric arm: aged 1 to 17
years old." is the age range of one arm: an adult is not in that arm, so the item does
not apply to them (the record's own age limits still rule). Reading either age as a
requirement rules out patients the trial takes.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from trialscope.criteria import Constraint, Item

# "for participants >= 60", "in patients aged 65-70", "for those older than 70"
_FOR_WHOM = re.compile(
    r"\b(?:for|in)\s+(?:all\s+|any\s+)?(?:participants?|patients?|subjects?|those|people|"
    r"persons?|individuals|adults?|children|adolescents|minors|pts)\s*(?:who\s+are\s+)?"
    r"(?:aged?\s+(?:between\s+)?|of\s+age\s+|between\s+(?:the\s+ages?\s+of\s+)?"
    r"|(?:under|over|above|below|older\s+than|younger\s+than)\s+)?(?:\\?[<>≥≤]=?\s*)?\d"
    # "(subjects aged 13 to 17 only)"
    r"|\(\s*(?:subjects?|patients?|participants?|children)\s+aged?\s+\d[^()]{0,24}\bonly\s*\)"
    # "Karnofsky >= 50 (if aged >= 16 years and < 18 years)"
    r"|\b(?:if|when)\s+(?:the\s+)?(?:(?:patient|participant|subject)\s+is\s+)?(?:aged?\s+"
    r"|age\s+(?:is\s+)?)(?:\\?[<>≥≤]=?\s*)?\d"
    # "Volunteers aged 18 to 30 recruited for up to 3 stimulation tests": the controls' ages
    r"|\b(?:healthy\s+|normal\s+)?(?:volunteers?|controls?|donors?)\s+(?:aged?\s+|between\s+)?"
    r"(?:\\?[<>≥≤]=?\s*)?\d"
    # "(only applicable to subjects age 11 and older)", "Subjects age 11 and older: ..."
    r"|\bapplicable\s+(?:only\s+)?to\s+(?:only\s+)?(?:subjects?|patients?|participants?|those"
    r"|children|adults?)\s+(?:aged?\s+|of\s+age\s+)?(?:\\?[<>≥≤]=?\s*)?\d"
    r"|^\W*(?:subjects?|patients?|participants?)\s+aged?\s+\d+\s+(?:years?\s+)?(?:and|or)\s+"
    r"(?:older|over|above)\s*:",
    re.I,
)
# "Pediatric arm:", "Cohort B:", "Part 2 (dose expansion):" opening the item
_ARM = re.compile(
    r"^\s*(?!age\b)(?P<label>(?:[\w/-]+\s+){0,3}?(?:arm|cohort|group|part|phase)"
    r"(?:\s+[A-Z0-9]{1,3})?(?:\s*\([^()]{1,40}\))?)\s*:",
    re.I,
)


# "Subjects aged 17 years and younger must have a parent ... provide written informed
# consent", "... informed assent (subjects aged 13 to 17 only)"
_MINORS_CONSENT = re.compile(
    # the age is who "must" bring a parent's consent or assent; "Child ages 4-18 with
    # spinal AVM and with parent/guardian informed consent" asks for the age itself
    r"\b(?:must|should|needs?\s+to|will\s+need\s+to)\b[^.;]{0,80}"
    r"\b(?:parent|guardian|legally\s+authori[sz]ed\s+representative|assent)",
    re.I,
)


_CLAUSE_BREAK = re.compile(r";|\.\s")


def _clause_of(text: str, at: int) -> str:
    """The clause of ``text`` around position ``at`` (between semicolons or sentences)."""
    starts = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, at)]
    end = _CLAUSE_BREAK.search(text, at)
    return text[starts[-1] if starts else 0 : end.start() if end else len(text)]


# "Colorectal cancer diagnosed under age 50 in 1 of the relatives": a relative's age
_RELATIVES = re.compile(
    # not "parent/guardian", which gives consent for the patient
    r"\b(?:relatives?|family\s+members?|first[- ]degree|second[- ]degree|kindreds?)\b",
    re.I,
)


def for_whom(item: Item, constraint: Constraint) -> bool:
    """An age bound inside a "for participants ..." phrase (whom a variant is for), or in
    an item about the patient's relatives."""
    if constraint.variable != "age":
        return False
    if _RELATIVES.search(item.text):
        return True
    start = constraint.span[0] - item.span[0]
    if _MINORS_CONSENT.search(_clause_of(item.text, start)):
        # the minors a parent consents for, or who assent themselves, in the age's own
        # clause ("Age 10-17 years; ...; parent or guardian able to provide consent" keeps
        # its age)
        return True
    before = item.text[max(0, start - 50) : start]
    # the bound's own words may begin with the people ("participants >= 60")
    text = before + item.text[start : start + 40]
    return any(m.start() < len(before) < m.end() for m in _FOR_WHOM.finditer(text))


def arm_label(item: Item, *, ages_only: bool = True) -> str | None:
    """The arm or cohort an item opens by naming ("Pediatric arm"), when its only bounds
    are ages (then the ages say who is in that arm); any item with ``ages_only`` off."""
    ages = item.constraints and all(c.variable == "age" for c in item.constraints)
    if ages_only and not ages:
        return None
    found = _ARM.match(item.text)
    return found.group("label").strip() if found else None


#: variables whose disjoint ranges in one item are alternatives
_ALTERNATIVE_SCALES = ("age", "ecog", "karnofsky", "lansky")


def disjoint_ages(constraints: tuple[Constraint, ...]) -> tuple[Constraint, ...]:
    """Ranges no one can be in at once are alternatives, not requirements that all hold:
    "Candidates aged 19-70 years ... Pediatric patients aged 1-7 years could be
    recruited", "ECOG 0 or 1 (Patients with disease related ECOG 2 are allowed)"."""
    if len(constraints) < 2:
        return constraints  # alternatives need two ranges
    for variable in _ALTERNATIVE_SCALES:
        constraints = _alternatives(constraints, variable)
    return constraints


def _alternatives(constraints: tuple[Constraint, ...], variable: str) -> tuple[Constraint, ...]:
    bounds = [c for c in constraints if c.variable == variable and c.condition is None]
    spans = list(dict.fromkeys(_range(c) for c in bounds))  # a range said twice is one
    if len(spans) < 2:
        return constraints
    for i, (low, high) in enumerate(spans):
        for other_low, other_high in spans[i + 1 :]:
            if low <= other_high and other_low <= high:
                return constraints  # two that overlap: read as written
    first = bounds[0]
    return tuple(
        replace(c, joiner="or") if c in bounds and c is not first else c for c in constraints
    )


def _range(constraint: Constraint) -> tuple[float, float]:
    low = constraint.low.value if constraint.low is not None else -math.inf
    high = constraint.high.value if constraint.high is not None else math.inf
    return low, high
