"""Patient-to-trial ranking and trial-level verdicts on the TREC / SIGIR patient topics.

Cohorts: SIGIR 2016 (Koopman & Zuccon), TREC Clinical Trials 2021 and 2022 as packaged by
TrialGPT (``../shared/data/trialgpt``), and TREC Clinical Trials 2023
(``../shared/data/trec_ct_2023``). The official trial corpora are not in
``../shared/data/ctgov``, so each topic is scored on its *covered subset*: the judged
trials that are in the store. Only those are ranked, three ways:

* **matcher** -- ``match_patient(store, read_note(topic), trials=covered)``: every
  criterion judged, ranked by ``match_patient``'s own score (topical fit, eligibility,
  search relevance, distance; an INELIGIBLE verdict scales it by 0.7);
* **BM25** -- the search engine restricted to the covered ids, the query being the
  note's conditions (OR of phrases over the conditions field, as ``match_patient``
  builds it); a note with no condition found falls back to its content words (OR) over
  all text; trials the query does not hit follow in random order;
* **random** -- the exact expectation over random orders.

Labels (TREC 2021-2023 and TrialGPT's SIGIR files): 2 eligible, 1 excluded (topically
relevant but an exclusion applies; in SIGIR "would consider referring"), 0 not relevant.
NDCG@10 uses gain = label and a log2(rank + 1) discount, ideal order over the covered
subset; topics without any label >= 1 in their covered subset have no NDCG and are left
out of its mean. P@10 divides by 10 (trec_eval), counted at label >= 1 and at label = 2.

**Trial level** (TREC cohorts): of the covered pairs labelled 1 (excluded), the share the
matcher calls INELIGIBLE; of those labelled 2 (eligible), the share it does *not* call
INELIGIBLE -- each with its counts.

What is held out is fixed in ``splits.py``: TREC 2022 is the held-out cohort, TREC 2021
and 2023 are tuning cohorts, SIGIR loses the topics that are criterion-level dev
patients. Per-topic rows and ``--errors`` are given for tuning cohorts only; asked for a
held-out one, the script refuses.

    .venv/bin/python bench/match_rank_eval.py                # builds /tmp/rank.db if absent
    .venv/bin/python bench/match_rank_eval.py --db /tmp/rank.db --json out.json
    .venv/bin/python bench/match_rank_eval.py --cohort trec_2021 --errors 20
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from splits import (
    RANKING_ROLES,
    HeldOutError,
    check_errors_allowed,
    may_show_errors,
    ranking_topics,
)

from trialscope.match import read_note
from trialscope.match.candidate_query import condition_query
from trialscope.match.run import match_patient
from trialscope.match.verdicts import TrialMatch, TrialVerdict
from trialscope.search import SearchEngine
from trialscope.search.types import SearchQuery
from trialscope.store import open_store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CTGOV = SHARED / "ctgov"
SOURCES = ["v2", "classic_api", "legacy_xml", "seeds"]
COHORTS = ["sigir", "trec_2021", "trec_2022", "trec_2023"]
K = 10
SEED = 6
_STOP_WORDS = (
    "a an and are as at be been but by for from had has have he her his in is it its of on or"
    " she that the their there this to was were which with who will no not patient presents"
    " year years old yo history shows showed reveals revealed also after before during"
)
_STOP = set(_STOP_WORDS.split())


# -- topics and labels --------------------------------------------------------------------


def load_cohort(name: str) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """(topic id -> note text, topic id -> {nct id: label})."""
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    topics: dict[str, str] = {}
    if name == "trec_2023":
        base = SHARED / "trec_ct_2023"
        for line in (base / "qrels2023.txt").read_text().splitlines():
            parts = line.split()
            if len(parts) == 4:
                qrels[f"trec-2023-{parts[0]}"][parts[2]] = int(parts[3])
        for topic in ET.parse(base / "topics2023.xml").getroot().iter("topic"):
            topics[f"trec-2023-{topic.get('number')}"] = _templated_note(topic)
        return topics, dict(qrels)
    base = SHARED / "trialgpt" / name
    with (base / "qrels" / "test.tsv").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels[row["query-id"]][row["corpus-id"]] = int(row["score"])
    for line in (base / "queries.jsonl").read_text().splitlines():
        if line.strip():
            item = json.loads(line)
            topics[item["_id"]] = item["text"]
    return topics, dict(qrels)


def _templated_note(topic: ET.Element) -> str:
    """TREC 2023 topics are questionnaires ("template" = the disease, fields = answers):
    written out as sentences a note reader can take ("Definitive diagnosis: POAG.")."""
    lines = [f"Patient with {topic.get('template')}."]
    for field in topic.iter("field"):
        value = (field.text or "").strip()
        if value:
            lines.append(f"{field.get('name', '').capitalize()}: {value}.")
    return "\n".join(lines)


# -- metrics ------------------------------------------------------------------------------


def dcg(gains: list[int], k: int = K) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))


def ndcg(ranked: list[str], labels: dict[str, int], k: int = K) -> float | None:
    ideal = dcg(sorted(labels.values(), reverse=True), k)
    if ideal == 0:
        return None
    return dcg([labels[n] for n in ranked], k) / ideal


def precision(ranked: list[str], labels: dict[str, int], threshold: int, k: int = K) -> float:
    return sum(1 for n in ranked[:k] if labels[n] >= threshold) / k


def random_expectation(labels: dict[str, int], k: int = K) -> dict[str, float | None]:
    """Exact expectations over uniformly random orders of the covered subset."""
    n = len(labels)
    top = min(k, n)
    mean_gain = sum(labels.values()) / n
    ideal = dcg(sorted(labels.values(), reverse=True), k)
    discount = sum(1 / math.log2(i + 2) for i in range(top))
    rel1 = sum(1 for v in labels.values() if v >= 1) / n
    rel2 = sum(1 for v in labels.values() if v >= 2) / n
    return {
        "ndcg": (mean_gain * discount / ideal) if ideal else None,
        "p_rel": rel1 * top / k,
        "p_elig": rel2 * top / k,
    }


def scores(ranked: list[str], labels: dict[str, int]) -> dict[str, float | None]:
    return {
        "ndcg": ndcg(ranked, labels),
        "p_rel": precision(ranked, labels, 1),
        "p_elig": precision(ranked, labels, 2),
    }


# -- rankings -----------------------------------------------------------------------------


def bm25_scores(
    engine: SearchEngine, patient: Any, note: str, covered: list[str]
) -> tuple[dict[str, float], str]:
    """BM25 score per covered trial hit by the note's conditions (or its words)."""
    query = condition_query(patient)
    kind = "conditions"
    result = None
    if query:
        result = engine.search(
            SearchQuery(cond=query, nct_ids=tuple(covered), limit=500, with_facets=False)
        )
    if result is None or not result.hits:
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9-]{2,}", note) if w.lower() not in _STOP]
        query = " OR ".join(dict.fromkeys(w.lower() for w in words[:60]))
        kind = "note words"
        if not query:
            return {}, kind
        result = engine.search(
            SearchQuery(text=query, nct_ids=tuple(covered), limit=500, with_facets=False)
        )
    return {h.nct_id: h.score for h in result.hits}, kind


