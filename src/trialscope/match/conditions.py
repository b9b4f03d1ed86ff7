"""A named condition against the patient's record.

A condition is there when the patient has it or something narrower; words before the
name that narrow it ("prolymphocytic T leukemia") or make it more serious ("severe COPD")
ask rather than assume; "other" is relative to the trial's own conditions; a known
different primary or a healthy person rules the trial's own disease out (closed world).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from trialscope.criteria import Item, Mention
from trialscope.criteria.model import TemporalWindow
from trialscope.match.concepts import ancestors, find_concepts, vocabulary
from trialscope.match.confirmation import (
    asked_confirmation,
    confirmation_holds,
    describe_confirmation,
    only_confirming,
)
from trialscope.match.facts import PatientFacts, most_specific
from trialscope.match.patient import Condition
from trialscope.match.primary import different_primary, different_type, healthy
from trialscope.match.severity import REQUIRING_HOSPITAL
from trialscope.match.smoking import SMOKING, status_said, wanted_smoking
from trialscope.match.verdicts import Evidence, Seen
from trialscope.match.wording import NO_CONTEXT, read_context


def closed_world(
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
    found = different_primary(concept, facts) or different_type(concept, facts)
    if found is None:
        return None
    # the wording is read only for a rule-out (most patients have no known primary)
    start, end = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
    if (start > 0 and _FOR_WHOM.search(item.text, max(0, start - 40), start)) or (
        _FOR_BEFORE.search(item.text, max(0, start - 12), start)
        and _GROUP_AFTER.match(item.text, end)
    ):
        # "... at least one line of chemotherapy ... for patients with small cell
        # carcinoma", "For prostate cancer participants only, ...": whom a requirement
        # is for, not what every patient must have
        return None
    if _PERMITTING.search(_sentence_of(item.text, start, end)):
        # "Patients with squamous carcinoma of the skin ... can be accrued": a way in
        return None
    return found


_FOR_WHOM = re.compile(
    r"\b(?:for|in)\s+(?:those|patients|subjects|participants|people|persons|cases)"
    r"\s+(?:with|who\s+have)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,3}$",
    re.I,
)


_FOR_BEFORE = re.compile(r"\b(?:for|in)\s+(?:the\s+|those\s+)?$", re.I)
_GROUP_AFTER = re.compile(
    r"\s*(?:participants|patients|subjects|cohorts?|arms?|cases|population)\b", re.I
)


_PERMITTING = re.compile(
    r"\b(?:may|can|will)\s+(?:also\s+)?be\s+(?:accrued|entered|included|enrolled|eligible"
    r"|allowed|permitted|accepted|considered)\b"
    r"|\b(?:are|is)\s+(?:also\s+)?(?:eligible|allowed|permitted|acceptable)\b",
    re.I,
)


def _sentence_of(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` around ``start``-``end``."""
    opened = max(text.rfind(". ", 0, start), text.rfind("; ", 0, start))
    closes = [at for at in (text.find(". ", end), text.find("; ", end)) if at >= 0]
    return text[opened + 1 : min(closes) if closes else len(text)]


#: infection in general (the lexicon's, MeSH Infections, Communicable and Virus Diseases)
_ANY_INFECTION = frozenset({"lex:infection", "MESH:D007239", "MESH:D003141", "MESH:D014777"})
#: chronic viral infections trials name apart (HIV, hepatitis B, hepatitis C)
_CHRONIC_VIRAL = frozenset(
    {"lex:hiv", "lex:hbv", "lex:hcv", "MESH:D015658", "MESH:D006509", "MESH:D006526"}
)


def _chronic_viral(condition: Condition, facts: PatientFacts) -> bool:
    own = facts.concepts_of.get(id(condition), frozenset())
    return any(c in _CHRONIC_VIRAL or ancestors(c) & _CHRONIC_VIRAL for c in own)


