"""Sync benchmark: the HTTP path against importing the same records from a file, and an
incremental sync of changed studies into a large store.

    python bench/sync_bench.py [--page-size 1000]
    python bench/sync_bench.py --db STORE --work COPY [--changed 2000] [--keep]

Without --db: starts the local CT.gov server (tests/ctgov_server) on 127.0.0.1 with the
shared corpus's v2 records, runs `trialscope sync --all --rate 0` as a child process
(politeness off, so the figure is the cost of the HTTP path itself), then imports
the same records from one JSONL file with `trialscope import`. Both print
records/s and the child's peak RSS.

With --db (issue 13: 2,000 changed studies at 500k up to date in <= 30 s): copies STORE
(and its tantivy folder) to COPY, never writing STORE; takes --changed random studies
of the copy and changes them as CT.gov's daily updates do (every one a new last-update
date; by tens: half a status change, three a new site and enrollment, one a new
condition and title, and one in five an eligibility line); serves them from the local
CT.gov server and runs `trialscope sync --all --rate 0` on the copy. Prints the wall
time, CPU seconds and peak RSS of the sync, each stage's seconds (the sync's own
``stage_seconds``), and checks that everything is up to date afterwards: no study
waiting for the index, the related trials, a criteria parse or a match view, and the
tantivy index at the store's generation. COPY is deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ctgov_server.fixture import running_server  # noqa: E402


def run(command: list[str], env: dict[str, str]) -> tuple[dict[str, object], float, float]:
    output, elapsed, _, rss = run_timed(command, env)
    return output, elapsed, rss


def run_timed(
    command: list[str], env: dict[str, str]
) -> tuple[dict[str, Any], float, float, float]:
    """The child's JSON output, wall seconds, CPU seconds (its own and its reaped
    workers') and peak RSS in MB."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{command[3:6]} failed with status {status}")
    cpu = usage.ru_utime + usage.ru_stime
    return json.loads(output), elapsed, cpu, usage.ru_maxrss / 1024


def dump_served(base_url: str, target: Path) -> int:
    """Every study the server serves, one per line, exactly as served."""
    count, token = 0, None
    with open(target, "wb") as out:
        while True:
            params = {"pageSize": "1000", **({"pageToken": token} if token else {})}
            page = httpx.get(f"{base_url}/studies", params=params, timeout=60).json()
            for study in page["studies"]:
                out.write(json.dumps(study).encode() + b"\n")
                count += 1
            token = page.get("nextPageToken")
            if not token:
                return count


# ---- incremental sync into a large store -----------------------------------------------


def copy_store(source: Path, work: Path) -> None:
    """``source``, its tantivy folder and related corpus file copied to ``work`` (SQLite's
    backup: consistent even if something reads the source meanwhile; the source is only
    read)."""
    if work.exists() or Path(f"{work}.tantivy").exists():
        raise SystemExit(f"{work} (or its .tantivy folder) exists: remove it or pick another")
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(work)) as dst,
    ):
        src.backup(dst, pages=65536)
    if Path(f"{source}.tantivy").is_dir():
        shutil.copytree(f"{source}.tantivy", f"{work}.tantivy")
    if Path(f"{source}.related").is_file():  # the related corpus kept beside the store
        shutil.copyfile(f"{source}.related", f"{work}.related")


def remove_store(work: Path) -> None:
    for path in (work, Path(f"{work}-wal"), Path(f"{work}-shm"), Path(f"{work}.related")):
        path.unlink(missing_ok=True)
    shutil.rmtree(f"{work}.tantivy", ignore_errors=True)


_STATUSES = ["RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED", "NOT_YET_RECRUITING"]


def changed_study(study: dict[str, Any], n: int, today: str) -> dict[str, Any]:
    """``study`` as CT.gov would serve it after an update (see the module docstring)."""
    section = study.setdefault("protocolSection", {})
    status = section.setdefault("statusModule", {})
    status["lastUpdatePostDateStruct"] = {"date": today, "type": "ACTUAL"}
    status["lastUpdateSubmitDate"] = today
    status["statusVerifiedDate"] = today[:7]
    kind = n % 10
    if kind < 5:
        now = status.get("overallStatus")
        status["overallStatus"] = next(s for s in _STATUSES[n % 4 :] + _STATUSES if s != now)
    elif kind < 8:
        design = section.setdefault("designModule", {})
        count = (design.get("enrollmentInfo") or {}).get("count") or 0
        design["enrollmentInfo"] = {"count": int(count) + 10, "type": "ESTIMATED"}
        places = section.setdefault("contactsLocationsModule", {})
        places.setdefault("locations", []).append(
            {
                "facility": f"Bench Hospital {n}",
                "status": "RECRUITING",
                "city": "Lyon",
                "country": "France",
                "geoPoint": {"lat": 45.75, "lon": 4.85},
            }
        )
    else:
        conditions = section.setdefault("conditionsModule", {})
        conditions["conditions"] = [*(conditions.get("conditions") or []), "Hypertension"]
        ident = section.setdefault("identificationModule", {})
        ident["briefTitle"] = f"{ident.get('briefTitle') or 'A study'} in Hypertension"
    if n % 5 == 0:
        eligibility = section.setdefault("eligibilityModule", {})
        text = eligibility.get("eligibilityCriteria") or "Inclusion Criteria:\n\n* Adults"
        eligibility["eligibilityCriteria"] = (
            f"{text}\n\nExclusion Criteria:\n\n* Platelets < 50 x 10^9/L (update {n})"
        )
    return study


