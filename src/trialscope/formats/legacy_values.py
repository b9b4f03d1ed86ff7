"""Normalise values of the old CT.gov formats to the API v2 vocabulary.

Both old formats (the legacy ``<clinical_study>`` XML and the classic JSON API) spell
enumerations as display text ("Active, not recruiting", "Phase 1/Phase 2", "U.S. Fed") and dates
as "July 2001" / "September 13, 2001". API v2 uses UPPER_SNAKE enums and ISO dates (see the
``components/schemas`` of ctg-oas-v2.yaml). Every normaliser here is total: it never raises on a
string, and a value it does not recognise is kept (as UPPER_SNAKE for enums, verbatim for dates)
rather than dropped, so nothing the registry said silently disappears from the mapped record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

__all__ = [
    "age",
    "agency_class",
    "allocation",
    "arm_group_type",
    "bio_spec_retention",
    "date_type",
    "enum",
    "intervention_model",
    "intervention_type",
    "ipd_info_type",
    "masking",
    "md_escape",
    "observational_model",
    "partial_date",
    "phases",
    "primary_purpose",
    "reference_type",
    "responsible_party_type",
    "role",
    "secondary_id_type",
    "sex",
    "status",
    "std_ages",
    "study_type",
    "time_perspective",
    "upper_snake",
    "who_masked",
    "yes_no",
]

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")
# "Not applicable" spellings: these mean "no value", unlike an unknown value which is kept.
_NA = frozenset({"", "N/A", "NA", "NOT APPLICABLE", "NONE", "NULL"})


# Registry vocabularies are small, so caching makes the per-field cost a dict lookup.
@lru_cache(maxsize=4096)
def upper_snake(value: str) -> str:
    """'Active, not recruiting' -> 'ACTIVE_NOT_RECRUITING' (the generic v2 enum spelling)."""
    return _NON_ALNUM.sub("_", value.strip()).strip("_").upper()


def _is_na(value: str) -> bool:
    return value.strip().upper() in _NA


def enum(value: str | None, aliases: Mapping[str, str] | None = None) -> str | None:
    """Map display text to a v2 enum: alias table first (keyed by UPPER_SNAKE), else UPPER_SNAKE.

    ``None`` and blank input give ``None``; anything else gives a non-empty string when it has
    at least one letter or digit.
    """
    if value is None:
        return None
    key = upper_snake(value)
    if not key:
        return None
    if aliases:
        return aliases.get(key, key)
    return key


# v2 serves its long text fields as markdown, escaping these characters in the submitted text
_MD_SPECIAL = re.compile(r"[\\<>\[\]&*^~]")


def md_escape(text: str) -> str:
    """Escape plain text the way v2 presents it in markdown fields ('mm^3' -> 'mm\\^3')."""
    # search first: most text has none, and a regex scan is far cheaper than str.translate
    return _MD_SPECIAL.sub(r"\\\g<0>", text) if _MD_SPECIAL.search(text) else text


# --- statuses -------------------------------------------------------------------------------

_STATUS = {
    "UNKNOWN_STATUS": "UNKNOWN",
    "ACTIVE": "ACTIVE_NOT_RECRUITING",
    "NO_LONGER_RECRUITING": "ACTIVE_NOT_RECRUITING",
    "ENROLLING_BY_INVITATION_ONLY": "ENROLLING_BY_INVITATION",
    "TEMPORARILY_UNAVAILABLE": "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING_EXPANDED_ACCESS": "APPROVED_FOR_MARKETING",
}


def status(value: str | None) -> str | None:
    """Overall / last-known / site recruitment status ('Unknown status' -> 'UNKNOWN')."""
    return enum(value, _STATUS)


# --- phases ---------------------------------------------------------------------------------

_PHASE_WORD = re.compile(
    r"^(EARLY_)?PHASE_?(0|1|2|3|4|I{1,3}|IV)$",
)
_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4"}


def _one_phase(part: str) -> str | None:
    if _is_na(part):
        return "NA"
    key = upper_snake(part)
    if not key:
        return None
    m = _PHASE_WORD.match(key)
    if m is None:
        return key
    early, num = m.groups()
    num = _ROMAN.get(num, num)
    if num == "0":  # "Phase 0" was renamed "Early Phase 1" by CT.gov in 2017
        return "EARLY_PHASE1"
    return f"EARLY_PHASE{num}" if early else f"PHASE{num}"


def phases(value: str | Iterable[str] | None) -> list[str]:
    """'Phase 1/Phase 2' -> ['PHASE1', 'PHASE2']; 'N/A' / 'Not Applicable' -> ['NA'].

    A list (classic ``PhaseList.Phase``) is flattened; duplicates are dropped, order kept.
    """
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        # "N/A" contains the separator, so test it before splitting
        parts = ["N/A"] if _is_na(item) else item.split("/")
        for part in parts:
            p = _one_phase(part)
            if p and p not in out:
                out.append(p)
    return out


# --- study type / design --------------------------------------------------------------------


def study_type(value: str | None) -> tuple[str | None, bool | None]:
    """'Observational [Patient Registry]' -> ('OBSERVATIONAL', True); 'N/A' -> (None, None).

    The second item is ``designModule.patientRegistry`` when the type text implies it.
    """
    if value is None or _is_na(value):
        return None, None
    registry = "PATIENT REGISTRY" in value.upper()
    base = value.split("[", 1)[0] if registry else value
    return enum(base), (True if registry else None)


_ALLOCATION = {"NON_RANDOMISED": "NON_RANDOMIZED", "RANDOMISED": "RANDOMIZED", "N_A": "NA"}


def allocation(value: str | None) -> str | None:
    if value is not None and _is_na(value):
        return "NA"  # DesignAllocation has an explicit NA member
    return enum(value, _ALLOCATION)


_INTERVENTION_MODEL = {
    "SINGLE_GROUP_ASSIGNMENT": "SINGLE_GROUP",
    "PARALLEL_ASSIGNMENT": "PARALLEL",
    "CROSSOVER_ASSIGNMENT": "CROSSOVER",
    "CROSS_OVER_ASSIGNMENT": "CROSSOVER",
    "FACTORIAL_ASSIGNMENT": "FACTORIAL",
    "SEQUENTIAL_ASSIGNMENT": "SEQUENTIAL",
}


def intervention_model(value: str | None) -> str | None:
    return enum(value, _INTERVENTION_MODEL)


_PRIMARY_PURPOSE = {
    "EDUCATIONAL_COUNSELING_TRAINING": "ECT",
    "DEVICE_FEASIBILITY": "DEVICE_FEASIBILITY",
}


def primary_purpose(value: str | None) -> str | None:
    return enum(value, _PRIMARY_PURPOSE)


_OBSERVATIONAL_MODEL = {
    "CASE_CONTROL": "CASE_CONTROL",
    "ECOLOGIC_OR_COMMUNITY_STUDIES": "ECOLOGIC_OR_COMMUNITY",
}
_OBS_MODELS = frozenset(
    {
        "COHORT",
        "CASE_CONTROL",
        "CASE_ONLY",
        "CASE_CROSSOVER",
        "ECOLOGIC_OR_COMMUNITY",
        "FAMILY_BASED",
        "DEFINED_POPULATION",
        "NATURAL_HISTORY",
        "OTHER",
    }
)
_TIME_PERSPECTIVES = frozenset({"RETROSPECTIVE", "PROSPECTIVE", "CROSS_SECTIONAL", "OTHER"})


def _first_known(
    value: str | None, known: frozenset[str], aliases: Mapping[str, str]
) -> str | None:
    """v2 holds one value where pre-2017 records listed several ("Case Control, Natural History"):
    take the first recognised one, else the whole text as UPPER_SNAKE."""
    if value is None:
        return None
    for part in re.split(r"[,/]", value):
        key = enum(part, aliases)
        if key in known:
            return key
    return enum(value, aliases)


def observational_model(value: str | None) -> str | None:
    return _first_known(value, _OBS_MODELS, _OBSERVATIONAL_MODEL)


def time_perspective(value: str | None) -> str | None:
    return _first_known(value, _TIME_PERSPECTIVES, {})


_WHO = {
    "SUBJECT": "PARTICIPANT",
    "PARTICIPANT": "PARTICIPANT",
    "CAREGIVER": "CARE_PROVIDER",
    "CARE_PROVIDER": "CARE_PROVIDER",
    "INVESTIGATOR": "INVESTIGATOR",
    "OUTCOMES_ASSESSOR": "OUTCOMES_ASSESSOR",
}
_LEVELS = {
    "NONE": "NONE",
    "SINGLE": "SINGLE",
    "DOUBLE": "DOUBLE",
    "TRIPLE": "TRIPLE",
    "QUADRUPLE": "QUADRUPLE",
}
_BY_COUNT = {1: "SINGLE", 2: "DOUBLE", 3: "TRIPLE", 4: "QUADRUPLE"}
_MASKING_HEAD = re.compile(r"^\s*([^(]*?)\s*(?:\((.*)\))?\s*$", re.S)


def who_masked(value: str | Iterable[str] | None) -> list[str]:
    """'Subject, Caregiver' -> ['PARTICIPANT', 'CARE_PROVIDER'] (pre-2017 names included)."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    for part in parts:
        key = enum(part, _WHO)
        if key and key not in out:
            out.append(key)
    return out


