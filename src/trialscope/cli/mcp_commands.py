"""``trialscope mcp``: the MCP server for agents, over stdio or streamable HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from trialscope.cli.app import app, state
from trialscope.cli.output import err_console
from trialscope.config import Settings


@app.command()
def mcp(
    ctx: typer.Context,
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on with --http.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port with --http.", min=1, max=65535)] = 8765,
    base_url: Annotated[
        str | None,
        typer.Option(help="Public base URL for canonical links (env: TRIALSCOPE_BASE_URL)."),
    ] = None,
) -> None:
    """Serve the mirror to AI agents over MCP: tools search_trials, get_trial,
    trial_changes, explain_criteria, and each trial's page as the resource trial://NCT...

    Over stdio (the default) an agent client starts this command itself; stdout carries
    the protocol only.
    """
    from trialscope.mcp_server import serve_http, serve_stdio

    st = state(ctx)
    settings = Settings.resolve(db=st.db, base_url=base_url)
    st.store()  # open (and migrate) the database now: a bad path fails here, not per call
    st.close()
    if not http:
        serve_stdio(settings)
        return
    err_console.print(
        f"MCP server for {settings.db} on http://{host}:{port}/mcp (streamable HTTP). Ctrl-C"
        " stops.",
        highlight=False,
    )
    serve_http(settings, host, port)
