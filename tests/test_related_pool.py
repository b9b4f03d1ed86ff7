"""The related trials' worker pool (``related_pool``) computes the next batch's features
while a batch is written: a study that gets a new version between that read-ahead and
its claim must have the new version's features stored, and every study's stored features
must be those of its current version (both backends)."""

from __future__ import annotations

import contextlib
import copy
from collections import defaultdict
from collections.abc import Iterator

import orjson
import pytest

from tests.conftest import CTGOV, Backend, needs_corpus
from trialscope.criteria.vocabulary import terminology
from trialscope.forkpool import fork_pool
from trialscope.importer import import_paths
from trialscope.search import index as search_index
from trialscope.search import related, related_pool
from trialscope.store import IncomingVersion, Outcome, Store
from trialscope.store.fingerprint import content_hash

pytestmark = needs_corpus
SOURCE = CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz"


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as made:
        import_paths(made, [SOURCE])
        search_index.refresh(made)  # queues every study's related trials
        yield made


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
        last_update_post_date="2030-01-01",
        overall_status=status.get("overallStatus"),
    )


def _stored(store: Store) -> dict[str, dict[str, frozenset[str]]]:
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for nct, kind, value in store.conn.execute(
        "SELECT nct_id, kind, feature FROM related_features"
    ):
        found[str(nct)][str(kind)].add(str(value))
    return {n: {k: frozenset(v) for k, v in kinds.items()} for n, kinds in found.items()}


def test_features_read_ahead_of_a_study_changed_before_its_claim_are_made_again(
    backend: Backend, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(related, "BATCH", 40)
    monkeypatch.setattr(related_pool, "PART", 7)
    queued = [
        str(r[0])
        for r in store.conn.execute("SELECT nct_id FROM related_dirty ORDER BY nct_id LIMIT 80")
    ]
    target = queued[60]  # in the second batch of 40: read ahead during the first
    opened = store.transaction
    changed: list[list[Outcome]] = []
    calls = []

    @contextlib.contextmanager
    def transaction() -> Iterator[object]:
        calls.append(1)
        if len(calls) == 2 and not changed:  # the second batch's, after the first's commit
            changed.append(store.write_batch([_retitled(store, target)]))
        with opened() as db:
            yield db

    monkeypatch.setattr(store, "transaction", transaction)
    vocab = terminology()
    with fork_pool(2) as pool:
        assert pool is not None
        done = related.store_features(store, vocab, pool)
    assert done >= len(queued)
    assert changed == [[Outcome.CHANGED]]
    stored = _stored(store)
    assert "zyxwvut" in stored[target][related.TITLE]
    # every study's features are its current version's, as one process finds them
    for nct in [str(r[0]) for r in store.conn.execute("SELECT nct_id FROM related_dirty")]:
        expected = {
            k: v for k, v in related.features_of_json(store.study_bytes(nct), vocab).items() if v
        }
        assert stored.get(nct, {}) == expected, nct
