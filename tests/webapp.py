"""A real store for the web tests: a few files of the shared corpus, the seed trial in
two versions, and a hand-made record whose text holds markup (to test escaping)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from trialscope.config import Settings
from trialscope.importer import import_paths
from trialscope.store import SQLiteStore

from .conftest import CTGOV, FIXTURES

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CORPUS_FILES = (
    "v2/scampbe3__my-website.jsonl.gz",
    "v2/dgg32__graph_bigquery.jsonl.gz",
    "v2/genomoncology__biomcp.jsonl",
    "seeds/NCT04416854.legacy_ctgov.xml",
)
SEED = "NCT04416854"
#: a copy of the seed trial under another id, with markup in its registry text
HOSTILE = "NCT99999901"
SCRIPT = '<script>alert("x")</script>'

__all__ = ["HOSTILE", "SCRIPT", "SEED", "TestClient", "build_db", "client_for"]


def _hostile_record(folder: Path) -> Path:
    data = json.loads((FIXTURES / "NCT04416854.2026.v2.json").read_text("utf-8"))
    protocol = data["protocolSection"]
    protocol["identificationModule"]["nctId"] = HOSTILE
    protocol["identificationModule"]["briefTitle"] = "Escaping <b>test</b> & trial"
    protocol["eligibilityModule"]["eligibilityCriteria"] = (
        f"Inclusion Criteria:\n\n* Adults {SCRIPT}\n* <img src=x onerror=alert(1)>\n\n"
        "Exclusion Criteria:\n\n* Pregnancy \\<= 12 weeks"
    )
    path = folder / f"{HOSTILE}.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def build_db(folder: Path) -> Path:
    """Import the web test records into ``folder/web.db`` (about 210 studies, ~2 s)."""
    db = folder / "web.db"
    paths: list[Path] = [CTGOV / name for name in CORPUS_FILES]
    paths += [FIXTURES / "NCT04416854.2026.v2.json", _hostile_record(folder)]
    with SQLiteStore(db) as store:
        summary = import_paths(store, paths, workers=1)
    assert summary.counts["new"] >= 200, summary.as_dict()
    return db


def client_for(db: Path, **settings: object) -> TestClient:
    from trialscope.web import create_app

    app = create_app(Settings(db=str(db), **settings))  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)
