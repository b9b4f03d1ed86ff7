"""Search benchmark: 50 representative queries with filters, p50/p95 latency and RSS.

    python bench/search_bench.py [--scale 500000] [--db PATH] [--corpus PATH] [--ranking FILE]
    python bench/search_bench.py --pg postgresql://... [--engines tantivy]

First over the shared corpus, then (with --scale) over a scale-up store of real
records with rewritten NCT ids (bench/import_bench.py's generator), imported and
indexed with the real CLI. Both search engines answer (``sql``: FTS5; ``tantivy``: the
index beside the store), with totals and every facet. The tantivy index is first read into
memory as ``serve`` does at start (``TantivyIndex.preload``). Each query's first run is
timed on its own (nothing cached for it; wall and CPU time), then 5 more runs (median per
query); both are reported as p50/p95 over the 50 queries, and for tantivy also the repeats with its
totals cache emptied. Then whether the two engines' totals and facets agree.

``--pg URL`` measures a PostgreSQL store instead (its tantivy index in
TRIALSCOPE_INDEX_DIR, as on each host of a deployment).

``--ranking FILE`` guards refactors of the engine: the top 10 of every query (ids and
scores) and the related trials of a few studies over the shared corpus are written to FILE
the first time, and compared with it on later runs (exit 1 if anything moved).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from import_bench import CTGOV, RECORD_FOLDERS, build_scale_up  # noqa: E402

from trialscope.config import SearchSettings, search_settings  # noqa: E402
from trialscope.search import (  # noqa: E402
    GeoFilter,
    SearchEngine,
    SearchQuery,
    SearchResult,
    SortOrder,
    locate_place,
)
from trialscope.search.engine import clear_caches  # noqa: E402
from trialscope.store import SQLiteStore, open_store  # noqa: E402

#: the search engines measured side by side (trialscope.config.SearchSettings)
ENGINES = ("sql", "tantivy")


def queries() -> list[SearchQuery]:
    """50 queries of the kinds patients, coordinators and agents send."""
    places = {
        name: locate_place(name) for name in ("Shanghai", "Boston", "Mumbai", "Paris", "Houston")
    }

    def near(name: str, km: float) -> GeoFilter:
        p = places[name]
        return GeoFilter(p.lat, p.lon, km, p.label)

    recruiting = ("RECRUITING",)
    found = [
        SearchQuery(text="liver metastases", statuses=recruiting),
        SearchQuery(
            text="liver metastases",
            statuses=recruiting,
            phases=("PHASE3",),
            geo=near("Shanghai", 100),
            age_years=62,
            sex="FEMALE",
        ),
        SearchQuery(cond="colorectal cancer", statuses=recruiting),
        SearchQuery(cond="breast cancer", phases=("PHASE3",)),
        SearchQuery(cond="breast cancer", geo=near("Boston", 50), site_statuses=recruiting),
        SearchQuery(cond="non-small cell lung cancer", intr="pembrolizumab"),
        SearchQuery(cond="asthma", age_years=10),
        SearchQuery(cond="type 2 diabetes", statuses=recruiting, age_years=55),
        SearchQuery(cond="migraine", healthy_volunteers=False),
        SearchQuery(cond="leukemia", phases=("PHASE1", "PHASE2")),
        SearchQuery(text="CAR-T", statuses=recruiting),
        SearchQuery(intr="nivolumab", has_results=True),
        SearchQuery(text="covid-19 vaccine"),
        SearchQuery(text="hypertension", country="India"),
        SearchQuery(text="lumbar disc herniation"),
        SearchQuery(text="ctDNA adjuvant", sort=SortOrder.LAST_UPDATE),
        SearchQuery(text="sentinel lymph node biopsy"),
        SearchQuery(cond="prostate cancer", age_years=70, sex="MALE"),
        SearchQuery(cond="depression", intervention_types=("BEHAVIORAL",)),
        SearchQuery(cond="cluster headache"),
        SearchQuery(
            text="hepatocellular carcinoma", geo=near("Shanghai", 300), sort=SortOrder.DISTANCE
        ),
        SearchQuery(text="pancreatic cancer", statuses=("RECRUITING", "NOT_YET_RECRUITING")),
        SearchQuery(text="glioblastoma"),
        SearchQuery(text="melanoma", phases=("PHASE2",)),
        SearchQuery(text="ovarian cancer", geo=near("Paris", 200)),
        SearchQuery(text="multiple myeloma", updated_from="2022-01-01"),
        SearchQuery(text="sickle cell disease", age_years=12),
        SearchQuery(text="heart failure", study_types=("INTERVENTIONAL",)),
        SearchQuery(text="stroke rehabilitation"),
        SearchQuery(text="obesity", geo=near("Houston", 80)),
        SearchQuery(text="knee arthroplasty"),
        SearchQuery(text="chronic kidney disease", statuses=recruiting),
        SearchQuery(text="HIV", country="United States"),
        SearchQuery(text="tuberculosis"),
        SearchQuery(text="Alzheimer disease", age_years=75),
        SearchQuery(text="rheumatoid arthritis", phases=("PHASE3",)),
        SearchQuery(titles="randomized"),
        SearchQuery(sponsor="National Cancer Institute"),
        SearchQuery(statuses=recruiting, geo=near("Mumbai", 50)),
        SearchQuery(statuses=recruiting, age_years=30, sex="FEMALE", limit=20),
        SearchQuery(text="immunotherapy", intervention_types=("DRUG",), statuses=recruiting),
        SearchQuery(text="radiotherapy", start_from="2020-01-01"),
        SearchQuery(text="palliative care"),
        SearchQuery(text="pain after surgery"),
        SearchQuery(text="smoking cessation"),
        SearchQuery(text="kidney transplant"),
        SearchQuery(text="EGFR mutation", cond="lung cancer"),
        SearchQuery(text="HER2 positive", phases=("PHASE2", "PHASE3")),
        SearchQuery(text="cancer"),
        SearchQuery(),
    ]
    assert len(found) == 50
    return found


def _p(values: list[float]) -> str:
    ordered = sorted(values)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {ordered[-1]:7.1f} ms"


def _settings(store_path: Path | str, engine: str) -> SearchSettings:
    if engine == "sql":
        return SearchSettings("sql")
    if "://" in str(store_path):  # PostgreSQL: the index in TRIALSCOPE_INDEX_DIR, per host
        return search_settings(str(store_path))
    return SearchSettings("tantivy", str(store_path) + ".tantivy")


def measure(store_path: Path | str, label: str, engines: tuple[str, ...] = ENGINES) -> None:
    """Each engine over the 50 queries (totals and every facet): each query's first run,
    then the median of 5 repeats (totals and facets from the engine's cache), and for
    tantivy also 5 repeats with that cache emptied first (everything computed)."""
    with open_store(str(store_path)) as store:
        studies = store.count_studies()
        answers: dict[str, list[SearchResult]] = {}
        for name in engines:
            engine = SearchEngine(store, settings=_settings(store_path, name))
            started = time.perf_counter()
            engine.refresh()
            mapped = 0
            if engine.top is not None:
                # as `serve` does at start: the index read into memory and kept there
                mapped = engine.top.preload(store)
            ready = time.perf_counter() - started
            cold: list[float] = []
            warm: list[float] = []
            uncached: list[float] = []
            answers[name] = []
            cold_cpu: list[float] = []
            for query in queries():
                cpu = time.process_time()
                took, answer = _timed(lambda q=query, e=engine: e.search(q))
                cold_cpu.append((time.process_time() - cpu) * 1000)
                cold.append(took)
                answers[name].append(answer)
                warm.append(
                    statistics.median(
                        _timed(lambda q=query, e=engine: e.search(q))[0] for _ in range(5)
                    )
                )
                if engine.top is not None:
                    runs = []
                    for _ in range(5):
                        engine._totals.clear()
                        clear_caches()
                        runs.append(_timed(lambda q=query, e=engine: e.search(q))[0])
                    uncached.append(statistics.median(runs))
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            kept = f", {mapped / 1e6:,.0f} MB of index preloaded" if mapped else ""
            print(f"{label} · {studies:,} studies · engine {name} (ready in {ready:.1f} s{kept})")
            print(f"  first runs      {_p(cold)}")
            print(f"  first runs, CPU {_p(cold_cpu)}  (the process's, every thread)")
            print(f"  repeated        {_p(warm)}  peak RSS {rss:5.0f} MB")
            if uncached:
                print(f"  repeated, no totals cache {_p(uncached)}")
            slowest = sorted(range(len(cold)), key=lambda i: -cold[i])[:6]
            print(
                "  slowest first runs: "
                + "; ".join(
                    f"#{i} ({answers[name][i].total:,}) {cold[i]:.1f} ms / {warm[i]:.1f} ms"
                    for i in slowest
                )
            )
            broad = {"cancer": -2, "everything": -1}
            print(
                "  broad: "
                + "; ".join(
                    f"{k} ({answers[name][i].total:,}) first {cold[i]:.1f} ms, repeated"
                    f" {warm[i]:.1f} ms" + (f", uncached {uncached[i]:.1f} ms" if uncached else "")
                    for k, i in broad.items()
                )
            )
        if len(answers) == 2:
            sql, top = answers["sql"], answers["tantivy"]
            totals = sum(a.total == b.total for a, b in zip(sql, top, strict=True))
            facets = sum(a.facets == b.facets for a, b in zip(sql, top, strict=True))
            apart = [
                f"{i}: {a.total:,} vs {b.total:,}"
                for i, (a, b) in enumerate(zip(sql, top, strict=True))
                if a.total != b.total
            ]
            print(
                f"  sql vs tantivy: totals equal on {totals} of 50, facets equal on {facets}"
                f" of 50{'; differ: ' + ', '.join(apart) if apart else ''}"
            )


def _timed(run: Callable[[], SearchResult]) -> tuple[float, SearchResult]:
    started = time.perf_counter()
    answer = run()
    return (time.perf_counter() - started) * 1000, answer


RELATED_OF = ("NCT04416854", "NCT04388332", "NCT05013879", "NCT00000620")


def ranking(store_path: Path) -> dict[str, list[list[object]]]:
    """Top 10 (id, score) of every benchmark query, and the related trials of a few."""
    found: dict[str, list[list[object]]] = {}
    with SQLiteStore(store_path) as store:
        engine = SearchEngine(store)
        for number, query in enumerate(queries()):
            hits = engine.search(replace(query, limit=10)).hits
            found[f"query {number}"] = [[h.nct_id, h.score] for h in hits]
        known = set(store.nct_ids())
        for nct_id in RELATED_OF:
            if nct_id in known:
                found[f"related {nct_id}"] = [[h.nct_id, h.score] for h in engine.related(nct_id)]
    return found


def check_ranking(store_path: Path, saved: Path) -> None:
    now = ranking(store_path)
    if not saved.exists():
        saved.write_text(json.dumps(now, indent=1))
        print(f"ranking of {len(now)} queries written to {saved}")
        return
    before = json.loads(saved.read_text())
    moved = [key for key in before if before[key] != now.get(key)]
    print(f"ranking: {len(before) - len(moved)} of {len(before)} top-10 lists unchanged")
    for key in moved:
        print(f"  {key}: {before[key]} -> {now.get(key)}")
    if moved:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=0, help="records in the scale-up store")
    parser.add_argument("--db", type=Path, help="reuse (or build and keep) the scale-up store here")
    parser.add_argument("--ranking", type=Path, help="write, or compare with, the top 10s here")
    parser.add_argument("--corpus", type=Path, help="an imported corpus store to reuse")
    parser.add_argument("--no-corpus", action="store_true", help="measure the scale-up only")
    parser.add_argument("--engines", default=",".join(ENGINES), help="e.g. tantivy")
    parser.add_argument(
        "--pg", help="measure this postgresql:// store only (tantivy in TRIALSCOPE_INDEX_DIR)"
    )
    args = parser.parse_args()
    if args.pg:
        load = os.getloadavg()
        print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · load {load[0]:.1f}")
        measure(args.pg, "PostgreSQL", tuple(args.engines.split(",")))
        return
    if not CTGOV.is_dir():
        raise SystemExit(f"shared corpus not found at {CTGOV}")
    load = os.getloadavg()
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {platform.node()} ·"
        f" {os.cpu_count()} cores · load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    cli = [sys.executable, "-m", "trialscope"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = args.corpus or folder / "corpus.db"
        if not corpus.exists() and (args.ranking or not args.no_corpus):
            subprocess.run(
                [
                    *cli,
                    "--db",
                    str(corpus),
                    "import",
                    "--quiet",
                    "--json",
                    *map(str, RECORD_FOLDERS),
                ],
                check=True,
                capture_output=True,
            )
        if args.ranking:
            check_ranking(corpus, args.ranking)
        if not args.no_corpus:
            measure(corpus, "shared corpus", tuple(args.engines.split(",")))
        if args.scale:
            target = args.db or folder / "scale.db"
            if not target.exists():
                source = folder / "scale.jsonl.gz"
                build_scale_up(source, args.scale)
                started = time.perf_counter()
                subprocess.run(
                    [*cli, "--db", str(target), "import", "--quiet", "--json", str(source)],
                    check=True,
                    capture_output=True,
                )
                took = time.perf_counter() - started
                print(f"# built the scale-up store (import + index) in {took:,.0f} s")
            measure(target, "scale-up", tuple(args.engines.split(",")))


if __name__ == "__main__":
    main()
