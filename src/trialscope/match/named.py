"""What an item names -- conditions, therapies, pregnancy -- against the patient's record.

Named things come in slots (the lexicon and the vocabulary may both name the same
words: either id matching is enough), slots with no connective between them qualify
each other and must all hold, and runs of them joined by "or", commas or "and" are
alternatives. A condition is there when the patient has it or something narrower;
words before the name that narrow it ("prolymphocytic T leukemia") ask rather than
assume.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from trialscope.criteria import Item, Mention
from trialscope.match.biomarkers import judge_biomarker
from trialscope.match.bounds import ask, verdict_of
from trialscope.match.concepts import ancestors, find_concepts
from trialscope.match.facts import PatientFacts, most_specific
from trialscope.match.patient import Condition
from trialscope.match.primary import different_primary, healthy
from trialscope.match.setting import describe, fits, untreated, wanted_setting
from trialscope.match.stage import judge_stage
from trialscope.match.verdicts import Basis, Evidence, Question, Verdict

_ACTIVE = re.compile(r"\b(?:active|current(?:ly)?|ongoing|uncontrolled|acute|untreated)\b", re.I)

Part = tuple[Verdict, str, Basis, list[Evidence], list[Question]]


def either(parts: list[Part]) -> Part:
    for wanted in (Verdict.MET, Verdict.UNKNOWN):
        for part in parts:
            if part[0] is wanted:
                return part
    return parts[0]


def both(parts: list[Part]) -> Part:
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
    #: taken, but whether in the setting the item asks about (adjuvant or for advanced
    #: disease) the record does not say
    unsettled: list[Evidence] = field(default_factory=list)
    kind: str | None = None


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
        return _pregnancy(mention, facts)
    if mention.category in ("biomarker", "stage"):
        if negate is not None and negate != mention.negated:
            mention = replace(mention, negated=negate)
        judge = judge_biomarker if mention.category == "biomarker" else judge_stage
        return judge(mention, facts, kind)
    if mention.category == "prior_therapy":
        seen = _therapy(item, mention, facts)
    else:
        seen = _condition(item, mention, facts, own, kind)
    negate = mention.negated if negate is None else negate
    named = seen.named
    if mention.category == "condition" and not seen.present and not seen.absent:
        closed = _closed_world(item, mention, facts, kind, own)
        if closed is not None:
            seen.absent, seen.kind = [closed], None
    if seen.unsettled and not seen.present and not seen.untimed:
        return _unsettled(item, mention, seen, facts, negate)
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
    if seen.present:
        verdict = Verdict.NOT_MET if negate else Verdict.MET
        return verdict, f"patient has {named}", Basis.FACT, seen.present, []
    if seen.absent and not negate and kind != "exclusion" and _only_if_had(item, mention):
        # "At least 4 weeks since prior radiotherapy", "No more than 2 prior regimens":
        # asks about a therapy only if the patient had it
        reason = f"no {named}: nothing to wait for or count"
        return Verdict.MET, reason, Basis.FACT, seen.absent, []
    if seen.absent:
        verdict = Verdict.MET if negate else Verdict.NOT_MET
        fact = seen.absent[0].fact
        if fact.startswith("primary cancer: "):
            reason = f"the patient's primary cancer is {fact[16:]}, not {named}"
        elif fact == "healthy":
            reason = f"the patient is healthy: no {named}"
        elif fact.endswith(("not now", "before the window")):
            reason = f"no {named} in the time the criterion asks about"
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


# words before a therapy that make the item a limit on it, met by not having had it
_LIMIT_BEFORE = re.compile(
    r"(?:\bsince|\brecovered\s+from|\bmore\s+than|\bgreater\s+than|\bat\s+most|\bup\s+to"
    r"|\bmaximum\s+(?:of\s+)?|\bfewer\s+than|\bless\s+than|[<≤]=?)"
    r"(?:\s+(?:\d+|one|two|three|four|five|a|an|the|any|all|last|most\s+recent))?"
    r"(?:\s+(?:prior|previous|lines?|regimens?|courses?|cycles?|of|dose|doses))*\s*$",
    re.I,
)


def _only_if_had(item: Item, mention: Mention) -> bool:
    """The item limits a therapy ("since prior", "recovered from", "no more than 2
    prior ... regimens") rather than requiring it."""
    start = mention.span[0] - item.span[0]
    before = item.text[max(0, start - 60) : start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    clause = before[cut:]
    if mention.category != "prior_therapy" or not _LIMIT_BEFORE.search(clause):
        return False
    # "No more than 6 weeks since prior chemotherapy" asks for a recent one
    return not (re.search(r"\bsince\s", clause, re.I) and _UPPER_TIME.search(clause))


_UPPER_TIME = re.compile(
    r"\b(?:no|not)\s+(?:more|greater|longer)\s+than|\b(?:less|fewer)\s+than|\bwithin|\bat\s+most"
    r"|\bup\s+to|[<≤]",
    re.I,
)


def _closed_world(
    item: Item, mention: Mention, facts: PatientFacts, kind: str, own: frozenset[str]
) -> Evidence | None:
    """What rules a named disease out although the record does not name it: the
    patient is healthy, or (for the trial's own diagnosis) has a different primary."""
    well = healthy(facts)
    if well is not None:
        return well
    if kind == "exclusion" or mention.historical or item.parent is not None:
        # a known primary says nothing about a past second cancer, and items under a
        # heading are often alternatives or exceptions ("except: basal cell skin cancer")
        return None
    concept = mention.concept if ":" in mention.concept else f"lex:{mention.concept}"
    specific = most_specific(own)
    if own and not any(concept in ancestors(t) or t in ancestors(concept) for t in specific):
        return None  # not the disease the trial is about: another cancer, named in passing
    return different_primary(concept, facts)


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
# words after a disease name that make it a modifier: "rabies vaccine", "HIV test"
_MODIFIED = re.compile(
    r"[\s-]*(?:vaccin\w*|immune\s+globulin|immunoglobulin|test\w*|screen\w*|"
    r"medicines?|medications?|drugs?|treatments?|therap\w*|prophylaxis|clinic|programs?|"
    r"products?|specialists?|units?|wards?|centers?|centres?|services?|campaign)\b",
    re.I,
)
_EXCEPT = re.compile(
    r"\b(?:except(?:ion)?|excluding|other than|apart from|with the exception of|but not|but "
    r"the full treatment|in addition to|besides)\b",
    re.I,
)
# a disease named as what a treatment is for, not as something the patient must have or
# not have: "No prior chemotherapy for breast cancer", "non-drug therapy for anxiety
# disorder", "intubation for asthma", "inpatient treatment due to COVID-19"
_TREATED_FOR = re.compile(
    r"\b(?:therap(?:y|ies)|treatments?|regimens?|medications?|medicines?|drugs?|surgery|"
    r"surgeries|irradiation|radiotherapy|radiation|chemotherapy|chemo|intubation|"
    r"hospitali[sz]ations?|admissions?|care|prophylaxis|vaccines?|vaccinations?)"
    r"\s+(?:for|due\s+to|against)\s+(?:(?:the|an?|any)\s+)?(?:[\w-]+\s+){0,4}$",
    re.I,
)
_ALLOWED_AFTER = re.compile(
    r"(?:\s+(?:or|and|/)\s*[\w-]+)?(?:\s+(?:women|men|patients|subjects|participants|people))?"
    r"\s+(?:(?:are|is)\s+)?(?:allowed|permitted|acceptable)\b",
    re.I,
)
_ANTI = re.compile(r"(?:anti|non)[\s-]*$", re.I)


# a therapy named as what the patient could take, not what they took: "diseases that
# cannot tolerate chemotherapy", "contraindications to surgery", "eligible for ..."
_THERAPY_OBJECT = re.compile(
    r"\b(?:tolerat\w*|intoleran\w*|contra-?indicat\w*|unfit|unsuitable|suitable|candidates?|"
    r"eligible|allerg\w*|hypersensitiv\w*|unable\s+to\s+(?:receive|undergo)|refus\w*|fit"
    # "not amenable to surgical resection or radiation therapy with curative intent"
    r"|amenable)"
    r"\s+(?:for\s+|to\s+|of\s+|with\s+)?(?:[\w-]+\s+){0,2}(?:(?:or|and|and/or)\s+)?$",
    re.I,
)


def is_modifier(item: Item, mention: Mention) -> bool:
    """The named disease only qualifies another noun ("rabies vaccine", "anti-TB drugs",
    "non-infectious"), is what a ruled-out treatment is for ("no prior chemotherapy for
    breast cancer"), or the therapy is one the patient could take ("cannot tolerate
    chemotherapy"): the item is not about the patient having it."""
    start, end = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
    if _ALLOWED_AFTER.match(item.text, end):
        return True  # "Other: Pregnant or nursing women allowed" permits, deep in an item
    if mention.category == "prior_therapy":
        return bool(_THERAPY_OBJECT.search(item.text[max(0, start - 60) : start]))
    if mention.category != "condition":
        return False
    if _EXCEPT.search(item.text, 0, start):
        return True  # "... except basal cell carcinoma": named to be let through
    before = item.text[max(0, start - 80) : start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    ruled_out = mention.negated or item.kind == "exclusion" or _LIMIT_WORDS.search(before[cut:])
    if ruled_out and _TREATED_FOR.search(before[cut:]):
        # what a treatment is for: the treatment is what is ruled out ("receiving
        # chemotherapy for solid cancer" as an inclusion still asks for the cancer)
        return True
    return bool(_MODIFIED.match(item.text, end) or _ANTI.search(item.text, 0, start))


_LIMIT_WORDS = re.compile(
    r"\b(?:(?:no|not)\s+(?:more|greater)\s+than|since|recovered\s+from|at\s+most|maximum)\b", re.I
)


def excepted(item: Item, mention: Mention) -> frozenset[str]:
    """Concepts named after ``mention`` as exceptions to it ("any eye disease other than
    glaucoma", "another liver disease in addition to viral hepatitis"): the patient's
    facts about them do not count for ``mention``."""
    found: set[str] = set()
    for other in item.mentions:
        if (
            other.span[0] < mention.span[1]
            or other.category != "condition"
            or other.concept == mention.concept  # "(e.g., autoimmune liver disease)"
        ):
            continue
        gap = item.text[mention.span[1] - item.span[0] : other.span[0] - item.span[0]]
        if _EXCEPT.search(gap) and not _SENTENCE_END.search(gap):
            found.add(other.concept if ":" in other.concept else f"lex:{other.concept}")
    return frozenset(found)


_SENTENCE_END = re.compile(r"[.;]\s")


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
    # within a slot the longest phrase speaks: "brain metastasis" over "metastasis"
    slots = [[m for m in slot if not _inside_longer(m, slot)] for slot in slots]
    runs: list[list[tuple[Mention, ...]]] = []
    previous: list[Mention] | None = None
    for slot in slots:
        if previous is not None:
            gap_start = max(m.span[1] for m in previous) - item.span[0]
            gap = item.text[gap_start : slot[0].span[0] - item.span[0]]
            if not _CONNECTIVE.search(gap) or _both_markers(previous, slot, gap):
                runs[-1].append(tuple(slot))
                previous = slot
                continue
        runs.append([tuple(slot)])
        previous = slot
    return tuple(tuple(run) for run in runs)


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
    return either([_run(item, run, facts, kind, own) for run in runs])


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
    return both([_slot([_mention(item, m, facts, kind, own) for m in slot]) for slot in run])


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


def _inside_longer(mention: Mention, slot: list[Mention]) -> bool:
    start, end = mention.span
    return any(
        o.span[0] <= start and end <= o.span[1] and (o.span[1] - o.span[0]) > (end - start)
        for o in slot
    )


# "other malignancies", "another primary cancer", "metastases to other sites": other
# than what the trial itself is about
_OTHER_BEFORE = re.compile(
    r"\b(?:other|another|additional|second|further)\b(?:\s+[\w-]+){0,3}\s*$", re.I
)
_OTHER_AFTER = re.compile(
    r"\s*(?:[\w-]+\s+){0,2}?(?:to|in|at|of|involving|outside)\s+(?:the\s+|any\s+)?other\b",
    re.I,
)
_CLAUSE_END = re.compile(r"[;:.(),]")


def is_other(item: Item, mention: Mention) -> bool:
    """The item names ``mention`` as another one than the trial's own."""
    if mention.concept in ("other_malignancy", "lex:other_malignancy"):
        return True
    start, end = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
    before = item.text[max(0, start - 60) : start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    return bool(_OTHER_BEFORE.search(before[cut:]) or _OTHER_AFTER.match(item.text, end))


@dataclass(frozen=True, slots=True)
class _Context:
    """What the words around a name in an item say, whoever the patient is."""

    other: bool = False
    active: bool = False
    within: float | None = None
    qualifier: tuple[str, ...] = ()
    severity: str | None = None
    excepted: frozenset[str] = frozenset()


_NO_CONTEXT = _Context()


@lru_cache(maxsize=200_000)
def _context(item: Item, mention: Mention) -> _Context:
    return _Context(
        other=is_other(item, mention),
        active=bool(_ACTIVE.search(item.text)),
        within=min((w.days for w in item.windows if w.relation == "within"), default=None),
        qualifier=_qualifier(item, mention),
        severity=_severity(item, mention),
        excepted=excepted(item, mention),
    )


def _condition(
    item: Item, mention: Mention, facts: PatientFacts, own: frozenset[str], kind: str = "inclusion"
) -> _Seen:
    concept = mention.concept if ":" in mention.concept else f"lex:{mention.concept}"
    # "other" is relative to the trial's own conditions: the patient's disease the trial
    # is about cannot satisfy it (unknown without the trial, so left as it was)
    if own and concept == "lex:other_malignancy":
        concept = "lex:malignancy"
    seen = _Seen(mention.text)
    found = facts.has(concept)
    # what the words around the name say is read only when the patient has the thing
    context = _context(item, mention) if found else _NO_CONTEXT
    # an exclusion naming a class of the trial's own disease ("Metabolic disease" in a
    # diabetes trial, "eye disease" in a glaucoma one) means the other members of it
    other = bool(own) and (context.other or (kind == "exclusion" and _above(concept, own)))
    wants_active = context.active and not mention.historical
    within = context.within
    today = facts.patient.as_of or dt.date.today()
    qualifier, severity = context.qualifier, context.severity
    if qualifier:
        seen.kind = " ".join((*reversed(qualifier), mention.text))
    if severity and not qualifier:
        named_with = mention.text.lower().startswith(severity)
        seen.kind = mention.text if named_with else f"{severity} {mention.text}"
    earlier: list[Evidence] = []  # there, but outside the window the item asks about
    for fact in found:
        condition = fact.condition
        if wants_active and condition.status == "history":
            continue
        if other and facts.about_any(condition, own):
            continue
        if context.excepted and facts.about_any(condition, context.excepted):
            continue  # "eye disease other than glaucoma": the glaucoma does not count
        evidence = Evidence(f"{condition.name} ({condition.status})", condition.source)
        if qualifier and not all(_recorded(w, condition, facts) for w in qualifier):
            # "prolymphocytic T leukemia" for a patient with AML: the words before the
            # name narrow it to a kind the vocabulary did not resolve
            seen.broader.append(evidence)
            continue
        if severity and not _said(severity, condition):
            # "severe COPD (FEV1 < 50%)": a bare diagnosis of COPD does not say how severe
            seen.broader.append(evidence)
            continue
        if within is not None and condition.onset is not None:
            if (today - condition.onset).days > within:
                # "MI within 3 months": this one was longer ago
                earlier.append(Evidence(f"{condition.name} ({condition.onset})", condition.source))
                continue
        elif within is not None and condition.status == "history":
            seen.untimed.append(evidence)  # past, but when?
            continue
        if any(w.relation in ("duration", "at_least") for w in item.windows):
            seen.untimed.append(evidence)  # "fever for at least a week": not recorded
            continue
        seen.present.append(evidence)
    # "no history of cancer" rules out colorectal cancer too
    ruled_out = facts.ruled_out(concept)
    if not ruled_out and facts.absent:
        ruled_out = [f for up in sorted(ancestors(concept)) for f in facts.ruled_out(up)]
    seen.absent = [Evidence(f"no {f.condition.name}", f.condition.source) for f in ruled_out]
    if not seen.present and not seen.untimed and not seen.broader:
        seen.absent += earlier
    if not seen.broader:
        seen.kind = None  # nothing broader on record: the name alone decides
    return seen


def _above(concept: str, own: frozenset[str]) -> bool:
    """``concept`` is strictly broader than one of the trial's own conditions."""
    return any(concept != t and concept in ancestors(t) for t in most_specific(own))


# words that make a diagnosis a more serious kind of itself
_SEVERITY = re.compile(
    r"\b(severe(?:ly)?|uncontrolled|poorly[- ]controlled|(?:clinically\s+)?unstable|"
    r"decompensated|end[- ]stage|life[- ]threatening)\s+(?:[\w-]+\s+){0,2}$",
    re.I,
)


_SEVERITY_FIRST = re.compile(
    r"(severe(?:ly)?|uncontrolled|poorly[- ]controlled|unstable|decompensated|end[- ]stage)"
    r"\s+\S",
    re.I,
)


def _severity(item: Item, mention: Mention) -> str | None:
    own = _SEVERITY_FIRST.match(mention.text)  # the vocabulary's "uncontrolled hypertension"
    if own is not None:
        return own.group(1).lower()
    start = mention.span[0] - item.span[0]
    before = item.text[max(0, start - 40) : start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    found = _SEVERITY.search(before[cut:])
    return found.group(1).lower() if found else None


# a state of a disease, not the disease: "No known recurrence of breast cancer"
_STATE_OF = re.compile(
    r"\b(recurren\w*|relaps\w*|progression|exacerbations?|complications?|symptoms?|signs?|"
    r"sequelae)\s+of\s+(?:the\s+|an?\s+|their\s+|his\s+|her\s+)?$",
    re.I,
)


def _recorded(word: str, condition: Condition, facts: PatientFacts) -> bool:
    """A narrowing word is what the record says: in the condition's own name, or, for
    words about spread ("liver metastatic colorectal cancer"), in another condition of
    the patient ("liver metastases"); a state ("recurrence of") in its sentence."""
    word = word.lower()
    if word.endswith(" of"):
        stem = word[:6]
        return stem in f"{condition.name} {condition.source.text or ''}".lower()
    if word in condition.name.lower():
        return True
    if len(word) <= 3:
        return False
    stem = word[:6]
    if any(
        stem in other.name.lower() and "metasta" in other.name.lower()
        for other in facts.patient.conditions
        if other.status != "absent"
    ):
        return True
    # "colorectal liver metastases" for a patient with colon cancer: the primary named
    return any(facts.has(c) for c in _cancer_named(word))


@lru_cache(maxsize=4096)
def _cancer_named(word: str) -> tuple[str, ...]:
    return tuple(f.concept for f in find_concepts(f"{word} cancer") if f.start == 0)


def _said(severity: str, condition: Condition) -> bool:
    """The record describes the condition as that severe."""
    word = severity.split()[-1][:6]  # "uncontr", "severe", "decomp"
    text = f"{condition.name} {condition.source.text or ''}".lower()
    return word in text


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
    state = _STATE_OF.search(text)
    if state is not None:
        return (f"{state.group(1)} of",)  # "recurrence of breast cancer" is not the cancer
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


# "no concurrent chemotherapy": what the patient takes now, not what they took
_CONCURRENT = re.compile(r"\b(?:concurrent|concomitant|simultaneous)\w*", re.I)


def _therapy(item: Item, mention: Mention, facts: PatientFacts) -> _Seen:
    within = min((w.days for w in item.windows if w.relation == "within"), default=None)
    today = facts.patient.as_of or dt.date.today()
    seen = _Seen(mention.text)
    taken = facts.therapy_classes.get(mention.concept, [])
    start = mention.span[0] - item.span[0]
    concurrent = bool(taken) and bool(_CONCURRENT.search(item.text[max(0, start - 40) : start]))
    earlier: list[Evidence] = []  # taken, but outside the window the item asks about
    setting = wanted_setting(item, mention)
    for therapy in taken:
        evidence = Evidence(f"{therapy.name} ({therapy.status})", therapy.source)
        last = therapy.end or therapy.start
        fit = fits(setting, therapy)
        if fit is False:
            earlier.append(
                Evidence(f"{therapy.name} ({therapy.setting}), in another setting", therapy.source)
            )
        elif fit is None:
            seen.unsettled.append(evidence)
        elif concurrent and therapy.status != "active":
            earlier.append(Evidence(f"{therapy.name} ({therapy.status}), not now", therapy.source))
        elif within is None or therapy.status == "active":
            seen.present.append(evidence)  # on it now: inside any "within N days" window
        elif last is None:
            seen.untimed.append(evidence)  # "chemotherapy within 28 days": when did it end?
        elif (today - last).days <= within:
            seen.present.append(evidence)
        else:
            earlier.append(
                Evidence(f"{therapy.name} (last {last}), before the window", therapy.source)
            )
    seen.absent = [
        Evidence(f"no {t.name}", t.source) for t in facts.therapy_absent.get(mention.concept, [])
    ]
    if not seen.present and not seen.untimed and not seen.unsettled:
        seen.absent += earlier
    if not seen.present and not seen.absent and facts.no_medications is not None:
        seen.absent = [Evidence("takes no medications", facts.no_medications.source)]
    return seen


def _unsettled(
    item: Item, mention: Mention, seen: _Seen, facts: PatientFacts, negate: bool
) -> Part:
    """Taken, but the record does not say whether in the setting the item asks about."""
    setting = wanted_setting(item, mention) or "advanced"
    key = f"setting:{mention.concept}:{setting}"
    names = ", ".join(dict.fromkeys(e.fact.split(" (")[0] for e in seen.unsettled))
    answered = facts.patient.answers.get(key)
    if answered is not None:
        verdict = Verdict.MET if answered != negate else Verdict.NOT_MET
        said = "" if answered else "not "
        return (
            verdict,
            f"{names}: {said}for the {describe(setting)}, as answered",
            Basis.FACT,
            [],
            [],
        )
    question = ask(key, f"Was {names} given for the {describe(setting)}?")
    other = "(neo)adjuvant treatment" if setting == "advanced" else "treatment of advanced disease"
    reason = (
        f"patient has had {names}; whether for the {describe(setting)} or as {other} is not said"
    )
    return Verdict.UNKNOWN, reason, Basis.NONE, seen.unsettled, [question]


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
        question = ask(f"pregnancy:{mention.concept}", f"{title(mention)}?")
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


def title(mention: Mention) -> str:
    return mention.text[:1].upper() + mention.text[1:]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
