"""Disease-vocabulary mentions in criteria items: MeSH, Disease Ontology and OncoTree ids
from ``trialscope.terminology``, beside the parser's own small lexicon.

Tagging here, once per stored parse, spares the matcher from re-tagging every criterion
for every patient (it was 60 % of the judging time). Roots ("Neoplasms", "Infections")
and generic words ("Disease", "Syndrome") are left out: matching on them relates
everything to everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from trialscope.criteria.assertions import assert_span
from trialscope.criteria.biomarkers import FOLD
from trialscope.criteria.model import Constraint, Mention, Span

if TYPE_CHECKING:
    from trialscope.terminology import ConceptMatch, Terminology

GENERIC = frozenset(
    {
        "disease",
        "syndrome",
        "chronic disease",
        "acute disease",
        "disease attributes",
        "pathologic processes",
        "signs and symptoms",
        "recurrence",
        "disease progression",
        "pathological conditions, signs and symptoms",
        "neoplasms",
        "infections",
        "wounds and injuries",
        "emergencies",
        "critical illness",
        "death",
        "pain",
        "neoplasm metastasis",
        "carcinoma",
        # "greater than 5% of body weight": a measure, not a condition (obesity is under it)
        "body weight",
    }
)


@cache
def terminology() -> Terminology:
    """The disease vocabulary; a VocabularyError (with a hint) when it cannot be loaded:
    parses made without it would silently lack every condition it names."""
    from trialscope.terminology import load_terminology

    return load_terminology()


@lru_cache(maxsize=1 << 15)
def _find(item: str) -> tuple[ConceptMatch, ...]:
    """The vocabulary's matches in one item's text: a third of the items of a registry are
    word for word another trial's ("Pregnant or breastfeeding women"), so they are kept."""
    return tuple(terminology().find(item))


