"""`trialscope search`, `trialscope related` and `trialscope index`: find trials in the
mirror, and bring its search index up to date (or rebuild it)."""

from __future__ import annotations

from typing import Annotated

import typer

from trialscope import service
from trialscope.cli.app import app, state
from trialscope.cli.commands import refresh_index
from trialscope.cli.options import JsonFlag, with_search_options
from trialscope.cli.output import console, err_console, print_json
from trialscope.config import search_settings
from trialscope.search import SearchEngine, SortOrder
from trialscope.search.request import SearchRequest
from trialscope.search.types import SearchResult

Opt = typer.Option


def _print(result: SearchResult, place: str | None) -> None:
    if not result.hits:
        console.print("No trials match.")
        return
    where = f" near {place}" if place else ""
    console.print(f"[bold]{result.total:,} trial(s){where}[/]")
    for hit in result.hits:
        facts = " · ".join(
            x for x in (hit.overall_status, ", ".join(hit.phases), hit.lead_sponsor) if x
        )
        console.print(f"\n[bold cyan]{hit.nct_id}[/]  {hit.brief_title or ''}", highlight=False)
        console.print(f"  {facts}", highlight=False)
        if hit.conditions:
            console.print(f"  [dim]conditions:[/] {', '.join(hit.conditions[:4])}", highlight=False)
        site = hit.nearest_site
        if site is not None:
            spot = ", ".join(x for x in (site.facility, site.city, site.country) if x)
            console.print(
                f"  [dim]nearest site:[/] {site.distance_km:,.0f} km · {spot}"
                f" ({site.status or 'status not given'})",
                highlight=False,
            )
    if result.next_cursor:
        console.print(f"\n[dim]more: --cursor {result.next_cursor}[/]")


@app.command()
@with_search_options
def search(
    ctx: typer.Context,
    request: SearchRequest,
    sort: Annotated[
        SortOrder, Opt(help="relevance, distance, last_update, start_date.")
    ] = SortOrder.RELEVANCE,
    limit: Annotated[int, Opt(help="Results per page.", min=1, max=1000)] = 10,
    cursor: Annotated[str | None, Opt(help="Continue from a previous page.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Search the mirror: ranked full text with filters, distance and facets.

    Example: trialscope search "liver metastases" --status RECRUITING --phase PHASE3
    --near Shanghai --radius 100km --age 62 --sex female
    """
    query = request.to_query(sort=sort, limit=limit, cursor=cursor)
    geo = query.geo
    result = SearchEngine(state(ctx).store()).search(query)
    if as_json:
        print_json(
            {
                "total": result.total,
                "hits": [h.to_json() for h in result.hits],
                "facets": result.facets,
                "next_cursor": result.next_cursor,
                "near": None
                if geo is None
                else {
                    "label": geo.label,
                    "lat": geo.lat,
                    "lon": geo.lon,
                    "radius_km": geo.radius_km,
                },
            }
        )
        return
    _print(result, geo.label if geo else None)


@app.command()
def related(
    ctx: typer.Context,
    nct_id: Annotated[str, typer.Argument(help="NCT id.")],
    limit: Annotated[int, Opt(help="How many.", min=1, max=50)] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Trials most like this one (conditions, MeSH terms, interventions, title)."""
    store = state(ctx).store()
    store.current_version(nct_id)  # a clear error for an unknown id
    hits = SearchEngine(store).related(nct_id, k=limit)
    if as_json:
        print_json([h.to_json() for h in hits])
        return
    _print(SearchResult(hits=hits, total=len(hits)), None)


@app.command("index")
def index(
    ctx: typer.Context,
    rebuild: Annotated[
        bool, Opt("--rebuild", help="Build the tantivy index afresh from the store.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Bring the search index up to date with the store (searches do it by themselves).

    The tantivy index lives beside an SQLite file (<db>.tantivy) or under
    TRIALSCOPE_INDEX_DIR; if it is deleted, the next search or this command rebuilds it.
    """
    store = state(ctx).store()
    settings = search_settings(store.location)
    indexed = refresh_index(store, not as_json and err_console.is_terminal)
    built = service.rebuild_top_index(store) if rebuild else None
    folder = None
    if settings.engine == "tantivy":
        top = SearchEngine(store).top
        assert top is not None
        top.catch_up(store)
        folder = str(top.folder)
        generation = top.watermark
    summary = {
        "engine": settings.engine,
        "indexed": indexed,
        "index_dir": folder,
        "rebuilt": built is not None,
        "generation": generation if folder else None,
    }
    if as_json:
        print_json(summary)
        return
    console.print(f"Search engine: {settings.engine}; {indexed:,} studies (re)indexed.")
    if folder:
        what = "rebuilt" if built is not None else "up to date"
        console.print(f"Top-k index {what} at {folder} (generation {generation:,}).")
