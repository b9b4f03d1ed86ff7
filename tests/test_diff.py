"""Field-level diffs: seed notation, natural keys for list items, never indexes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from trialscope.store.diff import WATCHED_ON_FIRST_SIGHT, diff_studies, first_sight
from trialscope.store.types import ChangeKind


@pytest.fixture
def seed_2026() -> dict[str, Any]:
    return json.loads((FIXTURES / "NCT04416854.2026.v2.json").read_text("utf-8"))


def _protocol(study: dict[str, Any], module: str) -> dict[str, Any]:
    return study["protocolSection"][module]


def test_identical_versions_have_no_differences(seed_2026: dict[str, Any]) -> None:
    assert diff_studies(seed_2026, copy.deepcopy(seed_2026)) == []


def test_scalar_change_uses_seed_path(seed_2026: dict[str, Any]) -> None:
    newer = copy.deepcopy(seed_2026)
    _protocol(newer, "statusModule")["overallStatus"] = "COMPLETED"
    assert diff_studies(seed_2026, newer) == [
        ("status.overallStatus", ChangeKind.CHANGED, "UNKNOWN", "COMPLETED")
    ]


@pytest.mark.parametrize(
    ("module", "key", "path"),
    [
        ("eligibilityModule", "eligibilityCriteria", "eligibility.criteria"),
        ("eligibilityModule", "minimumAge", "eligibility.minAge"),
        ("designModule", "phases", "design.phases"),
        ("statusModule", "completionDateStruct", "status.completionDate"),
        ("oversightModule", "oversightHasDmc", "oversight.oversightHasDmc"),
    ],
)
def test_removed_field(seed_2026: dict[str, Any], module: str, key: str, path: str) -> None:
    newer = copy.deepcopy(seed_2026)
    old_value = _protocol(newer, module).pop(key)
    assert diff_studies(seed_2026, newer) == [(path, ChangeKind.REMOVED, old_value, None)]


def test_enrollment_count_is_its_own_path(seed_2026: dict[str, Any]) -> None:
    newer = copy.deepcopy(seed_2026)
    _protocol(newer, "designModule")["enrollmentInfo"] = {"count": 700, "type": "ACTUAL"}
    paths = {(p, k) for p, k, _, _ in diff_studies(seed_2026, newer)}
    assert paths == {
        ("design.enrollmentCount", ChangeKind.CHANGED),
        ("design.enrollmentType", ChangeKind.CHANGED),
    }


def _site(facility: str, status: str = "RECRUITING") -> dict[str, Any]:
    return {"facility": facility, "status": status, "city": "Shanghai", "country": "China"}


def test_locations_are_keyed_by_facility_not_index(seed_2026: dict[str, Any]) -> None:
    older = copy.deepcopy(seed_2026)
    _protocol(older, "contactsLocationsModule")["locations"] = [_site("A"), _site("B")]
    newer = copy.deepcopy(seed_2026)
    # A new site at the top shifts every index; only the new site may show up.
    _protocol(newer, "contactsLocationsModule")["locations"] = [
        _site("Z"),
        _site("A"),
        _site("B", "COMPLETED"),
    ]
    found = {(p, k) for p, k, _, _ in diff_studies(older, newer)}
    assert found == {
        ("locations.z|shanghai||china", ChangeKind.ADDED),
        ("locations.b|shanghai||china", ChangeKind.CHANGED),
    }


def test_reordered_arms_are_not_a_change(seed_2026: dict[str, Any]) -> None:
    newer = copy.deepcopy(seed_2026)
    arms = _protocol(newer, "armsInterventionsModule")["armGroups"]
    arms.reverse()
    assert diff_studies(seed_2026, newer) == []


def test_duplicate_keys_are_kept_apart() -> None:
    old = {"protocolSection": {"contactsLocationsModule": {"locations": [_site("A")]}}}
    new = {"protocolSection": {"contactsLocationsModule": {"locations": [_site("A"), _site("A")]}}}
    assert [(p, k) for p, k, _, _ in diff_studies(old, new)] == [
        ("locations.a|shanghai||china#2", ChangeKind.ADDED)
    ]


def test_first_sight_lists_watched_fields_in_seed_order(seed_2026: dict[str, Any]) -> None:
    paths = [path for path, kind, _, _ in first_sight(seed_2026) if kind is ChangeKind.ADDED]
    # Seed 000 shows exactly these for the same trial, in this order.
    assert paths == [
        "status.overallStatus",
        "status.primaryCompletionDate",
        "status.completionDate",
        "status.lastUpdatePostDate",
        "design.phases",
        "design.enrollmentCount",
        "eligibility.criteria",
        "eligibility.minAge",
        "eligibility.maxAge",
        "eligibility.sex",
        "outcomes.primary",
        "outcomes.secondary",
        "armsInterventions.arms",
        "armsInterventions.interventions",
        "sponsor.lead",
        "results.hasResults",
        "locations.fudan university shanghai cancer center|shanghai|shanghai municipality|china",
    ]
    assert set(WATCHED_ON_FIRST_SIGHT) >= {p.split(".fudan")[0] for p in paths}


_values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
_modules = st.dictionaries(
    st.sampled_from(["overallStatus", "whyStopped", "newField", "phases"]), _values, max_size=4
)
_studies = st.fixed_dictionaries(
    {"protocolSection": st.fixed_dictionaries({"statusModule": _modules, "designModule": _modules})}
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_studies, _studies)
def test_diff_is_empty_exactly_when_nothing_differs(a: dict[str, Any], b: dict[str, Any]) -> None:
    changes = diff_studies(a, b)
    assert diff_studies(a, a) == []
    # Every reported path is a real difference, and a difference is reported.
    empty = (None, "", [], {})

    def norm(study: dict[str, Any]) -> dict[str, Any]:
        # Runs of whitespace say the same as one space (see test_same_meaning_is_no_change).
        return {
            (m, k): " ".join(v.split()) if isinstance(v, str) else v
            for m, body in study["protocolSection"].items()
            for k, v in body.items()
            if v not in empty or v is False or v == 0
        }

    assert (changes == []) == (norm(a) == norm(b))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_studies, _studies)
def test_kinds_are_consistent(a: dict[str, Any], b: dict[str, Any]) -> None:
    for _path, kind, old, new in diff_studies(a, b):
        if kind is ChangeKind.ADDED:
            assert old is None and new is not None
        elif kind is ChangeKind.REMOVED:
            assert old is not None and new is None
        else:
            assert old != new


def test_mesh_terms_are_keyed_by_term_so_legacy_and_v2_agree() -> None:
    legacy = {
        "derivedSection": {"conditionBrowseModule": {"meshes": [{"term": "Colonic Neoplasms"}]}}
    }
    v2 = {
        "derivedSection": {
            "conditionBrowseModule": {"meshes": [{"id": "D003110", "term": "Colonic Neoplasms"}]}
        }
    }
    assert diff_studies(legacy, v2) == [
        (
            "derived.conditionMeshes.colonic neoplasms",
            ChangeKind.CHANGED,
            {"term": "Colonic Neoplasms"},
            {"id": "D003110", "term": "Colonic Neoplasms"},
        )
    ]


def _date(day: str, kind: str) -> dict[str, str]:
    return {"date": day, "type": kind}


@pytest.mark.parametrize(
    ("module", "key", "before", "after"),
    [
        # legacy XML calls a posting date ESTIMATED that v2 calls ACTUAL: the same day
        (
            "statusModule",
            "lastUpdatePostDateStruct",
            _date("2023-06-28", "ESTIMATED"),
            _date("2023-06-28", "ACTUAL"),
        ),
        (
            "statusModule",
            "completionDateStruct",
            _date("2025-12-31", "ESTIMATED"),
            {"date": "2025-12-31"},
        ),
        ("designModule", "phases", ["PHASE1", "PHASE2"], ["PHASE2", "PHASE1"]),
        ("eligibilityModule", "stdAges", ["ADULT", "OLDER_ADULT"], ["OLDER_ADULT", "ADULT"]),
        (
            "identificationModule",
            "briefTitle",
            "Liver  metastases\n trial",
            "Liver metastases trial",
        ),
    ],
)
def test_same_meaning_is_no_change(
    seed_2026: dict[str, Any], module: str, key: str, before: Any, after: Any
) -> None:
    older, newer = copy.deepcopy(seed_2026), copy.deepcopy(seed_2026)
    _protocol(older, module)[key] = before
    _protocol(newer, module)[key] = after
    assert diff_studies(older, newer) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (_date("2025-12-31", "ESTIMATED"), _date("2026-06-30", "ESTIMATED")),
        (_date("2025-12", "ESTIMATED"), _date("2025-12-15", "ACTUAL")),
    ],
)
def test_a_moved_date_is_a_change(seed_2026: dict[str, Any], before: Any, after: Any) -> None:
    older, newer = copy.deepcopy(seed_2026), copy.deepcopy(seed_2026)
    _protocol(older, "statusModule")["completionDateStruct"] = before
    _protocol(newer, "statusModule")["completionDateStruct"] = after
    assert diff_studies(older, newer) == [
        ("status.completionDate", ChangeKind.CHANGED, before, after)
    ]


def test_reordered_arm_labels_inside_an_intervention_are_no_change(
    seed_2026: dict[str, Any],
) -> None:
    older, newer = copy.deepcopy(seed_2026), copy.deepcopy(seed_2026)
    for study, labels in ((older, ["A", "B"]), (newer, ["B", "A"])):
        for item in _protocol(study, "armsInterventionsModule")["interventions"]:
            item["armGroupLabels"] = labels
    assert diff_studies(older, newer) == []
