"""Accuracy of trialscope.criteria against external gold (LCT, Chia) and Facebook CTP.

    .venv/bin/python bench/criteria_eval.py                  # dev and test, markdown
    .venv/bin/python bench/criteria_eval.py --json
    .venv/bin/python bench/criteria_eval.py --errors 40      # dev-half mistakes, for tuning

Scoring: each corpus is split once, 50/50 by trial id (see criteria_gold.split). Only
variables the catalogue covers are scored (kind numeric or ordinal; counts are not
annotated as measurements in either corpus); gold constraints on other variables are
counted as "uncovered". A system constraint and a gold constraint are paired when they
name the same variable and their spans overlap. Slots: ``variable`` (a pair exists),
``operator`` (same operator), ``value`` (same bounds in the canonical unit, relative
tolerance 1e-3), ``unit`` (same canonical unit); ``all`` needs all four. For each slot,
precision = correct / system constraints, recall = correct / gold constraints.
Tuning reads only the dev half (``--errors`` never shows test documents).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from criteria_gold import (
    SHARED,
    Document,
    GoldConstraint,
    chia_documents,
    lct_documents,
    split,
)

from trialscope.criteria import parse_criteria
from trialscope.criteria.catalogue import VARIABLES
from trialscope.criteria.model import Constraint
from trialscope.criteria.units import unit_label

SLOTS = ("variable", "operator", "value", "unit", "all")
SCORED = {v.id for v in VARIABLES if v.kind in ("numeric", "ordinal")} - {"blood_pressure"}


@dataclass
class Tally:
    gold: int = 0
    system: int = 0
    correct: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.gold += other.gold
        self.system += other.system
        self.correct.update(other.correct)

    def prf(self, slot: str) -> tuple[float, float, float]:
        ok = self.correct[slot]
        p = ok / self.system if self.system else 0.0
        r = ok / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6 + 1e-3 * max(abs(a), abs(b))


def _expand_bp(gold: Iterable[GoldConstraint]) -> list[GoldConstraint]:
    """Gold "blood pressure > 140" with one value: systolic, as the parser reads it."""
    return [
        GoldConstraint(**{**g.__dict__, "variable": "sbp"}) if g.variable == "blood_pressure" else g
        for g in gold
    ]


def _as_gold(doc: Document, c: Constraint) -> GoldConstraint:
    """A system constraint in the gold's shape, so both sides go through one merge."""
    low = c.low.value if c.low else None
    high = c.high.value if c.high else None
    return GoldConstraint(doc.doc, doc.trial, c.variable, c.variable, c.operator, low, high,
                          c.unit, c.span, c.describe())  # fmt: skip


def merge_bounds(found: list[GoldConstraint]) -> list[GoldConstraint]:
    """ "≥ 19 and ≤ 50": LCT annotates two comparisons, Chia one range, the parser writes
    two bounds. A lower-only and an upper-only bound of one variable, in one unit, within
    40 characters of each other and with low ≤ high, count as one range on both sides."""
    out: list[GoldConstraint] = []
    taken: set[int] = set()
    for i, a in enumerate(found):
        if i in taken:
            continue
        for j in range(i + 1, len(found)):
            b = found[j]
            if j in taken or b.variable != a.variable or b.unit != a.unit:
                continue
            lo, hi = (a, b) if a.high is None else (b, a)
            if not (
                lo.high is None and lo.low is not None and hi.low is None and hi.high is not None
            ):
                continue
            near = abs(b.span[0] - a.span[1]) <= 40 or abs(a.span[0] - b.span[1]) <= 40
            if near and lo.low is not None and hi.high is not None and lo.low <= hi.high:
                span = (min(a.span[0], b.span[0]), max(a.span[1], b.span[1]))
                a = GoldConstraint(**{**a.__dict__, "operator": "range", "low": lo.low,
                                      "high": hi.high, "span": span})  # fmt: skip
                taken.add(j)
                break
        out.append(a)
    return out


def _slots(g: GoldConstraint, s: GoldConstraint) -> dict[str, bool]:
    low, high = s.low, s.high
    ok = {
        "variable": True,
        "operator": g.operator == s.operator,
        "value": _close(g.low, low) and _close(g.high, high),
        "unit": g.unit == s.unit,
    }
    ok["all"] = all(ok.values())
    return ok