def seen_condition(
    item: Item, mention: Mention, facts: PatientFacts, own: frozenset[str], kind: str = "inclusion"
) -> Seen:
    concept = mention.concept if ":" in mention.concept else f"lex:{mention.concept}"
    # "other" is relative to the trial's own conditions: the patient's disease the trial
    # is about cannot satisfy it (unknown without the trial, so left as it was)
    if own and concept == "lex:other_malignancy":
        concept = "lex:malignancy"
    seen = Seen(mention.text)
    found = facts.has(concept)
    # what the words around the name say is read only when the patient has the thing
    context = read_context(item, mention) if found else NO_CONTEXT
    # an exclusion naming a class of the trial's own disease ("Metabolic disease" in a
    # diabetes trial, "eye disease" in a glaucoma one) means the other members of it
    other = bool(own) and (context.other or (kind == "exclusion" and _above(concept, own)))
    # "Prior history of breast cancer" in a breast cancer trial: an earlier one, so the
    # patient's current breast cancer does not count (one on record as past does)
    earlier_own = bool(own) and context.prior and (kind == "exclusion" or mention.negated)
    wants_active = context.active and not mention.historical
    # a former smoker is not a current one: the status reader said which ("quit in 2005")
    base = item.span[0]
    smoker = (
        wanted_smoking(item.text, mention.span[0] - base, mention.span[1] - base)
        if found and concept == SMOKING
        else None
    )
    wants_active = wants_active and smoker is None
    # "laboratory-confirmed COVID-19", "confirmed by RT-PCR": read only when the record
    # says how a diagnosis was confirmed ("Definitive diagnosis: never")
    confirmation = (
        asked_confirmation(item.text, mention.span[0] - base, mention.span[1] - base)
        if not mention.negated and any(f.condition.confirmed_by is not None for f in found)
        else None
    )
    within = context.within
    # read only for a condition on record (the loop below)
    today = facts.patient.as_of or (dt.date.today() if found else dt.date.min)
    qualifier, severity = context.qualifier, context.severity
    after = context.after
    if after:
        seen.kind = f"{mention.text} {after}"
    elif qualifier and all(w in mention.text for w in qualifier):
        seen.kind = mention.text  # "adenocarcinoma of the transverse colon" says it all
    elif qualifier:
        seen.kind = " ".join((*reversed(qualifier), mention.text))
    if severity == REQUIRING_HOSPITAL and not qualifier:
        seen.kind = f"{mention.text} {severity}"
    elif severity and not qualifier:
        named_with = mention.text.lower().startswith(severity)
        seen.kind = mention.text if named_with else f"{severity} {mention.text}"
    earlier: list[Evidence] = []  # there, but outside the window the item asks about
    for fact in found:
        condition = fact.condition
        # "Uncontrolled diabetes" for a diabetes in the past medical history: a chronic
        # disease on record, whether it is controlled is asked below
        severity_asked = bool(severity) and condition.resolved is None
        if confirmation is not None and condition.confirmed_by is not None:
            holds = confirmation_holds(condition.confirmed_by, confirmation)
            if holds is None:  # confirmed, but by which test is not said
                seen.broader.append(Evidence(f"{condition.name} (confirmed)", condition.source))
                seen.kind = seen.kind or f"{mention.text} confirmed by {' or '.join(confirmation)}"
                continue
            if not holds:
                how = describe_confirmation(condition.confirmed_by)
                earlier.append(Evidence(f"{condition.name}: {how}", condition.source))
                continue
            if only_confirming(qualifier):  # "Laboratory-confirmed COVID-19": it is
                confirmed = f"{condition.name} (confirmed: {', '.join(condition.confirmed_by)})"
                seen.present.append(Evidence(confirmed, condition.source))
                continue
        if smoker is not None and condition.status != "absent":
            if not status_said(condition):
                # "History of smoking", "30 pack-year smoking history": smoked, but still?
                seen.broader.append(Evidence(condition.name, condition.source))
                seen.kind = (
                    seen.kind or ("current " if smoker == "active" else "former ") + "smoker"
                )
                continue
            if condition.status != smoker:
                smokes = "a former smoker" if condition.status == "history" else "a current smoker"
                earlier.append(Evidence(f"{condition.name}: {smokes}", condition.source))
                continue
        if wants_active and condition.status == "history" and not severity_asked:
            if kind == "exclusion":
                # "Active pneumonia" for one in the past history: not now, as far as the
                # record says (and the answer shows the history it read); an inclusion
                # ("active rheumatoid arthritis") is left open as before
                now = f"{condition.name} (history), not said to be current"
                earlier.append(Evidence(now, condition.source))
            continue
        if (
            condition.resolved is not None
            and within is None
            and not (mention.historical or context.prior)
        ):
            # "Subjects diagnosed with gestational diabetes" for one resolved in 1996: the
            # item speaks of a current one ("history of", "prior" or a window would count it)
            gone = f"{condition.name} (resolved {condition.resolved}), not now"
            earlier.append(Evidence(gone, condition.source))
            continue
        if other and facts.about_any(condition, own):
            continue
        if context.before_year is not None and condition.status == "active":
            onset = condition.onset or today
            if onset.year >= context.before_year:
                # "History of COVID-19 before 2022": the infection the patient has now is
                # not that one (an earlier one is asked, or assumed absent, as any other)
                seen.named = f"{mention.text} before {context.before_year}"
                continue
        if earlier_own and condition.status != "history" and facts.about_any(condition, own):
            seen.named = f"an earlier {mention.text} (the current one does not count)"
            continue
        if context.excepted and facts.about_any(condition, context.excepted):
            continue  # "eye disease other than glaucoma": the glaucoma does not count
        evidence = Evidence(f"{condition.name} ({condition.status})", condition.source)
        if concept in _ANY_INFECTION and _chronic_viral(condition, facts):
            # "Active infection" for HIV or hepatitis B on record: trials mean an acute
            # infection and name HIV and hepatitis apart; whether this one counts is asked
            seen.broader.append(evidence)
            seen.kind = seen.kind or mention.text
            continue
        if _ALLERGY.search(mention.text) and not _ALLERGY.search(condition.name):
            # "Allergy": asthma and eczema are hypersensitivities in MeSH, but not what a
            # screener calls an allergy; whether this one is, is asked
            seen.broader.append(evidence)
            seen.kind = seen.kind or mention.text
            continue
        if qualifier and not all(
            _recorded(w, condition, facts) or (after and _in_sentence(w, condition))
            for w in qualifier
        ):
            # "prolymphocytic T leukemia" for a patient with AML: the words before the
            # name narrow it to a kind the vocabulary did not resolve
            seen.broader.append(evidence)
            continue
        if severity and not said(severity, condition):
            # "severe COPD (FEV1 < 50%)": a bare diagnosis of COPD does not say how severe
            seen.broader.append(evidence)
            continue
        if within is not None and condition.onset is not None:
            if (today - condition.onset).days > within:
                # "MI within 3 months": this one was longer ago
                when = f"{condition.name} ({condition.onset}): before the window"
                earlier.append(Evidence(when, condition.source))
                continue
        elif within is not None and condition.status == "history":
            seen.untimed.append(evidence)  # past, but when?
            continue
        lasting = [w for w in item.windows if w.relation in ("duration", "at_least")]
        if lasting:
            enough = _long_enough(lasting, condition, today)
            if enough is None:
                seen.untimed.append(evidence)  # "fever for at least a week": not recorded
            elif enough:
                since = f"{condition.name} (since {condition.onset})"
                seen.present.append(Evidence(since, condition.source))
            else:
                too_recent = f"{condition.name} (since {condition.onset}): not long enough"
                earlier.append(Evidence(too_recent, condition.source))
            continue
        seen.present.append(evidence)
    if not found and concept.startswith(("MESH:", "DOID:")):
        seen.broader += _broader_on_record(concept, facts)
        if seen.broader:
            seen.kind = mention.text
    # "no history of cancer" rules out colorectal cancer too
    ruled_out = facts.ruled_out(concept)
    if not ruled_out and facts.absent:
        # a denied class of diseases says nothing of its symptoms ("respiratory diseases:
        # none" does not deny a cough); a denied class of symptoms does
        symptom = _SYMPTOMS in ancestors(concept)
        ruled_out = [
            f
            for up in sorted(ancestors(concept))
            if not symptom or _SYMPTOMS in ancestors(up)
            for f in facts.ruled_out(up)
        ]
    seen.absent = [Evidence(f"no {f.condition.name}", f.condition.source) for f in ruled_out]
    if not seen.present and not seen.untimed and not seen.broader:
        seen.absent += earlier
    if not seen.broader:
        seen.kind = None  # nothing broader on record: the name alone decides
    return seen


