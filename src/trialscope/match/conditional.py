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

# "Patients who received X must", "Patients undergoing X should", "For patients with X,"
_WHO = (
    r"(?:for\s+|in\s+)?(?:all\s+|any\s+)?(?:patients?|participants?|subjects?|those|individuals"
    r"|persons?|people|women|men|females?|males?)\s+(?:who|that|with|having|receiving"
    r"|undergoing|treated|on)\b"
)
# words of one sentence: a period only inside "i.e.", "e.g.", "3.5"
_WORDS = r"(?:[^.;:]|\.(?=\S))*?"
_GIVEN = re.compile(
    rf"^\s*(?:note\s*:\s*)?(?:{_WHO}(?P<who>{_WORDS})(?:,\s*|\s+)(?:(?:they|he|she)\s+)?(?:must|should|"
    r"need(?:s)?\s+to|will\s+need\s+to|(?:are|is)\s+required\s+to|require)\b"
    rf"|{_WHO}(?P<for>{_WORDS}),\s*"
    r"|if\s+(?P<if>[^.;:,]*?),\s*)",
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
    group = next(g for g in ("who", "for", "if") if found.group(g) is not None)
    if group == "for" and not re.match(r"\s*(?:for|in)\b", item.text, re.I):
        return None  # "Patients with X, Y and Z" is a list, not "For patients with X, ..."
    return found.end(group)


def within(item: Item, span: tuple[int, int], end: int) -> bool:
    """A mention or bound at ``span`` (absolute) lies inside the condition."""
    return span[1] - item.span[0] <= end
