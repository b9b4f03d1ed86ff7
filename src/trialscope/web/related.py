"""Related trials for the detail page (seed 002's "More Related Trials").

Finding them costs more than the rest of the page, and they change only when the index
does, so each process keeps them for a minute (at most ``CACHE_SIZE`` trials).
"""

from __future__ import annotations

import threading
import time

from trialscope.errors import TrialscopeError
from trialscope.search import Hit, SearchEngine

from .app import Backend

CACHE_SECONDS = 60.0
CACHE_SIZE = 5000
_cache: dict[tuple[str, str, int], tuple[float, list[Hit]]] = {}
_lock = threading.Lock()


def engine_for(state: Backend) -> SearchEngine:
    found: SearchEngine = state.per_thread("search", SearchEngine)
    return found


def related_hits(state: Backend, nct_id: str, k: int = 5) -> list[Hit]:
    """The top ``k`` similar trials; none (rather than a failed page) if the index fails."""
    key = (state.settings.db, nct_id, k)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    try:
        hits = engine_for(state).related(nct_id, k=k)
    except TrialscopeError:
        return []
    with _lock:
        if len(_cache) >= CACHE_SIZE:
            _cache.clear()
        _cache[key] = (now + CACHE_SECONDS, hits)
    return hits
