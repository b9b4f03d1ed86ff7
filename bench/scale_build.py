"""Build a scale-up store with the real CLI and time `trialscope import` stage by stage.

    python bench/scale_build.py --scale 500000 --db /tmp/scale500k.db [--source FILE]

The input is bench/import_bench.py's scale-up (real v2 and legacy-XML records cycled
with fresh NCT ids; written to ``--source``, or ``<db>.jsonl.gz``, and reused when it is
already there). ``trialscope import`` then runs as a child on a pseudo-terminal, so it
draws its progress bar; the stage names the bar shows ("1/4 storing" ... "4/4 related
trials") give each stage's start, and the time after the related bar's last update until
exit is the tantivy index catching up from the change log. Memory: the process tree is
sampled every 0.5 s (largest single RSS, summed RSS, summed PSS).
"""

from __future__ import annotations

import argparse
import os
import platform
import pty
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from import_bench import build_scale_up  # noqa: E402

_STAGE = re.compile(rb"([1-4])/4 (storing|criteria|index|related trials)")


def _tree(root: int) -> list[int]:
    """The process and every descendant (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB of one process, 0 when it is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in rollup.splitlines()[1:] if ":" in line)
    return int(fields["Rss"].split()[0]), int(fields["Pss"].split()[0])


def run(db: Path, source: Path) -> None:
    command = [sys.executable, "-m", "trialscope", "--db", str(db), "import", str(source)]
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm"}
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    seen: dict[str, list[float]] = {}
    tail = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            now = time.perf_counter() - started
            for match in _STAGE.finditer(chunk):
                name = match.group(2).decode()
                seen.setdefault(name, [now, now])[1] = now
            tail.extend(chunk)
            del tail[:-4000]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    peak = {"rss": 0, "sum_rss": 0, "pss": 0}
    while proc.poll() is None:
        sizes = [_memory(pid) for pid in _tree(proc.pid)]
        peak["rss"] = max(peak["rss"], *(r for r, _ in sizes), 0)
        peak["sum_rss"] = max(peak["sum_rss"], sum(r for r, _ in sizes))
        peak["pss"] = max(peak["pss"], sum(p for _, p in sizes))
        time.sleep(0.5)
    total = time.perf_counter() - started
    reader.join(timeout=5)
    if proc.returncode != 0:
        print(tail.decode(errors="replace")[-2000:])
        raise SystemExit(f"import failed with status {proc.returncode}")
    order = ["storing", "criteria", "index", "related trials"]
    starts = [(name, seen[name][0]) for name in order if name in seen]
    print(f"{'stage':<28} {'wall':>9}")
    for (name, start), nxt in zip(starts, [*starts[1:], None], strict=True):
        end = nxt[1] if nxt else seen[name][1]
        print(f"{name:<28} {end - start:>8.0f} s")
    if "related trials" in seen:
        print(f"{'tantivy catch-up (+ exit)':<28} {total - seen['related trials'][1]:>8.0f} s")
    print(f"{'total':<28} {total:>8.0f} s  ({total / 60:.1f} min)")
    print(
        f"peak memory: largest process RSS {peak['rss'] / 1024:,.0f} MB, summed RSS "
        f"{peak['sum_rss'] / 1024:,.0f} MB, summed PSS {peak['pss'] / 1024:,.0f} MB"
    )
    print(f"database {db.stat().st_size / 1e9:.2f} GB")
    print(tail.decode(errors="replace")[-1500:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=500_000, help="records in the scale-up")
    parser.add_argument("--db", type=Path, required=True, help="the store to build (kept)")
    parser.add_argument("--source", type=Path, help="the scale-up input (default <db>.jsonl.gz)")
    args = parser.parse_args()
    source = args.source or args.db.with_name(args.db.name + ".jsonl.gz")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {platform.node()}")
    print(f"# {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f} at start")
    if not source.exists():
        began = time.perf_counter()
        build_scale_up(source, args.scale)
        print(f"# input {source} written in {time.perf_counter() - began:.0f} s")
    if args.db.exists():
        raise SystemExit(f"{args.db} exists; remove it first (a fresh store is measured)")
    run(args.db, source)
    print(f"# load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
