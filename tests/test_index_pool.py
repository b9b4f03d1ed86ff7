"""The search index refreshed with its rows built in worker processes (``index_pool``)
writes exactly what one process writes, also when a study changes after its row was
built ahead, and a pooled refresh killed midway is finished by the next one; the top-k
index's replay beside the related trials ends where a replay after them ends."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import CTGOV, Backend, derived_state, needs_corpus
from trialscope.importer import import_paths
from trialscope.search import index as search_index
from trialscope.search import index_pool, related
from trialscope.search.tantivy_index import top_index
from trialscope.service import index as service_index
from trialscope.store import IncomingVersion, Outcome, Store
from trialscope.store.fingerprint import content_hash

pytestmark = needs_corpus
SOURCE = CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz"
INDEX_PARTS = ("docs", "text", "cards", "places", "sites", "terms", "log", "dirty")


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as made:
        import_paths(made, [SOURCE])  # one process: criteria, views, no index yet
        yield made


def _index_state(location: str) -> dict[str, Any]:
    found = derived_state(location)
    return {part: found[part] for part in INDEX_PARTS}


def _requeue(store: Store) -> None:
    """Every study waiting for the index again, with no index rows (as after storing)."""
    with store.transaction() as db:
        if store.dialect == "sqlite":
            db.execute("DELETE FROM search_fts")
        for table in ("search_cards", "search_places", "search_sites", "search_terms"):
            db.execute(f"DELETE FROM {table}")
        for table in ("search_docs", "search_log", "search_dirty"):
            db.execute(f"DELETE FROM {table}")
        db.execute("INSERT INTO search_dirty (nct_id) SELECT nct_id FROM studies")


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small batches and the pool whatever the count, so a refresh reads ahead often."""
    monkeypatch.setattr(search_index, "POOL_MIN", 1)
    monkeypatch.setattr(search_index, "BATCH", 40)
    monkeypatch.setattr(index_pool, "PART", 7)


def _location(backend: Backend, store: Store) -> str:
    return str(getattr(store, "url", store.location))


@pytest.mark.usefixtures("pooled")
def test_pooled_rows_equal_one_process_rows(backend: Backend, store: Store) -> None:
    where = _location(backend, store)
    studies = store.count_studies()
    assert search_index.refresh(store) == studies  # one process
    alone = _index_state(where)
    _requeue(store)
    assert search_index.refresh(store, workers=2) == studies
    assert _index_state(where) == alone


def _retitled(store: Store, nct_id: str) -> IncomingVersion:
    study = copy.deepcopy(store.study_json(nct_id))
    ident = study["protocolSection"]["identificationModule"]
    ident["briefTitle"] = "Zyxwvut retitled " + str(ident.get("briefTitle"))
    status = study["protocolSection"].setdefault("statusModule", {})
    status["lastUpdatePostDateStruct"] = {"date": "2030-01-01", "type": "ACTUAL"}
    return IncomingVersion.build(
        nct_id=nct_id,
        data=orjson.dumps(study),
        content_hash=content_hash(study),
        source="test",
        source_format="ctgov_v2",
        last_update_post_date=status.get("lastUpdatePostDateStruct", {}).get("date"),
        overall_status=status.get("overallStatus"),
    )


@pytest.mark.usefixtures("pooled")
def test_a_study_changed_after_its_row_was_built_ahead_is_built_again(
    backend: Backend, store: Store
) -> None:
    """The first batch's transaction sends the next batch to be built; a new version of
    one of those stored before the next claim must be what the index holds."""
    queued = [str(r[0]) for r in store.conn.execute("SELECT nct_id FROM search_dirty LIMIT 80")]
    target = queued[60]  # in the second batch of 40: read ahead during the first
    changed = []

    def after_batch(done: int) -> None:
        if not changed:
            changed.append(store.write_batch([_retitled(store, target)]))

    search_index.refresh(store, after_batch, workers=2)
    assert changed == [[Outcome.CHANGED]]
    title = store.conn.execute(
        "SELECT card FROM search_cards c JOIN search_docs d ON d.rowid = c.rowid"
        " WHERE d.nct_id = ?",
        (target,),
    ).fetchone()[0]
    assert "Zyxwvut retitled" in title
    # and the whole index is what one process makes of the store as it is now
    where = _location(backend, store)
    pooled_state = _index_state(where)
    _requeue(store)
    search_index.refresh(store)
    assert _index_state(where) == pooled_state


@pytest.mark.usefixtures("pooled")
def test_a_pooled_refresh_killed_midway_is_finished_by_the_next(
    backend: Backend, store: Store
) -> None:
    where = _location(backend, store)
    search_index.refresh(store)
    whole = _index_state(where)
    _requeue(store)

    def killed(done: int) -> None:
        if done >= 80:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        search_index.refresh(store, killed, workers=2)
    written = store.conn.execute("SELECT count(*) FROM search_docs").fetchone()[0]
    assert written == 80  # two batches committed, the one read ahead is not
    search_index.refresh(store, workers=2)
    assert _index_state(where) == whole


def test_the_top_k_replay_beside_related_trials_ends_as_after_them(
    backend: Backend, store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRIALSCOPE_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("TRIALSCOPE_SEARCH_ENGINE", "tantivy")
    monkeypatch.setattr(related, "POOL_MIN", 1)
    beside: list[bool] = []
    real = service_index._replay_beside

    def spied(opened: Store) -> Any:
        beside.append(True)
        return real(opened)

    monkeypatch.setattr(service_index, "_replay_beside", spied)
    service_index.refresh_index(store, workers=2)
    assert beside, "the replay ran beside the related trials"
    top = top_index(store)
    assert top is not None
    _, searcher, _ = top.searcher(store)
    assert searcher.num_docs == store.count_studies()
    assert top.watermark == int(
        store.conn.execute("SELECT generation FROM search_state").fetchone()[0]
    )


def test_the_top_k_replay_beside_is_waited_for_before_the_related_lists(
    backend: Backend, store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the replay is the stage's largest process: beside the list workers the peaks added
    # up (docs/benchmarks.md, seventh session), so the lists start once it is done
    monkeypatch.setenv("TRIALSCOPE_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("TRIALSCOPE_SEARCH_ENGINE", "tantivy")
    monkeypatch.setattr(related, "POOL_MIN", 1)
    at_lists: list[int | None] = []
    real = related.store_neighbours

    def spied(opened: Store, *args: Any, **kwargs: Any) -> int:
        top = top_index(opened)
        assert top is not None
        state = top._read_state()  # what the replay beside committed
        at_lists.append(None if state is None else state.watermark)
        return real(opened, *args, **kwargs)

    monkeypatch.setattr(related, "store_neighbours", spied)
    seconds: dict[str, float] = {}
    service_index.refresh_index(store, workers=2, seconds=seconds)
    generation = int(store.conn.execute("SELECT generation FROM search_state").fetchone()[0])
    assert at_lists == [generation]
    assert "related_waited" in seconds