#: MeSH "Signs and Symptoms"
_SYMPTOMS = "MESH:D012816"
#: classes too broad to say a patient has "a kind of" what a criterion names
_CLASSES = frozenset({"lex:malignancy", "lex:other_malignancy", "MESH:D009369", "MESH:D009370"})


def _broader_on_record(concept: str, facts: PatientFacts) -> list[Evidence]:
    """The patient's diseases of which ``concept`` is a kind: an AML patient may or may
    not have the APL a criterion names (the note did not say which AML), so it is asked,
    not ruled out by a closed world that only knows the broader name."""
    above = kinds_above(concept)
    return [
        Evidence(f"{condition.name} ({condition.status})", condition.source)
        for condition in facts.patient.conditions
        if condition.status != "absent"
        and above & facts.concepts_of.get(id(condition), frozenset())
    ][:1]


@lru_cache(maxsize=1 << 16)
def kinds_above(concept: str) -> frozenset[str]:
    """The diseases ``concept`` is a kind of, less the classes every cancer is in."""
    vocab = vocabulary()
    return frozenset(
        up
        for up in ancestors(concept)
        # "pain" above "acute pain" counts (a patient in pain may be in acute pain); the
        # roots and the classes of every cancer do not
        if up != concept and up not in _CLASSES and (up.startswith("lex:") or vocab.depth(up))
    )


