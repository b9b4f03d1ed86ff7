"""Related trials, computed when the search index is refreshed and stored.

A trial's features are its disease concepts (``trialscope.terminology``, found in its
conditions, its condition MeSH ids and its title), the specific ancestors of those
concepts, its interventions and its title words. Two trials are scored by the features
they share, each weighted by its rarity over the corpus (IDF); a concept also weighs by
how specific it is. A concept is *specific* (:func:`is_specific`) when it sits at
depth 2 or deeper in the vocabulary's is-a hierarchy and is not a generic heading
("Neoplasms", "Disease", "Carcinoma"): "Oncology", "Surgery", "Cancer" and "Healthy"
are not specific, and weigh nothing. A trial with specific concepts is related only to
trials sharing one of them. Ties go to the closer title, then the newer record.

The stage is crash-safe like the index: the index marks each study it (re)writes in
``related_dirty`` in the same transaction; this stage first stores each dirty study's
features, then its neighbours, each batch one transaction that also clears its claim
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never share a batch). A
study whose features changed also queues the trials that listed it and its new
neighbours (once: those do not queue further), so lists follow incremental syncs.

With ``workers`` (import, sync) and many studies queued, a batch's features and lists are
computed in forked worker processes: the parent alone reads and writes the store, so a
batch stays one transaction and a kill loses nothing; the workers read the vocabulary and
the corpus they inherited, so the lists are the ones one process would compute.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.pool import Pool
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from trialscope.criteria.vocabulary import GENERIC
from trialscope.errors import TrialscopeError
from trialscope.forkpool import fork_pool
from trialscope.search import related_cache, related_pool
from trialscope.search.related_scoring import (
    ANCESTOR,
    INTERVENTION,
    OWN,
    STORED,
    TITLE,
    Corpus,
    Neighbour,
    order_key,
)
from trialscope.search.related_spread import kept_lists, spread_targets
from trialscope.store import Store, bulk
from trialscope.store.dbapi import Connection

if TYPE_CHECKING:
    from trialscope.record import Study
    from trialscope.terminology import Terminology

__all__ = ["STORED", "Corpus", "Neighbour", "order_key"]

log = logging.getLogger("trialscope.related")

BATCH = 500
#: below this many queued studies a process pool costs more than it saves
POOL_MIN = 2000
#: trials scored per list at most: bounds a list's cost whatever the registry's size
#: (the exact search scores about N^0.6 trials per list, 206 on average at 9k, ~3,000 at
#: 500k). On the shared corpus 99.9% of lists are the exact ones and every top 5 is;
#: docs/benchmarks.md "Related trials" has the figures
BUDGET = 1000
_WORDS = re.compile(r"[a-z][a-z0-9-]{3,}")
_STOP = frozenset(
    [
        "with",
        "from",
        "into",
        "that",
        "this",
        "their",
        "versus",
        "after",
        "before",
        "during",
        "study",
        "trial",
        "patients",
        "phase",
        "randomized",
        "controlled",
        "clinical",
        "efficacy",
        "safety",
        "evaluation",
        "effect",
        "effects",
        "treatment",
        "therapy",
        "using",
        "among",
        "between",
        "open",
        "label",
    ]
)

Features = dict[str, frozenset[str]]
#: concept -> specificity, per vocabulary: a depth is an SQLite read, and every trial
#: asks for the same few thousand concepts
_SPECIFICITY: dict[tuple[int, str], float] = {}


def is_specific(vocab: Terminology, concept: str) -> bool:
    """A disease concept below the top levels (depth ≥ 2) and not a generic heading."""
    return specificity(vocab, concept) > 0


def specificity(vocab: Terminology, concept: str) -> float:
    """How much a shared concept counts before its rarity: 0 for generic ones, then
    rising with depth (Colorectal Neoplasms, depth 5, counts more than Digestive
    System Neoplasms, depth 2)."""
    key = (id(vocab), concept)
    found = _SPECIFICITY.get(key)
    if found is None:
        depth = vocab.depth(concept)
        generic = depth < 2 or vocab.name(concept).casefold() in GENERIC
        found = _SPECIFICITY[key] = 0.0 if generic else min(1.0, 0.4 + 0.15 * depth)
    return found


def features_of(study: Study, vocab: Terminology) -> Features:
    """The features of one study (see the module docstring)."""
    derived = study.derived_section
    browse = derived.condition_browse_module if derived else None
    ibrowse = derived.intervention_browse_module if derived else None
    return _features(
        [*study.conditions, study.brief_title or ""],
        [m.id for m in (browse.meshes if browse else None) or () if m.id],
        [i.name for i in study.interventions if i.name]
        + [m.term for m in (ibrowse.meshes if ibrowse else None) or () if m.term],
        study.brief_title or "",
        vocab,
    )


def features_of_json(data: bytes, vocab: Terminology) -> Features:
    """:func:`features_of` read straight from a stored v2 JSON: the few fields it needs,
    without validating the whole record (a third of the stage's time)."""
    study = orjson.loads(data)
    section = _dict(study, "protocolSection")
    derived = _dict(study, "derivedSection")
    title = _dict(section, "identificationModule").get("briefTitle")
    title = title if isinstance(title, str) else ""
    conditions = _dict(section, "conditionsModule").get("conditions")
    interventions = _dict(section, "armsInterventionsModule").get("interventions")
    return _features(
        [*_strings(conditions), title],
        _strings(_dict(derived, "conditionBrowseModule").get("meshes"), "id"),
        _strings(interventions, "name")
        + _strings(_dict(derived, "interventionBrowseModule").get("meshes"), "term"),
        title,
        vocab,
    )


def _dict(value: Any, key: str) -> dict[str, Any]:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _strings(values: Any, key: str | None = None) -> list[str]:
    if not isinstance(values, list):
        return []
    if key is not None:
        values = [v.get(key) for v in values if isinstance(v, dict)]
    return [v for v in values if isinstance(v, str) and v]


def _features(
    texts: list[str], mesh_ids: list[str], interventions: list[str], title: str, vocab: Terminology
) -> Features:
    own: set[str] = set()
    for text in texts:
        own |= {m.concept for m in vocab.find(text)}
    for mesh in mesh_ids:
        if found := vocab.from_mesh_id(mesh):
            own.add(found)
    own = {c for c in own if is_specific(vocab, c)}
    above = {a for c in own for a in vocab.ancestors(c) if is_specific(vocab, a)} - own
    words = set(_WORDS.findall(title.casefold())) - _STOP
    return {
        OWN: frozenset(own),
        ANCESTOR: frozenset(above),
        INTERVENTION: frozenset(_term(t) for t in interventions),
        TITLE: frozenset(words),
    }


def _term(text: str) -> str:
    return " ".join(text.casefold().split())


# ---- the refresh stage ------------------------------------------------------------------


#: ``related_dirty.spread``: 1 queue the trials it may enter or leave (a study whose
#: features changed, or a new one), 0 recompute its list only (queued by another's
#: spread), KEEP its features did not change and its stored list stands (a sync's status
#: or site update: at 500k a quarter of a sync's lists were these), MUST_LIST owed a list
#: before it was queued again (a spread target or a changed study whose list was not
#: stored yet), so it is computed whatever its features
KEEP, MUST_LIST = -1, 2
#: a queued row already owes its list (features stored, or queued as a spread target)
_LIST_OWED = f"related_dirty.features_done = 1 OR related_dirty.spread = {MUST_LIST}"


def _after_features(spread: int, changed: bool) -> int:
    """The spread a study queued by the index gets once its features are stored."""
    if changed:
        return int(spread > 0)
    return 0 if spread in (0, MUST_LIST) else KEEP


def mark_dirty(db: Connection, nct_ids: Sequence[str]) -> None:
    """Queue studies whose index rows were just written (call inside that transaction)."""
    db.executemany(
        "INSERT INTO related_dirty (nct_id, features_done, spread) VALUES (?, 0, 1)"
        " ON CONFLICT (nct_id) DO UPDATE SET features_done = 0,"
        f" spread = CASE WHEN {_LIST_OWED} THEN {MUST_LIST} ELSE 1 END",
        [(n,) for n in nct_ids],
    )


def pending(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM related_dirty").fetchone()[0])


def _claim(
    store: Store, db: Connection, features_done: int, after: str | None = None
) -> list[tuple[str, int]]:
    """The next batch: the first queued studies at ``features_done`` by id; with
    ``after`` (the features stage's last claimed id) those after it first, then the
    first ones from the start when fewer are left after it. A study whose features are
    stored stays queued (for its list) before the rest: read from the start every time,
    a 500k import's claims walked 250k such rows each on average."""
    lock = " FOR UPDATE SKIP LOCKED" if store.dialect == "postgres" else ""
    query = "SELECT nct_id, spread FROM related_dirty WHERE features_done = ?"
    if after is not None:
        claimed = [
            (str(r[0]), int(r[1]))
            for r in db.execute(
                f"{query} AND nct_id > ? ORDER BY nct_id LIMIT ?{lock}",
                (features_done, after, BATCH),
            )
        ]
        if len(claimed) == BATCH:
            return claimed
    return [
        (str(r[0]), int(r[1]))
        for r in db.execute(f"{query} ORDER BY nct_id LIMIT ?{lock}", (features_done, BATCH))
    ]


def _current_features(store: Store, nct_id: str, vocab: Terminology) -> Features:
    return _features_of_bytes(_study_bytes(store, nct_id), vocab)


def _study_bytes(store: Store, nct_id: str) -> bytes | None:
    try:
        return store.study_bytes(nct_id)
    except TrialscopeError:  # gone: no features
        return None


def _features_of_bytes(data: bytes | None, vocab: Terminology) -> Features:
    try:
        return features_of_json(data, vocab) if data is not None else {}
    except orjson.JSONDecodeError:  # unreadable: no features
        return {}


def _stored_features(db: Connection, nct_ids: Sequence[str]) -> dict[str, Features]:
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    marks = ",".join("?" * len(nct_ids))
    for nct, kind, value in db.execute(
        f"SELECT nct_id, kind, feature FROM related_features WHERE nct_id IN ({marks})",
        list(nct_ids),
    ):
        found[str(nct)][str(kind)].add(str(value))
    return {n: {k: frozenset(v) for k, v in kinds.items()} for n, kinds in found.items()}


def _same(a: Features | None, b: Features | None) -> bool:
    def norm(f: Features | None) -> dict[str, frozenset[str]]:
        return {k: v for k, v in (f or {}).items() if v}

    return norm(a) == norm(b)


def store_features(
    store: Store,
    vocab: Terminology,
    pool: Pool | None = None,
    kept: related_cache.Stored | None = None,
) -> int:
    """Stage 1: the features of every study queued; returns how many were stored.
    With a ``pool`` (forked after the vocabulary was loaded) its workers find them, the
    next batch's while this one is written (:mod:`trialscope.search.related_pool`).
    ``kept`` is given each batch's features once committed, for the corpus after."""
    done = 0
    ahead: related_pool.FeaturesAhead | None = None
    after: str | None = None
    while True:
        with store.transaction() as db:
            claimed = _claim(store, db, 0, after)
            if not claimed:
                return done
            ids = [n for n, _ in claimed]
            after = ids[-1]
            old = _stored_features(db, ids)
            if pool is None:
                new = {n: _features_of_bytes(_study_bytes(store, n), vocab) for n in ids}
            else:
                new = related_pool.features(db, pool, ids, ahead)
                ahead = related_pool.features_ahead(db, pool, ids[-1], BATCH)
            marks = ",".join("?" * len(ids))
            db.execute(f"DELETE FROM related_features WHERE nct_id IN ({marks})", ids)
            db.executemany(
                "INSERT INTO related_features (nct_id, kind, feature) VALUES (?, ?, ?)",
                [(n, k, v) for n, f in new.items() for k, vs in f.items() for v in sorted(vs)],
            )
            changed = {n for n in ids if not _same(old.get(n), new[n])}
            # unchanged features leave the neighbours' lists as they are
            db.executemany(
                "UPDATE related_dirty SET features_done = 1, spread = ? WHERE nct_id = ?",
                [(_after_features(spread, n in changed), n) for n, spread in claimed],
            )
            _log_changes(db, sorted(changed))
        if kept is not None:
            kept.add(new, bool(changed))  # _log_changes bumped the generation iff any
        done += len(claimed)


def _log_changes(db: Connection, nct_ids: list[str]) -> None:
    """Stamp studies whose features changed with the next generation, for a corpus kept
    in a file (:mod:`trialscope.search.related_cache`). Last in the transaction: the
    generation's row lock then orders the batches' commits, as the index's does."""
    if not nct_ids:
        return
    generation = db.execute(
        "UPDATE related_state SET generation = generation + 1 RETURNING generation"
    ).fetchone()[0]
    db.executemany(
        "INSERT INTO related_log (nct_id, seq) VALUES (?, ?)"
        " ON CONFLICT (nct_id) DO UPDATE SET seq = excluded.seq",
        [(n, generation) for n in nct_ids],
    )


def load_corpus(
    store: Store,
    vocab: Terminology,
    extra: Iterable[tuple[str, str, str]] = (),
    cache: Path | bool = True,
    kept: related_cache.Stored | None = None,
) -> Corpus:
    """Every stored study's features as a :class:`Corpus` (``extra`` rows added after the
    stored ones). ``cache``: True reads (and keeps) the corpus file beside the store
    (:mod:`trialscope.search.related_cache`: the same corpus, patched with what changed
    since), a path that file elsewhere, False reads every row from the store. ``kept``:
    the features this refresh stored, read instead of the store's when they are all of
    them (:class:`related_cache.Stored`)."""
    rows: Iterable[tuple[str, str, str]] = ()
    if cache is not False and not extra:
        path = None if cache is True else cache
        tables = related_cache.load_tables(store, path, kept)
        return Corpus.from_tables(tables, lambda c: specificity(vocab, c), budget=BUDGET)
    rows = store.conn.execute("SELECT nct_id, kind, feature FROM related_features")
    updated = {
        str(n): str(u or "")
        for n, u in store.conn.execute("SELECT nct_id, last_update FROM search_docs")
    }
    # the rows as the driver gives them (text columns are str on both backends): a
    # conversion per value was a tenth of the load's CPU (60k: 1.32 -> 1.19 s)
    return Corpus(
        itertools.chain(rows, extra),
        updated,
        lambda c: specificity(vocab, c),
        budget=BUDGET,
    )


def store_neighbours(
    store: Store,
    corpus: Corpus,
    on_progress: Progress | None = None,
    pool: Pool | None = None,
    first: bool = False,
) -> int:
    """Stage 2: the neighbours of every study queued; returns how many lists were stored.
    With a ``pool`` (forked after ``corpus`` was made :data:`related_pool.SHARED`) its
    workers compute the lists, the next batch's while this one is written. ``first``: no
    list was stored before this refresh and none is stored beside it (:func:`_lists_stage`),
    so no spread is looked up: every stored list is one computed here from this corpus,
    and a study without one is still queued."""
    done = stored = 0
    ahead: related_pool.ListsAhead | None = None
    computed: set[str] = set()
    while True:
        with store.transaction() as db:
            claimed = _claim(store, db, 1)
            if not claimed:
                return stored
            handled = [n for n, _ in claimed]
            kept = kept_lists(db, [n for n, spread in claimed if spread == KEEP])
            ids = [n for n in handled if n not in kept]
            if pool is None:
                lists = {n: corpus.neighbours(n) for n in ids}
            else:
                lists = related_pool.lists(pool, ids, ahead)
                ahead = related_pool.lists_ahead(db, pool, handled[-1], BATCH)
            queued: set[str] = set()
            if not first:
                spreaders = [n for n, spread in claimed if spread > 0]
                done_now = computed | set(ids)
                queued = spread_targets(db, corpus, spreaders, lists, done_now) - done_now
            marks = ",".join("?" * len(ids)) or "NULL"
            db.execute(f"DELETE FROM related_trials WHERE nct_id IN ({marks})", ids)
            db.execute(f"DELETE FROM related_lists WHERE nct_id IN ({marks})", ids)
            db.executemany(
                "INSERT INTO related_trials (nct_id, rank, other, score, title_similarity)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (n, rank, x.nct_id, x.score, x.title_similarity)
                    for n, found in lists.items()
                    for rank, x in enumerate(found)
                ],
            )
            db.executemany(
                "INSERT INTO related_lists (nct_id, neighbours) VALUES (?, ?)",
                [(n, len(found)) for n, found in lists.items()],
            )
            every = ",".join("?" * len(handled))
            db.execute(f"DELETE FROM related_dirty WHERE nct_id IN ({every})", handled)
            # a kept study that another's spread reaches is computed after all
            db.executemany(
                "INSERT INTO related_dirty (nct_id, features_done, spread) VALUES (?, 1, 0)"
                " ON CONFLICT (nct_id) DO NOTHING",
                [(n,) for n in sorted(queued)],
            )
        computed.update(ids)
        stored += len(ids)
        done += len(handled)
        if on_progress:
            on_progress(done)


Progress = Callable[[int], None]


def refresh(
    store: Store,
    on_progress: Progress | None = None,
    workers: int = 1,
    seconds: dict[str, float] | None = None,
    after_features: Callable[[], None] | None = None,
) -> int:
    """Bring every queued study's related trials up to date; returns how many lists were
    stored. Nothing queued costs one read. ``workers`` > 1 finds features and lists in
    that many forked processes when at least :data:`POOL_MIN` studies are queued (the
    lists are the same: each is computed from the same corpus). ``seconds`` gets the
    wall time of each part (features, corpus, lists) and the lists stored.
    ``after_features`` runs once the features are stored, before the corpus is loaded
    and the list workers start (the import waits there for the top-k replay beside)."""
    if pending(store) == 0:
        return 0
    from trialscope.criteria.vocabulary import terminology

    timed = seconds if seconds is not None else {}
    started = time.perf_counter()
    vocab = terminology()
    pooled = workers > 1 and pending(store) >= POOL_MIN
    # a first build keeps the features it stores, so its corpus is not read back
    kept = related_cache.Stored.begin(store.conn)
    with fork_pool(workers if pooled else 0) as pool:
        store_features(store, vocab, pool, kept)
    timed["related_features"] = time.perf_counter() - started
    if after_features is not None:
        started = time.perf_counter()
        after_features()
        timed["related_waited"] = time.perf_counter() - started
    started = time.perf_counter()
    corpus = load_corpus(store, vocab, kept=kept)
    timed["related_kept"] = float(kept is not None and kept.used)
    del kept  # its arrays, when the store's rows were read instead
    timed["related_corpus"] = time.perf_counter() - started
    started = time.perf_counter()
    related_pool.SHARED = corpus  # the list workers forked next read it (copy-on-write)
    try:
        with _lists_stage(store, pooled) as first, fork_pool(workers if pooled else 0) as pool:
            done = store_neighbours(store, corpus, on_progress, pool, first)
    finally:
        related_pool.SHARED = None
    timed["related_lists"] = time.perf_counter() - started
    timed["related_lists_stored"] = done
    return done


@contextlib.contextmanager
def _lists_stage(store: Store, big: bool) -> Iterator[bool]:
    """Around the lists stage; yields whether it is a first build. A big one that finds no
    stored list (at import) fills ``related_trials`` with its index on ``other`` (read
    only by spreads) set aside and made once at the end (:mod:`trialscope.store.bulk`: a
    kill leaves it owed to the next open), and looks up no spread. Any other waits for a
    live first build to end and keeps one from starting while it stores lists (a spread
    reads that index, and lists stored beside a first build would go unseen by it)."""
    none_stored = "SELECT NOT EXISTS (SELECT 1 FROM related_lists)"
    if big:
        when = lambda: bool(store.conn.execute(none_stored).fetchone()[0])  # noqa: E731
        with bulk.filling(store, ("related_trials",), when=when) as first:
            if first:
                yield True
                return
    with bulk.beside_fills(store):
        yield False


# ---- reading ----------------------------------------------------------------------------


def stored(db: Connection, nct_id: str, k: int) -> list[tuple[str, float]] | None:
    """The stored neighbours of ``nct_id`` (None when its list was never computed)."""
    if db.execute("SELECT 1 FROM related_lists WHERE nct_id = ?", (nct_id,)).fetchone() is None:
        return None
    return [
        (str(r[0]), float(r[1]))
        for r in db.execute(
            "SELECT other, score FROM related_trials WHERE nct_id = ? ORDER BY rank LIMIT ?",
            (nct_id, k),
        )
    ]


def compute_one(store: Store, nct_id: str, k: int) -> list[tuple[str, float]]:
    """Neighbours computed now, for a trial whose list is missing (logged: it should not
    happen after a refresh)."""
    log.info("related trials of %s were not stored: computing them now", nct_id)
    from trialscope.criteria.vocabulary import terminology

    vocab = terminology()
    corpus = load_corpus(store, vocab)
    if nct_id not in corpus:
        mine = _current_features(store, nct_id, vocab)
        rows = [(nct_id, kind, v) for kind, values in mine.items() for v in sorted(values)]
        corpus = load_corpus(store, vocab, rows)
    return [(n.nct_id, n.score) for n in corpus.neighbours(nct_id, k)]
