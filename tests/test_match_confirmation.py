"""How a diagnosis was confirmed: "Definitive diagnosis: never." is a suspected case.

Before this, a note saying the COVID-19 was never confirmed met "Laboratory-confirmed
COVID-19" (the confirmation words were read as filler), one "positive on rapid test only"
met "positive for COVID-19 by polymerase chain reaction", and "Confirmed COVID-19
infection" was not met by a PCR-confirmed case ("infection" was read as a second disease
the patient must also have)."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import Verdict, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.intake import patient_from_data
from trialscope.match.judge import judge_item
from trialscope.match.patient import Patient

NEVER = "Patient with COVID-19.\nDefinitive diagnosis: never.\nSymptoms: headache."
RAPID = "Patient with COVID-19.\nDefinitive diagnosis: positive on rapid test only."
PCR = "Patient with COVID-19.\nDefinitive diagnosis: yes (PCR).\nHospitalization: no."
YES = "Patient with COVID-19.\nDefinitive diagnosis: yes."
SILENT = "A 40-year-old man with COVID-19."


@pytest.mark.parametrize(
    ("note", "confirmed_by"),
    [
        (NEVER, []),
        (RAPID, ["antigen"]),
        (PCR, ["pcr"]),
        (YES, ["confirmed"]),
        (SILENT, None),
        ("A 40-year-old man with cough. He tested positive for COVID-19 on a home rapid "
         "antigen test.", ["antigen"]),
        ("A 40-year-old woman. SARS-CoV-2 RT-PCR positive; COVID-19 pneumonia.", ["pcr"]),
        # a negative test confirms nothing; a stage is no confirmation
        ("A 40-year-old woman with fever. COVID-19 PCR negative.", None),
        ("Patient with breast cancer.\nDefinitive diagnosis: stage III.", None),
    ],
)  # fmt: skip
def test_confirmation_in_a_note(note: str, confirmed_by: list[str] | None) -> None:
    found = {tuple(c.confirmed_by) if c.confirmed_by is not None else None
             for c in read_note(note).conditions if c.status != "absent"}  # fmt: skip
    expected = tuple(confirmed_by) if confirmed_by is not None else None
    assert expected in found
    if confirmed_by is None:
        assert found == {None}


def judged(patient: Patient, kind: str, criterion: str) -> Verdict:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    return judge_item(item, PatientFacts.of(patient)).verdict


M, N, U = Verdict.MET, Verdict.NOT_MET, Verdict.UNKNOWN


@pytest.mark.parametrize(
    ("kind", "criterion", "never", "rapid", "pcr", "silent"),
    [
        # real CT.gov wordings (NCT05060562, NCT04853108, NCT04780373, ...)
        ("inclusion", "Diagnosed as Coronavirus Disease 2019 by RT- PCR, or Rapid Antigen",
         N, M, M, M),
        ("inclusion", "patients positive for COVID-19 by polymerase chain reaction assay",
         N, N, M, M),
        ("inclusion", "Laboratory-confirmed COVID-19", N, M, M, U),
        ("inclusion", "Patients with COVID-19", M, M, M, M),
        ("inclusion", "Confirmed or suspected COVID-19 infection with mild or severe illness",
         M, M, M, M),
        ("inclusion", "Diagnosed COVID-19 positive after vaccination by real time PCR (confirmed "
         "case) or combined clinical and radiological diagnosis (possible case).", M, M, M, M),
        ("exclusion", "Confirmed COVID-19 infection", N, M, M, M),
        # a negative test asked for: the result word reaches back over the test's name
        ("inclusion", "COVID-19 Polymerase Chain Reaction (PCR) test result negative",
         N, N, N, N),
    ],
)  # fmt: skip
def test_criteria_asking_a_confirmed_diagnosis(
    kind: str, criterion: str, never: Verdict, rapid: Verdict, pcr: Verdict, silent: Verdict
) -> None:
    got = [judged(read_note(n), kind, criterion) for n in (NEVER, RAPID, PCR, SILENT)]
    assert got == [never, rapid, pcr, silent]


def test_confirmed_but_by_which_test_not_said_is_asked() -> None:
    item = parse_criteria(
        "Inclusion Criteria:\n* positive for COVID-19 by polymerase chain reaction"
    ).items[0]
    result = judge_item(item, PatientFacts.of(read_note(YES)))
    assert result.verdict is Verdict.UNKNOWN
    assert result.questions and result.questions[0].key.startswith("condition:kind:")


def test_structured_confirmation() -> None:
    patient = patient_from_data(
        {"age": 40, "conditions": [{"name": "COVID-19", "confirmed_by": ["antigen"]}]}
    )
    assert judged(patient, "inclusion", "COVID-19 confirmed by RT-PCR") is Verdict.NOT_MET
