"""What an item names -- conditions, therapies, pregnancy -- against the patient's record.

Named things come in slots (the lexicon and the vocabulary may both name the same
words: either id matching is enough), slots with no connective between them qualify
each other and must all hold, and runs of them joined by "or", commas or "and" are
alternatives. What one name means for the patient is read by kind: conditions
(:mod:`~trialscope.match.conditions`), therapies (:mod:`~trialscope.match.therapies`),
pregnancy (:mod:`~trialscope.match.pregnancy`), biomarkers and stage; what the words
around a name say, whoever the patient is, by :mod:`~trialscope.match.wording`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from trialscope.criteria import Item, Mention
from trialscope.match.biomarkers import judge_biomarker
from trialscope.match.bounds import ask, verdict_of
from trialscope.match.care_setting import judge_care_setting
from trialscope.match.concepts import ancestors, find_concepts
from trialscope.match.conditions import closed_world, seen_condition
from trialscope.match.facts import PatientFacts, derived_state
from trialscope.match.negated_runs import with_negated_runs
from trialscope.match.pregnancy import judge_pregnancy, pill_answers
from trialscope.match.setting import describe, untreated, wanted_setting
from trialscope.match.stage import judge_stage
from trialscope.match.therapies import seen_therapy, unsettled
from trialscope.match.vaccination import judge_vaccination
from trialscope.match.ventilation import judge_ventilation
from trialscope.match.verdicts import Basis, Part, Verdict, both, either
from trialscope.match.wording import is_other, only_if_had, qualifier, slug, title


def holds(item: Item, mention: Mention, facts: PatientFacts, own: frozenset[str]) -> Part:
    """Whether the patient has what ``mention`` names, read alone: its negation and the
    item's words around it ("≤ 5 × ULN if" before "liver metastases") set aside."""
    alone = replace(
        item, text=mention.text, span=mention.span, mentions=(mention,), constraints=(), windows=()
    )
    return _mention(alone, mention, facts, "inclusion", own, negate=False)


