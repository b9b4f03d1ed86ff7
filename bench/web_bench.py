"""Detail pages per second: `trialscope serve` under wrk on loopback.

    python bench/web_bench.py [--db PATH] [--seconds 10] [--connections 32] [--workers 1,2]

Imports the shared corpus into a temporary store (or uses --db), starts
`trialscope serve` with 1 and then 2 worker processes on a free 127.0.0.1 port,
and drives it with wrk (Debian's package) over 200 different trial pages, then
over the JSON of the same studies and over searches. Prints requests/s and
latency percentiles as wrk measures them.
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
LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
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
         "--port", str(port), "--workers", str(workers)],
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


def wrk(root: str, paths: list[str], seconds: int, connections: int, timeout: int = 2) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(f'"{p}"' for p in paths))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", default="1,2", help="serve worker counts to run, e.g. 2")
    parser.add_argument("--only", help="kinds to run, comma-separated: trial,study,agent,search")
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

        with sqlite3.connect(db) as conn:
            ids = [
                r[0] for r in conn.execute("SELECT nct_id FROM studies ORDER BY random() LIMIT 200")
            ]
        kinds = {
            "trial page": [f"/trials/{n}" for n in ids],
            "study JSON": [f"/api/v2/studies/{n}" for n in ids],
            "agent page": [f"/trials/{n}.md" for n in ids],
            "search API": [
                f"/api/v2/studies?query.cond={q}&filter.overallStatus=RECRUITING"
                for q in ("asthma", "breast%20cancer", "leukemia", "diabetes", "migraine")
            ],
        }
        if args.only:
            wanted = args.only.split(",")
            kinds = {k: v for k, v in kinds.items() if k.split()[0].lower() in wanted}
        for workers in (int(n) for n in args.workers.split(",")):
            proc, root = serve(db, workers)
            try:
                for name, paths in kinds.items():
                    wrk(root, paths, 2, args.connections)  # warm-up
                    figures = wrk(root, paths, args.seconds, args.connections)
                    print(f"{workers} worker(s)  {name:<11} {figures}")
            finally:
                proc.terminate()
                proc.wait(timeout=20)


if __name__ == "__main__":
    main()
