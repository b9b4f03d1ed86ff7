"""Judge one parsed criterion item against one patient.

Order of evidence, strongest first: the item does not apply to this patient (pregnancy
items for a man); the item's computable constraints (age, labs with units and ×ULN,
performance status, counts); the conditions, therapies and pregnancy it names; the
item being about consent or compliance. What none of these settles is UNKNOWN, except
an exclusion in a complete history that names nothing the record has (``basis``
ABSENCE: "not excluded as far as the record shows").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..criteria import Item, Mention
from .bounds import ask, judge_bounds, verdict_of
from .facts import PatientFacts
from .verdicts import Basis, CriterionResult, Evidence, Question, Verdict

_FEMALE_ONLY = re.compile(
    r"\b(?:pregnan\w*|breast[- ]?feeding|lactat\w*|nursing|child[- ]?bearing|contracepti\w*|"
    r"birth[- ]control|women|woman|females?|menopaus\w*|menstrua\w*|gonadotropin|hcg|"
    r"oral contraceptives?|menarche)\b",
    re.I,
)
_MALE_ONLY = re.compile(r"\b(?:m[ae]n|males?|prostat\w*|sperm\w*|testic\w*)\b", re.I)
_MEN = re.compile(r"\b(?:m[ae]n|males?)\b", re.I)
_ACTIVE = re.compile(r"\b(?:active|current(?:ly)?|ongoing|uncontrolled|acute|untreated)\b", re.I)


@dataclass(frozen=True, slots=True)
class _Reading:
    """What an item says regardless of the patient, worked out once per item: registry
    boilerplate ("Pregnant or breastfeeding") repeats across thousands of trials."""

    slug: str
    permission: bool
    pregnancy_words: bool
    female_words: bool
    male_words: bool
    men: bool
    #: named things as slots (alternative ids for the same words), grouped into runs
    #: that must all hold; the runs are alternatives
    runs: tuple[tuple[tuple[Mention, ...], ...], ...]
    refusal: bool
    #: "labs do not meet the following: ANC >= 1.5 ...": the bounds are requirements
    requirement_list: bool


@lru_cache(maxsize=100_000)
def _reading(item: Item) -> _Reading:
    text = item.text
    mentions = sorted(
        (
            m
            for m in item.mentions
            # sex is settled by the structured eligibility fields
            if m.category != "sex" and not _modifier(item, m)
        ),
        key=lambda m: m.span,
    )
    pregnancy_words = any(m.category == "pregnancy" for m in item.mentions)
    return _Reading(
        slug=_slug(text),
        permission=bool(_PERMISSION.search(text, 0, 60))
        and not item.constraints
        and "(" not in text[:60],
        pregnancy_words=pregnancy_words,
        female_words=pregnancy_words or bool(_FEMALE_ONLY.search(text)),
        male_words=bool(_MALE_ONLY.search(text)),
        men=bool(_MEN.search(text)),
        runs=_runs(item, mentions),
        refusal=bool(_REFUSAL.search(text)),
        requirement_list=bool(item.constraints) and is_requirement_list(text),
    )


_REQUIREMENT_LIST = re.compile(
    r"\b(?:(?:do(?:es)?|did)\s+not|don't|doesn't|fail(?:s|ed|ing)?\s+to|not|cannot|unable\s+to)"
    r"\s+(?:meet(?:s|ing)?|satisf(?:y|ies|ying)|fulfil+(?:s|ing)?|achieve|comply(?:ing)?\s+with)\b",
    re.I,
)


def is_requirement_list(text: str) -> bool:
    """An exclusion that lists requirements under "do not meet / fail to meet / not
    satisfying the following": excluded only when a listed bound fails."""
    return bool(_REQUIREMENT_LIST.search(text))


