"""Bring the search index up to date after records were stored (import, sync)."""

from __future__ import annotations

from collections.abc import Callable

from trialscope.search import index as search_index
from trialscope.store import Store

#: told (studies indexed so far, studies waiting at the start)
IndexProgress = Callable[[int, int], None]


def pending_index(store: Store) -> int:
    """Studies stored or changed since they were last indexed."""
    return search_index.pending(store)


def refresh_index(store: Store, on_progress: IndexProgress | None = None) -> int:
    """Index every study waiting; returns how many were (re)indexed."""
    waiting = search_index.pending(store)
    if waiting == 0:
        return 0
    if on_progress is None:
        return search_index.refresh(store)
    on_progress(0, waiting)
    return search_index.refresh(store, lambda done: on_progress(done, waiting))
