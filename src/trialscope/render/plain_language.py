"""The plain-language view of one trial (seed 004), written from what was computed.

Every sentence here is written by trialscope from the record's structured fields and
from the criteria parser's output (constraints, named conditions, earlier treatments),
through the phrase tables of :mod:`plain_phrases`. Nothing is copied from free text
except short registry names (a condition, an arm label) that a view shows quoted. A
field the record does not give is said to be missing, never guessed. Sentences are kept
short so a page reads at or below US school grade 8 (tests measure it with textstat).

Used by the web patient page, the JSON API (``/api/v2/studies/{nct}/plain``) and
anything else that wants the same words; no shell imports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from trialscope.criteria import ParsedCriteria
from trialscope.criteria.vocabulary import terminology
from trialscope.errors import NotFoundError
from trialscope.record import Study, format_partial_date, parse_age
from trialscope.record.ages import Age
from trialscope.record.freshness import Freshness, StaleReason, freshness
from trialscope.render.card import PHASE_NOT_GIVEN, STATUS_NOT_GIVEN, status_word
from trialscope.render.plain_disease import (
    disease_concepts,
    disease_phrase,
    join_words,
    record_disease,
)
from trialscope.render.plain_eligibility import needs as eligibility_needs
from trialscope.render.plain_eligibility import reasons as eligibility_reasons
from trialscope.render.plain_phrases import (
    ARM_KINDS,
    INTERVENTION_KINDS,
    INTERVENTION_OTHER,
    NO_PHASE,
    PHASE_NA,
    PHASE_SENTENCES,
    PURPOSE_SENTENCES,
    WHY_OTHER,
    WHY_SENTENCES,
)
from trialscope.vocab import label_of

if TYPE_CHECKING:
    from trialscope.store import Store

#: at most this many needs and reasons are written out; the quoted list has them all
MAX_POINTS = 6

NO_STATUS = "The record does not give a recruitment status. Check with the study team."
STATUS_SENTENCES = {
    "RECRUITING": "The record says the study is looking for people to join.",
    "NOT_YET_RECRUITING": "The record says the study will look for people soon.",
    "ENROLLING_BY_INVITATION": "The record says only people the study team asks can join.",
    "ACTIVE_NOT_RECRUITING": "The record says the study is still going on, "
    "but it does not take new people.",
    "COMPLETED": "The record says the study has ended.",
    "SUSPENDED": "The record says the study is on hold for now.",
    "TERMINATED": "The record says the study was stopped early.",
    "WITHDRAWN": "The record says the study was stopped before anyone joined.",
    "UNKNOWN": "The record's status is unknown. It has not been checked in a long time.",
    "AVAILABLE": "The record says the treatment can be given outside of a study.",
    "NO_LONGER_AVAILABLE": "The record says the treatment is no longer given this way.",
    "TEMPORARILY_NOT_AVAILABLE": "The record says the treatment is not given for now.",
    "APPROVED_FOR_MARKETING": "The record says the treatment is now approved for sale.",
    "WITHHELD": "The record does not show its status to the public.",
}


@dataclass(slots=True)
class PlainLanguage:
    """trialscope's own sentences about one trial, by section of the patient page."""

    nct_id: str
    lead: list[str] = field(default_factory=list)
    #: the warning that the record is probably out of date, or None
    stale: str | None = None
    #: the disease in lay terms, e.g. "colorectal cancer that has spread to the liver"
    disease: str | None = None
    studies: list[str] = field(default_factory=list)
    tested: list[str] = field(default_factory=list)
    good_fit: list[str] = field(default_factory=list)
    #: the key requirements, one short sentence each (after good_fit)
    needs: list[str] = field(default_factory=list)
    not_fit: list[str] = field(default_factory=list)
    #: the main reasons someone is not a fit, one short sentence each (after not_fit)
    reasons: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    join: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    #: Quick facts words: the status and phase as the record gives them, or "not given"
    status_fact: str = STATUS_NOT_GIVEN
    phase_fact: str | None = None
    freshness: Freshness | None = None

    def all_sentences(self) -> list[str]:
        return [
            *self.lead,
            *([self.stale] if self.stale else []),
            *self.studies,
            *self.tested,
            *self.good_fit,
            *self.needs,
            *self.not_fit,
            *self.reasons,
            *self.why,
            *self.join,
            *self.steps,
        ]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["freshness"] = self.freshness.to_json() if self.freshness else None
        return data


