"""Related trials (seed 002's "More Related Trials"), cached for a minute.

They are computed when the index is refreshed and stored (trialscope.search.related), so
a lookup is one indexed read plus the cards; each process still keeps the answers for
``CACHE_SECONDS`` (at most ``CACHE_SIZE`` entries) in a cache every server thread shares,
behind one lock, so a list refreshed meanwhile shows within that minute.
"""

from __future__ import annotations

import logging
import threading

from cachetools import TTLCache

from trialscope.errors import TrialscopeError
from trialscope.search import Hit
from trialscope.service.backend import Backend

CACHE_SECONDS = 60.0
CACHE_SIZE = 5000
_cache: TTLCache[tuple[str, str, int], list[Hit]] = TTLCache(CACHE_SIZE, CACHE_SECONDS)
_lock = threading.Lock()
log = logging.getLogger("trialscope.related")


def related_trials(backend: Backend, nct_id: str, k: int = 5) -> list[Hit]:
    """The top ``k`` trials like ``nct_id``; none (rather than a failed trial page, of
    which they are a side panel) when the index cannot answer, with a warning logged."""
    key = (backend.settings.db, nct_id.upper(), k)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        hits = backend.engine().related(nct_id, k=k)
    except TrialscopeError as exc:
        log.warning("related trials of %s unavailable: %s", nct_id, exc.message)
        return []
    with _lock:
        _cache[key] = hits
    return hits


def clear_related_cache() -> None:
    with _lock:
        _cache.clear()
