"""The search text that finds a patient's candidate trials.

Trials list their conditions in their own words: a patient with "pancreatic ductal
adenocarcinoma" is a candidate for the many trials of "Pancreatic Cancer" and
"Pancreatic Neoplasms", which the exact phrase finds none of. Each condition's phrase is
therefore joined by the names of its concept and of the concepts a few steps above it
that stay about the same organ or disease (they share a distinctive word with what the
patient has: "pancreatic carcinoma", "Pancreatic Neoplasms", "pancreatic cancer"), never
by a class that only names a kind of disease ("Adenocarcinoma", "Digestive System
Neoplasms"): those would bring in every trial of the kind. Whether a candidate fits is
the judge's business; this only decides which trials it sees.
"""

from __future__ import annotations

import re

from trialscope.match.concepts import find_concepts, vocabulary
from trialscope.match.patient import Patient

__all__ = ["condition_query"]

#: at most this many phrases in one query (each condition's own name comes first)
MAX_PHRASES = 24
#: how far above the patient's concept a broader name may come from
MAX_STEPS_UP = 4
#: shallower concepts are classes of diseases ("Breast Diseases", "Leukemia"), never added
MIN_DEPTH = 3

# words that say what kind of disease, not which organ or disease it is
_GENERIC = frozenset(
    {
        "acute", "adenocarcinoma", "adenocarcinomas", "advanced", "cancer", "cancers", "carcinoma",
        "carcinomas", "cell", "cells", "chronic", "disease", "diseases", "disorder", "disorders",
        "ductal", "early", "exocrine", "invasive", "late", "malignancy", "malignant", "metastatic",
        "neoplasm", "neoplasms", "nos", "of", "primary", "recurrent", "refractory", "relapsed",
        "secondary", "severe", "small", "stage", "syndrome", "the", "tumor", "tumors", "tumour",
        "tumours", "type", "unspecified", "with", "and", "or", "in", "non",
    }
)  # fmt: skip
_WORD = re.compile(r"[a-z][a-z0-9]+")


def condition_query(patient: Patient) -> str:
    """``"name" OR "broader name" OR ...`` over the patient's present conditions."""
    phrases: dict[str, None] = {}
    names = [c.name for c in patient.conditions if c.status != "absent"]
    for name in names:
        cleaned = " ".join(name.replace('"', " ").split())
        if len(cleaned) > 2:
            phrases[cleaned.lower()] = None
    for name in names:
        for broader in _broader_names(name):
            phrases.setdefault(broader.lower(), None)
    return " OR ".join(f'"{p}"' for p in list(phrases)[:MAX_PHRASES])


def _broader_names(name: str) -> list[str]:
    """The names of the condition's concepts and of the ones just above them that share a
    distinctive word with ``name`` (compared on the first four letters: pancreas and
    pancreatic, colon and colorectal)."""
    stems = {w[:4] for w in _WORD.findall(name.lower()) if w not in _GENERIC and len(w) > 3}
    if not stems:
        return []
    vocab = vocabulary()
    # spread to the liver sits under "Liver Neoplasms", whose names mean primary liver cancer
    spread = "metasta" in name.lower()
    out: list[str] = []
    # find_concepts also turns "adenocarcinoma of sigmoid colon" into the site's cancer
    for found in find_concepts(name):
        concept = found.concept
        if concept.startswith(("lex:", "therapy:")):
            continue
        depth = vocab.depth(concept)
        for up in sorted(vocab.ancestors(concept), key=lambda c: -vocab.depth(c)):
            if up != concept and (spread or vocab.depth(up) < max(MIN_DEPTH, depth - MAX_STEPS_UP)):
                continue
            for written in (vocab.name(up), *vocab.synonyms(up)):
                words = {w[:4] for w in _WORD.findall(written.lower()) if w not in _GENERIC}
                if words & stems and 2 < len(written) <= 60 and '"' not in written:
                    out.append(written)
    return out