def masking(value: str | None) -> tuple[str | None, list[str]]:
    """'Double Blind (Subject, Investigator)' -> ('DOUBLE', ['PARTICIPANT', 'INVESTIGATOR']).

    'None (Open Label)', 'Open Label' and 'No masking' give 'NONE'. A bare role list
    ('Participant, Outcomes Assessor') gets its level from the number of roles, as v2 defines it.
    """
    if value is None or not value.strip():
        return None, []
    m = _MASKING_HEAD.match(value)
    head, inner = (m.group(1), m.group(2)) if m else (value, None)
    head_key = upper_snake(head)
    if head_key in ("OPEN_LABEL", "NO_MASKING", "NONE", "NONE_OPEN_LABEL"):
        return "NONE", []
    first = head_key.split("_", 1)[0]
    if first in _LEVELS:
        return _LEVELS[first], who_masked(inner)
    roles = who_masked(value)
    if roles and all(r in _WHO.values() for r in roles):
        return _BY_COUNT.get(len(roles), "QUADRUPLE"), roles
    return head_key or None, who_masked(inner)


# --- people, sponsors, ids ------------------------------------------------------------------

_AGENCY = {
    "U_S_FED": "FED",
    "US_FED": "FED",
    "OTHER_U_S_FEDERAL_AGENCY": "FED",
    "FEDERAL": "FED",
    "OTHER_GOVERNMENT": "OTHER_GOV",
    "INDIVIDUAL": "INDIV",
    "AMBIGUOUS": "AMBIG",
}


