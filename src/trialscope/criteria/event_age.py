"""An age bound about when something happened, not about the patient's age now.

"Age 3 to 21 at diagnosis", "Under 21 years of age at time of initial diagnosis",
"Diagnosed before age 18", "Onset of symptoms before age 40": each bounds the age at an
event. Read as the current age, they rule out the very patients the trial is for (a
25-year-old diagnosed at 15 is "under 21 at diagnosis"). The record rarely says when
the event happened, so such a bound is not read: the item stays a question.
"""

from __future__ import annotations

import re

_EVENT = (
    r"(?:(?:initial|first|original|primary|time\s+of)\s+)*(?:diagnos[ie]s|diagnosed|onset|"
    r"presentation|symptom\s+onset|first\s+symptoms?|enrol+ment\s+in\s+\w+|transplant\w*)"
)
# after the bound: "... at diagnosis", "... at the time of initial diagnosis", "... when
# diagnosed", "... at onset of symptoms"
_AFTER = re.compile(
    r"\W{0,3}(?:years?\s*(?:old|of\s+age)?|yrs?)?\W{0,3}(?:at|when|by|on)\s+(?:the\s+)?"
    r"(?:time\s+of\s+(?:the\s+)?)?(?:(?:initial|first|original|primary)\s+)?(?:diagnos\w*|onset"
    r"|presentation|symptom|first\s+symptom)",
    re.I,
)
# before it: "Diagnosed before age 18", "onset of symptoms before age 40", "age at
# diagnosis less than 30", "diagnosis of asthma prior to the age of 12"
_BEFORE = re.compile(
    r"\b(?:diagnos\w*|onset|symptoms?|presented|presentation|developed|began|started|occurr\w*)"
    r"\b[^.;:\n]{0,40}?\b(?:before|prior\s+to|after|by|at|under|over|up\s+to|until)\s+(?:the\s+)?"
    r"(?:age|aged)?\s*(?:of\s+)?\W{0,2}$|\bage\s+at\s+" + _EVENT + r"\W{0,3}\w*\W{0,3}$",
    re.I,
)


def about_an_event(text: str, item_start: int, bound_start: int, bound_end: int) -> bool:
    """The age bound ``text[bound_start:bound_end]`` is an age at an event."""
    if _AFTER.match(text, bound_end):
        return True
    return bool(_BEFORE.search(text, max(item_start, bound_start - 60), bound_start))
