"""The service layer: what the CLI, the web app and the MCP server all do, once.

The shells parse their own input and format their own output; everything between is
here: the per-thread store of a server, the search engine choice, a study's pages and
changes, a patient from a note + structured fields + FHIR and a match run, what a sync
request means, refreshing the search index, related trials. It imports no shell (no
typer, FastAPI, Jinja or MCP).
"""

from trialscope.service.backend import Backend, open_engine
from trialscope.service.changes import ChangeList, field_changes
from trialscope.service.index import pending_index, rebuild_top_index, refresh_index
from trialscope.service.matching import (
    MAX_NOTE,
    Answer,
    MatchFailed,
    MatchScope,
    build_patient,
    checked_trials,
    merge_patients,
    no_patient_in_logs,
    run_match,
)
from trialscope.service.pages import (
    agent_page,
    canonical_url,
    card_page,
    plain_page,
    text_page,
)
from trialscope.service.related import related_trials
from trialscope.service.sync_targets import (
    SyncTarget,
    downloads_folder,
    selection_from,
    sync_targets,
)

__all__ = [
    "MAX_NOTE",
    "Answer",
    "Backend",
    "ChangeList",
    "MatchFailed",
    "MatchScope",
    "SyncTarget",
    "agent_page",
    "build_patient",
    "canonical_url",
    "card_page",
    "checked_trials",
    "downloads_folder",
    "field_changes",
    "merge_patients",
    "no_patient_in_logs",
    "open_engine",
    "pending_index",
    "plain_page",
    "rebuild_top_index",
    "refresh_index",
    "related_trials",
    "run_match",
    "selection_from",
    "sync_targets",
    "text_page",
]
