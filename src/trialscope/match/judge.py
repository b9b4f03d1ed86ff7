"""Judge one parsed criterion item against one patient.

Order of evidence, strongest first: the item does not apply to this patient (pregnancy
items for a man); the item's computable constraints (age, labs with units and ×ULN,
performance status, counts); the conditions, therapies and pregnancy it names; the
item being about consent or compliance. What none of these settles is UNKNOWN, except
an exclusion in a complete history that names nothing the record has (``basis``
ABSENCE: "not excluded as far as the record shows").
"""

from __future__ import annotations

import re
from dataclasses import replace

from trialscope.criteria import Item
from trialscope.match.bounds import ask, judge_bounds, verdict_of
from trialscope.match.compound import UNJUDGED_WORDS, unjudged_words, unread_way_out
from trialscope.match.concepts import ancestors
from trialscope.match.conditional import under_condition, within
from trialscope.match.facts import PatientFacts, most_specific
from trialscope.match.named import holds, named_part
from trialscope.match.negated_runs import Runs
from trialscope.match.primary import healthy
from trialscope.match.reading import Reading, cached_reading
from trialscope.match.scope import arm_label, disjoint_ages, for_whom
from trialscope.match.variant_bounds import judge_with_variants, variant_mentions, without
from trialscope.match.verdicts import (
    Basis,
    CriterionResult,
    Evidence,
    Part,
    Question,
    Verdict,
    both,
    either,
)
from trialscope.match.wording import slug

#: the reason of a result the patient's answer gave
ANSWERED = "as answered"


