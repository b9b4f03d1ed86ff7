"""Every enumeration of the ClinicalTrials.gov API v2, in one place.

Values are spelled exactly as the API sends them (``components/schemas`` of
``ctg-oas-v2.yaml`` v2.0.5).  Each member also carries the human text CT.gov
shows for it (the ``legacyValue`` of ``/studies/enums``, i.e. what the classic
site and the legacy XML print), reachable as ``member.label``.

CT.gov adds enum values from time to time, so records are validated leniently:
an unknown value stays a plain ``str`` (see :func:`lenient`) instead of failing
the whole record.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self, TypeVar

__all__ = [
    "AgencyClass",
    "AgreementRestrictionType",
    "AnalysisDispersionType",
    "ArmGroupType",
    "BioSpecRetention",
    "BrowseLeafRelevance",
    "ConfidenceIntervalNumSides",
    "ContactRole",
    "DateType",
    "DesignAllocation",
    "DesignMasking",
    "DesignTimePerspective",
    "EnrollmentType",
    "EventAssessment",
    "ExpandedAccessStatus",
    "FieldStatsType",
    "InterventionType",
    "InterventionalAssignment",
    "IpdSharing",
    "IpdSharingInfoType",
    "MeasureDispersionType",
    "MeasureParam",
    "NonInferiorityType",
    "ObservationalModel",
    "OfficialRole",
    "OrgStudyIdType",
    "OutcomeMeasureType",
    "Phase",
    "PrimaryPurpose",
    "RecruitmentStatus",
    "ReferenceType",
    "ReportingStatus",
    "ResponsiblePartyType",
    "SamplingMethod",
    "SecondaryIdType",
    "Sex",
    "StandardAge",
    "Status",
    "StudyType",
    "UnpostedEventType",
    "ViolationEventType",
    "Vocab",
    "WhoMasked",
    "label_of",
    "lenient",
]


class Vocab(StrEnum):
    """Base of the CT.gov enums: a ``StrEnum`` whose members also carry a label.

    Members are declared as ``NAME = "VALUE", "Label"``; ``str(member)`` and
    ``member.value`` are the API value, so members compare equal to, hash like
    and serialise as the plain strings.
    """

    _value_: str
    _label_: str

    # `label` has a default only so that the lookup form `Phase("PHASE2")`
    # type-checks; every member below declares its label.
    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label_ = label or value
        return member

    @property
    def label(self) -> str:
        """The text CT.gov displays for this value."""
        return self._label_


E = TypeVar("E", bound=StrEnum)


def lenient(enum_cls: type[E], value: str) -> E | str:
    """Return the member of ``enum_cls`` whose value is ``value``, else ``value`` itself.

    Never raises: an unknown value (a newer CT.gov vocabulary) is kept verbatim.
    """
    member = enum_cls._value2member_map_.get(value)
    return member if isinstance(member, enum_cls) else value


def label_of(value: object) -> str | None:
    """Display text for a possibly-lenient enum value: the label of a member,
    an unknown string as is, ``None`` for ``None``."""
    if value is None:
        return None
    if isinstance(value, Vocab):
        return value.label
    return str(value)


# --- study status ----------------------------------------------------------


class Status(Vocab):
    """Overall (and last known) recruitment status of a study."""

    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", "Active, not recruiting"
    COMPLETED = "COMPLETED", "Completed"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", "Enrolling by invitation"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING", "Not yet recruiting"
    RECRUITING = "RECRUITING", "Recruiting"
    SUSPENDED = "SUSPENDED", "Suspended"
    TERMINATED = "TERMINATED", "Terminated"
    WITHDRAWN = "WITHDRAWN", "Withdrawn"
    AVAILABLE = "AVAILABLE", "Available"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE", "No longer available"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE", "Temporarily not available"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING", "Approved for marketing"
    WITHHELD = "WITHHELD", "Withheld"
    UNKNOWN = "UNKNOWN", "Unknown status"


class RecruitmentStatus(Vocab):
    """Recruitment status of one location (a subset of :class:`Status`)."""

    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", "Active, not recruiting"
    COMPLETED = "COMPLETED", "Completed"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", "Enrolling by invitation"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING", "Not yet recruiting"
    RECRUITING = "RECRUITING", "Recruiting"
    SUSPENDED = "SUSPENDED", "Suspended"
    TERMINATED = "TERMINATED", "Terminated"
    WITHDRAWN = "WITHDRAWN", "Withdrawn"
    AVAILABLE = "AVAILABLE", "Available"


class ExpandedAccessStatus(Vocab):
    AVAILABLE = "AVAILABLE", "Available"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE", "No longer available"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE", "Temporarily not available"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING", "Approved for marketing"


class DateType(Vocab):
    """Whether a date already happened.  The classic site said "Anticipated"
    for some dates and "Estimate" for others; today's site says "Estimated"."""

    ACTUAL = "ACTUAL", "Actual"
    ESTIMATED = "ESTIMATED", "Estimated"


