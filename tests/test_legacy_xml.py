"""Legacy <clinical_study> XML -> v2 mapping, and the value normalisers it shares with classic."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialscope.errors import RecordError
from trialscope.formats import legacy_values as lv
from trialscope.formats.legacy_xml import clean_textblock, legacy_download_date, legacy_xml_to_v2

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ctgov"
SEED = DATA / "seeds" / "NCT04416854.legacy_ctgov.xml"
needs_data = pytest.mark.skipif(
    not (DATA / "legacy_xml").is_dir(), reason=f"shared CT.gov data not found at {DATA}"
)
# An AACT test fixture that is not well-formed (<last_known_status>...</overall_status>).
MALFORMED = {("ctti-clinicaltrials__aact.jsonl.gz", 215)}


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            yield number, json.loads(line)


def _legacy_files() -> list[Path]:
    return sorted((DATA / "legacy_xml").glob("*.jsonl*")) if DATA.is_dir() else []


# --- value normalisers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Active, not recruiting", "ACTIVE_NOT_RECRUITING"),
        ("Recruiting", "RECRUITING"),
        ("Unknown status", "UNKNOWN"),
        ("Available", "AVAILABLE"),
        ("No longer available", "NO_LONGER_AVAILABLE"),
        ("Temporarily not available", "TEMPORARILY_NOT_AVAILABLE"),
        ("Approved for marketing", "APPROVED_FOR_MARKETING"),
        ("Withheld", "WITHHELD"),
        ("Some New Status", "SOME_NEW_STATUS"),
        (None, None),
    ],
)
def test_status(raw: str | None, expected: str | None) -> None:
    assert lv.status(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Phase 1/Phase 2", ["PHASE1", "PHASE2"]),
        ("Phase 2/Phase 3", ["PHASE2", "PHASE3"]),
        ("Early Phase 1", ["EARLY_PHASE1"]),
        ("Phase 0", ["EARLY_PHASE1"]),
        ("N/A", ["NA"]),
        ("Not Applicable", ["NA"]),
        (["Phase 1", "Phase 2"], ["PHASE1", "PHASE2"]),
        ("Phase II", ["PHASE2"]),
        ("Phase 5", ["PHASE_5"]),  # unknown: kept as UPPER_SNAKE
        (None, []),
    ],
)
def test_phases(raw: Any, expected: list[str]) -> None:
    assert lv.phases(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("July 2001", "2001-07"),
        ("September 13, 2001", "2001-09-13"),
        ("August 08, 2017", "2017-08-08"),
        ("Sept 2001", "2001-09"),
        ("2001-07-13", "2001-07-13"),
        ("2001-07", "2001-07"),
        ("2001", "2001"),
        ("01/13/2021", "2021-01-13"),
        ("February 30, 2001", "February 30, 2001"),  # not a date: kept, not dropped
        ("soon", "soon"),
        ("  ", None),
        (None, None),
    ],
)
def test_partial_date(raw: str | None, expected: str | None) -> None:
    assert lv.partial_date(raw) == expected


@pytest.mark.parametrize(
    ("fn", "raw", "expected"),
    [
        (lv.sex, "All", "ALL"),
        (lv.sex, "Both", "ALL"),
        (lv.sex, "Female", "FEMALE"),
        (lv.date_type, "Anticipated", "ESTIMATED"),
        (lv.date_type, "Estimate", "ESTIMATED"),
        (lv.date_type, "Actual", "ACTUAL"),
        (lv.age, "18 Years", "18 Years"),
        (lv.age, "1 year", "1 Year"),
        (lv.age, "6 Months", "6 Months"),
        (lv.age, "N/A", None),
        (lv.agency_class, "U.S. Fed", "FED"),
        (lv.agency_class, "Industry", "INDUSTRY"),
        (lv.agency_class, "OTHER_GOV", "OTHER_GOV"),
        (lv.agency_class, "Ambiguous", "AMBIG"),
        (lv.allocation, "N/A", "NA"),
        (lv.allocation, "Non-Randomized", "NON_RANDOMIZED"),
        (lv.intervention_model, "Single Group Assignment", "SINGLE_GROUP"),
        (lv.primary_purpose, "Educational/Counseling/Training", "ECT"),
        (lv.primary_purpose, "Health Services Research", "HEALTH_SERVICES_RESEARCH"),
        (lv.observational_model, "Case Control", "CASE_CONTROL"),
        (lv.observational_model, "Defined Population, Natural History", "DEFINED_POPULATION"),
        (lv.time_perspective, "Longitudinal, Prospective", "PROSPECTIVE"),
        (lv.role, "Sub-Investigator", "SUB_INVESTIGATOR"),
        (lv.secondary_id_type, "U.S. NIH Grant/Contract", "NIH"),
        (lv.secondary_id_type, "Other Grant/Funding Number", "OTHER_GRANT"),
        (lv.ipd_info_type, "Statistical Analysis Plan (SAP)", "SAP"),
        (lv.bio_spec_retention, "Samples With DNA", "SAMPLES_WITH_DNA"),
        (lv.upper_snake, "Title Case words", "TITLE_CASE_WORDS"),
    ],
)
def test_enum_normalisers(fn: Any, raw: str, expected: str | None) -> None:
    assert fn(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Yes", True),
        ("No", False),
        ("true", True),
        ("false", False),
        ("Accepts Healthy Volunteers", True),
        ("maybe", None),
        (None, None),
    ],
)
def test_yes_no(raw: str | None, expected: bool | None) -> None:
    assert lv.yes_no(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("None (Open Label)", ("NONE", [])),
        ("Open Label", ("NONE", [])),
        ("Double", ("DOUBLE", [])),
        ("Double Blind (Subject, Caregiver)", ("DOUBLE", ["PARTICIPANT", "CARE_PROVIDER"])),
        (
            "Quadruple (Participant, Care Provider, Investigator, Outcomes Assessor)",
            ("QUADRUPLE", ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]),
        ),
        ("Participant, Outcomes Assessor", ("DOUBLE", ["PARTICIPANT", "OUTCOMES_ASSESSOR"])),
    ],
)
def test_masking(raw: str, expected: tuple[str, list[str]]) -> None:
    assert lv.masking(raw) == expected


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        ("18 Years", None, ["ADULT", "OLDER_ADULT"]),
        ("18 Years", "75 Years", ["ADULT", "OLDER_ADULT"]),
        (None, "17 Years", ["CHILD"]),
        ("6 Months", "18 Years", ["CHILD", "ADULT"]),
        ("65 Years", None, ["OLDER_ADULT"]),
        (None, None, ["CHILD", "ADULT", "OLDER_ADULT"]),
    ],
)
def test_std_ages(lo: str | None, hi: str | None, expected: list[str]) -> None:
    assert lv.std_ages(lo, hi) == expected


def test_study_type_patient_registry() -> None:
    assert lv.study_type("Observational [Patient Registry]") == ("OBSERVATIONAL", True)
    assert lv.study_type("Interventional") == ("INTERVENTIONAL", None)
    assert lv.study_type("N/A") == (None, None)


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@given(st.dates(min_value=date(1000, 1, 1)), st.booleans())
def test_partial_date_round_trip(day: date, with_day: bool) -> None:
    month = MONTHS[day.month - 1]
    text = f"{month} {day.day}, {day.year}" if with_day else f"{month} {day.year}"
    iso = lv.partial_date(text)
    assert iso == (day.isoformat() if with_day else day.isoformat()[:7])
    assert lv.partial_date(iso) == iso  # ISO passes through unchanged


@given(st.text(max_size=60))
def test_normalisers_never_raise(text: str) -> None:
    for fn in (lv.status, lv.sex, lv.agency_class, lv.date_type, lv.age, lv.primary_purpose):
        fn(text)
    lv.phases(text)
    lv.masking(text)
    lv.yes_no(text)
    lv.study_type(text)
    out = lv.partial_date(text)
    assert out is None or out == text.strip() or re.fullmatch(r"\d{4}(-\d\d){0,2}", out)


@given(st.text(alphabet=st.characters(categories=["L", "N", "Zs", "P"]), min_size=1, max_size=40))
def test_unknown_enum_values_are_kept(text: str) -> None:
    out = lv.enum(text)
    if any(c.isascii() and c.isalnum() for c in text):
        assert out and re.fullmatch(r"[A-Z0-9_]+", out)


@given(st.text(max_size=300))
def test_clean_textblock_never_raises(text: str) -> None:
    out = clean_textblock(text)
    assert out == out.strip("\n")


# --- text blocks ----------------------------------------------------------------------------


def test_clean_textblock_reflows_lists_like_v2() -> None:
    raw = (
        "\r\n        Inclusion Criteria:\r\n\r\n"
        "          -  Age 18 or\r\n             older\r\n\r\n"
        "               -  nested item\r\n\r\n          -  WBC 2,000/mm^3\r\n\r\n"
        "        Exclusion Criteria:\r\n\r\n          1. first\r\n\r\n         10. tenth\r\n      "
    )
    assert clean_textblock(raw) == (
        "Inclusion Criteria:\n\n* Age 18 or older\n\n  * nested item\n* WBC 2,000/mm\\^3\n\n"
        "Exclusion Criteria:\n\n1. first\n10. tenth"
    )
    assert clean_textblock(raw, markdown=False).count("\\") == 0


# --- error cases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"", "not XML"),
        ("just text", "not XML"),
        (b'{"nct_id": "NCT00000102"}', "not XML"),
        (b"<clinical_study><id_info>", "not well-formed"),
        (b"<study><id_info><nct_id>NCT00000102</nct_id></id_info></study>", "root element"),
        (b"<clinical_study><brief_title>x</brief_title></clinical_study>", "nct_id"),
        ("<clinical_study><id_info><nct_id> </nct_id></id_info></clinical_study>", "nct_id"),
    ],
)
def test_errors(xml: bytes | str, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        legacy_xml_to_v2(xml)


def test_entities_are_not_expanded() -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<clinical_study><id_info><nct_id>NCT00000102</nct_id></id_info>"
        "<brief_title>a&e;b</brief_title></clinical_study>"
    )
    study = legacy_xml_to_v2(xml)
    assert "root:" not in json.dumps(study)


def test_bom_and_declaration_are_accepted() -> None:
    body = "<clinical_study><id_info><nct_id>nct00000102</nct_id></id_info></clinical_study>"
    for xml in (
        b"\xef\xbb\xbf" + body.encode(),
        '\ufeff<?xml version="1.0" encoding="ISO-8859-1"?>\n' + body,
    ):
        ident = legacy_xml_to_v2(xml)["protocolSection"]["identificationModule"]
        assert ident == {"nctId": "NCT00000102"}


def test_old_vintage_fields() -> None:
    xml = """<clinical_study><id_info><nct_id>NCT00000001</nct_id></id_info>
    <study_type>Observational [Patient Registry]</study_type>
    <study_design>Observational Model: Case Control, Time Perspective: Prospective</study_design>
    <firstreceived_date>June 1, 2005</firstreceived_date>
    <lastchanged_date>July 8, 2011</lastchanged_date>
    <eligibility><gender>Both</gender><minimum_age>N/A</minimum_age></eligibility>
    <clinical_results><participant_flow/></clinical_results></clinical_study>"""
    study = legacy_xml_to_v2(xml)
    status = study["protocolSection"]["statusModule"]
    assert status["lastUpdatePostDateStruct"] == {"date": "2011-07-08", "type": "ESTIMATED"}
    assert status["lastUpdateSubmitDate"] == "2011-07-08"
    assert status["studyFirstSubmitDate"] == "2005-06-01"
    design = study["protocolSection"]["designModule"]
    assert design["studyType"] == "OBSERVATIONAL"
    assert design["patientRegistry"] is True
    assert design["designInfo"] == {
        "observationalModel": "CASE_CONTROL",
        "timePerspective": "PROSPECTIVE",
    }
    elig = study["protocolSection"]["eligibilityModule"]
    assert elig["sex"] == "ALL" and "minimumAge" not in elig
    assert study["hasResults"] is True


def test_download_date() -> None:
    head = "<clinical_study><required_header><download_date>{}</download_date>"
    text = "ClinicalTrials.gov processed this data on July 28, 2020"
    assert legacy_download_date(head.format(text)) == "2020-07-28"
    older = "Information obtained from ClinicalTrials.gov on January 05, 2013"
    assert legacy_download_date(head.format(older).encode()) == "2013-01-05"
    assert legacy_download_date("<clinical_study/>") is None


# --- real data ------------------------------------------------------------------------------


@needs_data
def test_seed_record() -> None:
    raw = SEED.read_bytes()
    study = legacy_xml_to_v2(raw)
    ps = study["protocolSection"]
    assert ps["identificationModule"]["nctId"] == "NCT04416854"
    assert ps["statusModule"]["overallStatus"] == "RECRUITING"
    assert ps["statusModule"]["startDateStruct"] == {"date": "2020-04-01", "type": "ACTUAL"}
    assert ps["statusModule"]["completionDateStruct"] == {"date": "2025-12-31", "type": "ESTIMATED"}
    assert ps["statusModule"]["lastUpdatePostDateStruct"]["date"] == "2020-06-04"
    assert ps["designModule"]["phases"] == ["PHASE3"]
    assert ps["designModule"]["enrollmentInfo"] == {"count": 627, "type": "ESTIMATED"}
    assert ps["designModule"]["designInfo"]["interventionModel"] == "PARALLEL"
    assert ps["sponsorCollaboratorsModule"]["leadSponsor"] == {
        "name": "Fudan University",
        "class": "OTHER",
    }
    elig = ps["eligibilityModule"]
    assert elig["minimumAge"] == "18 Years"
    assert elig["maximumAge"] == "75 Years"
    assert elig["sex"] == "ALL"
    assert elig["healthyVolunteers"] is False
    assert elig["eligibilityCriteria"].startswith("Inclusion Criteria:\n\n* 75 years old\n* ECOG")
    assert "\r" not in elig["eligibilityCriteria"] and "\n  " not in elig["eligibilityCriteria"]
    (site,) = ps["contactsLocationsModule"]["locations"]
    assert (site["facility"], site["city"], site["country"]) == (
        "Fudan University Shanghai Cancer Center",
        "Shanghai",
        "China",
    )
    assert site["status"] == "RECRUITING"
    assert {c["role"] for c in site["contacts"]} == {"CONTACT", "PRINCIPAL_INVESTIGATOR"}
    arms = ps["armsInterventionsModule"]["armGroups"]
    assert arms[1]["interventionNames"] == ["Drug: XELOX", "Drug: mFOLFOX6"]
    assert study["derivedSection"]["conditionBrowseModule"]["meshes"] == [
        {"term": "Colonic Neoplasms"}
    ]
    assert study["hasResults"] is False
    assert legacy_download_date(raw) == "2020-07-28"


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("path", _legacy_files(), ids=lambda p: p.name)
def test_every_legacy_record_maps(path: Path) -> None:
    """Every line maps (or is the one known-malformed fixture), with the wrapper's NCT id."""
    count = 0
    for number, wrapper in _lines(path):
        if (path.name, number) in MALFORMED:
            with pytest.raises(RecordError, match="not well-formed"):
                legacy_xml_to_v2(wrapper["xml"])
            continue
        study = legacy_xml_to_v2(wrapper["xml"])
        ps = study["protocolSection"]
        assert ps["identificationModule"]["nctId"] == wrapper["nct_id"]
        status = ps["statusModule"]
        if re.search(r"<(last_update_posted|lastchanged_date)\b", wrapper["xml"]):
            assert re.fullmatch(r"\d{4}-\d\d-\d\d", status["lastUpdatePostDateStruct"]["date"])
        assert study["hasResults"] is ("<clinical_results>" in wrapper["xml"])
        json.dumps(study)  # plain JSON types only
        count += 1
    assert count > 0


# Fields that agree between a legacy XML version and the v2 record of the same trial.
@needs_data
def test_legacy_xml_matches_v2_record() -> None:
    xml = _line(
        DATA / "legacy_xml" / "reesewang25__enrollment_and_studylength.jsonl.gz", "NCT00005825"
    )
    v2 = _line(
        DATA / "v2" / "vjudyani__clinical-trial-eligibility-classifier.jsonl.gz", "NCT00005825"
    )
    mapped = legacy_xml_to_v2(xml["xml"])["protocolSection"]
    want = v2["protocolSection"]
    for module in ("eligibilityModule", "descriptionModule", "conditionsModule", "outcomesModule"):
        for key, value in want.get(module, {}).items():
            assert mapped[module][key] == value, f"{module}.{key}"


def _line(path: Path, nct_id: str) -> dict[str, Any]:
    for _, obj in _lines(path):
        ps = obj.get("protocolSection")
        found = ps["identificationModule"]["nctId"] if ps else obj.get("nct_id")
        if found == nct_id:
            return obj
    raise AssertionError(f"{nct_id} not in {path}")
