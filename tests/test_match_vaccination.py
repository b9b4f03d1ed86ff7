"""Vaccines named by the disease they prevent.

Before this, the disease in "COVID-19 vaccine" was read as a condition of the patient:
"History of smallpox vaccination" asked everyone for smallpox, "Prior HIV vaccines"
ruled out every patient with HIV, "Subjects who have not been vaccinated against
COVID-19" every patient who had COVID-19, and a TREC 2023 note's "Vaccination status:
unvaccinated." reached nothing. The criteria wordings are real ones from the corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.judging import criterion_item, judged
from trialscope.criteria.vaccination import doses_asked, vaccines_in
from trialscope.errors import PatientError
from trialscope.match import Verdict, read_note
from trialscope.match.answers import apply_answers
from trialscope.match.fhir import read_fhir
from trialscope.match.intake import patient_from_data
from trialscope.match.vaccination import vaccinations_said

AT_LEAST_ONE = "Received at least one dose of COVID-19 registered vaccines."


@pytest.mark.parametrize(
    ("text", "concepts", "doses"),
    [
        (AT_LEAST_ONE, ["covid19"], 1),
        ("Have received three doses of a COVID-19 vaccine, with the last dose received at "
         "least four months ago.", ["covid19"], 3),
        ("Prior HIV vaccines.", ["hiv"], None),
        ("Any prior vaccinations against HIV.", ["hiv"], None),
        ("Prior hepatitis B vaccination.", ["hbv"], None),
        ("Prior receipt of any influenza vaccine within 6 months", ["MESH:D007251"], None),
        ("Previous vaccination against yellow fever", ["MESH:D015004"], None),
        ("Prior immunization against rabies.", ["MESH:D011818"], None),
        ("Vaccinia (smallpox) vaccination more than 5 years prior to study enrollment.",
         ["MESH:D012899"], None),
        # one mention per target: "or" makes them alternatives
        ("Must not have received a tetanus/diphtheria or hepatitis B booster in the last 6 "
         "months.", ["MESH:D013742", "MESH:D004165", "hbv"], None),
        # a harm of the vaccine: the disease is still its target, no vaccination is asked
        ("COVID-19 vaccine related medical conditions (n=50)", [], None),
        # no disease named: nothing here (other readings may take the words)
        ("History of anaphylaxis or other serious adverse reactions to vaccines.", [], None),
        ("Rh isoimmunization", [], None),
        ("Live attenuated vaccines within the past 60 days.", [], None),
    ],
)  # fmt: skip
def test_vaccine_wordings(text: str, concepts: list[str], doses: int | None) -> None:
    item = criterion_item("inclusion", text)
    mentions = [m for m in item.mentions if m.category == "vaccination"]
    assert [m.concept for m in mentions] == concepts
    for mention in mentions:
        assert doses_asked(mention.text) == doses
    # the target is the vaccine's: no condition is read in its words
    targets = {span for words in vaccines_in(text) for span in words.target}
    offset = item.span[0]
    conditions = [m for m in item.mentions if m.category == "condition"]
    for a, b in targets:
        assert not [m for m in conditions if m.span[0] - offset < b and a < m.span[1] - offset]


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("Subjects who have not been vaccinated against COVID-19", True),
        ("People aged 75 years and older in retirement homes who have refused the SARS CoV-2 "
         "vaccine", True),
        ("Unvaccinated against COVID-19", True),
        ("History of SARS-CoV-2 vaccination", False),
    ],
)  # fmt: skip
def test_vaccines_denied(text: str, negated: bool) -> None:
    mentions = [
        m for m in criterion_item("inclusion", text).mentions if m.category == "vaccination"
    ]
    assert [(m.concept, m.negated) for m in mentions] == [("covid19", negated)]


@given(st.text(alphabet=st.sampled_from([*"HIV COVID-19 vaccine against doses of two ,.()"])))
def test_finder_never_fails_and_stays_inside(text: str) -> None:
    for words in vaccines_in(text):
        assert 0 <= words.start < words.end <= len(text)
        assert all(words.start <= a < b <= words.end for a, b in words.target)


COVID = "Patient with COVID-19.\nDefinitive diagnosis: yes (PCR).\n"
UNVACCINATED = COVID + "Vaccination status: unvaccinated."
BOOSTED = COVID + "Vaccination status: 2-shot + booster."
ONE_SHOT = COVID + "Vaccination status: 1 shot mRNA."
TWO_DOSES = "Patient with asthma. She received two doses of the COVID-19 vaccine in 2021."
HIV = "45-year-old man with HIV on antiretroviral therapy."


@pytest.mark.parametrize(
    ("note", "kind", "criterion", "verdict"),
    [
        (UNVACCINATED, "inclusion", AT_LEAST_ONE, Verdict.NOT_MET),
        # a COVID-19 patient's vaccination status is of COVID-19 vaccines
        (BOOSTED, "inclusion", AT_LEAST_ONE, Verdict.MET),
        (ONE_SHOT, "inclusion", AT_LEAST_ONE, Verdict.MET),
        (ONE_SHOT, "inclusion", "Have received three doses of a COVID-19 vaccine",
         Verdict.NOT_MET),
        # ... and of no other: the status names no vaccine, a person would ask
        (BOOSTED, "inclusion", "Prior hepatitis B vaccination.", Verdict.UNKNOWN),
        (UNVACCINATED, "inclusion", "Prior hepatitis B vaccination.", Verdict.UNKNOWN),
        ("Patient with asthma.\nVaccination status: unvaccinated.", "inclusion", AT_LEAST_ONE,
         Verdict.UNKNOWN),
        (TWO_DOSES, "inclusion", AT_LEAST_ONE, Verdict.MET),
        (TWO_DOSES, "inclusion", "Have received three doses of a COVID-19 vaccine",
         Verdict.NOT_MET),
        (UNVACCINATED, "inclusion", "Subjects who have not been vaccinated against COVID-19",
         Verdict.MET),
        (TWO_DOSES, "exclusion", "Previous vaccination against COVID-19", Verdict.MET),
        (UNVACCINATED, "exclusion", "Previous vaccination against COVID-19", Verdict.NOT_MET),
        # unsaid, so taken as absent like any exclusion a note does not mention
        (UNVACCINATED, "exclusion", "Prior hepatitis B vaccination.", Verdict.NOT_MET),
        # when the vaccine was given is not recorded
        (TWO_DOSES, "exclusion", "COVID-19 vaccine within the last 14 days", Verdict.UNKNOWN),
        # a vaccine nobody wrote down is asked, never assumed
        (HIV, "inclusion", "History of smallpox vaccination", Verdict.UNKNOWN),
    ],
)  # fmt: skip
def test_judged_against_the_note(note: str, kind: str, criterion: str, verdict: Verdict) -> None:
    assert judged(read_note(note), kind, criterion).verdict is verdict


@pytest.mark.parametrize(
    ("note", "kind", "criterion"),
    [
        # the disease in a vaccine's name is not the patient's
        (HIV, "exclusion", "Prior HIV vaccines."),
        (HIV, "exclusion", "Any prior vaccinations against HIV."),
        (UNVACCINATED, "inclusion", "Subjects who have not been vaccinated against COVID-19"),
        # an exclusion worded as a requirement or a rule of the study excludes no one
        # unvaccinated (it ruled out every unvaccinated patient)
        (UNVACCINATED, "exclusion", "No prior influenza vaccine"),
        (UNVACCINATED, "exclusion",
         "o Patients must not receive live, attenuated influenza vaccine (e.g., FluMist) within "
         "4 weeks prior"),
    ],
)  # fmt: skip
def test_a_vaccines_disease_never_rules_the_patient_out(
    note: str, kind: str, criterion: str
) -> None:
    result = judged(read_note(note), kind, criterion)
    rules_out = Verdict.MET if kind == "exclusion" else Verdict.NOT_MET
    assert result.verdict is not rules_out, result.reason


def test_not_known_asks_and_the_answer_settles_it() -> None:
    patient = read_note(HIV)
    result = judged(patient, "exclusion", "Prior HIV vaccines.")
    # a note is read as a full history: an exclusion it does not mention is taken as
    # absent, and the question stays open to confirm
    assert result.verdict is Verdict.NOT_MET
    assert "vaccination:hiv" in [q.key for q in result.questions]
    asked = judged(patient, "inclusion", "History of HIV vaccination")
    assert (asked.verdict, [q.key for q in asked.questions]) == (
        Verdict.UNKNOWN,
        ["vaccination:hiv"],
    )
    assert judged(apply_answers(patient, {"vaccination:hiv": "yes"}), "exclusion",
                  "Prior HIV vaccines.").verdict is Verdict.MET  # fmt: skip
    assert judged(apply_answers(patient, {"vaccination:hiv": "no"}), "exclusion",
                  "Prior HIV vaccines.").verdict is Verdict.NOT_MET  # fmt: skip
    vaccinated = read_note("Patient with asthma. He received the COVID-19 vaccine.")
    doses = judged(vaccinated, "inclusion", "Have received three doses of a COVID-19 vaccine")
    assert doses.verdict is Verdict.UNKNOWN
    assert [q.key for q in doses.questions] == ["vaccination_doses:covid19"]
    counted = apply_answers(vaccinated, {"vaccination_doses:covid19": 3})
    assert judged(
        counted, "inclusion", "Have received three doses of a COVID-19 vaccine"
    ).verdict is (Verdict.MET)
    with pytest.raises(Exception, match="must be a number"):
        apply_answers(vaccinated, {"vaccination_doses:covid19": "many"})


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Vaccination status: unvaccinated.", [(None, 0)]),
        ("Vaccination status: 2-shot + booster.", [(None, 3)]),
        ("Vaccination status: 1 shot mRNA.", [(None, 1)]),
        ("COVID-19 vaccination status: fully vaccinated.", [("covid19", None)]),
        ("She received two doses of the COVID-19 vaccine in 2021.", [("covid19", 2)]),
        ("He has not been vaccinated against influenza.", [("MESH:D007251", 0)]),
        ("History of hepatitis B vaccination.", [("hbv", None)]),
        ("No reaction to the influenza vaccine last year.", [("MESH:D007251", None)]),
        # a plan is not a vaccination
        ("She is due for her influenza vaccine next month.", []),
        ("Hypertension, on lisinopril.", []),
    ],
)
def test_vaccinations_in_a_note(
    sentence: str, expected: list[tuple[str | None, int | None]]
) -> None:
    assert [(v.against, v.doses) for v in vaccinations_said(sentence)] == expected
    patient = read_note(sentence)
    assert [(v.against, v.doses) for v in patient.vaccinations] == expected
    assert all(v.source.kind == "note" and v.source.text for v in patient.vaccinations)
    # the vaccine's disease is not one the patient has
    assert not [c for c in patient.conditions if c.name.lower() in ("influenza", "hepatitis b")]


def test_structured_vaccinations() -> None:
    patient = patient_from_data(
        {
            "age": 50,
            "vaccinations": [
                "COVID-19 vaccine, 3 doses",
                {"against": "influenza", "date": "2025-10"},
                {"against": "hepatitis B", "doses": 0},
            ],
        }
    )
    got = [(v.against, v.doses, v.date and v.date.isoformat()) for v in patient.vaccinations]
    assert got == [("covid19", 3, None), ("MESH:D007251", None, "2025-10-01"), ("hbv", 0, None)]
    assert patient.vaccinations[0].source.kind == "structured"
    assert patient_from_data({"vaccinations": ["unvaccinated"]}).vaccinations[0].doses == 0
    with pytest.raises(PatientError, match="Name the disease the vaccine prevents") as raised:
        patient_from_data({"vaccinations": ["the usual ones"]})
    assert "vaccinations[0]" in str(raised.value)


def _bundle(*immunizations: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female"}
    entries = [patient] + [
        {"resourceType": "Immunization", "id": f"i{n}", "patient": {"reference": "Patient/p1"}, **i}
        for n, i in enumerate(immunizations)
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in entries],
    }


_CVX = "http://hl7.org/fhir/sid/cvx"


def test_vaccinations_from_fhir_immunizations() -> None:
    covid = {
        "status": "completed",
        "vaccineCode": {
            "coding": [{"system": _CVX, "code": "208", "display": "COVID-19, mRNA, LNP-S, PF"}]
        },
        "occurrenceDateTime": "2021-04-01",
        "protocolApplied": [{"doseNumberPositiveInt": 2, "targetDisease": [{"text": "COVID-19"}]}],
    }
    flu = {
        "status": "not-done",
        "vaccineCode": {"text": "Influenza virus vaccine, inactivated"},
        "occurrenceDateTime": "2024-10-01",
    }
    erroneous = {**covid, "status": "entered-in-error"}
    read = read_fhir(_bundle(covid, flu, erroneous))
    got = [
        (v.against, v.doses, v.date.isoformat() if v.date else None)
        for v in read.patient.vaccinations
    ]
    assert got == [("covid19", 2, "2021-04-01"), ("MESH:D007251", 0, "2024-10-01")]
    assert read.patient.vaccinations[0].source.ref == "Immunization/i0"
    assert not [w for w in read.warnings if "Immunization" in w]
    result = judged(read.patient, "inclusion", AT_LEAST_ONE)
    assert result.verdict is Verdict.MET
    assert [e.source.ref for e in result.evidence if e.source] == ["Immunization/i0"]


def test_the_readme_patient_file_loads_with_its_vaccinations() -> None:
    import yaml

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    block = readme.split("**The patient file**", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    patient = patient_from_data(yaml.safe_load(block))
    assert [(v.against, v.doses) for v in patient.vaccinations] == [
        ("covid19", 3),
        ("MESH:D007251", None),
    ]
