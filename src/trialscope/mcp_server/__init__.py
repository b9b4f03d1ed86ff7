"""trialscope as an MCP server: ``trialscope mcp`` (stdio) or ``trialscope mcp --http``.

``build_server(settings)`` gives the SDK's ``MCPServer`` with the tools of
``trialscope.mcp_server.tools`` and the resource template ``trial://{nct_id}``.
"""

from __future__ import annotations

from trialscope.mcp_server.server import RESOURCE_TEMPLATE, build_server, serve_http, serve_stdio
from trialscope.mcp_server.tools import TOOLS, TrialTools

__all__ = ["RESOURCE_TEMPLATE", "TOOLS", "TrialTools", "build_server", "serve_http", "serve_stdio"]
