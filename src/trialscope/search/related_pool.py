"""The related-trials stage's worker pool (:mod:`trialscope.search.related`): features and
lists computed in forked processes while the parent writes the batch before.

The parent alone claims, reads and writes, one transaction per batch as without a pool,
so a kill loses at most the batch in hand. While it writes a batch, the workers already
compute the next one: inside the claim the parent reads the studies the next claim will
most likely take and sends them off (as the index's pool does,
:mod:`trialscope.search.index_pool`).

- **Features** are computed from a study's current version. The parent sends the
  compressed bytes with the version id it read; the next claim keeps features computed
  ahead only for a study it did claim whose current version is still that one, and
  computes any other then (a sync that stored a new version meanwhile, another process
  that claimed it), so stored features are always those of the version current when
  their batch commits.
- **Lists** depend only on the corpus this refresh loaded (every worker inherited it at
  the fork) and the study's id, so a list computed ahead is the list computed then; one
  the claim did not take is dropped.

The workers start with :func:`trialscope.pipeline._worker_start` (``gc.freeze``: the
collector never walks the vocabulary and corpus they inherited, which would copy every
page of them into each worker) and exit when the parent dies.
"""

from __future__ import annotations

from collections.abc import Sequence
from multiprocessing.pool import AsyncResult, Pool
from typing import TYPE_CHECKING

import orjson

from trialscope.forkpool import parts
from trialscope.search.index_pool import _current
from trialscope.search.related_scoring import Corpus, Neighbour
from trialscope.store.codec import decompress
from trialscope.store.dbapi import Connection

if TYPE_CHECKING:
    from trialscope.terminology import Terminology

Features = dict[str, frozenset[str]]
#: studies (or lists) per task sent to a worker
PART = 25
#: a list as the workers send it back: (id, score, title similarity, last update) each
Listed = list[tuple[str, float, float, str]]

#: the corpus the list workers read: set before they are forked, so each has it without
#: a copy through a pipe
SHARED: Corpus | None = None


# ---- in the workers -----------------------------------------------------------------------


def _vocab() -> Terminology:
    from trialscope.criteria.vocabulary import terminology

    return terminology()  # the parent's, loaded before the fork


def features_of_blob(blob: bytes | None, vocab: Terminology) -> Features:
    """A study's features from its compressed current version (None: gone, no features;
    an unreadable JSON has none either)."""
    from trialscope.search.related import features_of_json

    if blob is None:
        return {}
    try:
        return features_of_json(decompress(blob), vocab)
    except orjson.JSONDecodeError:
        return {}


def _features_part(part: list[tuple[str, int, bytes]]) -> list[tuple[str, int, Features]]:
    vocab = _vocab()
    return [(n, version, features_of_blob(blob, vocab)) for n, version, blob in part]


def _lists_part(part: list[str]) -> list[tuple[str, Listed]]:
    corpus = SHARED
    assert corpus is not None, "the list pool is forked after the corpus is shared"
    return [
        (n, [(x.nct_id, x.score, x.title_similarity, x.last_update) for x in corpus.neighbours(n)])
        for n in part
    ]


# ---- in the parent ------------------------------------------------------------------------


class FeaturesAhead:
    """Features being computed for the batch the next claim is expected to take."""

    def __init__(self, result: AsyncResult[list[list[tuple[str, int, Features]]]]) -> None:
        self.result = result


class ListsAhead:
    """Lists being computed for the batch the next claim is expected to take."""

    def __init__(self, result: AsyncResult[list[list[tuple[str, Listed]]]]) -> None:
        self.result = result


def features(
    db: Connection, pool: Pool, nct_ids: Sequence[str], ahead: FeaturesAhead | None
) -> dict[str, Features]:
    """The claimed studies' features: computed ahead when their version is still current,
    else now; a study that is gone has none."""
    current = {n: v for n, v, _ in _current(db, nct_ids, data=False)}
    found: dict[str, Features] = {}
    if ahead is not None:
        for part in ahead.result.get():
            for nct, version, feats in part:
                if nct in current and current[nct] == version:
                    found[nct] = feats
    missing = [n for n in nct_ids if n in current and n not in found]
    if missing:
        for part in pool.map(_features_part, parts(_current(db, missing, data=True), PART)):
            found.update((nct, feats) for nct, _, feats in part)
    return {n: found.get(n, {}) for n in nct_ids}


def features_ahead(db: Connection, pool: Pool, after: str, batch: int) -> FeaturesAhead | None:
    """Send the studies the next features claim will probably take (the queued ones after
    ``after``, in the claim's order) to be computed."""
    following = [
        str(r[0])
        for r in db.execute(
            "SELECT nct_id FROM related_dirty WHERE features_done = 0 AND nct_id > ?"
            " ORDER BY nct_id LIMIT ?",
            (after, batch),
        )
    ]
    if not following:
        return None
    work = parts(_current(db, following, data=True), PART)
    return FeaturesAhead(pool.map_async(_features_part, work))


def lists(
    pool: Pool, nct_ids: Sequence[str], ahead: ListsAhead | None
) -> dict[str, list[Neighbour]]:
    """The lists of ``nct_ids``: computed ahead, else now (the same either way)."""
    found: dict[str, Listed] = {}
    wanted = set(nct_ids)
    if ahead is not None:
        for part in ahead.result.get():
            found.update((n, listed) for n, listed in part if n in wanted)
    missing = [n for n in nct_ids if n not in found]
    if missing:
        for part in pool.map(_lists_part, parts(missing, PART)):
            found.update(part)
    return {n: [Neighbour(*x) for x in found[n]] for n in nct_ids}


def lists_ahead(db: Connection, pool: Pool, after: str, batch: int) -> ListsAhead | None:
    """Send the studies the next lists claim will probably take to be computed (not those
    whose features did not change: most of them keep their stored list)."""
    following = [
        str(n)
        for n, spread in db.execute(
            "SELECT nct_id, spread FROM related_dirty WHERE features_done = 1 AND nct_id > ?"
            " ORDER BY nct_id LIMIT ?",
            (after, batch),
        )
        if int(spread) >= 0
    ]
    if not following:
        return None
    return ListsAhead(pool.map_async(_lists_part, parts(following, PART)))
