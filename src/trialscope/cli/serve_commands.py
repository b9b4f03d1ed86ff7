"""``trialscope serve``: the web app and JSON API under uvicorn."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from typing import Annotated, Any

import typer

from trialscope.cli.app import app, state
from trialscope.cli.output import err_console
from trialscope.config import ENV_PREFIX, Settings
from trialscope.criteria.store import parse_counts
from trialscope.errors import ConfigError
from trialscope.match.views import pending_views
from trialscope.store import Store


def check_can_listen(host: str, port: int) -> None:
    """Fail with one clear line when ``host:port`` cannot be listened on (busy, not ours).

    Uvicorn would log the bind error between its startup and shutdown lines; a person
    reading that needs only which port is busy and how to pick another.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(
            f"Cannot listen on {host!r}: not a known address ({exc.strerror})."
        ) from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # as uvicorn binds: a port left in TIME_WAIT by a previous run is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"Port {port} on {host} is already in use; pick another with --port"
                    f" {port + 1 if port < 65535 else 8000} (or TRIALSCOPE_PORT)."
                ) from exc
            if exc.errno == errno.EACCES:
                raise ConfigError(
                    f"Not allowed to listen on port {port}: ports below 1024 need root;"
                    " use --port 8000."
                ) from exc
            raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from exc


def start_reparse(store: Store, db: str) -> subprocess.Popen[bytes] | None:
    """Parse stale or missing eligibility criteria (the parser changed since they were
    stored) in a separate process, so pages are not parsed on a first visit for long.

    A process, not a thread: parsing is CPU work that would hold the server's GIL. Until
    it is done a page whose parse is stale still parses it on the spot, as before."""
    counts = parse_counts(store)
    waiting = counts["stale"] + counts["unparsed"]
    views = pending_views(store)
    if not waiting and not views:
        return None
    if waiting:
        err_console.print(
            f"{waiting:,} of {counts['studies']:,} eligibility parses are stale or missing (the"
            " parser changed); parsing them in the background (`trialscope reparse`).",
            highlight=False,
        )
    else:
        # the matcher changed: its views of the open trials are made ahead again, so the
        # first patient matched does not judge every criterion of every trial itself
        err_console.print(
            f"{views:,} open trials have no up-to-date match view (the matcher changed);"
            " making them in the background (`trialscope reparse`).",
            highlight=False,
        )
    return subprocess.Popen(
        [sys.executable, "-m", "trialscope", "--db", db, "reparse"],
        stdout=subprocess.DEVNULL,
    )


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on (env: TRIALSCOPE_HOST; default: 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port (env: TRIALSCOPE_PORT; default: 8000).", min=1, max=65535),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (env: TRIALSCOPE_SERVE_WORKERS; default: 1).", min=1),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="Public base URL for canonical links (env: TRIALSCOPE_BASE_URL)."),
    ] = None,
    reparse: Annotated[
        bool,
        typer.Option(
            help="Parse stale or missing eligibility criteria in a background process first."
        ),
    ] = True,
) -> None:
    """Serve the web app (search, trial, patient and markdown pages) and the JSON API."""
    import uvicorn

    st = state(ctx)
    settings = Settings.resolve(
        db=st.db, host=host, port=port, serve_workers=workers, base_url=base_url
    )
    store = st.store()  # open (and migrate) the database now: a bad path fails here
    check_can_listen(settings.host, settings.port)
    parsing = start_reparse(store, settings.db) if reparse else None
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
    try:
        _run(uvicorn, settings)
    finally:
        if parsing is not None and parsing.poll() is None:
            parsing.terminate()  # a stopped reparse loses nothing; the next serve resumes it


def _run(uvicorn: Any, settings: Settings) -> None:
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
