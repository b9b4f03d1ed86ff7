"""How long the curated data files take to load: read, check, build, cold.

    .venv/bin/python bench/datafiles_bench.py [--runs 7] [--json]

Each run is a fresh interpreter with trialscope already imported (the libraries every
trialscope process loads anyway: pydantic, yaml, the record model), whose data-file
caches are then cleared, so the clock sees only what a table costs: reading its file,
checking every row with its pydantic model and the cross-file references, and building
the objects callers use (``VARIABLES``, the closed drug-class table, ``LOINC_LABS``, ...).
The phrase lexicons built on first use are not included: they compile the same regular
expressions whatever the tables are stored in.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PRELUDE = """
import gc, time
import trialscope.match, trialscope.match.fhir, trialscope.match.run
import trialscope.terminology.curated as curated
from trialscope import data
from trialscope.criteria import catalogue
from trialscope.data.schema import LoincLabRow, OwnConceptRow, RankingConfig
from trialscope.match import fhir
from trialscope.terminology import drugs
data._load_rows.cache_clear(); data._load_document.cache_clear()
drugs._rows.cache_clear(); drugs._table.cache_clear()
gc.collect()
"""

CASES = {
    "criteria_variables.yaml -> VARIABLES": "catalogue._variables()",
    "drugs.tsv + drug_class_words.tsv + drug_classes.tsv -> classes": (
        "drugs._class_rows(); drugs._rows(); drugs._table()"
    ),
    "loinc_labs.tsv + ucum_units.tsv -> LOINC_LABS": (
        "fhir._loinc_labs(data.load_rows(LoincLabRow), fhir._ucum_units())"
    ),
    "vocabulary_mesh.tsv + vocabulary_own.tsv": (
        "curated.mesh_terms(); data.load_rows(OwnConceptRow)"
    ),
    "ranking.yaml": "data.load_document(RankingConfig)",
}


def _once(statement: str) -> float:
    code = f"{PRELUDE}\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.split()[-1]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    for name, statement in CASES.items():
        times = [_once(statement) for _ in range(args.runs)]
        results[name] = {
            "median_ms": round(statistics.median(times), 2),
            "min_ms": round(min(times), 2),
        }
    everything = "; ".join(CASES.values())
    times = [_once(everything) for _ in range(args.runs)]
    results["all tables"] = {
        "median_ms": round(statistics.median(times), 2),
        "min_ms": round(min(times), 2),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, figures in results.items():
        print(f"{name:62} median {figures['median_ms']:6.2f} ms  min {figures['min_ms']:6.2f} ms")


if __name__ == "__main__":
    main()
