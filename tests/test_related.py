"""Related trials: stored when the index is refreshed, related by specific disease
concepts, ordered by score, then title similarity, then recency; on both backends."""

from __future__ import annotations

import gzip
import itertools
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CTGOV, FIXTURES, Backend, needs_corpus
from trialscope.criteria.vocabulary import terminology
from trialscope.importer import import_paths
from trialscope.search import SearchEngine
from trialscope.search import related as related_stage
from trialscope.service import refresh_index
from trialscope.store import Store
from trialscope.terminology import Terminology

pytestmark = needs_corpus

#: the unrelated trials the old method listed: olanzapine for chemotherapy vomiting and an
#: adolescent depression app (shared "Oncology"), strabismus surgery (shared "Surgery")
UNRELATED = {
    "NCT06934018": {"NCT03118986", "NCT05351866", "NCT06381531"},
    "NCT04416854": {"NCT00461656"},
}
LEGACY = CTGOV / "legacy_xml" / "reesewang25__enrollment_and_studylength.jsonl.gz"


def corpus_files(folder: Path) -> list[Path]:
    # 600 legacy records (many colon cancer trials of the 1990s) and the strabismus one
    chosen = folder / "legacy_subset.jsonl"
    with gzip.open(LEGACY, "rt", encoding="utf-8") as lines, chosen.open("w") as out:
        for number, line in enumerate(lines, 1):
            if number <= 600 or '"NCT00461656"' in line or "NCT00461656<" in line:
                out.write(line)
    return [
        CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz",
        CTGOV / "v2" / "UserZetsu__dtx-analysis.jsonl.gz",
        chosen,
        FIXTURES / "seed_trials.v2.jsonl",
        FIXTURES / "NCT04416854.2026.v2.json",
    ]


