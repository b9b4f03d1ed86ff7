"""Pydantic models of the v2 study modules (``protocolSection`` and ``derivedSection``).

Shape and names follow ``components/schemas`` of the CT.gov OpenAPI spec.  Every
field is optional because field-restricted API responses (``fields=...``) and
third-party dumps carry only part of a record.  Unknown keys are kept
(``extra="allow"``) so that a record always serialises back to what came in.

Enum-typed fields accept an unknown value as its plain string: the union is
tried left to right inside pydantic-core, so known values become members and
new CT.gov values survive, with no Python-level validator on the hot path.
Dates stay strings: CT.gov partial dates ("2020-04") are not ISO dates; see
:mod:`trialscope.record.dates` to parse them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from trialscope.vocab import (
    AgencyClass,
    ArmGroupType,
    BioSpecRetention,
    BrowseLeafRelevance,
    ContactRole,
    DateType,
    DesignAllocation,
    DesignMasking,
    DesignTimePerspective,
    EnrollmentType,
    ExpandedAccessStatus,
    InterventionalAssignment,
    InterventionType,
    IpdSharing,
    IpdSharingInfoType,
    ObservationalModel,
    OfficialRole,
    OrgStudyIdType,
    Phase,
    PrimaryPurpose,
    RecruitmentStatus,
    ReferenceType,
    ResponsiblePartyType,
    SamplingMethod,
    SecondaryIdType,
    Sex,
    StandardAge,
    Status,
    StudyType,
    WhoMasked,
)


class CtgModel(BaseModel):
    """Base of every record model: camelCase aliases, snake_case attributes,
    unknown keys kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
    )


# Lenient enum types: the member when the value is known, else the original
# string.  Spelled out one by one so that mypy sees real types.
AgencyClassValue = Annotated[AgencyClass | str, Field(union_mode="left_to_right")]
ArmGroupTypeValue = Annotated[ArmGroupType | str, Field(union_mode="left_to_right")]
BioSpecRetentionValue = Annotated[BioSpecRetention | str, Field(union_mode="left_to_right")]
BrowseLeafRelevanceValue = Annotated[BrowseLeafRelevance | str, Field(union_mode="left_to_right")]
ContactRoleValue = Annotated[ContactRole | str, Field(union_mode="left_to_right")]
DateTypeValue = Annotated[DateType | str, Field(union_mode="left_to_right")]
DesignAllocationValue = Annotated[DesignAllocation | str, Field(union_mode="left_to_right")]
DesignMaskingValue = Annotated[DesignMasking | str, Field(union_mode="left_to_right")]
DesignTimePerspectiveValue = Annotated[
    DesignTimePerspective | str, Field(union_mode="left_to_right")
]
EnrollmentTypeValue = Annotated[EnrollmentType | str, Field(union_mode="left_to_right")]
ExpandedAccessStatusValue = Annotated[ExpandedAccessStatus | str, Field(union_mode="left_to_right")]
InterventionalAssignmentValue = Annotated[
    InterventionalAssignment | str, Field(union_mode="left_to_right")
]
InterventionTypeValue = Annotated[InterventionType | str, Field(union_mode="left_to_right")]
IpdSharingValue = Annotated[IpdSharing | str, Field(union_mode="left_to_right")]
IpdSharingInfoTypeValue = Annotated[IpdSharingInfoType | str, Field(union_mode="left_to_right")]
ObservationalModelValue = Annotated[ObservationalModel | str, Field(union_mode="left_to_right")]
OfficialRoleValue = Annotated[OfficialRole | str, Field(union_mode="left_to_right")]
OrgStudyIdTypeValue = Annotated[OrgStudyIdType | str, Field(union_mode="left_to_right")]
PhaseValue = Annotated[Phase | str, Field(union_mode="left_to_right")]
PrimaryPurposeValue = Annotated[PrimaryPurpose | str, Field(union_mode="left_to_right")]
RecruitmentStatusValue = Annotated[RecruitmentStatus | str, Field(union_mode="left_to_right")]
ReferenceTypeValue = Annotated[ReferenceType | str, Field(union_mode="left_to_right")]
ResponsiblePartyTypeValue = Annotated[ResponsiblePartyType | str, Field(union_mode="left_to_right")]
SamplingMethodValue = Annotated[SamplingMethod | str, Field(union_mode="left_to_right")]
SecondaryIdTypeValue = Annotated[SecondaryIdType | str, Field(union_mode="left_to_right")]
SexValue = Annotated[Sex | str, Field(union_mode="left_to_right")]
StandardAgeValue = Annotated[StandardAge | str, Field(union_mode="left_to_right")]
StatusValue = Annotated[Status | str, Field(union_mode="left_to_right")]
StudyTypeValue = Annotated[StudyType | str, Field(union_mode="left_to_right")]
WhoMaskedValue = Annotated[WhoMasked | str, Field(union_mode="left_to_right")]

