"""Find trials: ranked full text with filters, distance, facets, and related trials."""

from trialscope.search.engine import SearchEngine
from trialscope.search.gazetteer import Place, distance_km, locate_place
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
    "NearestSite",
    "Place",
    "SearchEngine",
    "SearchQuery",
    "SearchResult",
    "SortOrder",
    "distance_km",
    "locate_place",
]