# --- design ----------------------------------------------------------------


class StudyType(Vocab):
    EXPANDED_ACCESS = "EXPANDED_ACCESS", "Expanded Access"
    INTERVENTIONAL = "INTERVENTIONAL", "Interventional"
    OBSERVATIONAL = "OBSERVATIONAL", "Observational"


class Phase(Vocab):
    NA = "NA", "Not Applicable"
    EARLY_PHASE1 = "EARLY_PHASE1", "Early Phase 1"
    PHASE1 = "PHASE1", "Phase 1"
    PHASE2 = "PHASE2", "Phase 2"
    PHASE3 = "PHASE3", "Phase 3"
    PHASE4 = "PHASE4", "Phase 4"


class DesignAllocation(Vocab):
    RANDOMIZED = "RANDOMIZED", "Randomized"
    NON_RANDOMIZED = "NON_RANDOMIZED", "Non-Randomized"
    NA = "NA", "N/A"


class InterventionalAssignment(Vocab):
    SINGLE_GROUP = "SINGLE_GROUP", "Single Group Assignment"
    PARALLEL = "PARALLEL", "Parallel Assignment"
    CROSSOVER = "CROSSOVER", "Crossover Assignment"
    FACTORIAL = "FACTORIAL", "Factorial Assignment"
    SEQUENTIAL = "SEQUENTIAL", "Sequential Assignment"


class PrimaryPurpose(Vocab):
    TREATMENT = "TREATMENT", "Treatment"
    PREVENTION = "PREVENTION", "Prevention"
    DIAGNOSTIC = "DIAGNOSTIC", "Diagnostic"
    ECT = "ECT", "Educational/Counseling/Training"
    SUPPORTIVE_CARE = "SUPPORTIVE_CARE", "Supportive Care"
    SCREENING = "SCREENING", "Screening"
    HEALTH_SERVICES_RESEARCH = "HEALTH_SERVICES_RESEARCH", "Health Services Research"
    BASIC_SCIENCE = "BASIC_SCIENCE", "Basic Science"
    DEVICE_FEASIBILITY = "DEVICE_FEASIBILITY", "Device Feasibility"
    OTHER = "OTHER", "Other"


class ObservationalModel(Vocab):
    COHORT = "COHORT", "Cohort"
    CASE_CONTROL = "CASE_CONTROL", "Case-Control"
    CASE_ONLY = "CASE_ONLY", "Case-Only"
    CASE_CROSSOVER = "CASE_CROSSOVER", "Case-Crossover"
    ECOLOGIC_OR_COMMUNITY = "ECOLOGIC_OR_COMMUNITY", "Ecologic or Community"
    FAMILY_BASED = "FAMILY_BASED", "Family-Based"
    DEFINED_POPULATION = "DEFINED_POPULATION", "Defined Population"
    NATURAL_HISTORY = "NATURAL_HISTORY", "Natural History"
    OTHER = "OTHER", "Other"


class DesignTimePerspective(Vocab):
    RETROSPECTIVE = "RETROSPECTIVE", "Retrospective"
    PROSPECTIVE = "PROSPECTIVE", "Prospective"
    CROSS_SECTIONAL = "CROSS_SECTIONAL", "Cross-Sectional"
    OTHER = "OTHER", "Other"


class DesignMasking(Vocab):
    NONE = "NONE", "None (Open Label)"
    SINGLE = "SINGLE", "Single"
    DOUBLE = "DOUBLE", "Double"
    TRIPLE = "TRIPLE", "Triple"
    QUADRUPLE = "QUADRUPLE", "Quadruple"