# --- status, phase, staleness ---------------------------------------------------------


def status_sentence(study: Study) -> str:
    status = str(study.overall_status or "")
    if not status:
        return NO_STATUS
    return STATUS_SENTENCES.get(status, f"The record gives the status {status.lower()}.")


def stale_sentence(found: Freshness) -> str | None:
    """The warning for a probably stale record, in plain words."""
    if not found.stale:
        return None
    parts = []
    if StaleReason.COMPLETION_PASSED in found.reasons:
        parts.append(f"The study was due to end by {_human(found.completion_date)}.")
    if StaleReason.NOT_UPDATED in found.reasons:
        parts.append(f"The record was last updated on {_human(found.last_update)}.")
    return (
        "This record may be out of date. "
        + " ".join(parts)
        + " Ask the study team if it still takes people."
    )


def _human(text: str | None) -> str:
    return format_partial_date(text, human=True) or "an unknown date"


def _phase_lines(study: Study) -> list[str]:
    study_type = str(study.study_type or "")
    if study_type == "OBSERVATIONAL":
        return [
            "This is an observational study. The team watches and writes down what happens.",
            "It does not give you a new treatment.",
        ]
    if study_type == "EXPANDED_ACCESS":
        return ["This is an expanded access program. It lets some people get a new drug."]
    codes = [str(p) for p in study.phases]
    if not codes:
        return [NO_PHASE]
    if codes == ["NA"]:
        return [PHASE_NA]
    known = [c for c in codes if c != "NA"]
    if len(known) > 1:
        numbers = " and ".join(c.removeprefix("PHASE") for c in known)
        return [f"It is a phase {numbers} study.", PHASE_SENTENCES.get(known[-1], "")]
    return [PHASE_SENTENCES.get(known[0], f"The record gives the phase {known[0].lower()}.")]


def _study_type_line(study: Study) -> list[str]:
    if study.study_type is None:
        return ["The record does not say what type of study this is."]
    return []


# --- ages, sex, volunteers ------------------------------------------------------------


def _age_words(age: Age) -> str:
    unit = age.unit.singular.lower() if age.value == 1 else age.unit.value.lower()
    return f"{age.value:g} {unit}"


def age_fit(study: Study) -> tuple[str, str | None]:
    """The good-fit and not-a-fit sentences about age."""
    low, high = parse_age(study.min_age), parse_age(study.max_age)
    # "0 years" is no lower limit; "100 years" or more (CT.gov forms say 120) no upper one
    if low is not None and low.value == 0:
        low = None
    if high is not None and high.years >= 100:
        high = None
    if low and high:
        return (
            f"You may fit if you are {_age_words(low)} to {_age_words(high)} old.",
            f"You do not fit if you are younger than {_age_words(low)}"
            f" or older than {_age_words(high)}.",
        )
    if low:
        return (
            f"You may fit if you are {_age_words(low)} old or older.",
            f"You do not fit if you are younger than {_age_words(low)}.",
        )
    if high:
        return (
            f"You may fit if you are {_age_words(high)} old or younger.",
            f"You do not fit if you are older than {_age_words(high)}.",
        )
    return ("The record gives no age limits.", None)


def _sex_fit(sex: str | None) -> tuple[str | None, str | None]:
    if sex == "FEMALE":
        return "Only women can join.", "Men cannot join."
    if sex == "MALE":
        return "Only men can join.", "Women cannot join."
    if sex == "ALL":
        return "Both women and men can join.", None
    return None, None


# --- what is being tested -------------------------------------------------------------


def _tested(study: Study) -> list[str]:
    protocol = study.protocol_section
    module = protocol.arms_interventions_module if protocol else None
    lines: list[str] = []
    kinds: dict[str, int] = {}
    for intervention in study.interventions:
        kind = str(intervention.type or "OTHER")
        kinds[kind] = kinds.get(kind, 0) + 1
    if kinds:
        phrases = []
        for kind, count in kinds.items():
            one, many = INTERVENTION_KINDS.get(kind, INTERVENTION_OTHER)
            phrases.append(one if count == 1 else f"{count} {many}")
        lines.append(f"The study looks at {join_words(phrases)}.")
    elif str(study.study_type or "") == "INTERVENTIONAL":
        lines.append("The record does not list what the study gives people.")
    arms = (module.arm_groups if module else None) or []
    observational = str(study.study_type or "") == "OBSERVATIONAL"
    if len(arms) > 1 and observational:
        lines.append(f"The study follows {len(arms)} groups of people.")
    elif len(arms) == 1 and not observational:
        lines.append("Everyone in the study gets the same plan.")
    elif len(arms) > 1:
        lines.append(f"People are put in {len(arms)} groups. Each group gets its own plan.")
        types = {str(a.type or "") for a in arms}
        if "EXPERIMENTAL" in types and types & {
            "ACTIVE_COMPARATOR",
            "PLACEBO_COMPARATOR",
            "SHAM_COMPARATOR",
            "NO_INTERVENTION",
        }:
            lines.append("The team compares the new approach with another choice.")
    return lines