def _mention(
    item: Item,
    mention: Mention,
    facts: PatientFacts,
    kind: str,
    own: frozenset[str],
    negate: bool | None = None,
) -> Part:
    """Whether the item's statement about ``mention`` holds for the patient (``negate``
    overrides the mention's own negation)."""
    if mention.category in ("pregnancy", "breastfeeding", "contraception"):
        start = mention.span[0] - item.span[0]
        denied = (
            kind == "exclusion"
            and mention.negated
            and mention.concept in ("pregnancy", "breastfeeding")
        )
        no_capacity = denied and bool(_NO_CAPACITY.search(item.text))
        if no_capacity and mention.concept == "pregnancy":
            return _capacity(facts)
        if denied and not no_capacity:
            # "Patients must not be pregnant or breast feeding" under the exclusions, "women
            # without contraception, pregnant, or nursing": an exclusion of pregnancy is of
            # the pregnant -- no trial excludes every woman who is not
            mention = replace(mention, negated=False)
        if mention.category == "pregnancy" and _WISH.search(item.text, max(0, start - 40), start):
            # "Desire for pregnancy within 6 months": a wish, which no record holds
            if facts.has("pregnancy:plans") or facts.ruled_out("pregnancy:plans"):
                holds = bool(facts.has("pregnancy:plans")) != mention.negated
                return verdict_of(holds), "plans for pregnancy: as answered", Basis.FACT, [], []
            question = ask("pregnancy:plans", "Planning or wishing to become pregnant?")
            return Verdict.UNKNOWN, "plans for pregnancy: not known", Basis.NONE, [], [question]
        return judge_pregnancy(mention, facts, pill_answers(item, mention, kind))
    if mention.category in ("biomarker", "stage"):
        if negate is not None and negate != mention.negated:
            mention = replace(mention, negated=negate)
        judge = judge_biomarker if mention.category == "biomarker" else judge_stage
        return judge(mention, facts, kind)
    if mention.category in _STATUS_JUDGES:
        if negate is not None and negate != mention.negated:
            mention = replace(mention, negated=negate)
        part = _STATUS_JUDGES[mention.category](item, mention, facts)
        if (
            kind == "exclusion"
            and mention.negated
            and part[0] is Verdict.MET
            and _PROHIBITION.match(item.text)
        ):
            # "Exclusion: No prior influenza vaccine", "must not receive live vaccines": as
            # written it excludes everyone without it -- an inclusion's wording under the
            # wrong heading, or a rule for the study, as with conditions
            reason = f'{part[1]}, but the exclusion reads as a requirement ("{item.text[:40]}'
            reason += '…"; likely an inclusion under the wrong heading; a person should check)'
            return Verdict.UNKNOWN, reason, Basis.NONE, part[3], part[4]
        return part
    if mention.category == "prior_therapy":
        seen = seen_therapy(item, mention, facts)
    else:
        seen = seen_condition(item, mention, facts, own, kind)
    negate = mention.negated if negate is None else negate
    named = seen.named
    if (
        mention.category == "condition"
        and not seen.present
        and not seen.absent
        and not seen.broader  # "uncontrolled diabetes" for a diabetes on record: asked
    ):
        closed = closed_world(item, mention, facts, kind, own)
        if closed is not None:
            seen.absent, seen.kind = [closed], None
    if seen.unsettled and not seen.present and not seen.untimed:
        return unsettled(item, mention, seen, facts, negate)
    if seen.untimed and not seen.present:
        question = ask(f"when:{mention.concept}", f"When was the {named}?", "date")
        reason = f"patient has {named}, but not when or for how long"
        return Verdict.UNKNOWN, reason, Basis.NONE, seen.untimed, [question]
    if seen.kind is not None and not seen.present:
        code = f"kind:{slug(seen.kind)}"  # one key whichever id space named it
        if facts.has(code) or facts.ruled_out(code):  # answered in the questionnaire
            has = bool(facts.has(code))
            verdict = Verdict.MET if has != negate else Verdict.NOT_MET
            return verdict, f"{seen.kind}: {'yes' if has else 'no'} (answered)", Basis.FACT, [], []
        question = ask(f"{mention.category}:{code}", f"{seen.kind}?")
        reason = f"patient has {seen.broader[0].fact.split(' (')[0]}; is it {seen.kind}?"
        return Verdict.UNKNOWN, reason, Basis.NONE, seen.broader, [question]
    if seen.present and negate and kind == "exclusion" and _INCLUSION_WORDING.match(item.text):
        reason = f'patient has {named}, but the exclusion reads "No {named}" (likely an '
        reason += "inclusion under the wrong heading; a person should check)"
        return Verdict.UNKNOWN, reason, Basis.NONE, seen.present, []
    if seen.present and negate and kind != "exclusion" and _denies_own(item, mention, own):
        # "No histologically evident invasive tumor" in a breast cancer trial cannot deny
        # the disease every patient of it has: residual or other disease is meant
        reason = f"patient has {named}, which the trial is about: the criterion must mean only "
        reason += "some of it (a kind, a residual or another disease); a person should check"
        return Verdict.UNKNOWN, reason, Basis.NONE, seen.present, []
    if seen.present:
        verdict = Verdict.NOT_MET if negate else Verdict.MET
        if negate and _UNTREATED.search(mention.text):
            # "Previously untreated", "TKI treatment naive": the negation is in the name
            given = ", ".join(dict.fromkeys(e.fact.split(" (")[0] for e in seen.present))
            return (
                verdict,
                f"patient has had {given}: not {mention.text.lower()}",
                Basis.FACT,
                seen.present,
                [],
            )
        states = [e.fact.split(" (active)")[0] for e in seen.present if derived_state(e.fact)]
        if states and len(states) == len(seen.present):
            # a state taken from a drug: "patient is immunosuppressed (on prednisone)"
            return (
                verdict,
                f"patient is {states[0]}, counted as {named}",
                Basis.FACT,
                seen.present,
                [],
            )
        return verdict, f"patient has {named}", Basis.FACT, seen.present, []
    if seen.absent and not negate and kind != "exclusion" and only_if_had(item, mention):
        # "At least 4 weeks since prior radiotherapy", "No more than 2 prior regimens":
        # asks about a therapy only if the patient had it
        reason = f"no {named}: nothing to wait for or count"
        return Verdict.MET, reason, Basis.FACT, seen.absent, []
    if (
        seen.absent
        and negate
        and kind == "exclusion"
        and (_INCLUSION_WORDING.match(item.text) or _required_before(item, mention))
    ):
        # "Exclusion: No known HIV+ or active hepatitis": as written it excludes everyone
        # without HIV -- an inclusion's wording under the wrong heading, as a rule
        reason = f'the exclusion reads "No {named}" (as written it would exclude a patient '
        reason += "without it: likely an inclusion under the wrong heading; a person should check)"
        return Verdict.UNKNOWN, reason, Basis.NONE, seen.absent, []
    if seen.absent:
        verdict = Verdict.MET if negate else Verdict.NOT_MET
        fact = seen.absent[0].fact
        if fact.startswith("primary cancer: "):
            reason = f"the patient's primary cancer is {fact[16:]}, not {named}"
        elif fact.startswith("cancer type: "):
            reason = f"the patient's cancer is {fact[13:]}, not {named}"
        elif fact == "healthy":
            reason = f"the patient is healthy: no {named}"
        elif fact.endswith("not as long"):
            reason = f"{named}, but not for as long as the criterion says ({fact.split(': ')[0]})"
        elif fact.endswith("not long enough"):
            reason = f"{named} for less long than the criterion asks ({fact.split(': ')[0]})"
        elif fact.endswith(("not now", "before the window")):
            reason = f"no {named} in the time the criterion asks about"
        elif fact.endswith("not as many as the criterion counts"):
            # "Use of 3 or more oral antidiabetic drugs" for two: the drugs are there
            reason = f"fewer {named} than the criterion counts ({fact.split(': ')[0]})"
        elif fact.endswith("to another site"):
            reason = f"the patient's {named} went to another site ({fact.split(',')[0]})"
        elif fact.endswith(("not confirmed", " only")) and "confirmed" in fact:
            reason = f"{named}: {fact.rsplit(': ', 1)[1]}"
        elif fact.endswith(("a former smoker", "a current smoker")):
            reason = f"{named}: the patient is {fact.rsplit(': ', 1)[1]}"
        elif fact.endswith("in another setting"):
            reason = f"no {named} for the {describe(wanted_setting(item, mention) or 'early')}"
        else:
            reason = f"patient does not have {named}"
        return verdict, reason, Basis.FACT, seen.absent, []
    question = ask(f"{mention.category}:{mention.concept}", f"{title(mention)}?")
    # a complete history rules out what it does not name -- for exclusions; for an
    # inclusion silence is not a "no" (experts label it "not enough information")
    if facts.patient.complete_history and not negate and kind == "exclusion":
        reason = f"{named} is not in the patient's history"
        return Verdict.NOT_MET, reason, Basis.ABSENCE, [], [question]
    if (
        facts.patient.complete_history
        and negate
        and kind != "exclusion"
        and is_other(item, mention)
    ):
        # "no other malignancy within 5 years": an exclusion in disguise, read the same way
        reason = f"{named} is not in the patient's history"
        return Verdict.MET, reason, Basis.ABSENCE, [], [question]
    if (
        facts.patient.complete_history
        and negate
        and kind != "exclusion"
        and mention.category == "prior_therapy"
        and untreated(item)
    ):
        # "previously untreated", "treatment-naive": a full history lists what was given
        reason = f"no {named} in the patient's history"
        return Verdict.MET, reason, Basis.ABSENCE, [], [question]
    return Verdict.UNKNOWN, f"{named}: not known", Basis.NONE, [], [question]


