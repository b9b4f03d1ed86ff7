"""``trialscope`` and ``python -m trialscope``: the console entry point.

Importing the CLI reads the package data files (the criteria variables, the vocabulary),
so a broken data file fails at import, before :func:`trialscope.cli.app.main` could catch
it. This module imports nothing of trialscope but its errors until it is inside the guard.
"""

from __future__ import annotations

import sys

from trialscope.errors import TrialscopeError


def main() -> None:
    """Run the CLI; a TrialscopeError while starting up is a message and a hint, exit 1."""
    try:
        from trialscope.cli import main as cli_main
    except TrialscopeError as exc:
        from rich.console import Console

        console = Console(stderr=True)
        console.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
        if exc.hint:
            console.print(f"[dim]Hint:[/] {exc.hint}", highlight=False)
        sys.exit(1)
    cli_main()


if __name__ == "__main__":
    main()
