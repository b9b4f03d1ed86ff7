"""Error classes the tuning cohorts showed (issue 11, 2026-12-05 second session), each
pinned here: a cancer only the vocabulary knows under the lexicon's "malignancy", "wild-type
KRAS and NRAS" as two requirements, exclusions of the trial's own disease, "one or more of
the following" as one alternative, "Patients who received X must ..." as a condition, and
negated inclusions of the trial's own disease. Notes are written for the test; no gold
patient is read."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import TrialVerdict, Verdict, read_note
from trialscope.match.alternatives import needed
from trialscope.match.concepts import ancestors, find_concepts
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.trials import judge_trial, own_concepts
from trialscope.match.verdicts import CriterionResult


def judged(note: str, kind: str, criterion: str, own: tuple[str, ...] = ()) -> CriterionResult:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    return judge_item(item, PatientFacts.of(read_note(note)), own=own_concepts(own))


LUNG = "A 62-year-old man with lung adenocarcinoma."


@pytest.mark.parametrize(
    ("kind", "criterion", "verdict"),
    [
        ("inclusion", "Histologically confirmed malignancy", Verdict.MET),
        ("exclusion", "Active malignancy", Verdict.MET),
        ("exclusion", "History of cancer within the past 5 years", Verdict.MET),
    ],
)
def test_a_cancer_only_the_vocabulary_knows_is_a_malignancy(
    kind: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(LUNG, kind, criterion)
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("text", "malignant"),
    [
        ("lung adenocarcinoma", True),
        ("glioblastoma", True),
        ("mesothelioma", True),
        ("colon adenoma", False),  # the merged hierarchy puts it under a cancer class
        ("uterine fibroids", False),
        ("cervical dysplasia", False),
        ("meningioma", False),
        ("liver metastases", False),  # the primary's spread, not another malignancy
    ],
)
def test_which_vocabulary_concepts_are_malignancies(text: str, malignant: bool) -> None:
    concepts = [f.concept for f in find_concepts(text) if not f.concept.startswith("lex:")]
    assert concepts, text
    assert ("lex:malignancy" in ancestors(concepts[0])) is malignant


CRC = "A 62-year-old man with metastatic colorectal cancer. "


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        ("KRAS wild-type, NRAS mutated.", "Wild-type KRAS and NRAS", Verdict.NOT_MET),
        ("KRAS wild-type.", "Wild-type KRAS and NRAS", Verdict.UNKNOWN),  # NRAS not said
        ("Tumor is KRAS and NRAS wild-type.", "Wild-type KRAS and NRAS", Verdict.MET),
        ("RAS wild-type.", "wild-type KRAS, NRAS", Verdict.MET),
        ("KRAS wild-type, NRAS mutated.", "RAS wild-type tumor", Verdict.NOT_MET),
        ("KRAS G12D mutation.", "Known RAS mutation", Verdict.MET),
    ],
)
def test_wild_type_before_a_list_of_genes_reads_every_gene(
    note: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(CRC + note, "inclusion", criterion)
    assert result.verdict is verdict, result.reason


BREAST = "A 58-year-old woman with breast cancer treated with lumpectomy. "
RECEIVED_RT = (
    "Patients who received breast/axilla/post-mastectomy chest wall radiotherapy must be "
    "after last dose of radiotherapy and must have sufficient resolution of side effects."
)
BRAIN_RT = "Patients with brain metastases must have completed radiotherapy"


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        # asks nothing of a patient outside those it names
        (BREAST + "No radiotherapy.", RECEIVED_RT, Verdict.MET),
        ("A 60-year-old man with colorectal cancer. No brain metastases.", BRAIN_RT, Verdict.MET),
        # whether the patient is one of them is not known: asked, never a "not met"
        ("A 60-year-old man with colorectal cancer.", BRAIN_RT, Verdict.UNKNOWN),
        # one of them: the requirement is judged
        (
            "A 60-year-old man with colorectal cancer and brain metastases. No radiotherapy.",
            BRAIN_RT,
            Verdict.NOT_MET,
        ),
        (
            "A 60-year-old man with type 2 diabetes and colon cancer. HbA1c 9%.",
            "For patients with diabetes, HbA1c < 8%",
            Verdict.NOT_MET,
        ),
        # "i.e." inside the condition; a therapy to come is no prior therapy
        (
            BREAST + "No radiotherapy.",
            "Patients undergoing breast conservation therapy (i.e., lumpectomy and axillary "
            "dissection) must have plans to receive radiation therapy to the breast",
            Verdict.UNKNOWN,
        ),
        # a limit on a therapy the patient never had
        (
            BREAST + "Prior chemotherapy: no.",
            "Must be at least 2 weeks after last dose of chemotherapy",
            Verdict.MET,
        ),
    ],
)
def test_patients_who_received_x_must_is_a_condition_not_a_requirement(
    note: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(note, "inclusion", criterion, ("Colorectal Cancer",))
    assert result.verdict is verdict, result.reason


def test_a_condition_naming_the_trial_s_own_disease_stays_a_requirement() -> None:
    note = "A 60-year-old man with pancreatic cancer."
    criterion = "Patients with colorectal cancer must have measurable disease"
    result = judged(note, "inclusion", criterion, ("Colorectal Cancer",))
    assert result.verdict is Verdict.NOT_MET, result.reason


ALTERNATIVES = """Inclusion Criteria:
- Age 18 or older
- Patients must have one or more of the following:
  - Cough
  - Shortness of breath
  - Fever
