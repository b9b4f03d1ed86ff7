"""A first build of the related trials (no list stored yet, many queued) fills
``related_trials`` with its index on ``other`` set aside, looks up no spread, and makes
the index again at the end: the lists equal those of a refresh that keeps the index and
spreads; a later refresh keeps the index; a process killed while it is away leaves it to
the next open of the store (never to an open beside a fill still running). Both backends.
"""

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
from trialscope.search import related
from trialscope.store import Store, bulk, open_store

pytestmark = needs_corpus
SOURCE = CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz"
RELATED_PARTS = ("related_features", "related_lists", "related", "related_dirty")
OTHER = "related_trials_other"


def _where(store: Store) -> str:
    return str(getattr(store, "url", store.location))


def _indexes(store: Store) -> set[str]:
    """The names of ``related_trials``' indexes other than its primary key's."""
    if store.dialect == "sqlite":
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name = 'related_trials'"
        )
    else:
        sql = (
            "SELECT indexname FROM pg_indexes WHERE tablename = 'related_trials'"
            " AND indexname NOT LIKE '%pkey'"
        )
    return {str(r[0]) for r in store.conn.execute(sql)}


def _related(store: Store) -> dict[str, Any]:
    found = derived_state(_where(store))
    return {part: found[part] for part in RELATED_PARTS}


@pytest.fixture
def stores(backend: Backend) -> Iterator[tuple[Store, Store]]:
    """Two stores of the same studies, indexed, their related trials queued."""
    with backend.open() as one, backend.open() as two:
        for made in (one, two):
            import_paths(made, [SOURCE])
            search_index.refresh(made)
        yield one, two


def test_a_first_build_sets_the_other_index_aside_and_stores_the_same_lists(
    stores: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    kept, first = stores
    # the reference: one process, below the pool's bound, so no first build
    related.refresh(kept)
    assert _indexes(kept) == {OTHER}
    # the first build: the pool's bound lowered so these 208 studies are one
    monkeypatch.setattr(related, "POOL_MIN", 50)
    monkeypatch.setattr(related, "BATCH", 40)
    during: list[tuple[set[str], list[str]]] = []
    related.refresh(first, lambda _: during.append((_indexes(first), bulk.owed(first))), 2)
    assert during and all(seen == (set(), [f"1 index {OTHER}"]) for seen in during)
    assert _indexes(first) == {OTHER} and bulk.owed(first) == []
    assert _related(first) == _related(kept)

    # a study changed later: not a first build (lists are stored), the index stays and the
    # spreads queue the lists it enters or leaves, as in the reference
    nct = str(kept.conn.execute("SELECT min(nct_id) FROM related_lists").fetchone()[0])
    for made in (kept, first):
        with made.transaction() as db:
            related.mark_dirty(db, [nct])
            db.execute("DELETE FROM related_features WHERE nct_id = ?", (nct,))
        during.clear()
        related.refresh(made, lambda _, m=made: during.append((_indexes(m), bulk.owed(m))), 2)
        assert during and all(seen == ({OTHER}, []) for seen in during)
    assert _related(first) == _related(kept)


_FILL = """
import sys, time
from trialscope.search import related
from trialscope.store import open_store
with open_store(sys.argv[1]) as store, related._lists_stage(store, True) as first:
    print("first" if first else "not first", flush=True)
    time.sleep(600)
"""


def test_an_index_a_killed_first_build_left_aside_is_made_by_the_next_open(
    backend: Backend,
) -> None:
    where = backend.location()
    with open_store(where) as made:
        import_paths(made, [SOURCE])
        search_index.refresh(made)
    child = subprocess.Popen(
        [sys.executable, "-c", _FILL, where], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "first"
        with open_store(where) as beside:
            # the fill is alive: an open beside it leaves the index away, and a second
            # fill sets nothing aside
            assert _indexes(beside) == set()
            assert bulk.owed(beside) == [f"1 index {OTHER}"]
            with bulk.filling(beside, ("related_trials",)) as aside:
                assert not aside
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with open_store(where) as reopened:
        # (PostgreSQL may take a moment to end the killed session: a writer beside fills
        # waits for its lock, then settles)
        with bulk.beside_fills(reopened):
            assert _indexes(reopened) == {OTHER}
            assert bulk.owed(reopened) == []
        # with lists stored, a big refresh is not a first build
        related.refresh(reopened)
        with related._lists_stage(reopened, True) as first:
            assert not first and _indexes(reopened) == {OTHER}
