"""The agent markdown page (seeds 000 and 003): YAML frontmatter, then the record.

Sections without data are left out. Registry text is copied as CT.gov gives it
(it is already markdown in API v2); the criteria go in a code fence long enough
that no backtick run inside them can close it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import yaml

from trialscope.record import Study
from trialscope.record.freshness import freshness
from trialscope.record.modules import Outcome
from trialscope.store.types import ChangeKind, FieldChange, VersionInfo
from trialscope.timewindow import iso_utc

CTGOV_STUDY_URL = "https://clinicaltrials.gov/study/{nct_id}"
SOURCE_NOTE = "ClinicalTrials.gov (mirrored, no enrichment)"
MIRROR_NOTE = (
    "This page is a raw mirror of the registry record, with no AI summary"
    " and no editorial enrichment."
)
RECENT_DAYS = 30


def ctgov_url(nct_id: str) -> str:
    return CTGOV_STUDY_URL.format(nct_id=nct_id)


# inside double quotes: the quote and backslash, line breaks (YAML 1.1 counts NEL, LS, PS)
# and everything YAML does not allow as printable
_YAML_UNSAFE = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]')
_YAML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _yaml_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _YAML_ESCAPES:
        return _YAML_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


#: plainly a string to every YAML reader: a letter first, then only letters, digits,
#: spaces and punctuation with no meaning inside a plain scalar (no ``:``, ``#``, quotes
#: or brackets); the bool and null words are the exceptions, checked apart
_SURELY_PLAIN = re.compile(r"[^\W\d_][\w ,.()/'&+-]*")
_YAML_WORDS = frozenset(["yes", "no", "true", "false", "on", "off", "y", "n", "null"])


def _plain_round_trips(value: str) -> bool:
    """True when ``key: value`` reads back as this exact string under YAML 1.1 and 1.2
    readers alike (so ``yes``, ``1.0``, ``2020-06-04``, ``a: b``, ``#x`` get quoted)."""
    if not value or value != value.strip() or any(ch in value for ch in "\n\r\t"):
        return False
    if _SURELY_PLAIN.fullmatch(value):
        # most titles, sponsors and statuses: PyYAML's reading of each costs ~0.3 ms
        return value.casefold() not in _YAML_WORDS
    try:
        loaded = yaml.safe_load(f"key: {value}")
    except yaml.YAMLError:
        return False
    # PyYAML leaves y/n as strings; other YAML 1.1 readers take them (and on/off) as bools
    return loaded == {"key": value} and value.lower() not in {"on", "off", "y", "n"}


def yaml_scalar(value: str) -> str:
    """A YAML scalar: plain when it reads back as the same string, else double-quoted."""
    if _plain_round_trips(value):
        return value
    return '"' + _YAML_UNSAFE.sub(_yaml_escape, value) + '"'


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paragraph(text: str | None) -> list[str]:
    return [text.strip()] if text and text.strip() else []


def _frontmatter(
    study: Study, info: VersionInfo | None, canonical: str | None, now: datetime
) -> list[str]:
    nct_id = study.nct_id or ""
    fields: list[tuple[str, str | None]] = [
        ("title", study.brief_title),
        ("nct_id", nct_id),
        ("overall_status", study.overall_status),
        ("phase", study.phase_label),
        ("sponsor", study.lead_sponsor),
        ("study_type", study.study_type),
        ("primary_condition", study.conditions[0] if study.conditions else None),
        ("countries", ", ".join(study.countries) or None),
    ]
    lines = ["---"]
    lines += [f"{key}: {yaml_scalar(str(value))}" for key, value in fields if value]
    if canonical:
        lines.append(f'canonical_url: "{canonical}"')
    lines.append(f'clinicaltrials_gov: "{ctgov_url(nct_id)}"')
    if study.last_update_post_date:
        lines.append(f"ct_last_update_post_date: {study.last_update_post_date}")
    if info is not None:
        lines.append(f'last_seen_at: "{iso_utc(info.last_seen)}"')
    found = freshness(study, now.date())
    if found.stale:
        # a flag an agent can test: the record says people can join but is probably old
        lines.append("possibly_stale: true")
        lines.append(f"stale_reasons: [{', '.join(str(r) for r in found.reasons)}]")
    lines += [f"source: {SOURCE_NOTE}", "---"]
    return lines


def _key_facts(study: Study) -> list[str]:
    design = study.protocol_section.design_module if study.protocol_section else None
    enrollment = design.enrollment_info if design else None
    enrollment_label = "Target Enrollment"
    if enrollment and str(enrollment.type or "") == "ACTUAL":
        enrollment_label = "Actual Enrollment"
    facts: list[tuple[str, object]] = [
        ("Status", study.overall_status),
        ("Phase", study.phase_label),
        ("Study Type", study.study_type),
        (enrollment_label, study.enrollment_count),
        ("Lead Sponsor", study.lead_sponsor),
        ("Collaborators", ", ".join(study.collaborators)),
        ("Conditions", ", ".join(study.conditions)),
        ("Start Date", study.start_date),
        ("Completion Date", study.completion_date),
        ("CT.gov Last Update", study.last_update_post_date),
    ]
    return [f"- **{label}:** {value}" for label, value in facts if value not in (None, "")]


def _eligibility(study: Study) -> list[str]:
    module = study.protocol_section.eligibility_module if study.protocol_section else None
    if module is None:
        return []
    facts: list[tuple[str, object]] = [
        ("Minimum age", module.minimum_age),
        ("Maximum age", module.maximum_age),
        ("Sex", module.sex),
    ]
    if module.healthy_volunteers is not None:
        facts.append(("Healthy Volunteers", "Yes" if module.healthy_volunteers else "No"))
    lines = [f"- **{label}:** {value}" for label, value in facts if value not in (None, "")]
    criteria = (module.eligibility_criteria or "").strip("\n")
    if criteria:
        fence = _fence(criteria)
        lines += ["", fence, criteria, fence]
    return lines


def _arms(study: Study) -> list[str]:
    module = study.protocol_section.arms_interventions_module if study.protocol_section else None
    lines = []
    for arm in (module.arm_groups if module else None) or []:
        kind = f" ({arm.type})" if arm.type else ""
        text = f" — {_one_line(arm.description)}" if arm.description else ""
        lines.append(f"- **{arm.label or 'Unnamed arm'}**{kind}{text}")
    return lines


def _interventions(study: Study) -> list[str]:
    lines = []
    for item in study.interventions:
        kind = f" ({item.type})" if item.type else ""
        text = f" — {_one_line(item.description)}" if item.description else ""
        lines.append(f"- **{item.name or 'Unnamed intervention'}**{kind}{text}")
    return lines


def _outcomes(outcomes: Sequence[Outcome] | None) -> list[str]:
    lines = []
    for outcome in outcomes or []:
        frame = f" _(time frame: {_one_line(outcome.time_frame)})_" if outcome.time_frame else ""
        text = f" — {_one_line(outcome.description)}" if outcome.description else ""
        lines.append(f"- **{_one_line(outcome.measure or 'Unnamed outcome')}**{frame}{text}")
    return lines


def _locations(study: Study) -> list[str]:
    lines = []
    for site in study.locations:
        place = ", ".join(p for p in (site.facility, site.city, site.state, site.country) if p)
        status = f" — _{site.status}_" if site.status else ""
        lines.append(f"- {place or 'Unnamed site'}{status}")
    return lines


def _short(value: object) -> str | None:
    if isinstance(value, str | int | float | bool) and len(str(value)) <= 60:
        return f"`{value}`"
    if isinstance(value, dict) and set(value) <= {"date", "type"} and value.get("date"):
        return f"`{value['date']}`"
    return None


def change_line(change: FieldChange) -> str:
    when = change.detected_at.date().isoformat() if change.detected_at else change.ct_date
    detail = str(change.kind)
    if change.kind is ChangeKind.CHANGED:
        old, new = _short(change.old), _short(change.new)
        if old and new:
            detail = f"changed from {old} to {new}"
    return f"- `{change.path}` — {detail} _({when})_"


def _recent_changes(changes: Sequence[FieldChange], now: datetime) -> list[str]:
    cutoff = now - timedelta(days=RECENT_DAYS)
    recent = [c for c in changes if c.detected_at is None or c.detected_at >= cutoff]
    return [change_line(c) for c in recent]


def render_markdown(
    study: Study,
    *,
    info: VersionInfo | None = None,
    changes: Sequence[FieldChange] = (),
    canonical_url: str | None = None,
    now: datetime | None = None,
) -> str:
    """The agent page of one study, as seed 000 lays it out."""
    now = now or datetime.now(UTC)
    nct_id = study.nct_id or ""
    title = study.brief_title or study.official_title or nct_id
    out = [*_frontmatter(study, info, canonical_url, now), f"# {_one_line(title)}", ""]
    if study.official_title:
        out += [f"**Official Title:** {_one_line(study.official_title)}", ""]
    out += [f"**NCT ID:** [{nct_id}]({ctgov_url(nct_id)})", ""]

    description = study.protocol_section.description_module if study.protocol_section else None
    outcomes = study.protocol_section.outcomes_module if study.protocol_section else None
    sections: list[tuple[str, list[str]]] = [
        ("Key Facts", _key_facts(study)),
        (
            "Brief Summary",
            _paragraph(description.brief_summary if description else None),
        ),
        (
            "Detailed Description",
            _paragraph(description.detailed_description if description else None),
        ),
        ("Eligibility", _eligibility(study)),
        ("Arms", _arms(study)),
        ("Interventions", _interventions(study)),
        ("Primary Outcomes", _outcomes(outcomes.primary_outcomes if outcomes else None)),
        ("Secondary Outcomes", _outcomes(outcomes.secondary_outcomes if outcomes else None)),
        ("Other Outcomes", _outcomes(outcomes.other_outcomes if outcomes else None)),
        (f"Locations ({len(study.locations)})", _locations(study)),
        (f"Recent Field Changes (last {RECENT_DAYS} days)", _recent_changes(changes, now)),
    ]
    for heading, body in sections:
        if body:
            out += [f"## {heading}", "", *body, ""]
    out.append("---")
    out.append("")
    if canonical_url:
        out.append(f"*Canonical: {canonical_url}*  ")
    out.append(f"*Source data (authoritative): {ctgov_url(nct_id)}*  ")
    out.append(f"*{MIRROR_NOTE}*")
    return "\n".join(out) + "\n"
