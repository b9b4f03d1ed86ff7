"""`trialscope sync`: keep the mirror fresh from the CT.gov API v2."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from trialscope.cli.app import app, state
from trialscope.cli.commands import refresh_index
from trialscope.cli.options import JsonFlag
from trialscope.cli.output import console, err_console, print_json
from trialscope.config import Settings
from trialscope.derived import refresh_marked_views, views_beside
from trialscope.service import downloads_folder, selection_from, sync_targets
from trialscope.store import Store
from trialscope.sync import CtgovClient, Politeness, SyncRunner, SyncSummary, sync_bulk
from trialscope.sync.bulk import bulk_url
from trialscope.sync.client import request_url
from trialscope.sync.runner import SyncProgress

sync_app = typer.Typer(
    help="Sync studies from the ClinicalTrials.gov API v2 (full, incremental, resumable).",
    invoke_without_command=True,
)
app.add_typer(sync_app, name="sync")

Opt = typer.Option


def _print_summary(summary: SyncSummary) -> None:
    title = f"Sync {summary.profile}" + (" (resumed)" if summary.resumed else "")
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in [
        ("pages", summary.pages),
        ("studies", summary.records),
        ("  new", summary.counts["new"]),
        ("  changed", summary.counts["changed"]),
        ("  unchanged", summary.counts["unchanged"]),
        ("  older versions", summary.counts["history"]),
        ("history versions stored", summary.history_versions),
        ("quarantined", summary.counts["quarantined"]),
        ("requests", summary.requests),
        ("watermark", f"{summary.watermark_before or '-'} → {summary.watermark_after or '-'}"),
        ("time", f"{summary.elapsed:.1f} s"),
    ]:
        table.add_row(label, str(value))
    console.print(table)
    if summary.top_fields:
        console.print(
            "Most changed fields: " + ", ".join(f"{f} ({n})" for f, n in summary.top_fields)
        )
    for alias, target in summary.aliases:
        console.print(f"{alias} is now {target} (alias recorded)")
    for nct_id in summary.not_found:
        err_console.print(f"[yellow]Warning:[/] {nct_id} is not on CT.gov (HTTP 404).")


@sync_app.callback()
def sync(
    ctx: typer.Context,
    profile: Annotated[
        str | None, Opt(help="Save the selection under this name / re-run it.")
    ] = None,
    cond: Annotated[str | None, Opt(help="Condition or disease (query.cond).")] = None,
    term: Annotated[str | None, Opt(help="Any text, Essie syntax allowed (query.term).")] = None,
    intr: Annotated[str | None, Opt(help="Intervention (query.intr).")] = None,
    locn: Annotated[str | None, Opt(help="Location (query.locn).")] = None,
    status: Annotated[
        list[str] | None, Opt(help="Overall status, repeatable: RECRUITING ...")
    ] = None,
    nct: Annotated[
        list[str] | None, Opt(help="Fetch these NCT ids one by one, repeatable.")
    ] = None,
    everything: Annotated[bool, Opt("--all", help="The whole registry, paged.")] = False,
    resume: Annotated[
        bool, Opt(help="Finish unfinished syncs (re-running a profile does too).")
    ] = False,
    full: Annotated[
        bool, Opt(help="Ignore the watermark: fetch the whole selection again.")
    ] = False,
    history: Annotated[
        bool, Opt(help="Also fetch every dated past version of each study.")
    ] = False,
    bulk: Annotated[bool, Opt(help="Download the whole registry zip and import it.")] = False,
    dry_run: Annotated[bool, Opt(help="Print the requests, send none.")] = False,
    page_size: Annotated[
        int, Opt(help="Studies per page (CT.gov allows 1000).", min=1, max=1000)
    ] = 1000,
    base_url: Annotated[
        str | None, Opt(help="CT.gov API base (env: TRIALSCOPE_CTGOV_URL).")
    ] = None,
    rate: Annotated[
        float | None,
        Opt(help="Requests/second, 0 = no spacing (env: TRIALSCOPE_SYNC_RATE; 1).", min=0),
    ] = None,
    retries: Annotated[int, Opt(help="Retries of a failing request.", min=0)] = 5,
    backoff: Annotated[
        float, Opt(help="First retry delay in seconds (doubles each time).", min=0)
    ] = 1.0,
    timeout: Annotated[float, Opt(help="Seconds to wait for an answer.", min=0.1)] = 30.0,
    as_json: JsonFlag = False,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Sync a selection of studies (saved as a profile with its watermark).

    The first run of a selection fetches all of it; later runs ask only for
    studies updated since the watermark (minus a day). Each page is stored with
    a checkpoint, so an interrupted sync resumes where it stopped.
    """
    if ctx.invoked_subcommand is not None:
        return
    st = state(ctx)
    settings = Settings.resolve(db=st.db, ctgov_url=base_url, sync_rate=rate)
    politeness = Politeness(
        rate=settings.sync_rate, retries=retries, backoff=backoff, timeout=timeout
    )
    client = CtgovClient(settings.ctgov_url, politeness)
    selection = selection_from(
        cond=cond,
        term=term,
        intr=intr,
        locn=locn,
        status=status or (),
        nct=nct or (),
        everything=everything,
    )
    with client:
        if bulk:
            _run_bulk(st.store(), client, settings, dry_run, as_json, quiet)
            return
        store = st.store()
        results = []
        for name, chosen in sync_targets(store, profile, selection, resume=resume):
            runner = SyncRunner(
                store,
                client,
                name,
                chosen,
                history=history,
                full=full,
                page_size=page_size,
                workers=settings.workers,
                derive_views=False,  # made beside the search index, below
            )
            if dry_run:
                for line in runner.planned_requests():
                    typer.echo(line)
                continue
            results.append(_run_one(runner, as_json, quiet))
        if results:
            seconds: dict[str, float] = {}
            # the match views of what the runs marked, in a process beside the index and
            # related trials (which read nothing of them); then here, whatever it left
            with views_beside(store):
                indexed = refresh_index(
                    store,
                    not (quiet or as_json) and err_console.is_terminal,
                    settings.workers,
                    seconds,
                )
            started = time.perf_counter()
            refresh_marked_views(store, workers=settings.workers)
            seconds["match_views"] = time.perf_counter() - started
            for result in results:
                result["indexed"] = indexed
            # the refresh is shared by every profile run: its times go with the last one
            stages = results[-1]["stage_seconds"]
            assert isinstance(stages, dict)
            stages.update({k: round(v, 3) for k, v in seconds.items()})
    if as_json and results:
        print_json(results[0] if len(results) == 1 else results)