_WISH = re.compile(
    r"\b(?:desir\w*|wish\w*|want\w*|plan\w*|intend\w*|intention|trying|attempting|hop\w*)"
    r"(?:\s+(?:for|to|of|on))?(?:\s+(?:become|get|a))?[\s-]*\Z",
    re.I,
)
# "Participants must have recovered ..., and not have had radiation pneumonitis": a
# requirement in an exclusion's sentence, the same wording as "No ..."
_REQUIRED = re.compile(r"\b(?:must|should|shall|required|need\s+to|needs\s+to)\b", re.I)


def _required_before(item: Item, mention: Mention) -> bool:
    at = mention.span[0] - item.span[0]
    sentence = max(item.text.rfind(". ", 0, at), item.text.rfind("; ", 0, at)) + 1
    return _REQUIRED.search(item.text, sentence, at) is not None


_INCLUSION_WORDING = re.compile(
    r"\s*(?:no|not|without|free\s+of|absence\s+of|(?:do|does|must)\s+not\s+(?:have|smoke))\b",
    re.I,
)
# the same, or a rule said with "must not" ("o Patients must not receive live vaccines")
_PROHIBITION = re.compile(
    r"\W*(?:no|not|without|free\s+of|absence\s+of|non\b|(?:\w+\s+){0,3}(?:must|should|may|can)"
    r"(?:\s+not|not)\b)",
    re.I,
)

