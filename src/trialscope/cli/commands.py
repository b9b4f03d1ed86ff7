"""The commands of the mirror: import, show, changes, versions, stats, quarantine, runs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from trialscope import service
from trialscope.cli.app import app, state
from trialscope.cli.options import JsonFlag
from trialscope.cli.output import console, err_console, print_json
from trialscope.config import Settings
from trialscope.importer import ImportProgress, ImportSummary, import_paths
from trialscope.record.ids import normalise_nct_id
from trialscope.render.markdown import change_line
from trialscope.store import Store
from trialscope.timewindow import iso_utc


class ShowFormat(StrEnum):
    MD = "md"
    CARD = "card"
    JSON = "json"
    TEXT = "text"
    PLAIN = "plain"


# -- import -------------------------------------------------------------------------


def _print_summary(summary: ImportSummary) -> None:
    table = Table(title="Import summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("files read", summary.files),
        ("records", summary.records_read),
        ("  new studies", summary.counts["new"]),
        ("  new versions (became current)", summary.counts["changed"]),
        ("  older versions (history)", summary.counts["history"]),
        ("  unchanged", summary.counts["unchanged"]),
        ("quarantined", summary.counts["quarantined"]),
        ("files skipped (not records)", len(summary.skipped)),
        ("time", f"{summary.elapsed:.1f} s"),
        ("speed", f"{summary.records_per_second:,.0f} records/s"),
    ]
    for label, value in rows:
        table.add_row(label, str(value))
    for fmt, count in sorted(summary.by_format.items()):
        table.add_row(f"format {fmt}", str(count))
    console.print(table)
    for note in summary.skipped[:10]:
        console.print(f"[dim]skipped {note}[/]", highlight=False)
    if len(summary.skipped) > 10:
        console.print(f"[dim]... and {len(summary.skipped) - 10} more skipped files[/]")
    for path in summary.missing:
        err_console.print(f"[yellow]Warning:[/] no such file or pattern: {path}", highlight=False)
    if summary.counts["quarantined"]:
        err_console.print(
            f"[yellow]Warning:[/] {summary.counts['quarantined']} record(s) quarantined;"
            " see `trialscope quarantine list`."
        )


@app.command("import")
def import_command(
    ctx: typer.Context,
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders or glob patterns of CT.gov records.")
    ],
    batch_size: Annotated[
        int | None,
        typer.Option(help="Records per transaction (env: TRIALSCOPE_BATCH_SIZE).", min=1),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes that parse records (env: TRIALSCOPE_WORKERS; default: CPUs).", min=1
        ),
    ] = None,
    as_json: JsonFlag = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Import CT.gov records: API v2 JSON/JSONL(.gz), pages, bulk zip, classic JSON, legacy XML.

    The format is detected from each file's content. Unreadable records are
    quarantined with the reason and the run goes on; it exits non-zero only
    when nothing at all could be read.
    """
    st = state(ctx)
    settings = Settings.resolve(db=st.db, batch_size=batch_size, workers=workers)
    store = st.store()
    show_bar = not quiet and not as_json and console.is_terminal
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=not show_bar,
        transient=True,
    ) as bar:
        task = bar.add_task(STAGES["storing"], total=None, count="")

        def advance(p: ImportProgress) -> None:
            expected = p.expected_records
            if bar.tasks[task].description != STAGES[p.stage]:
                bar.reset(task, description=STAGES[p.stage])
            elapsed = bar.tasks[task].elapsed or 1e-9
            bar.update(
                task,
                total=expected,
                completed=p.records,
                count=progress_count(p, p.records / elapsed),
            )

        summary = import_paths(
            store,
            paths,
            batch_size=settings.batch_size,
            workers=settings.workers,
            on_progress=advance,
        )
    indexed = refresh_index(store, show_bar, settings.workers)
    if as_json:
        print_json({**summary.as_dict(), "indexed": indexed})
    else:
        _print_summary(summary)
        if indexed:
            console.print(f"Search index: {indexed:,} studies (re)indexed.")
    if summary.nothing_read:
        err_console.print("[bold red]Error:[/] no record could be read from the given paths.")
        raise typer.Exit(1)


