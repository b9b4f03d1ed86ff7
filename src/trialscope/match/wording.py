"""What the words around a name in a criterion item say, whoever the patient is.

Whether a named disease or therapy is what the item is about or only qualifies another
noun ("rabies vaccine", "no prior chemotherapy for breast cancer", "cannot tolerate
chemotherapy"), is named as another one than the trial's own ("other malignancies"), is
excepted ("eye disease other than glaucoma"), is narrowed by words before it
("prolymphocytic T leukemia", "severe COPD") or limited ("at least 4 weeks since prior
radiotherapy"). Read from the item's text alone, so cached per item and mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from trialscope.criteria import Item, Mention
from trialscope.match.concepts import ancestors, concept_name
from trialscope.match.severity import CLAUSE_END as _CLAUSE_END
from trialscope.match.severity import severity
from trialscope.match.smoking import SMOKING

_ACTIVE = re.compile(r"\b(?:active|current(?:ly)?|ongoing|uncontrolled|acute|untreated)\b", re.I)


# words before a therapy that make the item a limit on it, met by not having had it
_LIMIT_BEFORE = re.compile(
    r"(?:\bsince|\brecovered\s+from|\bmore\s+than|\bgreater\s+than|\bat\s+most|\bup\s+to"
    r"|\b(?:after|following|from)\s+(?:the\s+)?last\s+(?:dose|cycle|course|fraction)\s+of"
    r"|\bmaximum\s+(?:of\s+)?|\bfewer\s+than|\bless\s+than|[<≤]=?)"
    r"(?:\s+(?:\d+|one|two|three|four|five|a|an|the|any|all|last|most\s+recent))?"
    r"(?:\s+(?:prior|previous|lines?|regimens?|courses?|cycles?|of|dose|doses|acute|toxic"
    r"|effects?|toxicit(?:y|ies)|side|adverse|events?|all|any))*\s*$",
    re.I,
)


def only_if_had(item: Item, mention: Mention) -> bool:
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

# words after a disease name that make it a modifier: "rabies vaccine", "HIV test"
_MODIFIED = re.compile(
    r"[\s-]*(?:vaccin\w*|immune\s+globulin|immunoglobulin|test\w*|screen\w*|"
    r"medicines?|medications?|drugs?|treatments?|therap\w*|prophylaxis|clinic|programs?|"
    r"products?|specialists?|units?|wards?|centers?|centres?|services?|campaign)\b",
    re.I,
)
EXCEPT = re.compile(
    r"\b(?:except(?:ion)?|excluding|other than|apart from|with the exception of|but not|but "
    r"the full treatment|in addition to|besides|unless|not\s+applicable\s+(?:if|when|for|in)"
    r"|does\s+not\s+apply\s+(?:if|when|to))\b",
    re.I,
)
# "medications other than insulin", "except for metformin and insulin": the drug is let
# through, not ruled out
_EXCEPT_JUST_BEFORE = re.compile(
    r"\b(?:except(?:\s+for)?|excluding|other\s+than|apart\s+from|besides|with\s+the\s+exception"
    r"\s+of)\s+(?:[\w/-]+[\s,]*|\(\s*|(?:and|or)\s+){0,6}\Z",
    re.I,
)
# "advanced local disease that renders laparoscopic resection impossible": what a disease
# rules out, not a therapy had
_RENDERS = re.compile(
    r"\b(?:renders?|rendering|makes?|making|precludes?|precluding|prevents?|preventing)\s+"
    r"(?:[\w-]+\s+){0,2}\Z",
    re.I,
)
# a disease named as what a treatment is for, not as something the patient must have or
# not have: "No prior chemotherapy for breast cancer", "non-drug therapy for anxiety
# disorder", "intubation for asthma", "inpatient treatment due to COVID-19"
_TREATED_FOR = re.compile(
    r"(?:\w*therap(?:y|ies)|\btreatments?|regimens?|medications?|medicines?|drugs?|agents?|surgery|"
    r"surgeries|irradiation|radiotherapy|radiation|chemotherapy|chemo|intubation|"
    r"hospitali[sz]ations?|admissions?|care|prophylaxis|vaccines?|vaccinations?)"
    r"\s+(?:for|due\s+to|against|to\s+treat|treating)\s+(?:(?:the|an?|any)\s+)?"
    r"(?:[\w'’-]+\s+){0,4}$"
    # "received ET of any duration for breast cancer prevention", "treated with X for"
    r"|\b(?:receiv\w*|treated\s+with|taking|took|taken)\s+(?:[\w/-]+\s+){1,5}"
    r"(?:for|due\s+to|against)\s+(?:(?:the|an?|any)\s+)?(?:[\w-]+\s+){0,4}$",
    re.I,
)
_AFTER_WHAT = re.compile(
    r"\w+\s+(?:after|following)\s+(?:(?:the|prior|previous|initial)\s+)?$", re.I
)
_INVOLVED = re.compile(
    r"\binvolvement\s+(?:with|by|of)\s+(?:(?:the|an?|any|their|his|her)\s+)?(?:[\w-]+\s+){0,3}$",
    re.I,
)
_ALLOWED_AFTER = re.compile(
    r"(?:\s+(?:or|and|/)\s*[\w-]+)?(?:\s+(?:women|men|patients|subjects|participants|people))?"
    # "Patients with renal failure are eligible, however ...": let in, whatever follows
    r"\s+(?:(?:are|is)\s+(?:also\s+)?)?(?:allowed|permitted|acceptable|eligible)\b",
    re.I,
)
_LABEL_COLON = re.compile(r"\s*:")
# "(See NIH ... Guidelines for Allogeneic Hematopoietic Stem Cell Transplant Recipients)":
# a reference, not a requirement
_REFERENCE_ASIDE = re.compile(
    r"\(\s*(?:see|refer\s+to|per|according\s+to|as\s+(?:defined|described|outlined)\s+(?:in|by)"
    r"|cf\.?)\s[^)]*(?:\)|$)",
    re.I,
)
# "a radiation treatment center", "brachytherapy catheters": a place or a device, not a
# therapy had
_PLACE_AFTER = re.compile(
    r"\s+(?:(?:treatment|therapy|oncology)\s+)?(?:centers?|centres?|facilit(?:y|ies)"
    r"|departments?|clinics?|oncologists?|specialists?|catheters?|applicators?)\b",
    re.I,
)
# "Radiotherapy required within 56 days following segmental mastectomy", "… to be given
# after surgery": a therapy the study plans, not one the patient must have had
_TO_COME_AFTER = re.compile(
    r"\s+(?:is\s+|are\s+)?(?:required|mandatory|planned|to\s+be\s+given|will\s+be\s+given"
    r"|to\s+follow)\s+(?:within\s+[\w\s]{1,24}?)?(?:after|following|post)\b",
    re.I,
)
# "Special conditions for eligibility of mastectomy patients: irradiation." names a topic
_TOPIC_OF_ELIGIBILITY = re.compile(r"\beligibility\s+(?:of|for)\b[^:]{0,60}:\s*\Z", re.I)
_AT_MOST = re.compile(
    r"[\s\w-]{0,20}?\b(?:no\s+more\s+than|not\s+more\s+than|not\s+exceeding|less\s+than"
    r"|fewer\s+than|up\s+to|at\s+most|maximum(?:\s+of)?)\b|[\s\w-]{0,20}?(?:<|≤)",
    re.I,
)
_ANTI = re.compile(r"(?:anti|non)[\s-]*$", re.I)
_NOT_THE_DRUG = re.compile(
    r"[\s-]+(?:receptors?|genes?|levels?|resistance|sensitivity|secretion|antibod\w*|"
    r"deficiency|analogue\s+levels?)\b",
    re.I,
)
# "Fasting insulin < 20 mcU/mL", "serum cortisol": a blood level, not a drug taken
_MEASURED_BEFORE = re.compile(r"\b(?:fasting|serum|plasma|blood|endogenous)[\s-]+\Z", re.I)
NURSING_PLACE = re.compile(
    r"\s+(?:homes?|facilit\w*|care|staff|students?|services?|units?)\b", re.I
)


# a disease in brackets after the name of a response or staging system
_RESPONSE_CRITERIA = re.compile(
    r"\b(?:RECIST|iRECIST|mRECIST|Lugano|Cheson|Macdonald|RANO|iRANO|IWG|iwCLL|IMWG|PCWG\d?"
    r"|GCIG|criteria)(?:\s+(?:version\s+)?v?[\d.]+)?\s*\($",
    re.I,
)


# a therapy named as what the patient could take, not what they took: "diseases that
# cannot tolerate chemotherapy", "contraindications to surgery", "eligible for ..."
_THERAPY_OBJECT = re.compile(
    r"\b(?:tolerat\w*|intoleran\w*|contra-?indicat\w*|unfit|unsuitable|suitable|candidates?|"
    r"eligible|allerg\w*|hypersensitiv\w*|unable\s+to\s+(?:receive|undergo)|refus\w*|fit"
    # "not amenable to surgical resection or radiation therapy with curative intent"
    r"|amenable"
    # "must have plans to receive radiation therapy": a therapy to come
    r"|plans?\s+to\s+(?:receive|undergo|have)|planned|scheduled\s+to\s+(?:receive|undergo)"
    r"|will\s+(?:receive|undergo)|decision\s+to\s+(?:use|give|omit)"
    # "in patients assigned to adjuvant chemotherapy": a study arm, not a therapy had
    r"|assigned\s+to|randomi[sz]ed\s+to|allocated\s+to"
    # "taking part in a ... trial for antidiabetic medication": what a trial tests
    r"|trials?|stud(?:y|ies)"
    # "No requirement for axillary radiotherapy", "patients requiring dialysis"
    r"|requirements?|requir\w*|needs?|needing"
    # "disease prior to surgery": a time, not a therapy the patient had
    r"|prior\s+to|before)"
    # what follows may list several ("unfit for surgery, radiotherapy or adjuvant ...")
    r"\s+(?:for\s+|to\s+|of\s+|with\s+)?(?:[\w/-]+,?\s+|(?:or|and|and/or)\s+){0,5}$",
    re.I,
)


# a therapy named as the cause of what the item is about: "persistent toxicity from prior
# chemotherapy", "toxicities caused by previous chemotherapy or radiotherapy": having had
# it is no toxicity (an item asks about the toxicity, which a record seldom grades)
_CAUSE_OF = re.compile(
    r"\b(?:toxicit(?:y|ies)|adverse\s+(?:events?|effects?|reactions?)|side[- ]effects?|"
    r"complications?|sequelae)\s+(?:[\w-]+\s+){0,3}?(?:from|of|to|due\s+to|caused\s+by|"
    r"related\s+to|attributable\s+to|attributed\s+to|associated\s+with|after|following)\s+"
    r"(?:[\w/-]+,?\s+|(?:or|and|and/or)\s+){0,5}$",
    re.I,
)


# the same words that make a therapy a possibility, over a longer list: "known allergies,
# hypersensitivity, or intolerance to excipients of any of the following: (a) amivantamab
# or cetuximab", "expected to require any other form of antineoplastic therapy or ..."
_THERAPY_OBJECT_LIST = re.compile(
    r"\b(?:allerg\w*|hypersensitiv\w*|intoleran\w*|contra-?indicat\w*|expected\s+to\s+require)"
    r"[^.;]{0,80}?(?:following\s*:?\s*(?:\(?[a-z0-9]\)\s*)?|(?:[\w/-]+,?\s+|(?:or|and|and/or)\s+"
    r"){0,8})$",
    re.I,
)


_OPENS_ASIDE = re.compile(r"\s*[(\[]\s*(?:[\w-]+\s+){0,2}$")


def restates(item: Item, mention: Mention) -> bool:
    """A broader name in brackets right after a disease restates it: "Acute Promyelocytic
    Leukemia (M3 AML)" asks for APL, not for any AML."""
    if mention.category != "condition":
        return False
    if mention.concept == "infection" and _infection_named_before(item, mention):
        return True  # "COVID-19 infection", "SARS-CoV-2 infection": the infection named
    start = mention.span[0] - item.span[0]
    aside = _OPENS_ASIDE.search(item.text, 0, start)
    if aside is None:
        return False
    before = item.span[0] + aside.start()
    named = [
        m.concept
        for m in item.mentions
        if m.category == "condition" and m.span[1] <= before and before - m.span[1] <= 1
    ]
    concept = mention.concept if ":" in mention.concept else f"lex:{mention.concept}"
    return any(
        concept != (n if ":" in n else f"lex:{n}")
        and concept in ancestors(n if ":" in n else f"lex:{n}")
        for n in named
    )