def up_to_date(work: Path) -> dict[str, int]:
    """What is still waiting after the sync (all zero when everything is up to date)."""
    from trialscope.criteria.store import parse_counts
    from trialscope.match.views import pending_views
    from trialscope.search.tantivy_index import top_index
    from trialscope.store import open_store

    with open_store(str(work)) as store:

        def count(sql: str) -> int:
            return int(store.conn.execute(sql).fetchone()[0])

        parses = parse_counts(store)
        top = top_index(store)
        generation = count("SELECT generation FROM search_state")
        behind = 0
        if top is not None:
            state = json.loads((Path(top.folder) / "state.json").read_text())
            behind = generation - int(state["watermark"])
        return {
            "index": count("SELECT count(*) FROM search_dirty"),
            "related": count("SELECT count(*) FROM related_dirty"),
            "parses": parses["stale"] + parses["unparsed"],
            "match_views": pending_views(store),
            "tantivy_generations_behind": behind,
        }


def sync_scale(source: Path, work: Path, changed: int, keep: bool) -> None:
    from trialscope.store import open_store

    load = os.getloadavg()[0]
    started = time.perf_counter()
    if work != source:
        copy_store(source, work)
        print(f"# copied {source} to {work} in {time.perf_counter() - started:.0f} s")
    try:
        with open_store(str(work)) as store:
            ids = [str(r[0]) for r in store.conn.execute("SELECT nct_id FROM studies")]
            chosen = random.Random(13).sample(ids, min(changed, len(ids)))
            today = datetime.now(UTC).date().isoformat()
            with tempfile.TemporaryDirectory() as tmp:
                served = Path(tmp) / "changed.jsonl.gz"
                with gzip.open(served, "wb") as out:
                    for n, nct in enumerate(chosen):
                        study = changed_study(store.study_json(nct), n, today)
                        out.write(json.dumps(study).encode() + b"\n")
                print(f"# {len(ids):,} studies in the store, {len(chosen):,} changed")
                with running_server(records=[served], history=None) as server:
                    env = {
                        **os.environ,
                        "TRIALSCOPE_CTGOV_URL": server.base_url,
                        "TRIALSCOPE_SYNC_RATE": "0",
                    }
                    load = os.getloadavg()[0]
                    command = [sys.executable, "-m", "trialscope", "--db", str(work)]
                    summary, wall, cpu, rss = run_timed(
                        [*command, "sync", "--all", "--json", "--quiet"], env
                    )
        after = os.getloadavg()[0]
        stages = summary.get("stage_seconds") or {}
        print(
            f"sync of {len(chosen):,} changed studies: {wall:.1f} s wall, {cpu:.1f} s CPU,"
            f" peak RSS {rss:.0f} MB (load {load:.1f} before, {after:.1f} after)"
        )
        print(
            f"  {summary['records']:,} records ({summary['changed']:,} changed,"
            f" {summary['new']:,} new, {summary['unchanged']:,} unchanged),"
            f" {summary['pages']} pages, indexed {summary.get('indexed')}"
        )
        stage_line = "  ".join(
            f"{k} {v:,.0f}" if k.endswith("_stored") else f"{k} {v:.1f} s"
            for k, v in stages.items()
        )
        print(f"  fetch+store {summary['elapsed_seconds']:.1f} s  {stage_line}")
        waiting = up_to_date(work)
        verdict = "everything up to date" if not any(waiting.values()) else "NOT up to date"
        print(f"  after: {verdict} {waiting}")
    finally:
        if not keep:
            remove_store(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--db", type=Path, help="a large store to copy (never written)")
    parser.add_argument("--work", type=Path, help="where the copy goes (deleted after)")
    parser.add_argument("--changed", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the copy")
    parser.add_argument(
        "--in-place", action="store_true", help="--db is already a copy: sync into it, keep it"
    )
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {platform.node()}"
          f" · {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f}")  # fmt: skip
    if args.db is not None:
        if args.work is None and not args.in_place:
            raise SystemExit("--db needs --work PATH: the copy the sync writes to")
        work = args.db if args.in_place else args.work
        sync_scale(args.db, work, args.changed, args.keep or args.in_place)
        return
    with tempfile.TemporaryDirectory() as tmp, running_server() as server:
        folder = Path(tmp)
        env = {**os.environ, "TRIALSCOPE_CTGOV_URL": server.base_url, "TRIALSCOPE_SYNC_RATE": "0"}
        cli = [sys.executable, "-m", "trialscope"]
        synced, sync_s, sync_rss = run(
            [
                *cli,
                "--db",
                str(folder / "sync.db"),
                "sync",
                "--all",
                "--json",
                "--quiet",
                "--page-size",
                str(args.page_size),
            ],
            env,
        )
        served = dump_served(server.base_url, folder / "served.jsonl")
        imported, import_s, import_rss = run(
            [
                *cli,
                "--db",
                str(folder / "import.db"),
                "import",
                "--json",
                "--quiet",
                str(folder / "served.jsonl"),
            ],
            env,
        )
    records = int(str(synced["records"]))
    print(
        f"sync   {records:>6,} records in {synced['pages']} pages  {sync_s:6.1f} s"
        f"  {records / sync_s:7,.0f} rec/s  peak RSS {sync_rss:5.0f} MB"
    )
    count = int(str(imported["records"]))
    print(
        f"import {count:>6,} records (same {served} studies)  {import_s:6.1f} s"
        f"  {count / import_s:7,.0f} rec/s  peak RSS {import_rss:5.0f} MB"
    )
    print(f"# HTTP path cost: {sync_s / import_s:.2f}x the file import's time")


if __name__ == "__main__":
    main()