def arm_summaries(study: Study) -> list[tuple[str, str | None]]:
    """(our words for what the group gets, the registry's label) per arm."""
    protocol = study.protocol_section
    module = protocol.arms_interventions_module if protocol else None
    out = []
    for number, arm in enumerate((module.arm_groups if module else None) or [], 1):
        kind = ARM_KINDS.get(str(arm.type or ""), "gets the plan named below")
        out.append((f"Group {number} {kind}.", arm.label))
    return out


def _design_lines(study: Study) -> list[str]:
    protocol = study.protocol_section
    design = protocol.design_module if protocol else None
    info = design.design_info if design else None
    lines: list[str] = []
    if info and str(info.allocation or "") == "RANDOMIZED":
        lines.append("Chance decides which group you are in, like the flip of a coin.")
    masking = str(info.masking_info.masking or "") if info and info.masking_info else ""
    if masking == "NONE":
        lines.append("You and your doctor will know which treatment you get.")
    elif masking:
        lines.append("You may not know which treatment you get until the end.")
    return lines


# --- the whole view -------------------------------------------------------------------


def _count_line(n: int, one: str, many: str) -> str:
    return one if n == 1 else many.format(n=n)


def plain_language(
    study: Study, parsed: ParsedCriteria | None = None, *, today: date | None = None
) -> PlainLanguage:
    """All of trialscope's own sentences about one trial. ``parsed`` is the stored
    parse of its criteria (None: only the record's structured fields speak)."""
    text = PlainLanguage(nct_id=study.nct_id or "")
    text.freshness = freshness(study, today)
    text.stale = stale_sentence(text.freshness)
    text.status_fact = status_fact(study)
    text.phase_fact = phase_fact(study)
    text.lead = [status_sentence(study), *_phase_lines(study)[:1], *_study_type_line(study)]

    protocol = study.protocol_section
    design = protocol.design_module if protocol else None
    purpose = ""
    if design and design.design_info and design.design_info.primary_purpose:
        purpose = str(design.design_info.primary_purpose)
    concepts = disease_concepts(study, parsed)
    text.disease = disease_phrase(concepts) or record_disease(study, terminology())
    eligibility = protocol.eligibility_module if protocol else None
    healthy = eligibility.healthy_volunteers if eligibility else None
    # a prevention or screening study, or one open to healthy people, is about a
    # disease without being only for people who have it
    for_patients = healthy is not True and purpose not in {"PREVENTION", "SCREENING"}
    if text.disease and for_patients:
        text.studies.append(f"The study is for people with {text.disease}.")
    elif text.disease:
        text.studies.append(f"The study is about {text.disease}.")
    elif study.conditions:
        text.studies.append(
            _count_line(
                len(study.conditions),
                "The study is about the health problem named below.",
                "The study is about the {n} health problems named below.",
            )
        )
    else:
        text.studies.append("The record does not name the health problem it studies.")
    if str(study.study_type or "") != "OBSERVATIONAL" and purpose in PURPOSE_SENTENCES:
        text.studies.append(PURPOSE_SENTENCES[purpose])
    text.studies.extend(_phase_lines(study)[1:])
    text.tested = [*_tested(study), *_design_lines(study)]

    fit, unfit = age_fit(study)
    text.good_fit.append(fit)
    sex_fit, sex_unfit = _sex_fit(str(eligibility.sex) if eligibility and eligibility.sex else None)
    if sex_fit:
        text.good_fit.append(sex_fit)
    if healthy is True:
        text.good_fit.append("People who are healthy can join too.")
    if text.disease and for_patients:
        text.good_fit.append(f"You may fit if you have {text.disease}.")
    needs = eligibility_needs(parsed) if parsed else []
    if needs:
        text.good_fit.append("Other things the study looks for:")
        text.needs = [f"{_cap(need)}." for need in needs[:MAX_POINTS]]
    if unfit:
        text.not_fit.append(unfit)
    if sex_unfit:
        text.not_fit.append(sex_unfit)
    if healthy is False:
        text.not_fit.append("People who are healthy cannot join.")
    reasons = eligibility_reasons(parsed, concepts) if parsed else []
    if reasons:
        text.not_fit.append("Things that may keep you out:")
        text.reasons = [f"{_cap(reason)}." for reason in reasons[:MAX_POINTS]]

    text.why.append(WHY_SENTENCES.get(purpose, WHY_OTHER))
    text.why.extend(_enrollment_lines(study))
    if study.has_results is True:
        text.why.append("The results of this study have been posted.")
    elif study.has_results is False:
        text.why.append("No results have been posted yet.")

    text.join.append(status_sentence(study))
    if text.stale:
        text.join.append("The record may be out of date, so check with the team first.")
    sites = len(study.locations)
    if sites == 1:
        text.join.append("The record lists one place where the study runs.")
    elif sites > 1:
        text.join.append(f"The record lists {sites} places where the study runs.")
    else:
        text.join.append("The record does not list where the study runs.")
    text.steps = [
        "Read the lists above with your doctor.",
        "Check the official study page. It has the latest news on who can join.",
        "Call or write to the study team to ask for a first check. "
        "Asking is free. It does not mean you have to join.",
    ]
    return text


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _enrollment_lines(study: Study) -> list[str]:
    count = study.enrollment_count
    if not count:
        return []
    protocol = study.protocol_section
    design = protocol.design_module if protocol else None
    kind = str(design.enrollment_info.type or "") if design and design.enrollment_info else ""
    if kind == "ACTUAL":
        return [f"In all, {count} people took part."]
    if kind == "ESTIMATED":
        return [f"The team plans to have {count} people take part."]
    return [f"The record gives {count} as the number of people in the study."]


