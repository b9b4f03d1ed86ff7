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

``--base STORE`` measures only the stages after the criteria, before/after pairs without
storing again: STORE (stored and parsed, e.g. by an earlier run with ``--db``) is copied
to ``--db``, its match views, search index, change log, related trials and tantivy
folder are emptied, and those stages run. ``--until index`` stops after the
index stage (that stage alone, back to back). ``--digest`` prints a digest of what each wrote
(match views, index rows, change log, related trials), so two code trees' output can be
compared byte for byte. The library in use is whatever ``trialscope`` imports (an
exported older tree on PYTHONPATH measures that tree; what it lacks is skipped).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import inspect
import os
import platform
import pstats
import resource
import shutil
import sqlite3
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
from trialscope.criteria.vocabulary import terminology
from trialscope.derived import refresh_derived, refresh_marked_views
from trialscope.search import index as search_index
from trialscope.search import related
from trialscope.search.tantivy_index import top_index
from trialscope.service import index as service_index
from trialscope.store import SQLiteStore
from trialscope.store.codec import decompress


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


def main_cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def measure(
    name: str, run: Callable[[], Any], profile: str | None, rows: list[dict[str, Any]]
) -> Any:
    cpu, wall, mine = cpu_seconds(), time.perf_counter(), main_cpu_seconds()
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
        "main_cpu": main_cpu_seconds() - mine,
        "main_rss_mb": sampler.main_rss / 2**20,
        "worker_rss_mb": sampler.worker_rss / 2**20,
        "pss_mb": sampler.pss / 2**20,
        "result": result,
    }
    rows.append(row)
    print(
        f"{name:<10} {row['wall']:7.1f} s wall {row['cpu']:7.1f} s CPU"
        f" (main {row['main_cpu']:.1f})"
        f"  main RSS {row['main_rss_mb']:6.0f} MB  worker RSS {row['worker_rss_mb']:5.0f} MB"
        f"  PSS {row['pss_mb']:6.0f} MB  ({result})",
        flush=True,
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return result


def _accepted(function: Callable[..., Any], options: dict[str, Any]) -> dict[str, Any]:
    """The options ``function`` takes (an older tree's may not take ``workers``)."""
    known = inspect.signature(function).parameters
    return {k: v for k, v in options.items() if k in known}


DERIVED = (
    "match_views",
    "search_fts",
    "search_cards",
    "search_places",
    "search_sites",
    "search_terms",
    "search_docs",
    "search_log",
    "search_dirty",
    "related_trials",
    "related_lists",
    "related_features",
    "related_dirty",
    "related_log",
)


def reset_copy(base: Path, db: Path) -> None:
    """``base`` copied to ``db`` with the stages after the criteria undone."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(f"{db}.tantivy", ignore_errors=True)
    Path(f"{db}.related").unlink(missing_ok=True)
    source, target = sqlite3.connect(base), sqlite3.connect(db)
    with contextlib.closing(source), contextlib.closing(target):
        source.backup(target)
    with contextlib.closing(sqlite3.connect(db)) as copy, copy:
        for table in DERIVED:
            copy.execute(f"DELETE FROM {table}")
        copy.execute("INSERT INTO search_dirty (nct_id) SELECT nct_id FROM studies")
        copy.execute("UPDATE search_state SET generation = 0")
        copy.execute("UPDATE related_state SET generation = 0")
        # every open trial's view is made again, found from the marks as import finds it
        copy.execute(
            "INSERT OR REPLACE INTO derive_dirty (nct_id, version_id)"
            " SELECT nct_id, current_version_id FROM studies"
        )


def digests(store: SQLiteStore) -> dict[str, str]:
    """A digest of each stage's output, independent of row ids and generations."""
    queries = {
        "views": "SELECT v.nct_id, v.version_id, v.data FROM match_views v",
        "index docs": "SELECT * FROM search_docs",
        "index text": "SELECT d.nct_id, f.* FROM search_fts f JOIN search_docs d"
        " ON d.rowid = f.rowid",
        "index cards": "SELECT d.nct_id, c.card FROM search_cards c JOIN search_docs d"
        " ON d.rowid = c.rowid",
        "index places": "SELECT d.nct_id, p.kind, p.value FROM search_places p"
        " JOIN search_docs d ON d.rowid = p.doc",
        "index sites": "SELECT * FROM search_sites",
        "index terms": "SELECT * FROM search_terms",
        "change log": "SELECT nct_id, doc FROM search_log",
        "related": "SELECT * FROM related_trials",
        "related feat": "SELECT * FROM related_features",
    }
    out = {}
    for name, sql in queries.items():
        rows = []
        for row in store.conn.execute(sql):
            values = [decompress(v) if isinstance(v, bytes) else v for v in row]
            if name == "index docs":
                values = values[1:]  # the rowid
            rows.append(repr(values))
        out[name] = f"{hashlib.sha256(chr(10).join(sorted(rows)).encode()).hexdigest()[:16]}"
        out[name] += f" ({len(rows):,} rows)"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--db", type=Path, help="store to use (default: a temporary file)")
    parser.add_argument("--profile", help="stage to run under cProfile")
    parser.add_argument("--base", type=Path, help="stored and parsed store to start from")
    parser.add_argument("--digest", action="store_true", help="print digests of the output")
    parser.add_argument("--until", help="with --base: stop after this stage (e.g. index)")
    args = parser.parse_args()
    if args.base is not None:
        if args.db is None:
            parser.error("--base needs --db (where the copy goes)")
        reset_copy(args.base, args.db)
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
            # the importer's closing refresh (criteria parses, then the open trials' match
            # views) is measured as its own stages
            derive = importer.refresh_derived
            importer.refresh_derived = lambda *a, **k: None  # type: ignore[assignment]
            try:
                summary = importer.import_paths(store, paths, workers=args.workers)
            finally:
                importer.refresh_derived = derive  # type: ignore[assignment]
            return summary.records_read

        if args.base is None:
            measure("storing", storing, args.profile, rows)
            measure(
                "criteria",
                lambda: refresh_derived(store, workers=args.workers, views=False).parsed,
                args.profile,
                rows,
            )
        pooled = {"workers": args.workers}
        measure(
            "views",
            lambda: refresh_marked_views(store, workers=args.workers)[0],
            args.profile,
            rows,
        )
        index = search_index.refresh
        measure("index", lambda: index(store, **_accepted(index, pooled)), args.profile, rows)
        if args.until != "index":  # --until index: that stage alone (before/after pairs)
            top = top_index(store)
            beside = getattr(service_index, "_replay_beside", None)
            # as `trialscope import` runs them: the tantivy replay beside the related trials
            both = top is not None and beside is not None and args.workers > 1

            def related_stage() -> int:
                with beside(store) if both and beside else contextlib.nullcontext():
                    return related.refresh(store, workers=args.workers)

            measure("related" + (" + top-k" if both else ""), related_stage, args.profile, rows)
            if top is not None:  # the tantivy index beside the store replays the change log
                measure("top-k", lambda: top.catch_up(store), args.profile, rows)
        if args.digest:
            for part, value in digests(store).items():
                print(f"# digest {part:<14} {value}")
        total = time.perf_counter() - started
        records = rows[0]["result"] if args.base is None else store.count_studies()
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
