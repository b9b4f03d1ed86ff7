"""Root command, global options and the one place where errors become messages."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Annotated

import typer

from trialscope import __version__
from trialscope.cli.output import print_error
from trialscope.config import ENV_PREFIX, Settings
from trialscope.errors import TrialscopeError, UsageError
from trialscope.store import Store, open_store

app = typer.Typer(
    name="trialscope",
    help="Self-hostable ClinicalTrials.gov mirror, finder and matcher.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)


@dataclass
class State:
    db: str | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        return Settings.resolve(db=self.db)

    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings.db)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def state(ctx: typer.Context) -> State:
    found = ctx.find_object(State)
    if found is None:  # a command invoked without the root callback (library use)
        found = ctx.ensure_object(State)
    return found


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trialscope {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database file or sqlite:///path (env: TRIALSCOPE_DB; default: user data dir).",
            show_default=False,
        ),
    ] = None,
    search_engine: Annotated[
        str | None,
        typer.Option(
            "--search-engine",
            help="tantivy or sql (env: TRIALSCOPE_SEARCH_ENGINE; default: tantivy where an"
            " index folder is known).",
            show_default=False,
        ),
    ] = None,
    index_dir: Annotated[
        str | None,
        typer.Option(
            "--index-dir",
            help="Folder of the tantivy search index (needed with PostgreSQL)"
            " (env: TRIALSCOPE_INDEX_DIR; default: <db>.tantivy beside an SQLite file).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Mirror, search and match ClinicalTrials.gov studies on your own machine."""
    # config reads these from the environment (trialscope.config.search_settings), where
    # every engine of this process and the `serve` workers it starts find them
    for name, value in (("SEARCH_ENGINE", search_engine), ("INDEX_DIR", index_dir)):
        if value:
            os.environ[ENV_PREFIX + name] = value
    ctx.obj = State(db=db)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """Console entry point: user errors print a message and a hint, never a traceback.

    Typer handles usage errors, --help and exit codes itself; everything the
    library raises on purpose derives from TrialscopeError and is caught here.
    The commands are registered by importing the ``trialscope.cli`` package, whose
    ``__init__`` lists every command group.
    """
    try:
        app(prog_name="trialscope")
    except UsageError as exc:
        print_error(exc)
        sys.exit(2)
    except TrialscopeError as exc:
        print_error(exc)
        sys.exit(1)