# "for at least 1 year", "for more than 5 years", "at least 6 months before screening"
_MINIMUM = re.compile(
    r"\b(?:at\s+least|(?:more|greater)\s+than|over|longer\s+than|minimum|min\.?"
    r"|not?\s+less\s+than)\b|[≥>]",
    re.I,
)


# a note sentence that says since when a condition has lasted, not when something happened
_SINCE = re.compile(
    r"\b(?:diagnosed\b[^.;]{0,40}\b(?:ago|in\s+(?:19|20)\d\d)|since|(?:for|x)\s+(?:the\s+"
    r"(?:past|last)\s+)?(?:\d+|a|an|one|two|three|"
    r"four|five|six|seven|eight|nine|ten|several)\s+(?:day|week|month|year)s?)\b",
    re.I,
)


def _long_enough(
    windows: list[TemporalWindow], condition: Condition, today: dt.date
) -> bool | None:
    """Whether the condition has lasted as long as a minimum-duration window asks (None:
    no date on record, or a window that is not a minimum)."""
    if condition.onset is None or not all(_MINIMUM.search(w.text) for w in windows):
        return None
    source = condition.source
    if source.kind == "note" and not _SINCE.search(source.text or ""):
        return None  # "fever two weeks ago" dates a visit: it says nothing of how long
    lasted = (today - condition.onset).days
    # "diagnosed a year ago" is 365 days for a window of 365.25: a date a note gives in
    # its own words is no more precise than them, so the bound gets a few days' slack
    return all(lasted >= w.days - max(1.0, 0.03 * w.days) for w in windows)


_ALLERGY = re.compile(r"allerg|hypersensitiv|anaphyla|atop", re.I)


def _above(concept: str, own: frozenset[str]) -> bool:
    """``concept`` is strictly broader than one of the trial's own conditions."""
    return any(concept != t and concept in ancestors(t) for t in most_specific(own))


def _in_sentence(word: str, condition: Condition) -> bool:
    """ "Allergy to penicillin": the words after a name, said where the record names it."""
    return re.search(rf"\b{re.escape(word)}", condition.source.text or "", re.I) is not None


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


def said(severity: str, condition: Condition) -> bool:
    """The record describes the condition as that severe."""
    text = f"{condition.name} {condition.source.text or ''}".lower()
    if severity.startswith("grade"):
        # "Grade >= 4 venous thromboembolism": a record that grades it says so
        return re.search(r"\bgrade\s*[2-5]\b", text) is not None
    if severity == REQUIRING_HOSPITAL:
        return (
            re.search(r"\bhospital|\badmi(?:tted|ssion)|\bin[\s-]?patient|\bICU\b", text, re.I)
            is not None
        )
    if severity == "symptomatic":  # not "asymptomatic"
        return re.search(r"(?<![\w-])symptomatic\b", text) is not None
    word = severity.split()[-1][:6]  # "uncontr", "severe", "decomp"
    return word in text
