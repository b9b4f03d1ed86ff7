"""Find trials: ranked full text with filters, distance, facets, and related trials.

``SearchEngine(store)`` searches either backend (its dialect is chosen once, from the
store); ``SearchRequest`` is a search as people and agents write it, ``to_query()`` turns
it into the engine's ``SearchQuery``. Where the SQL lives: :mod:`trialscope.search.dialect`.
"""

from trialscope.search.engine import SearchEngine
from trialscope.search.gazetteer import Place, distance_km, locate_place
from trialscope.search.index import IndexWriter
from trialscope.search.request import SearchRequest
from trialscope.search.types import (
    GeoFilter,
    Hit,
    NearestSite,
    SearchQuery,
    SearchResult,
    SortOrder,
)

__all__ = [
    "GeoFilter",
    "Hit",
    "IndexWriter",
    "NearestSite",
    "Place",
    "SearchEngine",
    "SearchQuery",
    "SearchRequest",
    "SearchResult",
    "SortOrder",
    "distance_km",
    "locate_place",
]