def score_document(doc: Document, errors: list[str] | None = None) -> dict[str, Tally]:
    """Per-variable tallies of one document."""
    parsed = parse_criteria(doc.text)
    system = merge_bounds([_as_gold(doc, c) for c in parsed.constraints if c.variable in SCORED])
    gold = merge_bounds([g for g in _expand_bp(doc.gold) if g.variable in SCORED])
    tallies: dict[str, Tally] = defaultdict(Tally)
    for g in gold:
        tallies[g.variable or "?"].gold += 1
    for s in system:
        tallies[s.variable].system += 1
    used: set[int] = set()
    for g in gold:
        best: tuple[int, int, dict[str, bool]] | None = None
        for i, s in enumerate(system):
            if i in used or s.variable != g.variable:
                continue
            if not (s.span[0] < g.span[1] and g.span[0] < s.span[1]):
                continue
            ok = _slots(g, s)
            score = sum(ok.values())
            if best is None or score > best[0]:
                best = (score, i, ok)
        if best is None:
            if errors is not None:
                errors.append(f"{doc.doc} MISSED {g.variable} {g.operator} {g.low} {g.high} "
                              f"{g.unit} | {doc.text[g.span[0]:g.span[1]]!r}")  # fmt: skip
            continue
        _, i, ok = best
        used.add(i)
        tallies[g.variable or "?"].correct.update(k for k, v in ok.items() if v)
        if errors is not None and not ok["all"]:
            s = system[i]
            errors.append(f"{doc.doc} WRONG gold={g.operator} {g.low} {g.high} {g.unit} "
                          f"sys={s.operator} {s.low} {s.high} {s.unit} | {s.text} "
                          f"| gold text {doc.text[g.span[0]:g.span[1]]!r}")  # fmt: skip
    if errors is not None:
        for i, s in enumerate(system):
            if i not in used:
                errors.append(f"{doc.doc} EXTRA {s.text} | {doc.text[s.span[0] : s.span[1]]!r}")
    return tallies


def evaluate(
    docs: list[Document], trials: set[str], errors: list[str] | None = None
) -> dict[str, Tally]:
    per_var: dict[str, Tally] = defaultdict(Tally)
    for doc in docs:
        if doc.trial not in trials:
            continue
        for var, tally in score_document(doc, errors).items():
            per_var[var].add(tally)
    return per_var


def uncovered(docs: list[Document], trials: set[str]) -> Counter[str]:
    return Counter(
        " ".join(g.name.lower().split())
        for d in docs
        if d.trial in trials
        for g in d.gold
        if g.variable is None
    )


def total(per_var: dict[str, Tally]) -> Tally:
    out = Tally()
    for t in per_var.values():
        out.add(t)
    return out


# -- Facebook CTP coverage ----------------------------------------------------------------


def ctp_coverage() -> dict[str, object]:
    root = SHARED / "facebook_ctp" / "src" / "resources"
    covered = {name for v in VARIABLES for name in v.ctp}
    rows = list(csv.reader((root / "variables" / "variables.csv").open(encoding="utf-8")))
    variables = [(r[2], r[1]) for r in rows if r and not r[0].startswith("#")]
    numeric = [name for name, kind in variables if kind in ("numerical", "ordinal")]
    missing = [name for name in numeric if name not in covered]
    units = list(csv.reader((root / "units" / "units.csv").open(encoding="utf-8")))
    unit_rows = [r for r in units if r and not r[0].startswith("#")]
    known = [r[1] for r in unit_rows if any(unit_label(a) for a in r[3].split("|"))]
    return {
        "variables": len(numeric),
        "covered": len(numeric) - len(missing),
        "missing": missing,
        "units": len(unit_rows),
        "units_known": len(known),
        "units_unknown": [r[1] for r in unit_rows if r[1] not in known],
    }


