"""Bring the search index, the related trials stored with it and the top-k index (when
the tantivy engine is configured) up to date after records were stored (import, sync)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator

from trialscope.forkpool import can_fork
from trialscope.pipeline import _exit_with_parent
from trialscope.search import index as search_index
from trialscope.search import related
from trialscope.search.tantivy_index import State, top_index
from trialscope.store import Store, open_store
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
        done = again_on_conflict(lambda: search_index.refresh(store, workers=workers))
    elif waiting and on_progress is not None:
        on_progress(0, waiting)
        done = again_on_conflict(
            lambda: search_index.refresh(store, lambda n: on_progress(n, waiting), workers)
        )
    timed["index"] = time.perf_counter() - started
    started = time.perf_counter()
    queued = related.pending(store)
    top = top_index(store)
    # the top-k index replays the change log now, not on the first search after; when
    # both are big, in a process of its own beside the related trials' features (the
    # parent's writes leave a core idle), waited for before their corpus and list workers
    # (the replay is the largest process: beside those too, the peaks added up), then
    # here, which finishes whatever it did not
    beside = top is not None and workers > 1 and queued >= related.POOL_MIN and can_fork()
    with _replay_beside(store) if beside else contextlib.nullcontext() as replayed:
        told = None if on_related is None else lambda n: on_related(n, max(n, queued))
        if queued and on_related is not None:
            on_related(0, queued)
        if queued:
            again_on_conflict(
                lambda: related.refresh(
                    store, told, workers=workers, seconds=timed, after_features=replayed
                )
            )
    # with the replay beside them, "related" covers both and "tantivy" what was left
    timed["related"] = time.perf_counter() - started
    started = time.perf_counter()
    if top is not None:
        top.catch_up(store)
    timed["tantivy"] = time.perf_counter() - started
    return done


@contextlib.contextmanager
def _replay_beside(store: Store) -> Iterator[Callable[[], None]]:
    """The top-k index's catch-up in a forked process while the block runs, which may
    wait for it earlier with what it is given. Nothing is waited for if the block fails;
    a replay cut short (either process killed) commits nothing and writes no watermark,
    so the next catch-up replays the same rows."""
    where = str(getattr(store, "url", store.location))  # PostgreSQL's location is redacted
    child = multiprocessing.get_context("fork").Process(
        target=_replay, args=(where,), name="top-k replay", daemon=True
    )
    child.start()
    yield child.join
    child.join()


def _replay(where: str) -> None:
    """In the child: its own connection (the parent's must not be used after a fork)."""
    _exit_with_parent()
    try:
        with open_store(where) as own:
            top = top_index(own)
            if top is not None:
                top.catch_up(own)
    except BaseException:  # the parent's catch-up does it again, and says why
        os._exit(1)


def rebuild_top_index(store: Store) -> State | None:
    """Build the tantivy index afresh from the store's change log (None: the sql engine
    answers searches, there is no such index)."""
    top = top_index(store)
    return None if top is None else top.rebuild(store)
