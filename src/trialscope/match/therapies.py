"""A named therapy against the patient's record: taken, when, in which setting."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from trialscope.criteria import Item, Mention, TemporalWindow
from trialscope.match.bounds import ask
from trialscope.match.facts import PatientFacts
from trialscope.match.patient import Therapy
from trialscope.match.setting import describe, fits, wanted_setting
from trialscope.match.verdicts import Basis, Evidence, Part, Seen, Verdict
from trialscope.match.wording import EXCEPT

# "no concurrent chemotherapy": what the patient takes now, not what they took
# ("Currently receiving radiation therapy", "is receiving", "ongoing" say the same)
_CONCURRENT = re.compile(
    r"\b(?:concurrent|concomitant|simultaneous)\w*|\bcurrently\b|\bongoing\b"
    r"|\b(?:is|are)\s+(?:still\s+)?(?:receiving|taking|undergoing)\b",
    re.I,
)


# where radiation went narrows it: "mediastinal irradiation", "whole brain radiotherapy",
# "radiotherapy to more than 25% of the bone marrow", "radiation to the target lesion"
_SITES = (
    r"pelvi[cs]|brain|cranial|craniospinal|cns|thora(?:cic|x)|chest|mediastin(?:al|um)"
    r"|abdom(?:inal|en)|spin(?:al|e)|head|neck|lungs?|liver|hepatic|bones?|marrow|skin|prostate"
    r"|bladder|breast|mantle|hemi-?body|total[- ]body|whole[- ]body|extended[- ]field"
    r"|involved[- ]field|large[- ]field|wide[- ]field|extensive|renal|kidneys?|rect(?:al|um)"
    r"|orbital|ocular|cardiac|heart|lymphoid|nodal|axill(?:a|ary)|inguinal|extremit(?:y|ies)"
    r"|colonic|colon|bowel|gastric|stomach|aortic|retroperitoneal|pancreatic|esophageal"
    r"|transplant(?:ation)?|cosmetic|dental|ophthalmic|cataract|bariatric|joint|hip|knee"
    r"|lesions?|tumou?rs?|sites?|areas?|fields?|ports?|volumes?"
)
_SITE_WORD = re.compile(rf"\b(?:{_SITES})\b", re.I)
# "colonic, aortic, or retroperitoneal surgery": a list of sites before the name
_SITE_BEFORE = re.compile(
    rf"(?:\b(?:{_SITES})\b,?\s+(?:(?:or|and)\s+)?)*\b(?:{_SITES})\b"
    # "breast cancer Surgery:" is a disease before a label, not a site
    r"(?:[\s-]+(?!cancers?\b|carcinomas?\b|tumou?rs?\b|diseases?\b|metasta\w+)[a-z]+){0,1}[\s-]*$",
    re.I,
)
_SITE_AFTER = re.compile(
    r"(?:\s+therapy)?\s+(?:to|of|involving|encompassing)\s+(?!treat\b|be\b|any\s+(?:kind|type)\b"
    r"|(?:the\s+)?(?:patient|subject|study)\b)[^.;()]{2,80}",
    re.I,
)


@lru_cache(maxsize=100_000)
def radiation_site(item: Item, mention: Mention) -> str | None:
    """The radiation (or surgery) as the item narrows it by site or extent ("mediastinal
    irradiation", "irradiation to more than 25% of bone marrow", "colonic, aortic, or
    retroperitoneal surgery"); None when it is any."""
    if mention.concept not in ("radiotherapy", "surgery"):
        return None
    start, end = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
    if _SITE_WORD.search(mention.text):
        return mention.text
    before = _SITE_BEFORE.search(item.text, max(0, start - 60), start)
    if before is not None:
        return f"{item.text[before.start() : start]}{mention.text}"
    after = _SITE_AFTER.match(item.text, end)
    if after is None:
        return None
    phrase = after.group()
    head, comma, tail = phrase.partition(",")
    if comma and not re.search(r"\b(?:or|and)\b", tail):
        # "to the pelvis, within 4 weeks" ends; "to the breast, chest wall, or ..." goes on
        phrase = head
    if _SITE_WORD.search(phrase) or re.search(r"\d\s*%", phrase):
        return f"{mention.text}{phrase}".strip()
    return None


# "lesion", "area": say no place
_GENERIC_SITE = re.compile(r"lesions?|tumou?rs?|sites?|areas?|fields?|ports?|volumes?|extensive")


def _sites(text: str) -> set[str]:
    """The body sites ``text`` names (not "lesion", "area": those say no place)."""
    return {w.lower() for w in _SITE_WORD.findall(text) if not _GENERIC_SITE.fullmatch(w.lower())}


# body regions radiation fields do not cross; a word of no region here ("bone marrow",
# "spine", "involved field") may lie anywhere
_REGIONS = {
    "brain": "brain cranial craniospinal cns",
    "chest": "thoracic thorax chest mediastinal mediastinum lung lungs breast axilla axillary "
    "cardiac heart mantle",
    "abdomen": "abdominal abdomen liver hepatic renal kidney kidneys",
    "pelvis": "pelvic pelvis prostate bladder rectal rectum inguinal",
    "head": "head neck orbital ocular",
}
_REGION = {word: region for region, words in _REGIONS.items() for word in words.split()}


def _site_of(site: str, therapy: Therapy) -> bool | None:
    """Whether the patient's radiation went where the item asks (None: not said)."""
    wanted, given = _sites(site), _sites(therapy.name)
    if not wanted or not given:
        return None
    if wanted & given:  # the item's sites are a list: one in common is enough
        return True
    regions = [{_REGION.get(w) for w in words} for words in (wanted, given)]
    if None in regions[0] | regions[1] or regions[0] & regions[1]:
        return None  # "cranial" for "whole brain": the same place in other words, perhaps
    return False


_DOSE = r"\d+(?:\.\d+)?\s*(?:mg|mcg|µg|ug|g|units?|iu)\b(?:\s*/\s*(?:kg|m2|m²|day|d)\b)*"
# "more than 7.5 mg of prednisone", "prednisone > 10 mg/day", "at a dose of 20 mg or more"
_DOSE_BEFORE = re.compile(
    rf"(?:\b(?:more|greater|higher|less|lower|fewer)\s+(?:than\s+)?|[<>≤≥]=?\s*)?{_DOSE}"
    r"(?:\s+(?:per\s+day|daily|a\s+day|or\s+more|or\s+greater))?\s+(?:of\s+)?\Z",
    re.I,
)
_DOSE_AFTER = re.compile(
    r"\s*(?:\(\s*|,\s*)?(?:at\s+(?:a\s+)?doses?\s+(?:of\s+)?|doses?\s+(?:of\s+)?)?"
    r"(?:[<>≤≥]=?\s*|(?:more|greater|higher|less|lower)\s+than\s+|over\s+|above\s+|exceeding\s+"
    rf"|up\s+to\s+|at\s+least\s+)?{_DOSE}",
    re.I,
)


# "investigational systemic therapy", "inhaled corticosteroids", "intrathecal chemotherapy":
# a kind of the therapy the record must name
_KIND_BEFORE = re.compile(
    r"\b(?P<kind>investigational|experimental|intrathecal|intravesical|intraperitoneal"
    r"|intra-?arterial|hepatic\s+arterial|topical|inhaled|intranasal|ophthalmic|high-dose"
    r"|myeloablative|intralesional)[\s-]+(?:[a-z]+\s+)?\Z",
    re.I,
)


@lru_cache(maxsize=100_000)
def kind_asked(item: Item, mention: Mention) -> tuple[str, str] | None:
    """The therapy as a word right before it narrows it, and that word
    ("investigational systemic therapy", "investigational"); None when there is none."""
    start = mention.span[0] - item.span[0]
    found = _KIND_BEFORE.search(item.text, max(0, start - 30), start)
    if found is None:
        return None
    phrase = " ".join(f"{item.text[found.start() : start]}{mention.text}".split())
    return phrase, found.group("kind").lower()


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
# "Use of 3 or more oral antidiabetic drugs", "more than two antihypertensive agents"
_COUNT_BEFORE = re.compile(
    r"\b(?:(?P<more>more\s+than|greater\s+than|over|>)\s*|(?P<atmost>no\s+more\s+than|at\s+most"
    r"|up\s+to)\s+|(?P<fewer>fewer\s+than|less\s+than|<)\s*)?(?P<n>\d+|one|two|three|four|five|six)"
    r"(?:\s+or\s+(?P<ormore>more|greater)|\s+or\s+(?P<orless>fewer|less))?"
    r"\s+(?:different\s+|distinct\s+|oral\s+|concomitant\s+)*\Z",
    re.I,
)


def _count_holds(item: Item, mention: Mention, taken: list[Therapy]) -> bool | None:
    """Whether the patient takes as many of the class as the number before it says (None:
    no number there)."""
    start = mention.span[0] - item.span[0]
    found = _COUNT_BEFORE.search(item.text, max(0, start - 40), start)
    if found is None:
        return None
    word = found.group("n").lower()
    n = _NUMBERS[word] if word in _NUMBERS else int(word)
    have = len({t.name.lower() for t in taken if t.status != "absent"})
    if found.group("more"):
        return have > n
    if found.group("fewer"):
        return have < n
    if found.group("atmost") or found.group("orless"):
        return have <= n
    return have >= n  # "3 or more", and a bare "two antidiabetic drugs"


@lru_cache(maxsize=100_000)
def dose_asked(item: Item, mention: Mention) -> str | None:
    """The drug as the item narrows it by dose ("more than 7.5 mg of prednisone"); None
    when any dose counts. Records seldom give doses, so a dose is asked, not assumed."""
    start, end = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
    before = _DOSE_BEFORE.search(item.text, max(0, start - 40), start)
    if before is not None:
        return " ".join(f"{item.text[before.start() : start]}{mention.text}".split())
    after = _DOSE_AFTER.match(item.text, end)
    if after is not None:
        return " ".join(f"{mention.text}{after.group()}".replace("(", " ").split())
    return None


# what the criteria lexicon files under "surgery", "ablation", "radiotherapy" as the class
# itself; any other word it files there names one procedure ("hepatectomy", "TACE", "SIRT")
_CLASS_WORDS = {
    "surgery": "surgery surgeries surgical resection resection resections operation operations "
    "major surgery surgical procedure surgical procedures surgical intervention operative "
    "intervention",
    "ablation": "ablation ablations",
    "radiotherapy": "radiotherapy radiation therapy radiation irradiation external beam "
    "radiation chemoradiotherapy chemoradiation",
}
_GENERIC = {concept: " " + words + " " for concept, words in _CLASS_WORDS.items()}


@lru_cache(maxsize=100_000)
def _named_procedure(mention: Mention) -> str | None:
    """The one procedure a surgery, ablation or radiotherapy mention names, lower case
    (None: the class word itself, or another kind of mention)."""
    generic = _GENERIC.get(mention.concept)
    text = " ".join(mention.text.lower().split())
    if generic is None or f" {text} " in generic or text in ("r0 resection", "radical resection"):
        return None
    if mention.concept == "radiotherapy" and _SITE_WORD.search(text):
        return None  # "whole brain radiotherapy": the site logic asks where
    return text


def _inside_sited(therapy: Therapy, taken: list[Therapy], where: dict[int, bool | None]) -> bool:
    """ "radiotherapy" read inside "whole brain radiotherapy" is that one therapy."""
    span, ref = therapy.source.span, therapy.source.ref
    return span is not None and any(
        where[id(other)] is not None
        and other.source.ref == ref
        and other.source.span is not None
        and other.source.span[0] <= span[0]
        and span[1] <= other.source.span[1]
        for other in taken
    )


def _let_through(item: Item, mention: Mention) -> frozenset[str]:
    """Therapies named after ``mention`` as its exceptions ("antidiabetic drugs except
    metformin", "other than study drug and companion medications (metformin and insulin)")."""
    base, out = item.span[0], set()
    for other in item.mentions:
        if other.category != "prior_therapy" or other.span[0] < mention.span[1]:
            continue
        gap = item.text[mention.span[1] - base : other.span[0] - base]
        if len(gap) <= 80 and EXCEPT.search(gap) and not re.search(r"[.;]\s", gap):
            out.add(other.concept)
    return frozenset(out)


def _concurrent(text: str, start: int) -> bool:
    """The item asks about the therapy now: "concurrent" before it in its clause, not
    followed by "prior" ("Is receiving concurrent immunotherapy, hormonal therapy (eg,
    tamoxifen), or radiation therapy")."""
    clause = text[max(0, start - 120) : start]
    cut = max((m.end() for m in re.finditer(r"[.;:]\s|\bexcept\b|\bunless\b", clause)), default=0)
    last = max((m.end() for m in _CONCURRENT.finditer(clause, cut)), default=None)
    return last is not None and not _PRIOR_AFTER.search(clause, last)


_FOR = re.compile(r"\s*for\b", re.I)


def _how_long(item: Item, mention: Mention) -> list[TemporalWindow]:
    """The windows right after the therapy's name that say how long it is taken ("on
    antiretroviral therapy for less than 4 weeks"); "no systemic treatment ... for 3 years"
    (negated) is how long without it, and is not asked here."""
    base, end = item.span[0], mention.span[1] - item.span[0]
    return [
        w
        for w in item.windows
        if (w.relation == "duration" or (w.relation == "within" and _FOR.match(w.text)))
        and 0 <= w.span[0] - base - end <= 40
        and not re.search(r"[.;]\s", item.text[end : w.span[0] - base])
    ]


def _lasted(therapy: Therapy, today: dt.date) -> int | None:
    """Days the therapy has been (or was) taken; None without a start date."""
    if therapy.start is None:
        return None
    return ((therapy.end or today) - therapy.start).days


_PRIOR_AFTER = re.compile(
    r"\b(?:prior|previous|past|history|received|had|taken|undergone|completed)\b", re.I
)


def seen_therapy(item: Item, mention: Mention, facts: PatientFacts) -> Seen:
    seen = Seen(mention.text)
    taken = facts.therapy_classes.get(mention.concept, [])
    let_through = _let_through(item, mention) if taken else frozenset()
    if let_through:
        taken = [t for t in taken if not let_through & {t.name.lower(), *t.classes, *t.codes}]
    counted = _count_holds(item, mention, taken) if taken else None
    if counted is False:
        # "Use of 3 or more oral antidiabetic drugs" for metformin and empagliflozin
        names = ", ".join(dict.fromkeys(t.name for t in taken))
        seen.absent = [Evidence(f"{names}: not as many as the criterion counts", taken[0].source)]
        return seen
    procedure = _named_procedure(mention) if taken else None
    if procedure is not None:
        said = [t for t in taken if procedure in f"{t.name} {t.source.text or ''}".lower()]
        if not said:  # "Prior hepatectomy" for a colectomy, "TACE" for an RFA: asked
            seen.broader = [Evidence(f"{t.name} ({t.status})", t.source) for t in taken]
            seen.kind = mention.text
            return seen
        taken = said
    kind = kind_asked(item, mention) if taken else None
    if kind is not None:
        of_kind = [t for t in taken if kind[1] in t.name.lower()]
        if not of_kind:  # "investigational systemic therapy" for FOLFOX: asked
            seen.broader = [Evidence(f"{t.name} ({t.status})", t.source) for t in taken]
            seen.kind = kind[0]
            return seen
        taken = of_kind
    dose = dose_asked(item, mention) if taken else None
    if dose is not None:
        # "taking more than 7.5 mg of prednisone" for "prednisone" of unsaid dose: a question
        seen.broader = [Evidence(f"{t.name} ({t.status})", t.source) for t in taken]
        seen.kind = dose
        return seen
    site = radiation_site(item, mention) if taken else None
    if site is not None:
        where = {id(t): _site_of(site, t) for t in taken}
        elsewhere = [t for t in taken if where[id(t)] is False]
        unsaid = [t for t in taken if where[id(t)] is None and not _inside_sited(t, taken, where)]
        if unsaid and not any(where.values()):  # no record of the site the item asks about
            # "No prior mediastinal irradiation" for "radiotherapy" of unsaid site: a question
            seen.broader = [Evidence(f"{t.name} ({t.status})", t.source) for t in unsaid]
            seen.kind = " ".join(
                (site[:1].lower() + site[1:] if site[1:2].islower() else site).split()
            )
            return seen
        if elsewhere and not unsaid and not any(where.values()):
            seen.absent = [Evidence(f"{t.name}, to another site", t.source) for t in elsewhere]
            return seen
    earlier: list[Evidence] = []  # taken, but outside the window the item asks about
    if taken:  # what the item says around the name matters only for a therapy taken
        # "on antiretroviral therapy for less than 4 weeks", "receiving HAART for at least one
        # month": how long it has been taken, not how recently
        lasting = [] if mention.negated else _how_long(item, mention)
        shorter = [w.days for w in lasting if w.relation == "within"]
        longer = [w.days for w in lasting if w.relation == "duration"]
        within = min(
            (w.days for w in item.windows if w.relation == "within" and w not in lasting),
            default=None,
        )
        today = facts.patient.as_of or dt.date.today()
        start = mention.span[0] - item.span[0]
        concurrent = _concurrent(item.text, start)
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
        elif (shorter or longer) and within is None:
            lasted = _lasted(therapy, today)
            if lasted is None:
                seen.untimed.append(evidence)  # taken, but since when is not recorded
            elif all(lasted < d for d in shorter) and all(lasted >= d for d in longer):
                seen.present.append(
                    Evidence(f"{therapy.name} (since {therapy.start})", therapy.source)
                )
            else:
                earlier.append(
                    Evidence(f"{therapy.name} (since {therapy.start}): not as long", therapy.source)
                )
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
