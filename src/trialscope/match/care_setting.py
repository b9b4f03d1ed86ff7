"""Where the patient is cared for now, said in a note and judged against criteria.

A criterion's care-setting mention (``criteria.care_setting``: "Hospitalized patients
with COVID-19", "Subjects will be outpatients", "admitted to the ICU") is decided by
:attr:`Patient.care_setting`: ``outpatient`` (not admitted), ``inpatient`` (admitted to
hospital) or ``intensive_care`` (admitted, in intensive care). Notes say it as a label
("Hospitalization: no.") or in the story ("was admitted to the ICU", "presents to her
primary care clinic"). A past admission ("hospitalized for pneumonia in 2019", "two
admissions last year") says nothing about now and is not read.
"""

from __future__ import annotations

import re

from trialscope.criteria import Mention
from trialscope.criteria.care_setting import INPATIENT, INTENSIVE_CARE, OUTPATIENT
from trialscope.match.bounds import ask, verdict_of
from trialscope.match.facts import PatientFacts
from trialscope.match.patient import CareSetting
from trialscope.match.verdicts import Basis, Evidence, Part, Question, Verdict

#: question keys (``answers.apply_answers`` reads them back)
ASK_INPATIENT = "care_setting:inpatient"
ASK_INTENSIVE_CARE = "care_setting:intensive_care"

_SAID = {
    OUTPATIENT: "not admitted to hospital",
    INPATIENT: "admitted to hospital",
    INTENSIVE_CARE: "in intensive care",
}


def judge_care_setting(mention: Mention, facts: PatientFacts) -> Part:
    """Whether the criterion's care setting holds for the patient now."""
    setting = facts.patient.care_setting
    if setting is None:
        question = _question(mention.concept)
        return Verdict.UNKNOWN, f"{_SAID[mention.concept]}: not known", Basis.NONE, [], [question]
    evidence = [Evidence(f"care setting: {_SAID[setting]}", facts.source_of("care_setting"))]
    if mention.concept == INTENSIVE_CARE and setting == INPATIENT:
        reason = "admitted to hospital, but whether in intensive care is not known"
        return Verdict.UNKNOWN, reason, Basis.NONE, evidence, [_question(INTENSIVE_CARE)]
    if mention.concept == OUTPATIENT:
        holds = setting == OUTPATIENT
    elif mention.concept == INTENSIVE_CARE:
        holds = setting == INTENSIVE_CARE
    else:
        holds = setting != OUTPATIENT
    holds = holds != mention.negated
    return verdict_of(holds), f"{mention.text}: {_SAID[setting]}", Basis.FACT, evidence, []


def _question(concept: str) -> Question:
    if concept == INTENSIVE_CARE:
        return ask(ASK_INTENSIVE_CARE, "In an intensive care unit now?")
    return ask(ASK_INPATIENT, "Admitted to hospital now (an inpatient)?")


def answered_setting(key: str, yes: bool, known: CareSetting | None) -> CareSetting | None:
    """The care setting an answer to one of this module's questions gives."""
    if key == ASK_INTENSIVE_CARE:
        if yes:
            return "intensive_care"
        return "inpatient" if known == "intensive_care" else known
    if yes:
        return known if known == "intensive_care" else "inpatient"
    return "outpatient"


