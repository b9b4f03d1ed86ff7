"""The closed world on a known diagnosis: a patient whose primary cancer is known does
not have a different primary, nor a cancer of a different histologic type, and a healthy
person has none of the diseases a trial asks for.

Primary sites come from the vocabulary's hierarchy, not from a list of pairs: a cancer
concept's sites are its ancestors under MeSH "Neoplasms by Site" (metastases excluded,
they are not primaries). Two cancers are different primaries when neither's sites
contain the other's: colon adenocarcinoma (… Intestinal, Colorectal, Colonic
Neoplasms) and pancreatic ductal adenocarcinoma (… Pancreatic Neoplasms); a patient
with "gastrointestinal cancer" is not known to lack colon cancer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from trialscope.match.concepts import ancestors, vocabulary
from trialscope.match.facts import PatientFacts
from trialscope.match.patient import Condition, Provenance
from trialscope.match.verdicts import Evidence

#: MeSH "Neoplasms by Site" and "Neoplasm Metastasis"
SITE_ROOT = "MESH:D009371"
METASTASIS = "MESH:D009362"


#: MeSH "Neoplasms by Histologic Type"
TYPE_ROOT = "MESH:D009370"


@cache
def _cancer_ancestors(concept: str) -> frozenset[str]:
    """The vocabulary ancestors of a cancer concept (a lexicon id by its words); empty
    for a metastasis, which is no primary."""
    vocab = vocabulary()
    if vocab is None or concept.startswith(("therapy:", "pregnancy:")):
        return frozenset()
    if concept.startswith("lex:"):
        words = concept[4:].replace("_", " ")
        whole = [m for m in vocab.find(words) if m.start == 0 and m.end == len(words)]
        if not whole:
            return frozenset()
        concept = whole[0].concept
    up = ancestors(concept)
    if METASTASIS in up or "metasta" in concept.lower():
        return frozenset()
    return frozenset(up)


@cache
def primary_sites(concept: str) -> frozenset[str]:
    """The sites of a primary cancer concept; empty when it names no site, or a
    metastasis."""
    up = _cancer_ancestors(concept)
    return frozenset(a for a in up if a != SITE_ROOT and SITE_ROOT in ancestors(a))


@cache
def histologic_types(concept: str) -> frozenset[str]:
    """The MeSH histologic types of a cancer concept (Astrocytoma, Glioma, ...); empty
    when it names none ("breast cancer"). MeSH only: a Disease Ontology id and its MeSH
    twin would otherwise look like two types."""
    up = _cancer_ancestors(concept)
    return frozenset(
        a for a in up if a.startswith("MESH:") and a != TYPE_ROOT and TYPE_ROOT in ancestors(a)
    )


@cache
def _body_system(site: str) -> bool:
    """A top site under Neoplasms by Site (Digestive System Neoplasms): sharing only these
    does not make two cancers one primary (colon and pancreas)."""
    return not (primary_sites(site) - {site})


def known_primaries(facts: PatientFacts) -> list[tuple[Condition, frozenset[str]]]:
    """The patient's cancers that name a primary site, with their sites."""

    def sites(concepts: frozenset[str]) -> frozenset[str] | None:
        return frozenset().union(*map(primary_sites, concepts)) or None

    return _per_condition(facts, "primaries", sites)


def _per_condition(
    facts: PatientFacts, key: str, read: Callable[[frozenset[str]], frozenset[str] | None]
) -> list[tuple[Condition, frozenset[str]]]:
    """Each condition on record (not ruled out) with what ``read`` finds in its concepts
    (None: nothing, and the condition is left out), worked out once per patient."""
    cached = facts.derived.get(key)
    if cached is None:
        found: list[tuple[Condition, frozenset[str]]] = []
        for condition in facts.patient.conditions:
            if condition.status == "absent":
                continue
            read_off = read(facts.concepts_of.get(id(condition), frozenset()))
            if read_off is not None:
                found.append((condition, read_off))
        facts.derived[key] = cached = found
    return cached  # type: ignore[return-value]


def different_primary(concept: str, facts: PatientFacts) -> Evidence | None:
    """Evidence that the patient's known primary is not ``concept``'s (None: it may be)."""
    wanted = primary_sites(concept)
    if not wanted:
        return None
    known = known_primaries(facts)
    if not known:
        return None  # the primary is not known: stay unknown
    for _, sites in known:
        if wanted <= sites or sites <= wanted:
            return None  # the same site, or one inside the other
        if any(not _body_system(site) for site in wanted & sites):
            return None  # an organ in common (thyroid, brain): a kind, not another primary
    condition = known[0][0]
    return Evidence(f"primary cancer: {condition.name}", condition.source)


