"""Terminology benchmark: build time, load time in a fresh process, tagging speed and the
peak memory of a process holding the loaded vocabulary.

    python bench/terminology_bench.py [--vocab ../shared/data/vocab]

The build writes to a temporary folder (the user cache is left alone). Load and tagging run
in a child process so its start-up cost and peak RSS are its own. Notes are the TREC 2021,
TREC 2022 and SIGIR patient descriptions in ../shared/data/trialgpt; the 2,000-character
figure tags 2,000-character windows cut from them laid end to end.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trialscope.terminology import build
from trialscope.terminology.sources import find_sources

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

CHILD = r"""
import json, sys, time
def peak_mb():
    # VmHWM, not ru_maxrss: on Linux ru_maxrss carries the parent's peak across exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
started = time.perf_counter()
from trialscope.terminology import Terminology
term = Terminology(__import__("pathlib").Path(sys.argv[1]))
term.find("warm up with NSCLC")
loaded = time.perf_counter() - started
notes = [json.loads(line)["text"] for f in sys.argv[2:] for line in open(f)]
text = " ".join(notes)
windows = [text[i : i + 2000] for i in range(0, len(text) - 2000, 2000)]
rounds = 5
started = time.perf_counter()
for _ in range(rounds):
    found = sum(len(term.find(n)) for n in notes)
per_note = (time.perf_counter() - started) / rounds / len(notes)
started = time.perf_counter()
for _ in range(rounds):
    for w in windows:
        term.find(w)
per_window = (time.perf_counter() - started) / rounds / len(windows)
started = time.perf_counter()
concepts = {m.concept for n in notes for m in term.find(n)}
for c in concepts:
    term._ancestors(c)  # uncached: one SQLite row
per_ancestors = (time.perf_counter() - started) / max(1, len(concepts))
print(json.dumps({
    "load_s": loaded,
    "notes": len(notes),
    "mean_note_chars": len(text) / len(notes),
    "mentions": found,
    "ms_per_note": per_note * 1000,
    "windows": len(windows),
    "ms_per_2000_chars": per_window * 1000,
    "us_per_ancestors": per_ancestors * 1e6,
    "peak_rss_mb": peak_mb(),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=Path, default=SHARED / "vocab")
    args = parser.parse_args()
    notes = sorted(str(p) for p in (SHARED / "trialgpt").glob("*/queries.jsonl"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "terminology.sqlite"
        started = time.perf_counter()
        files = find_sources(args.vocab if args.vocab.is_dir() else None)
        graph = build.build_graph(files)
        counts = {"source_files": len(files.present())}
        build.write(path, graph, counts)
        build_s = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        baseline = subprocess.run(
            [sys.executable, "-c", CHILD.split("started =")[0] + _BASELINE],
            capture_output=True,
            text=True,
            check=True,
        )
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), *notes],
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(done.stdout)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"vocabulary: {args.vocab} ({counts['source_files']} source files)")
    print(
        f"build: {build_s:.1f} s → {counts['concepts']:,} concepts, {counts['phrases']:,}"
        f" phrases, {counts['exact_terms']:,} case-sensitive terms; cache file {size_mb:.1f} MB"
    )
    print(f"load in a fresh process (import + open + first find): {result['load_s'] * 1000:.0f} ms")
    print(
        f"tagging: {result['ms_per_note']:.2f} ms per note ({result['notes']} notes, mean"
        f" {result['mean_note_chars']:.0f} chars, {result['mentions']} mentions);"
        f" {result['ms_per_2000_chars']:.2f} ms per 2,000 characters"
    )
    print(f"ancestors (uncached): {result['us_per_ancestors']:.0f} µs per concept")
    print(
        f"peak RSS of the tagging process: {result['peak_rss_mb']:.0f} MB"
        f" (Python alone: {float(baseline.stdout):.0f} MB)"
    )


_BASELINE = """
print(peak_mb())
"""

if __name__ == "__main__":
    main()
