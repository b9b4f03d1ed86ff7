"""Matcher speed (issue 6, item 8).

(a) **pairs** -- patient x criterion pairs per second: every criterion of N corpus trials
    judged for a few patients (TREC notes read with ``read_note``, a structured YAML
    patient through ``patient_from_data``), study JSON and parsed criteria already in
    memory, so only ``judge_trial`` is timed.
(b) **store** -- one patient against every trial of the corpus store through the public
    path, ``match_patient(store, patient, trials=all_ids)``: seconds, peak RSS (in a
    fresh process), and the same work split into reading the study JSON, loading the
    stored parse and judging.
(c) **scale** -- 20,000 recruiting trials of the 500k scale-up store, opened read-only
    (``mode=ro`` URI; ``open_store`` would migrate it): criteria parsed once in the
    benchmark (the scale store holds no parses), then judged from in-memory parses -- the
    issue's "pre-parsed" case, target <= 0.5 s -- and again with each parse deserialised
    from its stored form (zstd + JSON, as ``load_parse`` reads it), with a cProfile
    of the judging loop.

(d) **bulk** -- the fast path (``match.bulk``, issue 11's "one patient against 20k
    trials"): one patient against every trial of the corpus store from in-memory trial
    views, full ``judge_trial`` against ``BulkJudge`` (its first patient of a sex and
    history flag fills the blank results, the next reuses them), verdicts compared; the
    same over 20,000 trials made by replicating the corpus views with new NCT ids in
    memory (each replica compiled on its own); ``match_patient`` narrowed (search ->
    candidates -> judge) cold and warm, and ``match_patient(every=True)`` over the store.
(e) **views** -- ``refresh_views`` over every trial of the store (what import, sync and
    reparse spend storing the match views; they do the open trials only); **cold** -- a
    fresh process matching every trial for a note patient, a structured one and the note
    again, from the stored views; **cold-built** -- the same ignoring them (before).

    .venv/bin/python bench/match_bench.py --only views --only cold-built --only cold

    .venv/bin/python bench/match_bench.py                      # all four
    .venv/bin/python bench/match_bench.py --only pairs --json out.json
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import random
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import yaml

from trialscope.criteria import ParsedCriteria
from trialscope.criteria.parser import parse_criteria
from trialscope.criteria.store import criteria_text, load_parse
from trialscope.match import read_note
from trialscope.match import run as match_run
from trialscope.match.bulk import BulkJudge, compile_trial
from trialscope.match.facts import PatientFacts
from trialscope.match.intake import patient_from_data
from trialscope.match.run import match_patient
from trialscope.match.trials import judge_trial
from trialscope.search import SearchEngine
from trialscope.search.types import SearchQuery
from trialscope.store import open_store
from trialscope.store.codec import compress, decompress

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
# notes of tuning cohorts and of the criterion-level dev half only (bench/splits.py): a
# held-out patient's verdicts are never computed, even for timing
NOTE_TOPICS = [
    ("trec_2021", "trec-20211"),
    ("trec_2021", "trec-202110"),
    ("sigir", "sigir-201423"),
]
YAML_PATIENT = ROOT / "examples" / "patients" / "crc_liver_mets.yaml"


def patients() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for cohort, topic in NOTE_TOPICS:
        for line in (SHARED / "trialgpt" / cohort / "queries.jsonl").read_text().splitlines():
            item = json.loads(line)
            if item["_id"] == topic:
                out.append((f"note {topic}", read_note(item["text"])))
    data = yaml.safe_load(YAML_PATIENT.read_text())
    out.append((f"structured {YAML_PATIENT.name}", patient_from_data(data)))
    return out


def _slim(study: dict[str, Any]) -> dict[str, Any]:
    """judge_trial reads only the eligibility module: keep that (memory at 20k trials)."""
    module = study.get("protocolSection", {}).get("eligibilityModule") or {}
    return {"protocolSection": {"eligibilityModule": module}}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _judge_all(
    trials: list[tuple[str, dict[str, Any], ParsedCriteria]], facts: PatientFacts
) -> tuple[int, dict[str, int]]:
    pairs = 0
    verdicts: dict[str, int] = {}
    for nct, study, parsed in trials:
        verdict, results, _ = judge_trial(nct, _eligibility(study), parsed, facts)
        pairs += len(results)
        verdicts[verdict.value] = verdicts.get(verdict.value, 0) + 1
    return pairs, verdicts


def _profile(fn: Any, top: int = 15) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Top functions by own time, and the project's functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    rows = []
    for (file, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(file).name}:{line}({name})",
                "calls": calls,
                "tottime_s": round(tottime, 3),
                "cumtime_s": round(cumtime, 3),
            }
        )
    by_own = sorted(rows, key=lambda r: -r["tottime_s"])[:top]
    ours = [r for r in rows if not r["function"].startswith(("~", "<"))]
    by_cum = sorted(ours, key=lambda r: -r["cumtime_s"])[:top]
    return by_own, by_cum


# -- (a) pairs per second -------------------------------------------------------------------


def bench_pairs(db: str, n: int, seed: int) -> dict[str, Any]:
    store = open_store(db)
    ids = [r[0] for r in store.conn.execute("SELECT nct_id FROM studies ORDER BY nct_id")]
    chosen = random.Random(seed).sample(ids, min(n, len(ids)))
    trials = [(nct, _slim(store.study_json(nct)), load_parse(store, nct).parsed) for nct in chosen]
    items = sum(len(p.items) for _, _, p in trials)
    rows = []
    for label, patient in patients():
        facts = PatientFacts.of(patient)
        _judge_all(trials[:50], facts)  # warm caches (concept finder, regexes)
        started, cpu = time.perf_counter(), time.process_time()
        pairs, verdicts = _judge_all(trials, facts)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        rows.append(
            {
                "patient": label,
                "trials": len(trials),
                "pairs": pairs,
                "seconds": round(elapsed, 3),
                "cpu_seconds": round(cpu, 3),
                "pairs_per_s": round(pairs / elapsed),
                "pairs_per_cpu_s": round(pairs / cpu),
                "ms_per_trial": round(1000 * elapsed / len(trials), 3),
                "verdicts": verdicts,
            }
        )
    store.close()
    return {"trials": len(trials), "criteria_items": items, "patients": rows}


# -- (b) one patient against the whole store ------------------------------------------------


def bench_store(db: str) -> dict[str, Any]:
    store = open_store(db)
    ids = [r[0] for r in store.conn.execute("SELECT nct_id FROM studies ORDER BY nct_id")]
    label, patient = patients()[-1]
    rss_before = _peak_rss_mb()
    match_patient(store, patient, trials=ids[:50])  # warm up
    started, cpu = time.perf_counter(), time.process_time()
    report = match_patient(store, patient, trials=ids)
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_after = _peak_rss_mb()
    verdicts: dict[str, int] = {}
    for m in report.trials:
        verdicts[m.verdict.value] = verdicts.get(m.verdict.value, 0) + 1
    # the same work, step by step
    facts = PatientFacts.of(patient)
    t0 = time.perf_counter()
    studies = {nct: store.study_json(nct) for nct in ids}
    t1 = time.perf_counter()
    parses = {nct: load_parse(store, nct).parsed for nct in ids}
    t2 = time.perf_counter()
    for nct in ids:
        judge_trial(nct, _eligibility(studies[nct]), parses[nct], facts)
    t3 = time.perf_counter()
    store.close()
    return {
        "patient": label,
        "trials": len(ids),
        "seconds": round(total, 2),
        "cpu_seconds": round(cpu, 2),
        "ms_per_trial": round(1000 * total / len(ids), 3),
        "peak_rss_mb_before": round(rss_before),
        "peak_rss_mb": round(rss_after),
        "verdicts": verdicts,
        "questions": len(report.questions),
        "split_seconds": {
            "study_json": round(t1 - t0, 2),
            "load_parse": round(t2 - t1, 2),
            "judge_trial": round(t3 - t2, 2),
        },
    }


# -- (c) 20k recruiting trials of the scale-up ----------------------------------------------


def bench_scale(path: str, n: int, seed: int, profile: bool) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    started = time.perf_counter()
    recruiting = [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT nct_id, current_version_id FROM studies WHERE overall_status = 'RECRUITING'"
        )
    ]
    chosen = sorted(random.Random(seed).sample(recruiting, min(n, len(recruiting))))
    studies = []
    for nct, version in chosen:
        blob = conn.execute("SELECT data FROM versions WHERE id = ?", (version,)).fetchone()[0]
        studies.append((nct, orjson.loads(decompress(blob))))
    read_s = time.perf_counter() - started
    conn.close()
    started = time.perf_counter()
    parsed_by_text: dict[str, ParsedCriteria] = {}
    trials = []
    for nct, study in studies:
        text = criteria_text(study) or ""
        if text not in parsed_by_text:
            parsed_by_text[text] = parse_criteria(text)
        trials.append((nct, _slim(study), parsed_by_text[text]))
    parse_s = time.perf_counter() - started
    del studies
    # the stored form of each parse, as criteria_parses.data holds it
    blobs = [compress(orjson.dumps(p.to_json())) for _, _, p in trials]
    rows = []
    people = patients()
    for label, patient in (people[0], people[-1]):
        facts = PatientFacts.of(patient)
        _judge_all(trials[:50], facts)
        t0, cpu = time.perf_counter(), time.process_time()
        pairs, verdicts = _judge_all(trials, facts)
        judge_s, cpu = time.perf_counter() - t0, time.process_time() - cpu
        t0 = time.perf_counter()
        loaded = [ParsedCriteria.from_json(orjson.loads(decompress(b))) for b in blobs]
        load_s = time.perf_counter() - t0
        del loaded
        rows.append(
            {
                "patient": label,
                "pairs": pairs,
                "judge_seconds": round(judge_s, 2),
                "judge_cpu_seconds": round(cpu, 2),
                "pairs_per_s": round(pairs / judge_s),
                "pairs_per_cpu_s": round(pairs / cpu),
                "deserialise_parses_seconds": round(load_s, 2),
                "verdicts": verdicts,
            }
        )
    result: dict[str, Any] = {
        "store": path,
        "recruiting_in_store": len(recruiting),
        "trials": len(trials),
        "distinct_criteria_texts": len(parsed_by_text),
        "read_json_seconds": round(read_s, 2),
        "parse_seconds_once": round(parse_s, 2),
        "patients": rows,
        "peak_rss_mb": round(_peak_rss_mb()),
    }
    if profile:
        facts = PatientFacts.of(people[-1][1])
        sample = trials[:2000]
        result["profile_trials"] = len(sample)
        result["profile_top_tottime"], result["profile_top_cumtime"] = _profile(
            lambda: _judge_all(sample, facts)
        )
    return result


# -- (d) the fast path ----------------------------------------------------------------------


def _timed(fn: Any) -> tuple[Any, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - started, time.process_time() - cpu


def bench_bulk(db: str, scale: int) -> dict[str, Any]:
    store = open_store(db)
    ids = store.nct_ids()
    (views, read_s, _) = _timed(lambda: {n: match_run._trial_view(store, n) for n in ids})
    people = patients()
    out: dict[str, Any] = {"trials": len(ids), "views_seconds": round(read_s, 2), "rows": []}

    def run(label: str, patient: Any, trials: dict[str, Any], fast_only: bool) -> None:
        facts = PatientFacts.of(patient)
        bulk = BulkJudge(facts)
        fast, wall, cpu = _timed(
            lambda: {
                n: bulk.judge(v.compiled, v.eligibility, v.parsed, own=v.concepts,
                              screened=v.screened)[0]
                for n, v in trials.items()
            }
        )  # fmt: skip
        row = {"patient": label, "trials": len(trials), "fast_s": round(wall, 2),
               "fast_cpu_s": round(cpu, 2),
               "fast_us_per_trial": round(1e6 * cpu / len(trials))}  # fmt: skip
        if not fast_only:
            full, wall, cpu = _timed(
                lambda: {
                    n: judge_trial(n, v.eligibility, v.parsed, facts, own=v.concepts,
                                   screened=v.screened)[0]
                    for n, v in trials.items()
                }
            )  # fmt: skip
            row |= {"full_s": round(wall, 2), "full_cpu_s": round(cpu, 2),
                    "same_verdicts": sum(full[n] is fast[n] for n in trials)}  # fmt: skip
        out["rows"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    # corpus: every patient twice (first: blank results filled; second: reused)
    for round_ in ("first", "again"):
        for label, patient in people:
            run(f"{label} ({round_})", patient, views, fast_only=False)
    # 20k: the corpus views replicated with new ids, each replica compiled on its own
    replicas: dict[str, Any] = {}
    for n in range(scale):
        view = views[ids[n % len(ids)]]
        replicas[f"NCT9{n:07d}"] = match_run._TrialView(
            view.title, view.status, view.eligibility, view.parsed, view.concepts,
            view.screened, compile_trial(view.parsed),
        )  # fmt: skip
    for round_ in ("first", "again"):
        for label, patient in (people[0], people[-1]):
            run(f"{label} ({round_}, {scale:,} replicated)", patient, replicas, fast_only=True)
    del replicas
    # the public path: narrowed (search -> 100 candidates -> judge) and every trial
    label, patient = people[-1]
    match_run._VIEWS.clear()
    _, cold, _ = _timed(lambda: match_patient(store, patient, statuses=()))
    warm = []
    for _ in range(5):
        _, wall, _ = _timed(lambda: match_patient(store, patient, statuses=()))
        warm.append(wall)
    report, every, every_cpu = _timed(lambda: match_patient(store, patient, every=True))
    report_all, every_any, every_any_cpu = _timed(
        lambda: match_patient(store, patient, every=True, statuses=())
    )
    out["narrowed_ms"] = {"cold": round(cold * 1000), "warm_median": round(
        sorted(warm)[2] * 1000), "warm_min": round(min(warm) * 1000)}  # fmt: skip
    out["every_open"] = {"trials": report.candidates, "seconds": round(every, 2),
                         "cpu_seconds": round(every_cpu, 2)}  # fmt: skip
    out["every_any_status"] = {"trials": report_all.candidates, "seconds": round(every_any, 2),
                               "cpu_seconds": round(every_any_cpu, 2),
                               "verdicts": report_all.candidate_verdicts}  # fmt: skip
    out["peak_rss_mb"] = round(_peak_rss_mb())
    store.close()
    return out


# -- (e) the first patient after a process start -----------------------------------------------


def bench_views(db: str) -> dict[str, Any]:
    """Store every trial's match view (``refresh_views`` over all statuses), timed: what
    the import / sync / reparse spend on it (they do the open trials only)."""
    from trialscope.match.views import refresh_views

    store = open_store(db)
    done, wall, cpu = _timed(lambda: refresh_views(store, statuses=(), everything=True))
    size = store.conn.execute("SELECT count(*), sum(length(data)) FROM match_views").fetchone()
    store.close()
    return {"views": done, "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
            "ms_per_trial_cpu": round(1000 * cpu / max(done, 1), 2),
            "stored_mb": round(int(size[1] or 0) / 1e6, 1)}  # fmt: skip


def bench_cold(db: str, stored: bool) -> dict[str, Any]:
    """A fresh process: every trial of the store (any status) for a note patient, then a
    structured one, then the note again; with the stored views, or ignoring them (what a
    process did before they were stored: build every view and judge every blank)."""
    if not stored:
        match_run.load_views = lambda store, ids: {}  # type: ignore[assignment]
    people = patients()
    note, structured = people[0], people[-1]
    store = open_store(db)
    # the search engine opened (and caught up with the store) first: not what is measured
    engine = SearchEngine(store)
    engine.search(SearchQuery(cond="cancer", limit=10, with_facets=False))
    rows = []
    for label, patient in (note, structured, note):
        report, wall, cpu = _timed(
            lambda patient=patient: match_patient(
                store, patient, every=True, statuses=(), engine=engine
            )
        )
        rows.append({"patient": label, "trials": report.candidates, "seconds": round(wall, 2),
                     "cpu_seconds": round(cpu, 2)})  # fmt: skip
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    store.close()
    return {"stored_views": stored, "rows": rows, "peak_rss_mb": round(_peak_rss_mb())}


# -- main -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "date": time.strftime("%Y-%m-%d"),
        "nproc": len(__import__("os").sched_getaffinity(0)),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_avg": [round(x, 2) for x in __import__("os").getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default="/tmp/rank.db", help="corpus store (see match_rank_eval)")
    ap.add_argument("--scale-db", default="/tmp/scale500k.db", help="read-only, never written")
    ap.add_argument(
        "--only",
        choices=["pairs", "store", "scale", "bulk", "views", "cold", "cold-built"],
        action="append",
    )
    ap.add_argument("--trials", type=int, default=1000, help="(a) trials judged per patient")
    ap.add_argument("--scale-trials", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sections = args.only or ["pairs", "store", "scale"]
    if args.in_process:
        section = sections[0]
        if section == "pairs":
            out = bench_pairs(args.db, args.trials, args.seed)
        elif section == "store":
            out = bench_store(args.db)
        elif section == "bulk":
            out = bench_bulk(args.db, args.scale_trials)
        elif section == "views":
            out = bench_views(args.db)
        elif section in ("cold", "cold-built"):
            out = bench_cold(args.db, stored=section == "cold")
        else:
            out = bench_scale(args.scale_db, args.scale_trials, args.seed, not args.no_profile)
        print(json.dumps(out))
        return
    result: dict[str, Any] = {"machine": machine()}
    for section in sections:
        # each section in a fresh process: its own peak RSS, no warm caches from another
        command = [sys.executable, __file__, "--in-process", "--only", section]
        command += ["--db", args.db, "--scale-db", args.scale_db, "--seed", str(args.seed)]
        command += ["--trials", str(args.trials), "--scale-trials", str(args.scale_trials)]
        if args.no_profile:
            command.append("--no-profile")
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        result[section] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"== {section}\n{json.dumps(result[section], indent=1)}", flush=True)
    print(f"== machine {json.dumps(result['machine'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


def _eligibility(study: dict[str, Any]) -> dict[str, Any]:
    return dict(study.get("protocolSection", {}).get("eligibilityModule", {}) or {})


if __name__ == "__main__":
    main()
