"""The ``fields`` parameter of the CT.gov API v2: keep only the named pieces of a study.

A field is a section (``ProtocolSection``), a module (``StatusModule``), a piece name
as CT.gov spells it (``NCTId``, ``BriefTitle``, ``OverallStatus``, ``LocationCity``)
or a dotted path (``protocolSection.statusModule.overallStatus``). Inside lists
(locations, interventions, ...) a path picks the same key from every item. The kept
parts stay where they were in the record, as CT.gov returns them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trialscope.web.errors import BadParameter

Path = tuple[str, ...]

SECTIONS = (
    "protocolSection",
    "resultsSection",
    "annotationSection",
    "documentSection",
    "derivedSection",
    "hasResults",
)
MODULES = {
    "protocolSection": (
        "identificationModule",
        "statusModule",
        "sponsorCollaboratorsModule",
        "oversightModule",
        "descriptionModule",
        "conditionsModule",
        "designModule",
        "armsInterventionsModule",
        "outcomesModule",
        "eligibilityModule",
        "contactsLocationsModule",
        "referencesModule",
        "ipdSharingStatementModule",
    ),
    "resultsSection": (
        "participantFlowModule",
        "baselineCharacteristicsModule",
        "outcomeMeasuresModule",
        "adverseEventsModule",
        "moreInfoModule",
    ),
    "annotationSection": ("annotationModule",),
    "documentSection": ("largeDocumentModule",),
    "derivedSection": ("miscInfoModule", "conditionBrowseModule", "interventionBrowseModule"),
}

_P = "protocolSection."
_PIECES: dict[str, str] = {
    "NCTId": "identificationModule.nctId",
    "OrgStudyId": "identificationModule.orgStudyIdInfo.id",
    "SecondaryId": "identificationModule.secondaryIdInfos.id",
    "OrgFullName": "identificationModule.organization.fullName",
    "BriefTitle": "identificationModule.briefTitle",
    "OfficialTitle": "identificationModule.officialTitle",
    "Acronym": "identificationModule.acronym",
    "OverallStatus": "statusModule.overallStatus",
    "LastKnownStatus": "statusModule.lastKnownStatus",
    "WhyStopped": "statusModule.whyStopped",
    "StatusVerifiedDate": "statusModule.statusVerifiedDate",
    "StartDate": "statusModule.startDateStruct",
    "PrimaryCompletionDate": "statusModule.primaryCompletionDateStruct",
    "CompletionDate": "statusModule.completionDateStruct",
    "StudyFirstSubmitDate": "statusModule.studyFirstSubmitDate",
    "StudyFirstPostDate": "statusModule.studyFirstPostDateStruct",
    "ResultsFirstPostDate": "statusModule.resultsFirstPostDateStruct",
    "LastUpdateSubmitDate": "statusModule.lastUpdateSubmitDate",
    "LastUpdatePostDate": "statusModule.lastUpdatePostDateStruct",
    "LeadSponsor": "sponsorCollaboratorsModule.leadSponsor",
    "LeadSponsorName": "sponsorCollaboratorsModule.leadSponsor.name",
    "LeadSponsorClass": "sponsorCollaboratorsModule.leadSponsor.class",
    "Collaborator": "sponsorCollaboratorsModule.collaborators",
    "CollaboratorName": "sponsorCollaboratorsModule.collaborators.name",
    "ResponsibleParty": "sponsorCollaboratorsModule.responsibleParty",
    "BriefSummary": "descriptionModule.briefSummary",
    "DetailedDescription": "descriptionModule.detailedDescription",
    "Condition": "conditionsModule.conditions",
    "Keyword": "conditionsModule.keywords",
    "StudyType": "designModule.studyType",
    "Phase": "designModule.phases",
    "DesignInfo": "designModule.designInfo",
    "DesignAllocation": "designModule.designInfo.allocation",
    "DesignInterventionModel": "designModule.designInfo.interventionModel",
    "DesignPrimaryPurpose": "designModule.designInfo.primaryPurpose",
    "DesignMasking": "designModule.designInfo.maskingInfo.masking",
    "EnrollmentInfo": "designModule.enrollmentInfo",
    "EnrollmentCount": "designModule.enrollmentInfo.count",
    "EnrollmentType": "designModule.enrollmentInfo.type",
    "ArmGroup": "armsInterventionsModule.armGroups",
    "ArmGroupLabel": "armsInterventionsModule.armGroups.label",
    "ArmGroupType": "armsInterventionsModule.armGroups.type",
    "Intervention": "armsInterventionsModule.interventions",
    "InterventionName": "armsInterventionsModule.interventions.name",
    "InterventionType": "armsInterventionsModule.interventions.type",
    "InterventionOtherName": "armsInterventionsModule.interventions.otherNames",
    "PrimaryOutcome": "outcomesModule.primaryOutcomes",
    "PrimaryOutcomeMeasure": "outcomesModule.primaryOutcomes.measure",
    "SecondaryOutcome": "outcomesModule.secondaryOutcomes",
    "SecondaryOutcomeMeasure": "outcomesModule.secondaryOutcomes.measure",
    "OtherOutcome": "outcomesModule.otherOutcomes",
    "EligibilityCriteria": "eligibilityModule.eligibilityCriteria",
    "HealthyVolunteers": "eligibilityModule.healthyVolunteers",
    "Sex": "eligibilityModule.sex",
    "GenderBased": "eligibilityModule.genderBased",
    "MinimumAge": "eligibilityModule.minimumAge",
    "MaximumAge": "eligibilityModule.maximumAge",
    "StdAge": "eligibilityModule.stdAges",
    "StudyPopulation": "eligibilityModule.studyPopulation",
    "CentralContact": "contactsLocationsModule.centralContacts",
    "CentralContactName": "contactsLocationsModule.centralContacts.name",
    "OverallOfficial": "contactsLocationsModule.overallOfficials",
    "OverallOfficialName": "contactsLocationsModule.overallOfficials.name",
    "Location": "contactsLocationsModule.locations",
    "LocationFacility": "contactsLocationsModule.locations.facility",
    "LocationStatus": "contactsLocationsModule.locations.status",
    "LocationCity": "contactsLocationsModule.locations.city",
    "LocationState": "contactsLocationsModule.locations.state",
    "LocationZip": "contactsLocationsModule.locations.zip",
    "LocationCountry": "contactsLocationsModule.locations.country",
    "LocationGeoPoint": "contactsLocationsModule.locations.geoPoint",
    "Reference": "referencesModule.references",
    "IPDSharing": "ipdSharingStatementModule.ipdSharing",
}
_DERIVED: dict[str, str] = {
    "ConditionMeshTerm": "conditionBrowseModule.meshes.term",
    "ConditionMeshId": "conditionBrowseModule.meshes.id",
    "InterventionMeshTerm": "interventionBrowseModule.meshes.term",
    "InterventionMeshId": "interventionBrowseModule.meshes.id",
    "VersionHolder": "miscInfoModule.versionHolder",
}


def _table() -> dict[str, Path]:
    table: dict[str, Path] = {}
    for section in SECTIONS:
        table[section.lower()] = (section,)
        for module in MODULES.get(section, ()):
            table[module.lower()] = (section, module)
    for name, path in _PIECES.items():
        table[name.lower()] = tuple((_P + path).split("."))
    for name, path in _DERIVED.items():
        table[name.lower()] = ("derivedSection", *path.split("."))
    return table


_BY_NAME = _table()


def parse_fields(values: Iterable[str]) -> list[Path]:
    """Field names (repeated or separated by ``,`` or ``|``) as paths into a study."""
    paths: list[Path] = []
    for value in values:
        for name in value.replace("|", ",").split(","):
            name = name.strip()
            if not name:
                continue
            found = _BY_NAME.get(name.lower())
            if found is None and "." in name and name.split(".", 1)[0] in SECTIONS:
                found = tuple(part for part in name.split(".") if part)
            if found is None:
                raise BadParameter(
                    f"Unknown field {name!r} in fields.",
                    hint="Use a piece name (NCTId, BriefTitle, OverallStatus, LocationCity),"
                    " a module (StatusModule), a section (ProtocolSection) or a dotted path"
                    " (protocolSection.statusModule.overallStatus).",
                )
            paths.append(found)
    return paths


_MISSING = object()


def _pick(node: Any, path: Path) -> Any:
    if not path:
        return node
    if isinstance(node, dict):
        if path[0] not in node:
            return _MISSING
        inner = _pick(node[path[0]], path[1:])
        return _MISSING if inner is _MISSING else {path[0]: inner}
    if isinstance(node, list):
        items = [_pick(item, path) for item in node]
        if all(item is _MISSING for item in items):
            return _MISSING
        return [{} if item is _MISSING else item for item in items]
    return _MISSING


def _merge(into: Any, extra: Any) -> Any:
    if isinstance(into, dict) and isinstance(extra, dict):
        for key, value in extra.items():
            into[key] = _merge(into[key], value) if key in into else value
        return into
    if isinstance(into, list) and isinstance(extra, list) and len(into) == len(extra):
        return [_merge(a, b) for a, b in zip(into, extra, strict=True)]
    return extra


def project(study: dict[str, Any], paths: list[Path]) -> dict[str, Any]:
    """Only the parts of ``study`` the paths name (all of it when there are none)."""
    if not paths:
        return study
    out: dict[str, Any] = {}
    for path in paths:
        picked = _pick(study, path)
        if picked is not _MISSING:
            _merge(out, picked)
    return out
