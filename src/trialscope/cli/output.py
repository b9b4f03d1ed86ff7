"""How the CLI prints: rich text for people, JSON for programs, errors without tracebacks."""

from __future__ import annotations

import sys
from typing import Any

import orjson
from rich.console import Console

from trialscope.errors import TrialscopeError

console = Console()
err_console = Console(stderr=True)


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(value: Any) -> None:
    data = orjson.dumps(value, default=_default, option=orjson.OPT_INDENT_2)
    sys.stdout.write(data.decode() + "\n")


def print_error(exc: TrialscopeError) -> None:
    err_console.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
    if exc.hint:
        err_console.print(f"[dim]Hint:[/] {exc.hint}", highlight=False)
