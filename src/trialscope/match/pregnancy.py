"""Pregnancy, breastfeeding and contraception items against the patient's record."""

from __future__ import annotations

import re
from dataclasses import replace

from trialscope.criteria import Item, Mention
from trialscope.match.bounds import ask, verdict_of
from trialscope.match.facts import PatientFacts
from trialscope.match.verdicts import Basis, Evidence, Part, Verdict
from trialscope.match.wording import title

_CONTRACEPTIVE = "hormonal_contraceptive"


def judge_pregnancy(mention: Mention, facts: PatientFacts, pill_answers: bool = False) -> Part:
    """``pill_answers``: the item asks for contraception in general, which a hormonal
    contraceptive on record answers (see :func:`pill_answers`)."""
    if mention.concept == "pregnancy_test" and mention.negated:
        # "Pregnancy tests with a negative result must be obtained": not being pregnant
        mention = replace(mention, concept="pregnancy")
    patient = facts.patient
    field = "breastfeeding" if mention.concept == "breastfeeding" else "pregnant"
    if mention.concept not in ("pregnancy", "breastfeeding"):
        # contraception, childbearing potential, pregnancy tests: asked, not inferred
        key = f"pregnancy:{mention.concept}"
        if facts.has(key) or facts.ruled_out(key):
            holds = bool(facts.has(key)) != mention.negated
            return verdict_of(holds), f"{mention.text}: as answered", Basis.FACT, [], []
        taking = [t for t in facts.therapy_classes.get(_CONTRACEPTIVE, ()) if t.status == "active"]
        if pill_answers and taking:
            ev = [Evidence(f"{taking[0].name} (active)", taking[0].source)]
            reason = f"uses contraception: {taking[0].name}"
            return verdict_of(not mention.negated), reason, Basis.FACT, ev, []
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


#: contraception in general; "barrier method", "abstinence", "IUD" ask for another kind
_GENERAL = frozenset(
    ("contraception", "contraceptive", "contraceptives", "birth control",
     "contraceptive methods", "effective contraception")
)  # fmt: skip
#: a kind the pill is not, or more than it: "barrier contraception", "non-hormonal",
#: "double-method", "Progestogen-only", "Male sterilization"
_ANOTHER_KIND = re.compile(
    r"barrier|non-?hormonal|abstinen|intrauterine|\biud\b|copper|double|dual"
    r"|\b(?:two|2)\s+(?:forms|methods)|progest\w*[\s-]+only|sterili|vasectom",
    re.I,
)


def pill_answers(item: Item, mention: Mention, kind: str) -> bool:
    """Whether a hormonal contraceptive taken now answers this mention of contraception:
    an inclusion's requirement or an exclusion's denial. Not for an exclusion that names
    contraception undenied: over 2,500 corpus trials
    nearly all were a denial or a definition the parser did not read as one ("… not
    practicing birth control (… pill …)", "Pregnancy (… use of contraception considered
    to be effective)")."""
    if mention.concept != "contraception" or mention.text.lower() not in _GENERAL:
        return False
    if mention.negated != (kind == "exclusion"):
        # "Not pregnant and willing to use contraception": the "not" reaches past "and"
        return False
    lo = max(0, mention.span[0] - item.span[0] - 40)
    return not _ANOTHER_KIND.search(item.text, lo, mention.span[1] - item.span[0] + 25)
