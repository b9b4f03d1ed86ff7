"""Free-text patient notes -> a :class:`Patient`, each fact quoting its sentence.

Notes like the TREC / SIGIR topics ("A 58-year-old woman presents with ... She denies
smoking, diabetes ...") are read sentence by sentence: age and sex from the opening
phrase, conditions and prior therapies from the concept finder with ConText-style
negation / history / family scope (a negated mention becomes an explicit ``absent``
fact), lab values and performance scores with the criteria parser's own constraint
reader (so units are the same canonical ones), pregnancy from gestation phrases.

A note is read as a whole history (``complete_history``): what it does not mention is
taken as absent for exclusion criteria, the way a screener reads a referral letter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Literal

from trialscope.criteria import VARIABLES
from trialscope.criteria.assertions import assert_span, clean_triggers, triggers
from trialscope.criteria.biomarkers import find_markers
from trialscope.criteria.cleantext import CleanText
from trialscope.criteria.constraints import extract_constraints
from trialscope.criteria.named_after import named_after_in
from trialscope.criteria.stage import find_stages
from trialscope.criteria.units import as_written
from trialscope.criteria.vaccination import disease_finder, vaccines_in
from trialscope.match.biomarkers import from_note
from trialscope.match.care_setting import care_setting_said
from trialscope.match.concepts import Found, ancestors, find_concepts
from trialscope.match.confirmation import read_confirmation
from trialscope.match.lesions import add_lesions
from trialscope.match.patient import (
    Condition,
    ConditionStatus,
    Lab,
    Patient,
    Performance,
    Provenance,
    Therapy,
    TherapyStatus,
)
from trialscope.match.sentences import clauses, sentences
from trialscope.match.setting import note_setting
from trialscope.match.smoking import read_smoking
from trialscope.match.therapy_sequence import end_followed_therapies
from trialscope.match.therapy_status import is_planned, names_a_service
from trialscope.match.vaccination import vaccinations_said
from trialscope.match.ventilation import ventilation_said
from trialscope.match.vital_signs import short_temperatures
from trialscope.terminology.drugs import find_drugs

# "58-year-old", "62 yo", "66yo", "8 y/o", "35 years old", "a 3-month-old"
_AGE = re.compile(
    r"\b(\d{1,3}(?:\.\d)?)\s*[- ]?\s*(?:(years?|yrs?|y)[- ]?(?:old|o\b)|(yo|y/o|y\.o\.?)\b"
    r"|(months?|weeks?|days?)[- ]old)",
    re.I,
)
# the clinician's shorthand that opens a note: "74M hx of CAD", "48 M with a h/o HTN",
# "62 yo F", and "a 41 year man" (no "old")
_AGE_SEX_OPENING = re.compile(
    r"\A\W*(\d{1,3})\s*(?:y/?o\s*|yr?s?\s+)?(?P<sex>M|F)\b(?=\s*(?:[,;(]|with|w/|hx|h/o|s/p|who"
    r"|presents?|presenting|pmh|admitted|is|was|$))"
)
_AGE_BEFORE_PERSON = re.compile(
    r"\b(\d{1,3})[- ]?(?:years?|yrs?)[- ]+(?=(?:man|woman|male|female|boy|girl|gentleman|lady)\b)",
    re.I,
)
_AGED = re.compile(r"\b(?:aged?|age of|age:)\s*(\d{1,3})\b(?!\s*(?:%|mm|cm|kg))", re.I)
# a questionnaire line, "Prior chemotherapy: no." / "Tuberculosis: none" / "HIV: unknown" /
# "Tuberculosis: past" / "Ketoacidosis history: yes": what the label names is denied, not
# known, or past, though no negation or history word comes before it
_ANSWER = re.compile(
    r"^(?P<label>[^:]{2,80}):\s*(?:(?P<no>no|none|never|negative|denied|denies|absent|nil"
    r"|not present)|(?P<unknown>unknown|not known|n/?a|not applicable)|(?P<past>past|previous"
    r"|history|in the past|resolved|former|remote|cured)|(?P<yes>yes|positive|present))"
    r"\s*[.!]?\s*$",
    re.I,
)
# "Stroke history: stroke 12 years ago", "Prior radiotherapy: yes": a past thing
_HISTORY_LABEL = re.compile(r"^[^:]{0,60}\b(?:history|prior|previous|past)\b[^:]{0,40}:\s*\S", re.I)
#: what a questionnaire line says about the things it names
Said = Literal["denied", "past"] | None
_FEMALE = re.compile(
    r"\b(?:woman|women|female|girl|lady|mother|she|her|gravida|pregnant|postmenopausal)\b", re.I
)
_MALE = re.compile(r"\b(?:man|men|male|boy|gentleman|he|his|him)\b", re.I)
_GESTATION = re.compile(
    r"\b(\d{1,2})\s*(?:weeks?|wks?)(?:'|’)?\s*(?:of\s+)?(?:gestation|pregnant|pregnancy)\b"
    r"|\bpregnant\b|\bG\d+P\d+\b|\bgravida\b",
    re.I,
)
_NOT_PREGNANT = re.compile(
    r"\b(?:not|never been|no longer)\s+pregnant\b|\bnegative\s+(?:urine\s+|serum\s+)?"
    r"(?:pregnancy|hcg|beta-hcg)",
    re.I,
)
_BREASTFEEDING = re.compile(r"\b(?:breast-?feeding|lactating|nursing (?:her|an?) )", re.I)
_NO_MEDICATIONS = re.compile(
    r"\b(?:takes|taking|on)\s+no\s+(?:other\s+)?medications?\b|\bno\s+(?:current\s+)?"
    r"medications?\b|\bdenies\s+(?:any\s+)?medications?\b",
    re.I,
)
_CONSENT = re.compile(
    r"\b(?:will|agrees?\s+to|is\s+willing\s+to|willing\s+to)\s+(?:provide|give|sign)\s+"
    r"(?:written\s+)?(?:informed\s+)?consent",
    re.I,
)
_NO_CONSENT = re.compile(
    r"\b(?:unable|unwilling|refuses?|declines?)\s+to\s+(?:provide|give|sign)\s+(?:\w+\s+)?consent",
    re.I,
)
_AGO = re.compile(
    r"\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several)\s+"
    r"(day|week|month|year)s?\s+(?:ago|earlier|before|prior)\b",
    re.I,
)
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "several": 3,
}
_DAYS = {"day": 1, "week": 7, "month": 30.44, "year": 365.25}
_PAST = re.compile(
    r"\b(?:prior|previous(?:ly)?|former(?:ly)?|received|completed|was treated)\b", re.I
)
# "ER/PR negative.", "KRAS negative, BRAF negative": a marker's result, not a negation of the
# tumour named before it ("Breast cancer, ER negative" is breast cancer). The result word is
# blanked (same length) before concepts are found; a result joined to the disease name
# ("HER2-negative breast cancer") is left for the finder.
_MARKER_RESULT = re.compile(
    r"\b(?:ER|PR|PgR|HER-?2(?:/neu)?|ER\s*/\s*PR|hormone[- ]receptors?|(?:o?estrogen|"
    r"progesterone)[- ]receptors?|EGFR|KRAS|NRAS|BRAF|ALK|ROS-?1|PD-?L1|BRCA[12]?|MSI(?:-H)?|"
    r"MMR|p16|p53|TP53|JAK2|FLT3|NPM1|IDH[12]?|c-?KIT|KIT|RET|NTRK[123]?|CD\d{1,3})"
    r"(?:\s*(?:status|expression|mutation|amplification|testing|test))?\s*(?:was|is|were|:)?"
    r"[\s-]*(?P<result>negative|neg)(?=\s*(?:[.,;:)]|and\b|or\b|$))",
    re.I,
)
_AGE_UNITS = {"month": 1 / 12, "week": 1 / 52.18, "day": 1 / 365.25}


def read_note(text: str, *, as_of: dt.date | None = None) -> Patient:
    """Read a clinical note into a Patient. Never stores or logs the text.

    Sentences come from :mod:`.sentences` (pysbd); each fact quotes its whole sentence.
    Semicolons split a sentence into clauses, each a negation scope of its own."""
    patient = Patient(note=text, as_of=as_of, complete_history=True)
    spans = sentences(text)
    scan = _MARKER_RESULT.sub(lambda m: _blank(m, "result"), text)  # same offsets as text
    _demographics(patient, text, spans)
    for number, sentence in enumerate(spans):
        where = f"sentence {number + 1}"
        if _SOMEONE_ELSE.match(text, sentence[0]):
            continue  # "Her husband was recently diagnosed with colon cancer": not the patient
        for lo, hi in clauses(text, *sentence):
            quote = _Quote(text, sentence, where)
            answer = _ANSWER.match(text[lo:hi])
            if answer is not None and answer.group("unknown"):
                continue  # "HIV: unknown" says nothing either way
            said = _said(answer, text[lo:hi])
            before, given = len(patient.conditions), len(patient.therapies)
            _concepts(patient, scan, lo, hi, quote, said)
            read_smoking(patient.conditions, text[lo:hi], before, quote(lo, hi))
            _stage(patient, text, lo, hi, patient.conditions[before:])
            _measurements(patient, text, lo, hi, quote)
            named = len(patient.therapies)
            _drugs(patient, scan, lo, hi, quote, said)
            _same_reading(patient.therapies[given:named], patient.therapies[named:])
            _ongoing(patient, text, lo, hi, before, given)
            setting = note_setting(text[lo:hi])  # "adjuvant letrozole", "first-line FOLFOX"
            for therapy in patient.therapies[given:]:
                therapy.setting = setting
            _biomarkers(patient, text, lo, hi, quote)
            if _NO_MEDICATIONS.search(text, lo, hi):
                patient.therapies.append(
                    Therapy(
                        name="any medication",
                        classes=["medication"],
                        status="absent",
                        source=quote(lo, hi),
                    )
                )
    end_followed_therapies(patient, text, spans)
    read_confirmation(patient, text, spans)  # "Definitive diagnosis: never."
    for number, sentence in enumerate(spans):
        for lo, hi in clauses(text, *sentence):
            if _said(_ANSWER.match(text[lo:hi]), text[lo:hi]) == "denied":
                continue
            add_lesions(patient, scan, lo, hi, _Quote(text, sentence, f"sentence {number + 1}"))
    return patient


def _blank(match: re.Match[str], group: str) -> str:
    """The match with one group's characters replaced by spaces (offsets kept)."""
    start, end = match.span(group)
    whole = match.group()
    offset = match.start()
    return whole[: start - offset] + " " * (end - start) + whole[end - offset :]