def run(db: str, cohorts: list[str], verbose: bool, limit_topics: int | None) -> dict[str, Any]:
    store = open_store(db)
    engine = SearchEngine(store)  # type: ignore[arg-type]
    present = {r[0] for r in store.conn.execute("SELECT nct_id FROM studies")}
    out: dict[str, Any] = {"db": db, "studies": len(present), "cohorts": {}}
    for cohort in cohorts:
        topics, qrels_all = load_cohort(cohort)
        kept = set(ranking_topics(cohort, qrels_all))
        qrels = {t: labels for t, labels in qrels_all.items() if t in kept}
        open_book = may_show_errors(cohort)  # per-topic rows and errors: tuning cohorts only
        judged_all = sum(len(v) for v in qrels.values())
        per_topic = []
        errors: list[dict[str, Any]] = []
        started = time.perf_counter()
        fallback = 0
        verdicts: Counter[str] = Counter()
        verdict_by_label: dict[int, Counter[str]] = defaultdict(Counter)
        # partial records (fetched with a field list) have no criteria text: such a pair can
        # be ruled out by age or sex only, so the share is also given over the rest
        with_text: dict[int, Counter[str]] = defaultdict(Counter)
        for number, (topic, labels_all) in enumerate(sorted(qrels.items())):
            if limit_topics is not None and number >= limit_topics:
                break
            labels = {n: g for n, g in labels_all.items() if n in present}
            if not labels or topic not in topics:
                continue
            rng = random.Random(f"{SEED}:{topic}")
            covered = sorted(labels)
            rng.shuffle(covered)  # ties (same score) fall in random order
            patient = read_note(topics[topic])
            report = match_patient(store, patient, trials=covered)
            matcher = [m.nct_id for m in report.trials]
            bm25, kind = bm25_scores(engine, patient, topics[topic], covered)
            fallback += kind != "conditions"
            baseline = sorted(covered, key=lambda n: -bm25.get(n, float("-inf")))
            for m in report.trials:
                verdicts[m.verdict.value] += 1
                verdict_by_label[labels[m.nct_id]][m.verdict.value] += 1
                if _has_criteria_text(store, m.nct_id):
                    with_text[labels[m.nct_id]][m.verdict.value] += 1
                if open_book and _trial_level_error(labels[m.nct_id], m.verdict):
                    errors.append(_error(topic, labels[m.nct_id], m))
            row = {
                "topic": topic,
                "covered": len(labels),
                "labels": dict(Counter(labels.values())),
                "conditions": len([c for c in patient.conditions if c.status != "absent"]),
                "bm25_query": kind,
                "matcher": scores(matcher, labels),
                "bm25": scores(baseline, labels),
                "random": random_expectation(labels),
                "matcher_top": [
                    (m.nct_id, labels[m.nct_id], m.verdict.value) for m in report.trials[:K]
                ],
            }
            per_topic.append(row)
            if verbose and open_book:
                print(
                    f"  {topic}: {len(labels)} covered, ndcg matcher "
                    f"{_fmt(row['matcher']['ndcg'])} bm25 {_fmt(row['bm25']['ndcg'])}",
                    file=sys.stderr,
                )
        covered_total = sum(r["covered"] for r in per_topic)
        summary: dict[str, Any] = {
            "role": RANKING_ROLES[cohort],
            "topics": len(topics),
            "topics_judged": len(qrels_all),
            "topics_dropped_as_criterion_dev": len(qrels_all) - len(qrels),
            "topics_covered": len(per_topic),
            "topics_with_relevant": sum(1 for r in per_topic if r["matcher"]["ndcg"] is not None),
            "judged": judged_all,
            "covered": covered_total,
            "covered_share": covered_total / judged_all if judged_all else 0.0,
            "covered_labels": dict(
                sum((Counter(r["labels"]) for r in per_topic), Counter())  # type: ignore[arg-type]
            ),
            "topics_without_conditions": sum(1 for r in per_topic if r["conditions"] == 0),
            "bm25_fallback_to_note_words": fallback,
            "verdicts": dict(verdicts),
            "verdict_by_label": {str(k): dict(v) for k, v in sorted(verdict_by_label.items())},
            "trial_level": trial_level(verdict_by_label),
            "trial_level_with_criteria_text": trial_level(with_text),
            "seconds": round(time.perf_counter() - started, 1),
        }
        for method in ("matcher", "bm25", "random"):
            summary[method] = {
                metric: _mean([r[method][metric] for r in per_topic])
                for metric in ("ndcg", "p_rel", "p_elig")
            }
        result: dict[str, Any] = {"summary": summary}
        if open_book:
            result["topics"] = per_topic
            result["errors"] = errors
        out["cohorts"][cohort] = result
    store.close()
    return out


