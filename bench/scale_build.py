"""Build a scale-up store with the real CLI and time `trialscope import` stage by stage.

    python bench/scale_build.py --scale 500000 --db /tmp/scale500k.db [--source FILE]

The input is bench/import_bench.py's scale-up (real v2 and legacy-XML records cycled
with fresh NCT ids; written to ``--source``, or ``<db>.jsonl.gz``, and reused when it is
already there). ``trialscope import`` then runs as a child on a pseudo-terminal, so it
draws its progress bar; the stage names the bar shows ("1/4 storing" ... "4/4 related
trials") give each stage's start, and the time after the related bar's last update until
exit is the tantivy index catching up from the change log. Memory: the process tree is
sampled every 0.5 s (largest single RSS, summed RSS; summed PSS every 2 s).
"""

from __future__ import annotations

import argparse
import contextlib
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
    """The process and every descendant, from each one's own ``children`` lists: only the
    import's tree is read (walking all of /proc, as psutil's ``children()`` does too, cost
    the sampler a noticeable share of a core on a busy machine)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return found


def _rss(pid: int) -> int:
    """Resident kB of one process (``statm``: cheap), 0 when it is gone."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_KB
    except OSError:
        return 0


def _pss(pid: int) -> int:
    """Proportional kB of one process, 0 when it is gone. ``smaps_rollup`` walks the
    page tables (about 6 ms per GB resident), so it is read less often than ``statm``."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    fields = dict(line.split(":", 1) for line in rollup.splitlines()[1:] if ":" in line)
    return int(fields["Pss"].split()[0])


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
#: the summed PSS is read every this many RSS samples (0.5 s apart)
PSS_EVERY = 4


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
    #: the same peaks in each stage (the one whose bar started last; the tantivy catch-up
    #: and exit count as the related trials')
    by_stage: dict[str, dict[str, int]] = {}
    sampler_cpu = time.thread_time()
    samples = 0
    while proc.poll() is None:
        tree = _tree(proc.pid)
        sizes = [_rss(pid) for pid in tree]
        now = {"rss": max(sizes, default=0), "sum_rss": sum(sizes), "pss": 0}
        if samples % PSS_EVERY == 0:
            now["pss"] = sum(_pss(pid) for pid in tree)
        stage = max(list(seen), key=lambda name: seen[name][0], default="start")
        for into in (peak, by_stage.setdefault(stage, dict.fromkeys(peak, 0))):
            for key, value in now.items():
                into[key] = max(into[key], value)
        samples += 1
        time.sleep(0.5)
    sampler_cpu = time.thread_time() - sampler_cpu
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
    for stage, top in by_stage.items():
        print(
            f"  in {stage}: largest RSS {top['rss'] / 1024:,.0f} MB, summed RSS"
            f" {top['sum_rss'] / 1024:,.0f} MB, summed PSS {top['pss'] / 1024:,.0f} MB"
        )
    print(f"memory sampler: {samples} samples, {sampler_cpu:.1f} s CPU")
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