class WhoMasked(Vocab):
    PARTICIPANT = "PARTICIPANT", "Participant"
    CARE_PROVIDER = "CARE_PROVIDER", "Care Provider"
    INVESTIGATOR = "INVESTIGATOR", "Investigator"
    OUTCOMES_ASSESSOR = "OUTCOMES_ASSESSOR", "Outcomes Assessor"


class BioSpecRetention(Vocab):
    NONE_RETAINED = "NONE_RETAINED", "None Retained"
    SAMPLES_WITH_DNA = "SAMPLES_WITH_DNA", "Samples With DNA"
    SAMPLES_WITHOUT_DNA = "SAMPLES_WITHOUT_DNA", "Samples Without DNA"


class EnrollmentType(Vocab):
    ACTUAL = "ACTUAL", "Actual"
    ESTIMATED = "ESTIMATED", "Estimated"


class ArmGroupType(Vocab):
    EXPERIMENTAL = "EXPERIMENTAL", "Experimental"
    ACTIVE_COMPARATOR = "ACTIVE_COMPARATOR", "Active Comparator"
    PLACEBO_COMPARATOR = "PLACEBO_COMPARATOR", "Placebo Comparator"
    SHAM_COMPARATOR = "SHAM_COMPARATOR", "Sham Comparator"
    NO_INTERVENTION = "NO_INTERVENTION", "No Intervention"
    OTHER = "OTHER", "Other"


class InterventionType(Vocab):
    BEHAVIORAL = "BEHAVIORAL", "Behavioral"
    BIOLOGICAL = "BIOLOGICAL", "Biological"
    COMBINATION_PRODUCT = "COMBINATION_PRODUCT", "Combination Product"
    DEVICE = "DEVICE", "Device"
    DIAGNOSTIC_TEST = "DIAGNOSTIC_TEST", "Diagnostic Test"
    DIETARY_SUPPLEMENT = "DIETARY_SUPPLEMENT", "Dietary Supplement"
    DRUG = "DRUG", "Drug"
    GENETIC = "GENETIC", "Genetic"
    PROCEDURE = "PROCEDURE", "Procedure"
    RADIATION = "RADIATION", "Radiation"
    OTHER = "OTHER", "Other"


# --- eligibility -----------------------------------------------------------


class Sex(Vocab):
    FEMALE = "FEMALE", "Female"
    MALE = "MALE", "Male"
    ALL = "ALL", "All"


class StandardAge(Vocab):
    CHILD = "CHILD", "Child"
    ADULT = "ADULT", "Adult"
    OLDER_ADULT = "OLDER_ADULT", "Older Adult"


class SamplingMethod(Vocab):
    PROBABILITY_SAMPLE = "PROBABILITY_SAMPLE", "Probability Sample"
    NON_PROBABILITY_SAMPLE = "NON_PROBABILITY_SAMPLE", "Non-Probability Sample"


# --- identification, sponsors, contacts ------------------------------------


class OrgStudyIdType(Vocab):
    NIH = "NIH", "U.S. NIH Grant/Contract"
    FDA = "FDA", "U.S. FDA Grant/Contract"
    VA = "VA", "U.S. VA Grant/Contract"
    CDC = "CDC", "U.S. CDC Grant/Contract"
    AHRQ = "AHRQ", "U.S. AHRQ Grant/Contract"
    SAMHSA = "SAMHSA", "U.S. SAMHSA Grant/Contract"


class SecondaryIdType(Vocab):
    NIH = "NIH", "U.S. NIH Grant/Contract"
    FDA = "FDA", "U.S. FDA Grant/Contract"
    VA = "VA", "U.S. VA Grant/Contract"
    CDC = "CDC", "U.S. CDC Grant/Contract"
    AHRQ = "AHRQ", "U.S. AHRQ Grant/Contract"
    SAMHSA = "SAMHSA", "U.S. SAMHSA Grant/Contract"
    OTHER_GRANT = "OTHER_GRANT", "Other Grant/Funding Number"
    EUDRACT_NUMBER = "EUDRACT_NUMBER", "EudraCT Number"
    CTIS = "CTIS", "EU Trial (CTIS) Number"
    REGISTRY = "REGISTRY", "Registry Identifier"
    OTHER = "OTHER", "Other Identifier"