@pytest.fixture(scope="module")
def corpus(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with backend.open() as store:
        import_paths(store, corpus_files(tmp_path_factory.mktemp("related")))
        refresh_index(store)
        yield store


def lists(store: Store) -> dict[str, list[tuple[str, float, float]]]:
    found: dict[str, list[tuple[str, float, float]]] = {}
    for nct, other, score, similarity in store.conn.execute(
        "SELECT nct_id, other, score, title_similarity FROM related_trials ORDER BY nct_id, rank"
    ):
        found.setdefault(str(nct), []).append((str(other), float(score), float(similarity)))
    return found


def closure(store: Store, nct_id: str) -> set[str]:
    return {
        str(r[0])
        for r in store.conn.execute(
            "SELECT feature FROM related_features WHERE nct_id = ? AND kind IN ('c', 'a')",
            (nct_id,),
        )
    }


@pytest.mark.parametrize("nct_id", sorted(UNRELATED))
def test_seed_trials_get_only_related_trials(corpus: Store, nct_id: str) -> None:
    assert {"NCT00461656", "NCT03118986"} <= {  # the unrelated trials are there to be found
        str(r[0]) for r in corpus.conn.execute("SELECT nct_id FROM search_docs")
    }
    hits = SearchEngine(corpus).related(nct_id, k=10)
    assert len(hits) == 10
    assert not {h.nct_id for h in hits} & UNRELATED[nct_id]
    mine = closure(corpus, nct_id)
    for hit in hits:
        text = f"{hit.brief_title} {' '.join(hit.conditions)}".casefold()
        assert not any(w in text for w in ("olanzapine", "depressi", "strabismus")), hit
        assert mine & closure(corpus, hit.nct_id), hit  # a shared specific concept


def test_ties_go_to_title_similarity_then_recency(corpus: Store) -> None:
    updated = {
        str(n): str(u or "")
        for n, u in corpus.conn.execute("SELECT nct_id, last_update FROM search_docs")
    }
    ties = 0
    for found in lists(corpus).values():
        for (a, score_a, sim_a), (b, score_b, sim_b) in itertools.pairwise(found):
            assert score_a >= score_b
            if score_a == score_b:
                ties += 1
                assert sim_a >= sim_b
                if sim_a == sim_b:  # newer first, then by id
                    assert updated[a] > updated[b] or (updated[a] == updated[b] and a < b)
    assert ties > 0  # the corpus has tied lists, so the order was really checked


def test_every_study_has_a_stored_list_and_nothing_is_queued(corpus: Store) -> None:
    assert_complete(corpus)


def assert_complete(corpus: Store) -> None:
    docs = int(corpus.conn.execute("SELECT count(*) FROM search_docs").fetchone()[0])
    assert related_stage.pending(corpus) == 0
    assert int(corpus.conn.execute("SELECT count(*) FROM related_lists").fetchone()[0]) == docs
    duplicated = corpus.conn.execute(
        "SELECT count(*) FROM (SELECT nct_id, other FROM related_trials"
        " GROUP BY nct_id, other HAVING count(*) > 1) AS d"
    ).fetchone()[0]
    assert duplicated == 0


def test_a_page_visit_reads_the_stored_list(
    corpus: Store, caplog: pytest.LogCaptureFixture
) -> None:
    engine = SearchEngine(corpus)
    stored = [n for n, _ in related_stage.stored(corpus.conn, "NCT04416854", 5) or []]
    with caplog.at_level(logging.INFO, logger="trialscope.related"):
        assert [h.nct_id for h in engine.related("NCT04416854")] == stored
    assert "computing them now" not in caplog.text
    # a missing list is computed (the same one), and the log says so
    with corpus.transaction() as db:
        db.execute("DELETE FROM related_lists WHERE nct_id = ?", ("NCT04416854",))
    try:
        with caplog.at_level(logging.INFO, logger="trialscope.related"):
            assert [h.nct_id for h in engine.related("NCT04416854")] == stored
        assert "related trials of NCT04416854 were not stored" in caplog.text
    finally:
        with corpus.transaction() as db:
            db.execute("INSERT INTO related_lists (nct_id, neighbours) VALUES (?, 10)",
                       ("NCT04416854",))  # fmt: skip


def test_a_changed_study_requeues_its_neighbours(corpus: Store) -> None:
    listers = {n for n, found in lists(corpus).items() if "NCT04416854" in {o for o, *_ in found}}
    assert listers
    with corpus.transaction() as db:  # as if its conditions had changed
        db.execute("DELETE FROM related_features WHERE nct_id = ?", ("NCT04416854",))
        related_stage.mark_dirty(db, ["NCT04416854"])
    related_stage.store_features(corpus, related_stage_vocab())
    queued = {str(r[0]) for r in corpus.conn.execute("SELECT nct_id FROM related_dirty")}
    assert queued == {"NCT04416854"}
    corpus_view = related_stage.load_corpus(corpus, related_stage_vocab())
    related_stage.store_neighbours(corpus, corpus_view)
    assert related_stage.pending(corpus) == 0
    # its listers and new neighbours were recomputed once, without queueing further
    assert_complete(corpus)


def test_a_stage_stopped_midway_loses_and_duplicates_nothing(corpus: Store) -> None:
    before = lists(corpus)
    with corpus.transaction() as db:
        db.execute(
            "INSERT INTO related_dirty (nct_id, features_done, spread)"
            " SELECT nct_id, 0, 0 FROM search_docs"
        )
    vocab = related_stage_vocab()
    related_stage.store_features(corpus, vocab)
    view = related_stage.load_corpus(corpus, vocab)
    calls = itertools.count()
    real = view.neighbours

    def failing(nct_id: str, k: int = related_stage.STORED) -> list[related_stage.Neighbour]:
        if next(calls) == related_stage.BATCH + 7:  # inside the second batch
            raise KeyboardInterrupt
        return real(nct_id, k)

    view.neighbours = failing  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        related_stage.store_neighbours(corpus, view)
    assert 0 < related_stage.pending(corpus) < len(before)
    related_stage.refresh(corpus)
    assert lists(corpus) == before
    assert_complete(corpus)


def features(store: Store) -> list[tuple[str, str, str]]:
    return [
        (str(n), str(k), str(v))
        for n, k, v in store.conn.execute(
            "SELECT nct_id, kind, feature FROM related_features ORDER BY nct_id, kind, feature"
        )
    ]


def test_the_worker_pool_stores_the_same_features_and_lists(
    corpus: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, stored_before = lists(corpus), features(corpus)
    with corpus.transaction() as db:  # everything queued again, features forgotten
        db.execute("DELETE FROM related_features")
        db.execute(
            "INSERT INTO related_dirty (nct_id, features_done, spread)"
            " SELECT nct_id, 0, 1 FROM search_docs WHERE true ON CONFLICT (nct_id) DO NOTHING"
        )
    monkeypatch.setattr(related_stage, "POOL_MIN", 10)
    pooled: list[object] = []
    real_store_neighbours = related_stage.store_neighbours

    def watching(*args: object, **kwargs: object) -> int:
        pooled.append(args[3] if len(args) > 3 else kwargs.get("pool"))
        return real_store_neighbours(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(related_stage, "store_neighbours", watching)
    assert related_stage.refresh(corpus, workers=2) >= len(before)
    assert pooled and pooled[0] is not None  # the lists really came from the pool
    assert features(corpus) == stored_before
    assert lists(corpus) == before
    assert_complete(corpus)


def test_the_corpus_lists_with_the_budget_are_the_exact_ones_nearly_all(
    corpus: Store,
) -> None:
    vocab = terminology()
    budgeted = related_stage.load_corpus(corpus, vocab)
    assert budgeted.budget == related_stage.BUDGET
    exact = related_stage.load_corpus(corpus, vocab)
    exact.budget = None
    ids = exact.ids
    same = sum(1 for n in ids if budgeted.neighbours(n) == exact.neighbours(n))
    assert same >= 0.99 * len(ids)
    top5 = sum(1 for n in ids if budgeted.neighbours(n)[:5] == exact.neighbours(n)[:5])
    assert top5 >= 0.99 * len(ids)


def test_a_standing_is_the_score_the_search_gives(corpus: Store) -> None:
    view = related_stage.load_corpus(corpus, terminology())
    for nct in view.ids[::7]:
        for found in view.neighbours(nct):
            assert view.standing(nct, found.nct_id) == found
    assert view.standing("NCT04416854", "NCT00461656") is None  # strabismus: no concept


def related_stage_vocab() -> Terminology:
    return terminology()
