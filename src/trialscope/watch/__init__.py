"""Saved searches and their feeds.

Public API::

    from trialscope.watch import Watches
    watches = Watches(store)
    watches.add("liver-mets", SearchRequest(cond="liver metastases", status=("RECRUITING",)))
    run = watches.run("liver-mets")     # WatchRun: new and changed trials, field changes
    atom_feed(watch, watches.events("liver-mets"), ...)   # trialscope.watch.atom
"""

from __future__ import annotations

from trialscope.watch.core import (
    MAX_MEMBERS,
    NAME_PATTERN,
    Watch,
    Watches,
    WatchEvent,
    WatchRun,
    run_all,
)

__all__ = ["MAX_MEMBERS", "NAME_PATTERN", "Watch", "WatchEvent", "WatchRun", "Watches", "run_all"]