class AgencyClass(Vocab):
    """Sponsor / organisation class.  CT.gov's own legacy value is the code
    itself, so the labels are the site's "funder type" wording."""

    NIH = "NIH", "NIH"
    FED = "FED", "U.S. Fed"
    OTHER_GOV = "OTHER_GOV", "Other Government"
    INDIV = "INDIV", "Individual"
    INDUSTRY = "INDUSTRY", "Industry"
    NETWORK = "NETWORK", "Network"
    AMBIG = "AMBIG", "Ambiguous"
    OTHER = "OTHER", "Other"
    UNKNOWN = "UNKNOWN", "Unknown"


class ResponsiblePartyType(Vocab):
    SPONSOR = "SPONSOR", "Sponsor"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR", "Principal Investigator"
    SPONSOR_INVESTIGATOR = "SPONSOR_INVESTIGATOR", "Sponsor-Investigator"


class ContactRole(Vocab):
    STUDY_CHAIR = "STUDY_CHAIR", "Study Chair"
    STUDY_DIRECTOR = "STUDY_DIRECTOR", "Study Director"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR", "Principal Investigator"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR", "Sub-Investigator"
    CONTACT = "CONTACT", "Contact"


class OfficialRole(Vocab):
    STUDY_CHAIR = "STUDY_CHAIR", "Study Chair"
    STUDY_DIRECTOR = "STUDY_DIRECTOR", "Study Director"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR", "Principal Investigator"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR", "Sub-Investigator"


# --- references and data sharing -------------------------------------------


class ReferenceType(Vocab):
    BACKGROUND = "BACKGROUND", "Background"
    RESULT = "RESULT", "Result"
    DERIVED = "DERIVED", "Derived"


class IpdSharing(Vocab):
    YES = "YES", "Yes"
    NO = "NO", "No"
    UNDECIDED = "UNDECIDED", "Undecided"


class IpdSharingInfoType(Vocab):
    STUDY_PROTOCOL = "STUDY_PROTOCOL", "Study Protocol"
    SAP = "SAP", "Statistical Analysis Plan (SAP)"
    ICF = "ICF", "Informed Consent Form (ICF)"
    CSR = "CSR", "Clinical Study Report (CSR)"
    ANALYTIC_CODE = "ANALYTIC_CODE", "Analytic Code"


class BrowseLeafRelevance(Vocab):
    LOW = "LOW", "Low"
    HIGH = "HIGH", "High"


# --- results ---------------------------------------------------------------


class MeasureParam(Vocab):
    GEOMETRIC_MEAN = "GEOMETRIC_MEAN", "Geometric Mean"
    GEOMETRIC_LEAST_SQUARES_MEAN = "GEOMETRIC_LEAST_SQUARES_MEAN", "Geometric Least Squares Mean"
    LEAST_SQUARES_MEAN = "LEAST_SQUARES_MEAN", "Least Squares Mean"
    LOG_MEAN = "LOG_MEAN", "Log Mean"
    MEAN = "MEAN", "Mean"
    MEDIAN = "MEDIAN", "Median"
    NUMBER = "NUMBER", "Number"
    COUNT_OF_PARTICIPANTS = "COUNT_OF_PARTICIPANTS", "Count of Participants"
    COUNT_OF_UNITS = "COUNT_OF_UNITS", "Count of Units"


class MeasureDispersionType(Vocab):
    NA = "NA", "Not Applicable"
    STANDARD_DEVIATION = "STANDARD_DEVIATION", "Standard Deviation"
    STANDARD_ERROR = "STANDARD_ERROR", "Standard Error"
    INTER_QUARTILE_RANGE = "INTER_QUARTILE_RANGE", "Inter-Quartile Range"
    FULL_RANGE = "FULL_RANGE", "Full Range"
    CONFIDENCE_80 = "CONFIDENCE_80", "80% Confidence Interval"
    CONFIDENCE_90 = "CONFIDENCE_90", "90% Confidence Interval"
    CONFIDENCE_95 = "CONFIDENCE_95", "95% Confidence Interval"
    CONFIDENCE_975 = "CONFIDENCE_975", "97.5% Confidence Interval"
    CONFIDENCE_99 = "CONFIDENCE_99", "99% Confidence Interval"
    CONFIDENCE_OTHER = "CONFIDENCE_OTHER", "Other Confidence Interval Level"
    GEOMETRIC_COEFFICIENT = "GEOMETRIC_COEFFICIENT", "Geometric Coefficient of Variation"


