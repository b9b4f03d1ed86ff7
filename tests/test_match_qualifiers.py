"""Words that narrow what a criterion names, so that having the broad thing settles
nothing (issue 11, 2026-12-06; found among the tuning cohorts' eligible patients ruled
out). Criteria are worded as in corpus records; the patients are written for the test."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import TrialVerdict, Verdict, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.intake import patient_from_data
from trialscope.match.judge import judge_item
from trialscope.match.patient import Patient
from trialscope.match.therapies import radiation_site
from trialscope.match.trials import judge_trial, own_concepts
from trialscope.match.verdicts import CriterionResult

BREAST = "A 52-year-old woman with breast cancer. Prior radiotherapy: yes."
BRAIN = (
    "A 60-year-old man with lung cancer metastatic to brain, treated with whole brain radiotherapy."
)


def judged(note: str, kind: str, criterion: str) -> CriterionResult:
    return judged_note(read_note(note), kind, criterion)


def judged_note(patient: Patient, kind: str, criterion: str) -> CriterionResult:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    return judge_item(item, PatientFacts.of(patient))


@pytest.mark.parametrize(
    ("kind", "criterion", "asked"),
    [
        ("inclusion", "No prior mediastinal irradiation", "mediastinal irradiation"),
        ("inclusion", "No prior irradiation to more than 25% of bone marrow",
         "irradiation to more than 25% of bone marrow"),
        ("inclusion", "No prior radiation therapy to treatment area",
         "radiation therapy to treatment area"),
        ("inclusion", "No prior radiotherapy to the breast, chest wall, or regional lymph nodes",
         "radiotherapy to the breast, chest wall, or regional lymph nodes"),
        ("exclusion", "Patient has received prior radiation therapy to greater than 25% of the "
         "bone marrow.", "radiation therapy to greater than 25% of the bone marrow"),
        ("exclusion", "Prior radiation to the target lesion", "radiation to the target lesion"),
    ],
)  # fmt: skip
def test_radiation_of_unsaid_site_is_a_question(kind: str, criterion: str, asked: str) -> None:
    # "Prior radiotherapy: yes" says nothing of where: the patient was ruled out before
    result = judged(BREAST, kind, criterion)
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert f"is it {asked}?" in result.reason
    assert any(asked in q.text for q in result.questions)


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        ("Prior whole brain radiotherapy", Verdict.MET),  # the record says where
        ("Prior cranial irradiation", Verdict.UNKNOWN),  # "brain" is not "cranial" by the word
        ("Prior pelvic radiation", Verdict.NOT_MET),  # the only radiation went elsewhere
    ],
)
def test_radiation_of_a_known_site(criterion: str, verdict: Verdict) -> None:
    result = judged(BRAIN, "exclusion", criterion)
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("criterion", "site"),
    [
        ("No prior radiotherapy", None),
        ("Radiotherapy within 4 weeks prior to registration", None),
        ("No prior radiotherapy to be completed before day 1", None),
        ("Radiotherapy of any kind within 2 weeks", None),
        ("Prior radiotherapy to the pelvis, within 4 weeks", "radiotherapy to the pelvis"),
        ("Prior pelvic radiotherapy", "pelvic radiotherapy"),
    ],
)
def test_radiation_site_words(criterion: str, site: str | None) -> None:
    item = parse_criteria(f"Exclusion Criteria:\n* {criterion}").items[0]
    (mention,) = [m for m in item.mentions if m.concept == "radiotherapy"]
    assert radiation_site(item, mention) == site


def test_any_radiation_still_rules_out() -> None:
    result = judged(BREAST, "inclusion", "No prior radiotherapy")
    assert result.verdict is Verdict.NOT_MET


# -- points joined by a trailing "or" ---------------------------------------------------------

ER_POSITIVE = "A 60-year-old woman with breast cancer. Hormone receptors: ER+, PR-."


@pytest.mark.parametrize(
    "criteria",
    [
        "* Estrogen receptor positive AND/OR\n* Progesterone receptor positive",
        "* Estrogen receptor positive, or\n* Progesterone receptor positive",
        "* Progesterone receptor positive\n* OR\n* Estrogen receptor positive",
    ],
)
def test_a_trailing_or_makes_the_next_point_another_way_in(criteria: str) -> None:
    parsed = parse_criteria(f"Inclusion Criteria:\n{criteria}")
    facts = PatientFacts.of(read_note(ER_POSITIVE))
    verdict, results, _ = judge_trial("NCT00000001", {}, parsed, facts)
    assert verdict is not TrialVerdict.INELIGIBLE, [(r.text, r.reason) for r in results]
    (pr,) = [r for r in results if r.text.startswith("Progesterone")]
    assert pr.verdict is Verdict.NOT_APPLICABLE
    assert "another of the alternatives is met" in pr.reason


def test_points_without_a_trailing_or_are_each_required() -> None:
    parsed = parse_criteria(
        "Inclusion Criteria:\n* Estrogen receptor positive and\n* Progesterone receptor positive"
    )
    facts = PatientFacts.of(read_note(ER_POSITIVE))
    verdict, _, _ = judge_trial("NCT00000001", {}, parsed, facts)
    assert verdict is TrialVerdict.INELIGIBLE


def test_sakk_performance_status_is_the_ecog_scale() -> None:
    # "ECOG 0-1 OR" / "SAKK 0-1": the second way in was unread, so ECOG 3 stayed open
    (item,) = parse_criteria("Inclusion Criteria:\n* SAKK 0-1").items
    assert [c.describe() for c in item.constraints] == ["ecog 0-1"]


# -- sites said once, qualifiers, labs and exceptions ------------------------------------------


@pytest.mark.parametrize(
    ("note", "criterion", "verdict", "says"),
    [
        # "breast or prostate cancer": the kind is said once, after the last site
        ("A 50-year-old woman with breast cancer.", "Histologically proven breast or prostate "
         "cancer", Verdict.MET, "breast cancer"),
        ("A 50-year-old woman with colon cancer.", "Histologically proven breast or prostate "
         "cancer", Verdict.NOT_MET, "not breast cancer"),
        ("A 50-year-old woman with rectal cancer.", "Colon, rectal or anal cancer", Verdict.MET,
         "rectal cancer"),
        # "hematologic primary malignancies": breast cancer is asked about, not a "yes"
        ("A 50-year-old woman with breast cancer.", "No hematologic primary malignancies",
         Verdict.UNKNOWN, "is it hematologic malignancies?"),
        # a bone age is no age
        ("A 12-year-old girl with Turner syndrome.", "Bone age no greater than 11 years",
         Verdict.UNKNOWN, ""),
        # fasting insulin is a blood level, not the drug
        ("A 50-year-old man with type 2 diabetes on metformin.", "Fasting insulin <20 mcU/mL",
         Verdict.UNKNOWN, ""),
    ],
)  # fmt: skip
def test_inclusion_wording(note: str, criterion: str, verdict: Verdict, says: str) -> None:
    result = judged(note, "inclusion", criterion)
    assert result.verdict is verdict, result.reason
    assert says in result.reason
    assert "insulin" not in result.reason and "age 12" not in result.reason


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        # the drug named as the exception is let through; another of the class is not
        ("On metformin and insulin.", "Use of diabetes medications other than insulin",
         Verdict.MET),
        ("On insulin only.", "Use of diabetes medications other than insulin", Verdict.NOT_MET),
        ("On metformin.", "Antidiabetic agents other than study drug and companion medications "
         "(metformin and insulin).", Verdict.NOT_MET),
        ("On metformin and glipizide.", "Antidiabetic agents other than study drug and companion "
         "medications (metformin and insulin).", Verdict.MET),
        ("On insulin.", "Use of any antidiabetic drug except metformin", Verdict.MET),
        ("On metformin.", "Use of any antidiabetic drug except metformin", Verdict.NOT_MET),
    ],
)  # fmt: skip
def test_drugs_let_through(note: str, criterion: str, verdict: Verdict) -> None:
    result = judged(f"A 55-year-old man with type 2 diabetes. {note}", "exclusion", criterion)
    assert result.verdict is verdict, result.reason


def test_a_control_group_item_does_not_rule_out_a_patient() -> None:
    result = judged(
        "A 12-year-old girl with Turner syndrome.",
        "inclusion",
        "Age-matched girls without Turner's syndrome entered as controls",
    )
    assert result.verdict is Verdict.NOT_APPLICABLE
    assert "control group" in result.reason


def test_other_sites_after_a_short_list() -> None:
    # the trial's own breast carcinoma is not "carcinoma ... in other breast sites"
    item = parse_criteria(
        "Inclusion Criteria:\n* No carcinoma or suspicious mammogram findings in other breast sites"
    ).items[0]
    facts = PatientFacts.of(read_note("A 50-year-old woman with ductal carcinoma in situ."))
    result = judge_item(item, facts, own=own_concepts(("Breast Cancer",)))
    assert result.verdict is not Verdict.NOT_MET, result.reason


# -- what a phrase after the name, a reference or a place says ---------------------------------

MYELOMA = (
    "A 60-year-old man with multiple myeloma and renal failure, after an autologous stem cell "
    "transplant. ECOG 1. History of stroke. Microangiopathic hemolytic anemia from TTP. "
    "On prednisone. Completed radiotherapy."
)


@pytest.mark.parametrize(
    ("criterion", "verdict", "says"),
    [
        # "... are eligible, however ...": let in
        ("Patients with renal failure are eligible, however patients with renal compromise "
         "(serum creatinine greater than 2.0) will likely have further compromise",
         Verdict.NOT_MET, "creatinine"),
        # a reference in brackets is no requirement
        ("ECOG performance status of 3 or more (See NIH Bone and Marrow Consortium Supportive "
         "Care Guidelines for Allogeneic Hematopoietic Stem Cell Transplant Recipients)",
         Verdict.NOT_MET, "ECOG 1"),
        # a cause or a finding after the name narrows it
        ("Microangiopathic hemolytic anemia due to a mechanical heart valve", Verdict.UNKNOWN,
         "is it Microangiopathic hemolytic anemia due to a mechanical heart valve?"),
        ("Stroke with neurological deficit", Verdict.UNKNOWN,
         "is it Stroke with neurological deficit?"),
        # a dose narrows a drug; records seldom give one
        ("Patients taking more 7.5 mg of prednisone", Verdict.UNKNOWN,
         "is it more 7.5 mg of prednisone?"),
        ("Prednisone > 10 mg/day within 4 weeks", Verdict.UNKNOWN, "is it Prednisone > 10 mg/day?"),
        # a radiation treatment center is a place
        ("Those that live too far from a radiation treatment center", Verdict.NOT_MET,
         "cannot read"),
    ],
)  # fmt: skip
def test_exclusions_narrowed(criterion: str, verdict: Verdict, says: str) -> None:
    result = judged(MYELOMA, "exclusion", criterion)
    assert result.verdict is verdict, result.reason
    assert says in result.reason
    assert (
        "Stem Cell Transplant" not in result.reason and "patient has radiation" not in result.reason
    )


BRAIN_METASTASES = "55-year-old woman with breast cancer metastatic to the brain and bone."


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # a severity written after the name narrows it as one written before does
        ("Brain metastases that are symptomatic", Verdict.UNKNOWN),
        ("Brain metastases which are clinically unstable", Verdict.UNKNOWN),
        ("Symptomatic brain metastases", Verdict.UNKNOWN),
        ("Brain metastases", Verdict.MET),
    ],
)  # fmt: skip
def test_severity_after_the_name(criterion: str, verdict: Verdict) -> None:
    result = judged(BRAIN_METASTASES, "exclusion", criterion)
    assert result.verdict is verdict, result.reason
    if verdict is Verdict.UNKNOWN:
        assert result.questions


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        # trec-2023-37: "Ketoacidosis history: yes" says nothing of a hospital stay
        ("Patient with type 2 diabetes. Ketoacidosis history: yes.", Verdict.UNKNOWN),
        ("Type 2 diabetes, a history of ketoacidosis requiring hospital admission.", Verdict.MET),
        ("Patient with type 2 diabetes. No history of ketoacidosis.", Verdict.NOT_MET),
    ],
)
def test_an_illness_that_needed_a_hospital_stay(note: str, verdict: Verdict) -> None:
    criterion = "History of ketoacidosis which has required hospitalization"
    result = judged(note, "exclusion", criterion)
    assert result.verdict is verdict, result.reason
    if verdict is Verdict.UNKNOWN:
        assert "requiring hospitalization" in result.reason


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # a negated name after another is asked for too (a TrialGPT dev pair: NOT_MET)
        ("COPD, non smoker", Verdict.NOT_MET),
        ("Diagnosis of COPD; non-smoker", Verdict.NOT_MET),
        # alternatives, or nothing failed: as before
        ("COPD or non smoker", Verdict.UNKNOWN),
        ("Patients with COPD without exacerbation in the last 4 weeks", Verdict.UNKNOWN),
    ],
)
def test_an_absence_asked_beside_a_diagnosis(criterion: str, verdict: Verdict) -> None:
    note = "A 66yo female with significant smoking history and chronic cough."
    assert judged(note, "inclusion", criterion).verdict is verdict


def test_a_failed_untreated_says_what_was_given() -> None:
    # "patient has Previously untreated" read as nonsense to a coordinator
    note = "A 60-year-old woman with EGFR-mutant lung adenocarcinoma treated with osimertinib."
    result = judged(note, "inclusion", "Previously untreated EGFR-mutant NSCLC")
    assert result.verdict is Verdict.NOT_MET
    assert result.reason.startswith("patient has had osimertinib: not previously untreated")


TWO_REGIMENS = (
    "45-year-old man with anaplastic astrocytoma. Radiation followed by 11 cycles of "
    "temozolomide. This was followed by CPT-11 weekly with Avastin."
)


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        # a limit on the number of regimens is not met by having had chemotherapy: the
        # therapies given are one line at least, how many is a question
        (TWO_REGIMENS, "No more than 1 prior chemotherapy regimen", Verdict.UNKNOWN),
        (TWO_REGIMENS, "At least 1 prior chemotherapy regimen", Verdict.MET),
        (TWO_REGIMENS, "At least 2 prior lines of therapy", Verdict.UNKNOWN),
        ("50-year-old man with glioblastoma. No prior chemotherapy.",
         "No more than 1 prior chemotherapy regimen", Verdict.MET),
        ("50-year-old man with glioblastoma. No prior chemotherapy.",
         "At least 1 prior chemotherapy regimen", Verdict.NOT_MET),
        # a permission with a count is still a permission
        (TWO_REGIMENS, "Patients may have received one prior chemotherapy regimen for "
         "adjuvant therapy", Verdict.NOT_APPLICABLE),
    ],
)  # fmt: skip
def test_lines_of_therapy_counted(note: str, criterion: str, verdict: Verdict) -> None:
    result = judged(note, "inclusion", criterion)
    assert result.verdict is verdict, result.reason
    if verdict is Verdict.UNKNOWN:
        assert "at least 1" in result.reason and result.questions


ON_FIRST_LINE = (
    "62-year-old man with metastatic colon adenocarcinoma, currently receiving first-line FOLFOX."
)


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        # the line given now is not a prior line until it ends: asked, not met
        (ON_FIRST_LINE, "At least 1 prior line of systemic therapy", Verdict.UNKNOWN),
        (ON_FIRST_LINE, "Patients must have received at least one prior chemotherapy regimen",
         Verdict.UNKNOWN),
        (ON_FIRST_LINE, "No more than 1 prior chemotherapy regimen", Verdict.UNKNOWN),
        # one ended before the current one is a prior line
        ("62-year-old man with metastatic colon adenocarcinoma, treated with FOLFOX, now on "
         "FOLFIRI.", "Patients must have received at least one prior chemotherapy regimen",
         Verdict.MET),
    ],
)  # fmt: skip
def test_a_current_therapy_is_not_a_prior_line(note: str, criterion: str, verdict: Verdict) -> None:
    result = judged(note, "inclusion", criterion)
    assert result.verdict is verdict, result.reason
    if verdict is Verdict.UNKNOWN:
        assert any("not yet a prior line" in e.fact for e in result.evidence)
        assert result.questions


def test_a_bare_name_still_rules_out() -> None:
    for criterion in ("Current prednisone use", "History of stroke", "Renal failure"):
        assert judged(MYELOMA, "exclusion", criterion).verdict is Verdict.MET, criterion


# -- the trial's own disease, notes and asides on the exclusions, "concurrent" ------------------

BREAST_HER2 = (
    "Patient with breast cancer. Definitive diagnosis: yes. Her2: positive. "
    "Prior chemotherapy: no. Prior radiotherapy: yes."
)


@pytest.mark.parametrize(
    ("names", "concept"),
    [
        (("Neoplasms, Breast",), "MESH:D001943"),  # MeSH's inverted heading
        (("Pain, Postoperative",), "MESH:D010149"),
        (("Breast Cancer",), "MESH:D001943"),
    ],
)
def test_inverted_condition_names_are_the_trials_own(names: tuple[str, ...], concept: str) -> None:
    assert concept in own_concepts(names)


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # the trial's own breast cancer is no earlier one
        ("History of any prior (ipsi- and/or contralateral) invasive breast carcinoma;",
         Verdict.NOT_MET),
        # "(no neoadjuvant chemotherapy ... is permitted)": an aside, met by no absence
        ("Had prior chemotherapy for breast cancer or other cancer within the last 5 years (no "
         "neoadjuvant chemotherapy in this study is permitted)", Verdict.NOT_MET),
        # a note on the exclusions is no rule-out by itself
        ("NOTE: Patients with a prior malignancy diagnosed greater than 10 years in the past who "
         "have been curatively treated with surgery ONLY, WITHOUT radiation therapy or systemic "
         "therapy (chemotherapy or endocrine) are eligible for the study. Patients with any prior "
         "diagnosis of breast cancer or melanoma,", None),
        # "T4" narrows the tumour
        ("Any clinically staged T4 tumour, including inflammatory breast cancer;", Verdict.UNKNOWN),
        # "concurrent" at the head of a list reaches its last member
        ("Is receiving concurrent immunotherapy, hormonal therapy (eg, tamoxifen, hormone "
         "replacement therapy), or radiation therapy.", Verdict.NOT_MET),
        # NCT00493649: what a later sentence permits is no part of the exclusion
        ("Is receiving concurrent immunotherapy, hormonal therapy, or radiation therapy. "
         "Adjuvant hormonal therapy, if needed, may be given during radiation therapy and during "
         "treatment with trastuzumab after completion of chemotherapy.", Verdict.NOT_MET),
        ("Currently receiving radiation therapy", Verdict.NOT_MET),
    ],
)  # fmt: skip
def test_breast_cancer_exclusions(criterion: str, verdict: Verdict | None) -> None:
    item = parse_criteria(f"Exclusion Criteria:\n* {criterion}").items[0]
    for radiotherapy in ("yes", "no"):  # the note's answer decides none of these
        note = BREAST_HER2.replace("Prior radiotherapy: yes", f"Prior radiotherapy: {radiotherapy}")
        result = judge_item(
            item, PatientFacts.of(read_note(note)), own=own_concepts(("Neoplasms, Breast",))
        )
        assert result.verdict is not Verdict.MET, (radiotherapy, result.reason)
        if verdict is not None and (radiotherapy == "no" or verdict is not Verdict.UNKNOWN):
            assert result.verdict is verdict, (radiotherapy, result.reason)


def test_a_drug_word_inside_a_named_therapy_is_that_therapy() -> None:
    # "neoadjuvant chemotherapy" was given; the "chemotherapy" inside it is not a current one
    patient = read_note("Surgery-related therapy: neoadjuvant chemotherapy.")
    assert {t.status for t in patient.therapies if "chemotherapy" in t.classes} == {"completed"}


# -- what a note denies, whose history it tells, and inclusions worded as exclusions -----------


def test_a_denied_kind_does_not_deny_the_class() -> None:
    patient = read_note(
        "Chronic viral hepatitis on biopsy. There is no evidence of alcoholic liver disease, "
        "autoimmune hepatitis or metabolic liver disease."
    )
    absent = {c.name for c in patient.conditions if c.status == "absent"}
    assert {"alcoholic liver disease", "autoimmune hepatitis"} <= absent
    assert "liver disease" not in absent and "hepatitis" not in absent
    result = judged_note(patient, "inclusion", "Evidence of chronic hepatitis on liver biopsy")
    assert result.verdict is not Verdict.NOT_MET, result.reason


def test_a_relatives_diagnosis_is_not_the_patients() -> None:
    patient = read_note(
        "A 47-year-old woman with low mood. Her husband was recently diagnosed with colon cancer "
        "and he is starting his chemotherapy. Her mother had breast cancer."
    )
    assert not [c for c in patient.conditions if "cancer" in c.name]
    assert not patient.therapies
    result = judged_note(
        patient,
        "exclusion",
        "Participants with a history of malignancy within the past 5 years are not eligible.",
    )
    assert result.verdict is not Verdict.MET, result.reason


@pytest.mark.parametrize(
    ("kind", "criterion", "verdict"),
    [
        # a wish no record holds: asked, not failed
        ("inclusion", "Desire for pregnancy within 6 months or currently pregnant",
         Verdict.UNKNOWN),
        # an exclusion under the inclusions, read as one
        ("inclusion", "Pregnancy or lactation at the time of proposed randomization. This "
         "protocol excludes pregnant or lactating women.", Verdict.NOT_MET),
        ("inclusion", "Pregnant women and nursing mothers are ineligible.", Verdict.NOT_MET),
    ],
)  # fmt: skip
def test_pregnancy_wording(kind: str, criterion: str, verdict: Verdict) -> None:
    woman = read_note("A 30-year-old woman with breast cancer. Not pregnant.")
    result = judged_note(woman, kind, criterion)
    assert result.verdict is verdict, result.reason
    if "excludes" in criterion or "ineligible" in criterion:
        assert result.kind == "exclusion"


def test_a_requirement_with_a_trailing_exclusion_is_not_flipped() -> None:
    result = judged_note(
        read_note("A 12-year-old girl with Turner syndrome."),
        "inclusion",
        "Must be able to give informed consent, older children (greater than or equal to 7 years "
        "old) who do not give assent, or persons who are wards of the state will not be eligible",
    )
    assert result.kind == "inclusion"


@pytest.mark.parametrize(
    ("note", "excluded"),
    [
        # the first point holds, the second does not: together they do not exclude
        ("A 40-year-old woman with hypothyroidism.", False),
        # both hold: excluded
        ("A 40-year-old woman with hypothyroidism on levothyroxine.", True),
    ],
)
def test_exclusion_points_joined_by_and_exclude_together(note: str, excluded: bool) -> None:
    parsed = parse_criteria(
        "Exclusion Criteria:\n* Previous thyroid disease and\n* current levothyroxine treatment"
    )
    got, results, _ = judge_trial("NCT00000001", {}, parsed, PatientFacts.of(read_note(note)))
    assert (got is TrialVerdict.INELIGIBLE) is excluded, [(r.text, r.reason) for r in results]


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # asthma is a hypersensitivity in MeSH, but no allergy to medications
        ("Patients with a history of allergy to medications or its metabolic components.",
         Verdict.UNKNOWN),
        ("Known hypersensitivity to the study drug", Verdict.UNKNOWN),
        ("Allergy to penicillin", Verdict.MET),  # the record says to what
        ("History of allergy", Verdict.MET),
    ],
)  # fmt: skip
def test_allergy_to_what(criterion: str, verdict: Verdict) -> None:
    result = judged(
        "Patient with COVID-19. Comorbid respiratory diseases: asthma. Allergy to penicillin.",
        "exclusion",
        criterion,
    )
    assert result.verdict is verdict, result.reason


# -- the CRC example patient's remaining misreadings -------------------------------------------

CRC = "A 63-year-old man with adenocarcinoma of sigmoid colon, on capecitabine; prior FOLFOX."


@pytest.mark.parametrize(
    ("kind", "criterion", "verdict"),
    [
        # "transverse" is a site the concept it was read as (colon adenocarcinoma) does not say
        ("inclusion", "No adenocarcinoma of the transverse colon", Verdict.UNKNOWN),
        ("inclusion", "Adenocarcinoma of the colon", Verdict.MET),
        # standard chemotherapy is no investigational therapy
        ("exclusion", "Is currently receiving investigational systemic therapy", Verdict.UNKNOWN),
        ("exclusion", "Is currently receiving systemic therapy", Verdict.MET),
        # a therapy a disease rules out is no therapy had (was "patient has resection")
        ("inclusion", "No advanced local disease that renders laparoscopic resection impossible",
         Verdict.UNKNOWN),
    ],
)  # fmt: skip
def test_crc_wording(kind: str, criterion: str, verdict: Verdict) -> None:
    result = judged(CRC, kind, criterion)
    assert result.verdict is verdict, result.reason


def test_a_surgery_of_unsaid_site_is_asked() -> None:
    patient = patient_from_data(
        {"age": 63, "sex": "male", "therapies": [
            {"name": "Laparoscopic sigmoid colectomy", "classes": ["surgery"]}]}
    )  # fmt: skip
    result = judged_note(
        patient, "inclusion", "No prior colonic, aortic, or retroperitoneal surgery"
    )
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "is it colonic, aortic, or retroperitoneal surgery?" in result.reason


# -- the T2DM example patient's remaining misreadings ------------------------------------------

T2DM = {
    "age": 58, "sex": "female", "complete_history": True,
    "conditions": [
        {"name": "Type 2 diabetes mellitus", "onset": "2014"},
        {"name": "Gestational diabetes", "status": "history", "onset": "1996",
         "resolved": "1996-12-01"},
    ],
    "medications": [
        {"name": "Metformin 1000 mg twice daily", "status": "active"},
        {"name": "Empagliflozin 10 mg daily", "status": "active"},
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # two antidiabetic drugs are not "3 or more"
        ("Use of 3 or more oral antidiabetic drugs (OAD)", Verdict.NOT_MET),
        ("Use of 2 or more antidiabetic drugs", Verdict.MET),
        ("More than 2 antidiabetic drugs", Verdict.NOT_MET),
        ("Use of antidiabetic drugs", Verdict.MET),
        # a gestational diabetes resolved in 1996 is no current one; its history still counts
        ("Subjects diagnosed with Gestational Diabetes", Verdict.NOT_MET),
        ("History of gestational diabetes", Verdict.MET),
        ("Gestational diabetes within the last 40 years", Verdict.MET),
    ],
)
def test_t2dm_wording(criterion: str, verdict: Verdict) -> None:
    result = judged_note(patient_from_data(T2DM), "exclusion", criterion)
    assert result.verdict is verdict, result.reason


# -- PDQ sections flattened into one line ------------------------------------------------------

FLAT = (
    "Inclusion Criteria:\n\n* PATIENT CHARACTERISTICS: Age: 48 to 78 Sex: Female Menopausal "
    "status: Postmenopausal Performance status: Not specified Life expectancy: At least 10 years\n"
    "* PRIOR CONCURRENT THERAPY: Biologic therapy: Not specified Chemotherapy: No prior "
    "chemotherapy for breast cancer Endocrine therapy: Concurrent tamoxifen permitted "
    "Radiotherapy: Not specified Surgery: See Disease Characteristics\n"
)


def test_flattened_pdq_sections_are_one_criterion_per_label() -> None:
    texts = [item.text for item in parse_criteria(FLAT).items]
    assert "Age: 48 to 78" in texts
    assert "Chemotherapy: No prior chemotherapy for breast cancer" in texts
    assert "Radiotherapy: Not specified" in texts


@pytest.mark.parametrize(
    ("chemotherapy", "excluded"),
    [("no", False), ("yes", True)],  # the chemotherapy section decides, not hidden by others
)
def test_a_flattened_section_decides_on_its_own(chemotherapy: str, excluded: bool) -> None:
    note = (
        f"A 60-year-old woman with breast cancer. Prior chemotherapy: {chemotherapy}. "
        "Prior radiotherapy: no."
    )
    got, results, _ = judge_trial(
        "NCT00000001", {}, parse_criteria(FLAT), PatientFacts.of(read_note(note))
    )
    assert (got is TrialVerdict.INELIGIBLE) is excluded, [(r.text, r.reason) for r in results]
    (label,) = [r for r in results if r.text == "Radiotherapy: Not specified"]
    assert label.verdict is not Verdict.NOT_MET  # a label asks for no radiotherapy


@pytest.mark.parametrize(
    "criterion",
    [
        "Radiotherapy: Concurrent radiation therapy for local control of disease allowed (except "
        "as initial therapy for NSCLC)",
        "Chemotherapy: Chemotherapy for high-risk patients allowed at the discretion of the "
        "clinician",
    ],
)
def test_a_permission_after_a_label(criterion: str) -> None:
    result = judged("A 60-year-old woman with breast cancer.", "inclusion", criterion)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason


def test_volunteers_ages_are_theirs() -> None:
    result = judged(
        "A 35-year-old woman with acromegaly.",
        "inclusion",
        "Volunteers aged 18 to 30 recruited for up to 3 stimulation tests",
    )
    assert result.verdict is not Verdict.NOT_MET, result.reason


# -- named drugs are themselves; arms are alternatives -----------------------------------------

CRC_TREATED = {
    "age": 63, "sex": "male",
    "conditions": [{"name": "Adenocarcinoma of sigmoid colon"}],
    "therapies": [
        {"name": "mFOLFOX6", "status": "completed"},
        {"name": "Bevacizumab", "status": "completed"},
        {"name": "Capecitabine", "status": "active"},
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # FOLFOX and capecitabine are no irinotecan; bevacizumab is no cetuximab (the record
        # may be incomplete: not a "no", but no rule-out either)
        ("No prior irinotecan", Verdict.UNKNOWN),
        ("No prior murine monoclonal antibody therapy or cetuximab", Verdict.UNKNOWN),
        # FOLFOX is oxaliplatin and fluorouracil
        ("No prior oxaliplatin", Verdict.NOT_MET),
        ("No prior 5-FU", Verdict.NOT_MET),
        ("No prior chemotherapy", Verdict.NOT_MET),
        ("No prior anti-VEGF therapy", Verdict.NOT_MET),
    ],
)
def test_a_named_drug_is_that_drug(criterion: str, verdict: Verdict) -> None:
    result = judged_note(patient_from_data(CRC_TREATED), "inclusion", criterion)
    assert result.verdict is verdict, result.reason


def test_arms_are_alternatives() -> None:
    parsed = parse_criteria(
        "Inclusion Criteria:\n"
        "* Arm A: Participants must not have received a strong CYP3A4 inhibitor within 7 days\n"
        "* Arm B: Participants must have received an azole antifungal that is a strong CYP3A4 "
        "inhibitor for at least 7 days\n"
    )
    patient = patient_from_data({"age": 45, "sex": "male", "answers": {}})
    facts = PatientFacts.of(patient.model_copy(update={"complete_history": True}))
    got, results, _ = judge_trial("NCT00000001", {}, parsed, facts)
    assert got is not TrialVerdict.INELIGIBLE, [(r.text, r.verdict, r.reason) for r in results]


def test_what_a_ruled_out_therapy_with_an_aside_is_for() -> None:
    result = judged(
        "A 45-year-old man with relapsed acute myeloid leukemia on cytarabine.",
        "inclusion",
        "No prior biologic therapy, including bone marrow transplantation, for AML",
    )
    assert "patient has AML" not in result.reason
    assert result.verdict is not Verdict.NOT_MET, result.reason


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # one procedure the lexicon files under its class: a colectomy is no hepatectomy
        ("Prior hepatectomy", Verdict.UNKNOWN),
        ("Prior TACE", Verdict.UNKNOWN),
        ("Prior radioembolization (SIRT)", Verdict.UNKNOWN),
        ("Prior colectomy", Verdict.MET),
        ("Prior surgery", Verdict.MET),
        ("Prior radiotherapy", Verdict.MET),
        ("Prior ablation", Verdict.MET),
    ],
)
def test_a_named_procedure_is_that_procedure(criterion: str, verdict: Verdict) -> None:
    patient = patient_from_data(
        {"age": 63, "sex": "male", "complete_history": True, "therapies": [
            {"name": "Laparoscopic sigmoid colectomy", "classes": ["surgery"]},
            {"name": "Radiofrequency ablation of liver metastasis", "classes": ["ablation"]},
            {"name": "External beam radiotherapy to pelvis", "classes": ["radiotherapy"]}]}
    )  # fmt: skip
    result = judged_note(patient, "exclusion", criterion)
    assert result.verdict is verdict, result.reason


def test_reasons_say_what_the_record_holds() -> None:
    # the drugs are there, only fewer; the radiation was given, elsewhere
    counted = judged_note(
        patient_from_data(T2DM), "exclusion", "Use of 3 or more antidiabetic drugs"
    )
    assert "patient does not have" not in counted.reason
    assert "fewer antidiabetic drugs than the criterion counts" in counted.reason
    elsewhere = judged(BRAIN, "exclusion", "Prior pelvic radiation")
    assert "patient does not have" not in elsewhere.reason
    assert "went to another site" in elsewhere.reason


RA_ON_METHOTREXATE = (
    "A 55-year-old woman with rheumatoid arthritis. Current medications: methotrexate."
)


@pytest.mark.parametrize(
    ("criterion", "with_prednisone", "with_methotrexate"),
    [
        # "steroids" was read as every immunosuppressant: methotrexate met it
        ("Chronic steroid therapy", Verdict.MET, Verdict.NOT_MET),
        ("Chronic use of steroids", Verdict.MET, Verdict.NOT_MET),
        ("Current use of systemic corticosteroids", Verdict.MET, Verdict.NOT_MET),
        ("Immunosuppressive therapy", Verdict.MET, Verdict.MET),
    ],
)
def test_a_steroid_is_not_every_immunosuppressant(
    criterion: str, with_prednisone: Verdict, with_methotrexate: Verdict
) -> None:
    on_prednisone = f"{RA_ON_METHOTREXATE[:-1]}, prednisone."
    assert judged(on_prednisone, "exclusion", criterion).verdict is with_prednisone
    assert judged(RA_ON_METHOTREXATE, "exclusion", criterion).verdict is with_methotrexate


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        # asthma is a hypersensitivity in MeSH, not what a screener calls an allergy: asked
        ("A 40-year-old man with COVID-19. Comorbid respiratory diseases: asthma.",
         Verdict.UNKNOWN),
        ("A 40-year-old man. Penicillin allergy.", Verdict.MET),
        ("A 40-year-old man with asthma. Allergies: none.", Verdict.NOT_MET),
    ],
)  # fmt: skip
def test_asthma_is_not_an_allergy_on_its_own(note: str, verdict: Verdict) -> None:
    result = judged(note, "exclusion", "Allergy")
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("kind", "criterion"),
    [
        # "that cannot be controlled" after the name says which hypertension is meant: a
        # patient with hypertension on amlodipine failed the inclusion outright
        ("inclusion", "No hypertension that cannot be controlled by medications"),
        ("exclusion", "Hypertension not adequately controlled by medication"),
        ("exclusion", "Hypertension which is poorly controlled"),
    ],
)
def test_uncontrolled_after_the_name_is_asked(kind: str, criterion: str) -> None:
    note = "A 60-year-old man with renal cell carcinoma. Past medical history: hypertension."
    result = judged(f"{note} Current medications: amlodipine.", kind, criterion)
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "uncontrolled" in result.reason


@pytest.mark.parametrize(
    ("criterion", "verdict", "says"),
    [
        # a chronic disease in the past medical history was skipped by "uncontrolled" (a
        # word that asks for a current one), and the answer said "diabetes is not in the
        # patient's history" of a patient whose history lists it
        ("Uncontrolled diabetes", Verdict.UNKNOWN, "patient has diabetes; is it uncontrolled"),
        ("Uncontrolled hypertension", Verdict.UNKNOWN, "patient has hypertension"),
        ("Active pneumonia", Verdict.NOT_MET, "patient does not have pneumonia"),
    ],
)
def test_a_disease_in_the_past_history_is_never_said_to_be_absent(
    criterion: str, verdict: Verdict, says: str
) -> None:
    note = (
        "A 60-year-old man with renal cell carcinoma. Past medical history: hypertension,"
        " diabetes, pneumonia in 2019."
    )
    result = judged(note, "exclusion", criterion)
    assert result.verdict is verdict, result.reason
    assert result.reason.startswith(says), result.reason
    assert "not in the patient's history" not in result.reason
    assert result.evidence


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        # "symptomatic" narrows the disease: the bare diagnosis does not say (it was met, and
        # an asymptomatic patient's brain metastases ruled her out)
        ("A 60-year-old woman with lung cancer and brain metastases.",
         "Symptomatic brain metastases", Verdict.UNKNOWN),
        ("A 60-year-old woman with lung cancer and asymptomatic brain metastases.",
         "Symptomatic brain metastases", Verdict.UNKNOWN),
        ("A 60-year-old woman with lung cancer and symptomatic brain metastases.",
         "Symptomatic brain metastases", Verdict.MET),
        ("A 70-year-old man with coronary artery disease.",
         "Symptomatic coronary artery disease", Verdict.UNKNOWN),
        # no such disease: the exclusion does not apply
        ("A 60-year-old woman with lung cancer. No brain metastases.",
         "Symptomatic brain metastases", Verdict.NOT_MET),
    ],
)  # fmt: skip
def test_symptomatic_asks_about_the_symptoms(note: str, criterion: str, verdict: Verdict) -> None:
    result = judged(note, "exclusion", criterion)
    assert result.verdict is verdict, result.reason


def test_an_agreement_is_asked_not_read_as_a_diagnosis() -> None:
    # "patient has AML" made this exclusion NOT_MET for an AML patient: the reason read
    # as if the disease were what the criterion asks about
    result = judged(
        "70-year-old man with acute myeloid leukemia, newly diagnosed.",
        "exclusion",
        "Subject agrees not to participate in another interventional study for AML",
    )
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "consent" in result.reason and result.questions


def test_the_reason_for_an_exclusion_is_no_denial() -> None:
    # "Pregnant women are excluded from this study because ..." read "are excluded" as
    # "not pregnant", and ruled out a postmenopausal woman who is not pregnant
    criterion = (
        "Women that are pregnant or breastfeeding Note: Pregnant women are excluded from this "
        "study because the agents used in this study may be teratogenic to a fetus."
    )
    patient = Patient(age=58, sex="female", pregnant=False, breastfeeding=False)
    result = judge_item(parse_criteria(f"Exclusion Criteria:\n* {criterion}").items[0],
                        PatientFacts.of(patient))  # fmt: skip
    assert result.verdict is Verdict.NOT_MET, result.reason


def test_another_cancers_stage_is_not_the_reason() -> None:
    # "the cancer is metastatic (stage IV), not stage I to III" compared the patient's
    # colon cancer with the endometrial carcinoma's stage
    note = "60-year-old woman with metastatic colon adenocarcinoma, stage IV."
    criterion = "Stage I to III endometrial carcinoma within the last 5 years"
    result = judged(note, "exclusion", criterion)
    assert result.verdict is Verdict.NOT_MET
    assert result.reason.startswith("endometrial carcinoma is not in the patient's history")
    # the patient's own cancer's stage still decides its own stage bound
    own = judged(note, "inclusion", "Stage I-III colon cancer")
    assert own.verdict is Verdict.NOT_MET and "stage IV" in own.reason
