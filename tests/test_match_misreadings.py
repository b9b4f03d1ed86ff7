"""False "ineligible" verdicts found by trying the AML example patient against every
leukemia trial of the web test store (issue 11, 2026-12-05 third session): each class
ruled a fitting patient out. Notes and criteria are written for the test (the wording of
the records that showed each class); no gold patient is read."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import TrialVerdict, Verdict, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.intake import patient_from_data
from trialscope.match.judge import judge_item
from trialscope.match.patient import Patient
from trialscope.match.trials import judge_trial, own_concepts
from trialscope.match.verdicts import CriterionResult

AML = "A 45-year-old man with relapsed acute myeloid leukemia. ECOG 1. Prior cytarabine."


def judged(
    patient: str | Patient, kind: str, criterion: str, own: tuple[str, ...] = ()
) -> CriterionResult:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    facts = PatientFacts.of(read_note(patient) if isinstance(patient, str) else patient)
    return judge_item(item, facts, own=own_concepts(own))


@pytest.mark.parametrize(
    ("text", "relation", "days"),
    [
        # "\b<" never matched after a blank: every "< 28 days prior to" was lost
        ("radiotherapy < 28 days or 5 half-lives, whichever is shorter, prior to day 1",
         "within", 28),
        ("Surgery < 4 weeks before enrollment", "within", 28),
        ("> 4 weeks since prior radiotherapy", "at_least", 28),
        ("At least 14 days or 5 half-lives (whichever is longer) since the last dose",
         "at_least", 14),
        ("investigational drug ≤ 21 days or 5 half-lives of the drug prior to day 1", "within", 21),
    ],
)  # fmt: skip
def test_windows_written_with_signs_and_half_lives(text: str, relation: str, days: float) -> None:
    (item,) = parse_criteria(f"Exclusion Criteria:\n* {text}").items
    assert [(w.relation, w.days) for w in item.windows] == [(relation, days)]


WASHOUT = (
    "Participant has received systemic anticancer therapy (including investigational therapy) "
    "or radiotherapy < 28 days or 5 half-lives, whichever is shorter, prior to the start of "
    "study treatment."
)


@pytest.mark.parametrize(
    ("status", "verdict", "says"),
    [
        ("completed", Verdict.UNKNOWN, "not when"),  # undated: when did it end?
        ("active", Verdict.MET, "patient has"),  # on it now: inside any window
    ],
)
def test_a_washout_asks_when_an_undated_therapy_ended(
    status: str, verdict: Verdict, says: str
) -> None:
    patient = Patient(age=45, therapies=[{"name": "cytarabine", "status": status}])
    result = judged(patient, "exclusion", WASHOUT)
    assert result.verdict is verdict and says in result.reason, result.reason


TRIAL = """Inclusion Criteria:
* Relapsed or refractory acute myeloid leukemia
* ECOG 0-2