def ctp_ner_check(limit: int | None = None) -> dict[str, float]:
    """CTP's NER test lines with a clinical variable and a bound: does the parser find the
    variable with a bound in the right direction? (@NUMBER becomes 2, 10, 100 or 1000,
    the first the parser accepts as a plausible value.)"""
    path = SHARED / "facebook_ctp" / "data" / "ner" / "test_processed_medical_ner.tsv"
    gold = found = right = 0
    for line in path.read_text("utf-8").splitlines()[:limit]:
        labels, _, text = line.partition("\t")
        spans = []
        for part in labels.split(","):
            try:
                a, b, kind = part.split(":", 2)
            except ValueError:
                continue
            spans.append((int(a) - 1, int(b), kind))
        variables = [text[a:b] for a, b, k in spans if k == "clinical_variable"]
        bounds = [k for _, _, k in spans if k in ("lower_bound", "upper_bound")]
        if len(variables) != 1 or len(bounds) != 1:
            continue
        from criteria_gold import catalogue_variable

        var = catalogue_variable(variables[0])
        if var is None or var not in SCORED:
            continue
        gold += 1
        # CTP replaced the numbers by @NUMBER; the magnitude decides whether a value is
        # plausible (a hemoglobin of 100 g/dL is not), so a few are tried
        hits = []
        for number in ("2", "10", "100", "1000"):
            parsed = parse_criteria(text.replace("@NUMBER", number))
            hits = [c for c in parsed.constraints if c.variable == var]
            if hits:
                break
        if hits:
            found += 1
            lower = bounds[0] == "lower_bound"
            if any((c.low is not None) == lower or c.operator == "range" for c in hits):
                right += 1
    return {"lines": gold, "variable_found": found / gold if gold else 0.0,
            "direction_right": right / gold if gold else 0.0}  # fmt: skip


# -- report --------------------------------------------------------------------------------


def _row(name: str, t: Tally) -> str:
    cells = []
    for slot in SLOTS:
        p, r, f = t.prf(slot)
        cells.append(f"{p:.3f} / {r:.3f} / **{f:.3f}**" if slot == "all" else f"{f:.3f}")
    return f"| {name} | {t.gold} | {t.system} | " + " | ".join(cells) + " |"


def report(results: dict[str, dict[str, dict[str, Tally]]], extra: dict[str, object]) -> str:
    lines: list[str] = []
    for corpus, halves in results.items():
        lines.append(f"### {corpus}\n")
        lines.append("| variables | gold | system | variable F1 | operator F1 | value F1 | unit F1"
                     " | all slots P / R / F1 |")  # fmt: skip
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for half, per_var in halves.items():
            lines.append(_row(f"all ({half})", total(per_var)))
        lines.append("")
        lines.append(f"Per variable, test half ({corpus}; variables with at least 5 gold):\n")
        lines.append("| variable | gold | system | variable F1 | operator F1 | value F1 | unit F1"
                     " | all slots P / R / F1 |")  # fmt: skip
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        test = halves["test"]
        for var in sorted(test, key=lambda v: -test[v].gold):
            if test[var].gold >= 5:
                lines.append(_row(var, test[var]))
        lines.append("")
    lines.append("```")
    lines.append(json.dumps(extra, indent=1, default=str)[:4000])
    lines.append("```")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--errors", type=int, default=0, help="print N dev-half mistakes")
    ap.add_argument("--corpus", choices=("lct", "chia", "both"), default="both")
    args = ap.parse_args(argv)
    corpora = {"LCT": lct_documents, "Chia": chia_documents}
    if args.corpus != "both":
        corpora = {k: v for k, v in corpora.items() if k.lower() == args.corpus}
    results: dict[str, dict[str, dict[str, Tally]]] = {}
    extra: dict[str, object] = {}
    errors: list[str] = []
    for name, reader in corpora.items():
        docs = list(reader())
        dev, test = split({d.trial for d in docs})
        results[name] = {
            "dev": evaluate(docs, dev, errors if args.errors else None),
            "test": evaluate(docs, test),
        }
        extra[f"{name} documents"] = {"dev": sum(d.trial in dev for d in docs),
                                      "test": sum(d.trial in test for d in docs)}  # fmt: skip
        extra[f"{name} uncovered gold (dev, top 15)"] = uncovered(docs, dev).most_common(15)
        extra[f"{name} uncovered gold count"] = {
            "dev": sum(uncovered(docs, dev).values()),
            "test": sum(uncovered(docs, test).values()),
        }
    if args.errors:
        print("\n".join(errors[: args.errors]))
        return 0
    extra["Facebook CTP catalogue coverage"] = ctp_coverage()
    extra["Facebook CTP NER test lines (variable + bound direction)"] = ctp_ner_check()
    if args.json:
        out = {
            corpus: {
                half: {
                    var: {slot: t.prf(slot) for slot in SLOTS}
                    | {"gold": t.gold, "system": t.system}
                    for var, t in {**per_var, "ALL": total(per_var)}.items()
                }
                for half, per_var in halves.items()
            }
            for corpus, halves in results.items()
        }
        print(json.dumps({"results": out, "extra": extra}, indent=1, default=str))
        return 0
    print(report(results, extra))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
