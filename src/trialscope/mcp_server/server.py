"""The MCP server (official ``mcp`` SDK): the tools of :mod:`.tools` and each trial's agent
page as a resource, over stdio or streamable HTTP.

Tools that fail on purpose (an unknown NCT id, a bad option) answer with an MCP tool error
carrying trialscope's message and hint; the server goes on. Nothing a client sends is
logged: the SDK's per-call INFO lines would quote failed tool calls, so the server logs
warnings only.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp_types import ToolAnnotations

from trialscope import __version__
from trialscope.config import Settings
from trialscope.errors import NotFoundError, TrialscopeError
from trialscope.mcp_server.tools import TOOLS, TrialTools, nct
from trialscope.service import Backend

RESOURCE_TEMPLATE = "trial://{nct_id}"
INSTRUCTIONS = """\
trialscope is an offline mirror of ClinicalTrials.gov. Find trials with search_trials
(words, condition, status, phase, a patient's age and sex, a place and radius), read one
with get_trial (markdown: facts, eligibility, arms, locations, recent changes), follow what
changed with trial_changes, and read eligibility criteria as computable constraints with
explain_criteria; match a patient (a note or structured facts) to trials, criterion by
criterion, with match_patient. Each trial's page is also the resource trial://NCT........
Everything comes from registry records; none of it is medical advice."""


def _message(exc: TrialscopeError) -> str:
    return f"{exc.message} Hint: {exc.hint}" if exc.hint else exc.message


def tool_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A tool whose TrialscopeError reaches the client as a tool error with its hint."""

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TrialscopeError as exc:
            raise ToolError(_message(exc)) from None

    return guarded


def build_server(settings: Settings) -> MCPServer[Any]:
    backend = Backend(settings)
    tools = TrialTools(backend)

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        try:
            yield
        finally:
            backend.close()

    server: MCPServer[Any] = MCPServer(
        "trialscope",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level="WARNING",
    )
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
    for name in TOOLS:
        method = getattr(tools, name)
        # get_trial answers markdown; the others a JSON object (structured content too)
        server.add_tool(
            tool_errors(method),
            name=name,
            annotations=read_only,
            structured_output=name != "get_trial",
        )

    @server.resource(
        RESOURCE_TEMPLATE,
        name="trial",
        title="Trial page (agent markdown)",
        description="One trial as its agent markdown page, as get_trial returns it.",
        mime_type="text/markdown",
    )
    def trial_page(nct_id: str) -> str:
        try:
            return tools.get_trial(nct(nct_id))
        except NotFoundError as exc:
            raise ResourceNotFoundError(_message(exc)) from None
        except TrialscopeError as exc:
            raise ResourceError(_message(exc)) from None

    return server


def serve_stdio(settings: Settings) -> None:
    build_server(settings).run("stdio")


def serve_http(settings: Settings, host: str, port: int) -> None:
    """Streamable HTTP at ``http://HOST:PORT/mcp``; requests are not logged."""
    import anyio
    import uvicorn

    app = build_server(settings).streamable_http_app(host=host)
    config = uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning")
    anyio.run(uvicorn.Server(config).serve)
