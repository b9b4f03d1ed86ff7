"""Which criterion verdicts a change of the matcher changes, item by item.

Judges every eligibility item of the first ``--trials`` API v2 records of
``../shared/data/ctgov`` for a set of patients (the example patient files and a few notes
written here -- no gold patient, so no split is touched), once with the code of a git
revision and once with the working tree, and prints the verdicts that changed: counts by
(kind, before, after) and a sample with both reasons. Reading every changed verdict
before landing a matcher change found misreadings no test had (see docs/accuracy.md,
2026-12-07, ninth session).

    .venv/bin/python bench/verdict_diff.py --ref main            # working tree vs main
    .venv/bin/python bench/verdict_diff.py --ref HEAD~5 --trials 500 --show 80
    .venv/bin/python bench/verdict_diff.py --ref main --whole   # trial verdicts too
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CTGOV = ROOT.parent / "shared" / "data" / "ctgov" / "v2"

#: notes written for this script (not gold patients): each reaches classes of rules
NOTES = {
    "crc": "A 64-year-old man with metastatic colon adenocarcinoma to the liver (3 lesions). "
    "ECOG 1. AST 30 U/L, ALT 60 U/L, total bilirubin 0.8 mg/dL. Prior FOLFOX. He received two "
    "doses of the COVID-19 vaccine.",
    "myeloma": "A 70-year-old woman with multiple myeloma s/p autologous transplant, on "
    "lenalidomide. Hemoglobin 9.5 g/dL. Creatinine 1.4 mg/dL.",
    "covid": "Patient with COVID-19.\nDefinitive diagnosis: yes (PCR).\nHospitalization: yes.\n"
    "Ventilation: no.\nVaccination status: unvaccinated.",
    "anxiety": "Patient with anxiety.\nDefinitive diagnosis: yes.\nAge: 25 years old.\nBeck "
    "depression inventory: 12.\nSuicidal ideation: yes.",
    "hiv": "A 45-year-old man with HIV on antiretroviral therapy, CD4 350. History of hepatitis "
    "B vaccination.",
}


def dump(trials: int, out: Path, whole: bool = False) -> None:
    """Judge the items with the code on ``sys.path`` and pickle {key: (verdict, kind,
    text, reason)}; with ``whole``, whole trials (the items as the trial verdict reads
    them, after alternatives, cohorts and populations, and the trial verdict itself)."""
    from trialscope.criteria import parse_criteria
    from trialscope.match import read_note
    from trialscope.match.facts import PatientFacts
    from trialscope.match.intake import load_patient
    from trialscope.match.judge import judge_item
    from trialscope.match.trials import judge_trial, own_concepts

    patients = {name: PatientFacts.of(read_note(note)) for name, note in NOTES.items()}
    for path in sorted((ROOT / "examples" / "patients").iterdir()):
        patients[path.name] = PatientFacts.of(load_patient(path))
    verdicts: dict[tuple[str, str, str], tuple[str, str, str, str]] = {}
    for study in _studies(trials):
        section = study.get("protocolSection", {})
        nct = section.get("identificationModule", {}).get("nctId", "?")
        text = section.get("eligibilityModule", {}).get("eligibilityCriteria")
        if not text:
            continue
        items = parse_criteria(text).items
        # keyed by the item's words, not its index: a parser change that drops or splits
        # one item would otherwise shift every later one against its old verdict
        seen: Counter[str] = Counter()
        keys = []
        for item in items:
            words = " ".join(item.text.split())
            seen[words] += 1
            keys.append(f"{words[:60]}…{seen[words]}" if seen[words] > 1 else words[:60])
        conditions = section.get("conditionsModule", {}).get("conditions", [])
        eligibility = section.get("eligibilityModule", {})
        for name, facts in patients.items():
            if whole:
                parsed = parse_criteria(text)
                verdict, results, deciding = judge_trial(
                    nct, eligibility, parsed, facts, own=own_concepts(conditions)
                )
                by_index = {r.index: r for r in results}
                why = "; ".join(by_index[i].reason[:80] for i in deciding if i in by_index)
                verdicts[name, nct, "(trial)"] = (verdict.value, "trial", "(the trial)", why)
                for key, item in zip(keys, items, strict=True):
                    found = by_index.get(item.index)
                    if found is not None:
                        verdicts[name, nct, key] = (
                            found.verdict.value,
                            found.kind,
                            " ".join(item.text.split())[:160],
                            found.reason[:160],
                        )
                continue
            for key, item in zip(keys, items, strict=True):
                result = judge_item(item, facts)
                verdicts[name, nct, key] = (
                    result.verdict.value,
                    result.kind,
                    " ".join(item.text.split())[:160],
                    result.reason[:160],
                )
    out.write_bytes(pickle.dumps(verdicts))


def _studies(count: int) -> list[dict[str, Any]]:
    studies: list[dict[str, Any]] = []
    for path in sorted(CTGOV.glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
            studies += [json.loads(line) for line in handle if line.strip()]
        if len(studies) >= count:
            break
    return studies[:count]


def _judged_at(source: Path, trials: int, out: Path, whole: bool) -> None:
    # both sides read the same vocabulary: a tree outside the checkout would otherwise
    # fall back to the built-in one and differ for that reason alone
    env = {
        "PYTHONPATH": str(source / "src"),
        "PATH": "/usr/bin:/bin",
        "TRIALSCOPE_VOCAB_DIR": str(ROOT.parent / "shared" / "data" / "vocab"),
    }
    subprocess.run(
        [sys.executable, __file__, "--dump", str(out), "--trials", str(trials)]
        + (["--whole"] if whole else []),
        check=True,
        env=env,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="main", help="git revision to compare with")
    parser.add_argument("--trials", type=int, default=2500)
    parser.add_argument("--show", type=int, default=40, help="changed verdicts to print")
    parser.add_argument(
        "--whole", action="store_true", help="judge whole trials, and compare their verdicts"
    )
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump is not None:
        dump(args.trials, args.dump, args.whole)
        return
    with tempfile.TemporaryDirectory() as tmp:
        before_tree = Path(tmp) / "before"
        subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "worktree",
                "add",
                "-q",
                "--detach",
                str(before_tree),
                args.ref,
            ],
            check=True,
        )
        try:
            _judged_at(before_tree, args.trials, Path(tmp) / "before.pkl", args.whole)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)],
                check=True,
            )
        _judged_at(ROOT, args.trials, Path(tmp) / "after.pkl", args.whole)
        before = pickle.loads((Path(tmp) / "before.pkl").read_bytes())
        after = pickle.loads((Path(tmp) / "after.pkl").read_bytes())
    changed = [
        (k, before[k], after[k]) for k in before if k in after and before[k][0] != after[k][0]
    ]
    print(f"{len(before):,} verdicts at {args.ref}, {len(after):,} now; {len(changed):,} changed")
    for (kind, old, new), n in Counter((b[1], b[0], a[0]) for _, b, a in changed).most_common():
        print(f"  {n:5}  {kind:9} {old} -> {new}")
    moved = Counter((b[1], a[1]) for k, b in before.items() if k in after for a in [after[k]])
    for (old_kind, new_kind), n in sorted(moved.items()):
        if old_kind != new_kind:
            print(f"  kind {old_kind} -> {new_kind}: {n:,} items")
    for key, old, new in random.Random(0).sample(changed, min(args.show, len(changed))):
        print(f"\n{key[0]} {key[1]} [{old[1]} -> {new[1]}] {old[0]} -> {new[0]}: {old[2]}")
        print(f"    before: {old[3]}\n    now:    {new[3]}")


if __name__ == "__main__":
    main()
