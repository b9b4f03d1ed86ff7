"""Classic (pre-2024) CT.gov API Study -> v2 mapping."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trialscope.errors import RecordError
from trialscope.formats.classic import classic_to_v2

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ctgov"
CLASSIC = DATA / "classic_api" / "ctti-clinicaltrials__aact.jsonl.gz"
needs_data = pytest.mark.skipif(not CLASSIC.is_file(), reason=f"shared CT.gov data not at {DATA}")


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _flat(value: Any, path: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {} if out is None else out
    if isinstance(value, dict):
        for key, inner in value.items():
            _flat(inner, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _flat(inner, f"{path}[{index}]", out)
    else:
        out[path] = value
    return out


MINIMAL: dict[str, Any] = {
    "ProtocolSection": {
        "IdentificationModule": {
            "NCTId": "NCT00023673",
            "OrgStudyIdInfo": {"OrgStudyId": "RTOG L-0117"},
            "SecondaryIdInfoList": {
                "SecondaryIdInfo": [
                    {"SecondaryId": "CDR0000068850", "SecondaryIdType": "Other Identifier"}
                ]
            },
            "Organization": {
                "OrgFullName": "Radiation Therapy Oncology Group",
                "OrgClass": "NETWORK",
            },
        },
        "StatusModule": {
            "StatusVerifiedDate": "June 2014",
            "OverallStatus": "Active, not recruiting",
            "WhyStopped": "Funding withdrawn",
            "StartDateStruct": {"StartDate": "July 2001", "StartDateType": "Actual"},
            "CompletionDateStruct": {
                "CompletionDate": "June 30, 2016",
                "CompletionDateType": "Anticipated",
            },
            "StudyFirstSubmitDate": "September 13, 2001",
            "LastUpdatePostDateStruct": {
                "LastUpdatePostDate": "June 6, 2014",
                "LastUpdatePostDateType": "Estimate",
            },
        },
        "SponsorCollaboratorsModule": {
            "ResponsibleParty": {"ResponsiblePartyType": "Sponsor-Investigator"},
            "LeadSponsor": {"LeadSponsorName": "RTOG", "LeadSponsorClass": "NETWORK"},
            "CollaboratorList": {
                "Collaborator": [{"CollaboratorName": "NCI", "CollaboratorClass": "NIH"}]
            },
        },
        "OversightModule": {"OversightHasDMC": "Yes", "IsFDARegulatedDrug": "No"},
        "ConditionsModule": {"ConditionList": {"Condition": ["Lung Cancer"]}},
        "DesignModule": {
            "StudyType": "Interventional",
            "PhaseList": {"Phase": ["Phase 1", "Phase 2"]},
            "DesignInfo": {
                "DesignAllocation": "N/A",
                "DesignInterventionModel": "Single Group Assignment",
                "DesignPrimaryPurpose": "Treatment",
                "DesignMaskingInfo": {
                    "DesignMasking": "Double",
                    "DesignWhoMaskedList": {"DesignWhoMasked": ["Participant", "Investigator"]},
                },
            },
            "EnrollmentInfo": {"EnrollmentCount": "168", "EnrollmentType": "Actual"},
        },
        "ArmsInterventionsModule": {
            "InterventionList": {
                "Intervention": [
                    {
                        "InterventionType": "Drug",
                        "InterventionName": "paclitaxel",
                        "InterventionArmGroupLabelList": {"InterventionArmGroupLabel": ["Arm A"]},
                        "InterventionOtherNameList": {"InterventionOtherName": ["Taxol"]},
                    }
                ]
            }
        },
        "EligibilityModule": {
            "EligibilityCriteria": "Inclusion Criteria:\r\n\r\nAge >= 18",
            "HealthyVolunteers": "No",
            "Gender": "All",
            "MinimumAge": "18 Years",
            "StdAgeList": {"StdAge": ["Adult", "Older Adult"]},
        },
        "ContactsLocationsModule": {
            "LocationList": {
                "Location": [
                    {
                        "LocationFacility": "Mobile Infirmary",
                        "LocationStatus": "Recruiting",
                        "LocationCity": "Mobile",
                        "LocationCountry": "United States",
                        "LocationContactList": {
                            "LocationContact": [
                                {
                                    "LocationContactName": "A B",
                                    "LocationContactRole": "Sub-Investigator",
                                }
                            ]
                        },
                    }
                ]
            }
        },
        "ReferencesModule": {
            "ReferenceList": {
                "Reference": [
                    {
                        "ReferencePMID": "20368547",
                        "ReferenceType": "result",
                        "ReferenceCitation": "X",
                    }
                ]
            }
        },
    },
    "DerivedSection": {
        "ConditionBrowseModule": {
            "ConditionMeshList": {
                "ConditionMesh": [
                    {"ConditionMeshId": "D008175", "ConditionMeshTerm": "Lung Neoplasms"}
                ]
            }
        }
    },
}


def test_minimal_record() -> None:
    study = classic_to_v2(MINIMAL)
    ps = study["protocolSection"]
    assert ps["identificationModule"] == {
        "nctId": "NCT00023673",
        "orgStudyIdInfo": {"id": "RTOG L-0117"},
        "secondaryIdInfos": [{"id": "CDR0000068850", "type": "OTHER"}],
        "organization": {"fullName": "Radiation Therapy Oncology Group", "class": "NETWORK"},
    }
    status = ps["statusModule"]
    assert status["statusVerifiedDate"] == "2014-06"
    assert status["overallStatus"] == "ACTIVE_NOT_RECRUITING"
    assert status["whyStopped"] == "Funding withdrawn"
    assert status["startDateStruct"] == {"date": "2001-07", "type": "ACTUAL"}
    assert status["completionDateStruct"] == {"date": "2016-06-30", "type": "ESTIMATED"}
    assert status["studyFirstSubmitDate"] == "2001-09-13"
    assert status["lastUpdatePostDateStruct"] == {"date": "2014-06-06", "type": "ESTIMATED"}
    sponsors = ps["sponsorCollaboratorsModule"]
    assert sponsors["responsibleParty"] == {"type": "SPONSOR_INVESTIGATOR"}
    assert sponsors["collaborators"] == [{"name": "NCI", "class": "NIH"}]
    assert ps["oversightModule"] == {"oversightHasDmc": True, "isFdaRegulatedDrug": False}
    design = ps["designModule"]
    assert design["phases"] == ["PHASE1", "PHASE2"]
    assert design["designInfo"] == {
        "allocation": "NA",
        "interventionModel": "SINGLE_GROUP",
        "primaryPurpose": "TREATMENT",
        "maskingInfo": {"masking": "DOUBLE", "whoMasked": ["PARTICIPANT", "INVESTIGATOR"]},
    }
    assert design["enrollmentInfo"] == {"count": 168, "type": "ACTUAL"}
    (iv,) = ps["armsInterventionsModule"]["interventions"]
    assert iv == {
        "type": "DRUG",
        "name": "paclitaxel",
        "armGroupLabels": ["Arm A"],
        "otherNames": ["Taxol"],
    }
    elig = ps["eligibilityModule"]
    assert elig["eligibilityCriteria"] == "Inclusion Criteria:\n\nAge >= 18".replace(">", "\\>")
    assert elig["stdAges"] == ["ADULT", "OLDER_ADULT"]
    assert elig["healthyVolunteers"] is False
    (site,) = ps["contactsLocationsModule"]["locations"]
    assert site["status"] == "RECRUITING"
    assert site["contacts"] == [{"name": "A B", "role": "SUB_INVESTIGATOR"}]
    assert ps["referencesModule"]["references"] == [
        {"pmid": "20368547", "type": "RESULT", "citation": "X"}
    ]
    assert study["derivedSection"]["conditionBrowseModule"]["meshes"] == [
        {"id": "D008175", "term": "Lung Neoplasms"}
    ]
    assert study["hasResults"] is False
    assert classic_to_v2({"Study": MINIMAL}) == study  # the FullStudies wrapper is accepted


def test_results_section_sets_has_results() -> None:
    study = classic_to_v2({**MINIMAL, "ResultsSection": {"MoreInfoModule": {}}})
    assert study["hasResults"] is True
    assert "resultsSection" not in study


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({}, "no ProtocolSection"),
        ({"protocolSection": {}}, "no ProtocolSection"),
        ({"ProtocolSection": []}, "no ProtocolSection"),
        ({"ProtocolSection": {"IdentificationModule": {}}}, "NCTId"),
        ({"ProtocolSection": {"IdentificationModule": {"NCTId": "  "}}}, "NCTId"),
        (["not", "a", "study"], "not a classic"),
    ],
)
def test_errors(obj: Any, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        classic_to_v2(obj)


@needs_data
def test_every_classic_record_maps() -> None:
    count = 0
    for obj in _lines(CLASSIC):
        study = classic_to_v2(obj)
        ident = obj["ProtocolSection"]["IdentificationModule"]
        assert study["protocolSection"]["identificationModule"]["nctId"] == ident["NCTId"]
        last = study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", last)
        assert study["hasResults"] is ("ResultsSection" in obj)
        json.dumps(study)
        count += 1
    assert count == 206


def _v2_by_id() -> dict[str, dict[str, Any]]:
    """v2 records of trials that also have a classic record (from catalog.tsv)."""
    wanted: dict[str, tuple[str, int]] = {}
    classic_ids: set[str] = set()
    for line in (DATA / "catalog.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        nct_id, fmt, file, number = line.split("\t")
        if fmt == "ctgov_classic_api_json":
            classic_ids.add(nct_id)
        elif fmt == "ctgov_api_v2":
            wanted.setdefault(nct_id, (file, int(number)))
    out = {}
    for nct_id in classic_ids & set(wanted):
        path, line_no = wanted[nct_id]
        for index, obj in enumerate(_lines(DATA / path), 1):
            if index == line_no:
                out[nct_id] = obj
                break
    return out


@needs_data
def test_classic_agrees_with_v2_record_of_same_trial() -> None:
    """Field by field against the v2 record of the same trial where the shared data has both.

    The only full v2 overlap (NCT05594173, AACT fixtures of the same 2022 version) must agree on
    all but the fields that legitimately differ: classic text lost its list markers, MeSH browse
    leaf ids were renumbered, and versionHolder is the date of each snapshot.
    """
    v2 = _v2_by_id()
    assert v2, "no classic/v2 overlap in catalog.tsv"
    agreed = compared = 0
    mismatched: dict[str, list[str]] = {}
    for obj in _lines(CLASSIC):
        nct_id = obj["ProtocolSection"]["IdentificationModule"]["NCTId"]
        if nct_id not in v2:
            continue
        want = _flat({k: v2[nct_id].get(k) for k in ("protocolSection", "derivedSection")})
        got = _flat({k: classic_to_v2(obj).get(k) for k in ("protocolSection", "derivedSection")})
        common = [k for k in want if k in got and want[k] is not None]
        compared += len(common)
        agreed += sum(want[k] == got[k] for k in common)
        mismatched[nct_id] = [k for k in common if want[k] != got[k]]
    print(f"classic vs v2: {agreed}/{compared} common fields agree over {len(mismatched)} trials")
    assert compared > 100
    allowed = re.compile(
        r"eligibilityModule\.eligibilityCriteria|browseLeaves\[\d+\]\.id|miscInfoModule\.versionHolder"
    )
    assert [k for k in mismatched["NCT05594173"] if not allowed.search(k)] == []
    assert agreed / compared > 0.9