"""


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        ("A 40-year-old man with fever. No cough. No shortness of breath.", TrialVerdict.ELIGIBLE),
        ("A 40-year-old man with COVID-19. No cough.", TrialVerdict.POSSIBLY_ELIGIBLE),
        ("A 40-year-old man. No cough, no fever, no shortness of breath.", TrialVerdict.INELIGIBLE),
    ],
)
def test_one_or_more_of_the_following_is_one_alternative(note: str, verdict: TrialVerdict) -> None:
    facts = PatientFacts.of(read_note(note))
    got, results, _ = judge_trial(
        "NCT0", {"minimumAge": "18 Years"}, parse_criteria(ALTERNATIVES), facts
    )
    assert got is verdict, [(r.text, r.verdict.value, r.reason) for r in results]


# NCT00005985's shape: the alternatives are a level below the "one of the following"
NESTED = """Inclusion Criteria:
- One of the following histologically confirmed diagnoses
  - High grade non-Hodgkin's lymphoma:
    - Localized (stage I or Zeigler stage A) small noncleaved (Burkitt's or non-Burkitt's) after \
relapse or incomplete response to initial therapy
    - Lymphoblastic lymphoma in second or greater complete or partial response
  - Intermediate grade non-Hodgkin's lymphoma:
    - Diffuse large cell lymphoma
