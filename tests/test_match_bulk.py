"""The fast path (``match.bulk``) gives exactly the full judge's results: every criterion
result (verdict, reason, evidence, questions), the trial verdict and the deciding items,
over real corpus trials and dev-half / tuning patients, and the same ranking through
``match_patient``. Patients are interleaved so that the blank results one patient
filled are used by the next with the same sex and history flag."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CTGOV, SHARED_DATA, Backend, needs_corpus
from trialscope.criteria import ParsedCriteria, parse_criteria
from trialscope.importer import import_paths
from trialscope.match import Patient, match_patient, read_note
from trialscope.match.bulk import BulkJudge, compile_trial
from trialscope.match.candidate_query import condition_query
from trialscope.match.facts import PatientFacts
from trialscope.match.run import _VIEWS, _match_one, _score
from trialscope.match.trials import judge_trial, own_concepts, screened_concepts
from trialscope.match.views import load_views, refresh_views
from trialscope.search import SearchEngine
from trialscope.search.types import SearchQuery
from trialscope.store import Store

pytestmark = needs_corpus

#: tuning / criterion-dev-half notes only (bench/splits.py); never a held-out patient
NOTES = [
    ("sigir", "sigir-201423"),
    ("sigir", "sigir-20152"),
    ("sigir", "sigir-201416"),
    ("trec_2021", "trec-20211"),
    ("trec_2021", "trec-202110"),
]
CRC: dict[str, Any] = {
    "age": 62,
    "sex": "female",
    "conditions": [
        {"name": "colon adenocarcinoma"},
        {"name": "liver metastases", "lesion_count": 3},
        {"name": "HIV infection", "status": "absent"},
        {"name": "myocardial infarction", "status": "history", "onset": "2025-01-10"},
    ],
    "labs": [
        {"test": "platelets", "value": 180000, "unit": "/uL"},
        {"test": "anc", "value": 2.1, "unit": "10^9/L"},
        {"test": "alt", "value": 50, "unit": "U/L", "reference_high": 40},
        {"test": "creatinine", "value": 0.9, "unit": "mg/dL"},
        {"test": "weight", "value": 70, "unit": "kg"},
        {"test": "height", "value": 165, "unit": "cm"},
    ],
    "performance": [{"scale": "karnofsky", "value": 80}],
    "therapies": [
        {"name": "FOLFOX", "classes": ["chemotherapy"], "line": 1, "end": "2026-09-01"},
        {"name": "radiotherapy", "classes": ["radiotherapy"], "status": "absent"},
    ],
    "pregnant": False,
    "will_consent": True,
    "as_of": "2026-12-01",
}
#: every profile and key kind: a man with a complete history, a healthy volunteer who
#: takes no medications, a patient with nothing but an age, one with answers
OTHERS: list[dict[str, Any]] = [
    {**CRC, "sex": "male", "complete_history": True, "pregnant": None},
    {
        "age": 30,
        "sex": "female",
        "healthy_volunteer": True,
        "breastfeeding": False,
        "therapies": [{"name": "medication", "classes": ["medication"], "status": "absent"}],
    },
    {"age": 45},
    {
        "age": 51,
        "sex": "female",
        "conditions": [{"name": "metastatic breast cancer"}],
        "biomarkers": [
            {"name": "HER2", "result": "positive"},
            {"name": "ER", "result": "negative"},
            {"name": "PD-L1", "result": "positive", "value": 5, "unit": "%"},
        ],
        "performance": [{"scale": "ecog", "value": 1}],
    },
    {**CRC, "answers": {"criterion:informed-consent": True}},
    # counted sites without a number (a count that is not known, never zero) and no
    # chemotherapy ever (0 prior lines)
    {
        "age": 60,
        "sex": "male",
        "complete_history": True,
        "conditions": [{"name": "lung adenocarcinoma"}, {"name": "brain metastases"}],
        "therapies": [{"name": "chemotherapy", "classes": ["chemotherapy"], "status": "absent"}],
    },
    # where they are cared for now (care-setting criteria: "hospitalized patients")
    {"age": 40, "sex": "male", "care_setting": "outpatient", "conditions": [{"name": "COVID-19"}]},
    {"age": 70, "sex": "female", "care_setting": "intensive_care", "complete_history": True},
    # vaccinated, and ventilated now (vaccine and ventilation criteria)
    {
        "age": 55,
        "sex": "male",
        "mechanically_ventilated": True,
        "conditions": [{"name": "HIV"}],
        "vaccinations": [{"against": "hiv", "doses": 2}, {"against": "MESH:D007251"}],
    },
    {"age": 30, "sex": "female", "mechanically_ventilated": False, "vaccinations": [{"doses": 0}]},
]


def _v2_studies(limit: int, seed: int) -> list[dict[str, Any]]:
    studies: list[dict[str, Any]] = []
    for path in sorted((CTGOV / "v2").glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
            lines = [json.loads(line) for line in handle if line.strip()]
        studies += [s for s in lines if "protocolSection" in s]
    by_id = {s["protocolSection"]["identificationModule"]["nctId"]: s for s in studies}
    chosen = random.Random(seed).sample(sorted(by_id), min(limit, len(by_id)))
    return [by_id[nct] for nct in chosen]


@pytest.fixture(scope="module")
def trials() -> list[tuple[str, dict[str, Any], ParsedCriteria, frozenset[str], frozenset[str]]]:
    out = []
    for study in _v2_studies(500, seed=11):
        section = study["protocolSection"]
        eligibility = section.get("eligibilityModule") or {}
        names = section.get("conditionsModule", {}).get("conditions") or []
        meshes = study.get("derivedSection", {}).get("conditionBrowseModule", {}).get("meshes")
        own = own_concepts(names, [str(m.get("id", "")) for m in meshes or []])
        parsed = parse_criteria(eligibility.get("eligibilityCriteria") or "")
        nct = section["identificationModule"]["nctId"]
        out.append((nct, eligibility, parsed, own, screened_concepts(names)))
    return out


def _patients() -> list[tuple[str, Patient]]:
    out = []
    for cohort, topic in NOTES:
        queries = SHARED_DATA / "trialgpt" / cohort / "queries.jsonl"
        for line in queries.read_text().splitlines():
            item = json.loads(line)
            if item["_id"] == topic:
                out.append((topic, read_note(item["text"])))
    out.append(("structured CRC", Patient.from_data(CRC)))
    out += [(f"structured {n}", Patient.from_data(data)) for n, data in enumerate(OTHERS)]
    return out


def test_same_results_as_the_full_judge(trials: list[Any]) -> None:
    people = _patients()
    assert len(people) == len(NOTES) + 1 + len(OTHERS)
    compiled = {nct: compile_trial(parsed) for nct, _, parsed, _, _ in trials}
    for round_ in range(2):  # the second round runs on blank results others filled
        for label, patient in people:
            facts = PatientFacts.of(patient)
            bulk = BulkJudge(facts)
            for nct, eligibility, parsed, own, screened in trials:
                full = judge_trial(nct, eligibility, parsed, facts, own=own, screened=screened)
                fast = bulk.judge(compiled[nct], eligibility, parsed, own=own, screened=screened)
                assert fast == full, f"{label} {nct} round {round_}"


def test_touched_trials_start_from_the_blank_results(
    trials: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trial the patient touches (without cohort headings) is its blank results with
    only the touched items judged for the patient: the same results as the full judge,
    on a profile's first patient (blank lists made on the way) and a later one."""
    spliced = 0
    splice = BulkJudge._splice

    def counting(self: BulkJudge, *args: Any) -> Any:
        nonlocal spliced
        spliced += 1
        return splice(self, *args)

    monkeypatch.setattr(BulkJudge, "_splice", counting)
    compiled = {nct: compile_trial(parsed) for nct, _, parsed, _, _ in trials}
    people = _patients()
    for label, patient in [people[3], people[5], people[3]]:  # trec-20211, CRC, again
        facts = PatientFacts.of(patient)
        bulk = BulkJudge(facts)
        for nct, eligibility, parsed, own, screened in trials:
            full = judge_trial(nct, eligibility, parsed, facts, own=own, screened=screened)
            fast = bulk.judge(compiled[nct], eligibility, parsed, own=own, screened=screened)
            assert fast == full, f"{label} {nct}"
    assert spliced > len(trials)  # most trials are touched by one patient or another