def judge_item(
    item: Item,
    facts: PatientFacts,
    kind: str | None = None,
    *,
    requirements: bool = False,
    own: frozenset[str] = frozenset(),
    reading: Reading | None = None,
) -> CriterionResult:
    """``requirements``: the item sits under an exclusion heading that lists
    requirements ("Laboratory values not meeting the following:"); ``own``: the concepts
    of the trial's own conditions ("other malignancies" means other than these);
    ``reading``: :func:`read_item`'s answer for ``item``, if the caller keeps it."""
    kind = kind or item.kind
    reading = reading or cached_reading(item)
    if kind == "inclusion" and reading.says_excluded:
        # "Pregnancy or lactation ... This protocol excludes pregnant or lactating women"
        # under the inclusions: an exclusion in the wrong list, read as one
        kind = "exclusion"
    answered = facts.patient.answers.get(f"criterion:{reading.slug}")
    if answered is not None:
        return _result(item, kind, verdict_of(answered), ANSWERED, Basis.FACT)
    not_applicable = _not_applicable(reading, facts, kind)
    if not_applicable is not None:
        return _result(item, kind, Verdict.NOT_APPLICABLE, not_applicable, Basis.FACT)
    if kind == "exclusion" and item.constraints and (requirements or reading.requirement_list):
        return _failed_requirement(item, facts)
    ill = ill_evidence(facts) if kind == "inclusion" and asks_for_volunteers(item) else None
    if ill is not None:
        # "Right handed normal volunteers (18-65 years old).": met by the age alone, it took
        # every patient for a healthy volunteer; the controls' own points do not apply. A
        # cancer rules a healthy volunteer out; whether a stable chronic disease does is
        # the trial's to say ("Healthy participants" beside "chronic stable medical
        # conditions ... are allowed", NCT05921903), so it is asked
        reason = f"for healthy volunteers; the patient has {ill.fact}"
        if _CONTROLS.search(item.text):
            return _finished(item, kind, (Verdict.NOT_APPLICABLE, reason, Basis.FACT, [ill], []))
        if facts.has("lex:malignancy") or facts.has("MESH:D009369"):
            return _finished(item, kind, (Verdict.NOT_MET, reason, Basis.FACT, [ill], []))
        question = Question(
            key=f"criterion:{reading.slug}",
            text=f"Does the patient, with {ill.fact}, count as a healthy volunteer here?",
        )
        return _finished(item, kind, (Verdict.UNKNOWN, reason, Basis.NONE, [ill], [question]))
    if reading.if_kind is not None:
        return _conditioned(item, facts, kind, reading, requirements, own)
    runs, constraints = reading.runs, item.constraints
    given: Part | None = None
    if reading.given_end is not None and kind != "exclusion" and not _about(reading, own):
        given = _given(item, reading, facts, own)
        if given[0] is Verdict.NOT_MET:
            # "Patients who received X must ...": asks nothing of a patient without X
            clause = re.sub(r"^\s*[A-Za-z][\w /-]{0,30}:\s*", "", item.text[: reading.given_end])
            clause = clause.strip()
            if clause.lower().startswith("if "):
                reason = f"asks only if {_lower_first(clause[3:])}: {given[1]}"
            else:
                reason = f"asks only of {_lower_first(clause)}: {given[1]}"
            return CriterionResult(
                item.index, kind, item.text, item.span, Verdict.MET, reason, given[2],
                evidence=tuple(given[3]),
            )  # fmt: skip
        runs = reading.rest_runs
        constraints = tuple(
            c for c in item.constraints if not within(item, c.span, reading.given_end)
        )
    constraints = disjoint_ages(tuple(c for c in constraints if not for_whom(item, c)))
    parts: list[Part] = []
    # "(≤ 5 × ULN if liver metastases)": the disease says whom a variant bound is for
    constraints, variants = variant_mentions(item, constraints)
    if variants:
        runs = without(runs, [m for named in variants.values() for m in named])
    if constraints:
        parts.append(
            judge_with_variants(
                constraints,
                variants,
                lambda mention: holds(item, mention, facts, own),
                lambda bounds: judge_bounds(bounds, facts),
            )
        )
        label = arm_label(item) if kind == "inclusion" and not runs else None
        if label is not None and parts[0][0] is Verdict.NOT_MET:
            # "Pediatric arm: aged 1 to 17": an adult is not in that arm
            reason = f"for the {label[:1].lower()}{label[1:]} only: {parts[0][1]}"
            return _result(item, kind, Verdict.NOT_APPLICABLE, reason, Basis.FACT)
    if runs:
        named = named_part(item, runs, facts, kind, own)
        if parts and _defined_by_bound(named, parts[0]):
            # "severe COPD (FEV1 < 50%)": the bound says how severe; it decides
            named = (parts[0][0], named[1], Basis.FACT, named[3], [])
        parts.append(named)
    # "Unwilling to use contraception" for a woman on the pill: she does what the refusal
    # is of, so it is no question of her will, and the pill is no unread evidence
    in_use = kind == "exclusion" and reading.refusal and _uses_what_is_refused(runs, parts)
    if item.non_computable_reason in ("consent", "compliance") and not in_use:
        parts.append(_consent(reading, facts))
    if not parts:
        return _nothing_recognised(item, kind, facts, reading)
    verdict, reason, basis, evidence, questions = _combine(parts, item, kind)
    if kind == "exclusion" and len(parts) > 1 and constraints and _bound_qualifies(item):
        # "hypertension with systolic blood pressure > 150 mmHg", "hepatic impairment
        # (bilirubin > 1.5 x ULN)": the bound says which of the disease is meant, so a known
        # bound decides; an unknown one leaves a disease on record a question
        bound, named = parts[0], parts[1]
        chosen = named if bound[0] is Verdict.UNKNOWN and named[0] is not Verdict.MET else bound
        verdict, reason, basis = chosen[0], chosen[1], chosen[2]
    if given is not None and given[0] is Verdict.UNKNOWN and verdict is Verdict.NOT_MET:
        # fails the requirement, but is the patient one of those it asks about?
        verdict, basis = Verdict.UNKNOWN, Basis.NONE
        reason = f"{reason}, if it applies ({given[1]})"
        questions += given[4]
    if (
        verdict is Verdict.MET
        and kind != "exclusion"
        and item.non_computable_reason not in ("consent", "compliance")
    ):
        rest = unjudged_words(item)
        if len(rest) >= UNJUDGED_WORDS:
            # a compound criterion is met only when every part is: the rest is asked
            verdict, basis = Verdict.UNKNOWN, Basis.NONE
            reason = f"{reason}; not judged: {' '.join(rest[:8])}{' …' if len(rest) > 8 else ''}"
            questions.append(
                Question(key=f"criterion:{reading.slug}", text=_as_question(item.text))
            )
    if verdict is Verdict.NOT_MET and kind == "inclusion" and _CONTROLS.search(item.text):
        # "Age-matched girls without Turner's syndrome entered as controls": the patient
        # is not one of the controls, which says nothing of the patients' arm
        reason = f"for the control group only: {reason}"
        return _result(item, kind, Verdict.NOT_APPLICABLE, reason, Basis.FACT)
    if verdict is Verdict.MET and kind == "exclusion" and _NOTE.match(item.text):
        # "NOTE: Patients with a prior malignancy ... are eligible. Patients with ...": a note
        # on the exclusions mixes ways in and out; what it names is no rule-out on its own
        verdict, basis = Verdict.UNKNOWN, Basis.NONE
        reason = f"{reason}; a note on the exclusions — a person should check"
        questions.append(Question(key=f"criterion:{reading.slug}", text=_as_question(item.text)))
    rules_out = verdict is (Verdict.MET if kind == "exclusion" else Verdict.NOT_MET)
    way_out = unread_way_out(item, kind) if rules_out else None
    if rules_out and kind == "exclusion" and reading.permission:
        # "Prior adjuvant treatment ... is allowed, as long as it has concluded at least 6
        # months before": what it permits rules out only outside its terms, unread here
        way_out = "it permits this on terms not judged"
    if way_out is not None:
        # the way in or out was not read, so the rule-out is a question, not an answer
        verdict, basis = Verdict.UNKNOWN, Basis.NONE
        reason = f"{reason}; {way_out}"
        questions.append(Question(key=f"criterion:{reading.slug}", text=_as_question(item.text)))
    if (
        verdict is Verdict.UNKNOWN
        and kind == "exclusion"
        and facts.patient.complete_history
        and all(p[0] is not Verdict.MET for p in parts)
        # a reading that cannot be compared (xULN without a range) is never assumed away
        and not (any(p[3] for p in parts[:-1]) if in_use else evidence)
    ):
        # a screener reads a full history as reporting what is abnormal: an exclusion it
        # does not mention is taken as absent, and the question stays open to confirm
        verdict, basis = Verdict.NOT_MET, Basis.ABSENCE
        reason = reason + " — not in the patient's history, assumed absent"
    return _finished(item, kind, (verdict, reason, basis, evidence, questions))


