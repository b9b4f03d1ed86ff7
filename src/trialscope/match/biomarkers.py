"""A criterion's biomarker ("HER2-negative", "KRAS G12C", "PD-L1 ≥ 50%") against the
patient's.

Both sides are read by :mod:`trialscope.criteria.biomarkers`; a patient's structured
``biomarkers`` ({name: HER2, result: negative}, {KRAS: G12D mutated}) go through the same
reader. Receptors aggregate the way oncologists write them: hormone-receptor positive
is ER and/or PR positive, so it settles an "ER and/or PR positive" requirement but not
an "ER-positive" one; HER2 1+ or 2+ without amplification is HER2-low and HER2-negative.
What the record does not say is asked ("Is the tumour HER2-negative?"), never assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trialscope.criteria import Mention
from trialscope.criteria.biomarkers import Marker, canonical, find_markers, parse_concept
from trialscope.match.bounds import ask
from trialscope.match.facts import PatientFacts
from trialscope.match.patient import Biomarker, Provenance
from trialscope.match.verdicts import Basis, Evidence, Question, Verdict

Part = tuple[Verdict, str, Basis, list[Evidence], list[Question]]

_RESULT_WORDS = {
    "positive": "positive",
    "pos": "positive",
    "mutated": "positive",
    "mutant": "positive",
    "mutation": "positive",
    "amplified": "positive",
    "rearranged": "positive",
    "fusion": "positive",
    "high": "positive",
    "msi-h": "positive",
    "deficient": "positive",
    "negative": "negative",
    "neg": "negative",
    "wild-type": "negative",
    "wildtype": "negative",
    "wild type": "negative",
    "wt": "negative",
    "stable": "negative",
    "mss": "negative",
    "proficient": "negative",
    "not amplified": "negative",
    "low": "low",
    "0": "zero",
    "1+": "low",
    "2+": "equivocal",
    "3+": "positive",
}
_POSITIVE = frozenset({"positive"})


@dataclass(frozen=True, slots=True)
class _Reading:
    marker: Marker
    source: Provenance


def from_note(marker: Marker, source: Provenance, negated: bool) -> list[Biomarker]:
    """A note's biomarker statement as the patient's record (``negated``: "no EGFR
    mutation" is EGFR-negative)."""
    result = marker.result
    if negated and result != "value":
        result = "negative"
    return [
        Biomarker(
            name=("+" if marker.all_of else "|").join(marker.names),
            result=marker.op if marker.op else result,
            value=marker.value,
            unit=None if marker.op is None or "CPS" in marker.names[0] else "%",
            source=source,
        )
    ]


def _readings(facts: PatientFacts) -> list[_Reading]:
    cached = facts.derived.get("biomarkers")
    if isinstance(cached, list):
        return cached
    readings: list[_Reading] = []
    for biomarker in facts.patient.biomarkers:
        marker = _marker_of(biomarker)
        if marker is not None:
            readings.append(_Reading(marker, biomarker.source))
    facts.derived["biomarkers"] = readings
    return readings


def _marker_of(biomarker: Biomarker) -> Marker | None:
    """A recorded biomarker as a :class:`Marker` (None when its name is unknown)."""
    name, result = biomarker.name.strip(), biomarker.result.strip()
    if biomarker.value is not None and result in (">=", ">", "<=", "<", "=", "value", ""):
        op = "=" if result in ("value", "") else result
        return Marker(tuple(re.split(r"[+|]", name)), "value", 0, 0, True, op, biomarker.value)
    if re.fullmatch(r"[A-Z0-9.|+ -]+", name) and all(
        canonical(n) or n in ("HR", "MSI", "PD-L1 CPS") for n in re.split(r"[+|]", name)
    ):
        names = tuple(canonical(n) or n for n in re.split(r"[+|]", name))
        word = _RESULT_WORDS.get(result.lower())
        if word is not None:
            return Marker(names, word, 0, 0, "|" not in name)
    found = find_markers(f"{name} {result}")
    return found[0] if found else None


def judge_biomarker(mention: Mention, facts: PatientFacts, kind: str) -> Part:
    """Whether the item's statement about the biomarker ``mention`` holds."""
    wanted = parse_concept(mention.concept)
    label = label_of(wanted)
    key = f"biomarker:{_slug(label)}"
    answered = facts.patient.answers.get(key)
    readings = _readings(facts)
    if answered is not None:
        holds: bool | None = answered
        evidence: list[Evidence] = []
    else:
        holds, evidence = _holds(wanted, readings)
    if holds is not None:
        verdict = Verdict.MET if holds != mention.negated else Verdict.NOT_MET
        said = "is" if holds else "is not"
        return verdict, f"the tumour {said} {label}", Basis.FACT, evidence, []
    question = ask(key, f"Is the tumour {label}?")
    known = "; ".join(e.fact for e in evidence)
    if facts.patient.complete_history and kind == "exclusion" and not mention.negated:
        # like any exclusion a full history does not mention: assumed absent, asked
        return (
            Verdict.NOT_MET,
            f"{label}: not in the patient's history",
            Basis.ABSENCE,
            [],
            [question],
        )
    reason = f"{label}: not known" + (f" (the record says {known})" if known else "")
    return Verdict.UNKNOWN, reason, Basis.NONE, evidence, [question]


def _holds(wanted: Marker, readings: list[_Reading]) -> tuple[bool | None, list[Evidence]]:
    results = []
    evidence: list[Evidence] = []
    for name in wanted.names:
        one, ev = _one(name, wanted, readings)
        results.append(one)
        evidence += [e for e in ev if e not in evidence]
    if wanted.all_of:
        if any(r is False for r in results):
            return False, evidence
        return (True if all(r is True for r in results) else None), evidence
    if any(r is True for r in results):
        return True, evidence
    return (False if all(r is False for r in results) else None), evidence


def _about(name: str, readings: list[_Reading]) -> list[tuple[str, _Reading]]:
    """The patient's readings that speak of ``name``: ``all_of`` readings name each
    gene; an any-of reading ("BRCA mutation") speaks of its group only."""
    out = []
    for reading in readings:
        marker = reading.marker
        if name in marker.names and (marker.all_of or len(marker.names) == 1):
            out.append((name, reading))
    return out


def _one(name: str, wanted: Marker, readings: list[_Reading]) -> tuple[bool | None, list[Evidence]]:
    direct = _about(name, readings)
    answers: list[bool | None] = [_compare(wanted, r.marker, name) for _, r in direct]
    evidence = [_evidence(r) for _, r in direct]
    if name == "HR":
        # hormone-receptor positive: ER or PR positive; negative: both negative
        er = _one("ER", _with("ER", wanted), readings)
        pr = _one("PR", _with("PR", wanted), readings)
        evidence += er[1] + pr[1]
        if wanted.result == "positive":
            answers.append(True if True in (er[0], pr[0]) else None)
            answers.append(False if er[0] is False and pr[0] is False else None)
        elif wanted.result == "negative":
            answers.append(True if er[0] is True and pr[0] is True else None)
            answers.append(False if False in (er[0], pr[0]) else None)
    elif name in ("ER", "PR"):
        for _, r in _about("HR", readings):
            if r.marker.result == "negative":
                answers.append(_compare(wanted, r.marker, name))
                evidence.append(_evidence(r))
    for reading in readings:
        # "BRCA1/2 mutation" on record answers a requirement of that group
        marker = reading.marker
        group = not marker.all_of and name in marker.names and len(marker.names) > 1
        if group and (set(marker.names) == set(wanted.names) or marker.result == "negative"):
            answers.append(_compare(wanted, marker, name))
            evidence.append(_evidence(reading))
    if True in answers:
        return True, evidence
    if False in answers:
        return False, evidence
    return None, evidence


def _with(name: str, wanted: Marker) -> Marker:
    return Marker((name,), wanted.result, 0, 0)


def _compare(wanted: Marker, have: Marker, name: str) -> bool | None:
    """Whether the reading ``have`` satisfies ``wanted`` for ``name``."""
    want, got = wanted.result, have.result
    if want == "value" or got == "value":
        return _compare_values(wanted, have)
    variants_got = set(got.split("|")) - {"positive", "negative", "low", "zero", "equivocal"}
    if want == "positive":
        if got in ("low", "zero") and name == "HER2":
            return False
        if got == "equivocal":
            return None
        return bool(variants_got) or got == "positive"
    if want == "negative":
        if got == "equivocal":
            return None
        return got in ("negative", "low", "zero")
    if want == "low":
        return {"low": True, "zero": False, "positive": False}.get(got)
    if want == "zero":
        return {"zero": True, "low": False, "positive": False}.get(got)
    if want == "equivocal":
        return {"equivocal": True}.get(got)
    # a variant: "KRAS G12C" against the patient's own variant
    wanted_variants = set(want.split("|"))
    if variants_got:
        return bool(wanted_variants & variants_got)
    if got == "negative":
        return False
    return None  # mutated, but which variant is not said


def _compare_values(wanted: Marker, have: Marker) -> bool | None:
    """PD-L1 thresholds: a reading, or "positive" (≥ 1 %) / "negative" (< 1 %)."""
    if wanted.op is None or wanted.value is None:
        # "PD-L1 positive" wanted, a number on record
        if have.value is None or have.op not in ("=", ">=", ">"):
            return None
        if wanted.result == "positive":
            return have.value >= 1 if have.op == "=" else (True if have.value >= 1 else None)
        if wanted.result == "negative":
            return have.value < 1 if have.op == "=" else (False if have.value >= 1 else None)
        return None
    if have.names[0] != wanted.names[0]:
        return None  # a TPS is no CPS
    low = high = None
    if have.op is not None and have.value is not None:
        if have.op == "=":
            low = high = have.value
        elif have.op in (">=", ">"):
            low = have.value
        else:
            high = have.value
    elif have.result == "positive":
        low = 1.0
    elif have.result == "negative":
        high = 0.99
    x = wanted.value
    checks = {
        ">=": (low is not None and low >= x, high is not None and high < x),
        ">": (low is not None and low > x, high is not None and high <= x),
        "<": (high is not None and high < x, low is not None and low >= x),
        "<=": (high is not None and high <= x, low is not None and low > x),
        "=": (low is not None and low == x == high, False),
    }
    yes, no = checks.get(wanted.op, (False, False))
    return True if yes else (False if no else None)


def _evidence(reading: _Reading) -> Evidence:
    return Evidence(label_of(reading.marker), reading.source)


_NAMES = {"HR": "hormone-receptor", "MSI": "MSI-high/dMMR", "PD-L1 CPS": "PD-L1 CPS"}


def label_of(marker: Marker) -> str:
    """``HER2-negative``, ``KRAS G12C``, ``ER-, PR- and HER2-negative``, ``PD-L1 ≥ 50%``."""
    names = [_NAMES.get(n, n) for n in marker.names]
    joined = (
        names[0]
        if len(names) == 1
        else (", ".join(names[:-1]) + (" and " if marker.all_of else " or ") + names[-1])
    )
    if marker.op is not None and marker.value is not None:
        op = {">=": "≥", "<=": "≤"}.get(marker.op, marker.op)
        pct = "" if "CPS" in marker.names[0] else "%"
        return f"{joined} {op} {marker.value:g}{pct}"
    result = marker.result
    if marker.names == ("MSI",):
        return "MSI-high/dMMR" if result == "positive" else "microsatellite stable (pMMR)"
    if result in ("positive", "negative", "low"):
        return f"{joined}-{result}"
    if result == "zero":
        return f"{joined} 0 (IHC)"
    if result == "equivocal":
        return f"{joined} 2+ (IHC, equivocal)"
    variants = " or ".join(v.replace("exon", "exon ") for v in result.split("|"))
    return f"{joined} {variants}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
