"""Disease-vocabulary mentions in criteria items: MeSH, Disease Ontology and OncoTree ids
from ``trialscope.terminology``, beside the parser's own small lexicon.

Tagging here, once per stored parse, spares the matcher from re-tagging every criterion
for every patient (it was 60 % of the judging time). Roots ("Neoplasms", "Infections")
and generic words ("Disease", "Syndrome") are left out: matching on them relates
everything to everything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from trialscope.criteria.assertions import assert_span
from trialscope.criteria.model import Constraint, Mention, Span

if TYPE_CHECKING:
    from trialscope.terminology import Terminology

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
    }
)


@cache
def terminology() -> Terminology:
    """The disease vocabulary; a VocabularyError (with a hint) when it cannot be loaded:
    parses made without it would silently lack every condition it names."""
    from trialscope.terminology import load_terminology

    return load_terminology()


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
) -> list[Mention]:
    """Conditions the vocabulary finds in the item ``text[start:end]`` (cleaned text),
    with ConText assertions, spans in the source. Words inside a lab bound ("TBI≤1.5
    ULN") belong to the bound."""
    vocab = terminology()
    out = []
    for match in vocab.find(text[start:end]):
        lo, hi = start + match.start, start + match.end
        if not specific_enough(match.concept):
            continue
        span = to_source(lo, hi)
        if any(c.span[0] < span[1] and span[0] < c.span[1] for c in constraints):
            continue
        ctx = assert_span(text, lo, hi, triggers, start, end)
        if ctx.optional:
            continue
        out.append(
            Mention(
                category="condition",
                concept=match.concept,
                text=text[lo:hi],
                span=span,
                negated=ctx.negated,
                historical=ctx.historical,
                hypothetical=ctx.hypothetical,
                family=ctx.family,
            )
        )
    return out