# A smart union keeps a JSON integer an int and a JSON float a float, so a
# record written back is byte-for-byte what came in (`float` alone turns 40
# into 40.0).
Number = int | float


# --- small shared structures -----------------------------------------------


class DateStruct(CtgModel):
    """``DateStruct`` and ``PartialDateStruct``: a (partial) date and whether it
    is actual or estimated."""

    date: str | None = None
    type: DateTypeValue | None = None


class Organization(CtgModel):
    full_name: str | None = None
    agency_class: AgencyClassValue | None = Field(None, alias="class")


class Sponsor(CtgModel):
    name: str | None = None
    agency_class: AgencyClassValue | None = Field(None, alias="class")


class Contact(CtgModel):
    name: str | None = None
    role: ContactRoleValue | None = None
    phone: str | None = None
    phone_ext: str | None = None
    email: str | None = None


# --- identificationModule --------------------------------------------------


class OrgStudyIdInfo(CtgModel):
    id: str | None = None
    type: OrgStudyIdTypeValue | None = None
    link: str | None = None


class SecondaryIdInfo(CtgModel):
    id: str | None = None
    type: SecondaryIdTypeValue | None = None
    domain: str | None = None
    link: str | None = None


class IdentificationModule(CtgModel):
    nct_id: str | None = None
    nct_id_aliases: list[str] | None = None
    org_study_id_info: OrgStudyIdInfo | None = None
    secondary_id_infos: list[SecondaryIdInfo] | None = None
    # CT.gov sends organization before the titles; field order is output order
    organization: Organization | None = None
    brief_title: str | None = None
    official_title: str | None = None
    acronym: str | None = None


# --- statusModule ----------------------------------------------------------


class ExpandedAccessInfo(CtgModel):
    has_expanded_access: bool | None = None
    nct_id: str | None = None
    status_for_nct_id: ExpandedAccessStatusValue | None = None


class StatusModule(CtgModel):
    status_verified_date: str | None = None
    overall_status: StatusValue | None = None
    last_known_status: StatusValue | None = None
    delayed_posting: bool | None = None
    why_stopped: str | None = None
    expanded_access_info: ExpandedAccessInfo | None = None
    start_date_struct: DateStruct | None = None
    primary_completion_date_struct: DateStruct | None = None
    completion_date_struct: DateStruct | None = None
    study_first_submit_date: str | None = None
    study_first_submit_qc_date: str | None = None
    study_first_post_date_struct: DateStruct | None = None
    results_waived: bool | None = None
    results_first_submit_date: str | None = None
    results_first_submit_qc_date: str | None = None
    results_first_post_date_struct: DateStruct | None = None
    disp_first_submit_date: str | None = None
    disp_first_submit_qc_date: str | None = None
    disp_first_post_date_struct: DateStruct | None = None
    last_update_submit_date: str | None = None
    last_update_post_date_struct: DateStruct | None = None


# --- sponsorCollaboratorsModule, oversightModule ---------------------------


class ResponsibleParty(CtgModel):
    type: ResponsiblePartyTypeValue | None = None
    investigator_full_name: str | None = None
    investigator_title: str | None = None
    investigator_affiliation: str | None = None
    old_name_title: str | None = None
    old_organization: str | None = None


class SponsorCollaboratorsModule(CtgModel):
    responsible_party: ResponsibleParty | None = None
    lead_sponsor: Sponsor | None = None
    collaborators: list[Sponsor] | None = None


class OversightModule(CtgModel):
    oversight_has_dmc: bool | None = None
    is_fda_regulated_drug: bool | None = None
    is_fda_regulated_device: bool | None = None
    is_unapproved_device: bool | None = None
    is_ppsd: bool | None = None
    is_us_export: bool | None = None
    fdaaa801_violation: bool | None = None


# --- descriptionModule, conditionsModule -----------------------------------


class DescriptionModule(CtgModel):
    brief_summary: str | None = None
    detailed_description: str | None = None


class ConditionsModule(CtgModel):
    conditions: list[str] | None = None
    keywords: list[str] | None = None


# --- designModule ----------------------------------------------------------


class ExpandedAccessTypes(CtgModel):
    individual: bool | None = None
    intermediate: bool | None = None
    treatment: bool | None = None


class MaskingBlock(CtgModel):
    masking: DesignMaskingValue | None = None
    masking_description: str | None = None
    who_masked: list[WhoMaskedValue] | None = None


class DesignInfo(CtgModel):
    allocation: DesignAllocationValue | None = None
    intervention_model: InterventionalAssignmentValue | None = None
    intervention_model_description: str | None = None
    primary_purpose: PrimaryPurposeValue | None = None
    observational_model: ObservationalModelValue | None = None
    time_perspective: DesignTimePerspectiveValue | None = None
    masking_info: MaskingBlock | None = None


class BioSpec(CtgModel):
    retention: BioSpecRetentionValue | None = None
    description: str | None = None


class EnrollmentInfo(CtgModel):
    count: int | None = None
    type: EnrollmentTypeValue | None = None


