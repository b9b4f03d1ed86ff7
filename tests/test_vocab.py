"""The CT.gov vocabularies: complete against the official spec, labelled, lenient."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest

from trialscope import vocab
from trialscope.vocab import (
    AgencyClass,
    DateType,
    DesignMasking,
    Phase,
    PrimaryPurpose,
    SecondaryIdType,
    Sex,
    StandardAge,
    Status,
    StudyType,
    Vocab,
    label_of,
    lenient,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SPEC = SHARED / "docs" / "ctg-oas-v2.yaml"
LEGACY_XML = SHARED / "data" / "ctgov" / "legacy_xml"

ALL_VOCABS = sorted(
    (
        c
        for c in vars(vocab).values()
        if isinstance(c, type) and issubclass(c, Vocab) and c is not Vocab
    ),
    key=lambda c: c.__name__,
)


def spec_enums() -> dict[str, list[str]]:
    """``components/schemas`` string enums of the OpenAPI spec (a YAML subset
    parser: the file is machine-written with fixed indentation)."""
    enums: dict[str, list[str]] = {}
    name = ""
    values: list[str] | None = None
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        if m := re.fullmatch(r"    ([A-Za-z]\w*):", line):
            name, values = m.group(1), None
        elif line == "      enum:" and name:
            values = enums[name] = []
        elif values is not None and (m := re.fullmatch(r'      - "(.*)"', line)):
            values.append(m.group(1))
        else:
            values = None
    return enums


needs_spec = pytest.mark.skipif(not SPEC.is_file(), reason=f"OpenAPI spec not found at {SPEC}")


@needs_spec
def test_every_spec_enum_is_in_vocab_with_the_same_values_in_order() -> None:
    enums = spec_enums()
    assert len(enums) >= 40  # the parser did find them
    for name, values in enums.items():
        cls = getattr(vocab, name, None)
        assert cls is not None, f"vocab lacks {name}"
        assert [m.value for m in cls] == values, name


@needs_spec
def test_vocab_has_nothing_the_spec_lacks() -> None:
    assert {c.__name__ for c in ALL_VOCABS} == set(spec_enums())


@pytest.mark.parametrize(
    ("member", "label"),
    [
        (Status.ACTIVE_NOT_RECRUITING, "Active, not recruiting"),
        (Status.NOT_YET_RECRUITING, "Not yet recruiting"),
        (Status.UNKNOWN, "Unknown status"),
        (Status.ENROLLING_BY_INVITATION, "Enrolling by invitation"),
        (Phase.PHASE2, "Phase 2"),
        (Phase.EARLY_PHASE1, "Early Phase 1"),
        (Phase.NA, "Not Applicable"),
        (StudyType.EXPANDED_ACCESS, "Expanded Access"),
        (Sex.ALL, "All"),
        (StandardAge.OLDER_ADULT, "Older Adult"),
        (PrimaryPurpose.ECT, "Educational/Counseling/Training"),
        (DesignMasking.NONE, "None (Open Label)"),
        (SecondaryIdType.CTIS, "EU Trial (CTIS) Number"),
        (DateType.ESTIMATED, "Estimated"),
        (AgencyClass.FED, "U.S. Fed"),
    ],
)
def test_labels_are_the_text_ctgov_shows(member: Vocab, label: str) -> None:
    assert member.label == label


@pytest.mark.parametrize("cls", ALL_VOCABS, ids=lambda c: c.__name__)
def test_every_member_has_a_human_label(cls: type[Vocab]) -> None:
    for member in cls:
        assert member.label.strip() == member.label != ""
        assert "_" not in member.label, member


@pytest.mark.parametrize("cls", ALL_VOCABS, ids=lambda c: c.__name__)
def test_members_behave_as_their_api_strings(cls: type[Vocab]) -> None:
    for member in cls:
        assert isinstance(member, str) and isinstance(member, StrEnum)
        assert str(member) == member.value == f"{member}"
        assert member == member.value and hash(member) == hash(member.value)
        assert cls(member.value) is member
        assert json.dumps(member) == json.dumps(member.value)


@pytest.mark.parametrize(
    ("cls", "value", "expected"),
    [
        (Status, "RECRUITING", Status.RECRUITING),
        (Phase, "NA", Phase.NA),
        (Phase, Phase.PHASE3, Phase.PHASE3),
        (Status, "RECRUITING_SOON", "RECRUITING_SOON"),
        (Phase, "PHASE5", "PHASE5"),
        (Phase, "phase2", "phase2"),  # values are case-sensitive, as in the API
        (Sex, "", ""),
    ],
)
def test_lenient(cls: type[Vocab], value: str, expected: object) -> None:
    got = lenient(cls, value)
    assert got == expected
    assert type(got) is type(expected)


def test_lenient_maps_a_member_of_another_enum_with_the_same_value() -> None:
    from trialscope.vocab import RecruitmentStatus

    assert lenient(Status, RecruitmentStatus.RECRUITING) is Status.RECRUITING


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Status.ACTIVE_NOT_RECRUITING, "Active, not recruiting"),
        ("SOMETHING_NEW", "SOMETHING_NEW"),
        (None, None),
    ],
)
def test_label_of(value: object, text: str | None) -> None:
    assert label_of(value) == text


# --- the labels against what CT.gov itself printed in the legacy XML --------

_LEGACY_TAGS: dict[str, type[Vocab]] = {
    "overall_status": Status,
    "study_type": StudyType,
    "intervention_type": vocab.InterventionType,
    "arm_group_type": vocab.ArmGroupType,
    "allocation": vocab.DesignAllocation,
    "intervention_model": vocab.InterventionalAssignment,
    "primary_purpose": PrimaryPurpose,
    "sampling_method": vocab.SamplingMethod,
    "biospec_retention": vocab.BioSpecRetention,
    "responsible_party_type": vocab.ResponsiblePartyType,
    "sharing_ipd": vocab.IpdSharing,
    "ipd_info_type": vocab.IpdSharingInfoType,
}


def _legacy_values() -> Iterator[tuple[str, str]]:
    pattern = re.compile(r"<({})>([^<]+)</\1>".format("|".join(_LEGACY_TAGS)))
    for name in ("xiaoliang8006__TREC_Project.jsonl.gz", "ctti-clinicaltrials__aact.jsonl.gz"):
        with gzip.open(LEGACY_XML / name, "rt", encoding="utf-8") as handle:
            for line in handle:
                for tag, value in pattern.findall(json.loads(line)["xml"]):
                    yield tag, value.strip()


@pytest.mark.skipif(not LEGACY_XML.is_dir(), reason=f"legacy XML corpus not found at {LEGACY_XML}")
def test_labels_match_the_values_legacy_xml_used() -> None:
    seen: dict[str, set[str]] = {}
    for tag, value in _legacy_values():
        seen.setdefault(tag, set()).add(value)
    assert seen, "no legacy values found"
    # values CT.gov retired before v2 (kept by the legacy importer's normaliser)
    retired = {"N/A", "Observational [Patient Registry]"}
    for tag, values in seen.items():
        labels = {m.label for m in _LEGACY_TAGS[tag]}
        unknown = values - labels - retired
        assert not unknown, f"{tag}: {sorted(unknown)}"
