"""Criterion-level accuracy of the matcher on the TrialGPT expert labels.

    python bench/match_eval.py [--split dev|test|all] [--errors N] [--json]

Each pair is a free-text patient note (read with ``match.note.read_note``) and one
criterion sentence of a trial, labelled by physicians (see ``match_gold.py``). Prints
accuracy, the share of each gold class we get right, the confusion matrix, the
majority-class baseline and TrialGPT's figures. ``--errors`` prints wrong pairs of the
dev half only (``splits.py``); asked for the test half it refuses.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from match_gold import Pair, load_pairs, split
from splits import HeldOutError, check_errors_allowed

from trialscope.criteria import parse_criteria
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.note import read_note
from trialscope.match.verdicts import CriterionResult, Verdict

VERDICTS = ["MET", "NOT_MET", "UNKNOWN", "NOT_APPLICABLE"]
GPT4_ACCURACY = 0.873  # TrialGPT paper, criterion-level, GPT-4
EXPERT_RANGE = "0.887-0.900"


def predict(pair: Pair, facts: PatientFacts) -> tuple[str, list[CriterionResult]]:
    parsed = parse_criteria(pair.criterion)
    results = [judge_item(item, facts, kind=pair.kind) for item in parsed.items]
    if not results:
        return ("NOT_MET" if pair.kind == "exclusion" else "UNKNOWN"), results
    verdicts = [r.verdict for r in results]
    if len(set(verdicts)) == 1:
        return verdicts[0].value, results
    if Verdict.NOT_APPLICABLE in verdicts:
        return "NOT_APPLICABLE", results
    if pair.kind == "exclusion":
        for v in (Verdict.MET, Verdict.UNKNOWN):
            if v in verdicts:
                return v.value, results
        return "NOT_MET", results
    if Verdict.NOT_MET in verdicts:
        return "NOT_MET", results
    if Verdict.MET in verdicts and Verdict.UNKNOWN not in verdicts[:1]:
        return "MET", results
    return "UNKNOWN", results


def evaluate(pairs: list[Pair]) -> dict[str, object]:
    notes: dict[str, PatientFacts] = {}
    confusion: Counter[tuple[str, str]] = Counter()
    errors = []
    started = time.perf_counter()
    for pair in pairs:
        facts = notes.get(pair.patient_id)
        if facts is None:
            facts = notes[pair.patient_id] = PatientFacts.of(read_note(pair.note))
        guess, results = predict(pair, facts)
        confusion[(pair.gold, guess)] += 1
        if guess != pair.gold:
            errors.append((pair, guess, results))
    elapsed = time.perf_counter() - started
    right = sum(n for (gold, guess), n in confusion.items() if gold == guess)
    majority = Counter(p.gold for p in pairs).most_common(1)[0]
    by_kind = Counter((p.kind, p.gold) for p in pairs)
    kind_majority = sum(
        max(n for (k, _), n in by_kind.items() if k == kind)
        for kind in ("inclusion", "exclusion")
        if any(k == kind for k, _ in by_kind)
    )
    gpt4 = sum(1 for p in pairs if _gpt4(p) == p.gold)
    per_class = {}
    for label in VERDICTS:
        total = sum(n for (gold, _), n in confusion.items() if gold == label)
        hit = confusion.get((label, label), 0)
        per_class[label] = {"pairs": total, "right": hit, "share": hit / total if total else None}
    return {
        "pairs": len(pairs),
        "patients": len(notes),
        "accuracy": right / len(pairs),
        "majority_class": {"label": majority[0], "accuracy": majority[1] / len(pairs)},
        "majority_per_kind_accuracy": kind_majority / len(pairs),
        "gpt4_on_these_pairs": gpt4 / len(pairs),
        "per_class": per_class,
        "confusion": {f"{g}->{p}": n for (g, p), n in sorted(confusion.items())},
        "pairs_per_second": len(pairs) / elapsed,
        "_errors": errors,
    }


def _gpt4(pair: Pair) -> str:
    label = pair.gpt4
    if label == "not enough information":
        return "UNKNOWN"
    if label == "not applicable":
        return "NOT_APPLICABLE"
    return {
        "included": "MET",
        "not included": "NOT_MET",
        "excluded": "MET",
        "not excluded": "NOT_MET",
    }.get(label, "UNKNOWN")


def _matrix(confusion: dict[str, int]) -> str:
    rows = ["gold \\ ours".ljust(16) + "".join(v[:8].rjust(10) for v in VERDICTS)]
    for gold in VERDICTS:
        cells = [confusion.get(f"{gold}->{guess}", 0) for guess in VERDICTS]
        rows.append(gold.ljust(16) + "".join(str(c).rjust(10) for c in cells))
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    parser.add_argument("--errors", type=int, default=0, help="print N wrong pairs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.errors:
        try:
            check_errors_allowed(args.split)
        except HeldOutError as exc:
            parser.exit(2, f"error: {exc}\n")
    dev, test = split(load_pairs())
    chosen = {"dev": dev, "test": test, "all": dev + test}[args.split]
    report = evaluate(chosen)
    errors = report.pop("_errors")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.split}: {report['pairs']} pairs, {report['patients']} patients")
        print(
            f"accuracy {report['accuracy']:.3f}  (majority class "
            f"{report['majority_class']['accuracy']:.3f}, majority per kind "  # type: ignore[index]
            f"{report['majority_per_kind_accuracy']:.3f}, GPT-4 on these pairs "
            f"{report['gpt4_on_these_pairs']:.3f}; paper GPT-4 {GPT4_ACCURACY}, experts "
            f"{EXPERT_RANGE})"
        )
        print(
            "right per gold class: "
            + ", ".join(
                f"{label} {c['right']}/{c['pairs']}"
                + (f" ({c['share']:.3f})" if c["share"] is not None else "")
                for label, c in report["per_class"].items()  # type: ignore[attr-defined]
            )
        )
        print(_matrix(report["confusion"]))  # type: ignore[arg-type]
        print(f"{report['pairs_per_second']:.0f} pairs/s (note reading included)")
    for pair, guess, results in errors[: args.errors]:  # type: ignore[index]
        print(f"\n[{pair.kind}] gold {pair.gold} ours {guess}: {pair.criterion[:200]}")
        for r in results:
            print(f"   item {r.index}: {r.verdict} — {r.reason}")
        print(f"   note: {pair.note[:160]}")


if __name__ == "__main__":
    main()