class _Quote:
    """Provenance for a fact of one sentence: the whole sentence quoted, the fact's own
    span marked."""

    def __init__(self, text: str, sentence: tuple[int, int], where: str) -> None:
        self.sentence = text[sentence[0] : sentence[1]]
        self.where = where

    def __call__(self, start: int, end: int) -> Provenance:
        return Provenance(kind="note", ref=self.where, text=self.sentence, span=(start, end))


def _prov(text: str, lo: int, hi: int, where: str) -> Provenance:
    return Provenance(kind="note", ref=where, text=text[lo:hi], span=(lo, hi))


def _demographics(patient: Patient, text: str, spans: list[tuple[int, int]]) -> None:
    opening = _AGE_SEX_OPENING.match(text)
    for number, (lo, hi) in enumerate(spans):
        match = (
            _AGE.search(text, lo, hi)
            or _AGED.search(text, lo, hi)
            or _AGE_BEFORE_PERSON.search(text, lo, hi)
            or (opening if number == 0 else None)
        )
        if match is None:
            continue
        value = float(match.group(1))
        unit = match.group(4) if match.re is _AGE and match.lastindex == 4 else None
        if unit:
            value = round(value * _AGE_UNITS[unit.lower().rstrip("s")], 2)
        if value <= 120:
            patient.age = value
            patient.provenance["age"] = _prov(text, lo, hi, f"sentence {number + 1}")
            break
    votes: Counter[str] = Counter()
    first: dict[str, tuple[int, int, int]] = {}
    for number, (lo, hi) in enumerate(spans):
        for sex, pattern in (("female", _FEMALE), ("male", _MALE)):
            found = pattern.findall(text, lo, hi)
            # the noun in the opening phrase outweighs pronouns further on
            votes[sex] += len(found) * (3 if number == 0 else 1)
            if found and sex not in first:
                first[sex] = (lo, hi, number)
    if opening is not None and spans:
        said = "female" if opening.group("sex") == "F" else "male"
        votes[said] += 3  # as much as a noun in the opening phrase
        first.setdefault(said, (spans[0][0], spans[0][1], 0))
    if votes:
        sex = "female" if votes["female"] > votes["male"] else "male"
        if votes[sex] > 0:
            patient.sex = sex  # type: ignore[assignment]
            lo, hi, number = first[sex]
            patient.provenance["sex"] = _prov(text, lo, hi, f"sentence {number + 1}")
    for number, (lo, hi) in enumerate(spans):
        where = f"sentence {number + 1}"
        if _NOT_PREGNANT.search(text, lo, hi):
            patient.pregnant = False
            patient.provenance["pregnant"] = _prov(text, lo, hi, where)
        elif (gestation := _GESTATION.search(text, lo, hi)) and patient.sex != "male":
            patient.pregnant = True
            patient.provenance["pregnant"] = _prov(text, lo, hi, where)
            if gestation.group(1) and patient.lab("gestational_age") is None:
                patient.labs.append(
                    Lab(
                        test="gestational_age",
                        value=float(gestation.group(1)),
                        unit="week",
                        source=_prov(text, lo, hi, where),
                    )
                )
        for vaccination in vaccinations_said(text[lo:hi]):
            vaccination.source = _prov(text, lo, hi, where)
            patient.vaccinations.append(vaccination)
        ventilated = ventilation_said(text[lo:hi])
        if ventilated is not None:
            patient.mechanically_ventilated = ventilated
            patient.provenance["mechanically_ventilated"] = _prov(text, lo, hi, where)
        setting = care_setting_said(text[lo:hi], patient.care_setting)
        if setting is not None:  # the last said is now: "seen in clinic ... admitted"
            patient.care_setting = setting
            patient.provenance["care_setting"] = _prov(text, lo, hi, where)
        if _CONSENT.search(text, lo, hi) or _NO_CONSENT.search(text, lo, hi):
            patient.will_consent = _NO_CONSENT.search(text, lo, hi) is None
            patient.provenance["will_consent"] = _prov(text, lo, hi, where)
        if _BREASTFEEDING.search(text, lo, hi):
            patient.breastfeeding = True
            patient.provenance["breastfeeding"] = _prov(text, lo, hi, where)


