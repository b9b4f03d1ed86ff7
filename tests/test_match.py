"""The matcher: patient model, note reading, per-criterion verdicts, trial verdicts,
ranking, questions and answers — on real records and real patient notes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CTGOV, FIXTURES, SHARED_DATA, Backend, needs_corpus
from trialscope.criteria import parse_criteria
from trialscope.errors import PatientError, UsageError
from trialscope.importer import import_paths
from trialscope.match import (
    Patient,
    TrialVerdict,
    Verdict,
    apply_answers,
    match_patient,
    match_trial,
    read_note,
)
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.store import Store

SEED = "NCT04416854"
SIGIR = SHARED_DATA / "trialgpt" / "sigir" / "queries.jsonl"
needs_vocabulary = pytest.mark.skipif(
    not (SHARED_DATA / "vocab").is_dir(), reason="no ../shared/data/vocab"
)

CRC_PATIENT: dict[str, Any] = {
    "age": 62,
    "sex": "female",
    "conditions": [
        {"name": "colon adenocarcinoma"},
        {"name": "liver metastases", "lesion_count": 3},
    ],
    "labs": [
        {"test": "platelets", "value": 180000, "unit": "/uL"},
        {"test": "anc", "value": 2.1, "unit": "10^9/L"},
        {"test": "hemoglobin", "value": 11.2, "unit": "g/dL"},
        {"test": "alt", "value": 50, "unit": "U/L", "reference_high": 40},
        {"test": "ast", "value": 30, "unit": "U/L"},
        {"test": "creatinine", "value": 0.9, "unit": "mg/dL"},
    ],
    "performance": [{"scale": "karnofsky", "value": 80}],
}


def verdict(criterion: str, patient: dict[str, Any] | Patient, kind: str = "inclusion") -> Any:
    person = patient if isinstance(patient, Patient) else Patient.from_data(patient)
    items = parse_criteria(criterion).items
    assert items, criterion
    return judge_item(items[0], PatientFacts.of(person), kind=kind)


# -- patient model ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"labs": [{"test": "zorp", "value": 1}]}, "labs[0].test"),
        ({"labs": [{"test": "platelets", "value": 1, "unit": "mg"}]}, "labs[0].unit"),
        ({"labs": [{"test": "hemoglobin", "value": 900, "unit": "g/dL"}]}, "labs[0].value"),
        ({"agee": 3}, "agee"),
        ({"age": -1}, "age"),
        ({"sex": "other"}, "sex"),
        ({"performance": [{"scale": "ecog", "value": "x"}]}, "performance.0.value"),
    ],
)
def test_bad_patient_input_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(PatientError) as caught:
        Patient.from_data(data)
    assert caught.value.field == field
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("test", "value", "unit", "canonical"),
    [
        ("Platelet count", 150000, "/uL", (150.0, "10^9/L")),
        ("platelets", 150, "x10^9/L", (150.0, "10^9/L")),
        ("hemoglobin", 9, "g/dL", (90.0, "g/L")),
        ("creatinine", 1.0, "mg/dL", (88.4, "umol/L")),
    ],
)
def test_lab_units_are_normalised(
    test: str, value: float, unit: str, canonical: tuple[float, str]
) -> None:
    lab = Patient.from_data({"labs": [{"test": test, "value": value, "unit": unit}]}).labs[0]
    got, got_unit = lab.canonical()
    assert got == pytest.approx(canonical[0], rel=1e-3)
    assert got_unit == canonical[1]


def test_age_from_birth_date() -> None:
    patient = Patient(birth_date=dt.date(1960, 6, 30), as_of=dt.date(2026, 6, 29))
    assert patient.age_years() == 65


# -- free-text notes ---------------------------------------------------------------------


def _sigir(topic: str) -> str:
    for line in SIGIR.read_text().splitlines():
        row = json.loads(line)
        if row["_id"] == topic:
            return str(row["text"])
    raise AssertionError(topic)


@needs_corpus
def test_note_reads_age_sex_negations_and_provenance() -> None:
    # a patient of the criterion-level dev half (bench/splits.py): tests never read test-half notes
    patient = read_note(_sigir("sigir-201423"))  # 63-year-old man, denies fever ...
    assert patient.age == 63
    assert patient.sex == "male"
    assert patient.complete_history
    absent = {c.name.lower() for c in patient.conditions if c.status == "absent"}
    present = {c.name.lower() for c in patient.conditions if c.status == "active"}
    history = {c.name.lower() for c in patient.conditions if c.status == "history"}
    assert "fever" in absent
    assert "cough" in present
    assert "diabetes" in history  # "past medical history is notable for ... diabetes"
    assert "dementia" not in present | history  # family history is not the patient's
    source = next(c.source for c in patient.conditions if c.name.lower() == "fever")
    assert source.kind == "note" and source.ref.startswith("sentence ")
    assert source.text == "He denies fever."


def test_note_reads_labs_pregnancy_timing_and_consent() -> None:
    note = (
        "A 27-year-old woman at 11 weeks gestation has a hemoglobin of 9.0 g/dL and a "
        "platelet count of 150,000/mm3. She had a myocardial infarction 2 years ago. "
        "She will provide informed consent."
    )
    patient = read_note(note, as_of=dt.date(2026, 1, 1))
    assert patient.pregnant is True
    assert patient.will_consent is True
    assert patient.lab("hemoglobin") is not None
    assert patient.lab("hemoglobin").canonical() == (90.0, "g/L")  # type: ignore[union-attr]
    assert patient.lab("platelets").canonical()[0] == 150.0  # type: ignore[union-attr]
    mi = [c for c in patient.conditions if "infarction" in c.name]
    assert mi and mi[0].onset is not None and mi[0].onset.year == 2024


@given(st.text(max_size=400))
@settings(max_examples=150, deadline=None)
def test_note_reader_never_raises(text: str) -> None:
    patient = read_note(text)
    assert patient.note == text


@given(st.integers(min_value=1, max_value=110), st.sampled_from(["-year-old", " yo", " y/o"]))
@settings(max_examples=60, deadline=None)
def test_note_age_phrases(age: int, suffix: str) -> None:
    assert read_note(f"A {age}{suffix} man with cough.").age == age


# -- per-criterion verdicts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "kind", "expected"),
    [
        ("Platelets ≥ 100,000/mm3", "inclusion", Verdict.MET),
        ("Platelets ≥ 200 x 10^9/L", "inclusion", Verdict.NOT_MET),
        ("Hemoglobin ≥ 9 g/dL", "inclusion", Verdict.MET),
        ("ALT ≤ 1.5 x ULN", "inclusion", Verdict.MET),  # 50 / 40 = 1.25 x ULN
        ("ALT ≤ 1.0 x ULN", "inclusion", Verdict.NOT_MET),
        ("ECOG 0-1", "inclusion", Verdict.MET),  # Karnofsky 80 ~ ECOG 1
        ("ECOG 0", "inclusion", Verdict.NOT_MET),
        ("Age 18 to 75 years", "inclusion", Verdict.MET),
        ("Creatinine ≤ 1.5 mg/dL", "inclusion", Verdict.MET),
        ("Bilirubin ≤ 1.5 mg/dL", "inclusion", Verdict.UNKNOWN),
        ("Known brain metastases", "exclusion", Verdict.UNKNOWN),
        ("No more than 5 liver metastases", "inclusion", Verdict.MET),
    ],
)
def test_criterion_verdicts_for_a_structured_patient(
    criterion: str, kind: str, expected: Verdict
) -> None:
    result = verdict(criterion, CRC_PATIENT, kind)
    assert result.verdict is expected, result.reason


def test_uln_without_reference_range_decides_only_when_every_usual_limit_agrees() -> None:
    # AST 30 U/L without its lab's range is under 2.5 x any usual adult limit (33-48 U/L)
    result = verdict("AST ≤ 2.5 x ULN", CRC_PATIENT)
    assert result.verdict is Verdict.MET and "any usual upper limit" in result.reason
    # 100 U/L is 2.1 x a limit of 48 but 3.0 x one of 33: the lab's own range is asked
    labs = [lab for lab in CRC_PATIENT["labs"] if lab["test"] != "ast"]
    high = {**CRC_PATIENT, "labs": [*labs, {"test": "ast", "value": 100, "unit": "U/L"}]}
    result = verdict("AST ≤ 2.5 x ULN", high)
    assert result.verdict is Verdict.UNKNOWN
    assert [q.key for q in result.questions] == ["ref:ast"]
    assert result.evidence and "AST" in result.evidence[0].fact


def test_missing_lab_question_carries_the_unit() -> None:
    result = verdict("Total bilirubin ≤ 1.5 mg/dL", CRC_PATIENT)
    assert result.verdict is Verdict.UNKNOWN
    question = result.questions[0]
    assert question.key == "lab:total_bilirubin" and question.unit == "umol/L"


def test_pregnancy_items_do_not_apply_to_men() -> None:
    man = {"age": 50, "sex": "male"}
    assert verdict("Pregnant or breastfeeding", man, "exclusion").verdict is (
        Verdict.NOT_APPLICABLE
    )
    woman = {"age": 30, "sex": "female", "pregnant": True}
    assert verdict("Pregnant or breastfeeding", woman, "exclusion").verdict is Verdict.MET


def test_explicit_absence_and_closed_world_exclusions() -> None:
    denies = read_note("A 60-year-old man with asthma. He denies HIV infection.")
    result = verdict("HIV infection", denies, "exclusion")
    assert result.verdict is Verdict.NOT_MET and result.basis.value == "fact"
    silent = read_note("A 60-year-old man with asthma.")
    assumed = verdict("Hepatitis B infection", silent, "exclusion")
    assert assumed.verdict is Verdict.NOT_MET and assumed.basis.value == "absence"
    assert assumed.questions  # kept open to confirm
    # an inclusion is not settled by silence
    assert verdict("Hepatitis B infection", silent, "inclusion").verdict is Verdict.UNKNOWN


def test_window_excludes_an_old_event() -> None:
    note = "A 70-year-old man had a myocardial infarction 2 years ago."
    patient = read_note(note, as_of=dt.date(2026, 1, 1))
    recent = verdict("Myocardial infarction within 3 months", patient, "exclusion")
    assert recent.verdict is Verdict.NOT_MET
    ever = verdict("History of myocardial infarction", patient, "exclusion")
    assert ever.verdict is Verdict.MET


@needs_vocabulary
@pytest.mark.parametrize(
    ("criterion", "condition"),
    [
        ("Histologically confirmed colorectal cancer", "colon adenocarcinoma"),
        ("Colorectal liver metastases", "CRLM"),
        ("Non-small cell lung cancer", "lung adenocarcinoma"),
        ("Chronic obstructive pulmonary disease", "COPD"),
    ],
)
def test_condition_hierarchy_and_synonyms(criterion: str, condition: str) -> None:
    patient = {"age": 60, "conditions": [{"name": condition}]}
    assert verdict(criterion, patient).verdict is Verdict.MET
    other = {"age": 60, "conditions": [{"name": "breast cancer"}]}
    assert verdict(criterion, other).verdict is not Verdict.MET


# -- trials, ranking, questions, answers -------------------------------------------------------


@pytest.fixture(scope="module")
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as made:
        paths: list[Path] = [FIXTURES / f"{SEED}.2026.v2.json"]
        if CTGOV.is_dir():
            paths.append(CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz")
        import_paths(made, paths)
        yield made


def test_seed_trial_checklist(store: Store) -> None:
    match = match_trial(store, SEED, Patient.from_data(CRC_PATIENT))
    by_text = {c.text: c for c in match.criteria}
    assert by_text["Pathological diagnosis of colon cancer adenocarcinoma"].verdict is Verdict.MET
    assert any(c.text.startswith("Age:") and c.verdict is Verdict.MET for c in match.criteria)
    assert match.verdict is TrialVerdict.POSSIBLY_ELIGIBLE  # bilirubin is not known
    questions = {q.key for c in match.criteria for q in c.questions}
    assert "lab:total_bilirubin" in questions


def test_ineligible_lists_deciding_criteria_first(store: Store) -> None:
    old = {**CRC_PATIENT, "age": 80}
    match = match_trial(store, SEED, Patient.from_data(old))
    assert match.verdict is TrialVerdict.INELIGIBLE
    assert match.deciding and match.criteria[0].index in match.deciding
    assert match.criteria[0].decides_against


def test_answers_settle_unknowns(store: Store) -> None:
    patient = Patient.from_data(CRC_PATIENT)
    before = match_trial(store, SEED, patient)
    unknown = {q.key for c in before.criteria for q in c.questions if q.key.startswith("lab:")}
    assert "lab:total_bilirubin" in unknown
    # TBI≤1.5(UNL) is a xULN bound: an absolute answer alone still needs the range
    alone = match_trial(store, SEED, apply_answers(patient, {"lab:total_bilirubin": 50}))
    labs = next(c for c in alone.criteria if "TBI" in c.text)
    assert labs.verdict is Verdict.UNKNOWN
    assert "ref:total_bilirubin" in {q.key for q in labs.questions}
    answers = {"lab:total_bilirubin": 50, "ref:total_bilirubin": 20, "ref:ast": 40}
    after = match_trial(store, SEED, apply_answers(patient, answers))
    labs = next(c for c in after.criteria if "TBI" in c.text)
    assert labs.verdict is Verdict.NOT_MET  # 2.5 x ULN > 1.5
    assert after.verdict is TrialVerdict.INELIGIBLE
    with pytest.raises(UsageError):
        apply_answers(patient, {"lab:platelets": "lots"})


@needs_corpus
def test_match_patient_ranks_and_asks(store: Store) -> None:
    report = match_patient(store, Patient.from_data(CRC_PATIENT), statuses=(), limit=100)
    assert len(report.trials) == report.candidates  # every candidate shown
    assert report.trials, report.notes
    scores = [t.score for t in report.trials]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= t.topical <= 1 for t in report.trials)
    assert any(t.topical == 1.0 for t in report.trials)  # colorectal trials cover the patient
    open_ = {t.nct_id for t in report.trials if t.verdict is TrialVerdict.POSSIBLY_ELIGIBLE}
    assert report.questions, "possibly eligible trials leave questions to ask"
    for question in report.questions:
        assert question.decides == len(question.trials) > 0
        assert set(question.trials) <= open_  # only open verdicts have questions
    decides = [q.decides for q in report.questions]
    assert decides == sorted(decides, reverse=True)
    data = report.to_json()
    assert json.loads(json.dumps(data))["trials"][0]["criteria"]


def test_match_needs_something_to_search(store: Store) -> None:
    with pytest.raises(UsageError):
        match_patient(store, Patient(age=40))


def test_permissions_are_not_requirements() -> None:
    man = {"age": 40, "sex": "male"}
    allowed = verdict("Pregnant women may be entered into the study", {"age": 30, "sex": "female"})
    assert allowed.verdict is Verdict.NOT_APPLICABLE
    assert verdict("Patients must be 18 or older", man).verdict is Verdict.MET


def test_times_normal_is_a_multiple_of_the_upper_limit() -> None:
    result = verdict("ALT no greater than 2 times normal", CRC_PATIENT)  # 50 / 40 U/L
    assert result.verdict is Verdict.MET
    assert "ULN" in result.constraints[0]


def test_words_before_a_name_narrow_it_and_an_answer_settles_it() -> None:
    aml = read_note("A 45-year-old man with relapsed acute myeloid leukemia. ECOG 1.")
    assert verdict("Acute myeloid leukemia", aml).verdict is Verdict.MET
    narrowed = verdict("Patient with prolymphocytic T leukemia", aml)
    assert narrowed.verdict is Verdict.UNKNOWN
    (question,) = narrowed.questions
    answered = apply_answers(aml, {question.key: "no"})
    assert verdict("Patient with prolymphocytic T leukemia", answered).verdict is Verdict.NOT_MET


@pytest.mark.parametrize(
    ("criterion", "answer", "expected"),
    [
        ("Myocardial infarction within the past 6 months", "2015", Verdict.NOT_MET),
        ("Myocardial infarction within the past 6 months", "2026-11-20", Verdict.MET),
        ("Chemotherapy within 28 days prior to enrollment", "2016-03", Verdict.NOT_MET),
        ("Chemotherapy within 28 days prior to enrollment", "2026-11-20", Verdict.MET),
    ],
)
def test_the_date_question_is_answerable(criterion: str, answer: str, expected: Verdict) -> None:
    # "When was the myocardial infarction?" was asked, and its answer refused as an
    # unknown question
    note = "A 60-year-old man. History of myocardial infarction. Prior chemotherapy with FOLFOX."
    patient = read_note(note, as_of=dt.date(2026, 12, 7))
    asked = verdict(criterion, patient, "exclusion")
    assert asked.verdict is Verdict.UNKNOWN
    ((key, kind),) = [(q.key, q.answer) for q in asked.questions]
    assert key.startswith("when:") and kind == "date"
    answered = apply_answers(patient, {key: answer})
    assert verdict(criterion, answered, "exclusion").verdict is expected
    with pytest.raises(UsageError, match="must be a date") as raised:
        apply_answers(patient, {key: "last year"})
    assert "2024-03" in (raised.value.hint or "")
    with pytest.raises(UsageError, match="Nothing on record to date"):
        apply_answers(patient, {"when:lex:asthma": "2020"})


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"count:liver_metastases_count": "2.5"}, "whole number"),
        ({"count:prior_lines": "-1"}, "whole number"),
        ({"vaccination_doses:covid19": "-2"}, "whole number"),
        ({"count:hemoglobin": "3"}, "Unknown question"),
    ],
)
def test_count_answers_are_whole_numbers_of_a_count(answers: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        apply_answers(Patient(age=50), answers)


@pytest.mark.parametrize(
    "criterion",
    [
        "Evaluable tumor, either gross or microscopic, at locoregional and/or distant sites.",
        "Has adequate tumor specimen available for FISH analysis",
    ],
)
def test_words_about_the_specimen_are_no_kind_of_tumour(criterion: str) -> None:
    # "is it adequate tumor?" was asked of a breast cancer patient (TREC 2023)
    result = verdict(criterion, read_note("A 55-year-old woman with breast cancer."))
    assert not any("kind:" in q.key for q in result.questions), result.reason
    assert "is it" not in result.reason


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        # having it, said at length: no kind of the disease is asked (a TREC 2021 pair
        # whose exclusion was a question for a patient with multiple myeloma)
        ("Subjects suffering from multiple myeloma;", Verdict.MET),
        ("Patients afflicted with multiple myeloma", Verdict.MET),
        # a state of it still narrows
        ("Patients recovered from multiple myeloma", Verdict.UNKNOWN),
        # a cause of it is not it (a TrialGPT dev pair: dyspnea without trauma was excluded)
        ("Patients presenting with a traumatic cause of multiple myeloma", Verdict.UNKNOWN),
    ],
)
def test_suffering_from_a_disease_is_having_it(criterion: str, expected: Verdict) -> None:
    myeloma = read_note("A 62-year-old man with multiple myeloma on lenalidomide.")
    assert verdict(criterion, myeloma, "exclusion").verdict is expected


def test_therapy_timing_man_or_woman_and_micro_sign() -> None:
    note = read_note("A 45-year-old man with relapsed AML. Prior chemotherapy with cytarabine.")
    cytarabine = next(t for t in note.therapies if t.name == "cytarabine")
    assert cytarabine.status == "completed" and "chemotherapy" in cytarabine.classes
    washout = verdict("Chemotherapy within 28 days prior to enrollment", note, "exclusion")
    assert washout.verdict is Verdict.UNKNOWN  # when did it end?
    assert verdict("Prior chemotherapy", note, "exclusion").verdict is Verdict.MET
    assert verdict("Man or woman aged 18 or over", note).verdict is Verdict.MET
    lab = Patient.from_data({"labs": [{"test": "creatinine", "value": 80, "unit": "µmol/L"}]})
    assert lab.labs[0].canonical() == (80.0, "umol/L")