#: MeSH Infections: a disease under it followed by "infection" is that infection
_INFECTIONS = "MESH:D007239"


def _infection_named_before(item: Item, mention: Mention) -> bool:
    before = [
        m
        for m in item.mentions
        if m.category == "condition" and 0 <= mention.span[0] - m.span[1] <= 1
    ]
    # the vocabulary's id of the same words is among them ("COVID-19": lex and MeSH)
    return any(_INFECTIONS in ancestors(m.concept) for m in before)


def is_modifier(item: Item, mention: Mention) -> bool:
    """The named disease only qualifies another noun ("rabies vaccine", "anti-TB drugs",
    "non-infectious"), is what a ruled-out treatment is for ("no prior chemotherapy for
    breast cancer"), or the therapy is one the patient could take ("cannot tolerate
    chemotherapy"): the item is not about the patient having it."""
    start, end = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
    if not item.text[:start].strip() and _LABEL_COLON.match(item.text, end):
        return True  # "Radiotherapy: Not specified": a PDQ label names the topic, asks nothing
    if _ALLOWED_AFTER.match(item.text, end):
        return True  # "Other: Pregnant or nursing women allowed" permits, deep in an item
    if any(a.start() < start and end <= a.end() for a in _REFERENCE_ASIDE.finditer(item.text)):
        return True
    if mention.negated and item.kind == "exclusion" and _in_brackets(item.text, start):
        # "Had prior chemotherapy ... (no neoadjuvant chemotherapy is permitted)": an aside
        # on the exclusion, not a second one met by the therapy's absence
        return True
    if mention.category == "prior_therapy":
        if _PLACE_AFTER.match(item.text, end) or _TO_COME_AFTER.match(item.text, end):
            return True
        if _TOPIC_OF_ELIGIBILITY.search(item.text, 0, start):
            return True
        if _NOT_THE_DRUG.match(item.text, end) or _MEASURED_BEFORE.search(
            item.text, max(0, start - 20), start
        ):
            return True  # "insulin receptor gene", "fasting insulin < 20": not the drug taken
        before = item.text[max(0, start - 60) : start]
        if _EXCEPT_JUST_BEFORE.search(before):
            return True  # "diabetes medications other than insulin": let through
        if _RENDERS.search(before):
            return True  # "disease that renders laparoscopic resection impossible"
        if mention.negated and _AFTER_WHAT.search(before):
            return True  # "No gross residual disease after surgery": when, not what is denied
        if _THERAPY_OBJECT.search(before) or _CAUSE_OF.search(before):
            return True
        return bool(_THERAPY_OBJECT_LIST.search(item.text[max(0, start - 120) : start]))
    if mention.concept == SMOKING and _AT_MOST.match(item.text, end):
        return True  # "a smoking history of no more than 10 pack years": a limit, met by none
    if mention.category == "pregnancy" and NURSING_PLACE.match(item.text, end):
        return True  # "a skilled nursing facility", "nursing home": a place, not breastfeeding
    if mention.category != "condition":
        return False
    if _RESPONSE_CRITERIA.search(item.text, max(0, start - 30), start):
        # "measurable disease by RECIST 1.1 (solid tumors) or Lugano (lymphoma) criteria":
        # which criteria for which disease, not a disease the patient must have
        return True
    if EXCEPT.search(item.text, 0, start):
        return True  # "... except basal cell carcinoma": named to be let through
    before = item.text[max(0, start - 80) : start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    ruled_out = mention.negated or item.kind == "exclusion" or _LIMIT_WORDS.search(before[cut:])
    if mention.negated and _INVOLVED.search(before[cut:]):
        return True  # "No CNS or skin involvement with leukemia": where it is, not whether
    if ruled_out and (_TREATED_FOR.search(before[cut:]) or _TREATED_FOR_PAST_ASIDE.search(before)):
        # what a treatment is for: the treatment is what is ruled out ("receiving
        # chemotherapy for solid cancer" as an inclusion still asks for the cancer)
        return True
    if _ANTI.search(item.text, 0, start):
        # "non-infectious uveitis" qualifies a noun; "non-smoker" is the patient's own status
        return mention.concept != SMOKING
    return bool(_MODIFIED.match(item.text, end))


# "No prior biologic therapy, including bone marrow transplantation, for AML"
_TREATED_FOR_PAST_ASIDE = re.compile(
    r"\b(?:\w*therap(?:y|ies)|treatments?|chemotherapy|regimens?)\s*,\s*(?:including|such\s+as"
    r"|e\.g\.)[^,;.]{1,60},\s*(?:for|against|to\s+treat)\s+(?:(?:the|an?|any)\s+)?$",
    re.I,
)
_LIMIT_WORDS = re.compile(
    r"\b(?:(?:no|not)\s+(?:more|greater)\s+than|since|recovered\s+from|at\s+most|maximum)\b", re.I
)


def _in_brackets(text: str, at: int) -> bool:
    return text.count("(", 0, at) > text.count(")", 0, at)


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
        if EXCEPT.search(gap) and not _SENTENCE_END.search(gap):
            found.add(other.concept if ":" in other.concept else f"lex:{other.concept}")
    return frozenset(found)


_SENTENCE_END = re.compile(r"[.;]\s")

# "other malignancies", "another primary cancer", "metastases to other sites": other
# than what the trial itself is about
_OTHER_BEFORE = re.compile(
    r"(?:\b(?:other|another|additional|second|further)\b"
    # "prior non-breast invasive malignancies", "non-melanoma skin cancer"
    r"|\bnon[\s-]+(?:breast|lung|prostate|colorectal|colon|rectal|skin|cutaneous|melanoma|"
    r"hepatic|liver|ovarian|gastric|pancreatic|renal|kidney|thyroid|bladder|cervical|uterine|"
    r"endometrial|brain|cns|head\s+and\s+neck|hematologic\w*|haematologic\w*)\b)"
    r"(?:\s+[\w-]+){0,3}\s*$",
    re.I,
)
_OTHER_AFTER = re.compile(
    # "No carcinoma or suspicious mammogram findings in other breast sites"
    r"\s*(?:[\w-]+\s+){0,4}?(?:to|in|at|of|involving|outside)\s+(?:the\s+|any\s+)?other\b",
    re.I,
)


def is_other(item: Item, mention: Mention) -> bool:
    """The item names ``mention`` as another one than the trial's own."""
    if mention.concept in ("other_malignancy", "lex:other_malignancy"):
        return True
    start, end = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
    before = item.text[max(0, start - 60) : start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    if _SECONDARY.search(before[cut:]) and _GENERIC_CANCER.fullmatch(mention.text):
        return True  # "no secondary malignancy": a second cancer ("secondary AML" is AML)
    return bool(_OTHER_BEFORE.search(before[cut:]) or _OTHER_AFTER.match(item.text, end))


_SECONDARY = re.compile(r"\bsecondary\s+(?:primary\s+)?$", re.I)
_GENERIC_CANCER = re.compile(
    r"(?:malignan\w*|cancers?|tumou?rs?|neoplasms?|neoplasias?|carcinomas?)", re.I
)


@dataclass(frozen=True, slots=True)
class Context:
    """What the words around a name in an item say, whoever the patient is."""

    other: bool = False
    active: bool = False
    within: float | None = None
    qualifier: tuple[str, ...] = ()
    severity: str | None = None
    excepted: frozenset[str] = frozenset()
    #: "Prior history of breast cancer", "No previous invasive breast carcinoma": an
    #: earlier occurrence, not the one the patient has now
    prior: bool = False
    #: "History of COVID-19 before 2022": the year an occurrence must precede
    before_year: int | None = None
    #: the phrase after the name that narrows it, when the qualifier is its words
    #: ("due to a mechanical heart valve"; see :func:`narrowed_after`)
    after: str | None = None


NO_CONTEXT = Context()
# "COVID-19 before 2022", "before January 2021" right after the name
_BEFORE_YEAR = re.compile(
    r"\s*(?:\([^()]{0,40}\)\s*)?(?:infection\s+)?(?:before|prior\s+to)\s+"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?)?"
    r"((?:19|20)\d\d)\b",
    re.I,
)


def _before_year(item: Item, mention: Mention) -> int | None:
    found = _BEFORE_YEAR.match(item.text, mention.span[1] - item.span[0])
    return int(found.group(1)) if found else None


# "prior" before a name in its sentence (asides such as "(ipsi- and/or contralateral)" in
# between); "prior to", "prior therapy for" name a time or a treatment instead
_PRIOR_BEFORE = re.compile(
    r"\b(?:prior|previous|preceding|earlier)\b(?!\s+to\b)[^;:.]{0,60}$", re.I
)
_PRIOR_NOT = re.compile(
    r"\b(?:therap\w*|treat\w*|chemo\w*|radio\w*|radiation|surgery|resection|regimens?|"
    r"lines?|drugs?|agents?|for|to)\b",
    re.I,
)


def _prior(item: Item, mention: Mention) -> bool:
    start = mention.span[0] - item.span[0]
    before = item.text[max(0, start - 80) : start]
    found = _PRIOR_BEFORE.search(before)
    return found is not None and not _PRIOR_NOT.search(found.group())


@lru_cache(maxsize=200_000)
def read_context(item: Item, mention: Mention) -> Context:
    narrowing = qualifier(item, mention)
    return Context(
        other=is_other(item, mention),
        active=bool(_ACTIVE.search(item.text)),
        within=min((w.days for w in item.windows if w.relation == "within"), default=None),
        qualifier=narrowing,
        after=narrowed_after(item, mention) if narrowing else None,
        severity=severity(item, mention),
        excepted=excepted(item, mention),
        prior=_prior(item, mention),
        before_year=_before_year(item, mention),
    )


# a state of a disease, not the disease: "No known recurrence of breast cancer"
_STATE_OF = re.compile(
    r"\b(recurren\w*|relaps\w*|progression|exacerbations?|complications?|symptoms?|signs?|"
    # "a traumatic cause of dyspnea" names the cause, not the dyspnea the patient has
    r"sequelae|secondary\s+forms?|secondary\s+types?|(?:\w+\s+)?causes?)\s+of\s+(?:the\s+|an?\s+"
    r"|their\s+|his\s+"
    r"|her\s+)?$"
    # "Symptoms of moderate illness with COVID-19", "signs suggestive of severe disease from"
    r"|\b(symptoms?|signs?)\s+(?:suggestive\s+)?of\s+(?:(?:mild|moderate|severe|critical)\s+)?"
    r"(?:systemic\s+)?(?:illness|disease|infection)\s+(?:with|from|due\s+to)\s+$",
    re.I,
)


_CAUSED_AFTER = re.compile(
    # "diabetes that is a result of pancreatic injury", "microangiopathic hemolytic anemia
    # due to a mechanical heart valve": a kind the bare name does not say
    r"(?:\s+(?:that|which)\s+(?:is|was|are))?\s+(?:an?\s+)?(?:(?:direct\s+)?result\s+of|due\s+to"
    r"|secondary\s+to|caused\s+by|induced\s+by)\s+(?:an?\s+|the\s+)?(?P<cause>[A-Za-z-]{4,})"
    r"(?:\s+(?!or\b|and\b)[a-z][\w-]*){0,3}",
    re.I,
)
_WORD_BEFORE = re.compile(r"([A-Za-z][\w-]*)\s*$")  # "T4 tumour": a word may hold digits
# words before a disease name that do not narrow it to a subtype
_NOT_NARROWING_WORDS = """
    a an the with of or and in to for by having have has had is are be been known no not
    without
    diagnosed diagnosis confirmed documented histologically cytologically pathologically
    proven biopsy-proven active current currently ongoing history prior previous
    untreated treated newly recent recently recurrent relapsed refractory advanced
    metastatic locally stage measurable symptomatic asymptomatic uncontrolled controlled
    clinically significant suspected any other patient patients subject subjects
    participant participants adult adults pediatric children child women woman men man
    male female diagnosed evidence presence present severe mild moderate unresectable
    resectable inoperable operable primary secondary invasive documented established
    existing underlying concomitant concurrent including e.g i.e such as who that
    evaluable adequate available sufficient archival ffpe representative
"""
_NOT_NARROWING = frozenset(_NOT_NARROWING_WORDS.split())
#: words that narrow nothing themselves but may stand between a name and a word that does
_SEEN_THROUGH = frozenset({"primary", "malignant", "second"})


_ABBREVIATION_BEFORE = re.compile(r"\s*\([A-Za-z0-9-]{1,10}\)\s*$")
_SUFFERING_FROM = re.compile(r"\b(?:suffer(?:s|ing|ed)?|afflicted)\s+(?:from|with|by)\s*$", re.I)


_TURNED = re.compile(r".+?\s+(?:of|in)\s+(?:the\s+)?(?P<site>.+)$", re.I)


def _unnamed_site_words(mention: Mention) -> tuple[str, ...]:
    """Words of a "<kind> of <site>" name that the concept it was read as does not say
    ("transverse" in "adenocarcinoma of the transverse colon", read as colon
    adenocarcinoma): the record must say them too."""
    turned = _TURNED.match(mention.text) if mention.category == "condition" else None
    if turned is None or ":" not in mention.concept:
        return ()
    label = concept_name(mention.concept).lower()
    if not label:
        return ()
    words = re.findall(r"[A-Za-z][\w-]*", turned.group("site"))
    return tuple(w for w in words if w.lower() not in label and w.lower() not in _NOT_NARROWING)


def qualifier(item: Item, mention: Mention) -> tuple[str, ...]:
    """Up to three words right before the name that narrow it ("prolymphocytic T"),
    unless another name covers them ("colon cancer adenocarcinoma"), or the words of a
    phrase after it that does (:func:`narrowed_after`)."""
    if mention.concept == SMOKING:
        return ()  # "non-", "ex-", "current", "cigarette": how or when, read from the status
    site = _unnamed_site_words(mention)
    if site:
        return site  # "adenocarcinoma of the transverse colon" read as colon adenocarcinoma
    after = narrowed_after(item, mention)
    if after is not None:
        said = [w for w in re.findall(r"[A-Za-z][\w-]*", after) if w.lower() not in _AFTER_FILLER]
        return tuple(said[-3:]) or (after,)
    cut = mention.span[0]
    for other in item.mentions:
        if other.span[1] <= mention.span[0] and other.span[1] >= cut - 3:
            return ()
    text = item.text[: cut - item.span[0]]
    state = _STATE_OF.search(text)
    if state is not None:
        # "recurrence of breast cancer" is not the cancer
        return (f"{state.group(1) or state.group(2)} of",)
    # "central nervous system (CNS) leukemia": the abbreviation spells out the words before
    text = _ABBREVIATION_BEFORE.sub(" ", text)
    # "Subjects suffering from multiple myeloma" have it; "recovered from" still narrows
    text = _SUFFERING_FROM.sub(" ", text)
    words: list[str] = []
    for _ in range(3):
        match = _WORD_BEFORE.search(text)
        if match is None:
            break
        word = match.group(1)
        if word.lower() in _SEEN_THROUGH and words == [] and text[: match.start()].strip():
            text = text[: match.start()]  # "hematologic primary malignancies"
            continue
        if word.lower() in _NOT_NARROWING or (len(word) < 2 and not match.group(1).isupper()):
            break
        words.append(word)
        text = text[: match.start()]
    return tuple(words)


# "Stroke with neurological deficit": a kind of the named disease; not "with or without",
# "with a history of", nor a bound ("with systolic blood pressure > 150", read as a bound)
_WITH_AFTER = re.compile(
    r"\s+with\s+(?!or\b|without\b|(?:an?\s+|the\s+)?(?:history|evidence|diagnosis|exception"
    r"|onset|confirmation)\b)(?:[a-z][\w-]*\s+){0,3}[a-z][\w-]*",
    re.I,
)
_ALLERGY = re.compile(r"allerg|hypersensitiv|intoleran|sensitivity|reaction", re.I)
_TO_WHAT = re.compile(
    r"\s+(?:to|against|of)\s+(?:[a-z][\w-]*\s+){0,4}[a-z][\w-]*",
    re.I,
)
_AFTER_FILLER_WORDS = (
    "due to a an the with secondary caused by induced result of that which is was are"
)
_AFTER_FILLER = frozenset(_AFTER_FILLER_WORDS.split())


def narrowed_after(item: Item, mention: Mention) -> str | None:
    """The phrase right after a disease's name that narrows it to a kind the name alone
    does not say ("due to a mechanical heart valve", "with neurological deficit"), when
    nothing else the item names or bounds starts inside it; None when there is none."""
    base, end = item.span[0], mention.span[1] - item.span[0]
    found = _CAUSED_AFTER.match(item.text, end) or _WITH_AFTER.match(item.text, end)
    allergen = None
    if found is None and _ALLERGY.search(mention.text):
        # "allergy to medications", "hypersensitivity to the study drug": asthma is no such
        found = allergen = _TO_WHAT.match(item.text, end)
    if found is None:
        return None
    lo, hi = base + found.start(), base + found.end()
    if allergen is None and any(lo <= m.span[0] < hi for m in item.mentions if m is not mention):
        return None  # "breast cancer with brain metastases": judged as names of their own
    if any(lo <= c.span[0] < hi for c in item.constraints):
        return None
    return found.group().strip()


def title(mention: Mention) -> str:
    return mention.text[:1].upper() + mention.text[1:]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