class OutcomeMeasureType(Vocab):
    PRIMARY = "PRIMARY", "Primary"
    SECONDARY = "SECONDARY", "Secondary"
    OTHER_PRE_SPECIFIED = "OTHER_PRE_SPECIFIED", "Other Pre-specified"
    POST_HOC = "POST_HOC", "Post-Hoc"


class ReportingStatus(Vocab):
    NOT_POSTED = "NOT_POSTED", "Not Posted"
    POSTED = "POSTED", "Posted"


class EventAssessment(Vocab):
    NON_SYSTEMATIC_ASSESSMENT = "NON_SYSTEMATIC_ASSESSMENT", "Non-systematic Assessment"
    SYSTEMATIC_ASSESSMENT = "SYSTEMATIC_ASSESSMENT", "Systematic Assessment"


class AgreementRestrictionType(Vocab):
    LTE60 = "LTE60", "60 days or less"
    GT60 = "GT60", "More than 60 days"
    OTHER = "OTHER", "Other"


class AnalysisDispersionType(Vocab):
    STANDARD_DEVIATION = "STANDARD_DEVIATION", "Standard Deviation"
    STANDARD_ERROR_OF_MEAN = "STANDARD_ERROR_OF_MEAN", "Standard Error of the Mean"


class ConfidenceIntervalNumSides(Vocab):
    ONE_SIDED = "ONE_SIDED", "1-Sided"
    TWO_SIDED = "TWO_SIDED", "2-Sided"


class NonInferiorityType(Vocab):
    SUPERIORITY = "SUPERIORITY", "Superiority"
    NON_INFERIORITY = "NON_INFERIORITY", "Non-Inferiority"
    EQUIVALENCE = "EQUIVALENCE", "Equivalence"
    OTHER = "OTHER", "Other"
    NON_INFERIORITY_OR_EQUIVALENCE = (
        "NON_INFERIORITY_OR_EQUIVALENCE",
        "Non-Inferiority or Equivalence",
    )
    SUPERIORITY_OR_OTHER = "SUPERIORITY_OR_OTHER", "Superiority or Other"
    NON_INFERIORITY_OR_EQUIVALENCE_LEGACY = (
        "NON_INFERIORITY_OR_EQUIVALENCE_LEGACY",
        "Non-Inferiority or Equivalence (legacy)",
    )
    SUPERIORITY_OR_OTHER_LEGACY = "SUPERIORITY_OR_OTHER_LEGACY", "Superiority or Other (legacy)"


# --- annotations -----------------------------------------------------------


class UnpostedEventType(Vocab):
    RESET = "RESET", "Reset"
    RELEASE = "RELEASE", "Release"
    UNRELEASE = "UNRELEASE", "Unrelease"


class ViolationEventType(Vocab):
    VIOLATION_IDENTIFIED = "VIOLATION_IDENTIFIED", "Violation Identified by FDA"
    CORRECTION_CONFIRMED = "CORRECTION_CONFIRMED", "Correction Confirmed by FDA"
    PENALTY_IMPOSED = "PENALTY_IMPOSED", "Penalty Imposed by FDA"
    ISSUES_IN_LETTER_ADDRESSED_CONFIRMED = (
        "ISSUES_IN_LETTER_ADDRESSED_CONFIRMED",
        "Issues in letter addressed; confirmed by FDA.",
    )


# --- API metadata ----------------------------------------------------------


class FieldStatsType(Vocab):
    """Leaf field type in ``/stats/field/values`` (not part of a study record)."""

    ENUM = "ENUM", "Enum"
    STRING = "STRING", "String"
    DATE = "DATE", "Date"
    INTEGER = "INTEGER", "Integer"
    NUMBER = "NUMBER", "Number"
    BOOLEAN = "BOOLEAN", "Boolean"
