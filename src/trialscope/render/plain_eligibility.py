"""Needs and reasons on the plain-language page, written from the parsed criteria.

"You may be a good fit if" and "this may not be a fit if" lines come from the parser's
constraints, named conditions and earlier treatments through the phrase tables of
:mod:`plain_phrases`. A reason is said no more broadly than the criterion behind it
("having had X before, in some cases", "in the last 6 months"); a bound outside what its
variable can be, or a kind bounded differently in different places, is left to the
quoted criteria list rather than written as a line that could be wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trialscope.criteria import VARIABLES, Constraint, Item, ParsedCriteria
from trialscope.criteria.model import TemporalWindow
from trialscope.match.wording import is_modifier
from trialscope.render.plain_disease import join_words
from trialscope.render.plain_phrases import (
    CONDITION_REASONS,
    CONSTRAINT_PHRASES,
    LAB_GROUPS,
    PREGNANCY_REASONS,
    QUALIFIERS,
    SPREAD,
    THERAPY_REASONS,
    lab_sentence,
)

__all__ = ["needs", "reasons"]


def _plausible(constraint: Constraint) -> bool:
    """A bound outside what the variable can be (a weight of 2500 kg) is a misreading."""
    variable = VARIABLES.get(constraint.variable)
    if variable is None or variable.plausible is None:
        return True
    low, high = variable.plausible
    bounds = [b.value for b in (constraint.low, constraint.high) if b is not None]
    return all(low <= value <= high for value in bounds)


def _constraint_phrase(constraint: Constraint) -> str | None:
    phrase = CONSTRAINT_PHRASES.get(constraint.variable)
    if phrase is None or constraint.condition is not None or not _plausible(constraint):
        return None
    return phrase(constraint)


def _one_each(items: Iterable[Item]) -> list[str]:
    """One phrase per constraint kind. A kind bounded differently in different places
    (weight bands per age group, one count per cohort) is left to the quoted list:
    several plain lines would contradict each other."""
    by_kind: dict[str, list[str]] = {}
    for item in items:
        for constraint in item.constraints:
            phrase = _constraint_phrase(constraint)
            if phrase:
                found = by_kind.setdefault(constraint.variable, [])
                if phrase not in found:
                    found.append(phrase)
    return [found[0] for found in by_kind.values() if len(found) == 1]


def _lab_groups(items: Iterable[Item]) -> list[str]:
    groups: list[str] = []
    for item in items:
        for constraint in item.constraints:
            for group, variables in LAB_GROUPS.items():
                if constraint.variable in variables and group not in groups:
                    groups.append(group)
    return [g for g in LAB_GROUPS if g in groups]


def _qualified(item: Item, start: int, reason: str) -> str:
    """Add "that has not been treated" when the item says so right before the name."""
    if " that " in reason or "recent" in reason:
        return reason  # the phrase already says how it is
    before = item.text[max(0, start - item.span[0] - 30) : max(0, start - item.span[0])].lower()
    # "seizures", "blood clots" are several things; "a ...", "cancer ..." one
    first = reason.split()[0]
    several = first not in {"a", "an", "another"} and first.endswith("s")
    for word, one, many in QUALIFIERS:
        if word in before.split()[-3:]:
            return f"{reason} {many if several else one}"
    return reason


def _within(item: Item) -> str:
    for window in item.windows:
        if window.relation == "within" and window.amount and window.unit:
            return _within_words(window)
    return ""


def _within_words(window: TemporalWindow) -> str:
    unit = window.unit.rstrip("s")
    amount = f"{window.amount:g}"
    return f" in the last {amount} {unit}{'' if amount == '1' else 's'}"


#: a window measured from one of these reads as "in the last N" to a patient
_NOW_ANCHORS = (
    "enrol", "registration", "randomi", "study entry", "entry", "first dose", "screening",
    "consent", "day 1", "start of", "study treatment", "study drug", "inclusion", "baseline",
)  # fmt: skip
#: a setting or a condition that narrows which earlier treatment keeps someone out
_NARROWED = re.compile(
    r"\b(?:\(?neo\)?-?adjuvant|adjuvant|maintenance|first[- ]line|second[- ]line|unless|"
    r"except|if|when|and\s+(?:had\s+)?(?:recurrence|relapse|progression|progressed|"
    r"relapsed|recurred|failed)|for\s+(?:the\s+)?(?:advanced|metastatic|recurrent)|"
    r"in\s+the\s+(?:advanced|metastatic|recurrent)\s+setting)\b",
    re.IGNORECASE,
)


def _therapy_reason(item: Item, therapy: str) -> str:
    """ "having had X before", said no more broadly than the criterion: a window from
    now becomes "in the last N"; a window from another event, a setting ("adjuvant")
    or a condition ("and had recurrence") becomes "in some cases", never dropped."""
    for window in item.windows:
        anchor = (window.anchor or "").lower()
        relative_to_now = not anchor or any(word in anchor for word in _NOW_ANCHORS)
        if window.relation == "within" and window.amount and window.unit and relative_to_now:
            return f"having had {therapy}{_within_words(window)}"
    if item.windows or _NARROWED.search(item.text):
        return f"having had {therapy} before, in some cases"
    return f"having had {therapy} before"


def needs(parsed: ParsedCriteria) -> list[str]:
    items = parsed.of_kind("inclusion")
    # "class 3 or worse" is how an exclusion reads; in an inclusion list it is a misreading
    needs = [phrase for phrase in _one_each(items) if "or worse" not in phrase]
    groups = _lab_groups(items)
    if groups:
        needs.append(lab_sentence(groups))
    return needs


def reasons(parsed: ParsedCriteria, disease: list[str]) -> list[str]:
    """The main reasons someone is not a fit: excluded conditions and treatments,
    excluding bounds, and conditions an inclusion criterion says must be absent. The
    trial's own disease is no reason (an exclusion naming it qualifies it instead)."""
    reasons: list[str] = []

    def add(text: str) -> None:
        if text not in reasons:
            reasons.append(text)

    # a trial about cancer that has spread to the liver excludes spread elsewhere
    sites = [SPREAD[c] for c in disease if c in SPREAD and c != "distant_metastases"]
    exclusions = parsed.of_kind("exclusion")
    bounds = set(_one_each(exclusions))
    for item in exclusions:
        # "chemotherapy for metastatic disease": the disease is what a treatment was for
        positive = [
            m
            for m in item.mentions
            if not (m.negated or m.hypothetical or m.family or is_modifier(item, m))
        ]
        for mention in positive:
            if mention.category == "condition" and mention.concept in disease:
                continue
            if mention.category == "condition" and mention.concept in CONDITION_REASONS:
                reason = CONDITION_REASONS[mention.concept]
                if mention.concept == "distant_metastases" and sites:
                    reason = f"cancer that has spread to places other than {join_words(sites)}"
                if mention.concept == "other_malignancy":
                    reason += _within(item)
                add(_qualified(item, mention.span[0], reason))
            elif mention.category == "pregnancy" and mention.concept in PREGNANCY_REASONS:
                add("being pregnant or breastfeeding")
        # an earlier treatment is a reason by itself only when no condition is named
        # ("liver metastases before chemotherapy" is about the metastases)
        if not any(m.category == "condition" for m in positive):
            for mention in positive:
                if mention.category == "prior_therapy" and mention.historical:
                    therapy = THERAPY_REASONS.get(mention.concept)
                    if therapy:
                        add(_therapy_reason(item, therapy))
        # excluding bounds in the trial's own order, beside the conditions it names
        for constraint in item.constraints:
            phrase = _constraint_phrase(constraint)
            if phrase in bounds:
                add(phrase)
    for item in parsed.of_kind("inclusion"):
        for mention in item.mentions:
            absent = CONDITION_REASONS.get(mention.concept)
            if mention.category != "condition" or not mention.negated or not absent:
                continue
            # "previously untreated ... for their metastatic disease" asks about treatment,
            # not for the cancer not to have spread
            if not is_modifier(item, mention):
                add(absent)
    return reasons