def judge_item(
    item: Item,
    facts: PatientFacts,
    kind: str | None = None,
    *,
    requirements: bool = False,
    own: frozenset[str] = frozenset(),
) -> CriterionResult:
    """``requirements``: the item sits under an exclusion heading that lists
    requirements ("Laboratory values not meeting the following:"); ``own``: the concepts
    of the trial's own conditions ("other malignancies" means other than these)."""
    kind = kind or item.kind
    reading = _reading(item)
    answered = facts.patient.answers.get(f"criterion:{reading.slug}")
    if answered is not None:
        return _result(item, kind, verdict_of(answered), "as answered", Basis.FACT)
    not_applicable = _not_applicable(reading, facts, kind)
    if not_applicable is not None:
        return _result(item, kind, Verdict.NOT_APPLICABLE, not_applicable, Basis.FACT)
    if kind == "exclusion" and item.constraints and (requirements or reading.requirement_list):
        return _failed_requirement(item, facts)
    parts: list[Part] = []
    if item.constraints:
        parts.append(judge_bounds(item.constraints, facts))
    if reading.runs:
        parts.append(_named(item, reading.runs, facts, kind))
    if item.non_computable_reason in ("consent", "compliance"):
        parts.append(_consent(reading, facts))
    if not parts:
        return _nothing_recognised(item, kind, facts)
    verdict, reason, basis, evidence, questions = _combine(parts, item, kind)
    if (
        verdict is Verdict.UNKNOWN
        and kind == "exclusion"
        and facts.patient.complete_history
        and all(p[0] is not Verdict.MET for p in parts)
        # a reading that cannot be compared (xULN without a range) is never assumed away
        and not evidence
    ):
        # a screener reads a full history as reporting what is abnormal: an exclusion it
        # does not mention is taken as absent, and the question stays open to confirm
        verdict, basis = Verdict.NOT_MET, Basis.ABSENCE
        reason = reason + " — not in the patient's history, assumed absent"
    return CriterionResult(
        index=item.index,
        kind=kind,
        text=item.text,
        span=item.span,
        verdict=verdict,
        reason=reason,
        basis=basis,
        evidence=tuple(evidence),
        constraints=tuple(c.describe() for c in item.constraints),
        questions=tuple(questions) if verdict is Verdict.UNKNOWN or basis is Basis.ABSENCE else (),
    )


def _failed_requirement(item: Item, facts: PatientFacts) -> CriterionResult:
    """The inverse of the listed bounds: the exclusion applies when one of them fails."""
    verdict, reason, basis, evidence, questions = judge_bounds(item.constraints, facts)
    if verdict is Verdict.MET:
        verdict, reason = Verdict.NOT_MET, f"meets every listed requirement: {reason}"
    elif verdict is Verdict.NOT_MET:
        verdict, reason = Verdict.MET, f"a listed requirement fails: {reason}"
    return CriterionResult(
        index=item.index,
        kind="exclusion",
        text=item.text,
        span=item.span,
        verdict=verdict,
        reason=reason,
        basis=basis,
        evidence=tuple(evidence),
        constraints=tuple(c.describe() for c in item.constraints),
        questions=tuple(questions) if verdict is Verdict.UNKNOWN else (),
    )


def _result(item: Item, kind: str, verdict: Verdict, reason: str, basis: Basis) -> CriterionResult:
    return CriterionResult(item.index, kind, item.text, item.span, verdict, reason, basis)


_REFUSAL = re.compile(
    r"\b(?:unable|unwilling|inability|not able|refus|fail|cannot|could not|not willing|lack"
    r"|unreliable|non-?complian|no\s+(?:written\s+|signed\s+)?(?:informed\s+)?consent)",
    re.I,
)
_PERMISSION = re.compile(
    r"\b(?:may|can)\s+(?:also\s+)?(?:be\s+)?(?:entered|included|enrolled|eligible|participate)"
    r"|\b(?:are|is)\s+(?:also\s+)?(?:allowed|permitted|acceptable|eligible)\b",
    re.I,
)


def _not_applicable(reading: _Reading, facts: PatientFacts, kind: str) -> str | None:
    if reading.permission and kind == "inclusion":
        return "permits, does not require"  # "Pregnant women may be entered, but ..."
    sex = facts.patient.sex
    if (
        sex == "male"
        and reading.female_words
        and (reading.pregnancy_words or not reading.male_words)
    ):
        return "about women; the patient is male"
    if sex == "female" and reading.men and not reading.female_words:
        return "about men; the patient is female"
    return None


def _nothing_recognised(item: Item, kind: str, facts: PatientFacts) -> CriterionResult:
    judged = item.non_computable_reason in ("investigator_judgement", "consent", "compliance")
    if kind == "exclusion" and facts.patient.complete_history and not judged:
        return _result(
            item,
            kind,
            Verdict.NOT_MET,
            "nothing in the patient's history matches this exclusion",
            Basis.ABSENCE,
        )
    reason = (
        f"needs judgement ({item.non_computable_reason.replace('_', ' ')})"
        if item.non_computable_reason
        else "no computable fact in this criterion"
    )
    question = Question(key=f"criterion:{_slug(item.text)}", text=_as_question(item.text))
    return CriterionResult(
        item.index,
        kind,
        item.text,
        item.span,
        Verdict.UNKNOWN,
        reason,
        Basis.NONE,
        questions=(question,),
    )