def _onset(text: str, lo: int, hi: int, as_of: dt.date | None) -> dt.date | None:
    """ "an MI 2 years ago" dates the sentence's conditions (approximately)."""
    match = _AGO.search(text, lo, hi)
    if match is None:
        return None
    amount = match.group(1).lower()
    count = _NUMBER_WORDS.get(amount) or int(amount)
    days = count * _DAYS[match.group(2).lower()]
    return (as_of or dt.date.today()) - dt.timedelta(days=round(days))


# right after a condition: "type 2 diabetes for 10 years", "asthma since 2015"
_LASTING = re.compile(
    r"\s*,?\s*(?:diagnosed\s+)?(?:(?:for|x)\s+(?:the\s+(?:past|last)\s+)?(?P<amount>\d+|a|an|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|several)\s+(?P<unit>day|week|month|year)s?"
    r"|(?:since|in)\s+(?P<year>(?:19|20)\d\d))\b",
    re.I,
)


def _lasting(text: str, at: int, hi: int, as_of: dt.date | None) -> dt.date | None:
    """When the condition named just before ``at`` began, from how long it has lasted."""
    match = _LASTING.match(text, at, hi)
    if match is None:
        return None
    today = as_of or dt.date.today()
    if match.group("year"):
        year = int(match.group("year"))
        return dt.date(year, 1, 1) if year <= today.year else None
    amount = match.group("amount").lower()
    count = _NUMBER_WORDS.get(amount) or int(amount)
    return today - dt.timedelta(days=round(count * _DAYS[match.group("unit").lower()]))