def status_fact(study: Study) -> str:
    """The status as the record gives it, in the website's words, or "not given"."""
    return status_word(study.overall_status)


def phase_fact(study: Study) -> str | None:
    """The phase as the record gives it; "Not given in the record" for a study type
    that has phases but none given; None where phases do not belong (observational)."""
    if study.phases:
        return ", ".join(label_of(p) or str(p) for p in study.phases)
    if str(study.study_type or "") in {"OBSERVATIONAL", "EXPANDED_ACCESS"}:
        return None
    return PHASE_NOT_GIVEN


def stored_parse(store: Store, nct_id: str) -> ParsedCriteria | None:
    """The criteria parse the import stored (an older parser's too); None when there is
    none. Never parses nor writes: views stay read-only and fast."""
    from trialscope.criteria.store import load_parse

    try:
        return load_parse(store, nct_id, parse_if_missing=False).parsed
    except NotFoundError:
        return None


def plain_for(store: Store, study: Study, today: date | None = None) -> PlainLanguage:
    """:func:`plain_language` of a stored study, from its stored criteria parse."""
    return plain_language(study, stored_parse(store, study.nct_id or ""), today=today)


_TEXT_SECTIONS = (
    ("What this trial studies", ("studies",)),
    ("What is being tested", ("tested",)),
    ("Good fit", ("good_fit", "needs")),
    ("Not a fit", ("not_fit", "reasons")),
    ("Why it matters", ("why",)),
    ("How to take part", ("join", "steps")),
)


def render_plain_text(view: PlainLanguage, title: str | None = None) -> str:
    """The plain-language view as text (``trialscope show --format plain``)."""
    out = [title or view.nct_id, ""]
    out += [*view.lead, *([f"Warning: {view.stale}"] if view.stale else []), ""]
    out += [f"Status: {view.status_fact}"]
    if view.phase_fact:
        out.append(f"Phase: {view.phase_fact}")
    out.append("")
    for heading, names in _TEXT_SECTIONS:
        lines: list[str] = []
        for name in names:
            items = getattr(view, name)
            bullet = "  - " if name in {"needs", "reasons", "steps"} else ""
            lines += [f"{bullet}{line}" for line in items]
        if lines:
            out += [heading, *lines, ""]
    out.append("The study's own criteria: trialscope show " + view.nct_id + " --format text")
    return "\n".join(out) + "\n"
