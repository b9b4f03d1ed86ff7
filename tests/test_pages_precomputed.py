"""A trial page reads what import and refresh computed ahead, and computes none of it on a
visit: no criteria parse, no related-trials list, no index refresh, not even on the first
visit of a page whose parse is stale, whose list is missing or while a sync has studies
queued for the index (issue 13: at 500k a parse costs tens of ms and a related list
seconds). Real store, real app; the parser and the related scoring are wrapped only to
count their calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import Backend, needs_corpus
from tests.webapp import SEED, TestClient, build_db, client_for
from trialscope.criteria import parser as criteria_parser
from trialscope.criteria import store as criteria_store
from trialscope.search import related
from trialscope.search.related_scoring import Corpus
from trialscope.store import open_store

pytestmark = needs_corpus

#: every view of one trial the seeds show, as HTML and through the API
PAGES = (
    "/trials/{}",
    "/trials/{}/patient",
    "/trials/{}.md",
    "/api/v2/studies/{}/plain",
    "/api/v2/studies/{}?format=md",
    "/api/v2/studies/{}",
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> str:
    return build_db(tmp_path_factory.mktemp("ahead"), backend)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How many times the parser and the related scoring ran."""
    counted: dict[str, int] = {"parse": 0, "related": 0}

    def counting(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return real(*args, **kwargs)

        return wrapper

    # both names a parse goes through (the store module imported the function)
    monkeypatch.setattr(
        criteria_parser, "parse_criteria", counting("parse", criteria_parser.parse_criteria)
    )
    monkeypatch.setattr(
        criteria_store, "parse_criteria", counting("parse", criteria_store.parse_criteria)
    )
    monkeypatch.setattr(related, "load_corpus", counting("related", related.load_corpus))
    monkeypatch.setattr(related, "refresh", counting("related", related.refresh))
    monkeypatch.setattr(Corpus, "neighbours", counting("related", Corpus.neighbours))
    yield counted


def _others(db: str, count: int) -> list[str]:
    with open_store(db) as store:
        return [
            str(r[0])
            for r in store.conn.execute(
                "SELECT nct_id FROM studies WHERE nct_id <> ? ORDER BY nct_id LIMIT ?",
                (SEED, count),
            )
        ]


def _visit_all(client: TestClient, ids: list[str]) -> None:
    for nct in ids:
        for page in PAGES:
            response = client.get(page.format(nct))
            assert response.status_code == 200, (page.format(nct), response.text[:300])


def test_first_visits_of_every_page_kind_compute_nothing(db: str, calls: dict[str, int]) -> None:
    ids = [SEED, *_others(db, 12)]
    # a new process: nothing cached, every visit below is that page's first
    with client_for(db) as client:
        _visit_all(client, ids)
    assert calls == {"parse": 0, "related": 0}


def test_a_stale_parse_a_missing_list_and_a_queued_index_are_left_to_the_refresh(
    db: str, calls: dict[str, int]
) -> None:
    with open_store(db) as store, store.transaction() as conn:
        # the parser changed since this parse was stored
        conn.execute(
            "UPDATE criteria_parses SET parse_key = 'an older parser' WHERE nct_id = ?", (SEED,)
        )
        # the refresh that stores this list has not run yet
        conn.execute("DELETE FROM related_trials WHERE nct_id = ?", (SEED,))
        conn.execute("DELETE FROM related_lists WHERE nct_id = ?", (SEED,))
        # a sync stored a new version and queued it for the index (and its related trials)
        conn.execute("INSERT INTO search_dirty (nct_id) VALUES (?)", (SEED,))
    with open_store(db) as store:
        assert store.conn.execute("SELECT count(*) FROM search_dirty").fetchone()[0] == 1
    with client_for(db) as client:
        _visit_all(client, [SEED])
        page = client.get(f"/trials/{SEED}").text
        patient = client.get(f"/trials/{SEED}/patient").text
    assert calls == {"parse": 0, "related": 0}
    # the pages still show the record: its criteria (split at their headers) and the older
    # parse's plain sentences; no related trials until the refresh stores them
    assert "Inclusion criteria" in page and "Inclusion criteria" in patient
    assert "No related trials found" in page.split('id="h-related"', 1)[1]
    with open_store(db) as store:
        queued = store.conn.execute("SELECT count(*) FROM search_dirty").fetchone()[0]
        listed = store.conn.execute(
            "SELECT count(*) FROM related_lists WHERE nct_id = ?", (SEED,)
        ).fetchone()[0]
    # nothing was refreshed nor written by the visits
    assert (queued, listed) == (1, 0)