_ICU = (
    r"(?:(?:medical|surgical|pediatric|paediatric|neonatal|cardiac|coronary|neuro)\s+)?"
    r"(?:icu|micu|sicu|picu|nicu|ccu|intensive\s+care(?:\s+unit)?|critical\s+care\s+unit)"
)
_LABEL = re.compile(
    r"\b(?:hospitali[sz]ation|hospitali[sz]ed|admitted|admission|in[\s-]?patient)\s*[:=\-]\s*"
    r"(?:(?P<no>no|none|never|negative)|(?P<icu>" + _ICU + r")|(?P<yes>yes|current(?:ly)?"
    r"|ongoing))\b",
    re.I,
)
# "was admitted to the ICU", "is in the intensive care unit", "transferred to the MICU"
_IN_ICU = re.compile(
    r"\b(?:admitted|transferred|taken|brought|moved)\s+(?:directly\s+)?(?:to|in|into)\s+"
    r"(?:the\s+|an?\s+)?"
    + _ICU
    + r"\b|\b(?:is|remains|currently)\s+(?:in|on)\s+(?:the\s+)?"
    + _ICU
    + r"\b",
    re.I,
)
# "was admitted to the hospital", "is hospitalized", "currently an inpatient"
_IN_HOSPITAL = re.compile(
    r"\b(?:is|was|were|has\s+been|have\s+been|got|gets|being|currently)\s+(?:\w+\s+)?"
    r"(?:admitted|hospitali[sz]ed)\b|\b(?:is|currently)\s+(?:an?\s+)?in[\s-]?patient\b"
    r"|\badmitted\s+(?:to|into|on)\s+(?:the\s+|an?\s+)?(?:\w+\s+){0,2}?(?:hospital|ward|floor"
    r"|service|unit)\b",
    re.I,
)
# "presents to her primary care physician's office", "seen in the outpatient clinic"
_IN_CLINIC = re.compile(
    r"\b(?:presents?|presented|presenting|comes?|came|is\s+seen|was\s+seen|seen|visits?"
    r"|visited|attends?|attended)\s+(?:\w+\s+){0,3}?(?:to|in|at)\s+(?:the\s+|an?\s+|her\s+|his\s+"
    r"|their\s+)?(?:[\w'’-]+\s+){0,3}?(?:clinic|office|outpatient\s+\w+)\b"
    r"|\b(?:an?\s+)?out[\s-]?patient\s+(?:visit|appointment|consultation)\b",
    re.I,
)
# the emergency department is not a ward: "admitted to the ED" is not yet an inpatient
_EMERGENCY = re.compile(r"\bemergency\b|\bED\b|\bER\b|\bA&E\b")
# a past admission, an admission denied or another person's: nothing about now
_NOT_NOW = re.compile(
    r"\b(?:ago|previous(?:ly)?|prior|history\s+of|h/o|last\s+(?:year|month|week|winter|summer)"
    r"|(?:19|20)\d\d|times|several|multiple|recurrent|frequent|childhood|as\s+a\s+child|years?"
    r"\s+before|no|never|not|denies|without|discharged|after\s+(?:an?\s+)?(?:\w+\s+)?"
    r"(?:admission|hospitali[sz]ation)|at\s+the\s+time|initial(?:ly)?|first\s+diagnos\w*"
    r"|when\s+(?:he|she|they)\s+(?:was|were))\b",
    re.I,
)


# "symptoms began a week prior to his admission", "on admission, labs showed": the stay
# the note is about; "was discharged home": over
_THIS_ADMISSION = re.compile(
    r"\b(?:prior\s+to|before|since|on|upon|at\s+the\s+time\s+of)\s+(?:(?:his|her|their|the)"
    r"\s+)?(?:current\s+|present\s+)?admission\b",
    re.I,
)
_DISCHARGED_HOME = re.compile(r"\b(?:was|is|been|being)\s+discharged\s+(?:to\s+)?home\b", re.I)
_ANOTHER_TIME = re.compile(
    r"\b(?:ago|previous(?:ly)?|history\s+of|h/o|last\s+(?:year|month|week)|(?:19|20)\d\d"
    r"|times|several|multiple|recurrent|prior\s+admissions?)\b",
    re.I,
)


def care_setting_said(clause: str, known: CareSetting | None = None) -> CareSetting | None:
    """The care setting a note's sentence gives for now, if any (``known``: what the
    note said before; "on admission" says no more than admitted)."""
    label = _LABEL.search(clause)
    if label is not None:
        if label.group("no"):
            return "outpatient"
        return "intensive_care" if label.group("icu") else "inpatient"
    if _DISCHARGED_HOME.search(clause) and not _ANOTHER_TIME.search(clause):
        return "outpatient"
    if _THIS_ADMISSION.search(clause) and not _ANOTHER_TIME.search(clause):
        if _IN_ICU.search(clause):
            return "intensive_care"
        return known if known in ("inpatient", "intensive_care") else "inpatient"
    if "admi" not in clause.lower() and "hospitali" not in clause.lower():
        if _IN_CLINIC.search(clause) and not _EMERGENCY.search(clause):
            return "outpatient"
        return None
    if _NOT_NOW.search(clause):
        return None
    if _IN_ICU.search(clause):
        return "intensive_care"
    if _IN_HOSPITAL.search(clause) and not _EMERGENCY.search(clause):
        return "inpatient"
    return None
