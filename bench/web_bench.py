"""Trial pages per second: `trialscope serve` under wrk on loopback.

    python bench/web_bench.py [--db PATH] [--seconds 10] [--connections 8,32]
                              [--workers 1,2] [--ids 2000] [--only detail,patient,...]

Imports the shared corpus into a temporary store (or uses --db), starts
`trialscope serve` with 1 and then 2 worker processes on a free 127.0.0.1 port,
and drives it with wrk (Debian's package) over every trial page kind the seeds show
(detail page, patient page, agent markdown, the plain-language JSON, the agent page
through the API, the study JSON, one study's card through the search API) and over
searches. Each kind rotates over ``--ids`` random trials (2,000 by default: more than
a 10 s run visits, so nearly every request is a first visit of that page in that
worker, never one cached page). Prints requests/s and latency percentiles as wrk
measures them, with the load average before each run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CTGOV = ROOT.parent / "shared" / "data" / "ctgov"
FOLDERS = [CTGOV / name for name in ("v2", "classic_api", "legacy_xml", "seeds")]
#: wrk's two threads take alternate paths (each has its own Lua state: without the
#: offset both would ask for the same page at the same moment)
LUA = """
local paths = {%s}
local threads = 0
setup = function(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
local pause = %d
if pause > 0 then
  -- paced: each connection waits about pause ms (uniform 0.5-1.5x) between requests
  delay = function()
    return math.random(math.floor(pause / 2), math.floor(pause * 3 / 2))
  end
end
local i = -1
request = function()
  i = i + 1
  return wrk.format("GET", paths[((i * 2 + offset) %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%.1f %%.2f %%.2f %%.2f %%d %%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout, summary.requests))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(db: str | Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trialscope", "--db", str(db), "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--no-reparse"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    root = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{root}/llms.txt", timeout=1).status_code == 200:
                return proc, root
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def wrk(
    root: str,
    paths: list[str],
    seconds: int,
    connections: int,
    timeout: int = 2,
    rate: float | None = None,
) -> str:
    """wrk's figures; with ``rate``, each connection pauses between its requests so that
    together they offer about that many requests a second (latency is then measured at
    that load instead of at saturation, where it is the queue: connections / req/s)."""
    pause = round(connections * 1000 / rate) if rate else 0
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        # a table constructor of thousands of entries: one path per line
        script.write(LUA % (",\n".join(f'"{p}"' for p in paths), pause))
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}s", "-s",
         script.name, root],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    os.unlink(script.name)
    match = re.search(r"RESULT (\S+) (\S+) (\S+) (\S+) (\d+) (\d+)", done.stdout)
    if not match:
        raise SystemExit(done.stdout + done.stderr)
    rps, p50, p95, p99, errors, total = match.groups()
    return (
        f"{float(rps):8,.0f} req/s  p50 {float(p50):6.1f} ms  p95 {float(p95):6.1f} ms"
        f"  p99 {float(p99):6.1f} ms  ({int(total):,} requests, {errors} errors)"
    )


KINDS = ("detail", "patient", "agent", "plain", "agent-api", "study", "card", "search")


def kinds_for(ids: list[str]) -> dict[str, list[str]]:
    """The paths of each kind of page, over ``ids``."""
    return {
        "detail": [f"/trials/{n}" for n in ids],
        "patient": [f"/trials/{n}/patient" for n in ids],
        "agent": [f"/trials/{n}.md" for n in ids],
        "plain": [f"/api/v2/studies/{n}/plain" for n in ids],
        "agent-api": [f"/api/v2/studies/{n}?format=md" for n in ids],
        "study": [f"/api/v2/studies/{n}" for n in ids],
        # the card's fields (seed 001) of one study, as the search API gives them
        "card": [f"/api/v2/studies?filter.ids={n}" for n in ids],
        "search": [
            f"/api/v2/studies?query.cond={q}&filter.overallStatus=RECRUITING"
            for q in ("asthma", "breast%20cancer", "leukemia", "diabetes", "migraine")
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", default="32", help="wrk connection counts, e.g. 8,32")
    parser.add_argument("--workers", default="1,2", help="serve worker counts to run, e.g. 2")
    parser.add_argument("--ids", type=int, default=2000, help="random trials each kind visits")
    parser.add_argument(
        "--rate", type=float, help="also run paced at about this many req/s (e.g. 330)"
    )
    parser.add_argument("--only", help=f"kinds to run, comma-separated: {','.join(KINDS)}")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {platform.node()} ·"
          f" {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "web.db"
        if args.db is None:
            subprocess.run(
                [sys.executable, "-m", "trialscope", "--db", str(db), "import", "--quiet",
                 "--json", *map(str, FOLDERS)],
                check=True, capture_output=True,
            )  # fmt: skip
        import sqlite3

        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT nct_id FROM studies ORDER BY random() LIMIT ?", (args.ids,)
                )
            ]
            # what a page would otherwise lack: figures of a store not up to date say so
            stale = conn.execute(
                "SELECT count(*) FROM studies s LEFT JOIN criteria_parses c"
                " ON c.version_id = s.current_version_id WHERE c.version_id IS NULL"
            ).fetchone()[0]
            unlisted = conn.execute(
                "SELECT count(*) FROM studies s"
                " WHERE NOT EXISTS (SELECT 1 FROM related_lists r WHERE r.nct_id = s.nct_id)"
            ).fetchone()[0]
        print(f"# store: {stale:,} studies without a criteria parse, {unlisted:,} without"
              " a stored related list")  # fmt: skip
        kinds = kinds_for(ids)
        if args.only:
            wanted = args.only.split(",")
            unknown = set(wanted) - set(KINDS)
            if unknown:
                raise SystemExit(f"unknown kinds {sorted(unknown)}: choose from {KINDS}")
            kinds = {k: v for k, v in kinds.items() if k in wanted}
        print(f"# {len(ids):,} trials, {args.seconds} s per run after 2 s of warm-up")
        for workers in (int(n) for n in args.workers.split(",")):
            proc, root = serve(db, workers)
            try:
                for name, paths in kinds.items():
                    for connections in (int(c) for c in args.connections.split(",")):
                        # warm-up on other trials than the measured run's first ones
                        wrk(root, paths[::-1], 2, connections)
                        load = os.getloadavg()[0]
                        figures = wrk(root, paths, args.seconds, connections)
                        print(
                            f"{workers} worker(s)  {name:<9} c={connections:<3} {figures}"
                            f"  load {load:.1f}",
                            flush=True,
                        )
                    if args.rate:
                        connections = max(int(c) for c in args.connections.split(","))
                        load = os.getloadavg()[0]
                        figures = wrk(root, paths, args.seconds, connections, rate=args.rate)
                        print(
                            f"{workers} worker(s)  {name:<9} paced {args.rate:.0f}/s"
                            f" c={connections:<3} {figures}  load {load:.1f}",
                            flush=True,
                        )
            finally:
                proc.terminate()
                proc.wait(timeout=20)


if __name__ == "__main__":
    main()