def _run_one(runner: SyncRunner, as_json: bool, quiet: bool) -> dict[str, object]:
    show = not (quiet or as_json) and err_console.is_terminal
    with Progress(
        TextColumn(f"[bold]sync {runner.profile}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,.0f} studies · page {task.fields[pages]}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task("sync", total=None, pages=0)

        def advance(p: SyncProgress) -> None:
            bar.update(task, total=p.total, completed=p.records, pages=p.pages)

        runner.on_progress = advance
        summary = runner.run()
    if not as_json:
        _print_summary(summary)
    return summary.as_dict()


def _run_bulk(
    store: Store,
    client: CtgovClient,
    settings: Settings,
    dry_run: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    folder = downloads_folder(settings.db)
    if dry_run:
        typer.echo(f"GET {request_url(bulk_url(client), {'format': 'json.zip'})}  → {folder}")
        return
    with Progress(
        TextColumn("[bold]downloading"),
        TextColumn("{task.completed:,.0f} bytes"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet or as_json or not err_console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("bulk", total=None)
        result = sync_bulk(
            store,
            client,
            folder,
            workers=settings.workers,
            on_bytes=lambda n: bar.advance(task, n),
        )
    indexed = refresh_index(
        store, not (quiet or as_json) and err_console.is_terminal, settings.workers
    )
    figures = {
        "indexed": indexed,
        "path": str(result.path),
        "bytes": result.size,
        "members": result.members,
        **result.imported.as_dict(),
    }
    if as_json:
        print_json(figures)
    else:
        counts = result.imported.counts
        console.print(
            f"Downloaded {result.size:,} bytes ({result.members:,} members) to {result.path};"
            f" imported {result.imported.records_read:,} records: {counts['new']:,} new,"
            f" {counts['changed']:,} changed, {counts['unchanged']:,} unchanged."
        )


@sync_app.command("status")
def sync_status(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """Profiles, their watermarks, the last run's outcome and unfinished syncs."""
    store = state(ctx).store()
    runs = {run["id"]: run for run in store.runs(limit=1000)}
    pending = {cp.profile: cp for cp in store.checkpoints()}
    rows = []
    for p in store.profiles():
        last = runs.get(p.last_run) if p.last_run else None
        cp = pending.get(p.name)
        rows.append(
            {
                "profile": p.name,
                "selection": p.selection,
                "base_url": p.base_url,
                "watermark": p.watermark,
                "last_run": last,
                "unfinished": None
                if cp is None
                else {"pages": cp.pages, "records": cp.records, "total": cp.total},
            }
        )
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No sync profiles yet. Start one: trialscope sync --cond 'liver metastases'")
        return
    table = Table(title="Sync profiles", title_justify="left")
    for column in ("profile", "watermark", "last run", "unfinished"):
        table.add_column(column, overflow="fold")
    for p in store.profiles():
        last = runs.get(p.last_run) if p.last_run else None
        outcome = "-"
        if last is not None:
            counts = last["counts"]
            outcome = (
                f"{last['status']} {last['finished_at'] or last['started_at']}:"
                f" {counts.get('new', 0)} new, {counts.get('changed', 0)} changed,"
                f" {counts.get('unchanged', 0)} unchanged"
            )
        cp = pending.get(p.name)
        unfinished = "-" if cp is None else f"{cp.records} records, page {cp.pages}"
        table.add_row(p.name, p.watermark or "-", outcome, unfinished)
    console.print(table)