Exclusion Criteria:
* Known CNS involvement by leukemia
* AML participants with prior treatment with cellular therapy, eg, CAR-T
* Acute promyelocytic leukemia
"""


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        # the two qualified exclusions would rule out every patient the trial takes
        (AML, TrialVerdict.POSSIBLY_ELIGIBLE),
        # a patient whose own diagnosis is what an exclusion names stays ruled out
        ("A 45-year-old man with relapsed acute promyelocytic leukemia. ECOG 1.",
         TrialVerdict.INELIGIBLE),
    ],
)  # fmt: skip
def test_an_exclusion_that_would_exclude_the_whole_population_is_asked(
    note: str, verdict: TrialVerdict
) -> None:
    parsed = parse_criteria(TRIAL)
    facts = PatientFacts.of(read_note(note))
    own = own_concepts(["Acute Myeloid Leukemia"])
    got, results, _ = judge_trial("NCT00000001", {}, parsed, facts, own=own)
    assert got is verdict, [(r.text, r.verdict, r.reason) for r in results]
    if verdict is TrialVerdict.POSSIBLY_ELIGIBLE:
        cns = next(r for r in results if r.text.startswith("Known CNS"))
        assert cns.verdict is Verdict.UNKNOWN and "exclude everyone with" in cns.reason
        assert cns.questions and cns.questions[0].key.startswith("criterion:")


@pytest.mark.parametrize(
    ("kind", "criterion", "bad"),
    [
        # a therapy named as the cause of a toxicity: having had it is no toxicity
        ("exclusion", "Persistent clinically significant toxicity from prior chemotherapy "
         "that is Grade 2 or higher", Verdict.MET),
        ("exclusion", "The persistent toxicities caused by previous chemotherapy or "
         "radiotherapy has not been restored to lower than grade 2", Verdict.MET),
        # ages that say whom a looser bound is for
        ("inclusion", "ECOG PS 0-2 (0 to 3 for participants \\>= 60 to 74 years of age)",
         Verdict.NOT_MET),
        ("inclusion", "ECOG 0-2 (if aged ≥18 years); Karnofsky ≥50 (if aged ≥16 years and "
         "\\<18 years)", Verdict.NOT_MET),
        ("inclusion", "For adults who are age 75 years or older, or who have comorbidities "
         "that preclude use of intensive induction chemotherapy", Verdict.NOT_MET),
        # ranges no one is in at once are alternatives
        ("inclusion", "Candidates aged 19-70 years need to be able to sign. Pediatric "
         "patients aged 1-7 years could be recruited after their guardian signs.",
         Verdict.NOT_MET),
        # a second cancer, not the trial's own
        ("inclusion", "no secondary malignancy", Verdict.NOT_MET),
        # the response is denied, not the chemotherapy
        ("inclusion", "Primary refractory as defined by not achieving a CR after 2 cycles "
         "of a standard chemotherapy regimen", Verdict.NOT_MET),
        # an exception, not a requirement
        ("inclusion", "AST ≤3 × ULN and ALT ≤ 3 × ULN, not applicable if determined to be "
         "directly due to underlying malignancy", Verdict.NOT_MET),
    ],
)  # fmt: skip
def test_readings_that_ruled_a_fitting_patient_out(kind: str, criterion: str, bad: Verdict) -> None:
    result = judged(AML, kind, criterion, own=("Acute Myeloid Leukemia",))
    assert result.verdict is not bad, result.reason


@pytest.mark.parametrize(("age", "verdict"), [(45, Verdict.NOT_APPLICABLE), (10, Verdict.MET)])
def test_an_arm_s_age_range_is_who_is_in_that_arm(age: int, verdict: Verdict) -> None:
    result = judged(Patient(age=age), "inclusion", "Pediatric arm: aged 1 to 17 years old.")
    assert result.verdict is verdict, result.reason
    if verdict is Verdict.NOT_APPLICABLE:
        assert result.reason.startswith("for the pediatric arm only")


def test_an_age_group_heading_is_still_a_requirement() -> None:
    result = judged(Patient(age=70), "inclusion", "Age group: aged 18 to 65 years")
    assert result.verdict is Verdict.NOT_MET


@pytest.mark.parametrize("hiv", ["positive", "negative"])
def test_an_exclusion_worded_as_an_inclusion_is_asked_either_way(hiv: str) -> None:
    note = f"A 45-year-old man with AML. HIV {hiv}."
    result = judged(note, "exclusion", "No known HIV+ or active hepatitis B or C infection")
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "a person should check" in result.reason


CRC = (
    "A 64-year-old man with metastatic colon adenocarcinoma treated with FOLFIRI and "
    "cetuximab, then irinotecan. ECOG 1. Hypertension. History of deep vein thrombosis."
)


@pytest.mark.parametrize(
    ("kind", "criterion", "bad"),
    [
        # found with the CRC example patient against the corpus's colorectal trials
        ("exclusion", "Has known allergies, hypersensitivity, or intolerance to excipients of "
         "any of the following: (a) amivantamab or cetuximab, (b) any component", Verdict.MET),
        ("exclusion", "Previous severe toxicity/allergic reactions to systemic chemotherapy "
         "agents oxaliplatin or irinotecan or 5-fluorouracil", Verdict.MET),
        ("exclusion", "The patient who is expected to require any other form of "
         "antineoplastic therapy or targeted therapy while on study.", Verdict.MET),
        ("exclusion", "History of Grade ≥ 4 venous thromboembolism", Verdict.MET),
        ("inclusion", "ECOG performance status of 0 or 1 (Patients with disease related ECOG "
         "2 are allowed, in addition to ECOG 0 and 1)", Verdict.NOT_MET),
        # fourth session, the same patient against the corpus again
        ("inclusion", "No gross residual disease after surgery", Verdict.NOT_MET),
        ("inclusion", "No concurrent commercial agents for colorectal cancer", Verdict.NOT_MET),
        ("inclusion", "Colorectal cancer (or HNPCC-associated cancer) diagnosed under age 50 in "
         "1 of the relatives", Verdict.NOT_MET),
        ("inclusion", "Measurable or evaluable unresectable liver metastases with one or more "
         "of the following: Involvement of all 3 major hepatic veins. Six or more metastatic "
         "lesions distributed diffusely in both lobes of the liver", Verdict.NOT_MET),
    ],
)  # fmt: skip
def test_readings_that_ruled_a_crc_patient_out(kind: str, criterion: str, bad: Verdict) -> None:
    result = judged(CRC, kind, criterion, own=("Colorectal Cancer",))
    assert result.verdict is not bad, result.reason


def test_a_therapy_the_patient_had_still_meets_a_plain_exclusion() -> None:
    assert judged(CRC, "exclusion", "Prior treatment with cetuximab").verdict is Verdict.MET


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        # the lexicon's plain "diabetes" in "Type 1 Diabetes" let type 2 match (a note is a
        # whole history: what it does not name is absent)
        ("A 58-year-old woman with type 2 diabetes mellitus.", "Type 1 Diabetes", Verdict.NOT_MET),
        ("A 30-year-old man with type 1 diabetes.", "Type 1 Diabetes", Verdict.MET),
        ("A 58-year-old woman with type 2 diabetes mellitus.", "Diabetes mellitus", Verdict.MET),
    ],
)
def test_the_narrower_vocabulary_id_speaks(note: str, criterion: str, verdict: Verdict) -> None:
    result = judged(note, "exclusion", criterion)
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("kind", "criterion", "verdict"),
    [
        # found with the AML example patient against the corpus (2026-12-05, fourth
        # session): an item that begins by denying a bound asks for its opposite
        ("inclusion", "No patients over age 70", Verdict.MET),
        ("inclusion", "No patients aged over 40", Verdict.NOT_MET),
        ("inclusion", "No patients under 40 years of age", Verdict.MET),
        ("inclusion", "Patients must not be older than 70 years", Verdict.MET),
        ("inclusion", "Patients not younger than 50 years", Verdict.NOT_MET),
        # a denied bound inside a compound item leaves the rest to ask
        ("inclusion", "No high risk patient (under age 40) for whom an unrelated bone marrow "
         "donor has been found within 8 weeks of beginning consolidation treatment",
         Verdict.UNKNOWN),
        # "(no CR)" denies the remission, not the chemotherapy the patient had
        ("inclusion", "Not responded (no CR) to initial induction chemotherapy", Verdict.MET),
        # where the leukemia is, and what a therapy would treat, are no denial of it
        ("inclusion", "No CNS or skin involvement with leukemia", Verdict.UNKNOWN),
        ("inclusion", "There is no comparable or satisfactory alternative therapy to treat "
         "the subject's AML.", Verdict.UNKNOWN),
        # a way out that was not read leaves the rule-out a question
        ("inclusion", "No relapsed AML unless bone marrow or peripheral blood stem cells "
         "previously harvested in remission are available for transplantation",
         Verdict.UNKNOWN),
        ("inclusion", "No prior chemotherapy unless completed more than 4 weeks ago",
         Verdict.UNKNOWN),
        ("exclusion", "Prior chemotherapy", Verdict.MET),
        # an upper-case OR offers another way in that was not read
        ("inclusion", "Previously untreated OR recurrent or refractory following 1 induction "
         "therapy regimen with or without consolidation therapy", Verdict.UNKNOWN),
        ("inclusion", "Previously untreated", Verdict.NOT_MET),
        # "=< 0-2" is the range 0-2; "Must not have ECOG ... 3 or more" asks ECOG < 3
        ("inclusion", "Performance status of =< 0-2", Verdict.MET),
        ("inclusion", "Must not have ECOG performance status of 3 or more", Verdict.MET),
        # "non M3" is AML other than M3: the leukemia is not denied
        ("inclusion", "Diagnosis of non M3 Acute Myeloid Leukemia according to WHO 2008 "
         "criteria", Verdict.UNKNOWN),
    ],
)  # fmt: skip
def test_denials_that_ruled_a_fitting_aml_patient_out(
    kind: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(AML, kind, criterion, own=("Acute Myeloid Leukemia",))
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("criterion", "operator"),
    [
        ("No patients over age 70", "<="),
        ("No patients with creatinine greater than 2.0 mg/dL", "<="),
        # a bound after a denied finding is not denied with it
        ("Not pregnant or nursing; age 18 or older", ">="),
        ("Not pregnant, age 18 or older", ">="),
        ("No brain metastases in patients over 70 years of age", ">"),
        ("No more than 3 prior regimens", "<="),
    ],
)
def test_only_a_bound_the_item_begins_by_denying_is_turned(criterion: str, operator: str) -> None:
    (constraint,) = parse_criteria(f"Inclusion Criteria:\n* {criterion}").items[0].constraints
    assert constraint.operator == operator


@pytest.mark.parametrize(
    ("kind", "criterion", "own", "verdict"),
    [
        # "leukemia" read inside "acute myeloid leukemia" is the same words: the AML is
        # the trial's own disease, not "another" malignancy
        ("exclusion", "History of another active malignancy", "Acute Leukemia", Verdict.NOT_MET),
        ("exclusion", "Other active malignancy", "Breast Cancer", Verdict.MET),
        # a subtype of the patient's AML is asked, not ruled out (the note did not say)
        ("exclusion", "Diagnosis of Acute Promyelocytic Leukemia (M3 AML)",
         "Acute Myeloid Leukemia", Verdict.UNKNOWN),
        ("inclusion", "Acute promyelocytic leukemia", "Leukemia", Verdict.UNKNOWN),
        ("inclusion", "Diagnosis of AML (acute myeloid leukemia)", "Leukemia", Verdict.MET),
    ],
)  # fmt: skip
def test_the_aml_patient_s_own_disease_and_its_kinds(
    kind: str, criterion: str, own: str, verdict: Verdict
) -> None:
    result = judged(AML, kind, criterion, own=(own,))
    assert result.verdict is verdict, result.reason


HTN = (
    "A 64-year-old man with metastatic colon adenocarcinoma. History of hypertension "
    "controlled on amlodipine. ECOG 1."
)


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        # a bound joined to the disease by "with" or "(" says which of it is meant: the
        # patient's controlled hypertension is asked about, not excluded
        (HTN, "History of hypertension with systolic blood pressure > 150 mmHg within 4 "
         "weeks before enrollment", Verdict.UNKNOWN),
        (HTN, "Hypertension (SBP > 150 mmHg)", Verdict.UNKNOWN),
        (HTN + " Blood pressure 165/95 mmHg.", "Hypertension with systolic blood pressure "
         "> 150 mmHg", Verdict.MET),
        (HTN + " Blood pressure 128/80 mmHg.", "Hypertension with systolic blood pressure "
         "> 150 mmHg", Verdict.NOT_MET),
        # a list is still a list: either part excludes
        (HTN, "Hypertension; creatinine > 2 mg/dL", Verdict.MET),
        # the bound defines the disease: met by the reading without the diagnosis
        ("A 64-year-old man with metastatic colon adenocarcinoma. Bilirubin 3.0 mg/dL, upper "
         "limit of normal 1.2.", "Hepatic impairment (bilirubin > 1.5 x ULN)", Verdict.MET),
    ],
)  # fmt: skip
def test_a_bound_that_says_which_disease(note: str, criterion: str, verdict: Verdict) -> None:
    result = judged(note, "exclusion", criterion, own=("Colorectal Cancer",))
    assert result.verdict is verdict, result.reason


def test_a_kind_of_the_patient_s_symptom_is_asked() -> None:
    # the patient's pain may be the "acute pain" a sickle-cell crisis trial asks for
    note = "A 34-year-old man with sickle cell disease and severe bone pain."
    result = judged(note, "inclusion", "Sudden onset of acute pain lasting 4-12 hours")
    assert result.verdict is Verdict.UNKNOWN, result.reason


def test_an_or_in_brackets_lists_ways_to_show_one_thing() -> None:
    note = "A 52-year-old woman with HER2-negative metastatic breast cancer. ECOG 1."
    criterion = (
        "HER-2/neu overexpression (3+ by immunohistochemistry OR gene amplification by FISH)"
    )
    result = judged(note, "inclusion", criterion, own=("Breast Cancer",))
    assert result.verdict is Verdict.NOT_MET, result.reason


@pytest.mark.parametrize(
    "label", ["GROUP 2 (PATIENTS AGED =< 65)", "GROUP 1: (PATIENTS AGED > 65 AND < 75 YEARS)"]
)
def test_an_age_group_label_under_the_exclusions_is_a_label(label: str) -> None:
    parsed = parse_criteria(f"Exclusion Criteria:\n* {label}\n* Pregnancy")
    facts = PatientFacts.of(read_note(AML))
    _, results, _ = judge_trial("NCT00000001", {}, parsed, facts, own=own_concepts(()))
    heading = next(r for r in results if r.text.startswith("GROUP"))
    assert heading.verdict is Verdict.NOT_APPLICABLE, heading.reason


T2DM = {
    "age": 58,
    "sex": "female",
    "complete_history": True,
    "conditions": [
        {"name": "Type 2 diabetes mellitus", "onset": "2014"},
        {"name": "Obesity"},
    ],
    "labs": {"hba1c": "8.4 %", "dbp": "82 mmHg", "sbp": "134 mmHg"},
}


@pytest.mark.parametrize(
    ("kind", "criterion", "verdict"),
    [
        # found with the T2DM example patient against the corpus (fourth session)
        ("inclusion", "Diagnosed with type 2 diabetes mellitus greater than or equal 180 days "
         "before screening.", Verdict.MET),
        ("inclusion", "PCWPm (or LV end diastolic pressure) < 16 mmHg", Verdict.UNKNOWN),
        ("inclusion", "Exceptions were granted to those subjects over the age of 75 on a "
         "case-by-case basis", Verdict.NOT_APPLICABLE),
        ("inclusion", "Note: Subjects with HbA1c <7.5% must have a fasting fingerstick glucose "
         "≥7 mmol/L (126 mg/dL) at Week 0", Verdict.MET),
        ("exclusion", "Significant weight change (increase or decrease of greater than 5% of "
         "body weight during the two months before enrollment)", Verdict.NOT_MET),
        # a disease narrowed by a clause after it, or "secondary forms of", is asked
        ("exclusion", "type 1 diabetes, diabetes that is a result of pancreatic injury, or "
         "secondary forms of diabetes, e.g. Cushing's syndrome and acromegaly.", Verdict.UNKNOWN),
        ("exclusion", "Diabetes mellitus", Verdict.MET),
        ("inclusion", "Note: The proportion of subjects who are randomized with an HbA1c <7.5% "
         "will be limited to be no more than 20% (approximately 60 subjects)",
         Verdict.NOT_APPLICABLE),
    ],
)  # fmt: skip
def test_readings_that_ruled_the_t2dm_patient_out(
    kind: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(patient_from_data(T2DM), kind, criterion, own=("Type 2 Diabetes",))
    assert result.verdict is verdict, result.reason


def test_a_denied_lab_bound_after_baseline_words() -> None:
    note = "A 64-year-old man with metastatic colon adenocarcinoma. Albumin 3.6 g/dL."
    criterion = "Must not have baseline serum albumin of less than 3.0 g/dl."
    assert judged(note, "inclusion", criterion).verdict is Verdict.MET


@pytest.mark.parametrize(
    ("note", "criterion", "reason"),
    [
        # the bound was shown converted ("meets glucose <= 5.55062 mmol/L"): a person
        # compares the numbers as written
        ("Fasting glucose 100 mg/dL.", "Fasting glucose <= 100 mg/dL",
         "Glucose 100 mg/dL meets glucose <= 100 mg/dL"),
        ("Hemoglobin 9.5 g/dL.", "Hemoglobin >= 9 g/dL",
         "Hemoglobin 9.5 g/dL meets hemoglobin >= 9 g/dL"),
        ("Glucose 6.1 mmol/L.", "Glucose < 100 mg/dL",
         "Glucose 6.1 mmol/L fails glucose < 100 mg/dL (< 5.551 mmol/L)"),
        ("HbA1c 8%.", "HbA1c 7.0-9.5%", "HbA1c 8 % meets hba1c 7-9.5 %"),
        # a bare reading in the unit its size says, not "5.551 mmol/L fails < 5.551 mmol/L"
        # (TREC 2023 topic 39's "Fasting glucose: 100")
        ("Fasting glucose: 100.", "Fasting glucose <100 mg/dL",
         "Glucose 100 mg/dL fails glucose < 100 mg/dL"),
        ("Fasting glucose: 100.", "Glucose < 6 mmol/L",
         "Glucose 100 mg/dL (5.551 mmol/L) meets glucose < 6 mmol/L"),
        # the criterion's converted bound as written when the reading is not known
        ("Albumin 3.6 g/dL.", "Creatinine <= 2 mg/dL",
         "Serum creatinine not known (creatinine <= 2 mg/dL)"),
    ],
)  # fmt: skip
def test_a_bound_reads_as_the_criterion_wrote_it(note: str, criterion: str, reason: str) -> None:
    result = judged(f"A 50-year-old man with diabetes. {note}", "inclusion", criterion)
    assert result.reason == reason
