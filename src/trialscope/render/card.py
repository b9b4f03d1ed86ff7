"""The compact card (seed 001) and the plain-text detail view (seed 002's sections)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from trialscope.record import Study
from trialscope.record.freshness import Freshness, StaleReason, freshness
from trialscope.vocab import label_of

#: what a view says when the record gives no status or no phase: never a guess
STATUS_NOT_GIVEN = "Status not given in the record"
PHASE_NOT_GIVEN = "Phase not given in the record"

RECRUITING_WORDS = {
    "RECRUITING": "Enrolling",
    "NOT_YET_RECRUITING": "Not yet enrolling",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
}


def _label(value: object) -> str:
    return label_of(value) or str(value)


def status_word(status: object) -> str:
    """Seed 001 says "Enrolling" where CT.gov says RECRUITING; a missing status is
    said to be missing (CT.gov's own UNKNOWN status reads "Unknown status")."""
    return RECRUITING_WORDS.get(str(status), _label(status)) if status else STATUS_NOT_GIVEN


def phase_words(study: Study) -> str | None:
    """The phases the record gives; "Phase not given" for an interventional study
    without any; None where phases do not belong (observational, expanded access)."""
    if study.phases:
        return ", ".join(_label(p) for p in study.phases)
    if str(study.study_type or "") in {"OBSERVATIONAL", "EXPANDED_ACCESS"}:
        return None
    return PHASE_NOT_GIVEN


def stale_note(found: Freshness) -> str | None:
    """One line for views that are not for patients: "May be out of date: ..."."""
    if not found.stale:
        return None
    why = []
    if StaleReason.COMPLETION_PASSED in found.reasons:
        why.append(f"completion date {found.completion_date} has passed")
    if StaleReason.NOT_UPDATED in found.reasons:
        why.append(f"not updated since {found.last_update}")
    return f"May be out of date: {' and '.join(why)}"


def age_range(min_age: str | None, max_age: str | None) -> str:
    """``18 to 75 years old``, ``18+ years old``, ``Up to 17 years old``, ``All ages``."""

    def split(text: str | None) -> tuple[str, str] | None:
        parts = (text or "").split()
        return (parts[0], " ".join(parts[1:]).lower()) if len(parts) >= 2 else None

    low, high = split(min_age), split(max_age)
    if low and high:
        if low[1] == high[1]:
            return f"{low[0]} to {high[0]} {high[1]} old"
        return f"{low[0]} {low[1]} to {high[0]} {high[1]} old"
    if low:
        return f"{low[0]}+ {low[1]} old"
    if high:
        return f"Up to {high[0]} {high[1]} old"
    return "All ages"


def enrollment_phrase(study: Study) -> str | None:
    design = study.protocol_section.design_module if study.protocol_section else None
    info = design.enrollment_info if design else None
    if info is None or info.count is None:
        return None
    kind = {"ESTIMATED": "estimated", "ACTUAL": "actual"}.get(str(info.type or ""), "")
    return " ".join(part for part in (str(info.count), kind, "patients") if part)


def treatments(study: Study) -> list[str]:
    return [
        f"{_label(item.type)}: {item.name}" if item.type else str(item.name)
        for item in study.interventions
        if item.name
    ]


def _section(title: str, lines: Iterable[str]) -> list[str]:
    body = [line for line in lines if line]
    return [title, *(f"  {line}" for line in body), ""] if body else []


def render_card(study: Study, *, nearest_site: str | None = None, today: date | None = None) -> str:
    """The fields of seed 001: status and phase, conditions, treatments, sponsor, ids."""
    protocol = study.protocol_section
    eligibility = protocol.eligibility_module if protocol else None
    ident = protocol.identification_module if protocol else None
    sponsors = protocol.sponsor_collaborators_module if protocol else None
    lead = sponsors.lead_sponsor if sponsors else None
    phase = phase_words(study)
    volunteers = None
    if eligibility and eligibility.healthy_volunteers is not None:
        volunteers = (
            "Accepts Healthy Volunteers"
            if eligibility.healthy_volunteers
            else "No Healthy Volunteers"
        )
    org_id = ident.org_study_id_info.id if ident and ident.org_study_id_info else None
    out = [study.brief_title or study.nct_id or "Untitled study", ""]
    if study.lead_sponsor:
        out += [study.lead_sponsor, ""]
    stale = stale_note(freshness(study, today))
    out += _section(
        "Status and phase", [status_word(study.overall_status), phase or "", stale or ""]
    )
    out += _section("Conditions", study.conditions)
    out += _section("Treatments", treatments(study))
    out += _section("Study type", [_label(study.study_type) if study.study_type else ""])
    out += _section(
        "Funder types", [_label(lead.agency_class) if lead and lead.agency_class else ""]
    )
    out += _section("Identifiers", [study.nct_id or "", org_id or ""])
    out += _section("Enrollment", [enrollment_phrase(study) or ""])
    out += _section("Sex", [_label(eligibility.sex) if eligibility and eligibility.sex else ""])
    out += _section("Ages", [age_range(study.min_age, study.max_age)] if eligibility else [])
    out += _section("Volunteers", [volunteers or ""])
    out += _section("Nearest site", [nearest_site or ""])
    locations = len(study.locations)
    if locations:
        out += _section("Trial locations", [f"{locations} site{'s' if locations != 1 else ''}"])
    return "\n".join(out).rstrip() + "\n"