def _said(answer: re.Match[str] | None, clause: str) -> Said:
    if answer is not None and answer.group("no"):
        return "denied"
    if (answer is not None and answer.group("past")) or _HISTORY_LABEL.match(clause):
        return "past"
    return None


def _concepts(
    patient: Patient, text: str, lo: int, hi: int, quote: _Quote, said: Said = None
) -> None:
    onset = _onset(text, lo, hi, patient.as_of)
    every = find_concepts(text, lo, hi)
    # "two doses of the COVID-19 vaccine": the disease is the vaccine's, not the patient's
    diseases = disease_finder(text, lo, hi)
    targets = [span for words in vaccines_in(text, lo, hi, diseases) for span in words.target]
    targets += named_after_in(text, lo, hi, diseases)  # "Beck depression inventory: 8."
    for found in every:
        if any(a < found.end and found.start < b for a, b in targets):
            continue
        if found.family or found.hypothetical:
            continue
        if (found.negated or said == "denied") and _denies_a_kind(text, lo, found, every):
            continue
        source = quote(found.start, found.end)
        if found.category == "prior_therapy" and names_a_service(text, found.end, hi):
            continue
        if found.category == "prior_therapy":
            status: TherapyStatus = "completed"
            if found.negated or said == "denied":
                status = "absent"
            elif is_planned(text, lo, found.start):
                status = "planned"
            patient.therapies.append(
                Therapy(
                    name=found.text,
                    classes=[found.concept.split(":", 1)[1]],
                    status=status,
                    source=source,
                )
            )
        elif found.category == "condition" or found.concept.startswith(
            ("MESH:", "DOID:", "ONCOTREE:")
        ):
            began = _lasting(text, found.end, hi, patient.as_of) or onset
            patient.conditions.append(_condition(found, source, began, said))