def trial_level(verdict_by_label: dict[int, Counter[str]]) -> dict[str, Any]:
    """Excluded pairs (label 1) called INELIGIBLE; eligible pairs (label 2) not called so."""
    ineligible = TrialVerdict.INELIGIBLE.value
    excluded, eligible = verdict_by_label.get(1, Counter()), verdict_by_label.get(2, Counter())
    n_excluded, n_eligible = sum(excluded.values()), sum(eligible.values())
    caught = excluded[ineligible]
    kept = n_eligible - eligible[ineligible]
    return {
        "excluded_pairs": n_excluded,
        "excluded_called_ineligible": caught,
        "excluded_share": caught / n_excluded if n_excluded else None,
        "eligible_pairs": n_eligible,
        "eligible_not_called_ineligible": kept,
        "eligible_share": kept / n_eligible if n_eligible else None,
    }


def _has_criteria_text(store: Any, nct_id: str) -> bool:
    module = store.study_json(nct_id).get("protocolSection", {}).get("eligibilityModule", {})
    return bool((module.get("eligibilityCriteria") or "").strip())


def _trial_level_error(label: int, verdict: TrialVerdict) -> bool:
    return (label == 1) != (verdict is TrialVerdict.INELIGIBLE) and label in (1, 2)


def _error(topic: str, label: int, match: TrialMatch) -> dict[str, Any]:
    by_index = {c.index: c for c in match.criteria}
    deciding = [by_index[i] for i in match.deciding if i in by_index][:3]
    return {
        "topic": topic,
        "nct_id": match.nct_id,
        "label": label,
        "verdict": match.verdict.value,
        "deciding": [
            f"[{c.kind}] {c.verdict.value}: {c.text[:160]} -- {c.reason}" for c in deciding
        ],
    }


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def ensure_db(db: str) -> None:
    if Path(db).exists():
        return
    demo = Path("/tmp/search-demo.db")
    if demo.exists():
        print(f"copying {demo} -> {db}", file=sys.stderr)
        shutil.copyfile(demo, db)
    else:
        print(f"importing the shared corpus into {db}", file=sys.stderr)
        cli = Path(sys.executable).with_name("trialscope")
        subprocess.run([cli, "--db", db, "import", *(str(CTGOV / s) for s in SOURCES)], check=True)
    # parse every criteria text once so timings and results do not depend on parse order
    cli = Path(sys.executable).with_name("trialscope")
    subprocess.run([cli, "--db", db, "reparse"], check=True)


