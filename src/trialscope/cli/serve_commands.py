"""``trialscope serve``: the web app and JSON API under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from trialscope.config import ENV_PREFIX, Settings

from .app import app, state
from .output import err_console


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on [env: TRIALSCOPE_HOST; default: 127.0.0.1]."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port [env: TRIALSCOPE_PORT; default: 8000].", min=1, max=65535),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes [env: TRIALSCOPE_SERVE_WORKERS; default: 1].", min=1),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="Public base URL for canonical links [env: TRIALSCOPE_BASE_URL]."),
    ] = None,
) -> None:
    """Serve the web app (search, trial, patient and markdown pages) and the JSON API."""
    import uvicorn

    st = state(ctx)
    settings = Settings.resolve(
        db=st.db, host=host, port=port, serve_workers=workers, base_url=base_url
    )
    st.store()  # open (and migrate) the database now: a bad path fails here, not per request
    st.close()
    # Workers are separate processes that build the app from the environment.
    os.environ[ENV_PREFIX + "DB"] = settings.db
    if settings.base_url:
        os.environ[ENV_PREFIX + "BASE_URL"] = settings.base_url
    err_console.print(
        f"Serving {settings.db} on http://{settings.host}:{settings.port}/"
        f" ({settings.serve_workers} worker{'s' if settings.serve_workers > 1 else ''});"
        " API docs at /docs. Ctrl-C stops.",
        highlight=False,
    )
    uvicorn.run(
        "trialscope.web.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.serve_workers,
        reload=False,
        # no access log: query strings can hold a patient's age, sex or place
        access_log=False,
        log_level="info",
        proxy_headers=False,
    )
