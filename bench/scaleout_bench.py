"""Scale-out: concurrent searches and detail pages against 1 and 2 `trialscope serve`
workers on loopback, on SQLite and on PostgreSQL.

    python bench/scaleout_bench.py [--sqlite PATH] [--pg URL] [--seconds 10] [--connections 32]
                                   [--timeout 2]

Without --sqlite / --pg the shared corpus is imported into a temporary SQLite file and
into a database on a PostgreSQL server started here (initdb into a temporary folder,
durable settings: fsync on). Both backends get the same 200 random trials and the same
search mix (text, fields, statuses, places with radii), driven by wrk as in
bench/web_bench.py. Prints requests/s and latency percentiles per backend, worker count
and kind of request.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from web_bench import FOLDERS, ROOT, serve, wrk

sys.path.insert(0, str(ROOT))
from tests import pg_server

from trialscope.store import open_store

SEARCHES = [
    "query.cond=asthma&filter.overallStatus=RECRUITING",
    "query.term=breast%20cancer",
    "query.cond=leukemia",
    "query.cond=diabetes&filter.geo=distance(40.71,-74.01,50mi)",
    "query.term=migraine",
    "query.intr=pembrolizumab",
    "filter.geo=distance(31.23,121.47,100km)",
    "query.cond=lung%20cancer&filter.overallStatus=RECRUITING|NOT_YET_RECRUITING",
    "query.titles=vaccine",
    "query.spons=Pfizer",
    "query.cond=heart%20failure&query.term=AREA[Phase]PHASE3",
    "query.term=colorectal%20liver%20metastases",
]


def import_corpus(db: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "trialscope", "--db", db, "import", "--quiet", "--json",
         *map(str, FOLDERS)],
        check=True, capture_output=True,
    )  # fmt: skip


def run(name: str, db: str, ids: list[str], args: argparse.Namespace) -> None:
    kinds = {
        "search API": [f"/api/v2/studies?{q}" for q in SEARCHES],
        "trial page": [f"/trials/{n}" for n in ids],
    }
    for workers in (1, 2):
        proc, root = serve(db, workers)
        try:
            for path in kinds["search API"][:3] + kinds["trial page"][:3]:
                status = httpx.get(root + path, timeout=60).status_code
                assert status == 200, (name, path, status)
            for kind, paths in kinds.items():
                wrk(root, paths, 2, args.connections, args.timeout)  # warm-up
                figures = wrk(root, paths, args.seconds, args.connections, args.timeout)
                print(f"{name:<10} {workers} worker(s)  {kind:<10} {figures}", flush=True)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # requests still running past wrk's end
                proc.kill()
                proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", help="an SQLite store to use (default: import the corpus)")
    parser.add_argument("--pg", help="a postgresql:// store to use (default: import the corpus)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--timeout", type=int, default=2, help="wrk: slower responses are errors")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    print(f"# {time.strftime('%Y-%m-%d')} · {platform.node()} · {os.cpu_count()} cores")
    server: pg_server.PgServer | None = None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            sqlite_db = args.sqlite or str(Path(tmp) / "scaleout.db")
            if args.sqlite is None:
                import_corpus(sqlite_db)
            pg_db = args.pg
            if pg_db is None:
                started = pg_server.start(durable=True)
                if isinstance(started, str):
                    raise SystemExit(started)
                server = started
                pg_db = server.new_database()
                began = time.perf_counter()
                import_corpus(pg_db)
                print(f"# corpus imported into PostgreSQL in {time.perf_counter() - began:.0f} s")
            with open_store(sqlite_db) as store:
                ids = [
                    str(r[0])
                    for r in store.conn.execute(
                        "SELECT nct_id FROM studies ORDER BY random() LIMIT 200"
                    )
                ]
            with open_store(pg_db) as store:
                version = store.conn.execute("SHOW server_version").fetchone()[0]
                count = store.count_studies()
            print(f"# PostgreSQL {version}, {count:,} studies")
            run("SQLite", sqlite_db, ids, args)
            run("PostgreSQL", pg_db, ids, args)
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
