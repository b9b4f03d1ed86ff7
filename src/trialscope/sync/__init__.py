"""Keep the mirror fresh from the ClinicalTrials.gov API v2."""

from trialscope.sync.bulk import BulkResult, sync_bulk
from trialscope.sync.client import CtgovClient, Politeness
from trialscope.sync.runner import SyncRunner, SyncSummary
from trialscope.sync.selection import Selection

__all__ = [
    "BulkResult",
    "CtgovClient",
    "Politeness",
    "Selection",
    "SyncRunner",
    "SyncSummary",
    "sync_bulk",
]
