"""The MCP server end to end with the SDK's own client: the real ``trialscope mcp`` console
script over stdio, and a real streamable HTTP server on a free 127.0.0.1 port, both on a
store of real records (the seed trial in two versions)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from tests.conftest import Backend, needs_corpus
from tests.webapp import SEED, build_db
from trialscope.mcp_server import TOOLS

pytestmark = needs_corpus

SCRIPT = Path(sys.executable).with_name("trialscope")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TRIALSCOPE_")}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> str:
    return build_db(tmp_path_factory.mktemp("mcp"), backend)


@pytest.fixture(scope="module")
def http_url(db: str) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(SCRIPT), "--db", str(db), "mcp", "--http", "--port", str(port)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the MCP HTTP server did not start")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        # requests are not logged (a client's arguments can describe a patient)
        assert proc.stderr is not None
        assert b"POST /mcp" not in proc.stderr.read()


Session = Callable[[Callable[[Client], Awaitable[Any]]], Any]


@pytest.fixture(params=["stdio", "http"])
def session(request: pytest.FixtureRequest, db: str) -> Session:
    """Runs ``script(client)`` in one client session over the transport under test."""
    if request.param == "stdio":
        target: Any = StdioServerParameters(
            command=str(SCRIPT), args=["--db", str(db), "mcp"], env=_env()
        )
    else:
        target = request.getfixturevalue("http_url")

    def run(script: Callable[[Client], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            async with Client(target) as client:
                return await script(client)

        return anyio.run(main)

    return run


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def test_tools_are_listed_with_their_schemas(session: Session) -> None:
    async def script(client: Client) -> Any:
        return (await client.list_tools()).tools

    tools = {t.name: t for t in session(script)}
    assert (
        set(tools)
        == set(TOOLS)
        == {
            "search_trials",
            "get_trial",
            "trial_changes",
            "explain_criteria",
            "match_patient",
        }
    )
    search = tools["search_trials"].input_schema["properties"]
    for option in ("query", "status", "phase", "condition", "age", "sex", "near", "radius"):
        assert option in search, option
    assert search["limit"]["maximum"] == 50
    assert tools["get_trial"].input_schema["required"] == ["nct_id"]
    assert all(t.annotations and t.annotations.read_only_hint for t in tools.values())
    assert "agent markdown" in (tools["get_trial"].description or "")


def test_search_trials_near_a_place(session: Session) -> None:
    async def script(client: Client) -> Any:
        return await client.call_tool(
            "search_trials",
            {"condition": "colon cancer", "near": "Shanghai", "radius": "50km", "limit": 5},
        )

    result = session(script)
    assert not result.is_error, _text(result)
    found = result.structured_content
    assert found["near"]["place"].startswith("Shanghai")
    hit = next(h for h in found["hits"] if h["nct_id"] == SEED)
    assert hit["brief_title"].startswith("The Value of Palliative Primary Tumor Resection")
    assert hit["phases"] == ["PHASE3"]
    assert hit["nearest_site"]["city"] == "Shanghai"
    assert hit["nearest_site"]["distance_km"] < 50
    assert found["total"] >= 1 and len(found["hits"]) <= 5


def test_search_trials_filters(session: Session) -> None:
    async def script(client: Client) -> Any:
        every = await client.call_tool("search_trials", {"limit": 50})
        recruiting = await client.call_tool(
            "search_trials", {"status": ["recruiting"], "limit": 50}
        )
        return every.structured_content, recruiting.structured_content

    every, recruiting = session(script)
    assert every["total"] > recruiting["total"] > 0
    assert {h["overall_status"] for h in recruiting["hits"]} == {"RECRUITING"}


def test_get_trial_is_the_agent_page(session: Session) -> None:
    async def script(client: Client) -> Any:
        return await client.call_tool("get_trial", {"nct_id": SEED.lower()})

    result = session(script)
    assert not result.is_error
    page = _text(result)
    assert page.startswith("---\ntitle: The Value of Palliative Primary Tumor Resection")
    assert f"nct_id: {SEED}" in page
    assert "## Recent Field Changes (last 30 days)" in page
    assert "`status.overallStatus` — changed from `RECRUITING` to `UNKNOWN`" in page


def test_trial_changes(session: Session) -> None:
    async def script(client: Client) -> Any:
        one = await client.call_tool(
            "trial_changes", {"nct_id": SEED, "since": "30d", "field": "status.*"}
        )
        future = await client.call_tool("trial_changes", {"since": "2999-01-01"})
        return one.structured_content, future.structured_content

    one, future = session(script)
    paths = {(c["path"], c["kind"]) for c in one["changes"]}
    assert ("status.overallStatus", "changed") in paths
    status = next(c for c in one["changes"] if c["path"] == "status.overallStatus")
    assert (status["old"], status["new"]) == ("RECRUITING", "UNKNOWN")
    assert all(c["path"].startswith("status.") for c in one["changes"])
    assert future == {"since": "2999-01-01T00:00:00.000Z", "total": 0, "changes": []}


def test_explain_criteria_for_a_trial_and_a_text(session: Session) -> None:
    async def script(client: Client) -> Any:
        stored = await client.call_tool("explain_criteria", {"nct_id": SEED})
        given = await client.call_tool(
            "explain_criteria",
            {"text": "Inclusion Criteria:\n* ECOG 0-1\n* ANC ≥ 1.5 × 10^9/L"},
        )
        return stored.structured_content, given.structured_content

    stored, given = session(script)
    assert stored["nct_id"] == SEED and stored["items"]
    assert {i["kind"] for i in stored["items"]} >= {"inclusion", "exclusion"}
    constraints = [c for i in given["items"] for c in i["constraints"]]
    by_variable = {c["variable"]: c for c in constraints}
    assert by_variable["ecog"]["operator"] == "range"
    assert by_variable["anc"]["low"]["value"] == 1.5


def test_trial_resource(session: Session) -> None:
    async def script(client: Client) -> Any:
        templates = await client.list_resource_templates()
        read = await client.read_resource(f"trial://{SEED}")
        return templates.resource_templates, read.contents

    templates, contents = session(script)
    assert [t.uri_template for t in templates] == ["trial://{nct_id}"]
    assert templates[0].mime_type == "text/markdown"
    assert contents[0].mime_type == "text/markdown"
    assert contents[0].text.startswith("---\ntitle: The Value of Palliative")


def test_errors_are_tool_errors_and_the_server_goes_on(session: Session) -> None:
    async def script(client: Client) -> Any:
        unknown = await client.call_tool("get_trial", {"nct_id": "NCT00000000"})
        malformed = await client.call_tool("trial_changes", {"nct_id": "12345"})
        bad_place = await client.call_tool("search_trials", {"near": "Nowhereville Qqq"})
        too_old = await client.call_tool("search_trials", {"age": 400})
        neither = await client.call_tool("explain_criteria", {})
        try:
            await client.read_resource("trial://NCT00000000")
            resource_error = None
        except MCPError as exc:
            resource_error = str(exc)
        still = await client.call_tool("get_trial", {"nct_id": SEED})
        return unknown, malformed, bad_place, too_old, neither, resource_error, still

    unknown, malformed, bad_place, too_old, neither, resource_error, still = session(script)
    assert unknown.is_error and "No study NCT00000000 in this mirror" in _text(unknown)
    assert "Hint: Import or sync it first" in _text(unknown)
    assert malformed.is_error and "'12345' is not an NCT id" in _text(malformed)
    assert bad_place.is_error and "Unknown place" in _text(bad_place)
    assert too_old.is_error and "age" in _text(too_old)
    assert neither.is_error and "Give either nct_id or text" in _text(neither)
    assert resource_error is not None and "No study NCT00000000" in resource_error
    assert not still.is_error
    assert "Traceback" not in "".join(_text(r) for r in (unknown, malformed, bad_place))