def different_type(concept: str, facts: PatientFacts) -> Evidence | None:
    """Evidence that the patient's known cancer is of another histologic type than
    ``concept``'s (anaplastic astrocytoma is no oligodendroglioma, lung adenocarcinoma no
    small cell carcinoma); None when it may be one, or any cancer's type is unsaid."""
    wanted = histologic_types(concept)
    if not wanted:
        return None
    known = _told_apart(facts)
    if not known or any(not types for _, types in known):
        return None  # no cancer on record, or one whose type is not said ("brain tumour")
    for _, types in known:
        if wanted <= types or types <= wanted:
            return None  # the same type, or one a kind of the other
    condition = known[0][0]
    return Evidence(f"cancer type: {condition.name}", condition.source)


def _told_apart(facts: PatientFacts) -> list[tuple[Condition, frozenset[str]]]:
    """The patient's cancers with their types, a cancer said without its type left out
    where a typed one of the same site says it ("colon adenocarcinoma" is read both as
    colorectal cancer and as colon adenocarcinoma: one cancer, of a known type)."""
    known = typed_cancers(facts)
    sites = {id(condition): found for condition, found in known_primaries(facts)}
    typed = [sites.get(id(condition), frozenset()) for condition, types in known if types]

    def said_with_type(condition: Condition) -> bool:
        own = sites.get(id(condition), frozenset())
        return bool(own) and any(other and (own <= other or other <= own) for other in typed)

    return [
        (condition, types) for condition, types in known if types or not said_with_type(condition)
    ]


def typed_cancers(facts: PatientFacts) -> list[tuple[Condition, frozenset[str]]]:
    """The patient's cancers that name a site or a type, with their types (empty when
    only the site is said)."""

    def types(concepts: frozenset[str]) -> frozenset[str] | None:
        found = frozenset().union(*map(histologic_types, concepts))
        return found if found or any(primary_sites(c) for c in concepts) else None

    return _per_condition(facts, "typed", types)


# "healthy volunteer", "is healthy", "in good health" -- but not "otherwise healthy" or
# "previously healthy", which describe the time before the illness the note is about
_HEALTHY = re.compile(
    r"\bhealthy\s+(?:volunteer|subject|individual|adult|person|participant|control)s?\b"
    r"|\b(?:is|was|are|a|an|as)\s+(?:generally\s+)?healthy\b"
    r"(?!\s+(?:diet|lifestyle|weight|until|before|prior|till))"
    r"|\bin\s+good\s+(?:general\s+)?health\b"
    # "Healthy 30-year-old woman", "A healthy 25 year old man": the person, described
    r"|(?:^|[.!?]\s+|\n)(?:an?\s+)?healthy\s+(?:\d+[- ]?(?:year|yr)|young|adult|man|woman|male|"
    r"female)"
    r"|\b(?:year|yr)s?[- ]old\s+healthy\s+(?:man|woman|male|female|adult|person|individual)\b"
    r"|\bno\s+(?:significant\s+|past\s+|prior\s+)?medical\s+history\b",
    re.I,
)
_NOT_HEALTHY = re.compile(r"\b(?:otherwise|previously|formerly)\s+healthy", re.I)


def healthy(facts: PatientFacts) -> Evidence | None:
    """Evidence that the patient is a healthy person (a volunteer with no disease)."""
    if "healthy" not in facts.derived:
        facts.derived["healthy"] = _healthy(facts)
    return facts.derived["healthy"]  # type: ignore[return-value]


def _healthy(facts: PatientFacts) -> Evidence | None:
    patient = facts.patient
    if patient.healthy_volunteer is True:
        return Evidence("healthy volunteer", facts.source_of("healthy_volunteer"))
    if patient.healthy_volunteer is False or not patient.note:
        return None
    if any(c.status != "absent" for c in patient.conditions):
        return None  # "He is healthy" in a note about his abdominal pain
    note = patient.note
    for match in _HEALTHY.finditer(note):
        if _NOT_HEALTHY.search(note, max(0, match.start() - 12), match.end() + 12):
            continue
        # the sentence around it ("-1 + 2" would cut the first letter of the note)
        stop = note.rfind(". ", 0, match.start())
        lo = max(stop + 2 if stop >= 0 else 0, note.rfind("\n", 0, match.start()) + 1)
        ends = (note.find(". ", match.end()), note.find("\n", match.end()))
        hi = min((i + 1 for i in ends if i >= 0), default=len(note))
        sentence = note[lo:hi].strip()
        source = Provenance(kind="note", text=sentence, span=(lo, hi))
        return Evidence("healthy", source)
    return None