def print_table(result: dict[str, Any]) -> None:
    print(f"store: {result['db']} ({result['studies']:,} studies)\n")
    print(
        "| cohort | role | topics covered / judged | covered judged trials (share) "
        "| labels 0/1/2 | method | NDCG@10 | P@10 (>=1) | P@10 (=2) |"
    )
    print("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for cohort, data in result["cohorts"].items():
        s = data["summary"]
        labels = s["covered_labels"]
        dropped = s["topics_dropped_as_criterion_dev"]
        first = True
        for method in ("matcher", "bm25", "random"):
            lead = (
                f"| {cohort} | {s['role']} | {s['topics_covered']} / {s['topics_judged']} "
                f"({s['topics_with_relevant']} with a label >= 1"
                + (f"; {dropped} criterion-dev topics dropped" if dropped else "")
                + f") | {s['covered']:,} / {s['judged']:,} ({100 * s['covered_share']:.1f}%) "
                f"| {labels.get(0, 0)}/{labels.get(1, 0)}/{labels.get(2, 0)} "
                if first
                else "| | | | | "
            )
            first = False
            m = s[method]
            print(
                f"{lead}| {method} | {_fmt(m['ndcg'])} | {_fmt(m['p_rel'])} | {_fmt(m['p_elig'])} |"
            )
    print("\nTrial level (covered pairs; TREC targets on the held-out cohort: >= 0.60 / >= 0.95)\n")
    print(
        "| cohort | role | excluded (1) called INELIGIBLE | share "
        "| eligible (2) not called INELIGIBLE | share |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for cohort, data in result["cohorts"].items():
        if not cohort.startswith("trec"):
            continue
        s = data["summary"]
        t = s["trial_level"]
        for role, t in (
            (s["role"], s["trial_level"]),
            ("(records with criteria text)", s["trial_level_with_criteria_text"]),
        ):
            print(
                f"| {cohort} | {role} | {t['excluded_called_ineligible']} / "
                f"{t['excluded_pairs']} | {_fmt(t['excluded_share'])} | "
                f"{t['eligible_not_called_ineligible']} / {t['eligible_pairs']} "
                f"| {_fmt(t['eligible_share'])} |"
            )
    print()
    for cohort, data in result["cohorts"].items():
        s = data["summary"]
        print(
            f"{cohort}: {s['seconds']} s; verdicts {s['verdicts']}; by label "
            f"{s['verdict_by_label']}; topics with no condition found "
            f"{s['topics_without_conditions']}; BM25 fell back to note words "
            f"{s['bm25_fallback_to_note_words']}"
        )


def print_errors(result: dict[str, Any], limit: int) -> None:
    """Trial-level errors of the tuning cohorts (held-out ones carry none to print)."""
    for cohort, data in result["cohorts"].items():
        if "errors" not in data:
            print(f"\n{cohort}: {data['summary']['role']}, errors not shown")
            continue
        errors = data["errors"]
        print(f"\n{cohort}: {len(errors)} trial-level errors, first {min(limit, len(errors))}")
        for error in errors[:limit]:
            print(
                f"  {error['topic']} {error['nct_id']} label {error['label']} -> {error['verdict']}"
            )
            for line in error["deciding"]:
                print(f"      {line}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default="/tmp/rank.db", help="store to use (built if absent)")
    ap.add_argument("--cohort", action="append", choices=COHORTS, help="default: all four")
    ap.add_argument("--json", metavar="FILE", help="write the full result (per topic too)")
    ap.add_argument("--limit-topics", type=int, help="first N judged topics per cohort")
    ap.add_argument("-v", "--verbose", action="store_true", help="per topic (tuning cohorts)")
    ap.add_argument(
        "--errors", type=int, default=0, metavar="N", help="N trial-level errors (tuning cohorts)"
    )
    args = ap.parse_args()
    if args.errors and args.cohort:
        for cohort in args.cohort:
            try:
                check_errors_allowed(cohort)
            except HeldOutError as exc:
                ap.exit(2, f"error: {exc}\n")
    ensure_db(args.db)
    result = run(args.db, args.cohort or COHORTS, args.verbose, args.limit_topics)
    print_table(result)
    if args.errors:
        print_errors(result, args.errors)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