def find_specific(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """The specific concepts the vocabulary finds in ``text[start:end]``, as (start, end,
    id) in ``text``."""
    return [
        (start + m.start, start + m.end, m.concept)
        for m in _find(text[start:end])
        if specific_enough(m.concept)
    ]


@cache
def specific_enough(concept: str) -> bool:
    vocab = terminology()
    if concept.startswith(("lex:", "therapy:", "pregnancy:")):
        return True
    if vocab.name(concept).lower() in GENERIC:
        return False
    return vocab.depth(concept) != 0


def vocabulary_mentions(
    text: str,
    start: int,
    end: int,
    to_source: Callable[[int, int], Span],
    constraints: list[Constraint],
    triggers: list[Any],
    taken: Iterable[tuple[int, int]] = (),
) -> list[Mention]:
    """Conditions the vocabulary finds in the item ``text[start:end]`` (cleaned text),
    with ConText assertions, spans in the source. Words inside a lab bound ("TBI≤1.5
    ULN") belong to the bound; words in ``taken`` (cleaned-text spans) to another reading
    (a vaccine's target)."""
    vocab = terminology()
    out: list[Mention] = []
    found = [(start + m.start, start + m.end, m.concept) for m in _find(text[start:end])]
    seen = {concept for _, _, concept in found}
    for lo, kind_end, hi, phrases in site_first_phrases(text, start, end):
        specific = [(a, b) for a, b, c in found if specific_enough(c) and c not in _KIND_ONLY]
        if named_past_kind(specific, kind_end, hi):
            continue
        for phrase in phrases:
            turned = [m.concept for m in vocab.find(phrase) if specific_enough(m.concept)]
            turned = [c for c in turned if c not in seen and c not in _KIND_ONLY]
            if turned:
                found += [(lo, hi, concept) for concept in turned]
                seen.update(turned)
                break
    said: dict[tuple[int, int], str] = {}  # "breast" in "breast or prostate cancer" says this
    for lo, hi, phrase in coordinated_first(text, start, end):
        if any(a <= lo and b >= hi for a, b, _ in found):
            continue  # "head and neck cancer" is a name of its own
        turned = [m.concept for m in vocab.find(phrase) if specific_enough(m.concept)]
        turned = [c for c in turned if c not in seen and c not in _KIND_ONLY]
        found += [(lo, hi, concept) for concept in turned]
        seen.update(turned)
        said[lo, hi] = phrase
    taken = tuple(taken)
    for lo, hi, concept in found:
        if not specific_enough(concept) or any(a < hi and lo < b for a, b in taken):
            continue
        span = to_source(lo, hi)
        if any(c.span[0] < span[1] and span[0] < c.span[1] for c in constraints):
            continue
        ctx = assert_span(text, lo, hi, triggers, start, end)
        if ctx.optional:
            continue
        non_word = _NON_WORD.match(text, lo, hi)
        out.append(
            Mention(
                category="condition",
                concept=concept,
                # "Nonsmoker" names what it denies: "patient does not have smoking"
                text="smoking" if non_word else said.get((lo, hi), _balanced(text[lo:hi])),
                span=span,
                # its "non" is inside the name, not before it
                negated=ctx.negated or bool(non_word),
                historical=ctx.historical,
                hypothetical=ctx.hypothetical,
                family=ctx.family,
            )
        )
    return out


_NON_WORD = re.compile(r"non-?smok", re.I)


# "adenocarcinoma of the sigmoid colon", "carcinoma of the breast": the vocabularies name the
# site first ("sigmoid colon adenocarcinoma"), so such a phrase is also read turned round
_OF_SITE = re.compile(
    r"\b(?P<kind>(?:(?!(?:of|history|no|not|with|and|or|the|an?|prior|previous|known|any)\b"
    r"|[a-z-]+(?:ly|ed)\b)[a-z-]+\s+){0,2}?(?:adenocarcinoma|carcinoma|cancer|tumou?r|neoplasm|sarcoma|lymphoma|"
    r"melanoma|malignancy))\s+(?:of|in)\s+(?:the\s+)?"
    r"(?:(?:left|right|upper|lower|distal|proximal)\s+)?(?P<site>[a-z]+(?:\s+[a-z]+)?)",
    re.IGNORECASE,
)
#: what every such phrase contains: its kind's last word (a substring test first: the
#: full pattern is slow, and few items have one)
_KIND_WORDS = (
    *("carcinoma", "cancer", "tumor", "tumour", "neoplasm", "sarcoma", "lymphoma"),
    *("melanoma", "malignancy"),
)


def _may_name_a_kind(text: str, lo: int, hi: int) -> bool:
    low = text[lo:hi].translate(FOLD).lower()
    return any(word in low for word in _KIND_WORDS)


#: words that end a site ("the colon with liver metastases")
_NOT_SITE = frozenset(
    [
        "with",
        "and",
        "or",
        "who",
        "that",
        "which",
        "in",
        "on",
        "at",
        "status",
        "post",
        "since",
        "s",
        "p",
        "was",
        "is",
    ]
)
#: a turned phrase must name more than its kind alone ("Adenocarcinoma", "Carcinoma")
_KIND_ONLY = frozenset({"MESH:D009369", "MESH:D002277", "MESH:D000230"})


def named_past_kind(found: Iterable[tuple[int, int]], kind_end: int, end: int) -> bool:
    """The phrase as written already names its site ("cancer of the digestive system" is
    MeSH's own wording): something found in it reaches past the kind."""
    return any(a < end and b > kind_end for a, b in found)


def site_first_phrases(text: str, lo: int, hi: int) -> Iterator[tuple[int, int, int, list[str]]]:
    """Each "<kind> of <site>" in ``text[lo:hi]``: its start, where its kind ends, its end,
    and the phrases to look up, in
    order: the kind whole, its last word, then (a carcinoma, not a sarcoma, lymphoma or
    melanoma) the site's cancer ("metastatic adenocarcinoma of the pancreas"). Callers
    use it only where the phrase as written named nothing past its kind."""
    if not _may_name_a_kind(text, lo, hi):
        return
    for m in _OF_SITE.finditer(text, lo, hi):
        words = m.group("site").split()
        while words and words[-1].lower() in _NOT_SITE:
            words.pop()
        if not words:
            continue
        site, kind = " ".join(words), m.group("kind")
        core = kind.split()[-1]
        phrases = [f"{site} {kind}", f"{site} {core}"]
        if core.lower() not in ("sarcoma", "lymphoma", "melanoma"):
            phrases.append(f"{site} cancer")
        yield m.start(), m.end("kind"), m.start("site") + len(site), list(dict.fromkeys(phrases))


# "breast or prostate cancer", "colon, rectal or anal cancer": the kind is said once, after
# the last site; the sites before it are read with it ("breast cancer")
_COORDINATED = re.compile(
    r"\b(?P<sites>(?:[a-z]+,\s*)*[a-z]+),?\s+(?:or|and|and/or|&)\s+[a-z]+\s+"
    r"(?P<kind>cancers?|carcinomas?|adenocarcinomas?|tumou?rs?|neoplasms?|malignanc(?:y|ies))\b",
    re.IGNORECASE,
)
_NOT_A_SITE_WORDS = """
    a an the of with no not any prior previous history other known active metastatic
    advanced primary invasive early late recurrent stage both either
"""
_NOT_A_SITE = frozenset(_NOT_A_SITE_WORDS.split())


def coordinated_first(text: str, lo: int, hi: int) -> Iterator[tuple[int, int, str]]:
    """Each site before "or <site> <kind>" with the phrase to look up: its start, end
    and "<site> <kind>" ("breast" in "breast or prostate cancer": "breast cancer")."""
    if not _may_name_a_kind(text, lo, hi):
        return
    for m in _COORDINATED.finditer(text, lo, hi):
        kind = m.group("kind")
        at = m.start("sites")
        for word in re.finditer(r"[a-z]+", m.group("sites"), re.IGNORECASE):
            if word.group().lower() in _NOT_A_SITE:
                continue
            yield at + word.start(), at + word.end(), f"{word.group()} {kind}"


def _balanced(words: str) -> str:
    """The name as a reader sees it: "(DPD) deficiency" matched from "DPD" on reads
    "DPD deficiency", not "DPD) deficiency"."""
    if words.count("(") == words.count(")"):
        return words
    return " ".join(words.replace("(", " ").replace(")", " ").split())
