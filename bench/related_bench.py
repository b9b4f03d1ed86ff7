"""Related trials: are they related, what do they cost to compute, and to read?

    python bench/related_bench.py [--db PATH] [--sample 200] [--seed 12] [--pages 50]

Over the shared corpus (imported into a temporary store unless --db names one), a fixed
sample of trials (seeded): the share of each one's 5 related trials that share a
*specific* disease concept with it (trialscope.search.related.is_specific: depth ≥ 2 in
the vocabulary's hierarchy and not a generic heading), for the method before this one
(shared condition/MeSH/intervention terms and title words by IDF, ties by NCT id:
``legacy_related`` below, as it was in search/engine.py) and for the stored lists; the
cost of computing every list at refresh; and the latency of the lookup and of a trial
page (1 server worker, first visits).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from web_bench import FOLDERS, serve

from trialscope.criteria.vocabulary import terminology
from trialscope.search import SearchEngine
from trialscope.search import related as related_stage
from trialscope.search.plan import WORDS
from trialscope.store import SQLiteStore

K = 5


def title_words(title: str) -> list[str]:
    return [w for w in WORDS.findall(title) if len(w) > 3][:12]


def legacy_related(db: sqlite3.Connection, nct_id: str, k: int = K) -> list[str]:
    """The related trials as computed on each visit before the stored lists (SQLite)."""
    own = db.execute("SELECT kind, term FROM search_terms WHERE nct_id = ?", (nct_id,)).fetchall()
    total = max(1, int(db.execute("SELECT count(*) FROM search_docs").fetchone()[0]))
    kind_weight = {"condition": 1.0, "mesh": 1.0, "intervention": 0.6, "intervention_mesh": 0.6}
    scores: dict[str, float] = {}
    for kind, term in own:
        others = [
            r[0]
            for r in db.execute(
                "SELECT DISTINCT nct_id FROM search_terms WHERE kind = ? AND term = ?"
                " AND nct_id != ? LIMIT 5000",
                (kind, term, nct_id),
            )
        ]
        if others:
            weight = kind_weight.get(kind, 0.5) * math.log(1 + total / len(others))
            for other in others:
                scores[other] = scores.get(other, 0.0) + weight
    title = db.execute(
        "SELECT f.title FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid"
        " WHERE d.nct_id = ?",
        (nct_id,),
    ).fetchone()
    words = title_words(title[0] if title else "")
    if words:
        expression = "{title official_title} : (" + " OR ".join(f'"{w}"' for w in words) + ")"
        for other, rank in db.execute(
            "SELECT d.nct_id, bm25(search_fts) FROM search_fts"
            " JOIN search_docs d ON d.rowid = search_fts.rowid"
            " WHERE search_fts MATCH ? AND d.nct_id != ? ORDER BY 2 LIMIT 50",
            (expression, nct_id),
        ):
            scores[other] = scores.get(other, 0.0) + min(3.0, -float(rank) / 4)
    return sorted(scores, key=lambda n: (-scores[n], n))[:k]


def concept_closures(db: sqlite3.Connection, kinds: tuple[str, ...]) -> dict[str, set[str]]:
    """Each trial's specific concepts (and, with ANCESTOR, their specific ancestors)."""
    found: dict[str, set[str]] = {}
    marks = ",".join("?" * len(kinds))
    for nct, concept in db.execute(
        f"SELECT nct_id, feature FROM related_features WHERE kind IN ({marks})", kinds
    ):
        found.setdefault(nct, set()).add(concept)
    return found


def share(lists: dict[str, list[str]], closures: dict[str, set[str]]) -> tuple[float, int]:
    """Share of related trials sharing a specific concept, over trials that have one."""
    shared = listed = 0
    for nct, others in lists.items():
        mine = closures.get(nct, set())
        if not mine:
            continue
        listed += len(others)
        shared += sum(1 for o in others if mine & closures.get(o, set()))
    return (shared / listed if listed else 0.0), listed


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
    }


def page_latency(db: str, ids: list[str]) -> dict[str, float]:
    proc, root = serve(db, 1)
    try:
        times = []
        with httpx.Client(timeout=60) as client:
            for nct in ids:
                started = time.perf_counter()
                assert client.get(f"{root}/trials/{nct}").status_code == 200, nct
                times.append(time.perf_counter() - started)
        return ms(times)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="an imported corpus store (default: import one)")
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--pages", type=int, default=50, help="trial pages to time")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="related-bench-")
    db = args.db or os.path.join(folder, "corpus.db")
    if not args.db:
        subprocess.run(
            [sys.executable, "-m", "trialscope", "--db", db, "import", "--quiet", "--json",
             *map(str, FOLDERS)],
            check=True, capture_output=True,
        )  # fmt: skip
    store = SQLiteStore(db)
    conn = store.conn
    assert isinstance(conn, sqlite3.Connection)
    # every list again, timed: what a full refresh of the corpus costs
    conn.execute(
        "INSERT INTO related_dirty (nct_id, features_done, spread) SELECT nct_id, 0, 0"
        " FROM search_docs WHERE true ON CONFLICT (nct_id) DO UPDATE SET features_done = 0"
    )
    conn.commit()
    terminology()  # loaded once per process anyway; not part of the stage's cost
    started = time.perf_counter()
    lists_stored = related_stage.refresh(store)
    refresh_seconds = time.perf_counter() - started

    ids = sorted(r[0] for r in conn.execute("SELECT nct_id FROM search_docs"))
    sample = random.Random(args.seed).sample(ids, min(args.sample, len(ids)))
    closures = concept_closures(conn, (related_stage.OWN, related_stage.ANCESTOR))
    own = concept_closures(conn, (related_stage.OWN,))
    engine = SearchEngine(store)
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    before_times, after_times = [], []
    for nct in sample:
        t0 = time.perf_counter()
        before[nct] = legacy_related(conn, nct)
        t1 = time.perf_counter()
        after[nct] = [h.nct_id for h in engine.related(nct, k=K)]
        t2 = time.perf_counter()
        before_times.append(t1 - t0)
        after_times.append(t2 - t1)
    share_before, n_before = share(before, closures)
    share_after, n_after = share(after, closures)
    with_concepts = sum(1 for n in sample if closures.get(n))
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "corpus_trials": len(ids),
        "sample": len(sample),
        "seed": args.seed,
        "sample_with_specific_concept": with_concepts,
        "share_before": round(share_before, 3),
        "related_judged_before": n_before,
        "share_after": round(share_after, 3),
        "related_judged_after": n_after,
        # stricter: the same specific concept named by both (not only a shared ancestor)
        "share_same_concept_before": round(share(before, own)[0], 3),
        "share_same_concept_after": round(share(after, own)[0], 3),
        "refresh_seconds": round(refresh_seconds, 1),
        "lists_stored": lists_stored,
        "lookup_before": ms(before_times),
        "lookup_after": ms(after_times),
        "trial_page_after": page_latency(db, sample[: args.pages]),
    }
    store.close()
    print(json.dumps(result, indent=2))
    if not args.db:
        for name in os.listdir(folder):
            Path(folder, name).unlink()
        os.rmdir(folder)


if __name__ == "__main__":
    main()