#: judges of a status now ("hospitalized", "intubated") or a vaccine had, by category
_STATUS_JUDGES = {
    "care_setting": lambda item, mention, facts: judge_care_setting(mention, facts),
    "ventilation": lambda item, mention, facts: judge_ventilation(mention, facts),
    "vaccination": judge_vaccination,
}


def _slot(parts: list[Part]) -> Part:
    """The ids one phrase carries: one matching is enough; a recorded fact against it
    outweighs an id that knows nothing."""
    for part in parts:
        if part[0] is Verdict.MET:
            return part
    for part in parts:
        if part[2] is Basis.FACT and part[0] is not Verdict.UNKNOWN:
            return part
    return either(parts)


_CONNECTIVE = re.compile(r",|;|/|\bor\b|\band\b|\bnor\b|\(|\)|:", re.I)


def runs_of(item: Item, mentions: list[Mention]) -> tuple[tuple[tuple[Mention, ...], ...], ...]:
    """Named things in one item: runs joined by "or", commas or "and" are alternatives
    ("HIV, HBV or HCV infection"); names with no connective between them qualify each
    other and must all hold ("pregnant women affected by thalassemia"). The lexicon and
    the vocabulary may both name the same words (a slot): either id matching is enough."""
    slots: list[list[Mention]] = []
    for mention in mentions:
        if slots and mention.span[0] < max(m.span[1] for m in slots[-1]):
            slots[-1].append(mention)
        else:
            slots.append([mention])
    # "metastatic breast cancer" may be one vocabulary name for plain breast cancer: the
    # stage inside it still qualifies the name (it was read as "no breast cancer")
    slots = [part for slot in slots for part in _stage_apart(slot)]
    # within a slot the longest phrase speaks: "brain metastasis" over "metastasis"
    slots = [[m for m in slot if not _inside_longer(m, slot)] for slot in slots]
    # "Type 1 Diabetes": the lexicon's plain "diabetes" beside the vocabulary's type 1
    # would let any diabetes match; the narrower id speaks
    slots = [[m for m in slot if not _lumped(m, slot)] for slot in slots]
    runs: list[list[tuple[Mention, ...]]] = []
    previous: list[Mention] | None = None
    for number, slot in enumerate(slots):
        later = slots[number + 1] if number + 1 < len(slots) else None
        # a stage taken out of "metastatic breast cancer" qualifies the name it opens
        opens_next = later is not None and later[0].span[0] < max(m.span[1] for m in slot)
        if previous is not None:
            gap_start = max(m.span[1] for m in previous) - item.span[0]
            gap = item.text[gap_start : slot[0].span[0] - item.span[0]]
            if (
                not _CONNECTIVE.search(gap)
                or _both_markers(previous, slot, gap)
                or (not opens_next and _qualifies(item, runs[-1], slot, gap))
            ):
                runs[-1].append(tuple(slot))
                previous = slot
                continue
        runs.append([tuple(slot)])
        previous = slot
    return tuple(tuple(run) for run in runs)


