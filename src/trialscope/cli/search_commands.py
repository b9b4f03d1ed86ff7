"""`trialscope search` and `trialscope related`: find trials in the mirror."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from trialscope.errors import UsageError
from trialscope.search import GeoFilter, Hit, SearchEngine, SearchQuery, SortOrder, locate_place
from trialscope.search.types import SearchResult

from .app import app, state
from .output import console, print_json

Opt = typer.Option
_RADIUS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km|mi|miles?)?\s*$", re.IGNORECASE)


def parse_radius(text: str) -> float:
    """``100km``, ``50mi``, ``25`` (km) → kilometres."""
    match = _RADIUS.match(text)
    if not match:
        raise UsageError(f"Cannot read the radius {text!r}.", hint="Use e.g. 100km or 50mi.")
    value = float(match.group(1))
    unit = (match.group(2) or "km").lower()
    return value * 1.609344 if unit.startswith("mi") else value


def _upper(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip().upper() for v in values or () if v.strip())


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


@app.command()
def search(
    ctx: typer.Context,
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
    state_: Annotated[str | None, Opt("--state", help="State or region of a site.")] = None,
    city: Annotated[str | None, Opt(help="City of a site.")] = None,
    near: Annotated[str | None, Opt(help="Place name or lat,lon (offline gazetteer).")] = None,
    radius: Annotated[str, Opt(help="Distance from --near: 100km, 50mi.")] = "100km",
    has_results: Annotated[bool | None, Opt("--has-results/--no-results")] = None,
    updated_since: Annotated[str | None, Opt(help="Last update on or after YYYY-MM-DD.")] = None,
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
    geo = None
    if near:
        place = locate_place(near)
        geo = GeoFilter(place.lat, place.lon, parse_radius(radius), place.label)
    if sex and sex.strip().upper() not in ("FEMALE", "MALE"):
        raise UsageError(f"Unknown sex {sex!r}.", hint="Use female or male.")
    query = SearchQuery(
        text=text,
        cond=cond,
        intr=intr,
        sponsor=sponsor,
        statuses=_upper(status),
        site_statuses=_upper(site_status),
        phases=_upper(phase),
        study_types=_upper(study_type),
        intervention_types=_upper(intervention_type),
        age_years=age,
        sex=sex.strip().upper() if sex else None,
        healthy_volunteers=healthy,
        country=country,
        state=state_,
        city=city,
        geo=geo,
        has_results=has_results,
        updated_from=updated_since,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
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
