"""Rendered pages against golden files, and our seed-trial page against seed 000 itself."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import CTGOV, FIXTURES, needs_corpus
from trialscope.importer import import_paths
from trialscope.record import Study
from trialscope.render import render_card, render_markdown, render_text
from trialscope.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
GOLDEN = Path(__file__).parent / "golden"
SEEN_AT = "2026-05-12T06:21:01.385Z"
NOW = datetime(2026, 5, 20, tzinfo=UTC)
SEED_BASE = "https://parkinsonspathways.com/agent"


def _store(tmp_path: Path, *paths: Path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "golden.db", now=lambda: SEEN_AT)
    import_paths(store, paths)
    return store


def _page(store: SQLiteStore, nct_id: str, base: str | None = None) -> str:
    return render_markdown(
        Study.from_json(store.study_bytes(nct_id)),
        info=store.current_version(nct_id),
        changes=store.changes([nct_id]),
        canonical_url=f"{base}/trials/{nct_id}.md" if base else None,
        now=NOW,
    )


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds not found")
def test_seed_trial_page_reproduces_seed_000(tmp_path: Path) -> None:
    store = _store(tmp_path, FIXTURES / "NCT04416854.2026.v2.json")
    ours = _page(store, "NCT04416854", SEED_BASE).splitlines()
    seed = (SEEDS / "000_8bcaee94a7a56490.txt").read_text("utf-8").splitlines()
    # Identical line for line, but for the last line: the seed's site-specific disclaimer.
    assert ours[:-1] == seed[:-1]
    assert ours[-1].startswith("*This page is a raw mirror")


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, "utf-8")
    # A missing golden file fails: a check that quietly skips checks nothing.
    assert path.exists(), f"no golden file {path.name}; UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text("utf-8"), f"{name} differs; UPDATE_GOLDEN=1 to accept"


GOLDEN_RECORDS = [
    # (file under ../shared/data/ctgov, NCT id, what it exercises)
    ("v2/mcode__clinical-trial-matching-service.jsonl.gz", "NCT02513394", "v2 with results"),
    ("v2/alexxpz__LLM.jsonl", "NCT05013879", "v2 completed, single site"),
    ("legacy_xml/datasets__clinical-trials-us.jsonl", "NCT00000102", "legacy XML 2013"),
    ("classic_api/ctti-clinicaltrials__aact.jsonl.gz", "NCT00023673", "classic API JSON"),
]


@needs_corpus
@pytest.mark.parametrize(("file", "nct_id", "why"), GOLDEN_RECORDS)
@pytest.mark.parametrize("view", ["md", "card", "text"])
def test_golden_views(tmp_path: Path, file: str, nct_id: str, why: str, view: str) -> None:
    store = _store(tmp_path, CTGOV / file)
    study = Study.from_json(store.study_bytes(nct_id))
    if view == "md":
        text = _page(store, nct_id)
    elif view == "card":
        text = render_card(study)
    else:
        text = render_text(study)
    _check_golden(f"{nct_id}.{view}.{'md' if view == 'md' else 'txt'}", text)
