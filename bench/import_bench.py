"""Import benchmark: the shared corpus and a scale-up, beside the orjson parse floor.

    python bench/import_bench.py [--scale 200000] [--skip-corpus]

Each import runs in a child process (the real CLI) so its peak RSS is its own.
The parse floor is the time to read the same input and ``orjson.loads`` every
record (for wrapped legacy XML, the JSON wrapper only), single-threaded.
The scale-up cycles the corpus's v2 and legacy-XML records with rewritten NCT
ids into one JSONL.gz in a temporary folder (never in the repo).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
CTGOV = ROOT.parent / "shared" / "data" / "ctgov"
RECORD_FOLDERS = [CTGOV / name for name in ("v2", "classic_api", "legacy_xml", "seeds")]
_NCT_TAG = re.compile(rb"<nct_id>NCT\d{8}</nct_id>")


def record_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and (file.name.endswith((".jsonl", ".jsonl.gz", ".xml", ".json"))):
                yield file


def parse_floor(paths: list[Path]) -> tuple[int, float]:
    """Records and seconds to merely read and orjson-parse the same input."""
    count = 0
    started = time.perf_counter()
    for file in record_files(paths):
        if file.suffix == ".xml":
            file.read_bytes()
            count += 1
            continue
        opener = gzip.open if file.suffix == ".gz" else open
        with opener(file, "rb") as handle:
            for line in handle:
                if line.strip():
                    value = orjson.loads(line)
                    count += len(value) if isinstance(value, list) else 1
    return count, time.perf_counter() - started


def run_import(db: Path, paths: list[Path]) -> dict[str, float]:
    """Import in a child process; wall time, records and its own peak RSS."""
    command = [sys.executable, "-m", "trialscope", "--db", str(db), "import", "--json", "--quiet"]
    started = time.perf_counter()
    proc = subprocess.Popen([*command, *map(str, paths)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"import failed with status {status}")
    summary = json.loads(output)
    return {
        "records": summary["records"],
        "quarantined": summary["quarantined"],
        "seconds": elapsed,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def build_scale_up(target: Path, count: int) -> None:
    """Real v2 and legacy-XML records, cycled, each with a fresh NCT id."""
    sources: list[bytes] = []
    for file in record_files([CTGOV / "v2", CTGOV / "legacy_xml"]):
        opener = gzip.open if file.suffix == ".gz" else open
        with opener(file, "rb") as handle:
            sources.extend(line for line in handle if line.strip())
    with gzip.open(target, "wb", compresslevel=1) as out:
        for n in range(count):
            fresh = f"NCT9{n:07d}"
            value = orjson.loads(sources[n % len(sources)])
            if "xml" in value:
                value["nct_id"] = fresh
                xml = _NCT_TAG.sub(f"<nct_id>{fresh}</nct_id>".encode(), value["xml"].encode())
                value["xml"] = xml.decode()
            else:
                value["protocolSection"]["identificationModule"]["nctId"] = fresh
            out.write(orjson.dumps(value) + b"\n")


def report(name: str, imported: dict[str, float], floor: tuple[int, float]) -> None:
    rate = imported["records"] / imported["seconds"]
    floor_rate = floor[0] / floor[1]
    print(
        f"{name:<22} {imported['records']:>9,.0f} records  {imported['seconds']:>7.1f} s"
        f"  {rate:>8,.0f} rec/s  peak RSS {imported['peak_rss_mb']:>6.0f} MB"
        f"  | parse floor {floor_rate:>9,.0f} rec/s  → {floor_rate / rate:4.1f}x floor"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=200_000, help="records in the scale-up")
    parser.add_argument("--skip-corpus", action="store_true")
    args = parser.parse_args()
    if not CTGOV.is_dir():
        raise SystemExit(f"shared corpus not found at {CTGOV}")
    print(f"# {time.strftime('%Y-%m-%d')} · {platform.node()} · {os.cpu_count()} cores")
    print(f"# Python {platform.python_version()} · {platform.platform()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_corpus:
            imported = run_import(folder / "corpus.db", RECORD_FOLDERS)
            report("shared corpus", imported, parse_floor(RECORD_FOLDERS))
            again = run_import(folder / "corpus.db", RECORD_FOLDERS)
            report("re-import (unchanged)", again, parse_floor(RECORD_FOLDERS))
        if args.scale:
            scale_file = folder / "scale.jsonl.gz"
            build_scale_up(scale_file, args.scale)
            imported = run_import(folder / "scale.db", [scale_file])
            report(f"scale-up {args.scale:,}", imported, parse_floor([scale_file]))
            size = (folder / "scale.db").stat().st_size / 1e6
            print(f"# scale-up database: {size:,.0f} MB")


if __name__ == "__main__":
    main()