"""


def test_alternatives_a_level_below_their_heading() -> None:
    # a stage IV lymphoma failed the first point, which ruled the patient out alone
    note = "A 50-year-old man with stage IV Burkitt lymphoma in relapse."
    facts = PatientFacts.of(read_note(note))
    got, results, _ = judge_trial("NCT0", {}, parse_criteria(NESTED), facts)
    assert got is not TrialVerdict.INELIGIBLE, [(r.text, r.verdict.value) for r in results]


COHORTS = """Inclusion Criteria:
- Patients aged > 49 years and < 75 years with non-Hodgkin lymphoma (NHL), chronic lymphocytic \
leukemia (CLL) and multiple myeloma who are not eligible for a curative autologous transplantation
- Patients < 50 years of age with NHL, CLL or multiple myeloma at high risk of regimen related \
toxicity through prior autologous transplant
"""


def test_points_that_open_with_an_age_and_a_disease_are_cohorts() -> None:
    # NCT00006251: a 64-year-old with myeloma failed "< 50 years", which ruled her out
    note = "64yo woman with multiple myeloma, s/p allogeneic transplant with recurrent disease."
    facts = PatientFacts.of(read_note(note))
    got, results, _ = judge_trial("NCT0", {}, parse_criteria(COHORTS), facts)
    assert got is not TrialVerdict.INELIGIBLE, [(r.text, r.verdict.value) for r in results]
    # both cohorts failed: the age decides
    facts = PatientFacts.of(read_note(note.replace("64yo", "80yo")))
    got, results, _ = judge_trial("NCT0", {}, parse_criteria(COHORTS), facts)
    assert got is TrialVerdict.INELIGIBLE, [(r.text, r.verdict.value) for r in results]


@pytest.mark.parametrize(
    ("heading", "n"),
    [
        ("Patients must have one or more of the following:", 1),
        ("At least two of the following criteria:", 2),
        ("Any of the following:", 1),
        ("All of the following:", None),
        # a heading that counts its points by what they are (NCT00005579)
        ("Intermediate risk group must have at least one indication of active disease:", 1),
        ("Must have at least two risk factors:", 2),
        ("At least one measurable lesion:", None),
        ("At least 2 prior regimens:", None),
        ("Laboratory values as follows:", None),
    ],
)
def test_how_many_alternatives_a_heading_asks_for(heading: str, n: int | None) -> None:
    assert needed(heading) == n


BREAST_NOW = "A 50-year-old woman with breast cancer."
BREAST_TRIAL = ("Breast Cancer",)


@pytest.mark.parametrize(
    ("note", "kind", "criterion", "verdict"),
    [
        # an earlier occurrence of the trial's own disease, not the one the patient has
        (BREAST_NOW, "exclusion", "Prior history of breast cancer, except LCIS", Verdict.NOT_MET),
        (
            BREAST_NOW,
            "exclusion",
            "History of any prior (ipsi- and/or contralateral) invasive breast carcinoma;",
            Verdict.NOT_MET,
        ),
        (BREAST_NOW, "inclusion", "No prior in situ or invasive breast cancer", Verdict.UNKNOWN),
        # one on record as past does count
        (
            "A 50-year-old woman with a history of breast cancer treated 10 years ago.",
            "exclusion",
            "Prior history of breast cancer",
            Verdict.MET,
        ),
        # "non-breast" malignancies are other than the trial's own
        (
            BREAST_NOW,
            "exclusion",
            "Prior non-breast invasive malignancies within 5 years",
            Verdict.NOT_MET,
        ),
    ],
)
def test_the_trial_s_own_disease_in_an_exclusion_of_an_earlier_or_another_one(
    note: str, kind: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(note, kind, criterion, BREAST_TRIAL)
    assert result.verdict is verdict, result.reason


def test_non_hodgkin_still_names_the_lymphoma() -> None:
    note = "A 50-year-old man with non-Hodgkin lymphoma."
    result = judged(note, "inclusion", "Diagnosis of non-Hodgkin lymphoma", ("Lymphoma",))
    assert result.verdict is Verdict.MET, result.reason


NO_THERAPY = (
    "A 50-year-old woman with breast cancer. Prior chemotherapy: no. Prior radiotherapy: no."
)
COVID = "Patient with COVID-19. Symptoms: fever, muscle pain. Comorbid respiratory diseases: none."


@pytest.mark.parametrize(
    ("note", "kind", "criterion", "verdict"),
    [
        # the disease after a list of therapies is what they are for
        (
            NO_THERAPY,
            "exclusion",
            "Prior chemotherapy, radiation therapy, immunotherapy, or biotherapy for breast cancer",
            Verdict.NOT_MET,
        ),
        (
            NO_THERAPY,
            "exclusion",
            "Participant has previously received ET of any duration for breast cancer prevention",
            Verdict.NOT_MET,
        ),
        # therapies the patient could have, may need or is timed against: not had
        (
            NO_THERAPY,
            "exclusion",
            "Not fit for surgery, radiotherapy or adjuvant systemic therapy",
            Verdict.NOT_MET,
        ),
        (
            "A 50-year-old woman with breast cancer treated with radiotherapy.",
            "inclusion",
            "No requirement for axillary radiotherapy after a Level 1 axillary dissection",
            Verdict.UNKNOWN,
        ),
        (
            "A 50-year-old woman with breast cancer after lumpectomy.",
            "inclusion",
            "No evidence of T4, N2-3, or M1 disease prior to surgery",
            Verdict.UNKNOWN,
        ),
        # a limit on a therapy never had; a permission
        (
            NO_THERAPY,
            "inclusion",
            "Recovered from toxic effects of prior radiotherapy",
            Verdict.MET,
        ),
        (
            NO_THERAPY,
            "inclusion",
            "Adjuvant irradiation of parasternal nodes eligible",
            Verdict.NOT_APPLICABLE,
        ),
        # the state of an illness is asked, not taken to be the illness
        (
            COVID,
            "exclusion",
            "Symptoms of moderate illness with COVID-19, or shortness of breath with exertion",
            Verdict.UNKNOWN,
        ),
        # a denied class of diseases does not deny its symptoms
        (
            COVID,
            "inclusion",
            "At least one of the following symptoms: cough, shortness of breath",
            Verdict.UNKNOWN,
        ),
        # what stays as it was
        (
            "A 60-year-old man with colorectal cancer treated with FOLFOX chemotherapy.",
            "exclusion",
            "Patients who have received chemotherapy before surgery",
            Verdict.MET,
        ),
        ("A 50-year-old man. No lung disease.", "exclusion", "COPD", Verdict.NOT_MET),
    ],
)
def test_what_the_words_around_a_therapy_or_disease_say(
    note: str, kind: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(note, kind, criterion, BREAST_TRIAL)
    assert result.verdict is verdict, result.reason


def test_a_nursing_facility_is_not_about_women() -> None:
    note = "A 70-year-old man with pneumonia."
    criterion = (
        "Patients presenting with nosocomial pneumonia (i.e., <14 days after discharge from a "
        "skilled nursing facility or hospital)"
    )
    result = judged(note, "exclusion", criterion)
    assert result.verdict is not Verdict.NOT_APPLICABLE, result.reason
    nursing = judged("A 30-year-old man with asthma.", "exclusion", "Pregnant or nursing women")
    assert nursing.verdict is Verdict.NOT_APPLICABLE


def test_one_marker_s_result_word_does_not_negate_another() -> None:
    note = read_note(
        "A 45-year-old woman with breast cancer. The tumor is  HER2-positive and ER/PR negative."
    )
    assert {(b.name, b.result) for b in note.biomarkers} == {
        ("HER2", "positive"),
        ("HR", "negative"),
    }
    assert {(b.name, b.result) for b in read_note("No EGFR mutation.").biomarkers} == {
        ("EGFR", "negative")
    }


@pytest.mark.parametrize(
    ("kind", "criterion", "verdict"),
    [
        (
            "inclusion",
            "Concurrent palliative radiotherapy, including whole brain irradiation, allowed",
            Verdict.NOT_APPLICABLE,
        ),
        (
            "inclusion",
            "Patients with known or suspected mutations on the insulin receptor gene",
            Verdict.UNKNOWN,
        ),
    ],
)
def test_permissions_and_names_that_are_not_the_drug(
    kind: str, criterion: str, verdict: Verdict
) -> None:
    note = "A 50-year-old woman with type 2 diabetes. Prior radiotherapy: no. Takes no medications."
    result = judged(note, kind, criterion)
    assert result.verdict is verdict, result.reason


def test_diagnosed_a_year_ago_has_lasted_at_least_one_year() -> None:
    note = "A 57-year-old man was diagnosed with Parkinson's disease a year ago."
    criterion = "Patients with Parkinson's disease for at least one year"
    result = judged(note, "inclusion", criterion)
    assert result.verdict is not Verdict.NOT_MET, result.reason


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        ("Patient with COVID-19. Symptoms: fever.", Verdict.NOT_MET),  # the current one
        ("A 40-year-old man with a history of COVID-19 in 2020.", Verdict.MET),
    ],
)
def test_an_occurrence_before_a_year_is_not_the_current_one(note: str, verdict: Verdict) -> None:
    result = judged(note, "exclusion", "History of COVID-19 before 2022", ("COVID-19",))
    assert result.verdict is verdict, result.reason


ONE_OF_DIAGNOSES = """\
DISEASE CHARACTERISTICS:

