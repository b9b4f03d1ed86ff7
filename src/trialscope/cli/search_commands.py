"""`trialscope search` and `trialscope related`: find trials in the mirror."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from inspect import Parameter
from typing import Annotated, Any, get_type_hints

import typer

from trialscope.search import Hit, SearchEngine, SortOrder
from trialscope.search.options import SearchOptions, parse_radius
from trialscope.search.types import SearchResult

from .app import app, state
from .output import console, print_json

Opt = typer.Option
KEYWORD_ONLY = Parameter.KEYWORD_ONLY

__all__ = ["hit_json", "parse_radius", "with_search_options"]


def hit_json(hit: Hit) -> dict[str, Any]:
    data: dict[str, Any] = {
        "nct_id": hit.nct_id,
        "score": hit.score,
        "brief_title": hit.brief_title,
        "overall_status": hit.overall_status,
        "phases": list(hit.phases),
        "study_type": hit.study_type,
        "conditions": list(hit.conditions),
        "interventions": list(hit.interventions),
        "lead_sponsor": hit.lead_sponsor,
        "last_update_post_date": hit.last_update_post_date,
        "start_date": hit.start_date,
        "nearest_site": None,
    }
    if hit.nearest_site is not None:
        site = hit.nearest_site
        data["nearest_site"] = {
            "facility": site.facility,
            "city": site.city,
            "state": site.state,
            "country": site.country,
            "status": site.status,
            "distance_km": site.distance_km,
        }
    return data


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


def _options_template(
    text: Annotated[str | None, typer.Argument(help="Words to look for anywhere.")] = None,
    cond: Annotated[str | None, Opt(help="Condition or disease.")] = None,
    intr: Annotated[str | None, Opt(help="Intervention or treatment.")] = None,
    sponsor: Annotated[str | None, Opt(help="Sponsor or collaborator.")] = None,
    status: Annotated[list[str] | None, Opt(help="Overall status, repeatable.")] = None,
    site_status: Annotated[
        list[str] | None, Opt(help="Status of the site itself, repeatable.")
    ] = None,
    phase: Annotated[list[str] | None, Opt(help="PHASE1, PHASE2, ... repeatable.")] = None,
    study_type: Annotated[list[str] | None, Opt(help="INTERVENTIONAL, OBSERVATIONAL, ...")] = None,
    intervention_type: Annotated[list[str] | None, Opt(help="DRUG, PROCEDURE, ...")] = None,
    age: Annotated[float | None, Opt(help="Patient age in years.", min=0, max=130)] = None,
    sex: Annotated[str | None, Opt(help="female or male.")] = None,
    healthy: Annotated[
        bool | None, Opt("--healthy/--not-healthy", help="Healthy volunteers.")
    ] = None,
    country: Annotated[str | None, Opt(help="Country of a site.")] = None,
    state: Annotated[str | None, Opt("--state", help="State or region of a site.")] = None,
    city: Annotated[str | None, Opt(help="City of a site.")] = None,
    near: Annotated[str | None, Opt(help="Place name or lat,lon (offline gazetteer).")] = None,
    radius: Annotated[str, Opt(help="Distance from --near: 100km, 50mi.")] = "100km",
    has_results: Annotated[bool | None, Opt("--has-results/--no-results")] = None,
    updated_since: Annotated[str | None, Opt(help="Last update on or after YYYY-MM-DD.")] = None,
) -> None:
    """The search options, declared once: ``with_search_options`` gives them to a command."""


_TEMPLATE = inspect.signature(_options_template)
_TEMPLATE_HINTS = get_type_hints(_options_template, include_extras=True)


def with_search_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` every option of ``trialscope search``; it receives them as one
    ``options: SearchOptions`` (so ``search`` and ``watch add`` can never drift apart)."""
    hints = get_type_hints(command, include_extras=True)
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation), kind=KEYWORD_ONLY)
        for p in inspect.signature(command).parameters.values()
        if p.name != "options"
    ]
    shared = [
        p.replace(annotation=_TEMPLATE_HINTS[p.name], kind=KEYWORD_ONLY)
        for p in _TEMPLATE.parameters.values()
    ]

    def wrapper(**kwargs: Any) -> None:
        picked = {name: kwargs.pop(name) for name in _TEMPLATE.parameters}
        command(options=SearchOptions(**picked), **kwargs)

    # the command's required parameters (ctx, a NAME argument) first, its options last
    required = [p for p in own if p.default is Parameter.empty]
    params = required + shared + [p for p in own if p.default is not Parameter.empty]
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(wrapper, attribute, getattr(command, attribute))
    return wrapper


@app.command()
@with_search_options
def search(
    ctx: typer.Context,
    options: SearchOptions,
    sort: Annotated[
        SortOrder, Opt(help="relevance, distance, last_update, start_date.")
    ] = SortOrder.RELEVANCE,
    limit: Annotated[int, Opt(help="Results per page.", min=1, max=1000)] = 10,
    cursor: Annotated[str | None, Opt(help="Continue from a previous page.")] = None,
    as_json: Annotated[bool, Opt("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Search the mirror: ranked full text with filters, distance and facets.

    Example: trialscope search "liver metastases" --status RECRUITING --phase PHASE3
    --near Shanghai --radius 100km --age 62 --sex female
    """
    query = options.to_query(sort=sort, limit=limit, cursor=cursor)
    geo = query.geo
    result = SearchEngine(state(ctx).store()).search(query)
    if as_json:
        print_json(
            {
                "total": result.total,
                "hits": [hit_json(h) for h in result.hits],
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
    as_json: Annotated[bool, Opt("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Trials most like this one (conditions, MeSH terms, interventions, title)."""
    store = state(ctx).store()
    store.current_version(nct_id)  # a clear error for an unknown id
    hits = SearchEngine(store).related(nct_id, k=limit)
    if as_json:
        print_json([hit_json(h) for h in hits])
        return
    _print(SearchResult(hits=hits, total=len(hits)), None)
