"""A named therapy against the patient's record: taken, when, in which setting."""

from __future__ import annotations

import datetime as dt
import re

from trialscope.criteria import Item, Mention
from trialscope.match.bounds import ask
from trialscope.match.facts import PatientFacts
from trialscope.match.setting import describe, fits, wanted_setting
from trialscope.match.verdicts import Basis, Evidence, Part, Seen, Verdict

# "no concurrent chemotherapy": what the patient takes now, not what they took
_CONCURRENT = re.compile(r"\b(?:concurrent|concomitant|simultaneous)\w*", re.I)


def seen_therapy(item: Item, mention: Mention, facts: PatientFacts) -> Seen:
    seen = Seen(mention.text)
    taken = facts.therapy_classes.get(mention.concept, [])
    earlier: list[Evidence] = []  # taken, but outside the window the item asks about
    if taken:  # what the item says around the name matters only for a therapy taken
        within = min((w.days for w in item.windows if w.relation == "within"), default=None)
        today = facts.patient.as_of or dt.date.today()
        start = mention.span[0] - item.span[0]
        concurrent = bool(_CONCURRENT.search(item.text[max(0, start - 40) : start]))
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


def unsettled(item: Item, mention: Mention, seen: Seen, facts: PatientFacts, negate: bool) -> Part:
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
