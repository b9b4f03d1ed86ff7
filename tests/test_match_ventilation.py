"""Invasive mechanical ventilation now.

Before this, no criterion about ventilated patients was read and a TREC 2023 note's
"Ventilation: no." reached nothing. The criteria wordings are real ones from the corpus;
those about another time ("Intubation for asthma at any time in the past", "Mechanical
ventilation >21 days") must stay unread, because "Ventilation: no." says nothing about
them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.judging import criterion_item, judged
from trialscope.criteria.ventilation import find_ventilation
from trialscope.match import Verdict, apply_answers, read_note
from trialscope.match.intake import patient_from_data
from trialscope.match.ventilation import ASK, ventilation_said


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("Subjects on a mechanical ventilator.", True),
        ("Receiving mechanical ventilation", True),
        ("Any clinically significant pulmonary or neurologic impairment (e.g., patients who "
         "are intubated or comatose).", True),
        ("Respiratory failure on mechanical ventilation", True),
        # another time, a plan, a condition on something else
        ("Intubation for asthma at any time in the past", False),
        # a mask is not a ventilator ("invasive ventilation" was read inside it)
        ("6: Hospitalized; oxygen by non-invasive ventilation or high flow oxygen", False),
        ("On non-invasive mechanical ventilation", False),
        ("Requiring noninvasive ventilation", False),
        ("Mechanical ventilation >21 days.", False),
        ("Patient is willing to have maximal medical support, including mechanical ventilation",
         False),
        ("Glasgow Coma Scale of 3-12 or, if intubated, motor score of 1-5", False),
        ("Ventilator dependent at discharge", False),
        ("Need for vasopressor therapy, mechanical ventilation, or dialysis at admission", False),
        ("Boy and girl infants who required mechanical ventilation within 24 hours of birth",
         False),
    ],
)  # fmt: skip
def test_ventilation_wordings(text: str, read: bool) -> None:
    assert bool(find_ventilation(text)) is read
    item = criterion_item("exclusion", text)
    assert any(m.category == "ventilation" for m in item.mentions) is read


VENTILATED = "Patient with COVID-19.\nHospitalization: yes.\nMechanical ventilation: yes."
BREATHING = "Patient with COVID-19.\nHospitalization: no.\nVentilation: no."


@pytest.mark.parametrize(
    ("note", "kind", "criterion", "verdict"),
    [
        (VENTILATED, "exclusion", "Subjects on a mechanical ventilator.", Verdict.MET),
        (BREATHING, "exclusion", "Subjects on a mechanical ventilator.", Verdict.NOT_MET),
        (VENTILATED, "inclusion", "Not on mechanical ventilation", Verdict.NOT_MET),
        (BREATHING, "inclusion", "Not on mechanical ventilation", Verdict.MET),
        (VENTILATED, "inclusion", "Respiratory failure on mechanical ventilation", Verdict.UNKNOWN),
        # an exclusion worded as a requirement: a person should check
        (BREATHING, "exclusion", "Not on mechanical ventilation", Verdict.UNKNOWN),
    ],
)
def test_judged_against_the_note(note: str, kind: str, criterion: str, verdict: Verdict) -> None:
    assert judged(note, kind, criterion).verdict is verdict


@pytest.mark.parametrize(
    ("sentence", "ventilated"),
    [
        ("Mechanical ventilation: yes.", True),
        # a mask is ventilation too: whether invasive is asked
        ("Ventilation: yes.", None),
        ("Ventilation: no.", False),
        ("Non-invasive ventilation: yes.", None),
        ("Non-invasive ventilation: no.", None),
        ("A 70-year-old man with ARDS who remains intubated in the ICU.", True),
        ("He was extubated on day 3 and is now on room air.", False),
        # a duration or another time says nothing about now
        ("Ventilation: 2 days.", None),
        ("He required intubation in 2015 for pneumonia.", None),
    ],
)
def test_ventilation_in_a_note(sentence: str, ventilated: bool | None) -> None:
    assert ventilation_said(sentence) is ventilated
    patient = read_note(sentence)
    assert patient.mechanically_ventilated is ventilated
    if ventilated is not None:
        assert patient.provenance["mechanically_ventilated"].text


def test_asked_answered_and_given_in_a_file() -> None:
    patient = read_note("Patient with COVID-19.")
    asked = judged(patient, "inclusion", "Receiving mechanical ventilation")
    assert (asked.verdict, [q.key for q in asked.questions]) == (Verdict.UNKNOWN, [ASK])
    answered = apply_answers(patient, {ASK: "no"})
    assert judged(answered, "inclusion", "Receiving mechanical ventilation").verdict is (
        Verdict.NOT_MET
    )
    from_file = patient_from_data({"age": 60, "mechanically_ventilated": "yes"})
    assert from_file.mechanically_ventilated is True
    assert from_file.provenance["mechanically_ventilated"].kind == "structured"


@given(
    st.text(alphabet=st.sampled_from([*"intubated mechanical ventilation on a ventilator ,.()<>"]))
)
def test_finder_never_fails_and_stays_inside(text: str) -> None:
    for words in find_ventilation(text):
        assert 0 <= words.start < words.end <= len(text)