Part = tuple[Verdict, str, Basis, list[Evidence], list[Question]]


def _combine(parts: list[Part], item: Item, kind: str) -> Part:
    """An inclusion needs its bounds AND its named conditions (and consent); an
    exclusion applies when any part applies."""
    evidence = [e for p in parts for e in p[3]]
    questions = [q for p in parts for q in p[4]]
    groups = parts
    verdict = _either(groups) if kind == "exclusion" else _both(groups)
    chosen = next((p for p in groups if p[0] is verdict[0]), verdict)
    return chosen[0], chosen[1], chosen[2], evidence, questions


def _either(parts: list[Part]) -> Part:
    for wanted in (Verdict.MET, Verdict.UNKNOWN):
        for part in parts:
            if part[0] is wanted:
                return part
    return parts[0]


def _both(parts: list[Part]) -> Part:
    for wanted in (Verdict.NOT_MET, Verdict.UNKNOWN):
        for part in parts:
            if part[0] is wanted:
                return part
    return parts[0]


# -- named conditions, therapies, pregnancy -------------------------------------------


@dataclass(slots=True)
class _Seen:
    """What the patient's record says about one thing an item names."""

    named: str
    present: list[Evidence] = field(default_factory=list)
    absent: list[Evidence] = field(default_factory=list)
    #: there, but the item's time window or duration cannot be checked against it
    untimed: list[Evidence] = field(default_factory=list)
    #: there as a broader kind than the item names (AML vs "prolymphocytic T leukemia")
    broader: list[Evidence] = field(default_factory=list)
    kind: str | None = None


def _mention(item: Item, mention: Mention, facts: PatientFacts, kind: str) -> Part:
    """Whether the item's statement about ``mention`` holds for the patient."""
    if mention.category in ("pregnancy", "breastfeeding", "contraception"):
        return _pregnancy(mention, facts)
    if mention.category == "prior_therapy":
        seen = _therapy(item, mention, facts)
    else:
        seen = _condition(item, mention, facts)
    negate = mention.negated
    named = seen.named
    if seen.untimed and not seen.present:
        question = ask(f"when:{mention.concept}", f"When was the {named}?", "date")
        reason = f"patient has {named}, but not when or for how long"
        return Verdict.UNKNOWN, reason, Basis.NONE, seen.untimed, [question]
    if seen.kind is not None and not seen.present:
        code = f"kind:{_slug(seen.kind)}"  # one key whichever id space named it
        if facts.has(code) or facts.ruled_out(code):  # answered in the questionnaire
            has = bool(facts.has(code))
            verdict = Verdict.MET if has != negate else Verdict.NOT_MET
            return verdict, f"{seen.kind}: {'yes' if has else 'no'} (answered)", Basis.FACT, [], []
        question = ask(f"{mention.category}:{code}", f"{seen.kind}?")
        reason = f"patient has {seen.broader[0].fact.split(' (')[0]}; is it {seen.kind}?"
        return Verdict.UNKNOWN, reason, Basis.NONE, seen.broader, [question]
    if seen.present:
        verdict = Verdict.NOT_MET if negate else Verdict.MET
        return verdict, f"patient has {named}", Basis.FACT, seen.present, []
    if seen.absent:
        verdict = Verdict.MET if negate else Verdict.NOT_MET
        return verdict, f"patient does not have {named}", Basis.FACT, seen.absent, []
    question = ask(f"{mention.category}:{mention.concept}", f"{_title(mention)}?")
    # a complete history rules out what it does not name -- for exclusions; for an
    # inclusion silence is not a "no" (experts label it "not enough information")
    if facts.patient.complete_history and not negate and kind == "exclusion":
        reason = f"{named} is not in the patient's history"
        return Verdict.NOT_MET, reason, Basis.ABSENCE, [], [question]
    return Verdict.UNKNOWN, f"{named}: not known", Basis.NONE, [], [question]


_CONNECTIVE = re.compile(r",|;|/|\bor\b|\band\b|\bnor\b|\(|\)|:", re.I)
# words after a disease name that make it a modifier: "rabies vaccine", "HIV test"
_MODIFIED = re.compile(
    r"[\s-]*(?:vaccin\w*|immune\s+globulin|immunoglobulin|test\w*|screen\w*|"
    r"medicines?|medications?|drugs?|treatments?|therap\w*|prophylaxis|clinic|programs?|"
    r"products?|specialists?|units?|wards?|centers?|centres?|services?|campaign)\b",
    re.I,
)
_EXCEPT = re.compile(
    r"\b(?:except(?:ion)?|excluding|other than|apart from|with the exception of|but not|but "
    r"the full treatment)\b",
    re.I,
)
_ANTI = re.compile(r"(?:anti|non)[\s-]*$", re.I)


