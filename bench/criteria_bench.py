"""How fast eligibility texts parse: every criteria text of the shared corpus, one core.

    .venv/bin/python bench/criteria_bench.py [--limit N] [--workers 2] [--json]

Reads the criteria of the API v2 records (``ctgov/v2``) and of the legacy XML records
(``ctgov/legacy_xml``), parses each once to warm up (compiled patterns, pint), then
times a second pass on one core: texts per second, characters per second, median and
99th-percentile time per text. ``--workers`` also times the process pool the importer
uses, and extrapolates to a 500,000-trial registry.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
from lxml import etree

from trialscope.criteria import parse_criteria
from trialscope.criteria.store import _parse_one

CTGOV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ctgov"


def _lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        yield from handle


def texts() -> Iterator[str]:
    for path in sorted((CTGOV / "v2").glob("*.jsonl*")):
        for line in _lines(path):
            try:
                study = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            module = study.get("protocolSection", {}).get("eligibilityModule", {})
            if module.get("eligibilityCriteria"):
                yield module["eligibilityCriteria"]
    for path in sorted((CTGOV / "legacy_xml").glob("*.jsonl*")):
        for line in _lines(path):
            try:
                xml = orjson.loads(line)["xml"]
                root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
            except (orjson.JSONDecodeError, KeyError, etree.XMLSyntaxError, ValueError):
                continue
            block = root.findtext("eligibility/criteria/textblock")
            if block and block.strip():
                yield block


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    corpus = list(texts())[: args.limit]
    if not corpus:
        print(f"no criteria texts under {CTGOV}", file=sys.stderr)
        return 1
    for text in corpus:  # warm-up: patterns compiled, pint loaded
        parse_criteria(text)
    times = []
    constraints = items = 0
    started = time.perf_counter()
    for text in corpus:
        t0 = time.perf_counter()
        parsed = parse_criteria(text)
        times.append(time.perf_counter() - t0)
        items += len(parsed.items)
        constraints += len(parsed.constraints)
    elapsed = time.perf_counter() - started
    chars = sum(map(len, corpus))
    result: dict[str, object] = {
        "texts": len(corpus),
        "mean_chars": round(chars / len(corpus)),
        "items": items,
        "constraints": constraints,
        "one_core_texts_per_s": round(len(corpus) / elapsed, 1),
        "one_core_chars_per_s": round(chars / elapsed),
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p99_ms": round(sorted(times)[int(len(times) * 0.99) - 1] * 1000, 2),
        "max_ms": round(max(times) * 1000, 2),
    }
    if args.workers > 1:
        context = multiprocessing.get_context("fork")
        with context.Pool(args.workers) as pool:
            pool.map(_parse_one, corpus[: args.workers * 50])  # warm the workers
            t0 = time.perf_counter()
            pool.map(_parse_one, corpus, chunksize=16)
            pooled = time.perf_counter() - t0
        rate = len(corpus) / pooled
        result[f"{args.workers}_workers_texts_per_s_incl_json_zstd"] = round(rate, 1)
        result["500k_registry_minutes"] = round(500_000 / rate / 60, 1)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for key, value in result.items():
            print(f"{key:>42}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
