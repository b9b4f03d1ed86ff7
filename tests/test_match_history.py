"""A patient's history against what a criterion names around a disease or a therapy:
the disease a treatment is for, exceptions ("other than glaucoma"), the state of a
disease ("recurrence of"), a negation over a whole phrase, and limits on a therapy the
patient never had (issue 11). Notes are written for the test; no gold patient is read."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import Verdict, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.trials import own_concepts
from trialscope.match.verdicts import CriterionResult


def judged(note: str, kind: str, criterion: str, own: tuple[str, ...] = ()) -> CriterionResult:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    return judge_item(item, PatientFacts.of(read_note(note)), own=own_concepts(own))


BREAST = "A 55-year-old woman with breast cancer."
TREATED = "A 55-year-old woman with breast cancer treated with doxorubicin chemotherapy."


@pytest.mark.parametrize(
    ("note", "kind", "criterion", "verdict"),
    [
        # the disease a treatment is for is not itself ruled out: silence about the
        # treatment leaves it open, the treatment on record fails it
        (BREAST, "inclusion", "No prior chemotherapy for breast cancer", Verdict.UNKNOWN),
        (TREATED, "inclusion", "No prior chemotherapy for breast cancer", Verdict.NOT_MET),
        (
            "A 30-year-old man with generalized anxiety disorder.",
            "inclusion",
            "No prior formalized non-drug therapy for anxiety disorder",
            Verdict.UNKNOWN,
        ),
        (
            "A 60-year-old man with type 2 diabetes on metformin.",
            "exclusion",
            "Changes in medications for diabetes, BP or lipids in the 2 months prior",
            Verdict.NOT_MET,
        ),
        (
            BREAST,
            "exclusion",
            "Prior treatment with chemotherapy for advanced or metastatic breast cancer",
            Verdict.NOT_MET,
        ),
        # chemotherapy whose setting the note does not give: asked, never assumed
        (
            TREATED,
            "exclusion",
            "Prior treatment with chemotherapy for advanced or metastatic breast cancer",
            Verdict.UNKNOWN,
        ),
        (
            "A 55-year-old woman with metastatic breast cancer treated with first-line "
            "doxorubicin chemotherapy.",
            "exclusion",
            "Prior treatment with chemotherapy for advanced or metastatic breast cancer",
            Verdict.MET,
        ),
    ],
)
def test_a_disease_named_as_what_a_treatment_is_for(
    note: str, kind: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(note, kind, criterion)
    assert result.verdict is verdict, result.reason


OTHER_EYE = "Any eye disease other than glaucoma"


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        ("A 70-year-old man with glaucoma.", OTHER_EYE, Verdict.NOT_MET),
        ("A 70-year-old man with glaucoma and cataract.", OTHER_EYE, Verdict.MET),
        # two readings of "chronic hepatitis C" (lexicon and MeSH) are one finding
        (
            "A 50-year-old man with chronic hepatitis C.",
            "Evidence of another form of liver disease in addition to viral hepatitis "
            "(e.g., autoimmune liver disease)",
            Verdict.NOT_MET,
        ),
        ("A 50-year-old man with chronic hepatitis C.", "Liver disease", Verdict.MET),
    ],
)
def test_what_an_exclusion_excepts_does_not_count(
    note: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(note, "exclusion", criterion)
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        (BREAST, Verdict.UNKNOWN),  # the cancer, not its recurrence: asked
        ("A 55-year-old woman with breast cancer that recurred in 2019.", Verdict.NOT_MET),
    ],
)
def test_the_recurrence_of_a_disease_is_not_the_disease(note: str, verdict: Verdict) -> None:
    result = judged(note, "inclusion", "No known recurrence of breast cancer", ("breast cancer",))
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        # the patient has brain metastases; the phrase negated is their radiotherapy
        ("A 55-year-old man with lung cancer and brain metastases.", Verdict.UNKNOWN),
        (
            "A 55-year-old man with lung cancer and brain metastases treated with whole "
            "brain radiotherapy.",
            Verdict.NOT_MET,
        ),
    ],
)
def test_a_negation_holds_over_the_whole_phrase(note: str, verdict: Verdict) -> None:
    result = judged(note, "inclusion", "No prior radiotherapy to brain metastases")
    assert result.verdict is verdict, result.reason


NEVER = "Patient with breast cancer.\nPrior chemotherapy: no.\nPrior radiotherapy: no."


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        ("At least 4 weeks since prior radiotherapy", Verdict.MET),
        ("Recovered from prior chemotherapy", Verdict.MET),
        ("Greater than 1 year since prior adjuvant chemotherapy", Verdict.MET),
        ("No more than 2 prior chemotherapy regimens for metastatic disease", Verdict.MET),
        # these ask for the therapy
        ("No more than 6 weeks since prior adjuvant chemotherapy", Verdict.NOT_MET),
        ("Must have received at least 2 prior chemotherapy regimens", Verdict.NOT_MET),
        ("Prior chemotherapy required", Verdict.NOT_MET),
    ],
)
def test_a_limit_on_a_therapy_the_patient_never_had(criterion: str, verdict: Verdict) -> None:
    result = judged(NEVER, "inclusion", criterion)
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        # the trial is about diabetes: its own disease is not the "metabolic disease"
        # it excludes
        ("A 58-year-old man with type 2 diabetes.", Verdict.NOT_MET),
        ("A 58-year-old man with type 2 diabetes and gout.", Verdict.MET),
    ],
)
def test_an_exclusion_of_a_class_of_the_trials_own_disease(note: str, verdict: Verdict) -> None:
    result = judged(note, "exclusion", "Metabolic Disease", ("type 2 diabetes",))
    assert result.verdict is verdict, result.reason
    # the trial's own disease named as such still excludes
    own = judged(note, "exclusion", "Type 2 diabetes", ("type 2 diabetes",))
    assert own.verdict is Verdict.MET, own.reason


def test_a_permission_deep_in_a_long_item_is_no_requirement() -> None:
    criterion = (
        "PATIENT CHARACTERISTICS: Age: Any age Life expectancy: Not specified "
        "Other: Pregnant or nursing women allowed"
    )
    result = judged("A 30-year-old woman with lymphoma.", "inclusion", criterion)
    assert result.verdict is not Verdict.NOT_MET, result.reason
    forbidden = judged(
        "A 30-year-old woman with lymphoma.", "inclusion", "Pregnant women are not allowed"
    )
    assert forbidden.verdict is Verdict.MET, forbidden.reason


AS_OF = "2026-12-05"
LONG = "A 58-year-old man with type 2 diabetes for 10 years."
RECENT = "A 58-year-old man with type 2 diabetes diagnosed 3 months ago."
UNDATED = "A 58-year-old man with type 2 diabetes."


@pytest.mark.parametrize(
    ("criterion", "note", "verdict"),
    [
        ("Type 2 Diabetes diagnosed for at least 1 year at the time of screening", LONG, "MET"),
        (
            "Type 2 Diabetes diagnosed for at least 1 year at the time of screening",
            RECENT,
            "NOT_MET",
        ),
        (
            "Type 2 Diabetes diagnosed for at least 1 year at the time of screening",
            UNDATED,
            "UNKNOWN",
        ),
        ("Diagnosis of type 2 diabetes at least 6 months before screening", LONG, "MET"),
        ("Diagnosis of type 2 diabetes at least 6 months before screening", RECENT, "NOT_MET"),
        ("Asthma for at least 2 years", "Girl, 12, with asthma since 2015.", "MET"),
    ],
)
def test_how_long_a_disease_has_lasted(criterion: str, note: str, verdict: str) -> None:
    import datetime as dt

    item = parse_criteria(f"Inclusion Criteria:\n* {criterion}").items[0]
    patient = read_note(note, as_of=dt.date.fromisoformat(AS_OF))
    result = judge_item(item, PatientFacts.of(patient))
    assert result.verdict is Verdict(verdict), result.reason


@pytest.mark.parametrize(
    ("note", "status"),
    [
        ("Hypertension diagnosed 3 months ago.", "active"),  # a date, not a past disease
        ("MI 2 years ago.", "history"),
        ("History of stroke diagnosed 2 years ago.", "history"),
        ("Breast cancer diagnosed 5 years ago, now in remission.", "history"),
    ],
)
def test_diagnosed_ago_dates_a_current_disease(note: str, status: str) -> None:
    assert {c.status for c in read_note(note).conditions} == {status}