def _finished(item: Item, kind: str, part: Part) -> CriterionResult:
    """The item's result from its judged part; questions stay where the answer is open
    or only assumed."""
    verdict, reason, basis, evidence, questions = part
    return CriterionResult(
        index=item.index,
        kind=kind,
        text=item.text,
        span=item.span,
        verdict=verdict,
        reason=reason,
        basis=basis,
        evidence=tuple(evidence),
        constraints=_described(item),
        questions=tuple(questions) if verdict is Verdict.UNKNOWN or basis is Basis.ABSENCE else (),
    )


def _conditioned(
    item: Item,
    facts: PatientFacts,
    kind: str,
    reading: Reading,
    requirements: bool,
    own: frozenset[str],
) -> CriterionResult:
    """An item whose bound after "if" says whom the rest asks about: the rest judged
    with the clause blanked out (offsets kept), then read under the clause's verdict."""
    assert reading.if_hidden is not None and reading.if_start is not None
    assert reading.if_end is not None
    start, end, base = reading.if_start, reading.if_end, item.span[0]
    # ", or if <condition>, <another way in>": the rest is what comes before the "or"
    lo, hi = reading.if_hidden, len(item.text) if reading.if_kind == "or" else end
    text = item.text[:lo] + " " * (hi - lo) + item.text[hi:]

    def kept(span: tuple[int, int]) -> bool:
        return not lo <= span[0] - base < hi

    rest = replace(
        item,
        text=text,
        constraints=tuple(c for c in item.constraints if kept(c.span)),
        mentions=tuple(m for m in item.mentions if kept(m.span)),
        windows=tuple(w for w in item.windows if kept(w.span)),
    )
    main = judge_item(rest, facts, kind, requirements=requirements, own=own)
    if reading.if_kind == "even":  # "even if AST <= 5 x ULN": still covered, asks nothing
        return replace(main, text=item.text, constraints=_described(item))
    inside = tuple(
        c for c in item.constraints if start <= c.span[0] - base and c.span[1] - base <= end
    )
    clause = item.text[start:end].strip()
    part = under_condition(
        kind, judge_bounds(inside, facts), main, clause, alternative=reading.if_kind == "or"
    )
    return _finished(item, kind, part)


