"""Which stored related lists a refresh computes again (:mod:`trialscope.search.related`).

A study whose features did not change keeps its list; one whose features changed (or a
new one) queues the lists it may enter or leave: the trials that listed it, and those of
its new neighbours it is in or now ranks in. Every other list stands as it was computed
(the statistics the scores read move a little with every change; a list is not computed
again for that alone).
"""

from __future__ import annotations

from collections.abc import Sequence

from trialscope.search.related_scoring import STORED, Corpus, Neighbour, order_key
from trialscope.store.dbapi import Connection

#: at most this many trials that listed a changed study are queued again
SPREAD_LIMIT = 50
#: lists read per query
BATCH = 500


def kept_lists(db: Connection, unchanged: list[str]) -> set[str]:
    """Of studies whose features did not change, those with a stored list (it stands:
    their features and the others' are what it was computed from, and the others that
    changed queue it themselves); one without (a refresh stopped before it) is computed."""
    if not unchanged:
        return set()
    marks = ",".join("?" * len(unchanged))
    return {
        str(r[0])
        for r in db.execute(
            f"SELECT nct_id FROM related_lists WHERE nct_id IN ({marks})", unchanged
        )
    }


def spread_targets(
    db: Connection,
    corpus: Corpus,
    changed: Sequence[str],
    lists: dict[str, list[Neighbour]],
    computed: set[str],
) -> set[str]:
    """Trials whose lists a changed study may enter or leave, of those not ``computed``
    yet: (at most SPREAD_LIMIT per study) the trials that listed it, and those of its new
    neighbours whose list it is in or now ranks in (one score, :meth:`Corpus.standing`,
    against the list's last: most new neighbours' lists are full of better trials, and
    computing them again was most of a sync's lists)."""
    targets: set[str] = set()
    for nct in changed:
        targets |= {
            str(r[0])
            for r in db.execute(
                "SELECT nct_id FROM related_trials WHERE other = ? LIMIT ?",
                (nct, SPREAD_LIMIT),
            )
        }
    # lists computed in this refresh are not asked about (at import, nearly all of them)
    skip = targets | computed
    asked = sorted({(x.nct_id, n) for n in changed for x in lists[n] if x.nct_id not in skip})
    stored = stored_lists(db, sorted({t for t, _ in asked}))
    for target, nct in asked:
        if may_enter(corpus, stored.get(target), target, nct):
            targets.add(target)
    return targets


def stored_lists(db: Connection, nct_ids: list[str]) -> dict[str, list[tuple[str, float, float]]]:
    """The stored lists of ``nct_ids`` (those that have one), best first."""
    found: dict[str, list[tuple[str, float, float]]] = {}
    for at in range(0, len(nct_ids), BATCH):
        part = nct_ids[at : at + BATCH]
        marks = ",".join("?" * len(part))
        for (n,) in db.execute(f"SELECT nct_id FROM related_lists WHERE nct_id IN ({marks})", part):
            found[str(n)] = []
        for n, other, score, similarity in db.execute(
            "SELECT nct_id, other, score, title_similarity FROM related_trials"
            f" WHERE nct_id IN ({marks}) ORDER BY nct_id, rank",
            part,
        ):
            found.setdefault(str(n), []).append((str(other), float(score), float(similarity)))
    return found


def may_enter(
    corpus: Corpus, listed: list[tuple[str, float, float]] | None, nct_id: str, other: str
) -> bool:
    """Whether ``other`` is in ``nct_id``'s stored list or would now rank in it (a study
    without a stored list is computed)."""
    if listed is None or any(o == other for o, _, _ in listed):
        return True
    standing = corpus.standing(nct_id, other)
    if standing is None:
        return False
    if len(listed) < STORED:
        return True
    last, score, similarity = listed[-1]
    if last not in corpus:
        return True  # its last trial left the corpus: the list changes anyway
    return order_key(standing) < order_key(Neighbour(last, score, similarity, corpus.updated(last)))