_TRIAL = """Inclusion Criteria:
- Acute myeloid leukemia
- Age 18 years or older

Exclusion Criteria:
- Women of childbearing age must not be pregnant or lactating.
- Prior chemotherapy within 4 weeks
- Uncontrolled hypertension
"""


@pytest.mark.parametrize(
    "data",
    [
        # has the trial's disease (its population's member), had chemotherapy lately:
        # the blank patient's met pregnancy exclusion is read again with her facts
        {
            "age": 60,
            "sex": "female",
            "complete_history": True,
            "conditions": [{"name": "acute myeloid leukemia"}],
            "therapies": [{"name": "cytarabine", "classes": ["chemotherapy"], "end": "2026-11-20"}],
            "as_of": "2026-12-01",
        },
        {"age": 70, "sex": "male", "conditions": [{"name": "hypertension"}]},
        {"sex": "female", "complete_history": True},  # the blank patient herself
        {"age": 30, "sex": "female", "pregnant": True, "complete_history": True},
    ],
)
def test_only_touched_items_are_judged_for_the_patient(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import trialscope.match.bulk as bulk_module

    parsed = parse_criteria(_TRIAL)
    own = own_concepts(["Acute Myeloid Leukemia"])
    eligibility = {"sex": "ALL", "minimumAge": "18 Years"}
    compiled = compile_trial(parsed)
    facts = PatientFacts.of(Patient.from_data(data))
    bulk = BulkJudge(facts)
    assert bulk.keys is not None
    bulk_module.fill_blank(compiled, parsed, own, bulk.keys.profile)  # a later patient
    judged: list[int] = []
    judge_item = bulk_module.judge_item

    def counting(item: Any, *args: Any, **kwargs: Any) -> Any:
        judged.append(item.index)
        return judge_item(item, *args, **kwargs)

    monkeypatch.setattr(bulk_module, "judge_item", counting)
    fast = bulk.judge(compiled, eligibility, parsed, own=own)
    assert fast == judge_trial("NCT0", eligibility, parsed, facts, own=own)
    touched = [i for i, keys in compiled.keys.items() if not keys.isdisjoint(bulk.keys.keys)]
    assert sorted(judged) == sorted(touched)


@pytest.fixture(scope="module")
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as made:
        import_paths(made, [CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz"])
        # the import stored the open trials' views; the others are made here
        refresh_views(made, statuses=())
        yield made


def test_match_every_trial_ranks_as_the_full_judge(store: Store) -> None:
    """From the views stored in the database (their blank patients' results), a note
    patient and structured ones: the same ranking and results as the full judge."""
    engine = SearchEngine(store)
    ids = store.nct_ids()
    assert len(load_views(store, ids)) == len(ids)
    _VIEWS.clear()  # read the stored views, not those another test built
    for label, patient in _patients()[:1] + _patients()[-5:]:
        report = match_patient(store, patient, every=True, statuses=(), limit=len(ids))
        assert report.candidates == len(ids), label
        # the reference: every trial judged by judge_trial, scored and sorted the same way
        text = condition_query(patient)
        hits = {}
        if text:
            query = SearchQuery(cond=text, limit=1000, with_facets=False)
            hits = {h.nct_id: h for h in engine.search(query).hits}
        facts = PatientFacts.of(patient)
        full = [_match_one(store, nct, facts, hits.get(nct), None) for nct in ids]
        _score(full, None)
        full.sort(key=lambda m: -m.score)
        assert [(m.nct_id, m.verdict, m.deciding) for m in report.trials] == [
            (m.nct_id, m.verdict, m.deciding) for m in full
        ], label
        assert [m.criteria for m in report.trials] == [m.criteria for m in full], label
        assert report.candidate_verdicts == {
            v: sum(1 for m in full if m.verdict.value == v) for v in report.candidate_verdicts
        }


def test_every_trial_takes_no_place(store: Store) -> None:
    from trialscope.errors import UsageError

    with pytest.raises(UsageError, match="every trial"):
        match_patient(store, Patient.from_data(CRC), every=True, near="Boston")
