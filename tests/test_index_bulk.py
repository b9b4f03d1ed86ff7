"""A first build of the search index sets the secondary indexes of its side tables aside
(SQLite) and makes them again at the end: the index written equals one written with them
kept, a later refresh of studies already indexed keeps them, and a process killed while
they are away leaves them to the next open of the store (never to an open beside a fill
still running)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CTGOV, Backend, derived_state, needs_corpus
from trialscope.importer import import_paths
from trialscope.search import index as search_index
from trialscope.search.sqlite_dialect import BULK_TABLES
from trialscope.store import SQLiteStore, Store, bulk

SOURCE = CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz"
INDEX_PARTS = ("docs", "text", "cards", "places", "sites", "terms", "log", "dirty")


def _indexes(store: Store) -> set[str]:
    """The names of the index tables' secondary indexes."""
    if store.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE indexname NOT LIKE '%pkey'"
    return {str(r[0]) for r in store.conn.execute(sql) if str(r[0]).startswith("search_")}


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as made:
        import_paths(made, [SOURCE])  # one process: criteria, views, no index yet
        yield made


def _index_state(store: Store) -> dict[str, Any]:
    found = derived_state(str(getattr(store, "url", store.location)))
    return {part: found[part] for part in INDEX_PARTS}


@needs_corpus
def test_a_first_build_sets_indexes_aside_and_writes_the_same_index(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = _indexes(store)
    assert {"search_sites_study", "search_terms_term", "search_places_doc"} <= every
    monkeypatch.setattr(search_index, "BATCH", 40)
    seen: list[set[str]] = []

    def during(_: int) -> None:
        seen.append(_indexes(store))

    # the reference: the same build with every index kept up (no first build below 10**9)
    monkeypatch.setattr(search_index, "BULK_MIN", 10**9)
    studies = search_index.refresh(store, during)
    assert seen and all(found == every for found in seen)
    kept = _index_state(store)

    with store.transaction() as db:
        for table in ("search_cards", "search_places", "search_sites", "search_terms"):
            db.execute(f"DELETE FROM {table}")
        if store.dialect == "sqlite":
            db.execute("DELETE FROM search_fts")
        for table in ("search_docs", "search_log", "search_dirty"):
            db.execute(f"DELETE FROM {table}")
        db.execute("INSERT INTO search_dirty (nct_id) SELECT nct_id FROM studies")
    monkeypatch.setattr(search_index, "BULK_MIN", 1)
    seen.clear()
    assert search_index.refresh(store, during) == studies
    if store.dialect == "sqlite":
        assert seen and all(not found for found in seen), "set aside while filling"
    else:
        assert seen and all(found == every for found in seen)  # PostgreSQL keeps them
    assert _indexes(store) == every
    assert _index_state(store) == kept
    if isinstance(store, SQLiteStore):  # FTS5 merges as it goes again, its index merged
        assert _fts_config(store)["automerge"] == 4
        assert store.conn.execute("SELECT count(*) FROM bulk_undo").fetchone()[0] == 0

    # studies already indexed, queued again: the indexes stay, their deletes need them
    with store.transaction() as db:
        db.execute("INSERT INTO search_dirty (nct_id) SELECT nct_id FROM studies")
    seen.clear()
    assert search_index.refresh(store, during) == studies
    assert seen and all(found == every for found in seen)
    assert _index_state(store) == kept


_FILL = """
import sys, time
from trialscope.search.sqlite_dialect import BULK_TABLES
from trialscope.store import SQLiteStore
from trialscope.search.sqlite_dialect import BULK_CLOSING, BULK_FTS
from trialscope.store.bulk import filling
store = SQLiteStore(sys.argv[1])
with filling(store, BULK_TABLES, BULK_FTS, BULK_CLOSING) as aside:
    print("aside" if aside else "not aside", flush=True)
    time.sleep(600)
"""


def test_indexes_a_killed_fill_left_aside_are_made_by_the_next_open(tmp_path: Any) -> None:
    where = tmp_path / "store.db"
    with SQLiteStore(where) as made:
        every = _indexes(made)
    child = subprocess.Popen(
        [sys.executable, "-c", _FILL, str(where)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "aside"
        with SQLiteStore(where) as beside:
            # the fill is alive: an open beside it leaves its indexes alone, and a second
            # fill sets nothing aside
            left = _indexes(beside)
            assert "search_sites_study" not in left and "search_terms_term" not in left
            assert set(bulk.owed(beside)) == {f"1 index {name}" for name in every - left} | {
                "2 setting fts automerge",
                "2 setting fts crisismerge",
                "2 setting fts hashsize",
                "3 closing",
            }
            assert _fts_config(beside)["automerge"] == 0
            with bulk.filling(beside, BULK_TABLES) as aside:
                assert not aside
            assert _indexes(beside) == left
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with SQLiteStore(where) as reopened:
        assert _indexes(reopened) == every
        assert bulk.owed(reopened) == []
        assert _fts_config(reopened) == {
            "automerge": 4,
            "crisismerge": 16,
            "hashsize": 1 << 20,
            "version": 4,
        }


def _fts_config(store: SQLiteStore) -> dict[str, Any]:
    return {str(k): v for k, v in store.conn.execute("SELECT k, v FROM search_fts_config")}