def _described(item: Item) -> tuple[str, ...]:
    return tuple(c.describe() for c in item.constraints)


def _given(item: Item, reading: Reading, facts: PatientFacts, own: frozenset[str]) -> Part:
    """Whether the patient is one of those a conditional requirement asks about."""
    assert reading.given_end is not None
    parts: list[Part] = []
    bounds = tuple(c for c in item.constraints if within(item, c.span, reading.given_end))
    if bounds:
        parts.append(judge_bounds(bounds, facts))
    if reading.given_runs:
        parts.append(named_part(item, reading.given_runs, facts, "inclusion", own))
    if not parts:
        clause = item.text[: reading.given_end].strip()
        question = Question(key=f"criterion:{slug(clause)}", text=_as_question(clause))
        return Verdict.UNKNOWN, "who it asks about is not known", Basis.NONE, [], [question]
    return both(parts)


def _about(reading: Reading, own: frozenset[str]) -> bool:
    """The condition names the trial's own disease ("Patients with colorectal cancer
    must have ..." in a colorectal cancer trial): the whole item is a requirement."""
    specific = most_specific(own)
    for run in reading.given_runs:
        for slot in run:
            for mention in slot:
                if mention.category != "condition":
                    continue
                concept = mention.concept if ":" in mention.concept else f"lex:{mention.concept}"
                up = ancestors(concept)
                if any(t in up or concept in ancestors(t) for t in specific):
                    return True
    return False


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


_NOTE = re.compile(r"\W*note\s*:", re.I)
_VOLUNTEERS = re.compile(
    r"\W*(?:right[- ]handed\s+)?(?:adult\s+)?(?:healthy|normal)\s+(?:adult\s+|pediatric\s+)?"
    r"(?:(?:male|female)\s+)?(?:volunteers?|subjects?|controls?|individuals|participants)\b",
    re.I,
)

# "Healthy subjects and subjects with type 2 diabetes mellitus on ...": two populations
_AND_PATIENTS = re.compile(
    r"\b(?:and|or)\s+(?:\w+\s+){0,2}(?:patients|subjects|participants|individuals|people|those)"
    r"\s+(?:with|who)\b",
    re.I,
)


def asks_for_volunteers(item: Item) -> bool:
    """The item is a healthy-volunteer point ("Healthy volunteers aged 18-45")."""
    return bool(_VOLUNTEERS.match(item.text)) and not _AND_PATIENTS.search(item.text)


def ill_evidence(facts: PatientFacts) -> Evidence | None:
    """A disease on the patient's record (no healthy volunteer)."""
    if healthy(facts) is not None:
        return None
    for condition in facts.patient.conditions:
        if condition.status == "active" and condition.codes:
            return Evidence(condition.name, condition.source)
    return None


_CONTROLS = re.compile(
    r"\b(?:(?:as|for\s+the)\s+(?:(?:healthy|normal|matched)\s+)?controls?"
    r"|(?:healthy|normal|matched)\s+controls?|control\s+(?:group|subjects|participants|cohort|arm)"
    # "Patients without CAD group, defined as: the absence of a prior MI ..."
    r"|without\s+(?:[\w-]+\s+){1,3}group)\b",
    re.I,
)


def _not_applicable(reading: Reading, facts: PatientFacts, kind: str) -> str | None:
    if reading.quota:
        return "a limit on how many the study takes, not a criterion"
    if reading.permission and kind == "inclusion":
        return "permits, does not require"  # "Pregnant women may be entered, but ..."
    if reading.permission and reading.whole_permission and kind == "exclusion":
        return "permits, does not exclude"
    # the sex read last, only for an item about women or men: a blank result that never
    # read it is both sexes' (match.blank_share)
    if (
        reading.female_words
        and (reading.pregnancy_words or not reading.male_words)
        and not (kind == "exclusion" and reading.named_before_women)
        and facts.patient.sex == "male"
    ):
        return "about women; the patient is male"
    if reading.men and not reading.female_words and facts.patient.sex == "female":
        return "about men; the patient is female"
    return None


