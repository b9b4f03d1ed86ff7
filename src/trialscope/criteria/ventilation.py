"""Whether a criterion asks about invasive mechanical ventilation now: "Subjects on a
mechanical ventilator", "Receiving mechanical ventilation", "patients who are intubated",
"Intubated and mechanically ventilated".

As with the care setting, most words about ventilation are not about the present: "Intubation
for asthma at any time in the past", "mechanical ventilation for > 28 days", "willing to
have … mechanical ventilation", "if intubated, motor score of 1-5", "Ventilator dependent at
discharge". Only wordings about now are read; the rest stay unread (a question, not a wrong
answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the concept a ventilation mention names (``Mention.concept``)
MECHANICAL_VENTILATION = "mechanical_ventilation"

_STEMS = ("ventilat", "intubat")

_WORDS = re.compile(
    r"\b(?:(?:invasive\s+)?mechanical(?:ly)?\s+ventilat(?:ion|ed)|(?:tracheally\s+|endotracheally\s+)?"
    r"intubated|on\s+(?:an?\s+)?(?:mechanical\s+)?ventilators?|ventilator[\s-]+dependen(?:t|ce)"
    r"|invasive\s+ventilation)\b",
    re.I,
)
# "non-invasive ventilation" (a mask) is the opposite of what these words name
_NON = re.compile(r"\bnon[\s-]?\Z", re.I)
# not now: a past event, a duration, a plan, a condition on something else, a birth
_NOT_NOW = re.compile(
    r"\b(?:history|prior|previous(?:ly)?|past|ever|within|during|since|before|after|ago"
    r"|willing|wishes|if|unless|when|discharge|birth|born|days?\s+of\s+age|hours?\s+of\s+age"
    r"|postnatal|neonatal|at\s+the\s+time\s+of|(?:at|on|upon)\s+admission|duration|unable|able\s+to|may|will|expected"
    r"|anticipated|likely|planned|elective|surgery|anesthesia|anaesthesia|for\s+(?:more|less|at\s+least"
    r"|longer|greater|[<>≤≥]|\d))\b|[<>≤≥]",
    re.I,
)


@dataclass(frozen=True, slots=True)
class VentilationWords:
    """One wording about invasive ventilation now; ``start``/``end`` index the text."""

    start: int
    end: int


def find_ventilation(text: str, start: int = 0, end: int | None = None) -> list[VentilationWords]:
    """The wordings in ``text[start:end]`` that ask about invasive ventilation now; none
    when the item also speaks of another time (the whole item is left unread)."""
    end = len(text) if end is None else end
    lowered = text[start:end].lower()
    if not any(stem in lowered for stem in _STEMS):
        return []
    found = [
        VentilationWords(m.start(), m.end())
        for m in _WORDS.finditer(text, start, end)
        if not _NON.search(text, max(start, m.start() - 5), m.start())
    ]
    if not found or _NOT_NOW.search(text, start, end):
        return []
    return found