def _same_reading(named: list[Therapy], drugs: list[Therapy]) -> None:
    """A drug word read inside a therapy the clause names ("chemotherapy" in "neoadjuvant
    chemotherapy") is that therapy: it was given when that one was, not now."""
    for drug in drugs:
        inner = drug.source.span
        for outer in named:
            span = outer.source.span
            if (
                inner is not None
                and span is not None
                and span[0] <= inner[0]
                and inner[1] <= span[1]
                and set(drug.classes) & set(outer.classes)
            ):
                drug.status = outer.status
                break


def _drugs(patient: Patient, text: str, lo: int, hi: int, quote: _Quote, said: Said = None) -> None:
    """Drug names ("prednisone", "FOLFOX") with their classes; negation from context."""
    found = find_drugs(text[lo:hi])
    if not found:
        return
    trig = clean_triggers(triggers(text, lo, hi))
    for start, end, name, classes in found:
        start, end = start + lo, end + lo
        assertion = assert_span(text, start, end, trig, lo, hi)
        if assertion.family or assertion.hypothetical:
            continue
        patient.therapies.append(
            Therapy(
                name=name,
                classes=sorted(classes),
                status="absent"
                if assertion.negated or said == "denied"
                else (
                    "completed"
                    if assertion.historical or said == "past" or _PAST.search(text, lo, start)
                    else "active"
                ),
                source=quote(start, end),
            )
        )