#: what the import's progress bar calls each stage
STAGES = {
    "storing": "1/4 storing",
    "criteria": "2/4 criteria",
    "index": "3/4 index",
    "related": "4/4 related trials",
}


def progress_count(p: ImportProgress, rate: float) -> str:
    """ "4,123 of about 9,150 records · 620/s": records, never files or bytes."""
    expected = p.expected_records
    unit = "records" if p.stage == "storing" else "studies"
    if expected is None:
        of = ""
    elif p.total_records is None and p.bytes_done < p.total_bytes:
        of = f" of about {expected:,}"
    else:
        of = f" of {expected:,}"
    return f"{p.records:,}{of} {unit} · {rate:,.0f}/s"


def refresh_index(
    store: Store, show_bar: bool, workers: int = 1, seconds: dict[str, float] | None = None
) -> int:
    """Bring the search index up to date with what was just stored, with a progress bar
    (related trials in ``workers`` processes when many are queued; each part's wall time
    into ``seconds`` when given)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,.0f} of {task.total:,.0f} studies"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=not show_bar,
        transient=True,
    ) as bar:
        task = bar.add_task(STAGES["index"], total=None, visible=False)

        def advance(done: int, waiting: int) -> None:
            bar.update(task, total=waiting, completed=done, visible=True)

        related = bar.add_task(STAGES["related"], total=None, visible=False)

        def advance_related(done: int, waiting: int) -> None:
            bar.update(related, total=waiting, completed=done, visible=True)

        return service.refresh_index(
            store, advance, advance_related, workers=workers, seconds=seconds
        )


# -- show -----------------------------------------------------------------------------


@app.command()
def show(
    ctx: typer.Context,
    nct_id: Annotated[str, typer.Argument(help="NCT id, e.g. NCT04416854.")],
    fmt: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="md (agent page), card, json, text, plain.")
    ] = ShowFormat.MD,
    base_url: Annotated[
        str | None,
        typer.Option(help="Public base URL for canonical links (env: TRIALSCOPE_BASE_URL)."),
    ] = None,
) -> None:
    """Show one study as the agent markdown page, a card, its v2 JSON or plain text."""
    nct = normalise_nct_id(nct_id)
    store = state(ctx).store()
    if fmt is ShowFormat.JSON:
        typer.echo(store.study_bytes(nct).decode())
    elif fmt is ShowFormat.CARD:
        typer.echo(service.card_page(store, nct), nl=False)
    elif fmt is ShowFormat.TEXT:
        typer.echo(service.text_page(store, nct), nl=False)
    elif fmt is ShowFormat.PLAIN:  # the patient page's words (render/plain_language.py)
        typer.echo(service.plain_page(store, nct), nl=False)
    else:
        settings = Settings.resolve(db=state(ctx).db, base_url=base_url)
        typer.echo(service.agent_page(store, nct, base_url=settings.base_url), nl=False)


# -- changes and versions -------------------------------------------------------------


@app.command()
def changes(
    ctx: typer.Context,
    nct_ids: Annotated[
        list[str] | None, typer.Argument(help="Limit to these NCT ids (default: all).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only changes seen since: 30d, 12h, 2w or a date.")
    ] = None,
    field: Annotated[
        str | None, typer.Option(help="Only paths matching this pattern, e.g. 'status.*'.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many.", min=1)] = 200,
    first_sight: Annotated[
        bool,
        typer.Option(help="Count a study's first version as its watched fields 'added'."),
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Field-level changes between consecutive versions, newest first."""
    store = state(ctx).store()
    listed = service.field_changes(
        store, nct_ids or (), since=since, field=field, first_sight=first_sight
    )
    found = listed.changes[:limit]
    if as_json:
        print_json([c.to_json() for c in found])
        return
    if not found:
        console.print("No changes match.")
        return
    current = None
    for change in found:
        if change.nct_id != current:
            current = change.nct_id
            console.print(f"[bold]{current}[/]")
        console.print("  " + change_line(change).removeprefix("- "), highlight=False)


