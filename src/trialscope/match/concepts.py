"""One place to find named concepts in text and compare them, for notes and criteria.

Two sources, kept in their own id spaces:

- the criteria parser's lexicon (``lex:hiv``, ``lex:brain_metastases``,
  ``therapy:chemotherapy``, ``pregnancy:breastfeeding``): small, precise, the ids the
  criteria parser already puts on each item's mentions;
- the disease vocabulary (``trialscope.terminology``: MeSH, Disease Ontology, OncoTree,
  with synonyms and hierarchy), when it is available.

A patient's condition satisfies a criterion's concept when it is the same concept or a
narrower one ("colon adenocarcinoma" under "colorectal cancer").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from trialscope.criteria.assertions import assert_span, clean_triggers, triggers
from trialscope.criteria.concepts import concept_lexicon
from trialscope.criteria.vocabulary import named_past_kind, site_first_phrases, terminology


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    concept: str
    name: str
    text: str
    #: condition, pregnancy, breastfeeding, contraception, prior_therapy, sex
    category: str
    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    family: bool = False


class _Vocabulary(Protocol):
    def find(self, text: str) -> list[Any]: ...
    def ancestors(self, concept: str) -> frozenset[str]: ...
    def name(self, concept: str) -> str: ...
    def from_mesh_id(self, ui: str) -> str | None: ...
    def depth(self, concept: str) -> int: ...
    def synonyms(self, concept: str) -> list[str]: ...


# a tiny hierarchy over the lexicon's own condition ids: specific -> general
_LEXICON_PARENTS: dict[str, tuple[str, ...]] = {
    "colorectal_cancer": ("malignancy",),
    "pancreatic_cancer": ("malignancy",),
    "hepatocellular_carcinoma": ("malignancy",),
    "breast_cancer": ("malignancy",),
    "lung_cancer": ("malignancy",),
    "gastric_cancer": ("malignancy",),
    "prostate_cancer": ("malignancy",),
    "melanoma": ("malignancy",),
    "lymphoma": ("malignancy",),
    "leukemia": ("malignancy",),
    "hbv": ("hepatitis", "infection"),
    "hcv": ("hepatitis", "infection"),
    "hiv": ("infection", "immunodeficiency"),
    "primary_immunodeficiency": ("immunodeficiency",),
    "immunosuppressed": ("immunodeficiency",),
    "tuberculosis": ("infection",),
    "brain_metastases": ("distant_metastases",),
    "liver_metastases": ("distant_metastases",),
    "lung_metastases": ("distant_metastases",),
    "bone_metastases": ("distant_metastases",),
    "peritoneal_metastases": ("distant_metastases",),
    "leptomeningeal_metastases": ("distant_metastases",),
    "myocardial_infarction": ("coronary_artery_disease",),
    # epilepsy is having seizures: "History of seizures" is met by it, not the reverse
    "epilepsy": ("seizure",),
}


def vocabulary() -> _Vocabulary:
    """The disease vocabulary (a VocabularyError with a hint when it cannot be loaded)."""
    return terminology()


def find_concepts(text: str, lo: int = 0, hi: int | None = None) -> list[Found]:
    """Concepts named in ``text[lo:hi]`` with their ConText assertions (negated, past,
    hypothetical, family). Both sources report their own hits, overlapping or not, so a
    span can carry a lexicon id and a vocabulary id and match in either space."""
    hi = len(text) if hi is None else hi
    trig = clean_triggers(triggers(text, lo, hi))
    found: list[Found] = []
    for hit in concept_lexicon().finditer(text, lo, hi):
        category, concept = hit.value
        prefix = "therapy" if category == "prior_therapy" else "lex"
        found.append(
            _found(text, hit.start, hit.end, f"{prefix}:{concept}", concept, category, trig, lo, hi)
        )
    for match in vocabulary().find(text[lo:hi]):
        start, end = match.start + lo, match.end + lo
        found.append(_found(text, start, end, match.concept, match.name, "condition", trig, lo, hi))
    found += _of_site(text, lo, hi, trig, found)
    found.sort(key=lambda f: (f.start, -f.end))
    return found


#: what the kind alone already says: a turned phrase must name more than these
_GENERIC = frozenset({"lex:malignancy", "MESH:D009369", "MESH:D002277", "MESH:D000230"})


def _of_site(text: str, lo: int, hi: int, trig: list[Any], found: list[Found]) -> list[Found]:
    """The "<kind> of <site>" phrases read turned round (``site_first_phrases``), where
    the words as written named nothing past the kind."""
    known = {f.concept for f in found}
    spans = [(f.start, f.end) for f in found if f.concept not in _GENERIC]
    out: list[Found] = []
    for start, kind_end, end, phrases in site_first_phrases(text, lo, hi):
        if named_past_kind(spans, kind_end, end):
            continue
        concepts: list[tuple[str, str]] = []
        for turned in phrases:
            hits = [h.value for h in concept_lexicon().finditer(turned)]
            concepts = [(f"lex:{v[1]}", v[1]) for v in hits if v[0] == "condition"]
            concepts += [(c.concept, c.name) for c in vocabulary().find(turned)]
            concepts = [c for c in concepts if c[0] not in _GENERIC]
            if concepts:
                break
        for concept, name in concepts:
            if concept not in known:
                known.add(concept)
                out.append(_found(text, start, end, concept, name, "condition", trig, lo, hi))
    return out


def _found(
    text: str,
    start: int,
    end: int,
    concept: str,
    name: str,
    category: str,
    trig: list[Any],
    lo: int,
    hi: int,
) -> Found:
    assertion = assert_span(text, start, end, trig, lo, hi)
    return Found(
        start,
        end,
        concept,
        name,
        text[start:end],
        category,
        assertion.negated,
        assertion.historical,
        assertion.hypothetical,
        assertion.family,
    )


@cache
def ancestors(concept: str) -> frozenset[str]:
    """The concept, everything above it, and its equivalents."""
    if concept.startswith("lex:"):
        key = concept[4:]
        up = {concept}
        for parent in _LEXICON_PARENTS.get(key, ()):
            up |= ancestors(f"lex:{parent}")
        return frozenset(up)
    if ":" not in concept or concept.startswith(("therapy:", "pregnancy:")):
        return frozenset({concept})
    try:
        found = frozenset(vocabulary().ancestors(concept)) | {concept}
    except KeyError:
        return frozenset({concept})
    if _malignant(concept, found):
        # the lexicon's "malignancy" ("History of malignancy", "other cancer") covers
        # every cancer, also one only the vocabulary knows ("lung adenocarcinoma")
        return found | ancestors("lex:malignancy")
    return found


#: classes of the vocabulary whose members are cancers (DO's "cell type cancer" and
#: "organ system cancer", MeSH's carcinoma, sarcoma, lymphoma, leukemia, melanoma,
#: myeloma); MeSH "Neoplasms" and DO's "benign neoplasm" hold benign tumours too
_MALIGNANT_CLASSES = frozenset(
    {
        "DOID:0050687",
        "DOID:0050686",
        "MESH:D002277",
        "MESH:D012509",
        "MESH:D008223",
        "MESH:D007938",
        "MESH:D008545",
        "MESH:D009101",
    }
)
_CANCER_WORD = re.compile(
    r"\b(?:cancers?|carcinomas?|sarcomas?|malignan\w*|lymphomas?|leuka?emias?|melanomas?|"
    r"myelomas?|\w+blastomas?|mesotheliomas?|glioblastomas?)\b",
    re.I,
)


_NOT_CANCER_WORD = re.compile(
    r"\b(?:benign|adenomas?|dysplas\w*|polyps?|nodules?|cysts?|hyperplas\w*|pre-?cancer\w*|"
    r"pre-?malignan\w*)\b",
    re.I,
)
#: precancerous classes (cervical dysplasia sits under MeSH "Carcinoma in Situ" too)
_PRECANCEROUS = frozenset({"MESH:D011230", "DOID:0060071"})


def concept_name(concept: str) -> str:
    """The vocabulary's name for ``concept`` ("" for a lexicon id or an unknown one)."""
    return _name(concept)


def _name(concept: str) -> str:
    try:
        return vocabulary().name(concept)
    except KeyError:
        return ""


def _malignant(concept: str, up: frozenset[str]) -> bool:
    """A cancer by its own name, else by its classes, unless its name or a class says
    benign or precancerous (the merged hierarchy puts "colon adenoma" under DO's "large
    intestine cancer")."""
    own = _name(concept)
    if "MESH:D009362" in up or "metasta" in own.lower():
        return False  # a metastasis is the primary's spread, not another malignancy
    if _CANCER_WORD.search(own) and "benign" not in own.lower():
        return True
    if _NOT_CANCER_WORD.search(own) or up & _PRECANCEROUS:
        return False
    if up & _MALIGNANT_CLASSES:
        return True
    return any(_CANCER_WORD.search(n) and "benign" not in n.lower() for n in map(_name, up))