_QUALIFIERS = ("biomarker", "stage")


def _denies_own(item: Item, mention: Mention, own: frozenset[str]) -> bool:
    """A present-tense denial ("No invasive tumor", not "No prior breast cancer") of the
    trial's own disease or a class of it."""
    if mention.historical or mention.category != "condition" or not own:
        return False
    if qualifier(item, mention):
        return False  # "No known recurrence of breast cancer" names which of it
    concept = mention.concept if ":" in mention.concept else f"lex:{mention.concept}"
    return any(concept == o or concept in ancestors(o) for o in own)


def _stage_apart(slot: list[Mention]) -> list[list[Mention]]:
    stages = [m for m in slot if m.category == "stage"]
    if len(stages) != 1:
        return [slot]
    (stage,) = stages
    # the name that opens with the stage and goes on ("metastatic breast cancer")
    longer = [
        m
        for m in slot
        if m.category == "condition" and m.span[0] == stage.span[0] and m.span[1] > stage.span[1]
    ]
    if not longer:
        return [slot]
    alike = [m for m in slot if m.span == stage.span]  # "stage IV" also read as a name
    return [alike, [m for m in slot if m not in alike]]


def _qualifies(item: Item, run: list[tuple[Mention, ...]], slot: list[Mention], gap: str) -> bool:
    """A marker or a stage after a disease says which of it: "breast cancer, HER2
    positive", "breast cancer ... (all M0)" ask for both, not for either. In an inclusion a
    stage is never an alternative to the disease or marker before it, whatever "or" the
    words between hold ("T1 or T2, N0 or N1, ... (all M0)")."""
    category = slot[0].category
    if category not in _QUALIFIERS:
        return False
    before = {m.category for kept in run for m in kept}
    if not before - {category}:
        return False  # "EGFR or ALK", "stage III or IV": alternatives of one kind
    if category == "stage" and item.kind == "inclusion":
        return "stage" not in before
    return not re.search(r"\bor\b", gap, re.I)


def _both_markers(previous: list[Mention], slot: list[Mention], gap: str) -> bool:
    """ "HR-positive, HER2-negative" and "HR+/HER2-" state two things that both hold;
    "MSI-H/dMMR" (one marker twice) and "EGFR or ALK" are alternatives."""
    if previous[0].category != "biomarker" or slot[0].category != "biomarker":
        return False
    if re.search(r"\bor\b", gap, re.I):
        return False
    return previous[0].concept.split("=")[0] != slot[0].concept.split("=")[0]


def named_part(
    item: Item,
    runs: tuple[tuple[tuple[Mention, ...], ...], ...],
    facts: PatientFacts,
    kind: str,
    own: frozenset[str] = frozenset(),
) -> Part:
    parts = [_run(item, run, facts, kind, own) for run in runs]
    decided = with_negated_runs(item, runs, parts, kind) if len(runs) > 1 else None
    return either(parts) if decided is None else decided


