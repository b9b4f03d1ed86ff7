"""How plain and how complete the plain-language view is over every API v2 trial.

    .venv/bin/python bench/plain_language_eval.py [--today 2026-12-04] [--json]

For each distinct trial in ``ctgov/v2``: parses its criteria, writes the plain-language
view (``trialscope.render.plain_language``) and measures trialscope's own sentences with
textstat: Flesch-Kincaid grade and textstat's consensus grade of the whole view, and the
Flesch-Kincaid grade of each section. Also counts how often the view names the disease,
lists needs and reasons, and flags a stale record. The test suite asserts the limits
(``tests/test_plain_language.py``); this prints the figures for docs/accuracy.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import textstat

from trialscope.criteria import parse_criteria
from trialscope.record import Study
from trialscope.render.plain_language import PlainLanguage, plain_language

CTGOV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ctgov"


def studies() -> Iterator[Study]:
    seen: set[str] = set()
    for path in sorted((CTGOV / "v2").glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            for line in handle:
                if line.strip():
                    study = Study.from_json(line)
                    if study.nct_id and study.nct_id not in seen:
                        seen.add(study.nct_id)
                        yield study


def sections(view: PlainLanguage) -> dict[str, list[str]]:
    return {
        "lead": [*view.lead, *view.studies],
        "tested": view.tested,
        "good fit": [*view.good_fit, *view.needs],
        "not a fit": [*view.not_fit, *view.reasons],
        "why and how": [*view.why, *view.join, *view.steps],
    }


def summary(values: list[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.mean(values), 2),
        "max": round(max(values), 2),
        "share_at_or_below_8": round(sum(v <= 8 for v in values) / len(values), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    kincaid: list[float] = []
    consensus: list[float] = []
    by_section: dict[str, list[float]] = {}
    counts = {"trials": 0, "disease": 0, "needs": 0, "reasons": 0, "stale": 0}
    for study in studies():
        module = study.protocol_section.eligibility_module if study.protocol_section else None
        parsed = parse_criteria(module.eligibility_criteria if module else None)
        view = plain_language(study, parsed, today=args.today)
        text = " ".join(view.all_sentences())
        kincaid.append(float(textstat.flesch_kincaid_grade(text)))
        consensus.append(float(textstat.text_standard(text, float_output=True)))
        for name, lines in sections(view).items():
            if lines:
                grade = float(textstat.flesch_kincaid_grade(" ".join(lines)))
                by_section.setdefault(name, []).append(grade)
        counts["trials"] += 1
        counts["disease"] += bool(view.disease)
        counts["needs"] += bool(view.needs)
        counts["reasons"] += bool(view.reasons)
        counts["stale"] += bool(view.stale)
    report = {
        "today": args.today.isoformat(),
        "counts": counts,
        "flesch_kincaid": summary(kincaid),
        "consensus": summary(consensus),
        "sections_flesch_kincaid": {k: summary(v) for k, v in by_section.items()},
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{counts['trials']} trials, as of {report['today']}")
    for name in ("flesch_kincaid", "consensus"):
        print(f"  {name}: {report[name]}")
    for name, figures in report["sections_flesch_kincaid"].items():  # type: ignore[union-attr]
        print(f"  section {name}: {figures}")
    print(f"  views naming the disease {counts['disease']}, with needs {counts['needs']},")
    print(f"  with reasons {counts['reasons']}, flagged stale {counts['stale']}")


if __name__ == "__main__":
    main()
