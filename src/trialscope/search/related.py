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
"""

from __future__ import annotations

import heapq
import logging
import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trialscope.criteria.vocabulary import GENERIC
from trialscope.errors import TrialscopeError
from trialscope.record import Study
from trialscope.store import Store
from trialscope.store.dbapi import Connection

if TYPE_CHECKING:
    from trialscope.terminology import Terminology

log = logging.getLogger("trialscope.related")

#: neighbours stored per trial (pages show 5; the CLI and API may ask for up to this)
STORED = 10
BATCH = 500
#: at most this many trials that listed a changed study are queued again
SPREAD_LIMIT = 50
#: title words in more than this share of trials say nothing (study, patients, trial)
COMMON_WORD = 0.05
#: weight of a shared concept by kind: own concept, or only a shared ancestor
OWN, ANCESTOR, INTERVENTION, TITLE = "c", "a", "i", "t"
KIND_WEIGHT = {OWN: 1.0, ANCESTOR: 0.4, INTERVENTION: 0.6}
TITLE_WEIGHT = 3.0
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


def is_specific(vocab: Terminology, concept: str) -> bool:
    """A disease concept below the top levels (depth ≥ 2) and not a generic heading."""
    return vocab.depth(concept) >= 2 and vocab.name(concept).casefold() not in GENERIC


def specificity(vocab: Terminology, concept: str) -> float:
    """How much a shared concept counts before its rarity: 0 for generic ones, then
    rising with depth (Colorectal Neoplasms, depth 5, counts more than Digestive
    System Neoplasms, depth 2)."""
    if not is_specific(vocab, concept):
        return 0.0
    return min(1.0, 0.4 + 0.15 * vocab.depth(concept))


def features_of(study: Study, vocab: Terminology) -> Features:
    """The features of one study (see the module docstring)."""
    own: set[str] = set()
    for text in [*study.conditions, study.brief_title or ""]:
        own |= {m.concept for m in vocab.find(text)}
    derived = study.derived_section
    browse = derived.condition_browse_module if derived else None
    for mesh in (browse.meshes if browse else None) or ():
        if mesh.id and (found := vocab.from_mesh_id(mesh.id)):
            own.add(found)
    own = {c for c in own if is_specific(vocab, c)}
    above = {a for c in own for a in vocab.ancestors(c) if is_specific(vocab, a)} - own
    interventions = {_term(i.name) for i in study.interventions if i.name}
    ibrowse = derived.intervention_browse_module if derived else None
    interventions |= {_term(m.term) for m in (ibrowse.meshes if ibrowse else None) or () if m.term}
    words = set(_WORDS.findall((study.brief_title or "").casefold())) - _STOP
    return {
        OWN: frozenset(own),
        ANCESTOR: frozenset(above),
        INTERVENTION: frozenset(interventions),
        TITLE: frozenset(words),
    }


def _term(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class Neighbour:
    nct_id: str
    score: float
    title_similarity: float
    last_update: str


@dataclass
class Corpus:
    """Every trial's features, inverted, with the statistics scores need."""

    features: dict[str, Features]
    last_update: dict[str, str]
    specificity: Callable[[str], float]
    postings: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    _idf: dict[tuple[str, str], float] = field(default_factory=dict)
    _title_norm: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        postings: dict[tuple[str, str], list[str]] = defaultdict(list)
        for nct, kinds in self.features.items():
            for kind, values in kinds.items():
                for value in values:
                    postings[(kind, value)].append(nct)
        self.postings = dict(postings)
        total = len(self.features)
        self._idf = {key: math.log(1 + total / len(found)) for key, found in postings.items()}
        self._title_norm = {
            nct: math.sqrt(sum(self._idf[(TITLE, w)] ** 2 for w in kinds.get(TITLE, ()))) or 1.0
            for nct, kinds in self.features.items()
        }

    def idf(self, kind: str, value: str) -> float:
        return self._idf.get((kind, value), math.log(1 + len(self.features)))

    def neighbours(self, nct_id: str, k: int = STORED) -> list[Neighbour]:
        """The ``k`` trials most like ``nct_id``, best first."""
        mine = self.features.get(nct_id)
        if not mine:
            return []
        scores: dict[str, float] = defaultdict(float)
        gate: set[str] = set()
        for kind in (OWN, ANCESTOR):
            for value in mine[kind]:
                weight = self.specificity(value) * self.idf(kind, value)
                for other_kind in (OWN, ANCESTOR):
                    factor = KIND_WEIGHT[kind if kind == other_kind == OWN else ANCESTOR]
                    for other in self.postings.get((other_kind, value), ()):
                        scores[other] += factor * weight
                        gate.add(other)
        for value in mine[INTERVENTION]:
            weight = KIND_WEIGHT[INTERVENTION] * self.idf(INTERVENTION, value)
            for other in self.postings.get((INTERVENTION, value), ()):
                scores[other] += weight
        titles = self._title_similarities(nct_id, mine[TITLE])
        for other, similarity in titles.items():
            scores[other] += TITLE_WEIGHT * similarity
        scores.pop(nct_id, None)
        # a trial about a named disease is related only to trials sharing one
        candidates = gate - {nct_id} if mine[OWN] else set(scores)
        positive = [n for n in candidates if scores[n] > 0]
        # only trials scoring at least the k-th best can be in the list, ties included
        cutoff = heapq.nlargest(k, (round(scores[n], 4) for n in positive))[-1:] or [0.0]
        ranked = [
            Neighbour(n, round(scores[n], 4), titles.get(n, 0.0), self.last_update.get(n, ""))
            for n in positive
            if round(scores[n], 4) >= cutoff[0]
        ]
        ranked.sort(key=order_key)
        return ranked[:k]

    def _title_similarities(self, nct_id: str, words: frozenset[str]) -> dict[str, float]:
        """Cosine similarity of IDF-weighted title word sets, for trials sharing a word."""
        limit = COMMON_WORD * len(self.features)
        weights = {
            w: self.idf(TITLE, w) for w in words if len(self.postings.get((TITLE, w), ())) <= limit
        }
        if not weights:
            return {}
        norm = math.sqrt(sum(v * v for v in weights.values()))
        shared: dict[str, float] = defaultdict(float)
        for word, weight in weights.items():
            for other in self.postings.get((TITLE, word), ()):
                shared[other] += weight * weight
        shared.pop(nct_id, None)
        norms = self._title_norm
        return {other: round(dot / (norm * norms[other]), 4) for other, dot in shared.items()}


