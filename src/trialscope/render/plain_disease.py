"""The disease a trial is about, in lay words, for the plain-language view.

First from the criteria parser's lexicon (a cancer, and where it has spread: "colorectal
cancer that has spread to the liver"); else the first of the record's conditions that the
disease vocabulary knows as a specific disease (not "Oncology", "Surgery", "Healthy"),
written as the record names it, in sentence case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trialscope.criteria import ParsedCriteria
from trialscope.criteria.concepts import concept_lexicon
from trialscope.record import Study
from trialscope.render.plain_phrases import CANCERS, EPONYMS, SPREAD


def _lexicon_conditions(texts: Iterable[str]) -> list[str]:
    found: list[str] = []
    lexicon = concept_lexicon()
    for text in texts:
        for hit in lexicon.finditer(text):
            category, concept = hit.value
            if category == "condition" and concept not in found:
                found.append(concept)
    return found


def disease_concepts(study: Study, parsed: ParsedCriteria | None) -> list[str]:
    """The parser lexicon's condition ids the trial is about: named in its conditions or
    title, or asserted (not negated) in an inclusion criterion."""
    named = _lexicon_conditions([*study.conditions, study.brief_title or ""])
    if parsed is not None:
        for item in parsed.of_kind("inclusion"):
            for mention in item.mentions:
                positive = not (mention.negated or mention.hypothetical or mention.family)
                if mention.category == "condition" and positive and mention.concept not in named:
                    named.append(mention.concept)
    return named


def disease_phrase(named: list[str]) -> str | None:
    """The disease in lay words, when the lexicon names a cancer or where one has
    spread: "colorectal cancer that has spread to the liver"."""
    cancers = [CANCERS[c] for c in named if c in CANCERS]
    spread = [SPREAD[c] for c in named if c in SPREAD]
    if cancers:
        cancer = cancers[0]
        if spread:
            return f"{cancer} that has spread to {join_words(spread[:2])}"
        return cancer
    if spread:
        return f"cancer that has spread to {join_words(spread[:2])}"
    return None


def join_words(parts: list[str], word: str = "and") -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]


_PARENTHESES = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_NOS = re.compile(r",?\s*\b(?:NOS|unspecified)\b\.?$", re.IGNORECASE)


#: medical words with a plain word of the same meaning
_PLAIN_WORDS = {"neoplasms": "tumours", "neoplasm": "tumour", "carcinoma": "cancer"}


def _sentence_case(name: str) -> str:
    """ "Cluster Headache" -> "cluster headache"; acronyms, words with digits and
    eponyms (Parkinson, Crohn's) keep their capitals."""
    words = []
    for word in name.split():
        bare = word.strip(",.;:").removesuffix("'s").removesuffix("’s")
        keep = (
            bare.isupper()
            or any(ch.isdigit() for ch in bare)
            or bare.lower() in EPONYMS
            or any(part.lower() in EPONYMS for part in bare.split("-"))
        )
        words.append(word if keep else _PLAIN_WORDS.get(word.lower(), word.lower()))
    return " ".join(words)


def record_disease(study: Study, vocabulary: object | None) -> str | None:
    """The first condition the record names that the vocabulary knows as a specific
    disease, in the record's words; None without a vocabulary or such a condition."""
    if vocabulary is None:
        return None
    from trialscope.criteria.vocabulary import specific_enough

    for condition in study.conditions[:4]:
        name = _NOS.sub("", _PARENTHESES.sub("", condition)).strip(" ,;")
        if not name or "," in name or len(name) > 60:
            continue
        found = vocabulary.find(name)  # type: ignore[attr-defined]
        covered = sum(m.end - m.start for m in found if specific_enough(m.concept))
        if covered < 0.6 * len(name):
            continue
        if name.isupper() and len(name) <= 6:
            # an acronym (NSCLC, COPD): the vocabulary's own name, when it reads plainly
            best = str(vocabulary.name(found[0].concept))  # type: ignore[attr-defined]
            if "," in best:
                continue
            name = best
        return _sentence_case(name)
    return None
