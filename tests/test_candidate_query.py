"""The search text that finds a patient's candidate trials: the patient's own words, and
the names of the same disease a few steps up the vocabulary, never a mere class."""

from __future__ import annotations

import pytest

from trialscope.match import read_note
from trialscope.match.candidate_query import MAX_PHRASES, condition_query
from trialscope.match.intake import patient_from_data


def phrases(query: str) -> list[str]:
    return [p.strip().strip('"') for p in query.split(" OR ")]


@pytest.mark.parametrize(
    ("note", "wanted", "unwanted"),
    [
        (
            "62-year-old woman with metastatic pancreatic ductal adenocarcinoma.",
            ["pancreatic ductal adenocarcinoma", "pancreatic cancer", "pancreatic neoplasms"],
            ["adenocarcinoma", "carcinoma", "digestive system neoplasms"],
        ),
        (
            "Woman with stage IV lung adenocarcinoma.",
            ["lung adenocarcinoma", "non-small cell lung cancer", "lung cancer"],
            ["adenocarcinoma", "lung diseases", "thoracic neoplasms"],
        ),
        (
            "A 45-year-old man with relapsed acute myeloid leukemia.",
            ["acute myeloid leukemia", "acute myelogenous leukemia"],
            ["hematologic diseases", "neoplasms by histologic type"],
        ),
        (
            # spread to the liver is not primary liver cancer
            "Man with colon adenocarcinoma and liver metastases.",
            ["colon adenocarcinoma", "colon cancer", "liver metastases", "hepatic metastases"],
            ["liver neoplasms", "primary liver cancer", "liver cancer"],
        ),
        (
            "Girl with breast cancer.",
            ["breast cancer", "breast neoplasms"],
            ["breast diseases", "skin diseases"],
        ),
    ],
)
def test_broader_names_stay_about_the_same_disease(
    note: str, wanted: list[str], unwanted: list[str]
) -> None:
    found = phrases(condition_query(read_note(note)))
    assert set(wanted) <= set(found), found
    assert not set(unwanted) & set(found), found
    assert len(found) <= MAX_PHRASES


def test_own_names_come_first_and_absent_conditions_are_left_out() -> None:
    patient = patient_from_data(
        {
            "conditions": [
                "pancreatic ductal adenocarcinoma",
                "hypertension",
                {"name": "diabetes", "status": "absent"},
            ]
        }
    )
    found = phrases(condition_query(patient))
    assert found[:2] == ["pancreatic ductal adenocarcinoma", "hypertension"]
    assert not any("diabet" in p for p in found)


def test_a_name_the_vocabulary_does_not_know_is_searched_as_written() -> None:
    patient = patient_from_data({"conditions": ["Quillfeather syndrome"]})
    assert condition_query(patient) == '"quillfeather syndrome"'


@pytest.mark.parametrize(
    ("conditions", "trial", "expected"),
    [
        # a patient with cancer: a trial of a comorbidity alone is not what they seek
        (["pancreatic ductal adenocarcinoma", "hypertension"], ["Hypertension"], "comorbidity"),
        (["pancreatic ductal adenocarcinoma", "hypertension"], ["Pancreatic Cancer"], "covers"),
        # no cancer: every condition of the patient counts alike
        (["type 2 diabetes", "hypertension"], ["Hypertension"], "covers"),
    ],
)
def test_topical_fit_of_a_comorbidity(
    conditions: list[str], trial: list[str], expected: str
) -> None:
    from trialscope.match.facts import PatientFacts
    from trialscope.match.run import RANKING, _topical
    from trialscope.match.trials import own_concepts

    facts = PatientFacts.of(patient_from_data({"conditions": conditions}))
    assert _topical(own_concepts(trial), facts) == getattr(RANKING.topical, expected)