def agency_class(value: str | None) -> str | None:
    """'U.S. Fed' -> 'FED', 'Industry' -> 'INDUSTRY' (classic values are already v2 spelled)."""
    return enum(value, _AGENCY)


_ROLE = {"SUBINVESTIGATOR": "SUB_INVESTIGATOR"}


def role(value: str | None) -> str | None:
    """Contact / official role: 'Principal Investigator' -> 'PRINCIPAL_INVESTIGATOR'."""
    return enum(value, _ROLE)


def responsible_party_type(value: str | None) -> str | None:
    return enum(value)


_SECONDARY_ID = {
    "U_S_NIH_GRANT_CONTRACT": "NIH",
    "U_S_FDA_GRANT_CONTRACT": "FDA",
    "U_S_VA_GRANT_CONTRACT": "VA",
    "U_S_CDC_GRANT_CONTRACT": "CDC",
    "U_S_AHRQ_GRANT_CONTRACT": "AHRQ",
    "U_S_SAMHSA_GRANT_CONTRACT": "SAMHSA",
    "OTHER_GRANT_FUNDING_NUMBER": "OTHER_GRANT",
    "EUDRACT_NUMBER": "EUDRACT_NUMBER",
    "EU_TRIAL_CTIS_NUMBER": "CTIS",
    "REGISTRY_IDENTIFIER": "REGISTRY",
    "OTHER_IDENTIFIER": "OTHER",
}


def secondary_id_type(value: str | None) -> str | None:
    return enum(value, _SECONDARY_ID)


# --- arms, interventions, references ---------------------------------------------------------


def arm_group_type(value: str | None) -> str | None:
    return enum(value)


def intervention_type(value: str | None) -> str | None:
    return enum(value)


def reference_type(value: str | None) -> str | None:
    return enum(value)


_IPD_INFO = {
    "STATISTICAL_ANALYSIS_PLAN_SAP": "SAP",
    "INFORMED_CONSENT_FORM_ICF": "ICF",
    "CLINICAL_STUDY_REPORT_CSR": "CSR",
}


def ipd_info_type(value: str | None) -> str | None:
    return enum(value, _IPD_INFO)


def bio_spec_retention(value: str | None) -> str | None:
    return enum(value)