* Diagnosis of one of the following:

  * Chronic myelogenous leukemia

    * Philadelphia chromosome-positive OR
    * Molecular evidence of bcr/abl gene rearrangement
  * Multiple myeloma
  * Hodgkin's disease
"""


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        # NCT00008216's list: a myeloma patient fits one way in; the CML point heads its own
        # list and was no alternative, so its closed-world "not CML" would have decided
        ("A 64-year-old woman with multiple myeloma.", TrialVerdict.POSSIBLY_ELIGIBLE),
        # a known cancer that is none of them: every way in fails
        ("A 60-year-old woman with lung adenocarcinoma.", TrialVerdict.INELIGIBLE),
    ],
)
def test_a_known_diagnosis_decides_the_ways_in_of_a_list(note: str, verdict: TrialVerdict) -> None:
    facts = PatientFacts.of(read_note(note))
    got, results, deciding = judge_trial("NCT0", {}, parse_criteria(ONE_OF_DIAGNOSES), facts)
    shown = [(r.text, r.verdict.value, r.reason) for r in results]
    assert got is verdict, shown
    cml = next(r for r in results if r.text == "Chronic myelogenous leukemia")
    if verdict is TrialVerdict.INELIGIBLE:
        assert cml.verdict is Verdict.NOT_MET and cml.index in deciding
    else:
        assert cml.verdict is Verdict.NOT_APPLICABLE, shown


def test_points_under_an_ineligible_label_are_exclusions() -> None:
    # "Ineligible subtypes:" / "Chondrosarcoma" (NCT00002641) was asked of every patient
    text = "Inclusion Criteria:\n* Eligible subtypes:\n  * Osteosarcoma\n* Ineligible subtypes:\n"
    text += "  * Chondrosarcoma\n"
    facts = PatientFacts.of(read_note("A 19-year-old man with osteosarcoma of the femur."))
    _, results, _ = judge_trial("NCT0", {}, parse_criteria(text), facts)
    chondro = next(r for r in results if r.text == "Chondrosarcoma")
    assert chondro.kind == "exclusion"
    assert chondro.verdict is not Verdict.MET
