"""Where a criterion says the patient is cared for now: in hospital, in its intensive
care unit, or not in hospital (an outpatient).

Most words about hospitals in criteria are not about the present: "hospitalized within
the last 4 weeks", "requiring hospitalization", "no more than one previous inpatient
detoxification", "able to participate in an outpatient study", "Patients with creatinine
2.0-5.0 mg/dL may be admitted to this study". Only wordings that say where the patient
is now are read here ("Hospitalized patients with COVID-19", "admitted to the hospital",
"Subjects will be outpatients", "Non-hospitalized adults"); everything else is left
unread, so it stays a question rather than a wrong answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the concepts a care-setting mention names (``Mention.concept``)
INPATIENT = "inpatient"
INTENSIVE_CARE = "intensive_care"
OUTPATIENT = "outpatient"

_ICU = r"(?:icu|picu|nicu|intensive\s+care(?:\s+units?)?|critical\s+care(?:\s+units?)?)"
_PLACE = (
    rf"(?:(?P<icu>{_ICU})|hospitals?|wards?|medical\s+wards?|inpatient\s+units?"
    r"|(?:medical|surgical)\s+services?)"
)
_WORDS = re.compile(
    # "Hospitalized patients", "currently hospitalised", "patients hospitalized for COVID-19"
    r"(?P<non>\bnon[\s-]?hospitali[sz]ed\b)"
    r"|(?P<hosp>\bhospitali[sz]ed\b(?:\s+(?:in|at|to)\s+(?:the\s+|an?\s+)?(?P<hicu>" + _ICU + r"))?"
    # "requiring hospitalized treatment" is how ill, "Hospitalized group:" a cohort
    r"(?!\s+(?:treatment|care|monitoring|group|arm|cohort)\b))"
    # "admitted to the Royal Columbian Hospital", "admitted to ICU"
    r"|(?P<admitted>\badmitted\s+(?:to|at|in|into)\s+(?:(?:the|a|an|any|one\s+of\s+the)\s+)?"
    r"(?:[\w'’.&-]+\s+){0,5}?" + _PLACE + r"(?![\w-]))"
    # persons: "inpatients", "an inpatient", "hospital inpatient status" ("in patients
    # with ..." is not one)
    r"|(?P<in>\bin-?patients\b|\bin-?patient(?=\s+(?:status|male|female|adults?|subjects?"
    r"|participants?|children)\b)|(?<=\ban\s)in-?patient\b(?!\s+\w))"
    r"|(?P<out>\bout-?patients\b|\bout-?patient(?=\s+(?:status|male|female|adults?|subjects?"
    r"|participants?|children|men|women)\b)|(?<=\ban\s)out-?patient\b(?![\s-]+\w)"
    r"|\bambulatory(?=\s+(?:or|and|/)\s+hospitali[sz]ed\s+(?:patients|subjects|participants"
    r"|adults|children|persons|individuals)\b))",
    re.I,
)
# the words just before that make it a past event, a study procedure or a permission:
# "previously hospitalized", "have been hospitalized", "may be hospitalized for <= 10
# days", "willingness to remain hospitalized", "as an inpatient at NIH", "6: Hospitalized;"
_NOT_NOW_BEFORE = re.compile(
    r"(?:\b(?:been|previously|prior|ever|once|twice|times|remain|remaining|stay|become"
    r"|was|were|had|will\s+be|may\s+be|to\s+be|would\s+be|can\s+be|be\s+re|return\s+to)"
    r"|\bas|\bhistory\s+of|\d\s*[:=)])(?:\s+an?)?\s*$|\b(?:recently|previously)\b",
    re.I,
)
_PERSON_NOT_NOW = re.compile(r"\b(?:as|become|return\s+to)(?:\s+an?)?\s*$", re.I)
# "Karnofsky 70%-100% (50% if hospitalized)": a condition on something else
_CONDITION_BEFORE = re.compile(r"\b(?:if|when|unless|whether|while)\s+(?:\w+\s+){0,2}$", re.I)
# ... and just after, in the same clause and alternative: "hospitalized within the last 4
# weeks", "hospitalized in the past year", "hospitalized (last 2 weeks)", "... 3 months
# prior to screening", "admitted ... between February 2016 and February 2021"
_PAST_AFTER = re.compile(
    r"(?:(?!\bor\b)[^.;:\n]){0,80}?(?:\bwithin\b|\bduring\s+the\s+(?:last|past|previous|"
    r"preceding|prior)|\b(?:in|over)\s+the\s+(?:last|past|previous|preceding|prior)\b"
    r"|\bprior\s+to\b|\bbefore\b|\bago\b|\bsince\b|\(\s*(?:last|past|within|[<≤])"
    r"|\bwithout\s+(?:his|her|their)\s+consent|\bfor\s+(?:at\s+least|more\s+than|less\s+than"
    r"|[<≤>≥]|\d)|\b(?:times|episodes?)\b|\bbetween\b|\b(?:19|20)\d\d\b)",
    re.I,
)
# "Outpatients may be admitted overnight", "All inpatients will be monitored": the study
_STUDY_AFTER = re.compile(r"\s+(?:may|will|can|should|must\s+not)\b", re.I)
_NOW_BEFORE = re.compile(r"\b(?:currently|presently|now|at\s+present)\s+$", re.I)


#: every wording _WORDS reads contains one of these ("patient" alone is in most items)
_STEMS = ("hospitali", "inpatient", "in-patient", "outpatient", "out-patient", "admitted")


@dataclass(frozen=True, slots=True)
class SettingWords:
    """One wording about the care setting now: ``concept`` is :data:`INPATIENT`,
    :data:`INTENSIVE_CARE` or :data:`OUTPATIENT`; ``start``/``end`` index the text."""

    concept: str
    start: int
    end: int


def find_care_settings(text: str, start: int = 0, end: int | None = None) -> list[SettingWords]:
    """The wordings in ``text[start:end]`` that say where the patient is cared for now."""
    end = len(text) if end is None else end
    lowered = text[start:end].lower()
    if not any(word in lowered for word in _STEMS):
        return []  # the common case, decided by substring tests
    out = []
    for found in _WORDS.finditer(text, start, end):
        person = bool(found.group("in") or found.group("out"))
        if found.group("non") or found.group("out"):
            concept = OUTPATIENT
        elif found.group("hicu") or found.group("icu"):
            concept = INTENSIVE_CARE
        else:
            concept = INPATIENT
        before = text[max(start, found.start() - 30) : found.start()]
        if _STUDY_AFTER.match(text, found.end(), end) or _CONDITION_BEFORE.search(before):
            continue
        if person:
            # "Subjects will be outpatients" asks for outpatients; "as an inpatient at
            # NIH", "the patients will be inpatients on the ward" are the study's stay
            if _PERSON_NOT_NOW.search(before) or (
                concept == INPATIENT and _NOT_NOW_BEFORE.search(before)
            ):
                continue
        elif not _NOW_BEFORE.search(before) and (
            _NOT_NOW_BEFORE.search(before) or _PAST_AFTER.match(text, found.end(), end)
        ):
            # "Currently hospitalized or recently hospitalized (last 2 weeks)": the past
            # admission is not read, so the present one alone would decide the item
            return []
        out.append(SettingWords(concept, found.start(), found.end()))
    if {w.concept for w in out} >= {INPATIENT, OUTPATIENT}:
        return []  # "inpatients or outpatients", "ambulatory or hospitalized": anyone
    return out
