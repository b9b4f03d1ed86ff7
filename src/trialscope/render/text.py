"""Plain-text detail view with the sections of seed 002, for terminals."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from trialscope.record import Study
from trialscope.vocab import label_of

WIDTH = 88


def _wrap(text: str | None, indent: str = "  ") -> list[str]:
    if not text:
        return []
    out: list[str] = []
    for paragraph in text.strip().splitlines():
        if not paragraph.strip():
            out.append("")
            continue
        out.extend(
            textwrap.wrap(
                paragraph.strip(),
                WIDTH,
                initial_indent=indent,
                subsequent_indent=indent + "  ",
            )
        )
    return out


def _section(title: str, body: Iterable[str]) -> list[str]:
    lines = list(body)
    if not any(line.strip() for line in lines):
        return []
    return [title.upper(), *lines, ""]


def _facts(pairs: Iterable[tuple[str, object]]) -> list[str]:
    return [f"  {label}: {value}" for label, value in pairs if value not in (None, "", [])]


def _enrollment(study: Study) -> str | None:
    """ "80 participants (estimated)": a target is not a count, so the type stays."""
    design = study.protocol_section.design_module if study.protocol_section else None
    info = design.enrollment_info if design else None
    if info is None or info.count is None:
        return None
    kind = {"ESTIMATED": "estimated", "ACTUAL": "actual"}.get(str(info.type or ""))
    return f"{info.count} participants" + (f" ({kind})" if kind else "")


def render_text(study: Study) -> str:
    p = study.protocol_section
    ident = p.identification_module if p else None
    description = p.description_module if p else None
    design = p.design_module if p else None
    arms = p.arms_interventions_module if p else None
    eligibility = p.eligibility_module if p else None
    sponsors = p.sponsor_collaborators_module if p else None
    contacts = p.contacts_locations_module if p else None
    info = design.design_info if design else None
    masking = info.masking_info if info else None

    out = [study.brief_title or study.nct_id or "Untitled study", ""]
    out += _facts(
        [
            ("NCT ID", study.nct_id),
            ("Last updated", study.last_update_post_date),
            ("Results", "posted" if study.has_results else "not posted"),
        ]
    )
    out.append("")
    out += _section(
        "Basic information",
        _facts(
            [
                ("Recruitment status", label_of(study.overall_status)),
                ("Phase", ", ".join(label_of(x) or "" for x in study.phases)),
                ("Enrollment", _enrollment(study)),
                ("Study type", label_of(study.study_type)),
                ("Start date", study.start_date),
                ("Primary completion date", study.primary_completion_date),
                ("Completion date", study.completion_date),
            ]
        ),
    )
    out += _section("Brief summary", _wrap(description.brief_summary if description else None))
    out += _section(
        "Detailed description", _wrap(description.detailed_description if description else None)
    )
    out += _section("Conditions", [f"  {c}" for c in study.conditions])
    out += _section("Keywords", [f"  {k}" for k in study.keywords])
    out += _section(
        "Study design",
        _facts(
            [
                ("Allocation", label_of(info.allocation) if info else None),
                ("Intervention model", label_of(info.intervention_model) if info else None),
                ("Observational model", label_of(info.observational_model) if info else None),
                ("Time perspective", label_of(info.time_perspective) if info else None),
                ("Primary purpose", label_of(info.primary_purpose) if info else None),
                ("Masking", label_of(masking.masking) if masking else None),
            ]
        ),
    )
    arm_lines: list[str] = []
    for arm in (arms.arm_groups if arms else None) or []:
        kind = f" [{label_of(arm.type)}]" if arm.type else ""
        arm_lines.append(f"  {arm.label}{kind}")
        arm_lines += _wrap(arm.description, "    ")
        if arm.intervention_names:
            arm_lines.append(f"    Interventions: {'; '.join(arm.intervention_names)}")
    out += _section("Study groups", arm_lines)
    item_lines: list[str] = []
    for item in study.interventions:
        kind = f"{label_of(item.type)}: " if item.type else ""
        item_lines.append(f"  {kind}{item.name}")
        item_lines += _wrap(item.description, "    ")
        if item.other_names:
            item_lines.append(f"    Other names: {', '.join(item.other_names)}")
    out += _section("Interventions", item_lines)
    if eligibility:
        healthy = eligibility.healthy_volunteers
        criteria = (eligibility.eligibility_criteria or "").splitlines()
        out += _section(
            "Eligibility",
            _facts(
                [
                    ("Minimum age", eligibility.minimum_age),
                    ("Maximum age", eligibility.maximum_age),
                    ("Sex", label_of(eligibility.sex)),
                    (
                        "Healthy volunteers",
                        None if healthy is None else ("Yes" if healthy else "No"),
                    ),
                ]
            )
            + [""]
            + [f"  {line}" if line else "" for line in criteria],
        )
    lead = sponsors.lead_sponsor if sponsors else None
    sponsor_lines = [f"  {lead.name} (lead, {label_of(lead.agency_class)})"] if lead else []
    sponsor_lines += [f"  {c}" for c in study.collaborators]
    out += _section("Sponsors", sponsor_lines)
    officials = (contacts.overall_officials if contacts else None) or []
    out += _section(
        "Investigators",
        [
            f"  {o.name} — {label_of(o.role) or 'role not given'}"
            + (f", {o.affiliation}" if o.affiliation else "")
            for o in officials
        ],
    )
    out += _section(
        f"Locations ({len(study.locations)})",
        [
            "  "
            + ", ".join(x for x in (site.facility, site.city, site.state, site.country) if x)
            + (f" [{label_of(site.status)}]" if site.status else "")
            for site in study.locations
        ],
    )
    central = (contacts.central_contacts if contacts else None) or []
    out += _section(
        "Central contacts",
        ["  " + " · ".join(x for x in (c.name, c.phone, c.email) if x) for c in central],
    )
    id_lines = []
    if ident and ident.org_study_id_info and ident.org_study_id_info.id:
        id_lines.append(f"  {ident.org_study_id_info.id} (organisation's study id)")
    for secondary in (ident.secondary_id_infos if ident else None) or []:
        kind = label_of(secondary.type) or secondary.domain or "secondary id"
        id_lines.append(f"  {secondary.id} ({kind})")
    out += _section("Other identifiers", id_lines)
    return "\n".join(out).rstrip() + "\n"
