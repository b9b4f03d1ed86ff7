"""Sync benchmark: the HTTP path against importing the same records from a file.

    python bench/sync_bench.py [--page-size 1000]

Starts the local CT.gov server (tests/ctgov_server) on 127.0.0.1 with the shared
corpus's v2 records, runs `trialscope sync --all --rate 0` as a child process
(politeness off, so the figure is the cost of the HTTP path itself), then imports
the same records from one JSONL file with `trialscope import`. Both print
records/s and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ctgov_server.fixture import running_server  # noqa: E402


def run(command: list[str], env: dict[str, str]) -> tuple[dict[str, object], float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{command[3:6]} failed with status {status}")
    return json.loads(output), elapsed, usage.ru_maxrss / 1024


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d')} · {platform.node()} · {os.cpu_count()} cores")
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
