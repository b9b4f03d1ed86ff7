"""Invasive mechanical ventilation now: a criterion's mention (``criteria.ventilation``)
against :attr:`Patient.mechanically_ventilated`.

Notes say it as a label ("Ventilation: no.", "Mechanical ventilation: yes") or in the
story ("remains intubated", "is on a ventilator", "was extubated"). A bare "Ventilation:
yes" may be non-invasive (a mask), so it is asked; a duration ("Ventilation: 2 days") or a
past episode ("required intubation in 2015") says nothing about now.
"""

from __future__ import annotations

import re

from trialscope.criteria import Mention
from trialscope.match.bounds import ask, verdict_of
from trialscope.match.facts import PatientFacts
from trialscope.match.verdicts import Basis, Evidence, Part, Verdict

#: the question key (``answers.apply_answers`` reads it back)
ASK = "ventilation"


def judge_ventilation(mention: Mention, facts: PatientFacts) -> Part:
    """Whether the patient is on invasive mechanical ventilation now, as the item asks."""
    ventilated = facts.patient.mechanically_ventilated
    if ventilated is None:
        question = ask(ASK, "On invasive mechanical ventilation (intubated) now?")
        return Verdict.UNKNOWN, "mechanical ventilation: not known", Basis.NONE, [], [question]
    said = "on mechanical ventilation" if ventilated else "not on mechanical ventilation"
    evidence = [Evidence(said, facts.source_of("mechanically_ventilated"))]
    holds = ventilated != mention.negated
    return verdict_of(holds), f"{mention.text}: {said}", Basis.FACT, evidence, []


_LABEL = re.compile(
    r"\b(?P<which>(?:mechanical\s+|invasive\s+)?ventilation|intubated|intubation|ventilator)"
    r"\s*[:=\-]\s*"
    r"(?:(?P<no>no|none|never|negative)|(?P<yes>yes|current(?:ly)?|ongoing))\b",
    re.I,
)
_NOW = re.compile(
    r"\b(?:is|remains|remained|currently|still|now)\s+(?:\w+\s+)?(?:intubated|on\s+(?:a\s+|the\s+)?"
    r"(?:mechanical\s+)?ventilat(?:or|ion)|mechanically\s+ventilated)\b",
    re.I,
)
_OFF = re.compile(r"\b(?:was|been|is|successfully)\s+extubated\b|\bon\s+room\s+air\b", re.I)
_NON = re.compile(r"\bnon[\s-]?\Z", re.I)
_ANOTHER_TIME = re.compile(r"\b(?:ago|previous(?:ly)?|history|(?:19|20)\d\d|last\s+\w+)\b", re.I)


def ventilation_said(clause: str) -> bool | None:
    """Whether a note's sentence says the patient is on invasive ventilation now."""
    label = _LABEL.search(clause)
    if label is not None and _NON.search(clause, 0, label.start()):
        return None  # "Non-invasive ventilation: yes" is a mask, not a ventilator
    if label is not None:
        if label.group("yes") and label.group("which").lower() == "ventilation":
            return None  # "Ventilation: yes" may be a mask (non-invasive): asked
        return label.group("yes") is not None
    if _ANOTHER_TIME.search(clause):
        return None
    if _NOW.search(clause):
        return True
    if _OFF.search(clause):
        return False
    return None
