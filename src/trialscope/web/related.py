"""Related trials for the detail page (seed 002's "More Related Trials")."""

from __future__ import annotations

from trialscope.errors import TrialscopeError
from trialscope.search import Hit, SearchEngine

from .app import Backend


def engine_for(state: Backend) -> SearchEngine:
    found: SearchEngine = state.per_thread("search", SearchEngine)
    return found


def related_hits(state: Backend, nct_id: str, k: int = 5) -> list[Hit]:
    """The top ``k`` similar trials; none (rather than a failed page) if the index fails."""
    try:
        return engine_for(state).related(nct_id, k=k)
    except TrialscopeError:
        return []
