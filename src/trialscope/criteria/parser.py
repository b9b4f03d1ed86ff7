"""Eligibility text -> :class:`ParsedCriteria`: segment, then read each item.

:data:`PARSER_VERSION` goes up whenever a change to this package's code changes what a
parse contains. A stored parse carries :func:`parse_key`, the version plus a hash of the
data files the parser reads (:data:`PARSER_DATA_FILES`), so editing a data file makes the
stored parses stale too, without raising the version by hand (``trialscope reparse``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from trialscope.criteria.assertions import assert_span, clean_triggers, triggers
from trialscope.criteria.biomarkers import find_markers
from trialscope.criteria.care_setting import find_care_settings
from trialscope.criteria.catalogue import BY_ID as VARIABLES
from trialscope.criteria.cleantext import CleanText
from trialscope.criteria.concepts import concept_lexicon, non_computable_reason
from trialscope.criteria.constraints import extract_constraints
from trialscope.criteria.model import Constraint, Item, Mention, ParsedCriteria, Span
from trialscope.criteria.named_after import named_after_in
from trialscope.criteria.segmenter import Segment, segment
from trialscope.criteria.stage import find_stages
from trialscope.criteria.temporal import extract_windows
from trialscope.criteria.vaccination import disease_finder, vaccines_in
from trialscope.criteria.ventilation import MECHANICAL_VENTILATION, find_ventilation
from trialscope.criteria.vocabulary import vocabulary_mentions
from trialscope.data import data_digest
from trialscope.terminology.drugs import therapy_mentions

#: bump when the parser's output changes; stored parses of older versions are stale
PARSER_VERSION = 54

#: "... are excluded" / "will be excluded" closing a criterion: the trial's rule, no denial
_THEY_ARE_EXCLUDED = re.compile(
    # not "can be excluded": "tumours with negligible risk ... can be excluded" sets aside
    r"\b(?:are|is|were|was|(?:will|shall|must|should|would)\s+be)\s+excluded$",
    re.I,
)
#: the package data files whose content a parse depends on (tests check none is missing)
PARSER_DATA_FILES = (
    "criteria_variables.yaml",
    "vocabulary_mesh.tsv",
    "vocabulary_own.tsv",
    "drugs.tsv",
    "drug_class_words.tsv",
    "drug_classes.tsv",
)

#: texts longer than this are cut: no real criteria text comes near it, and a parse
#: must stay cheap whatever a record contains
MAX_CHARS = 200_000


@cache
def parse_key() -> str:
    """``PARSER_VERSION`` and a hash of the parser's data files: a stored parse with
    another key is stale."""
    return f"{PARSER_VERSION}-{data_digest(PARSER_DATA_FILES)[:16]}"


def parse_criteria(text: str | None) -> ParsedCriteria:
    """Parse one eligibility criteria text (as stored, markdown escapes and all)."""
    if not text or not text.strip():
        return ParsedCriteria(PARSER_VERSION, (), ("empty",))
    text = text[:MAX_CHARS]
    clean = CleanText(text)
    segments, saw_header = segment(clean.text)
    parents = {s.parent for s in segments}  # items with children (one pass, not one per item)
    labels = _labels(clean.text, segments)
    items = [_item(clean, i, seg, i in parents, labels.get(i)) for i, seg in enumerate(segments)]
    flags: tuple[str, ...] = () if saw_header else ("no_header",)
    flags += ("vocabulary",)  # items carry vocabulary mentions too
    return ParsedCriteria(PARSER_VERSION, tuple(items), flags)


# PDQ records put a measure's name on a line of its own and its value in the bullet below
# ("Performance status:" / "* WHO 0-2"); these names lend themselves to such a value
_LABEL_VARIABLES = frozenset({"age", "life_expectancy", "ecog", "who_ps", "karnofsky", "lansky"})


@cache
def _label_names() -> frozenset[str]:
    return frozenset(
        alias.lower()
        for variable in VARIABLES.values()
        if variable.id in _LABEL_VARIABLES
        for alias in variable.aliases
        if not alias.startswith("=")
    )


def _labels(text: str, segments: list[Segment]) -> dict[int, str]:
    """Segment index -> the measure named by the label line it sits under, if any.

    The label is the item's parent, or, for a bullet at the same level, the nearest
    unbulleted line before it with only bullets in between (the segmenter does not make
    an unbulleted line the parent of the bullets under it)."""
    names = _label_names()
    out: dict[int, str] = {}
    label: str | None = None
    for index, seg in enumerate(segments):
        written = text[seg.start : seg.end].strip()
        if seg.marker is None:
            name = written[:-1].strip() if written.endswith(":") else ""
            label = name if name.lower() in names else None
            continue
        parent = segments[seg.parent] if seg.parent is not None else None
        if parent is not None:
            name = text[parent.start : parent.end].strip()
            if name.endswith(":") and name[:-1].strip().lower() in names:
                out[index] = name[:-1].strip()
        elif label is not None:
            out[index] = label
    return out


def _item(
    clean: CleanText, index: int, seg: Segment, has_children: bool, label: str | None = None
) -> Item:
    text = clean.text
    start, end = seg.start, seg.end
    to_source = clean.source_span
    constraints = extract_constraints(text, start, end, to_source)
    if not constraints and label is not None:
        constraints = _labelled_constraints(label, text, start, end, to_source)
    # "life expectancy ≥ 6 months" is a constraint, not a time window
    windows = [
        w
        for w in extract_windows(text, start, end, to_source)
        if not any(c.span[0] < w.span[1] and w.span[0] < c.span[1] for c in constraints)
    ]
    markers = find_markers(text, start, end)
    hits = [
        (hit.start, hit.end, category, concept, hit.text)
        for hit in concept_lexicon().finditer(text, start, end)
        for category, concept in (hit.value,)
        # "PD-L1 TPS >= 50%" is a reading, not an anti-PD-L1 drug
        if not any(m.start <= hit.start and hit.end <= m.end for m in markers)
    ]
    # drugs and class words the concept table lacks ("prior CDK4/6 inhibitor", "osimertinib")
    for lo, hi, concept, written in therapy_mentions(text, start, end):
        overlapping = [h for h in hits if h[0] < hi and lo < h[1]]
        # a longer class name wins over the words inside it ("diabetes medications")
        if all(lo <= h[0] and h[1] <= hi and h[1] - h[0] < hi - lo for h in overlapping):
            hits = [h for h in hits if h not in overlapping]
            hits.append((lo, hi, "prior_therapy", concept, written))
    hits.sort()
    # "prior hepatitis B vaccine": the disease is the vaccine's target, not a condition
    diseases = disease_finder(text, start, end, hits)
    vaccines = vaccines_in(text, start, end, diseases)
    taken = [span for vaccine in vaccines for span in vaccine.target]
    # "Hamilton Depression Rating Scale", "an Alzheimer's disease study": named after it
    taken += named_after_in(text, start, end, diseases)
    hits = [h for h in hits if not any(a < h[1] and h[0] < b for a, b in taken)]
    # "ER-positive, PR-negative": a result word inside a marker negates nothing else
    found = [
        t
        for t in clean_triggers(triggers(text, start, end))
        if not any(m.start <= t.start and t.end <= m.end for m in markers)
        # "Participants positive for HBsAg are excluded": in a criterion the trial
        # excludes them; only in a record does "PE was excluded" rule a disease out
        and not (
            t.direction == "backward"
            and _THEY_ARE_EXCLUDED.search(text, max(start, t.end - 40), t.end)
        )
    ]
    mentions: list[Mention] = []

    def named(category: str, concept: str, lo: int, hi: int, **flags: bool) -> Mention:
        return Mention(category, concept, text[lo:hi], to_source(lo, hi), **flags)

    for marker in markers:
        ctx = assert_span(text, marker.start, marker.end, found, start, end)
        if ctx.optional:
            continue  # "regardless of PD-L1 expression"
        mentions.append(
            named("biomarker", marker.concept, marker.start, marker.end,
                  negated=ctx.negated, hypothetical=ctx.hypothetical)
        )  # fmt: skip
    for stage in find_stages(text, start, end):
        if _setting_of_therapy(text, stage.start, hits):
            continue  # "chemotherapy for metastatic disease": when it was given, not a stage asked
        ctx = assert_span(text, stage.start, stage.end, found, start, end)
        if ctx.optional:
            continue  # "regardless of stage"
        mentions.append(
            named("stage", stage.concept, stage.start, stage.end,
                  negated=ctx.negated, hypothetical=ctx.hypothetical)
        )  # fmt: skip
    for words in find_care_settings(text, start, end):
        ctx = assert_span(text, words.start, words.end, found, start, end)
        # "hospitalized COVID19 negative patients": the result word is about COVID-19
        negated = ctx.negated and bool(_DENIED_BEFORE.search(text, start, words.start))
        mentions.append(
            named("care_setting", words.concept, words.start, words.end, negated=negated)
        )
    for breathing in find_ventilation(text, start, end):
        ctx = assert_span(text, breathing.start, breathing.end, found, start, end)
        negated = ctx.negated and bool(_DENIED_BEFORE.search(text, start, breathing.start))
        mentions.append(
            named("ventilation", MECHANICAL_VENTILATION, breathing.start, breathing.end,
                  negated=negated)
        )  # fmt: skip
    for vaccine in vaccines:
        ctx = assert_span(text, vaccine.start, vaccine.end, found, start, end)
        if ctx.optional or vaccine.harm:
            continue
        mentions.append(
            named("vaccination", vaccine.concept, vaccine.start, vaccine.end,
                  negated=ctx.negated or vaccine.denied, historical=ctx.historical,
                  hypothetical=ctx.hypothetical)
        )  # fmt: skip
    mentions += _naive(text, start, end, to_source, hits)
    for hit_start, hit_end, category, concept, written in hits:
        ctx = assert_span(text, hit_start, hit_end, found, start, end)
        if ctx.optional:
            continue  # "with or without X": X is no requirement either way
        mentions.append(
            Mention(
                category=category,
                concept=concept,
                text=written,
                span=to_source(hit_start, hit_end),
                negated=ctx.negated
                or (concept == "contraception" and _refuses(text, start, hit_start, seg.kind)),
                historical=ctx.historical
                or (category == "prior_therapy" and _prior(text, hit_start, start)),
                hypothetical=ctx.hypothetical,
                family=ctx.family,
            )
        )
    mentions.extend(vocabulary_mentions(text, start, end, to_source, constraints, found, taken))
    reason = non_computable_reason(text, start, end)
    if reason is None and not constraints and not mentions and not windows:
        reason = (
            "heading" if has_children or text[start:end].rstrip().endswith(":") else "free_text"
        )
    computable = reason is None or (reason == "heading" and bool(constraints or mentions))
    if reason in ("consent", "compliance", "investigator_judgement"):
        computable = False
    source_span = to_source(start, end)
    return Item(
        index=index,
        kind=seg.kind,
        level=seg.level,
        parent=seg.parent,
        span=source_span,
        text=clean.source[source_span[0] : source_span[1]],
        marker=seg.marker,
        constraints=tuple(constraints),
        mentions=tuple(mentions),
        windows=tuple(windows),
        computable=computable,
        non_computable_reason=None if computable else reason,
    )


def _labelled_constraints(
    label: str, text: str, start: int, end: int, to_source: Callable[[int, int], Span]
) -> list[Constraint]:
    """The value under a label line read as "<label>: <value>" ("Performance status: WHO
    0-2"); spans fall inside the value's own item."""
    lead = f"{label}: "
    written = lead + text[start:end]

    def inside(lo: int, hi: int) -> Span:
        return to_source(start + max(0, lo - len(lead)), start + max(0, hi - len(lead)))

    return extract_constraints(written, 0, len(written), inside)


# "treatment-naive", "previously untreated NSCLC": no prior therapy, none named
_NAIVE = re.compile(
    r"\b(?:treatment|therapy)[\s-]+na[iï]ve\b|\bpreviously[\s-]+untreated\b(?!\s+(?:with|by|for)\b)"
    r"|\bnot\s+(?:been\s+)?previously\s+treated\b(?!\s+(?:with|by)\b)",
    re.I,
)


def _naive(
    text: str,
    start: int,
    end: int,
    to_source: Callable[[int, int], Span],
    hits: list[tuple[int, int, str, str, str]],
) -> list[Mention]:
    out = []
    for match in _NAIVE.finditer(text, start, end):
        if any(h[2] == "prior_therapy" and match.start() <= h[0] < match.end() + 40 for h in hits):
            continue  # "treatment-naive to chemotherapy": the therapy named speaks
        out.append(
            Mention(
                category="prior_therapy",
                concept="systemic_therapy",
                text=match.group(),
                span=to_source(*match.span()),
                negated=True,
                historical=True,
            )
        )
    return out


_DENIED_BEFORE = re.compile(r"\b(?:not|no|never|without|nor)\b[^.;:]{0,40}$", re.I)

#: "Unwilling to commit to the use of … contraception", "refuses to use birth control":
#: contraception refused. Only for contraception: "unwilling to stop smoking" keeps smoking
_REFUSAL_BEFORE = re.compile(r"\b(?:unwilling|refus\w*|declin\w*)\b[^.;:]{0,60}$", re.I)
#: "planning to discontinue contraceptive precautions", in an exclusion only: an inclusion's
#: "willing to discontinue hormonal contraception" asks for what the patient will do
_STOPPING_BEFORE = re.compile(r"\b(?:discontinu\w*|stop|stops|stopping)\b[^.;:]{0,30}$", re.I)


def _refuses(text: str, start: int, at: int, kind: str) -> bool:
    lo = max(start, at - 80)
    if _REFUSAL_BEFORE.search(text, lo, at):
        return True
    return kind == "exclusion" and bool(_STOPPING_BEFORE.search(text, lo, at))


_SETTING_GAP = re.compile(r"[^.;:]{0,30}?\b(?:for|in)\s+(?:(?:their|the|his|her|this)\s+)?", re.I)


def _setting_of_therapy(text: str, at: int, hits: list[tuple[int, int, str, str, str]]) -> bool:
    """The stage words at ``at`` say what an earlier named therapy was given for."""
    return any(
        h[2] == "prior_therapy" and h[1] <= at and _SETTING_GAP.fullmatch(text, h[1], at)
        for h in hits
    )


def _prior(text: str, at: int, lo: int) -> bool:
    """Therapies named in an item are history unless the item speaks of the future."""
    return "plan" not in text[max(lo, at - 30) : at].lower()
