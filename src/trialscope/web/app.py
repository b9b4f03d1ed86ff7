"""The web app: JSON API under /api/v2, server-rendered pages, /llms.txt.

``create_app(settings)`` builds the FastAPI application; ``trialscope serve`` runs
it with uvicorn (``create_app_from_env`` is the factory its workers import).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from trialscope import __version__
from trialscope.config import Settings, env
from trialscope.render.card import RECRUITING_WORDS, STATUS_NOT_GIVEN
from trialscope.service import Backend as Backend  # the shells import it from here
from trialscope.vocab import InterventionType, Phase, Status, StudyType, Vocab
from trialscope.web.errors import ErrorBody, PeopleText, install_error_handlers
from trialscope.web.textfmt import paragraphs

HERE = Path(__file__).parent
DESCRIPTION = """\
A self-hosted mirror of ClinicalTrials.gov.

`GET /api/v2/studies` accepts the CT.gov API v2 parameters (`query.*`, `filter.*`,
`pageSize`, `pageToken`, `countTotal`, `fields`) and answers in its shape, so a CT.gov
client can point at this mirror. Every error comes in one envelope:
`{"error": {"code", "message", "hint", "status"}}`.
"""


#: labels of the plain strings search hits carry (status, phase, type codes)
_LABELS = {m.value: m.label for v in (InterventionType, StudyType, Phase, Status) for m in v}


def label(value: object) -> str | None:
    """Display text of a vocabulary member or of a plain API code."""
    if value is None:
        return None
    if isinstance(value, Vocab):
        return value.label
    return _LABELS.get(str(value), str(value))


def status_label(value: object) -> str:
    """Seed 001's words: "Enrolling" for RECRUITING, else CT.gov's label; a missing
    status is said to be missing."""
    if not value:
        return STATUS_NOT_GIVEN
    return RECRUITING_WORDS.get(str(value)) or label(value) or str(value)


def backend(request: Request) -> Backend:
    found: Backend = request.app.state.backend
    return found


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found


def _templates(settings: Settings) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # templates ship with the package: no stat of each file on every render
        auto_reload=False,
    )
    env.filters["label"] = label
    env.filters["status_word"] = status_label
    env.filters["paragraphs"] = paragraphs
    env.globals["version"] = __version__
    env.globals["base_url"] = settings.base_url or ""
    return Jinja2Templates(env=env)


def create_app(settings: Settings, preload: bool = False) -> FastAPI:
    """The whole app for one database; nothing is opened until the first request, but
    with ``preload`` (``serve``) the search index is read into memory in the background
    at start, so the first searches do not wait for the disk."""
    state = Backend(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if preload:
            state.preload()
        yield
        state.close()

    app = FastAPI(
        title="trialscope",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.backend = state
    app.state.settings = settings
    app.state.templates = _templates(settings)

    def render_error(request: Request, body: ErrorBody, people: PeopleText) -> str:
        page = app.state.templates.get_template("error.html")
        html: str = page.render(request=request, error=body, people=people, title=people.message)
        return html

    app.state.render_error = render_error
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from trialscope.web import (
        api,
        api_search,
        feeds,
        match_api,
        match_pages,
        pages,
        plain,
        search_pages,
    )

    app.include_router(api_search.router)
    app.include_router(api.router)
    app.include_router(plain.router)
    app.include_router(search_pages.router)
    app.include_router(pages.router)
    app.include_router(feeds.api)
    app.include_router(feeds.router)
    app.include_router(match_api.router)
    app.include_router(match_pages.router)
    return app


#: the templates a trial page renders, compiled before the first visit
PAGE_TEMPLATES = ("trial.html", "patient.html", "search.html", "error.html")


def warm_up(app: FastAPI) -> None:
    """Load what the first trial page would otherwise load (templates, the vocabulary the
    plain-language sentences read), then freeze it all out of the garbage collector: a
    full collection over the long-lived objects paused a page for 50-100 ms (p99)."""
    from trialscope.criteria.vocabulary import terminology

    for name in PAGE_TEMPLATES:
        app.state.templates.get_template(name)
    terminology()
    gc.collect()
    gc.freeze()


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers: settings from TRIALSCOPE_* (``serve`` sets them);
    TRIALSCOPE_INDEX_PRELOAD=0 leaves the search index on disk until searched."""
    app = create_app(Settings.resolve(), preload=env("INDEX_PRELOAD") != "0")
    warm_up(app)
    return app
