"""Import stage by stage: wall time, CPU time and memory of each stage of a full import.

    python bench/import_stages.py [--scale 60000] [--workers 2] [--db PATH] [--profile STAGE]

Runs the stages ``trialscope import`` runs, in this process (with its worker pools), on a
fresh store: storing, criteria, the open trials' match views, search index, related
trials, and the tantivy top-k index's catch-up when the store has one (the default beside
an SQLite file). For each: wall seconds, CPU seconds (this process and its reaped
workers), the peak RSS of this process and of the largest worker, and the peak summed PSS
of all of them, sampled every 0.2 s.
Without ``--scale`` the input is the shared corpus; with it, the scale-up of
``import_bench.py`` (real records cycled with fresh NCT ids). ``--profile STAGE`` runs that
stage under cProfile (in this process) and prints its top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from import_bench import RECORD_FOLDERS, build_scale_up

from trialscope import importer
from trialscope.criteria.store import parse_pending
from trialscope.criteria.vocabulary import terminology
from trialscope.search import index as search_index
from trialscope.search import related
from trialscope.search.tantivy_index import top_index
from trialscope.store import SQLiteStore


class Sampler:
    """Peak memory of this process and its children while a stage runs."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.main_rss = 0
        self.worker_rss = 0
        self.pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.2)

    def sample(self) -> None:
        try:
            procs = [self.me, *self.me.children(recursive=True)]
            total = 0
            for n, proc in enumerate(procs):
                try:
                    info = proc.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += info.pss
                if n == 0:
                    self.main_rss = max(self.main_rss, info.rss)
                else:
                    self.worker_rss = max(self.worker_rss, info.rss)
            self.pss = max(self.pss, total)
        except psutil.NoSuchProcess:
            pass

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(
    name: str, run: Callable[[], Any], profile: str | None, rows: list[dict[str, Any]]
) -> Any:
    cpu, wall = cpu_seconds(), time.perf_counter()
    profiler = cProfile.Profile() if profile == name else None
    with Sampler() as sampler:
        if profiler:
            profiler.enable()
        result = run()
        if profiler:
            profiler.disable()
    row = {
        "stage": name,
        "wall": time.perf_counter() - wall,
        "cpu": cpu_seconds() - cpu,
        "main_rss_mb": sampler.main_rss / 2**20,
        "worker_rss_mb": sampler.worker_rss / 2**20,
        "pss_mb": sampler.pss / 2**20,
        "result": result,
    }
    rows.append(row)
    print(
        f"{name:<10} {row['wall']:7.1f} s wall {row['cpu']:7.1f} s CPU"
        f"  main RSS {row['main_rss_mb']:6.0f} MB  worker RSS {row['worker_rss_mb']:5.0f} MB"
        f"  PSS {row['pss_mb']:6.0f} MB  ({result})",
        flush=True,
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--db", type=Path, help="store to use (default: a temporary file)")
    parser.add_argument("--profile", help="stage to run under cProfile")
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} · {platform.node()} · {os.cpu_count()} cores")
    print(f"# Python {platform.python_version()} · load {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths: list[Path] = RECORD_FOLDERS
        if args.scale:
            paths = [folder / "scale.jsonl.gz"]
            build_scale_up(paths[0], args.scale)
        store = SQLiteStore(args.db or folder / "stages.db")
        terminology()  # loaded once, as `trialscope import` does before its stages need it
        rows: list[dict[str, Any]] = []
        started = time.perf_counter()

        def storing() -> int:
            # the importer's closing sweeps (unparsed criteria, then the open trials' match
            # views) are measured as their own stages
            sweep, views = importer.parse_pending, importer.refresh_views
            importer.parse_pending = lambda *a, **k: 0  # type: ignore[assignment]
            importer.refresh_views = lambda *a, **k: 0  # type: ignore[assignment]
            try:
                summary = importer.import_paths(store, paths, workers=args.workers)
            finally:
                importer.parse_pending = sweep  # type: ignore[assignment]
                importer.refresh_views = views  # type: ignore[assignment]
            return summary.records_read

        measure("storing", storing, args.profile, rows)
        measure(
            "criteria",
            lambda: parse_pending(store, workers=args.workers),
            args.profile,
            rows,
        )
        measure("views", lambda: importer.refresh_views(store), args.profile, rows)
        measure("index", lambda: search_index.refresh(store), args.profile, rows)
        measure(
            "related",
            lambda: related.refresh(store, workers=args.workers),
            args.profile,
            rows,
        )
        top = top_index(store)
        if top is not None:  # the tantivy index beside the store replays the change log
            measure("top-k", lambda: top.catch_up(store), args.profile, rows)
        total = time.perf_counter() - started
        records = rows[0]["result"]
        print(
            f"total      {total:7.1f} s wall {sum(r['cpu'] for r in rows):7.1f} s CPU"
            f"  {records / total:,.0f} records/s end to end"
            f"  · peak PSS {max(r['pss_mb'] for r in rows):,.0f} MB"
            f" · load {os.getloadavg()}"
        )
        store.close()
        if args.db is None:
            size = (folder / "stages.db").stat().st_size / 1e6
            print(f"# database {size:,.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
