"""Conditional requirements: "Patients who received neo/adjuvant therapy must be 4 weeks
past the last dose", "Patients with brain metastases must be stable", "If female, ...".

The people the sentence opens with are a condition, not a requirement: the item asks
nothing of a patient outside them (it is met), and of a patient inside them only what
follows "must". A patient whose record does not say whether the condition holds is
judged on the requirement alone when it settles the item either way, else asked.

When the condition names the trial's own disease ("Patients with colorectal cancer must
have measurable disease" in a colorectal cancer trial) the whole item is a requirement,
as registries write it: the split is not used.
"""

from __future__ import annotations

import re

from trialscope.criteria import Item
from trialscope.match.verdicts import Basis, CriterionResult, Part, Verdict

# "Patients who received X must", "Patients undergoing X should", "For patients with X,"
_WHO = (
    r"(?:for\s+|in\s+)?(?:all\s+|any\s+)?(?:patients?|participants?|subjects?|those|individuals"
    r"|persons?|people|women|men|females?|males?)\s+(?:who|that|with|having|receiving"
    r"|undergoing|treated|on)\b"
)
# words of one sentence: a period only inside "i.e.", "e.g.", "3.5"
_WORDS = r"(?:[^.;:]|\.(?=\S))*?"
_GIVEN = re.compile(
    # after a short label ("Digital Literacy: Participants who ...")
    rf"^\s*(?:note\s*:\s*|[A-Z][\w /-]{{0,30}}:\s*)?"
    rf"(?:{_WHO}(?P<who>{_WORDS})(?:,\s*|\s+)(?:(?:they|he|she)\s+)?(?:must|should|"
    r"need(?:s)?\s+to|will\s+need\s+to|(?:are|is)\s+required\s+to|require)\b"
    rf"|{_WHO}(?P<for>{_WORDS}),\s*"
    r"|if\s+(?P<if>[^.;:,]*?),\s*"
    # "Treatment-naïve patients will be eligible only if they refused standard treatment"
    r"|(?P<only>[^.;:]{1,60}?\b(?:patients?|participants?|subjects?))\s+(?:will\s+be|are|is"
    r"|may\s+be)\s+(?:eligible|included|allowed|enrolled)\s+only\s+(?:if|when)\b)",
    re.I,
)


def given_end(item: Item) -> int | None:
    """Where the condition ends in ``item.text`` (None: the item is no conditional
    requirement). Only inclusion items are read so: an exclusion "Patients who received
    X within 4 weeks" is what excludes."""
    if item.kind == "exclusion":
        return None
    found = _GIVEN.match(item.text)
    if found is None:
        return None
    group = next(g for g in ("who", "for", "if", "only") if found.group(g) is not None)
    if group == "for" and not re.match(r"\s*(?:for|in)\b", item.text, re.I):
        return None  # "Patients with X, Y and Z" is a list, not "For patients with X, ..."
    return found.end(group)


def within(item: Item, span: tuple[int, int], end: int) -> bool:
    """A mention or bound at ``span`` (absolute) lies inside the condition."""
    return span[1] - item.span[0] <= end


# -- a condition after the requirement -------------------------------------------------------
#
# "Consent of parent or guardian if less than 18 years of age", "Reticulocyte count less
# than 80,000/cu mm if hemoglobin is less than 9 g/dL": the bound after "if" / "when" says
# whom (or when) the rest asks about; it is no requirement of its own. Read only where the
# clause holds a bound: "(if on more drugs)", "when signing consent" say nothing computable.

_IF = re.compile(
    r"(?:\b(?P<or>or)\s+|\b(?P<even>even)\s+)?\b(?:only\s+)?(?:if|when|whenever)\b", re.I
)
# the clause ends at its sentence, a bracket it opened in, a semicolon or a comma
_CLAUSE_END = re.compile(r"[;,)]|\.(?=\s|$)")
# "Patients will be ineligible if ...", "Prior radiotherapy allowed if ...": the clause is
# what the item says, not a condition on it
_CONTENT_BEFORE = re.compile(
    r"\b(?:(?:in)?eligib\w*|exclu\w*|allowed|permitted|accept\w*|includ\w*|enrol\w*|qualif\w*"
    r"|considered|prohibited|disqualif\w*|withdrawn|removed|discontinued)\W*(?:only\W*)?$",
    re.I,
)


