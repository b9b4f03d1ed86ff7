"""``trialscope watch``: saved searches that report new and changed trials."""

from __future__ import annotations

from typing import Annotated

import typer

from trialscope.cli.app import app, state
from trialscope.cli.options import JsonFlag, with_search_options
from trialscope.cli.output import console, print_json
from trialscope.render.markdown import change_line
from trialscope.search.request import SearchRequest
from trialscope.store import FieldChange
from trialscope.watch import Watches, WatchRun, run_all
from trialscope.watch.core import WatchEvent

watch_app = typer.Typer(
    help="Saved searches: new and changed trials since the last run, as text, JSON or Atom.",
    no_args_is_help=True,
)
app.add_typer(watch_app, name="watch")


@watch_app.command("add")
@with_search_options
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name: letters, digits, '-' or '_'.")],
    request: SearchRequest,
    as_json: JsonFlag = False,
) -> None:
    """Save a search under NAME (the options of `trialscope search`).

    The trials it finds now are the starting point: `watch run` reports what joins the
    result set or changes after this. Example: trialscope watch add liver-mets
    --cond "liver metastases" --status RECRUITING
    """
    watch = Watches(state(ctx).store()).add(name, request)
    if as_json:
        print_json(watch.to_json())
        return
    console.print(
        f"Saved [bold]{watch.name}[/]: {watch.request.describe()}\n"
        f"{watch.members:,} trial(s) match now. `trialscope watch run {watch.name}` reports"
        " what is new or changed from here on; the web app serves it as"
        f" /feeds/{watch.name}.atom",
        highlight=False,
    )


@watch_app.command("list")
def list_(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The saved searches, with their last run and how many trials they follow."""
    found = Watches(state(ctx).store()).all()
    if as_json:
        print_json([w.to_json() for w in found])
        return
    if not found:
        console.print("No saved searches. Add one: trialscope watch add NAME --cond ...")
        return
    for w in found:
        console.print(f"[bold]{w.name}[/]  {w.request.describe()}", highlight=False)
        console.print(
            f"  {w.members:,} trial(s) · {w.runs} run(s) · last {w.last_run_at}", style="dim"
        )


def _print_event(event: WatchEvent) -> None:
    label = "[green]new[/]" if event.kind == "new" else "[yellow]changed[/]"
    console.print(f"  {label} [bold cyan]{event.nct_id}[/]  {event.title or ''}", highlight=False)
    for data in event.changes[:20]:
        line = change_line(FieldChange.from_json(data, event.nct_id)).removeprefix("- ")
        console.print(f"      {line}", highlight=False)
    if len(event.changes) > 20:
        console.print(f"      … {len(event.changes) - 20} more (--json lists all)", style="dim")


def _print_run(run: WatchRun) -> None:
    new = sum(e.kind == "new" for e in run.events)
    changed = len(run.events) - new
    console.print(
        f"[bold]{run.watch}[/]: {new} new, {changed} changed, {len(run.left)} left"
        f" · {run.total:,} match · since {run.since}",
        highlight=False,
    )
    for event in run.events:
        _print_event(event)
    if run.left:
        console.print(f"  [dim]no longer found:[/] {', '.join(run.left)}", highlight=False)


@watch_app.command("run")
def run(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="One saved search (default: all).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run saved searches: trials new to each result set, and members that changed, with
    their field-level changes since the previous run (which this run becomes)."""
    watches = Watches(state(ctx).store())
    runs = run_all(watches, [name] if name else [])
    if as_json:
        print_json([r.to_json() for r in runs])
        return
    if not runs:
        console.print("No saved searches. Add one: trialscope watch add NAME --cond ...")
    for found in runs:
        _print_run(found)


@watch_app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The saved search to forget.")],
) -> None:
    """Forget a saved search, its snapshot and its feed."""
    Watches(state(ctx).store()).remove(name)
    console.print(f"Removed the saved search {name}.", highlight=False)