# "History of hypertension controlled on amlodipine": a chronic disease still treated is
# current whatever "history of" says, and so is the drug that controls it
_CONTROLLED = re.compile(
    r"\b(?:(?:well|poorly|adequately|partially)[\s-]+)?(?:controlled|stable)\s+(?:on|with)\b",
    re.I,
)
_TAKING = re.compile(
    r"\b(?:(?:controlled|managed|maintained|stable)\s+(?:on|with)|(?:currently|presently|"
    r"still|now)\s+(?:on|taking|receiving|using)|takes|is\s+(?:on|taking))\b",
    re.I,
)


# "Hypertension diagnosed 3 months ago" dates a current disease; "ago" alone makes an event
# past ("MI 2 years ago")
_DIAGNOSED_AGO = re.compile(r"\bdiagnosed\b[^.;]{0,40}\b(?:ago|earlier)\b", re.I)
_OVER = re.compile(
    r"\b(?:remission|resolved|cured|recovered|no\s+evidence\s+of|history\s+of|prior|previous)\b",
    re.I,
)


def _ongoing(patient: Patient, text: str, lo: int, hi: int, before: int, given: int) -> None:
    """Conditions and drugs of this clause that it says are still being treated, or
    dates only by when they were diagnosed."""
    if _DIAGNOSED_AGO.search(text, lo, hi) and not _OVER.search(text, lo, hi):
        for condition in patient.conditions[before:]:
            if condition.status == "history" and condition.onset is not None:
                condition.status = "active"
    taking = _TAKING.search(text, lo, hi)
    if taking is None or _PAST.search(text, max(lo, taking.start() - 20), taking.start()):
        return  # "previously managed with warfarin"
    controlled = _CONTROLLED.search(text, lo, hi)
    if controlled is not None:
        for condition in patient.conditions[before:]:
            span = condition.source.span
            if condition.status == "history" and span is not None and span[0] < controlled.start():
                condition.status = "active"
    for therapy in patient.therapies[given:]:
        span = therapy.source.span
        if (
            therapy.status == "completed"
            and span is not None
            and span[0] >= taking.end()
            and not _PAST.search(text, taking.end(), span[0])
        ):
            therapy.status = "active"


def _stage(patient: Patient, text: str, lo: int, hi: int, found: list[Condition]) -> None:
    """ "stage IV lung adenocarcinoma", "metastatic ... breast cancer", "pT3N1M0": the
    stage of the cancers named in the same clause."""
    stages = find_stages(text, lo, hi)
    if not stages:
        return
    markers = find_markers(text, lo, hi)  # "HER2-negative" negates no stage
    trig = [
        t
        for t in clean_triggers(triggers(text, lo, hi))
        if not any(m.start <= t.start and t.end <= m.end for m in markers)
    ]
    said = [s for s in stages if not assert_span(text, s.start, s.end, trig, lo, hi).negated]
    if not said:
        return
    # the narrowest statement speaks: "stage IA, T1N0M0" is stage IA
    best = min(said, key=lambda s: sum(hi - lo for lo, hi in s.ranges))
    written = text[best.start : best.end].lower()
    # "stage IV" is also a name the vocabulary knows; it is no cancer to stage
    targets = [c for c in found if c.status != "absent" and c.name.lower() != written]
    if not targets:
        # "Definitive diagnosis: stage III." on a line of its own: the stage of the one
        # cancer the note names (two different cancers leave it unsaid)
        named = {c.name.lower() for c in patient.conditions if _a_cancer(c)}
        if len(named) == 1:
            targets = [
                c for c in patient.conditions if c.status != "absent" and c.name.lower() in named
            ]
    for condition in targets:
        if condition.stage is None:
            condition.stage = text[best.start : best.end]


def _a_cancer(condition: Condition) -> bool:
    return any("lex:malignancy" in ancestors(code) for code in condition.codes)


