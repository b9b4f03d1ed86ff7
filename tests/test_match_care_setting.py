"""Care setting now: in hospital, in intensive care, or an outpatient.

Before this, no criterion about hospitalised patients or outpatients was read, and a
note's "Hospitalization: no." reached nothing: "Hospitalized patients with COVID-19" was
a question for a patient the note says is at home. The wordings are real ones from the
corpus; the past admissions among them ("hospitalized within the last 4 weeks") must stay
unread, because "Hospitalization: no." says nothing about last month."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.judging import judged
from trialscope.criteria.care_setting import find_care_settings
from trialscope.errors import PatientError
from trialscope.match import Verdict, read_note
from trialscope.match.answers import apply_answers
from trialscope.match.care_setting import ASK_INPATIENT, ASK_INTENSIVE_CARE, care_setting_said
from trialscope.match.fhir import read_fhir
from trialscope.match.intake import patient_from_data
from trialscope.service.matching import build_patient


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hospitalized patients aged ≥ 18 years with a positive test for SARS-CoV-2",
         ["inpatient"]),
        ("Patients hospitalised with COVID-19.", ["inpatient"]),
        ("admitted to the hospital", ["inpatient"]),
        ("Age ≥18 years and admitted at Aalborg Hospital with confirmed COVID-19", ["inpatient"]),
        ("Admitted to a hospital or controlled facility (home quarantine is not sufficient)",
         ["inpatient"]),
        ("Currently hospitalized or judged by the investigator as likely to require hospital "
         "care", ["inpatient"]),
        ("Patients admitted to the ICU due to this clinical diagnosis", ["intensive_care"]),
        ("patients hospitalised in ICU", ["intensive_care"]),
        ("All subjects will be outpatients.", ["outpatient"]),
        ("Male or female outpatients aged 20-50 years", ["outpatient"]),
        ("Outpatient male or female 18 years or older", ["outpatient"]),
        ("Non-hospitalized adults with mild COVID-19", ["outpatient"]),
        # anyone: both settings allowed
        ("Inpatients or outpatients of either sex who require therapeutic upper endoscopy", []),
        ("Ambulatory or hospitalized patients", []),
        # past admissions, study procedures, conditions on something else, severity
        ("Recently (\\< 52 weeks) hospitalized for ACS.", []),
        ("Patients who are hospitalized or who have been recently hospitalized (last 2 weeks)", []),
        ("Currently hospitalized or hospitalized within the last 4 weeks for the treatment of "
         "an opportunistic infection", []),
        ("Performance status: Karnofsky 70%-100% (50% if hospitalized)", []),
        ("NOTE: Subjects may be hospitalized for ≤10 days after injection.", []),
        ("Willingness to remain hospitalized for several days", []),
        ("Subjects have an active infection requiring hospitalized treatment", []),
        ("Hospitalized group:", []),
        ("Outpatients may be admitted overnight if necessary", []),
        ("the patients will be inpatients on the cardiology ward", []),
        ("diet for the duration of the study as an inpatient at NIH.", []),
        ("Patient is able to follow an outpatient protocol", []),
        ("All glycemic parameters must be measured in an outpatient setting", []),
        ("AST/ALT ≤ 5 x ULN in patients with liver metastases", []),
        ("admitted to the Private Medar Hospital between February 2016 and February 2021", []),
        ("Hospital admission in the previous two months.", []),
        ("Has had no more than one previous inpatient medical detoxification.", []),
    ],
)  # fmt: skip
def test_care_setting_wordings(text: str, expected: list[str]) -> None:
    assert [w.concept for w in find_care_settings(text)] == expected


@given(st.text(alphabet=st.sampled_from(list("hospitalized inpatient admitted to ICU ,.;()"))))
def test_finder_never_fails_and_stays_inside(text: str) -> None:
    for words in find_care_settings(text, 0, len(text)):
        assert 0 <= words.start < words.end <= len(text)


AT_HOME = "Patient with COVID-19.\nDefinitive diagnosis: yes (PCR).\nHospitalization: no."
ADMITTED = "Patient with COVID-19.\nDefinitive diagnosis: yes (PCR).\nHospitalization: yes."


@pytest.mark.parametrize(
    ("note", "kind", "criterion", "verdict"),
    [
        (AT_HOME, "inclusion", "Patients hospitalised with COVID-19.", Verdict.NOT_MET),
        (ADMITTED, "inclusion", "Patients hospitalised with COVID-19.", Verdict.MET),
        (AT_HOME, "inclusion", "All subjects will be outpatients.", Verdict.MET),
        (ADMITTED, "inclusion", "All subjects will be outpatients.", Verdict.NOT_MET),
        (AT_HOME, "inclusion", "Patients not hospitalized", Verdict.MET),
        (ADMITTED, "inclusion", "Non-hospitalized adults", Verdict.NOT_MET),
        (AT_HOME, "exclusion", "Hospitalized patients", Verdict.NOT_MET),
        (ADMITTED, "exclusion", "Hospitalized patients", Verdict.MET),
        (AT_HOME, "exclusion", "Patients admitted to the ICU", Verdict.NOT_MET),
        # admitted, but where in the hospital is not said
        (ADMITTED, "exclusion", "Patients admitted to the ICU", Verdict.UNKNOWN),
        # "negative" is about COVID-19, not the hospital stay
        (ADMITTED, "inclusion", "Hospitalized COVID-19 negative patients", Verdict.NOT_MET),
    ],
)
def test_judged_against_the_note(note: str, kind: str, criterion: str, verdict: Verdict) -> None:
    assert judged(read_note(note), kind, criterion).verdict is verdict


def test_not_known_asks_and_the_answer_settles_it() -> None:
    patient = read_note("Patient with COVID-19.\nDefinitive diagnosis: yes (PCR).")
    assert patient.care_setting is None
    result = judged(patient, "inclusion", "Hospitalized patients with COVID-19")
    assert result.verdict is Verdict.UNKNOWN
    assert [q.key for q in result.questions] == [ASK_INPATIENT]
    answered = apply_answers(patient, {ASK_INPATIENT: "no"})
    assert answered.care_setting == "outpatient"
    assert judged(answered, "inclusion", "Hospitalized patients with COVID-19").verdict is (
        Verdict.NOT_MET
    )
    icu = judged(apply_answers(patient, {ASK_INPATIENT: "yes"}), "exclusion", "Admitted to ICU")
    assert [q.key for q in icu.questions] == [ASK_INTENSIVE_CARE]
    in_icu = apply_answers(patient, {ASK_INTENSIVE_CARE: "yes"})
    assert judged(in_icu, "exclusion", "Admitted to ICU").verdict is Verdict.MET
    assert judged(in_icu, "inclusion", "Hospitalized patients").verdict is Verdict.MET


@pytest.mark.parametrize(
    ("sentence", "setting"),
    [
        ("Hospitalization: no.", "outpatient"),
        ("Hospitalization: yes.", "inpatient"),
        ("A 39-year-old man came to the clinic with cough.", "outpatient"),
        ("He presents to his primary care physician's office for a check-up.", "outpatient"),
        ("Patient A was admitted to the hospital after 10 days of cough.", "inpatient"),
        ("The patient was admitted to the intensive care unit to be monitored.", "intensive_care"),
        ("She is currently hospitalized for pneumonia.", "inpatient"),
        # the stay the note is about (a TrialGPT dev note: "began ... prior to his admission")
        (
            "His symptoms began about a week prior to his admission, with productive cough.",
            "inpatient",
        ),
        ("On admission, labs showed a white count of 14.", "inpatient"),
        ("He was discharged home on day 5.", "outpatient"),
        ("Prior admissions for heart failure in 2019.", None),
        # not now, or not a ward
        ("He was admitted to the emergency department with asthma.", None),
        ("At his initial diagnosis of diabetes he was hospitalized with glucose >1000.", None),
        ("She was hospitalized for pneumonia in 2019.", None),
        ("Two admissions last year for heart failure.", None),
        ("He has never been hospitalized.", None),
        ("She presents to the emergency department with chest pain.", None),
    ],
)
def test_care_setting_in_a_note(sentence: str, setting: str | None) -> None:
    assert care_setting_said(sentence) == setting
    patient = read_note(sentence)
    assert patient.care_setting == setting
    if setting is not None:
        assert patient.provenance["care_setting"].text


def test_the_last_said_is_now() -> None:
    note = "A 60-year-old man came to the clinic with dyspnea. He was admitted to the hospital."
    assert read_note(note).care_setting == "inpatient"
    # "on admission" says admitted, not which ward: the ICU said before stands
    icu = "He was admitted to the ICU. On admission he was intubated."
    assert read_note(icu).care_setting == "intensive_care"


@pytest.mark.parametrize(
    ("value", "setting"),
    [(True, "inpatient"), ("no", "outpatient"), (False, "outpatient"), ("yes", "inpatient")],
)
def test_structured_shorthand(value: object, setting: str) -> None:
    assert patient_from_data({"age": 50, "hospitalized": value}).care_setting == setting
    assert patient_from_data({"care_setting": setting}).care_setting == setting


def test_structured_errors_say_what_to_write() -> None:
    with pytest.raises(PatientError, match="expected yes or no"):
        patient_from_data({"age": 50, "hospitalized": "sometimes"})
    with pytest.raises(PatientError, match="care_setting"):
        patient_from_data({"age": 50, "care_setting": "home"})


def _bundle(*encounters: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female"}
    entries = [patient] + [
        {"resourceType": "Encounter", "id": f"e{n}", "subject": {"reference": "Patient/p1"}, **e}
        for n, e in enumerate(encounters)
    ]
    entry = [{"resource": resource} for resource in entries]
    return {"resourceType": "Bundle", "type": "collection", "entry": entry}


_ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


@pytest.mark.parametrize(
    ("encounters", "setting"),
    [
        ([{"status": "in-progress", "class": {"system": _ACT, "code": "IMP"}}], "inpatient"),
        (
            [
                {"status": "in-progress", "class": {"system": _ACT, "code": "AMB"}},
                {
                    "status": "in-progress",
                    "class": {"system": _ACT, "code": "ACUTE"},
                    "location": [{"location": {"display": "Medical ICU, bed 4"}}],
                },
            ],
            "intensive_care",
        ),
        ([{"status": "in-progress", "class": {"system": _ACT, "code": "AMB"}}], "outpatient"),
        # over, or not a place of care: nothing about now
        ([{"status": "finished", "class": {"system": _ACT, "code": "IMP"}}], None),
        ([{"status": "in-progress", "class": {"system": _ACT, "code": "EMER"}}], None),
    ],
)
def test_care_setting_from_fhir_encounters(
    encounters: list[dict[str, Any]], setting: str | None
) -> None:
    read = read_fhir(_bundle(*encounters))
    assert read.patient.care_setting == setting
    if setting is not None:
        assert read.patient.provenance["care_setting"].ref.startswith("Encounter/")
    assert not [w for w in read.warnings if "Encounter" in w]


def test_structured_fields_win_over_the_note_with_their_own_provenance() -> None:
    patient = build_patient({"care_setting": "outpatient", "pregnant": False}, ADMITTED)
    assert patient.care_setting == "outpatient"
    source = patient.provenance["care_setting"]
    assert (source.kind, source.ref) == ("structured", "care_setting")
    result = judged(patient, "inclusion", "Patients hospitalised with COVID-19.")
    assert result.verdict is Verdict.NOT_MET
    assert [e.source.kind for e in result.evidence if e.source] == ["structured"]
    # a value the note gave and the structured fields did not set keeps the note's sentence
    note_only = build_patient({"age": 40}, ADMITTED)
    assert note_only.provenance["care_setting"].kind == "note"