def _modifier(item: Item, mention: Mention) -> bool:
    """The named disease only qualifies another noun ("rabies vaccine", "anti-TB drugs",
    "non-infectious"): the item is not about the patient having it."""
    if mention.category != "condition":
        return False
    start, end = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
    if _EXCEPT.search(item.text, 0, start):
        return True  # "... except basal cell carcinoma": named to be let through
    return bool(_MODIFIED.match(item.text, end) or _ANTI.search(item.text, 0, start))


def _runs(item: Item, mentions: list[Mention]) -> tuple[tuple[tuple[Mention, ...], ...], ...]:
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
    # within a slot the longest phrase speaks: "brain metastasis" over "metastasis"
    slots = [[m for m in slot if not _inside_longer(m, slot)] for slot in slots]
    runs: list[list[tuple[Mention, ...]]] = []
    previous: list[Mention] | None = None
    for slot in slots:
        if previous is not None:
            gap_start = max(m.span[1] for m in previous) - item.span[0]
            gap = item.text[gap_start : slot[0].span[0] - item.span[0]]
            if not _CONNECTIVE.search(gap):
                runs[-1].append(tuple(slot))
                previous = slot
                continue
        runs.append([tuple(slot)])
        previous = slot
    return tuple(tuple(run) for run in runs)


def _named(
    item: Item, runs: tuple[tuple[tuple[Mention, ...], ...], ...], facts: PatientFacts, kind: str
) -> Part:
    return _either(
        [
            _both([_either([_mention(item, m, facts, kind) for m in slot]) for slot in run])
            for run in runs
        ]
    )


def _inside_longer(mention: Mention, slot: list[Mention]) -> bool:
    start, end = mention.span
    return any(
        o.span[0] <= start and end <= o.span[1] and (o.span[1] - o.span[0]) > (end - start)
        for o in slot
    )


def _condition(item: Item, mention: Mention, facts: PatientFacts) -> _Seen:
    concept = mention.concept if ":" in mention.concept else f"lex:{mention.concept}"
    wants_active = bool(_ACTIVE.search(item.text)) and not mention.historical
    within = min((w.days for w in item.windows if w.relation == "within"), default=None)
    today = facts.patient.as_of or dt.date.today()
    seen = _Seen(mention.text)
    qualifier = _qualifier(item, mention)
    if qualifier:
        seen.kind = " ".join((*reversed(qualifier), mention.text))
    for fact in facts.has(concept):
        condition = fact.condition
        if wants_active and condition.status == "history":
            continue
        evidence = Evidence(f"{condition.name} ({condition.status})", condition.source)
        if qualifier and not all(w.lower() in condition.name.lower() for w in qualifier):
            # "prolymphocytic T leukemia" for a patient with AML: the words before the
            # name narrow it to a kind the vocabulary did not resolve
            seen.broader.append(evidence)
            continue
        if within is not None and condition.onset is not None:
            if (today - condition.onset).days > within:
                continue  # "MI within 3 months": this one was longer ago
        elif within is not None and condition.status == "history":
            seen.untimed.append(evidence)  # past, but when?
            continue
        if any(w.relation in ("duration", "at_least") for w in item.windows):
            seen.untimed.append(evidence)  # "fever for at least a week": not recorded
            continue
        seen.present.append(evidence)
    seen.absent = [
        Evidence(f"no {f.condition.name}", f.condition.source) for f in facts.ruled_out(concept)
    ]
    if not seen.broader:
        seen.kind = None  # nothing broader on record: the name alone decides
    return seen


_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z-]*)\s*$")
# words before a disease name that do not narrow it to a subtype
_NOT_NARROWING_WORDS = """
    a an the with of or and in to for by having have has had is are be been known
    diagnosed diagnosis confirmed documented histologically cytologically pathologically
    proven biopsy-proven active current currently ongoing history prior previous
    untreated treated newly recent recently recurrent relapsed refractory advanced
    metastatic locally stage measurable symptomatic asymptomatic uncontrolled controlled
    clinically significant suspected any other patient patients subject subjects
    participant participants adult adults pediatric children child women woman men man
    male female diagnosed evidence presence present severe mild moderate unresectable
    resectable inoperable operable primary secondary invasive documented established
    existing underlying concomitant concurrent including e.g i.e such as who that
"""
_NOT_NARROWING = frozenset(_NOT_NARROWING_WORDS.split())