def order_key(n: Neighbour) -> tuple[float, float, str, str]:
    """Best score first; ties to the closer title, then the newer record, then the id."""
    newest_first = "".join(chr(0x10FFFF - ord(ch)) for ch in n.last_update)
    return (-n.score, -n.title_similarity, newest_first or "\U0010ffff", n.nct_id)


# ---- the refresh stage ------------------------------------------------------------------


def mark_dirty(db: Connection, nct_ids: Sequence[str]) -> None:
    """Queue studies whose index rows were just written (call inside that transaction)."""
    db.executemany(
        "INSERT INTO related_dirty (nct_id, features_done, spread) VALUES (?, 0, 1)"
        " ON CONFLICT (nct_id) DO UPDATE SET features_done = 0, spread = 1",
        [(n,) for n in nct_ids],
    )


def pending(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM related_dirty").fetchone()[0])


def _claim(store: Store, db: Connection, features_done: int) -> list[tuple[str, int]]:
    lock = " FOR UPDATE SKIP LOCKED" if store.dialect == "postgres" else ""
    return [
        (str(r[0]), int(r[1]))
        for r in db.execute(
            "SELECT nct_id, spread FROM related_dirty WHERE features_done = ?"
            f" ORDER BY nct_id LIMIT ?{lock}",
            (features_done, BATCH),
        )
    ]


def _study(store: Store, nct_id: str) -> Study | None:
    try:
        return Study.from_json(store.study_bytes(nct_id))
    except TrialscopeError:  # gone or unreadable: it leaves the related lists
        return None


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


def store_features(store: Store, vocab: Terminology) -> int:
    """Stage 1: the features of every study queued; returns how many were stored."""
    done = 0
    while True:
        with store.transaction() as db:
            claimed = _claim(store, db, 0)
            if not claimed:
                return done
            ids = [n for n, _ in claimed]
            old = _stored_features(db, ids)
            new: dict[str, Features] = {}
            for nct in ids:
                study = _study(store, nct)
                new[nct] = features_of(study, vocab) if study else {}
            marks = ",".join("?" * len(ids))
            db.execute(f"DELETE FROM related_features WHERE nct_id IN ({marks})", ids)
            db.executemany(
                "INSERT INTO related_features (nct_id, kind, feature) VALUES (?, ?, ?)",
                [(n, k, v) for n, f in new.items() for k, vs in f.items() for v in sorted(vs)],
            )
            # unchanged features leave the neighbours' lists as they are
            db.executemany(
                "UPDATE related_dirty SET features_done = 1, spread = ? WHERE nct_id = ?",
                [(int(spread and not _same(old.get(n), new[n])), n) for n, spread in claimed],
            )
        done += len(claimed)


def load_corpus(store: Store, vocab: Terminology) -> Corpus:
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for nct, kind, value in store.conn.execute(
        "SELECT nct_id, kind, feature FROM related_features"
    ):
        found[str(nct)][str(kind)].add(str(value))
    features = {
        n: {k: frozenset(kinds.get(k, ())) for k in (OWN, ANCESTOR, INTERVENTION, TITLE)}
        for n, kinds in found.items()
    }
    updated = {
        str(n): str(u or "")
        for n, u in store.conn.execute("SELECT nct_id, last_update FROM search_docs")
    }
    cache: dict[str, float] = {}

    def weigh(concept: str) -> float:
        if concept not in cache:
            cache[concept] = specificity(vocab, concept)
        return cache[concept]

    return Corpus(features, updated, weigh)


def store_neighbours(store: Store, corpus: Corpus, on_progress: Progress | None = None) -> int:
    """Stage 2: the neighbours of every study queued; returns how many lists were stored."""
    done = 0
    computed: set[str] = set()
    while True:
        with store.transaction() as db:
            claimed = _claim(store, db, 1)
            if not claimed:
                return done
            ids = [n for n, _ in claimed]
            lists = {n: corpus.neighbours(n) for n in ids}
            spreaders = [n for n, spread in claimed if spread]
            queued = _spread_targets(db, spreaders, lists) - computed - set(ids)
            marks = ",".join("?" * len(ids))
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
            db.execute(f"DELETE FROM related_dirty WHERE nct_id IN ({marks})", ids)
            db.executemany(
                "INSERT INTO related_dirty (nct_id, features_done, spread) VALUES (?, 1, 0)"
                " ON CONFLICT (nct_id) DO NOTHING",
                [(n,) for n in sorted(queued)],
            )
        computed.update(ids)
        done += len(ids)
        if on_progress:
            on_progress(done)


def _spread_targets(
    db: Connection, changed: Sequence[str], lists: dict[str, list[Neighbour]]
) -> set[str]:
    """Trials whose lists a changed study may enter or leave: its new neighbours and
    (at most SPREAD_LIMIT per study) the trials that listed it."""
    targets = {x.nct_id for n in changed for x in lists[n]}
    for nct in changed:
        targets |= {
            str(r[0])
            for r in db.execute(
                "SELECT nct_id FROM related_trials WHERE other = ? LIMIT ?",
                (nct, SPREAD_LIMIT),
            )
        }
    return targets


Progress = Callable[[int], None]


def refresh(store: Store, on_progress: Progress | None = None) -> int:
    """Bring every queued study's related trials up to date; returns how many lists were
    stored. Nothing queued costs one read."""
    if pending(store) == 0:
        return 0
    from trialscope.criteria.vocabulary import terminology

    vocab = terminology()
    store_features(store, vocab)
    return store_neighbours(store, load_corpus(store, vocab), on_progress)


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

    corpus = load_corpus(store, terminology())
    if nct_id not in corpus.features and (study := _study(store, nct_id)):
        corpus.features[nct_id] = features_of(study, terminology())
        corpus.__post_init__()
    return [(n.nct_id, n.score) for n in corpus.neighbours(nct_id, k)]
