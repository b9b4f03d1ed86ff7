"""The plain-language sentences of the patient page (seed 004).

Every sentence here is written by trialscope from the structured fields of the
record (status, phase, purpose, design, ages, sex, healthy volunteers), never
copied from free text, and kept short so the page reads at or below US school
grade 8 (measured with textstat in the tests). Registry text (titles, summary,
conditions, criteria) is shown apart, quoted, by the template.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trialscope.record import Study, parse_age
from trialscope.record.ages import Age

_STATUS = {
    "RECRUITING": "The study is looking for people to join now.",
    "NOT_YET_RECRUITING": "The study will look for people soon. It has not started yet.",
    "ENROLLING_BY_INVITATION": "Only people the study team asks can join.",
    "ACTIVE_NOT_RECRUITING": "The study is still going on, but it does not take new people.",
    "COMPLETED": "The study has ended. It does not take new people.",
    "UNKNOWN": "We do not know if the study still takes people. Its record is old.",
    "AVAILABLE": "The drug can be given to some people outside of a study.",
}
_STATUS_OTHER = "The study does not take new people right now."

_PHASE = {
    "EARLY_PHASE1": "It is an early phase 1 study: one of the first tests in people.",
    "PHASE1": "It is a phase 1 study. It checks if a new treatment is safe and finds a good dose.",
    "PHASE2": "It is a phase 2 study. It checks if a treatment works and is safe.",
    "PHASE3": "It is a phase 3 study. It compares a new treatment with the usual care.",
    "PHASE4": "It is a phase 4 study. The treatment is already in use. The study learns more.",
}
_PHASE_REACH = {
    "EARLY_PHASE1": "Only a few people take part in a study like this.",
    "PHASE1": "Only a few people take part in a study like this.",
    "PHASE2": "A study like this often has tens to hundreds of people.",
    "PHASE3": "A study like this often has hundreds or thousands of people.",
    "PHASE4": "What it finds can help doctors use the treatment well.",
}

_PURPOSE = {
    "TREATMENT": "The goal is to find a better way to treat a health problem.",
    "PREVENTION": "The goal is to find a way to stop a health problem before it starts.",
    "DIAGNOSTIC": "The goal is to find a better way to tell if someone has a health problem.",
    "SUPPORTIVE_CARE": "The goal is to help people feel better while they get care.",
    "SCREENING": "The goal is to find a health problem early, before signs show up.",
    "BASIC_SCIENCE": "The goal is to learn how the body or an illness works.",
    "HEALTH_SERVICES_RESEARCH": "The goal is to learn how to give care in a better way.",
    "DEVICE_FEASIBILITY": "The goal is to see if a new device can be used.",
    "ECT": "The goal is to test a way to teach, train or give advice.",
}
_PURPOSE_OTHER = "The goal is to learn more about a health problem."

_WHY = {
    "TREATMENT": "If it works, people with this health problem may get a better treatment.",
    "PREVENTION": "If it works, fewer people may get this health problem.",
    "DIAGNOSTIC": "If it works, doctors may find this health problem sooner and more often.",
    "SUPPORTIVE_CARE": "If it works, people may feel better during their care.",
    "SCREENING": "If it works, more people may learn early that they have this problem.",
}
_WHY_OTHER = "What the team learns may help doctors care for people in the future."


@dataclass(slots=True)
class PatientText:
    """Sentences of the patient page, by section; all written by trialscope."""

    lead: list[str] = field(default_factory=list)
    studies: list[str] = field(default_factory=list)
    good_fit: list[str] = field(default_factory=list)
    not_fit: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    join: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def all_sentences(self) -> list[str]:
        return [
            *self.lead,
            *self.studies,
            *self.good_fit,
            *self.not_fit,
            *self.why,
            *self.join,
            *self.steps,
        ]


def _age_words(age: Age) -> str:
    number = f"{age.value:g}"
    unit = age.unit.value.lower()
    if age.value == 1:
        unit = age.unit.singular.lower()
    return f"{number} {unit}"


def _age_range(study: Study) -> tuple[Age | None, Age | None]:
    return parse_age(study.min_age), parse_age(study.max_age)


def age_fit(study: Study) -> tuple[str, str | None]:
    """The good-fit and not-a-fit sentences about age."""
    low, high = _age_range(study)
    old = " old"
    if low and high:
        return (
            f"You may fit if you are {_age_words(low)} to {_age_words(high)}{old}.",
            f"You do not fit if you are younger than {_age_words(low)}"
            f" or older than {_age_words(high)}.",
        )
    if low:
        return (
            f"You may fit if you are {_age_words(low)}{old} or older.",
            f"You do not fit if you are younger than {_age_words(low)}.",
        )
    if high:
        return (
            f"You may fit if you are {_age_words(high)}{old} or younger.",
            f"You do not fit if you are older than {_age_words(high)}.",
        )
    return ("People of any age may fit.", None)


def _sex_fit(sex: str | None) -> tuple[str | None, str | None]:
    if sex == "FEMALE":
        return "Only women can join.", "Men cannot join."
    if sex == "MALE":
        return "Only men can join.", "Women cannot join."
    if sex == "ALL":
        return "Both women and men can join.", None
    return None, None


def _phase_lines(study: Study) -> list[str]:
    phases = [str(p) for p in study.phases if str(p) != "NA"]
    study_type = str(study.study_type or "")
    if study_type == "OBSERVATIONAL":
        return [
            "This is an observational study.",
            "The team watches and writes down what happens to people.",
            "It does not give you a new treatment.",
        ]
    if study_type == "EXPANDED_ACCESS":
        return [
            "This is an expanded access program.",
            "It lets some people get a drug that is not yet approved.",
        ]
    if not phases:
        return ["This study tests a treatment or a way to give care. It has no drug phase."]
    lines = [_PHASE.get(p, f"It is a {p.lower()} study.") for p in phases]
    if len(phases) > 1:
        lines = [f"It is a phase {' and '.join(p[-1] for p in phases)} study.", *lines[-1:]]
    reach = _PHASE_REACH.get(phases[-1])
    return [*lines, *([reach] if reach else [])]


def _design_lines(study: Study) -> list[str]:
    protocol = study.protocol_section
    design = protocol.design_module if protocol else None
    info = design.design_info if design else None
    arms = protocol.arms_interventions_module if protocol else None
    lines: list[str] = []
    if info and str(info.allocation or "") == "RANDOMIZED":
        lines.append("Chance decides which group you are in, like the flip of a coin.")
    masking = str(info.masking_info.masking or "") if info and info.masking_info else ""
    if masking == "NONE":
        lines.append("You and your doctor will know which treatment you get.")
    elif masking:
        lines.append("You may not know which treatment you get until the end.")
    arm_types = {str(a.type or "") for a in ((arms.arm_groups if arms else None) or [])}
    if "PLACEBO_COMPARATOR" in arm_types:
        lines.append("Some people may get a placebo. It looks like the real thing but has no drug.")
    if "SHAM_COMPARATOR" in arm_types:
        lines.append("Some people may get a fake treatment. It looks real but does not act.")
    return lines


def _count(n: int, one: str, many: str) -> str:
    return one if n == 1 else many.format(n=n)


def patient_text(study: Study, *, needs: int = 0, limits: int = 0) -> PatientText:
    """All of trialscope's own sentences for one trial's patient page; ``needs`` and
    ``limits`` count the inclusion and exclusion criteria shown below them."""
    text = PatientText()
    status = str(study.overall_status or "")
    conditions = len(study.conditions)
    treatments = len(study.interventions)

    text.lead.append(_STATUS.get(status, _STATUS_OTHER))
    text.lead.extend(_phase_lines(study)[:2])

    protocol = study.protocol_section
    design = protocol.design_module if protocol else None
    purpose = ""
    if design and design.design_info and design.design_info.primary_purpose:
        purpose = str(design.design_info.primary_purpose)
    if conditions == 1:
        text.studies.append("The study is about one health problem. It is named below.")
    elif conditions > 1:
        text.studies.append(f"The study is about {conditions} health problems. They are below.")
    if str(study.study_type or "") != "OBSERVATIONAL":
        text.studies.append(_PURPOSE.get(purpose, _PURPOSE_OTHER))
    if treatments == 1:
        text.studies.append("It looks at one treatment or test. The record names it below.")
    elif treatments > 1:
        text.studies.append(f"It looks at {treatments} treatments or tests. They are below.")
    text.studies.extend(_design_lines(study))
    text.studies.append("The words in the quote boxes come from the study record.")

    eligibility = protocol.eligibility_module if protocol else None
    fit, unfit = age_fit(study)
    text.good_fit.append(fit)
    sex_fit, sex_unfit = _sex_fit(str(eligibility.sex) if eligibility and eligibility.sex else None)
    if sex_fit:
        text.good_fit.append(sex_fit)
    healthy = eligibility.healthy_volunteers if eligibility else None
    if healthy is True:
        text.good_fit.append("People who are healthy can join too.")
    elif healthy is False:
        text.good_fit.append("You need to have the health problem the study is about.")
    if needs:
        text.good_fit.append(
            _count(
                needs,
                "The team lists one more thing you need:",
                "The team lists {n} more things you need:",
            )
        )
    if unfit:
        text.not_fit.append(unfit)
    if sex_unfit:
        text.not_fit.append(sex_unfit)
    if healthy is False:
        text.not_fit.append("People who are healthy cannot join.")
    if limits:
        text.not_fit.append(
            _count(limits, "One more thing may keep you out:", "{n} more things may keep you out:")
        )

    text.why.append(_WHY.get(purpose, _WHY_OTHER))
    text.why.extend(_phase_lines(study)[2:])
    count = study.enrollment_count
    if count:
        design_info = design.enrollment_info if design else None
        if design_info and str(design_info.type or "") == "ACTUAL":
            text.why.append(f"In all, {count} people took part.")
        else:
            text.why.append(f"The team plans to have {count} people take part.")
    if study.has_results:
        text.why.append("The results of this study have been posted.")
    else:
        text.why.append("No results have been posted yet.")

    text.join.append(_STATUS.get(status, _STATUS_OTHER))
    sites = len(study.locations)
    if sites == 1:
        text.join.append("The study runs at one place.")
    elif sites > 1:
        text.join.append(f"The study runs at {sites} places.")
    text.steps = [
        "Read the lists above with your doctor.",
        "Check the official study page. It has the latest news on who can join.",
        "Call or write to the study team to ask for a first check. "
        "Asking is free. It does not mean you have to join.",
    ]
    return text