@app.command()
def versions(
    ctx: typer.Context,
    nct_id: Annotated[str, typer.Argument(help="NCT id.")],
    as_json: JsonFlag = False,
) -> None:
    """Every stored version of a study, oldest first (the last is current)."""
    found = state(ctx).store().versions(nct_id.strip())
    if as_json:
        print_json([v.to_json() for v in found])
        return
    table = Table(title=f"Versions of {nct_id.upper()}", title_justify="left")
    for column in ("#", "CT.gov update", "format", "hash", "first seen", "source"):
        table.add_column(column)
    for v in found:
        table.add_row(
            str(v.version_id),
            v.last_update_post_date or "?",
            v.source_format,
            v.content_hash[:12],
            iso_utc(v.first_seen),
            v.source,
        )
    console.print(table)


# -- stats, runs, quarantine ----------------------------------------------------------


@app.command()
def stats(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Count studies by status, phase, study type and source format."""
    figures = state(ctx).store().stats()
    if as_json:
        print_json(figures)
        return
    console.print(
        f"[bold]{figures['studies']:,}[/] studies, {figures['versions']:,} versions,"
        f" {figures['changes']:,} field changes, {figures['quarantined']:,} quarantined,"
        f" {figures['partial']:,} partial records"
    )
    for key, title in (
        ("by_status", "Overall status"),
        ("by_phase", "Phase"),
        ("by_study_type", "Study type"),
        ("by_source_format", "Source format"),
    ):
        table = Table(title=title, title_justify="left", show_header=False)
        table.add_column()
        table.add_column(justify="right")
        for value, count in figures[key].items():
            table.add_row(value, f"{count:,}")
        console.print(table)


@app.command()
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1)] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Recent import runs and their counts."""
    found = state(ctx).store().runs(limit)
    if as_json:
        print_json(found)
        return
    table = Table(title="Import runs", title_justify="left")
    for column in ("run", "started", "status", "records", "new", "changed", "quarantined"):
        table.add_column(column)
    for run in found:
        counts = run["counts"]
        table.add_row(
            str(run["id"]),
            run["started_at"],
            run["status"],
            *(str(counts.get(k, "")) for k in ("records", "new", "changed", "quarantined")),
        )
    console.print(table)


quarantine_app = typer.Typer(help="Records that could not be read, with the reason.")
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    run: Annotated[int | None, typer.Option(help="Only this import run.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    as_json: JsonFlag = False,
) -> None:
    """List quarantined records, newest first."""
    entries = state(ctx).store().quarantine(limit=limit, run_id=run)
    if as_json:
        keys = ("id", "run_id", "source", "position", "reason", "created_at")
        print_json([{k: getattr(e, k) for k in keys} for e in entries])
        return
    if not entries:
        console.print("The quarantine is empty.")
        return
    table = Table(title="Quarantine", title_justify="left")
    for column in ("id", "run", "source", "position", "reason"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(str(e.id), str(e.run_id or ""), e.source, e.position, e.reason)
    console.print(table)


@quarantine_app.command("show")
def quarantine_show(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="Quarantine entry id (see `quarantine list`).")],
    raw: Annotated[bool, typer.Option("--raw", help="Print only the raw bytes.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show one quarantined record: where it came from, why, and its bytes."""
    entry = state(ctx).store().quarantine_entry(entry_id)
    text = entry.raw.decode("utf-8", "replace") if entry.raw is not None else ""
    if raw:
        typer.echo(text)
        return
    if as_json:
        print_json(
            {
                "id": entry.id,
                "run_id": entry.run_id,
                "source": entry.source,
                "position": entry.position,
                "reason": entry.reason,
                "created_at": entry.created_at,
                "raw": text,
            }
        )
        return
    console.print(f"[bold]#{entry.id}[/] {entry.source} ({entry.position})", highlight=False)
    console.print(f"[bold]reason:[/] {entry.reason}", highlight=False)
    console.print(text[:4000] + ("\n..." if len(text) > 4000 else ""), highlight=False)