def _qualifier(item: Item, mention: Mention) -> tuple[str, ...]:
    """Up to three words right before the name that narrow it ("prolymphocytic T"),
    unless another name covers them ("colon cancer adenocarcinoma")."""
    cut = mention.span[0]
    for other in item.mentions:
        if other.span[1] <= mention.span[0] and other.span[1] >= cut - 3:
            return ()
    text = item.text[: cut - item.span[0]]
    words: list[str] = []
    for _ in range(3):
        match = _WORD_BEFORE.search(text)
        if match is None:
            break
        word = match.group(1)
        if word.lower() in _NOT_NARROWING or (len(word) < 2 and not match.group(1).isupper()):
            break
        words.append(word)
        text = text[: match.start()]
    return tuple(words)


def _therapy(item: Item, mention: Mention, facts: PatientFacts) -> _Seen:
    within = min((w.days for w in item.windows if w.relation == "within"), default=None)
    today = facts.patient.as_of or dt.date.today()
    seen = _Seen(mention.text)
    for therapy in facts.therapy_classes.get(mention.concept, []):
        evidence = Evidence(f"{therapy.name} ({therapy.status})", therapy.source)
        last = therapy.end or therapy.start
        if within is None or therapy.status == "active":
            seen.present.append(evidence)  # on it now: inside any "within N days" window
        elif last is None:
            seen.untimed.append(evidence)  # "chemotherapy within 28 days": when did it end?
        elif (today - last).days <= within:
            seen.present.append(evidence)
    seen.absent = [
        Evidence(f"no {t.name}", t.source) for t in facts.therapy_absent.get(mention.concept, [])
    ]
    if not seen.present and not seen.absent and facts.no_medications is not None:
        seen.absent = [Evidence("takes no medications", facts.no_medications.source)]
    return seen


def _pregnancy(
    mention: Mention, facts: PatientFacts
) -> tuple[Verdict, str, Basis, list[Evidence], list[Question]]:
    patient = facts.patient
    field = "breastfeeding" if mention.concept == "breastfeeding" else "pregnant"
    if mention.concept not in ("pregnancy", "breastfeeding"):
        # contraception, childbearing potential, pregnancy tests: asked, not inferred
        key = f"pregnancy:{mention.concept}"
        if facts.has(key) or facts.ruled_out(key):
            holds = bool(facts.has(key)) != mention.negated
            return verdict_of(holds), f"{mention.text}: as answered", Basis.FACT, [], []
        question = ask(f"pregnancy:{mention.concept}", f"{_title(mention)}?")
        return Verdict.UNKNOWN, f"{mention.text}: not known", Basis.NONE, [], [question]
    value = getattr(patient, field)
    negate = mention.negated
    if value is not None:
        holds = bool(value) != negate
        ev = [Evidence(f"{field}: {'yes' if value else 'no'}", facts.source_of(field))]
        return verdict_of(holds), f"{field}: {'yes' if value else 'no'}", Basis.FACT, ev, []
    if patient.complete_history:
        return (
            verdict_of(negate),
            f"{field} not mentioned in the patient's history",
            Basis.ABSENCE,
            [],
            [ask(field, f"{field.capitalize()}?")],
        )
    return (
        Verdict.UNKNOWN,
        f"{field}: not known",
        Basis.NONE,
        [],
        [ask(field, "Pregnant?" if field == "pregnant" else "Breastfeeding?")],
    )


def _consent(reading: _Reading, facts: PatientFacts) -> Part:
    will = facts.patient.will_consent
    if will is None:
        return (
            Verdict.UNKNOWN,
            "consent and follow-up not yet asked",
            Basis.NONE,
            [],
            [ask("will_consent", "Willing to give consent and attend the study visits?")],
        )
    holds = will != reading.refusal
    ev = [
        Evidence(
            "will consent and comply" if will else "will not consent",
            facts.source_of("will_consent"),
        )
    ]
    return verdict_of(holds), "consent and compliance as stated", Basis.FACT, ev, []


def _title(mention: Mention) -> str:
    return mention.text[:1].upper() + mention.text[1:]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _as_question(text: str) -> str:
    text = text.strip().rstrip(".;:")
    return (text[:117] + "…" if len(text) > 120 else text) + "?"