class DesignModule(CtgModel):
    study_type: StudyTypeValue | None = None
    n_ptrs_to_this_exp_acc_nct_id: int | None = None
    expanded_access_types: ExpandedAccessTypes | None = None
    patient_registry: bool | None = None
    target_duration: str | None = None
    phases: list[PhaseValue] | None = None
    design_info: DesignInfo | None = None
    bio_spec: BioSpec | None = None
    enrollment_info: EnrollmentInfo | None = None


# --- armsInterventionsModule, outcomesModule -------------------------------


class ArmGroup(CtgModel):
    label: str | None = None
    type: ArmGroupTypeValue | None = None
    description: str | None = None
    intervention_names: list[str] | None = None


class Intervention(CtgModel):
    type: InterventionTypeValue | None = None
    name: str | None = None
    description: str | None = None
    arm_group_labels: list[str] | None = None
    other_names: list[str] | None = None


class ArmsInterventionsModule(CtgModel):
    arm_groups: list[ArmGroup] | None = None
    interventions: list[Intervention] | None = None


class Outcome(CtgModel):
    measure: str | None = None
    description: str | None = None
    time_frame: str | None = None


class OutcomesModule(CtgModel):
    primary_outcomes: list[Outcome] | None = None
    secondary_outcomes: list[Outcome] | None = None
    other_outcomes: list[Outcome] | None = None


# --- eligibilityModule -----------------------------------------------------


class EligibilityModule(CtgModel):
    eligibility_criteria: str | None = None
    healthy_volunteers: bool | None = None
    sex: SexValue | None = None
    gender_based: bool | None = None
    gender_description: str | None = None
    #: e.g. "18 Years"; see :mod:`trialscope.record.ages`
    minimum_age: str | None = None
    maximum_age: str | None = None
    std_ages: list[StandardAgeValue] | None = None
    study_population: str | None = None
    sampling_method: SamplingMethodValue | None = None


# --- contactsLocationsModule -----------------------------------------------


class Official(CtgModel):
    name: str | None = None
    affiliation: str | None = None
    role: OfficialRoleValue | None = None


class GeoPoint(CtgModel):
    lat: Number | None = None
    lon: Number | None = None


class Location(CtgModel):
    facility: str | None = None
    status: RecruitmentStatusValue | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    contacts: list[Contact] | None = None
    geo_point: GeoPoint | None = None


class ContactsLocationsModule(CtgModel):
    central_contacts: list[Contact] | None = None
    overall_officials: list[Official] | None = None
    locations: list[Location] | None = None


# --- referencesModule, ipdSharingStatementModule ---------------------------


class Retraction(CtgModel):
    pmid: str | None = None
    source: str | None = None


class Reference(CtgModel):
    pmid: str | None = None
    type: ReferenceTypeValue | None = None
    citation: str | None = None
    retractions: list[Retraction] | None = None


class SeeAlsoLink(CtgModel):
    label: str | None = None
    url: str | None = None


class AvailIpd(CtgModel):
    id: str | None = None
    type: str | None = None
    url: str | None = None
    comment: str | None = None


class ReferencesModule(CtgModel):
    references: list[Reference] | None = None
    see_also_links: list[SeeAlsoLink] | None = None
    avail_ipds: list[AvailIpd] | None = None


class IpdSharingStatementModule(CtgModel):
    ipd_sharing: IpdSharingValue | None = None
    description: str | None = None
    info_types: list[IpdSharingInfoTypeValue] | None = None
    time_frame: str | None = None
    access_criteria: str | None = None
    url: str | None = None


# --- derivedSection --------------------------------------------------------


class Mesh(CtgModel):
    id: str | None = None
    term: str | None = None


class BrowseLeaf(CtgModel):
    id: str | None = None
    name: str | None = None
    as_found: str | None = None
    relevance: BrowseLeafRelevanceValue | None = None


class BrowseBranch(CtgModel):
    abbrev: str | None = None
    name: str | None = None


class BrowseModule(CtgModel):
    """MeSH terms CT.gov derived for the conditions or the interventions."""

    meshes: list[Mesh] | None = None
    ancestors: list[Mesh] | None = None
    browse_leaves: list[BrowseLeaf] | None = None
    browse_branches: list[BrowseBranch] | None = None


class FirstMcpInfo(CtgModel):
    post_date_struct: DateStruct | None = None


class SubmissionInfo(CtgModel):
    release_date: str | None = None
    unrelease_date: str | None = None
    unrelease_date_unknown: bool | None = None
    reset_date: str | None = None
    mcp_release_n: int | None = None


class SubmissionTracking(CtgModel):
    estimated_results_first_submit_date: str | None = None
    first_mcp_info: FirstMcpInfo | None = None
    submission_infos: list[SubmissionInfo] | None = None


class MiscInfoModule(CtgModel):
    #: date of the CT.gov data release this record was taken from
    version_holder: str | None = None
    removed_countries: list[str] | None = None
    submission_tracking: SubmissionTracking | None = None
