"""How long the curated tables take to load: import time and first use, cold.

    .venv/bin/python bench/datafiles_bench.py [--runs 7] [--json]

Each run is a fresh interpreter (the tables are cached per process, so a second load in
one process measures nothing). "import" is ``python -X importtime``'s self time of each
module that holds a table: its own body, which reads and validates the data file and
builds the objects callers see, without the libraries it imports (pydantic, yaml, ...,
which every trialscope process imports anyway). "first use" times what the first lookup
builds lazily (phrase lexicons, the closed drug-class table) once the module is imported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

MODULES = (
    "trialscope.data",
    "trialscope.criteria.catalogue",
    "trialscope.match.drugs",
    "trialscope.match.fhir",
    "trialscope.terminology.curated",
    "trialscope.ranking",
)
FIRST_USE = {
    "catalogue: variable_lexicon()": (
        "import trialscope.criteria.catalogue as m",
        "m.variable_lexicon()",
    ),
    "drugs: drug_classes('cisplatin')": (
        "import trialscope.match.drugs as m",
        "m.drug_classes('cisplatin')",
    ),
    "curated: mesh_terms() + OWN_CONCEPTS": (
        "import trialscope.terminology.curated as m",
        "m.mesh_terms(); m.OWN_CONCEPTS",
    ),
}


def _import_self_times() -> dict[str, float]:
    code = "import trialscope.match.fhir, trialscope.terminology.curated, trialscope.match.run"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        check=True,
        capture_output=True,
        text=True,
    )
    times: dict[str, float] = {}
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[12:].split("|"))
        if name in MODULES:
            times[name] = int(self_us) / 1000
    return times


def _first_use(setup: str, timed: str) -> float:
    code = f"import time\n{setup}\nt = time.perf_counter()\n{timed}\nprint(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]) * 1000


def _summary(times: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = [_import_self_times() for _ in range(args.runs)]
    results = {
        f"import {name} (self)": _summary([run[name] for run in runs])
        for name in MODULES
        if all(name in run for run in runs)
    }
    for name, (setup, timed) in FIRST_USE.items():
        results[f"first use: {name}"] = _summary(
            [_first_use(setup, timed) for _ in range(args.runs)]
        )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, figures in results.items():
        print(f"{name:58} median {figures['median_ms']:7.2f} ms  min {figures['min_ms']:7.2f} ms")


if __name__ == "__main__":
    main()
