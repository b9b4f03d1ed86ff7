"""Running a queue-driven stage again when its transaction crossed another writer's.

Several importers, syncs and ``serve`` workers may derive the same tables at once on
PostgreSQL (criteria parses, match views, the search index, related trials). Each stage
works through a queue in batches, one transaction per batch, and a batch that is rolled
back leaves its queue rows in place; so when PostgreSQL picks a batch as a deadlock's
victim, running the stage again finishes exactly what is left. SQLite has one writer at
a time and never raises the conflict.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from trialscope.errors import StoreConflict

T = TypeVar("T")

#: runs of one stage before a conflict is reported (each is a rolled-back batch)
ATTEMPTS = 5


def again_on_conflict(stage: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """``stage()``, run again (after a short, growing pause) while it ends in a conflict."""
    for attempt in range(1, attempts + 1):
        try:
            return stage()
        except StoreConflict:
            if attempt == attempts:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
