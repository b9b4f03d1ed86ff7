"""The ``trialscope`` command line: a thin layer over the library.

Every command group is registered here, in one list: importing a module adds its
commands to :data:`app` (``trialscope.cli.app``), so a new group is one more import.
"""

from trialscope.cli import (  # noqa: F401  (each registers its commands on app)
    commands,
    criteria_commands,
    match_commands,
    mcp_commands,
    search_commands,
    serve_commands,
    sync_commands,
    terms_commands,
    watch_commands,
)
from trialscope.cli.app import app, main

__all__ = ["app", "main"]
