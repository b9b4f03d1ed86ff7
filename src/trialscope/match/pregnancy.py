"""Pregnancy, breastfeeding and contraception items against the patient's record."""

from __future__ import annotations

from trialscope.criteria import Mention
from trialscope.match.bounds import ask, verdict_of
from trialscope.match.facts import PatientFacts
from trialscope.match.verdicts import Basis, Evidence, Part, Verdict
from trialscope.match.wording import title

_CONTRACEPTIVE = "hormonal_contraceptive"


def judge_pregnancy(mention: Mention, facts: PatientFacts, kind: str) -> Part:
    patient = facts.patient
    field = "breastfeeding" if mention.concept == "breastfeeding" else "pregnant"
    if mention.concept not in ("pregnancy", "breastfeeding"):
        # contraception, childbearing potential, pregnancy tests: asked, not inferred
        key = f"pregnancy:{mention.concept}"
        if facts.has(key) or facts.ruled_out(key):
            holds = bool(facts.has(key)) != mention.negated
            return verdict_of(holds), f"{mention.text}: as answered", Basis.FACT, [], []
        taking = [t for t in facts.therapy_classes.get(_CONTRACEPTIVE, ()) if t.status == "active"]
        if (
            mention.concept == "contraception"
            and taking
            and (mention.negated or kind != "exclusion")
        ):
            # the pill or another hormonal contraceptive on record is contraception in use.
            # Not for an exclusion that names contraception undenied: over 2,500 corpus
            # trials nearly all were a denial or a definition the parser did not read as
            # one ("… not practicing birth control (… pill …)", "Pregnancy (… use of
            # contraception considered to be effective)"), so it stays as it was
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