def condition_clause(item: Item) -> tuple[int, int, int, str] | None:
    """(hidden from, clause start, clause end, kind) in ``item.text`` for the first
    "if"/"when" clause holding a bound. Kind "if": the rest is the item without the
    clause; "or": the clause belongs to an alternative after an "or" ("informed consent,
    or consent of a guardian if under 18", ", or if under 15 months, born to a mother
    with HIV"), hidden from the "or" on; "even": "even if ..." is a case the item still
    covers. None when there is no such clause."""
    text, base = item.text, item.span[0]
    for found in _IF.finditer(text):
        if found.start() == 0 and item.kind != "exclusion" and given_end(item) is not None:
            return None  # "If female, ...": the leading condition is read by given_end
        if _CONTENT_BEFORE.search(text, 0, found.start()):
            continue
        end = _clause_end(text, found.end())
        if not any(
            found.end() <= c.span[0] - base and c.span[1] - base <= end for c in item.constraints
        ):
            continue
        if found.group("even"):
            return found.start(), found.start(), end, "even"
        if found.group("or"):
            return found.start(), found.start("or") + 3, end, "or"
        alternative = _last_or(item, found.start())
        if alternative is not None:
            return alternative, found.start(), end, "or"
        return found.start(), found.start(), end, "if"
    return None


_OR = re.compile(r"\bor\b", re.I)


def _last_or(item: Item, at: int) -> int | None:
    """The last "or" before ``at`` outside brackets that joins two requirements, after a
    comma or a bound ("creatinine <= 1.5 mg/dL or clearance >= 60 mL/min if ..."), not
    two words ("consent of parent or guardian if ..."); None when there is none."""
    text, base, last = item.text, item.span[0], None
    for found in _OR.finditer(text, 0, at):
        if text.count("(", 0, found.start()) > text.count(")", 0, found.start()):
            continue
        before = text[: found.start()].rstrip()
        if before.endswith(",") or any(c.span[1] - base == len(before) for c in item.constraints):
            last = found.start()
    return last


def _clause_end(text: str, at: int) -> int:
    for stop in _CLAUSE_END.finditer(text, at):
        if text.count("(", at, stop.start()) > text.count(")", at, stop.start()):
            continue  # inside a bracket the clause opened itself
        return stop.start()
    return len(text)


def under_condition(
    kind: str, condition: Part, rest: CriterionResult, clause: str, *, alternative: bool
) -> Part:
    """The item's verdict from its condition's and its rest's. Outside the condition an
    inclusion asks nothing (met) and an exclusion excludes no one (not met); inside it
    the rest decides; not knowing whether the condition holds matters only when the
    rest would rule the patient out. ``alternative``: the clause opened another way in
    (", or if younger than 15 months, born to a mother with HIV"), so outside it the
    rest decides alone and inside it the other way in was not read."""
    fits = Verdict.MET if kind != "exclusion" else Verdict.NOT_MET
    said = f"{clause[:1].lower()}{clause[1:]}"
    own = (rest.verdict, rest.reason, rest.basis, list(rest.evidence), list(rest.questions))
    if condition[0] is Verdict.NOT_MET:
        if alternative:
            return own
        verb = "asks only" if kind != "exclusion" else "applies only"
        return fits, f"{verb} {said}: {condition[1]}", condition[2], condition[3], []
    if rest.verdict is fits:
        if condition[0] is Verdict.MET and not alternative:
            return fits, f"{rest.reason} ({said}: {condition[1]})", rest.basis, own[3], own[4]
        return own
    if condition[0] is Verdict.MET and not alternative:
        reason = f"{rest.reason} ({said}: {condition[1]})"
        return rest.verdict, reason, rest.basis, condition[3] + own[3], own[4]
    reason = f"{rest.reason}, if it applies ({said}: {condition[1]})"
    if alternative:
        reason = f"{rest.reason}; the other way in ({said}, …) is not judged"
    return Verdict.UNKNOWN, reason, Basis.NONE, condition[3] + own[3], condition[4] + own[4]
