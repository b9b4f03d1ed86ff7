"""Map one classic (pre-2024) CT.gov API ``Study`` object onto the API v2 study structure.

The classic API (``/api/query/full_studies``, retired 2024) used the same modules as v2 with
PascalCase, module-prefixed field names (``StatusModule.StartDateStruct.StartDate``), list
wrappers (``ConditionList.Condition[]``), display-text enums and "Month Day, Year" dates; field
names are those of its ``study_fields_list`` (API version 1.01.05). Results content is not mapped
(only ``hasResults``); the store keeps the original object verbatim. Mapping table:
docs/legacy-xml-mapping.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trialscope.errors import RecordError
from trialscope.formats import legacy_values as lv
from trialscope.formats.classic_support import (
    _annotations,
    _bool,
    _compact,
    _date,
    _derived,
    _documents,
    _int,
    _m,
    _maps,
    _md,
    _mdv,
    _Obj,
    _records,
    _s,
    _same,
    _strings,
    _struct,
)

__all__ = ["classic_to_v2"]

# --- modules --------------------------------------------------------------------------------


def _identification(p: _Obj, nct_id: str) -> dict[str, Any]:
    ident = _m(p, "IdentificationModule")
    org_id = _m(ident, "OrgStudyIdInfo")
    org = _m(ident, "Organization")
    secondary = []
    for entry in _maps(ident, "SecondaryIdInfoList", "SecondaryIdInfo"):
        secondary.append(
            _compact(
                {
                    "id": _s(entry, "SecondaryId"),
                    "type": lv.secondary_id_type(_s(entry, "SecondaryIdType")),
                    "domain": _s(entry, "SecondaryIdDomain"),
                    "link": _s(entry, "SecondaryIdLink"),
                }
            )
        )
    return _compact(
        {
            "nctId": nct_id,
            "nctIdAliases": _strings(ident, "NCTIdAliasList", "NCTIdAlias"),
            "orgStudyIdInfo": _compact(
                {
                    "id": _s(org_id, "OrgStudyId"),
                    "type": lv.secondary_id_type(_s(org_id, "OrgStudyIdType")),
                    "link": _s(org_id, "OrgStudyIdLink"),
                }
            ),
            "secondaryIdInfos": [s for s in secondary if s],
            "briefTitle": _s(ident, "BriefTitle"),
            "officialTitle": _s(ident, "OfficialTitle"),
            "acronym": _s(ident, "Acronym"),
            "organization": _compact(
                {"fullName": _s(org, "OrgFullName"), "class": lv.agency_class(_s(org, "OrgClass"))}
            ),
        }
    )


def _status(p: _Obj) -> dict[str, Any]:
    st = _m(p, "StatusModule")
    ea = _m(st, "ExpandedAccessInfo")
    return _compact(
        {
            "statusVerifiedDate": _date(st, "StatusVerifiedDate"),
            "overallStatus": lv.status(_s(st, "OverallStatus")),
            "lastKnownStatus": lv.status(_s(st, "LastKnownStatus")),
            "delayedPosting": _bool(st, "DelayedPosting"),
            "whyStopped": _s(st, "WhyStopped"),
            "expandedAccessInfo": _compact(
                {
                    "hasExpandedAccess": _bool(ea, "HasExpandedAccess"),
                    "nctId": _s(ea, "ExpandedAccessNCTId"),
                    "statusForNctId": lv.status(_s(ea, "ExpandedAccessStatusForNCTId")),
                }
            ),
            "startDateStruct": _struct(st, "StartDate"),
            "primaryCompletionDateStruct": _struct(st, "PrimaryCompletionDate"),
            "completionDateStruct": _struct(st, "CompletionDate"),
            "studyFirstSubmitDate": _date(st, "StudyFirstSubmitDate"),
            "studyFirstSubmitQcDate": _date(st, "StudyFirstSubmitQCDate"),
            "studyFirstPostDateStruct": _struct(st, "StudyFirstPostDate"),
            "resultsFirstSubmitDate": _date(st, "ResultsFirstSubmitDate"),
            "resultsFirstSubmitQcDate": _date(st, "ResultsFirstSubmitQCDate"),
            "resultsFirstPostDateStruct": _struct(st, "ResultsFirstPostDate"),
            "dispFirstSubmitDate": _date(st, "DispFirstSubmitDate"),
            "dispFirstSubmitQcDate": _date(st, "DispFirstSubmitQCDate"),
            "dispFirstPostDateStruct": _struct(st, "DispFirstPostDate"),
            "lastUpdateSubmitDate": _date(st, "LastUpdateSubmitDate"),
            "lastUpdatePostDateStruct": _struct(st, "LastUpdatePostDate"),
        }
    )


def _sponsors(p: _Obj) -> dict[str, Any]:
    sc = _m(p, "SponsorCollaboratorsModule")
    rp = _m(sc, "ResponsibleParty")
    lead = _m(sc, "LeadSponsor")
    return _compact(
        {
            "responsibleParty": _compact(
                {
                    "type": lv.responsible_party_type(_s(rp, "ResponsiblePartyType")),
                    "investigatorFullName": _s(rp, "ResponsiblePartyInvestigatorFullName"),
                    "investigatorTitle": _s(rp, "ResponsiblePartyInvestigatorTitle"),
                    "investigatorAffiliation": _s(rp, "ResponsiblePartyInvestigatorAffiliation"),
                    "oldNameTitle": _s(rp, "ResponsiblePartyOldNameTitle"),
                    "oldOrganization": _s(rp, "ResponsiblePartyOldOrganization"),
                }
            ),
            "leadSponsor": _compact(
                {
                    "name": _s(lead, "LeadSponsorName"),
                    "class": lv.agency_class(_s(lead, "LeadSponsorClass")),
                }
            ),
            "collaborators": _records(
                sc,
                "CollaboratorList",
                "Collaborator",
                {
                    "name": ("CollaboratorName", _same),
                    "class": ("CollaboratorClass", lv.agency_class),
                },
            ),
        }
    )


_OVERSIGHT = {
    "oversightHasDmc": "OversightHasDMC",
    "isFdaRegulatedDrug": "IsFDARegulatedDrug",
    "isFdaRegulatedDevice": "IsFDARegulatedDevice",
    "isUnapprovedDevice": "IsUnapprovedDevice",
    "isPpsd": "IsPPSD",
    "isUsExport": "IsUSExport",
    "fdaaa801Violation": "FDAAA801Violation",
}


def _design(p: _Obj) -> dict[str, Any]:
    d = _m(p, "DesignModule")
    info = _m(d, "DesignInfo")
    mask = _m(info, "DesignMaskingInfo")
    masking, _ = lv.masking(_s(mask, "DesignMasking"))
    observational = _strings(info, "DesignObservationalModelList", "DesignObservationalModel")
    perspective = _strings(info, "DesignTimePerspectiveList", "DesignTimePerspective")
    ea = _m(d, "ExpandedAccessTypes")
    bio = _m(d, "BioSpec")
    enrollment = _m(d, "EnrollmentInfo")
    stype, registry = lv.study_type(_s(d, "StudyType"))
    phases = lv.phases(_strings(d, "PhaseList", "Phase"))
    if phases == ["NA"] and stype not in (None, "INTERVENTIONAL"):
        phases = []  # v2 shows no phase at all for observational / expanded-access studies
    return _compact(
        {
            "studyType": stype,
            "nPtrsToThisExpAccNctId": _int(d, "NPtrsToThisExpAccNCTId"),
            "expandedAccessTypes": _compact(
                {
                    "individual": _bool(ea, "ExpAccTypeIndividual"),
                    "intermediate": _bool(ea, "ExpAccTypeIntermediate"),
                    "treatment": _bool(ea, "ExpAccTypeTreatment"),
                }
            ),
            "patientRegistry": _bool(d, "PatientRegistry") if registry is None else registry,
            "targetDuration": lv.age(_s(d, "TargetDuration")),
            "phases": phases,
            "designInfo": _compact(
                {
                    "allocation": lv.allocation(_s(info, "DesignAllocation")),
                    "interventionModel": lv.intervention_model(_s(info, "DesignInterventionModel")),
                    "interventionModelDescription": _md(info, "DesignInterventionModelDescription"),
                    "primaryPurpose": lv.primary_purpose(_s(info, "DesignPrimaryPurpose")),
                    # v2 holds one model / perspective; the classic lists hold one in practice
                    "observationalModel": lv.observational_model(", ".join(observational) or None),
                    "timePerspective": lv.time_perspective(", ".join(perspective) or None),
                    "maskingInfo": _compact(
                        {
                            "masking": masking,
                            "maskingDescription": _md(mask, "DesignMaskingDescription"),
                            "whoMasked": lv.who_masked(
                                _strings(mask, "DesignWhoMaskedList", "DesignWhoMasked")
                            ),
                        }
                    ),
                }
            ),
            "bioSpec": _compact(
                {
                    "retention": lv.bio_spec_retention(_s(bio, "BioSpecRetention")),
                    "description": _md(bio, "BioSpecDescription"),
                }
            ),
            "enrollmentInfo": _compact(
                {
                    "count": _int(enrollment, "EnrollmentCount"),
                    "type": lv.date_type(_s(enrollment, "EnrollmentType")),
                }
            ),
        }
    )


def _arms(p: _Obj) -> dict[str, Any]:
    ai = _m(p, "ArmsInterventionsModule")
    arms = []
    for arm in _maps(ai, "ArmGroupList", "ArmGroup"):
        arms.append(
            _compact(
                {
                    "label": _s(arm, "ArmGroupLabel"),
                    "type": lv.arm_group_type(_s(arm, "ArmGroupType")),
                    "description": _md(arm, "ArmGroupDescription"),
                    "interventionNames": _strings(
                        arm, "ArmGroupInterventionList", "ArmGroupInterventionName"
                    ),
                }
            )
        )
    interventions = []
    for iv in _maps(ai, "InterventionList", "Intervention"):
        interventions.append(
            _compact(
                {
                    "type": lv.intervention_type(_s(iv, "InterventionType")),
                    "name": _s(iv, "InterventionName"),
                    "description": _md(iv, "InterventionDescription"),
                    "armGroupLabels": _strings(
                        iv, "InterventionArmGroupLabelList", "InterventionArmGroupLabel"
                    ),
                    "otherNames": _strings(
                        iv, "InterventionOtherNameList", "InterventionOtherName"
                    ),
                }
            )
        )
    return _compact({"armGroups": arms, "interventions": interventions})


def _outcomes(p: _Obj) -> dict[str, Any]:
    om = _m(p, "OutcomesModule")
    out = {}
    for kind in ("Primary", "Secondary", "Other"):
        out[f"{kind.lower()}Outcomes"] = _records(
            om,
            f"{kind}OutcomeList",
            f"{kind}Outcome",
            {
                "measure": (f"{kind}OutcomeMeasure", _same),
                "description": (f"{kind}OutcomeDescription", _mdv),
                "timeFrame": (f"{kind}OutcomeTimeFrame", _same),
            },
        )
    return _compact(out)


def _eligibility(p: _Obj) -> dict[str, Any]:
    el = _m(p, "EligibilityModule")
    min_age = lv.age(_s(el, "MinimumAge"))
    max_age = lv.age(_s(el, "MaximumAge"))
    std = [a for a in (lv.enum(x) for x in _strings(el, "StdAgeList", "StdAge")) if a]
    return _compact(
        {
            "eligibilityCriteria": _md(el, "EligibilityCriteria"),
            "healthyVolunteers": _bool(el, "HealthyVolunteers"),
            "sex": lv.sex(_s(el, "Gender")),
            "genderBased": _bool(el, "GenderBased"),
            "genderDescription": _s(el, "GenderDescription"),
            "minimumAge": min_age,
            "maximumAge": max_age,
            "stdAges": std or lv.std_ages(min_age, max_age),
            "studyPopulation": _md(el, "StudyPopulation"),
            "samplingMethod": lv.enum(_s(el, "SamplingMethod")),
        }
    )


def _contact_fields(prefix: str) -> dict[str, tuple[str, Callable[..., Any]]]:
    return {
        "name": (f"{prefix}Name", _same),
        "role": (f"{prefix}Role", lv.role),
        "phone": (f"{prefix}Phone", _same),
        "phoneExt": (f"{prefix}PhoneExt", _same),
        "email": (f"{prefix}EMail", _same),
    }


_LOCATION_CONTACT = _contact_fields("LocationContact")


def _geo_point(loc: _Obj) -> dict[str, float] | None:
    # not in the classic field list, but cheap to honour if an export carries it
    geo = _m(loc, "LocationGeoPoint")
    try:
        lat, lon = float(geo["lat"]), float(geo["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    return {"lat": lat, "lon": lon}


def _contacts_locations(p: _Obj) -> dict[str, Any]:
    cl = _m(p, "ContactsLocationsModule")
    locations = []
    for loc in _maps(cl, "LocationList", "Location"):
        locations.append(
            _compact(
                {
                    "facility": _s(loc, "LocationFacility"),
                    "status": lv.status(_s(loc, "LocationStatus")),
                    "city": _s(loc, "LocationCity"),
                    "state": _s(loc, "LocationState"),
                    "zip": _s(loc, "LocationZip"),
                    "country": _s(loc, "LocationCountry"),
                    "contacts": _records(
                        loc, "LocationContactList", "LocationContact", _LOCATION_CONTACT
                    ),
                    "geoPoint": _geo_point(loc),
                }
            )
        )
    officials = _records(
        cl,
        "OverallOfficialList",
        "OverallOfficial",
        {
            "name": ("OverallOfficialName", _same),
            "affiliation": ("OverallOfficialAffiliation", _same),
            "role": ("OverallOfficialRole", lv.role),
        },
    )
    central = _records(
        cl, "CentralContactList", "CentralContact", _contact_fields("CentralContact")
    )
    return _compact(
        {"centralContacts": central, "overallOfficials": officials, "locations": locations}
    )


def _references(p: _Obj) -> dict[str, Any]:
    rm = _m(p, "ReferencesModule")
    refs = []
    for ref in _maps(rm, "ReferenceList", "Reference"):
        retractions = _records(
            ref,
            "RetractionList",
            "Retraction",
            {"pmid": ("RetractionPMID", _same), "source": ("RetractionSource", _same)},
        )
        refs.append(
            _compact(
                {
                    "pmid": _s(ref, "ReferencePMID"),
                    "type": lv.reference_type(_s(ref, "ReferenceType")),
                    "citation": _s(ref, "ReferenceCitation"),
                    "retractions": retractions,
                }
            )
        )
    return _compact(
        {
            "references": refs,
            "seeAlsoLinks": _records(
                rm,
                "SeeAlsoLinkList",
                "SeeAlsoLink",
                {"label": ("SeeAlsoLinkLabel", _same), "url": ("SeeAlsoLinkURL", _same)},
            ),
            "availIpds": _records(
                rm,
                "AvailIPDList",
                "AvailIPD",
                {
                    "id": ("AvailIPDId", _same),
                    "type": ("AvailIPDType", _same),
                    "url": ("AvailIPDURL", _same),
                    "comment": ("AvailIPDComment", _same),
                },
            ),
        }
    )


def _ipd(p: _Obj) -> dict[str, Any]:
    ipd = _m(p, "IPDSharingStatementModule")
    info = [
        t
        for t in (
            lv.ipd_info_type(x)
            for x in _strings(ipd, "IPDSharingInfoTypeList", "IPDSharingInfoType")
        )
        if t
    ]
    return _compact(
        {
            "ipdSharing": lv.enum(_s(ipd, "IPDSharing")),
            "description": _md(ipd, "IPDSharingDescription"),
            "infoTypes": info,
            "timeFrame": _s(ipd, "IPDSharingTimeFrame"),
            "accessCriteria": _md(ipd, "IPDSharingAccessCriteria"),
            "url": _s(ipd, "IPDSharingURL"),
        }
    )


# --- entry point ----------------------------------------------------------------------------


def classic_to_v2(study: Mapping[str, Any]) -> dict[str, Any]:
    """One classic ``Study`` object (``{"ProtocolSection": ...}``, or wrapped as
    ``{"Study": {...}}``) as a v2 study dict.

    Raises RecordError when the object is not a classic study or has no NCT id.
    """
    if not isinstance(study, Mapping):
        raise RecordError(f"not a classic CT.gov study: a {type(study).__name__}")
    if "ProtocolSection" not in study and isinstance(study.get("Study"), Mapping):
        study = study["Study"]
    protocol = study.get("ProtocolSection")
    if not isinstance(protocol, Mapping):
        keys = ", ".join(list(study)[:6]) or "none"
        raise RecordError(f"not a classic CT.gov study: no ProtocolSection (keys: {keys})")
    nct_id = _s(_m(protocol, "IdentificationModule"), "NCTId")
    if not nct_id:
        raise RecordError("classic study without ProtocolSection.IdentificationModule.NCTId")
    desc = _m(protocol, "DescriptionModule")
    cond = _m(protocol, "ConditionsModule")
    oversight = _m(protocol, "OversightModule")
    section = _compact(
        {
            "identificationModule": _identification(protocol, nct_id.upper()),
            "statusModule": _status(protocol),
            "sponsorCollaboratorsModule": _sponsors(protocol),
            "oversightModule": _compact({k: _bool(oversight, v) for k, v in _OVERSIGHT.items()}),
            "descriptionModule": _compact(
                {
                    "briefSummary": _md(desc, "BriefSummary"),
                    "detailedDescription": _md(desc, "DetailedDescription"),
                }
            ),
            "conditionsModule": _compact(
                {
                    "conditions": _strings(cond, "ConditionList", "Condition"),
                    "keywords": _strings(cond, "KeywordList", "Keyword"),
                }
            ),
            "designModule": _design(protocol),
            "armsInterventionsModule": _arms(protocol),
            "outcomesModule": _outcomes(protocol),
            "eligibilityModule": _eligibility(protocol),
            "contactsLocationsModule": _contacts_locations(protocol),
            "referencesModule": _references(protocol),
            "ipdSharingStatementModule": _ipd(protocol),
        }
    )
    out: dict[str, Any] = {"protocolSection": section}
    documents = _documents(study)
    if documents:
        out["documentSection"] = documents
    annotations = _annotations(study)
    if annotations:
        out["annotationSection"] = annotations
    out["derivedSection"] = _derived(study)
    out["hasResults"] = isinstance(study.get("ResultsSection"), Mapping) and bool(
        study["ResultsSection"]
    )
    return out
