"""Rating scales named after a disease: "Beck Depression Inventory", "Hamilton Depression
Rating Scale", "Hospital Anxiety and Depression Scale", "Crohn's Disease Activity Index".

The disease in such a name is what the instrument measures, not a condition the patient
has: a TREC 2023 note's "Beck depression inventory: 8." (no depression) gave the patient
depression, and "score ≥ 3 on the Hamilton Depression Rating Scale suicide item" asked an
anxious patient for depression. The disease words of a scale are left to the scale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# what follows the disease in a scale's name ("Rating Scale", "Activity Index", "Inventory");
# never a bare "test" or "score", which follow diseases in other senses ("COVID-19 test
# result", "depression score")
_AFTER = re.compile(
    r"[ \t]*(?:[-–][ \t]*)?(?:(?:self[ \t-]*)?rating|activity|severity|symptom|area[ \t]+and"
    r"[ \t]+severity|impact|control|assessment|screening|functional|quality[ \t]+of[ \t]+life)?"
    r"[ \t]*(?:scales?|inventory|inventories|index|questionnaires?|composite|schedule|checklist"
    r"|assessment[ \t]+test|rating[ \t]+scale)\b",
    re.I,
)
#: one of these is in every scale name read here (a substring test first)
_STEMS = (
    *("scale", "inventor", "index", "questionnaire", "composite", "schedule", "checklist"),
    "assessment test",
)


def instrument_words(
    text: str, start: int, end: int, diseases: Iterable[tuple[int, int, str]]
) -> list[tuple[int, int]]:
    """The disease spans of ``diseases`` that name a scale in ``text[start:end]``, and the
    names joined to them by "and" ("Anxiety and Depression Scale")."""
    lowered = text[start:end].lower()
    if not any(stem in lowered for stem in _STEMS):
        return []
    spans = sorted({(lo, hi) for lo, hi, _ in diseases})
    out: list[tuple[int, int]] = []
    for lo, hi in reversed(spans):
        if _AFTER.match(text, hi, end) or (
            out and re.fullmatch(r"\s*(?:and|&|/)\s*", text[hi : out[-1][0]])
        ):
            out.append((lo, hi))
    return out


def instruments_in(
    text: str,
    start: int = 0,
    end: int | None = None,
    hits: Iterable[tuple[int, int, str, str, str]] | None = None,
) -> list[tuple[int, int]]:
    """:func:`instrument_words` with the diseases found here; ``hits``: the parser's
    lexicon hits when it has them."""
    from trialscope.criteria.vaccination import diseases_in

    end = len(text) if end is None else end
    lowered = text[start:end].lower()
    if not any(stem in lowered for stem in _STEMS):
        return []
    return instrument_words(text, start, end, diseases_in(text, start, end, hits))
