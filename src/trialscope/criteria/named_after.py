"""Things named after a disease: rating scales ("Beck Depression Inventory", "Hamilton
Depression Rating Scale", "Crohn's Disease Activity Index") and studies ("an Alzheimer's
disease study", "another breast cancer prevention trial").

The disease in such a name is what the scale measures or the study is about, not a
condition the patient has: a TREC 2023 note's "Beck depression inventory: 8." (no
depression) gave the patient depression, "score ≥ 3 on the Hamilton Depression Rating
Scale suicide item" asked an anxious patient for depression, and "Patients enrolled in an
Alzheimer's disease study" excluded every patient with Alzheimer's disease. The disease
words of such a name are left to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trialscope.criteria.vaccination import Diseases, disease_finder

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
# "an Alzheimer's disease study", "another breast cancer prevention trial", "HIV treatment
# protocol"
_STUDY_AFTER = re.compile(
    r"[ \t]+(?:(?:clinical|treatment|drug|therapeutic|prevention|interventional|observational"
    r"|research|investigational|vaccine)[ \t]+){0,2}(?:study|studies|trials?|protocols?"
    r"|registry)\b",
    re.I,
)
#: one of these is in every name read here (a substring test first)
_STEMS = (
    *("scale", "inventor", "index", "questionnaire", "composite", "schedule", "checklist"),
    "assessment test",
    *("study", "studies", "trial", "protocol", "registry"),
)


def named_words(
    text: str, start: int, end: int, diseases: Iterable[tuple[int, int, str]]
) -> list[tuple[int, int]]:
    """The disease spans of ``diseases`` that name a scale or a study in
    ``text[start:end]``, and the names joined to them by "and" ("Anxiety and Depression
    Scale")."""
    lowered = text[start:end].lower()
    if not any(stem in lowered for stem in _STEMS):
        return []
    spans = sorted({(lo, hi) for lo, hi, _ in diseases})
    out: list[tuple[int, int]] = []
    for lo, hi in reversed(spans):
        if (
            _AFTER.match(text, hi, end)
            or _STUDY_AFTER.match(text, hi, end)
            or (out and re.fullmatch(r"\s*(?:and|&|/)\s*", text[hi : out[-1][0]]))
        ):
            out.append((lo, hi))
    return out


def named_after_in(
    text: str,
    start: int = 0,
    end: int | None = None,
    diseases: Diseases | None = None,
) -> list[tuple[int, int]]:
    """:func:`named_words` with the diseases found here (``diseases``: a shared
    :func:`~trialscope.criteria.vaccination.disease_finder` of the same span)."""
    end = len(text) if end is None else end
    lowered = text[start:end].lower()
    if not any(stem in lowered for stem in _STEMS):
        return []
    found = diseases or disease_finder(text, start, end)
    return named_words(text, start, end, found())