def _nothing_recognised(
    item: Item, kind: str, facts: PatientFacts, reading: Reading
) -> CriterionResult:
    judged = item.non_computable_reason in ("investigator_judgement", "consent", "compliance")
    # a relative's or a dependant's condition: read, but not one the patient's record gives
    others = any(m.family for m in item.mentions if m.category == "condition")
    if kind == "exclusion" and facts.patient.complete_history and not judged:
        return _result(
            item,
            kind,
            Verdict.NOT_MET,
            # say what was done: the criterion was not read, only assumed away
            (
                "about a relative's or a dependant's condition, which the history does not give;"
                if others
                else "trialscope cannot read this exclusion;"
            )
            + " assumed not to apply because the history is complete — a person should check",
            Basis.ABSENCE,
        )
    reason = (
        f"needs judgement ({item.non_computable_reason.replace('_', ' ')})"
        if item.non_computable_reason
        else "about a relative's or a dependant's condition, not the patient's"
        if others
        else "no computable fact in this criterion"
    )
    question = Question(key=f"criterion:{reading.slug}", text=_as_question(item.text))
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


def _defined_by_bound(named: Part, bounds: Part) -> bool:
    """The named condition is there but of an unsaid kind ("severe COPD?"), and the
    item's bound, judged, is what defines that kind."""
    return (
        named[0] is Verdict.UNKNOWN
        and bool(named[3])
        and bool(named[4])
        and all(q.key.startswith("condition:kind:") for q in named[4])
        and bounds[0] in (Verdict.MET, Verdict.NOT_MET)
    )


_QUALIFYING_GAP = re.compile(
    r"\s*(?:\(|,?\s*(?:with|defined\s+(?:as|by)|as\s+(?:defined|evidenced)\s+by|i\.e\.,?"
    r"|requiring|and\s+a|showing)\b)[^;.]{0,30}$",
    re.I,
)


_AGE_RIGHT_AFTER = re.compile(r"\s*,?\s*(?:who\s+(?:are|is)\s+|aged?\s+)?", re.I)


def _bound_qualifies(item: Item) -> bool:
    """A bound right after a named condition, joined by "with", "(" or "defined as",
    says which of it the item means ("diabetes with HbA1c > 9%", "renal impairment
    (creatinine > 2 mg/dL)"): the item is one requirement, not a list."""
    base = item.span[0]
    for constraint in item.constraints:
        lead = constraint.span[0]
        for mention in item.mentions:
            if mention.category != "condition" or mention.span[1] > lead:
                continue
            gap = item.text[mention.span[1] - base : lead - base]
            if len(gap) <= 40 and _QUALIFYING_GAP.fullmatch(gap):
                return True
            if constraint.variable == "age" and _AGE_RIGHT_AFTER.fullmatch(gap):
                return True  # "Children with HCV infection younger than 2 years of age"
    return False


def _combine(parts: list[Part], item: Item, kind: str) -> Part:
    """An inclusion needs its bounds AND its named conditions (and consent); an
    exclusion applies when any part applies."""
    evidence = [e for p in parts for e in p[3]]
    questions = [q for p in parts for q in p[4]]
    groups = parts
    verdict = either(groups) if kind == "exclusion" else both(groups)
    chosen = next((p for p in groups if p[0] is verdict[0]), verdict)
    return chosen[0], chosen[1], chosen[2], evidence, questions


def _uses_what_is_refused(runs: Runs, parts: list[Part]) -> bool:
    """ "Unwilling to use contraception" for a woman on the pill, or for one the record
    puts outside whom it is about: what is refused is contraception alone, and the
    record decided the item against her."""
    # the others name whom it is about ("Persons of childbearing potential who are …")
    refused = [m for run in runs for slot in run for m in slot if m.negated]
    if not refused or not all(m.concept == "contraception" for m in refused):
        return False
    return parts[-1][0] is Verdict.NOT_MET and parts[-1][2] is Basis.FACT


def _consent(reading: Reading, facts: PatientFacts) -> Part:
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


def _as_question(text: str) -> str:
    text = " ".join(text.split()).rstrip(".;:")
    return (text[:117] + "…" if len(text) > 120 else text) + "?"


def _lower_first(words: str) -> str:
    """ "Patients who received X" read mid-sentence."""
    return words[:1].lower() + words[1:]