def _biomarkers(patient: Patient, text: str, lo: int, hi: int, quote: _Quote) -> None:
    """ "HER2-negative, hormone receptor positive", "KRAS G12C", "no EGFR mutation"."""
    trig = clean_triggers(triggers(text, lo, hi))
    markers = find_markers(text, lo, hi)
    # a result word of any marker ("HER2-positive and ER/PR negative") negates none
    spans = [(m.start, m.end) for m in markers]
    trig = [t for t in trig if not any(s <= t.start and t.end <= e for s, e in spans)]
    for marker in markers:
        negated = assert_span(text, marker.start, marker.end, trig, lo, hi).negated
        patient.biomarkers += from_note(marker, quote(marker.start, marker.end), negated)


# a sentence about another person: a relative's diagnosis or treatment is not the patient's
_SOMEONE_ELSE = re.compile(
    r"\W*(?:(?:his|her|their|the\s+patient'?s|patient'?s)\s+(?:\w+\s+)?)"
    r"(?:husband|wife|spouse|partner|boyfriend|girlfriend|mother|father|parents?|son|daughter"
    r"|sons|daughters|child|children|sister|brother|siblings?|twin|grand\w+|aunt|uncle"
    r"|cousin|niece|nephew|friend|roommate|caregiver|coworker|colleague)s?\b",
    re.I,
)


# words before a denied name that do not make it a kind of that name
_LIST_WORDING = """
    no not nor or and any of evidence history known without denies denied negative for the a
    an other prior previous past current active significant from with to in signs symptoms
"""
_LIST_WORDS = frozenset(_LIST_WORDING.split())


def _denies_a_kind(text: str, lo: int, found: Found, every: list[Found]) -> bool:
    """ "No evidence of autoimmune hepatitis or metabolic liver disease" denies those kinds,
    not hepatitis or liver disease: the name inside a longer one, or after a word that
    narrows it, is not what is denied."""
    if any(
        o.start <= found.start and found.end <= o.end and o.end - o.start > found.end - found.start
        for o in every
    ):
        return True
    before = re.search(r"([A-Za-z][\w-]*)[\s-]*$", text[lo : found.start])
    return before is not None and before.group(1).lower() not in _LIST_WORDS


def _condition(
    found: Found, source: Provenance, onset: dt.date | None, said: Said = None
) -> Condition:
    status: ConditionStatus = "active"
    if found.negated or said == "denied":
        status = "absent"
    elif found.historical or said == "past":
        status = "history"
    return Condition(
        name=found.text, codes=[found.concept], status=status, onset=onset, source=source
    )


def _measurements(patient: Patient, text: str, lo: int, hi: int, quote: _Quote) -> None:
    clean = CleanText(text[lo:hi])
    for value, (at, to) in short_temperatures(clean.text):
        source = quote(lo + clean.source_span(at, to)[0], lo + clean.source_span(at, to)[1])
        patient.labs.append(Lab(test="temperature", value=value, unit="degC", source=source))
    for constraint in extract_constraints(clean.text, 0, len(clean.text), clean.source_span):
        if constraint.variable == "age" or constraint.condition:
            continue
        if constraint.operator == "range":
            continue  # "ECOG 0-1" describes a criterion, not a reading
        # a note's "fever up to 39 C" or "platelets > 400" is a reading at the bound
        bound = constraint.low or constraint.high
        if bound is None:
            continue
        value = bound.value
        source = quote(lo + constraint.span[0], lo + constraint.span[1])
        variable = VARIABLES[constraint.variable]
        if variable.id in ("ecog", "who_ps", "karnofsky", "lansky"):
            patient.performance.append(Performance(scale=variable.id, value=value, source=source))
            continue
        if variable.kind == "count" or constraint.unit in ("x ULN", "x LLN"):
            continue
        unit = constraint.unit
        # kept as written ("0.8 mg/dL"): the judge converts, and a person reads it back
        written = as_written(clean.text[constraint.span[0] : constraint.span[1]], value, variable)
        if written is not None:
            value, unit = written
        patient.labs.append(Lab(test=variable.id, value=value, unit=unit, source=source))
