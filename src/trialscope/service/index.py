"""Bring the search index, the related trials stored with it and the top-k index (when
the tantivy engine is configured) up to date after records were stored (import, sync)."""

from __future__ import annotations

import time
from collections.abc import Callable

from trialscope.search import index as search_index
from trialscope.search import related
from trialscope.search.tantivy_index import State, top_index
from trialscope.store import Store
from trialscope.store.conflicts import again_on_conflict

#: told (studies indexed so far, studies waiting at the start)
IndexProgress = Callable[[int, int], None]


def pending_index(store: Store) -> int:
    """Studies stored or changed since they were last indexed."""
    return search_index.pending(store)


def refresh_index(
    store: Store,
    on_progress: IndexProgress | None = None,
    on_related: IndexProgress | None = None,
    workers: int = 1,
    seconds: dict[str, float] | None = None,
) -> int:
    """Index every study waiting, then store the related trials of every study the
    index (re)wrote (or a stopped run left queued); returns how many were (re)indexed.
    ``on_related`` is told (lists stored so far, studies queued) during the second part;
    ``workers`` processes compute related trials when many are queued; ``seconds``, when
    given, gets each part's wall time (index, related, tantivy)."""
    timed = seconds if seconds is not None else {}
    started = time.perf_counter()
    waiting = search_index.pending(store)
    done = 0
    if waiting and on_progress is None:
        done = again_on_conflict(lambda: search_index.refresh(store))
    elif waiting and on_progress is not None:
        on_progress(0, waiting)
        done = again_on_conflict(
            lambda: search_index.refresh(store, lambda n: on_progress(n, waiting))
        )
    timed["index"] = time.perf_counter() - started
    started = time.perf_counter()
    queued = related.pending(store)
    if queued and on_related is not None:
        on_related(0, queued)
        again_on_conflict(
            lambda: related.refresh(
                store, lambda n: on_related(n, max(n, queued)), workers=workers, seconds=timed
            )
        )
    elif queued:
        again_on_conflict(lambda: related.refresh(store, workers=workers, seconds=timed))
    timed["related"] = time.perf_counter() - started
    started = time.perf_counter()
    # the top-k index replays the change log now, not on the first search after
    top = top_index(store)
    if top is not None:
        top.catch_up(store)
    timed["tantivy"] = time.perf_counter() - started
    return done


def rebuild_top_index(store: Store) -> State | None:
    """Build the tantivy index afresh from the store's change log (None: the sql engine
    answers searches, there is no such index)."""
    top = top_index(store)
    return None if top is None else top.rebuild(store)