def _capacity(facts: PatientFacts) -> Part:
    """ "Without capacity to have a pregnancy": not being pregnant is not lacking that."""
    key = "pregnancy:childbearing_potential"
    if facts.has(key) or facts.ruled_out(key):
        holds = not facts.has(key)
        return verdict_of(holds), "able to become pregnant: as answered", Basis.FACT, [], []
    question = ask(key, "Able to become pregnant?")
    return Verdict.UNKNOWN, "able to become pregnant: not known", Basis.NONE, [], [question]


_NO_CAPACITY = re.compile(
    r"capacity|(?:unable|not\s+able|cannot)\s+to\s+(?:become|get)\s+pregnant"
    r"|cannot\s+(?:become|get)\s+pregnant|not\s+of\s+child[\s-]?bearing",
    re.I,
)


_UNTREATED = re.compile(r"untreated|na[iï]ve|treatment[\s-]free", re.I)


def _run(
    item: Item,
    run: tuple[tuple[Mention, ...], ...],
    facts: PatientFacts,
    kind: str,
    own: frozenset[str],
) -> Part:
    """Names that qualify each other must all hold; under one negation ("no prior
    radiotherapy to brain metastases") the run holds when the whole phrase does not,
    which a silent record leaves open -- not when each name is absent on its own."""
    if len(run) > 1 and kind != "exclusion" and all(m.negated for slot in run for m in slot):
        part = both([_slot([_mention(item, m, facts, kind, own, False) for m in s]) for s in run])
        if part[0] is Verdict.UNKNOWN and _untreated_by_silence(item, run, facts):
            named = next(m.text for slot in run for m in slot if m.category == "prior_therapy")
            reason = f"no {named} in the patient's history"
            return Verdict.MET, reason, Basis.ABSENCE, [], part[4]
        if part[0] is Verdict.UNKNOWN:
            return part
        flipped = Verdict.NOT_MET if part[0] is Verdict.MET else Verdict.MET
        return flipped, part[1], part[2], part[3], part[4]
    parts = [_slot([_mention(item, m, facts, kind, own) for m in slot]) for slot in run]
    # a stage says which of the disease beside it: when both fail, the patient not having
    # that disease is the reason ("Stage I-III endometrial carcinoma" for a colon cancer),
    # not a stage compared with another cancer's
    order = sorted(range(len(run)), key=lambda i: all(m.category == "stage" for m in run[i]))
    return both([parts[i] for i in order])


def _untreated_by_silence(
    item: Item, run: tuple[tuple[Mention, ...], ...], facts: PatientFacts
) -> bool:
    """ "Previously untreated with any systemic therapy for ...": a full history that
    names no such therapy at all answers it."""
    therapies = [m for slot in run for m in slot if m.category == "prior_therapy"]
    return (
        facts.patient.complete_history
        and bool(therapies)
        and untreated(item)
        and not any(facts.therapy_classes.get(m.concept) for m in therapies)
    )


def _lumped(mention: Mention, slot: list[Mention]) -> bool:
    """A lexicon condition whose own name is broader in the vocabulary than a vocabulary
    id read from the same words."""
    if mention.category != "condition" or ":" in mention.concept or "malignan" in mention.concept:
        return False
    return any(
        other.category == "condition"
        # MeSH and DO subtypes; trialscope's own terms combine facts ("colorectal liver
        # metastases") that the lexicon's pieces still match
        and other.concept.startswith(("MESH:", "DOID:"))
        and other.span == mention.span
        and _broader(mention.concept, other.concept)
        for other in slot
    )


@lru_cache(maxsize=8192)
def _broader(lexicon: str, concept: str) -> bool:
    up = ancestors(concept)
    return any(
        f.concept != concept and f.concept in up
        for f in find_concepts(lexicon.replace("_", " "))
        if ":" in f.concept and not f.concept.startswith("lex:")
    )


def _inside_longer(mention: Mention, slot: list[Mention]) -> bool:
    start, end = mention.span
    return any(
        o.span[0] <= start and end <= o.span[1] and (o.span[1] - o.span[0]) > (end - start)
        for o in slot
    )