# --- eligibility ----------------------------------------------------------------------------

_SEX = {"BOTH": "ALL"}


def sex(value: str | None) -> str | None:
    """'All' / 'Both' -> 'ALL', 'Female' -> 'FEMALE'."""
    return enum(value, _SEX)


_AGE = re.compile(r"^\s*(\d+)\s*([A-Za-z]+?)s?\s*$")
_AGE_UNITS = {"year": "Year", "month": "Month", "week": "Week", "day": "Day", "hour": "Hour"}
_AGE_UNITS["minute"] = "Minute"
_YEARS_PER = {"Year": 1.0, "Month": 1 / 12, "Week": 7 / 365.25, "Day": 1 / 365.25}
_YEARS_PER.update({"Hour": 1 / 8766, "Minute": 1 / 525960})


@lru_cache(maxsize=4096)
def age(value: str | None) -> str | None:
    """'18 Years' stays '18 Years'; '1 year' -> '1 Year'; 'N/A' -> None; other text kept."""
    if value is None or _is_na(value):
        return None
    m = _AGE.match(value)
    if m is None:
        return value.strip()
    n, unit = m.groups()
    canon = _AGE_UNITS.get(unit.lower())
    if canon is None:
        return value.strip()
    num = int(n)
    return f"{num} {canon}" if num == 1 else f"{num} {canon}s"


@lru_cache(maxsize=4096)
def _age_years(value: str | None) -> float | None:
    if value is None:
        return None
    m = _AGE.match(value)
    if m is None:
        return None
    canon = _AGE_UNITS.get(m.group(2).lower())
    return None if canon is None else int(m.group(1)) * _YEARS_PER[canon]


def std_ages(minimum: str | None, maximum: str | None) -> list[str]:
    """The v2 age groups the range overlaps: CHILD (<18), ADULT (18-64), OLDER_ADULT (65+).

    Legacy XML has no age groups; CT.gov derives them from the ages the same way.
    """
    lo = _age_years(minimum)
    hi = _age_years(maximum)
    lo = 0.0 if lo is None else lo
    hi = float("inf") if hi is None else hi
    if hi < lo:
        return []
    out = []
    if lo < 18:
        out.append("CHILD")
    if lo < 65 and hi >= 18:
        out.append("ADULT")
    if hi >= 65:
        out.append("OLDER_ADULT")
    return out


_TRUE = frozenset({"YES", "Y", "TRUE", "T", "1", "ACCEPTS_HEALTHY_VOLUNTEERS"})
_FALSE = frozenset({"NO", "N", "FALSE", "F", "0"})


def yes_no(value: str | bool | None) -> bool | None:
    """'Yes' / 'true' / 'Accepts Healthy Volunteers' -> True, 'No' / 'false' -> False, else None."""
    if value is None or isinstance(value, bool):
        return value
    key = upper_snake(value)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


# --- dates ----------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for m in names
}
_TEXT_DATE = re.compile(r"^([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _iso(year: int, month: int | None, day: int | None) -> str | None:
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    if not 1 <= day <= _DAYS[month - 1]:
        return None
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


@lru_cache(maxsize=16384)
def partial_date(value: str | None) -> str | None:
    """'July 2001' -> '2001-07', 'September 13, 2001' -> '2001-09-13', ISO passes through.

    Also reads 'MM/DD/YYYY' (classic upload dates). Blank gives None; text that is not a
    recognisable date is returned stripped rather than dropped.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    m = _ISO_DATE.match(text)
    if m:
        y, mo, d = m.groups()
        iso = _iso(int(y), int(mo) if mo else None, int(d) if d else None)
        return iso if iso else text
    m = _TEXT_DATE.match(text)
    if m:
        month = _MONTHS.get(m.group(1).lower())
        if month is not None:
            iso = _iso(int(m.group(3)), month, int(m.group(2)) if m.group(2) else None)
            return iso if iso else text
        return text
    m = _US_DATE.match(text)
    if m:
        iso = _iso(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        return iso if iso else text
    return text


_DATE_TYPE = {"ANTICIPATED": "ESTIMATED", "ESTIMATE": "ESTIMATED", "EXPECTED": "ESTIMATED"}


def date_type(value: str | None) -> str | None:
    """'Anticipated' / 'Estimate' -> 'ESTIMATED', 'Actual' -> 'ACTUAL'."""
    return enum(value, _DATE_TYPE)
