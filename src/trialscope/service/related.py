"""Related trials (seed 002's "More Related Trials").

They are computed when the index is refreshed and stored (trialscope.search.related), so
a lookup is one indexed read plus the cards (about 0.2 ms) and is not cached: a list the
refresh stored shows on the next visit. A visit never refreshes the index nor computes a
list, nor opens a search engine (:func:`stored_related`): at 500k a list costs seconds;
import, sync and ``trialscope index`` make them.
"""

from __future__ import annotations

import logging

from trialscope.errors import TrialscopeError
from trialscope.search import Hit
from trialscope.search.engine import stored_related
from trialscope.service.backend import Backend

log = logging.getLogger("trialscope.related")


def related_trials(backend: Backend, nct_id: str, k: int = 5) -> list[Hit]:
    """The top ``k`` trials like ``nct_id``; none (rather than a failed trial page, of
    which they are a side panel) when the index cannot answer, with a warning logged."""
    try:
        return stored_related(backend.store().conn, nct_id, k) or []
    except TrialscopeError as exc:
        log.warning("related trials of %s unavailable: %s", nct_id, exc.message)
        return []
