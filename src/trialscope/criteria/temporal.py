"""Time windows: "within 7 days", "in the past 5 years", "at least 4 weeks since prior
chemotherapy", "for at least 6 months", "within the last 12 months prior to enrolment".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from trialscope.criteria.comparison import NUMBER, parse_number
from trialscope.criteria.model import Span, TemporalWindow

_UNIT = r"(?P<unit>years?|yrs?|months?|mos?|weeks?|wks?|days?|hours?|hrs?|h|d)(?![A-Za-z])"
_ANY_UNIT = re.compile(
    r"(?i)(?<![A-Za-z])(?:year|yr|month|mo|week|wk|day|hour|hr|h|d)s?(?![A-Za-z])"
)
_DAYS = {"y": 365.25, "m": 30.4375, "w": 7.0, "d": 1.0, "h": 1 / 24}
_AMOUNT = r"(?P<amount>" + NUMBER + r")(?:\s*(?:-|to)\s*(?P<amount2>" + NUMBER + r"))?"
_ANCHOR = (
    r"(?:\s*\(?\s*(?P<link>prior\s+to|before|after|since|from|of|following|preceding|"
    r"until)\s+(?P<anchor>(?:the\s+)?[^;,.()\n]{1,60}?)(?=[;,.()\n]|\s+(?:and|or|with|"
    r"unless|except)\b|$))?"
)
# "28 days or 5 half-lives, whichever is shorter": the days are the window a record can be
# held to; the half-lives need the drug's pharmacology, which no patient record gives.
_OR_HALF_LIVES = (
    r"(?:\s*(?:or|/)\s*" + NUMBER + r"\s*(?:drug\s+)?half[- ]?li(?:ves|fes?)(?:\s+of\s+[^,;()\n]"
    r"{1,40}?)?)?(?:\s*,?\s*\(?\s*whichever\s+is\s+(?:shorter|longer|greater|less|later|"
    r"earlier)\s*\)?\s*,?)?"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), relation)
    for p, relation in (
        # "for at least 6 months" lasts; it is no distance from an event
        (r"\b(?:for|lasting|duration\s+of|stable\s+for)\s+(?:at\s+least|(?:more|greater|longer)"
         r"\s+than|over|a\s+minimum\s+of|≥|>)?\s*" + _AMOUNT + r"\s*" + _UNIT, "duration"),
        # a word needs its boundary; a sign has none after a blank ("\b<" never matches)
        # "greater than or equal 180 days before screening" is a floor, not "180 days before"
        (r"(?:\b(?:at\s+least|(?:more|greater)\s+than(?:\s+or\s+equal(?:\s+to)?)?|over"
         r"|minimum\s+of|no\s+less\s+than|not\s+less\s+than|equal\s+to\s+or\s+(?:more|greater)\s+than)"
         r"|≥|>=|>)\s*" + _AMOUNT + r"\s*" + _UNIT + _OR_HALF_LIVES
         + r"(?=\s*(?:\(|,)?\s*(?:since|after|from|following|prior\s+to|before|between|"
         r"must\s+have|have|has|elapsed|washout|of\s+washout))" + _ANCHOR, "at_least"),
        (r"\b(?:within|during|in)\s+(?:the\s+)?(?:last|past|previous|preceding|prior)?\s*"
         + _AMOUNT + r"\s*" + _UNIT + _ANCHOR, "within"),
        (r"\b(?:in|during|over|within|of)\s+the\s+(?:last|past|previous|preceding|prior)\s+"
         + _AMOUNT + r"\s*" + _UNIT + _ANCHOR, "within"),
        # "within the past year", "in the last month": one of the unit
        (r"\b(?:in|during|over|within)\s+(?:the\s+(?:last|past|previous|preceding|prior)|a|one)"
         r"\s+(?P<one>)(?P<unit>year|month|week|day)(?![A-Za-z])" + _ANCHOR, "within"),
        (r"(?:\b(?:less\s+than|fewer\s+than|up\s+to)|<=|<|≤)\s*" + _AMOUNT + r"\s*" + _UNIT
         + _OR_HALF_LIVES + r"(?=\s*(?:\(|,)?\s*(?:prior\s+to|before|since|after|from|ago))"
         + _ANCHOR, "within"),
        (r"\bfor\s+(?:less\s+than|fewer\s+than)\s*" + _AMOUNT + r"\s*" + _UNIT, "within"),
        (r"\b" + _AMOUNT + r"\s*" + _UNIT + r"\s*(?:prior\s+to|before|preceding)\s+"
         r"(?P<anchor2>[^;,.()\n]{1,60}?)(?=[;,.()\n]|$)", "within"),
    )
)  # fmt: skip


def _days(unit: str) -> float:
    return _DAYS.get(unit[0].lower(), 1.0)


def _unit_name(unit: str) -> str:
    return {"y": "year", "m": "month", "w": "week", "d": "day", "h": "hour"}[unit[0].lower()]


def extract_windows(
    text: str, start: int, end: int, to_source: Callable[[int, int], Span]
) -> list[TemporalWindow]:
    """Time windows in ``text[start:end]``; overlapping readings keep the first rule's."""
    out: list[TemporalWindow] = []
    if _ANY_UNIT.search(text, start, end) is None:
        return out  # most items name no time at all
    taken: list[tuple[int, int]] = []
    for pattern, relation in _PATTERNS:
        for m in pattern.finditer(text, start, end):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            if "one" in pattern.groupindex:
                amount: float | None = 1.0
            else:
                amount = parse_number(m.group("amount2") or m.group("amount"))
            if amount is None:
                continue
            unit = m.group("unit")
            anchor = m.groupdict().get("anchor") or m.groupdict().get("anchor2")
            out.append(
                TemporalWindow(
                    relation=relation,  # type: ignore[arg-type]
                    amount=amount,
                    unit=_unit_name(unit),
                    days=round(amount * _days(unit), 4),
                    span=to_source(m.start(), m.end()),
                    text=text[m.start() : m.end()],
                    anchor=anchor.strip() if anchor else None,
                )
            )
            taken.append((m.start(), m.end()))
    out.sort(key=lambda w: w.span)
    return out
