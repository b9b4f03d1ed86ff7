"""Plain phrasings of what the criteria parser computed: one row per constraint kind
(catalogue variable) and per named concept (the parser's lexicon ids).

Each phrase completes "You may fit if you have ..." / "You may not fit if you have ..."
and reads at or below US school grade 8. A medical name stays only in brackets, after
the plain words, so a patient can find it in the quoted criteria and ask about it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from trialscope.criteria import Constraint

# --- phase, purpose -------------------------------------------------------------------

PHASE_SENTENCES = {
    "EARLY_PHASE1": "It is an early phase 1 study: one of the first tests in people.",
    "PHASE1": "It is a phase 1 study. It checks if a new treatment is safe and finds a good dose.",
    "PHASE2": "It is a phase 2 study. It checks if a treatment works and is safe.",
    "PHASE3": "It is a phase 3 study. It compares a treatment with the usual care.",
    "PHASE4": "It is a phase 4 study. The treatment is already in use. The study learns more.",
}
NO_PHASE = "The record does not give a study phase."
PHASE_NA = "The record says study phases do not apply. Phases are used for drug studies."

PURPOSE_SENTENCES = {
    "TREATMENT": "The goal is to find a better way to treat a health problem.",
    "PREVENTION": "The goal is to find a way to stop a health problem before it starts.",
    "DIAGNOSTIC": "The goal is to find a better way to tell if someone has a health problem.",
    "SUPPORTIVE_CARE": "The goal is to help people feel better while they get care.",
    "SCREENING": "The goal is to find a health problem early, before signs show up.",
    "BASIC_SCIENCE": "The goal is to learn how the body or an illness works.",
    "HEALTH_SERVICES_RESEARCH": "The goal is to learn how to give care in a better way.",
    "DEVICE_FEASIBILITY": "The goal is to see if a new device can be used.",
}
WHY_SENTENCES = {
    "TREATMENT": "If it works, people with this health problem may get a better treatment.",
    "PREVENTION": "If it works, fewer people may get this health problem.",
    "DIAGNOSTIC": "If it works, doctors may find this health problem sooner.",
    "SUPPORTIVE_CARE": "If it works, people may feel better during their care.",
    "SCREENING": "If it works, more people may learn early that they have this problem.",
}
WHY_OTHER = "What the team learns may help doctors care for people in the future."


# --- constraint kinds -----------------------------------------------------------------


def _high(c: Constraint) -> float | None:
    """The upper bound (inclusive value), or None."""
    if c.high is None:
        return None
    value = c.high.value
    return value if c.high.inclusive else value - (1 if value == int(value) else 0)


def _low(c: Constraint) -> float | None:
    if c.low is None:
        return None
    value = c.low.value
    return value if c.low.inclusive else value + (1 if value == int(value) else 0)


def _n(value: float) -> str:
    return f"{value:g}"


def _ecog(c: Constraint) -> str | None:
    top = _high(c)
    if top is None:
        return None
    words = {
        0: "fully active, with no limits on what you do (ECOG 0)",
        1: "able to care for yourself and do light work (ECOG 0–1)",
        2: "able to care for yourself, even if you cannot work (ECOG 0–2)",
        3: "able to do some self-care (ECOG 0–3)",
    }
    return words.get(int(top))


def _karnofsky(c: Constraint) -> str | None:
    low = _low(c)
    if low is None:
        return None
    score = f"(Karnofsky {_above(c)})"
    if low >= 80:
        return f"able to do your normal activities {score}"
    if low >= 60:
        return f"able to care for yourself most of the time {score}"
    return f"able to care for yourself with some help {score}"


def _child_pugh(c: Constraint) -> str | None:
    # class letters come out as 1 (A), 2 (B), 3 (C); scores as 5..15
    raw = c.raw_value.upper()
    top = _high(c)
    if ("A" in raw and "B" not in raw) or (top is not None and (top == 1 or 5 <= top <= 6)):
        return "healthy liver function (Child-Pugh A)"
    if top is not None and (top == 2 or 7 <= top <= 9):
        return "liver function that is fair or good (Child-Pugh A or B)"
    return None


def _nyha(c: Constraint) -> str | None:
    top = _high(c)
    if top is not None and top <= 2:
        return "no heart failure, or only mild heart failure (NYHA class 1–2)"
    low = _low(c)
    if low is not None and low >= 2:
        return f"heart failure of class {_n(low)} or worse (NYHA)"
    return None


def _asa(c: Constraint) -> str | None:
    top = _high(c)
    return f"fit enough for surgery (ASA grade {_n(top)} or lower)" if top is not None else None


#: "liver metastases before chemotherapy was more than 5": when the count was taken
_COUNTED_WHEN = re.compile(
    r"\b(?:before|prior\s+to)\s+(chemotherapy|surgery|treatment|radiotherapy|radiation)\b", re.I
)
_WHEN_WORDS = {"radiotherapy": "radiation"}


def _count(one: str, many: str) -> Callable[[Constraint], str | None]:
    """Counts of tumours, lesions or earlier treatments."""

    def phrase(c: Constraint) -> str | None:
        counted = _counted(c)
        return None if counted is None else counted + _when(c)

    def _counted(c: Constraint) -> str | None:
        low, top = _low(c), _high(c)
        if top is None and c.low is not None and not c.low.inclusive and c.low.value >= 1:
            return f"more than {_n(c.low.value)} {many}"  # as written: "more than 5"
        if top is not None and low is not None and low == top:
            return f"exactly 1 {one}" if low == 1 else f"exactly {_n(low)} {many}"
        if top is not None and low is not None and low > 0:
            return f"{_n(low)} to {_n(top)} {many}"
        if top is not None:
            return f"no more than 1 {one}" if top == 1 else f"up to {_n(top)} {many}"
        if low is not None:
            return f"at least 1 {one}" if low <= 1 else f"at least {_n(low)} {many}"
        return None

    return phrase


def _when(c: Constraint) -> str:
    found = _COUNTED_WHEN.search(c.text)
    if found is None:
        return ""
    word = found.group(1).lower()
    return f" before {_WHEN_WORDS.get(word, word)}"


def _above(c: Constraint, unit: str = "") -> str | None:
    """ "30% or more" / "more than 30%" from the lower bound, as written (no rounding)."""
    if c.low is None:
        return None
    value = f"{_n(c.low.value)}{unit}"
    return f"{value} or more" if c.low.inclusive else f"more than {value}"


def _below(c: Constraint, unit: str = "") -> str | None:
    if c.high is None:
        return None
    value = f"{_n(c.high.value)}{unit}"
    return f"{value} or less" if c.high.inclusive else f"less than {value}"


def _life(c: Constraint) -> str | None:
    if c.low is not None:
        return f"a doctor expects you to live {_above(c, ' months')}"
    if c.high is not None:
        return f"a doctor expects you to live {_below(c, ' months')}"
    return None


def _liver_left(c: Constraint) -> str | None:
    more = _above(c, "%")
    return f"enough healthy liver left after surgery ({more})" if more else None


def _lvef(c: Constraint) -> str | None:
    more = _above(c, "%")
    return f"a heart that pumps well (ejection fraction {more})" if more else None


def _measure(name: str, unit: str = "") -> Callable[[Constraint], str | None]:
    """A body measure people know their own value of (BMI, weight)."""

    def phrase(c: Constraint) -> str | None:
        if c.low is not None and c.high is not None:
            return f"{name} from {_n(c.low.value)} to {_n(c.high.value)}{unit}"
        bound = _above(c, unit) or _below(c, unit)
        return f"{name} of {bound}" if bound else None

    return phrase


def _fixed(text: str) -> Callable[[Constraint], str | None]:
    return lambda _c: text


#: constraint kind (catalogue variable id) -> its plain phrase, None when the bounds do
#: not fit a plain sentence. Age is left out: the record's own age limits say it.
CONSTRAINT_PHRASES: dict[str, Callable[[Constraint], str | None]] = {
    "ecog": _ecog,
    "who_ps": _ecog,
    "karnofsky": _karnofsky,
    "lansky": _karnofsky,
    "child_pugh": _child_pugh,
    "nyha": _nyha,
    "asa": _asa,
    "liver_metastases_count": _count("tumour in the liver", "tumours in the liver"),
    "brain_metastases_count": _count("tumour in the brain", "tumours in the brain"),
    "lung_metastases_count": _count("tumour in the lungs", "tumours in the lungs"),
    "bone_metastases_count": _count("tumour in the bones", "tumours in the bones"),
    "metastases_count": _count("place the cancer has spread to", "places the cancer has spread to"),
    "lesion_count": _count("tumour that scans can measure", "tumours that scans can measure"),
    "prior_lines": _count("earlier treatment plan", "earlier treatment plans"),
    "life_expectancy": _life,
    "future_liver_remnant": _liver_left,
    "lvef": _lvef,
    "bmi": _measure("a body mass index (BMI)"),
    "weight": _measure("a body weight", " kg"),
    "qtc": _fixed("a normal heart rhythm test (ECG)"),
    "blood_pressure": _fixed("blood pressure in a safe range"),
    "sbp": _fixed("blood pressure in a safe range"),
    "dbp": _fixed("blood pressure in a safe range"),
    "hba1c": _fixed("blood sugar in the range the study needs (HbA1c test)"),
}

#: lab tests the page sums up as one need per group instead of one line per number
LAB_GROUPS: dict[str, tuple[str, ...]] = {
    "blood cells": ("anc", "wbc", "lymphocytes", "platelets", "hemoglobin", "hematocrit"),
    "liver": (
        "total_bilirubin", "direct_bilirubin", "alt", "ast", "alp", "ggt", "albumin", "inr",
        "aptt", "prothrombin_time",
    ),
    "kidneys": ("creatinine", "crcl", "egfr", "bun"),
}  # fmt: skip


def lab_sentence(groups: list[str]) -> str:
    """ "Blood tests that show your blood cells, liver and kidneys work well enough"."""
    named = groups[0] if len(groups) == 1 else ", ".join(groups[:-1]) + " and " + groups[-1]
    return f"blood tests that show your {named} work well enough"


# --- named concepts (the criteria lexicon's ids) --------------------------------------

#: a cancer named in the criteria or conditions -> its lay name
CANCERS: dict[str, str] = {
    "colorectal_cancer": "colorectal cancer",
    "pancreatic_cancer": "pancreatic cancer",
    "hepatocellular_carcinoma": "liver cancer",
    "breast_cancer": "breast cancer",
    "lung_cancer": "lung cancer",
    "gastric_cancer": "stomach cancer",
    "prostate_cancer": "prostate cancer",
    "melanoma": "melanoma, a skin cancer",
    "lymphoma": "lymphoma, a cancer of the lymph system",
    "leukemia": "leukemia, a cancer of the blood",
}

#: where a cancer has spread -> "that has spread to ..."
SPREAD: dict[str, str] = {
    "liver_metastases": "the liver",
    "lung_metastases": "the lungs",
    "bone_metastases": "the bones",
    "brain_metastases": "the brain",
    "peritoneal_metastases": "the lining of the belly",
    "distant_metastases": "other parts of the body",
}

#: conditions as reasons someone is not a fit (exclusion criteria, or negated inclusions)
CONDITION_REASONS: dict[str, str] = {
    "brain_metastases": "cancer that has spread to the brain",
    "leptomeningeal_metastases": "cancer in the lining of the brain or spine",
    "liver_metastases": "cancer that has spread to the liver",
    "lung_metastases": "cancer that has spread to the lungs",
    "bone_metastases": "cancer that has spread to the bones",
    "peritoneal_metastases": "cancer that has spread to the lining of the belly",
    "extrahepatic_metastases": "cancer outside the liver",
    "distant_metastases": "cancer that has spread to other parts of the body",
    "other_malignancy": "another cancer",
    "hbv": "hepatitis B",
    "hcv": "hepatitis C",
    "hepatitis": "hepatitis (a liver infection)",
    "hiv": "HIV",
    "autoimmune_disease": "an autoimmune disease",
    "immunodeficiency": "a weak immune system",
    "interstitial_lung_disease": "lung scarring or lung swelling",
    "infection": "an infection that is not under control",
    "tuberculosis": "tuberculosis (TB)",
    "heart_failure": "heart failure",
    "myocardial_infarction": "a recent heart attack",
    "angina": "chest pain from heart disease (angina)",
    "arrhythmia": "a serious heart rhythm problem",
    "coronary_artery_disease": "heart disease",
    "heart_disease": "serious heart disease",
    "stroke": "a stroke",
    "hypertension": "high blood pressure that is not under control",
    "diabetes": "diabetes that is not under control",
    "epilepsy": "seizures",
    "seizure": "seizures",
    "psychiatric_disorder": "a serious mental illness",
    "cns_disease": "a disease of the brain or nerves",
    "substance_abuse": "drug or alcohol misuse",
    "allergy": "an allergy to the study treatment",
    "organ_transplant": "an organ transplant",
    "bleeding": "a bleeding problem",
    "thromboembolism": "a blood clot or a tumour in a large vein",
    "dic": "a serious blood clotting problem",
    "pleural_effusion": "fluid around the lungs",
    "ascites": "fluid in the belly",
    "bowel_obstruction": "a blocked bowel",
    "perforation": "a hole in the bowel or stomach",
    "renal_impairment": "kidneys that do not work well",
    "hepatic_impairment": "a liver that does not work well",
    "organ_failure": "an organ that does not work well",
    "neuropathy": "nerve damage",
    "covid19": "COVID-19",
}
CONDITION_REASONS.update({cid: name for cid, name in CANCERS.items()})

#: pregnancy-related concepts named in exclusion criteria
PREGNANCY_REASONS: dict[str, str] = {
    "pregnancy": "pregnant",
    "breastfeeding": "breastfeeding",
}

#: earlier treatments named in exclusion criteria
THERAPY_REASONS: dict[str, str] = {
    "chemotherapy": "chemotherapy",
    "immunotherapy": "immunotherapy",
    "pd1_pdl1": "an immune drug (PD-1 or PD-L1 type)",
    "ctla4": "an immune drug (CTLA-4 type)",
    "radiotherapy": "radiation treatment",
    "investigational_drug": "a drug in another study",
    "targeted_therapy": "a targeted cancer drug",
    "hormone_therapy": "hormone treatment",
    "ablation": "treatment that destroys tumours with heat or cold",
    "systemic_therapy": "cancer drugs",
    "immunosuppressants": "drugs that calm the immune system, such as steroids",
    "transplantation": "a stem cell or liver transplant",
}

#: words right before a named condition that change what it means to the reader, and the
#: clause they add (for one thing, for several)
QUALIFIERS: tuple[tuple[str, str, str], ...] = (
    ("untreated", "that has not been treated", "that have not been treated"),
    ("uncontrolled", "that is not under control", "that are not under control"),
    ("symptomatic", "that causes symptoms", "that cause symptoms"),
    ("active", "that is active now", "that are active now"),
)

#: intervention types -> what is tested, as a noun phrase
INTERVENTION_KINDS: dict[str, tuple[str, str]] = {
    "DRUG": ("a medicine", "medicines"),
    "BIOLOGICAL": ("a medicine made from living cells", "medicines made from living cells"),
    "DEVICE": ("a medical device", "medical devices"),
    "PROCEDURE": ("a surgery or other hands-on care", "kinds of surgery or hands-on care"),
    "RADIATION": ("a radiation treatment", "radiation treatments"),
    "BEHAVIORAL": ("a way to change habits", "ways to change habits"),
    "DIETARY_SUPPLEMENT": ("a food supplement", "food supplements"),
    "GENETIC": ("a treatment that works on genes", "treatments that work on genes"),
    "DIAGNOSTIC_TEST": ("a test to find or check a health problem", "tests for health problems"),
    "COMBINATION_PRODUCT": ("a drug given with a device", "drugs given with devices"),
    "RADIOPHARMACEUTICAL": ("a medicine that gives off radiation", "medicines with radiation"),
}
INTERVENTION_OTHER = ("another kind of care", "other kinds of care")

#: arm group types -> what that group gets
ARM_KINDS: dict[str, str] = {
    "EXPERIMENTAL": "gets the new approach the study tests",
    "ACTIVE_COMPARATOR": "gets a known treatment, to compare",
    "PLACEBO_COMPARATOR": "gets a placebo (it looks real but has no drug), to compare",
    "SHAM_COMPARATOR": "gets a fake procedure, to compare",
    "NO_INTERVENTION": "gets no study treatment, to compare",
    "OTHER": "gets care the record lists below",
}

#: people's names in disease names: they keep their capital in a sentence
EPONYMS = frozenset(
    {
        "addison", "alzheimer", "asperger", "barrett", "basedow", "becker", "behcet", "behçet",
        "bell", "blackfan", "burkitt", "chagas", "charcot", "creutzfeldt", "crohn", "cushing",
        "diamond", "down", "duchenne", "dupuytren", "ebola", "ewing", "fabry", "fanconi",
        "fraumeni", "gaucher", "gehrig", "graves", "guillain", "barre", "barré", "hashimoto",
        "hirschsprung", "hodgkin", "huntington", "hurler", "jakob", "kaposi", "kawasaki",
        "klinefelter", "leber", "lennox", "gastaut", "li", "lou", "lyme", "lynch", "marfan",
        "meniere", "ménière", "merkel", "niemann", "nile", "paget", "parkinson", "perthes",
        "peyronie", "pick", "pompe", "prader", "raynaud", "rett", "sachs", "sezary", "sézary",
        "sjogren", "sjögren", "stargardt", "still", "tay", "tourette", "turner", "waldenstrom",
        "waldenström", "west", "wilms", "willebrand", "willi", "wilson", "zika", "zollinger",
        "ellison",
    }
)  # fmt: skip
