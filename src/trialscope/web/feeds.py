"""Saved searches on the web: the Atom feed of each (``/feeds/{name}.atom``), the JSON API
(``/api/v1/watches``), and the search page's "Save this search" form with the page it
leads to (``/watches/{name}``).

The feed serves what runs found (``trialscope watch run``, or ``POST
/api/v1/watches/{name}/run``); reading it changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import QueryParams

from trialscope.search.request import SearchRequest
from trialscope.watch import NAME_PATTERN, Watch, Watches
from trialscope.watch.atom import atom_feed, entry_html
from trialscope.web.app import Backend, backend, templates
from trialscope.web.errors import ERROR_RESPONSES
from trialscope.web.related import engine_for
from trialscope.web.search_pages import SearchForm, request_params

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["saved searches"], responses=ERROR_RESPONSES)

WatchName = Annotated[str, Path(pattern=NAME_PATTERN, description="Name of a saved search")]
#: entries in a feed and on a watch's page
FEED_ENTRIES = 100


def watches_for(state: Backend) -> Watches:
    return Watches(state.store(), engine_for(state))


def search_url(request: SearchRequest) -> str:
    """The search page that asks this saved search."""
    pairs = request_params(request)
    return "/search" + (f"?{urlencode(pairs)}" if pairs else "")


def _base(request: Request, state: Backend) -> str:
    return state.settings.base_url or str(request.base_url).rstrip("/")


# -- the feed ---------------------------------------------------------------------------


@router.get("/feeds/{name}.atom")
def feed(
    name: WatchName, request: Request, state: Annotated[Backend, Depends(backend)]
) -> Response:
    """Atom 1.0: one entry per trial and version that joined the search or changed."""
    watches = watches_for(state)
    watch = watches.get(name)
    base = _base(request, state)
    body = atom_feed(
        watch,
        watches.events(name, FEED_ENTRIES),
        base_url=base,
        self_url=f"{base}/feeds/{name}.atom",
        search_url=base + search_url(watch.request),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


# -- the web form and a watch's page ----------------------------------------------------


@router.post("/watches")
async def save_search(request: Request, state: Annotated[Backend, Depends(backend)]) -> Response:
    """The search page's "Save this search": ``name`` and ``search`` (its query string)."""
    body = (await request.body())[:20_000].decode("utf-8", "replace")
    fields = dict(parse_qsl(body))
    name = fields.get("name", "").strip()
    wanted = SearchForm.from_params(QueryParams(fields.get("search", ""))).request()
    watches_for(state).add(name, wanted)
    return RedirectResponse(f"/watches/{name}", status_code=303)


@router.get("/watches/{name}", response_class=HTMLResponse)
def watch_page(
    name: WatchName, request: Request, state: Annotated[Backend, Depends(backend)]
) -> Response:
    watches = watches_for(state)
    watch = watches.get(name)
    events = watches.events(name, FEED_ENTRIES)
    context = {
        "watch": watch,
        "entries": [(e, entry_html(e)) for e in events],
        "search_url": search_url(watch.request),
        "feed_url": f"/feeds/{name}.atom",
        "title": f"Saved search {name}",
    }
    return templates(request).TemplateResponse(request, "watch.html", context)


# -- JSON API ---------------------------------------------------------------------------


class NewWatch(BaseModel):
    name: str = Field(pattern=NAME_PATTERN, description="Letters, digits, '-' or '_'")
    search: dict[str, Any] = Field(
        default_factory=dict,
        description="Options of `trialscope search`: " + ", ".join(SearchRequest.model_fields),
        examples=[{"cond": "liver metastases", "status": ["RECRUITING"]}],
    )


@api.get("/watches", summary="Saved searches")
def list_watches(state: Annotated[Backend, Depends(backend)]) -> dict[str, Any]:
    return {"watches": [w.to_json() for w in watches_for(state).all()]}


@api.post("/watches", status_code=201, summary="Save a search (its snapshot is taken now)")
def add_watch(body: NewWatch, state: Annotated[Backend, Depends(backend)]) -> dict[str, Any]:
    request = SearchRequest.from_json(body.search)
    watch: Watch = watches_for(state).add(body.name, request)
    return watch.to_json()


@api.get("/watches/{name}", summary="One saved search and what its runs found")
def get_watch(name: WatchName, state: Annotated[Backend, Depends(backend)]) -> dict[str, Any]:
    watches = watches_for(state)
    found = watches.get(name).to_json()
    found["events"] = [e.to_json() for e in watches.events(name, FEED_ENTRIES)]
    return found


@api.post("/watches/{name}/run", summary="Run a saved search now: new and changed trials")
def run_watch(name: WatchName, state: Annotated[Backend, Depends(backend)]) -> dict[str, Any]:
    return watches_for(state).run(name).to_json()
