"""The web app's access to the search engine and related trials (see trialscope.service)."""

from __future__ import annotations

from trialscope.search import Hit, SearchEngine
from trialscope.service import Backend, related_trials


def engine_for(state: Backend) -> SearchEngine:
    """This thread's search engine."""
    return state.engine()


def related_hits(state: Backend, nct_id: str, k: int = 5) -> list[Hit]:
    return related_trials(state, nct_id, k)
