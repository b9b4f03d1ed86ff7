"""One search request model, every surface derived from it: each field of
``SearchRequest`` is a CLI option, a field of the search page's form and a property of the
MCP ``search_trials`` schema, and a request survives every surface's round trip unchanged
(hypothesis-generated). Adding a filter to the model is all it takes."""

from __future__ import annotations

import functools
import shlex
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
import pytest
import typer
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp.server.mcpserver.utilities.func_metadata import func_metadata
from starlette.datastructures import QueryParams
from typer.testing import CliRunner

import trialscope.web
from trialscope.cli import app
from trialscope.cli.options import with_search_options
from trialscope.config import Settings
from trialscope.errors import UsageError
from trialscope.mcp_server.server import build_server, tool_errors
from trialscope.mcp_server.tools import TrialTools
from trialscope.search.request import SearchRequest
from trialscope.web.feeds import search_url
from trialscope.web.search_pages import FACETS, SearchForm, request_params

FIELDS = list(SearchRequest.model_fields)
LISTS = [n for n, info, _ in SearchRequest.surfaces() if info.annotation == tuple[str, ...]]
TEMPLATE = (Path(trialscope.web.__file__).parent / "templates" / "search.html").read_text()


def _cli_params(*command: str) -> dict[str, set[str]]:
    found: Any = typer.main.get_group(app)
    for name in command:
        found = found.commands[name]
    return {p.name: set(p.opts + p.secondary_opts) for p in found.params}


@functools.cache
def _mcp_schema() -> dict[str, Any]:
    """The tool's input schema as the real server lists it to clients (no database opened)."""
    server = build_server(Settings.resolve(db=str(Path(tempfile.gettempdir()) / "unused.db")))
    tool = next(t for t in anyio.run(server.list_tools) if t.name == "search_trials")
    schema: dict[str, Any] = tool.input_schema
    return schema


def _mcp_arguments_model() -> Any:
    # the model the MCP SDK checks a call's arguments with, over the function the server adds
    return func_metadata(tool_errors(TrialTools(None).search_trials)).arg_model  # type: ignore[arg-type]


@pytest.mark.parametrize("name", FIELDS)
def test_every_field_is_on_every_surface(name: str) -> None:
    surface = SearchRequest.surface(name)
    on, off = surface.flags(name)
    for command in (("search",), ("watch", "add")):
        params = _cli_params(*command)
        assert name in params, (command, name)
        if not surface.argument:
            assert on in params[name] and (off is None or off in params[name])
    if name in LISTS:
        assert surface.form in FACETS  # rendered as a group of checkboxes
    else:
        assert f'name="{surface.form}"' in TEMPLATE
    schema = _mcp_schema()["properties"]
    assert surface.mcp in schema
    assert schema[surface.mcp].get("description") == SearchRequest.model_fields[name].description


def test_surfaces_have_no_other_search_options() -> None:
    paging = {"sort", "limit", "cursor", "as_json"}
    assert set(_cli_params("search")) - paging == set(FIELDS)
    assert set(_cli_params("watch", "add")) - {"name", "as_json"} == set(FIELDS)
    mcp = {SearchRequest.surface(n).mcp for n in FIELDS}
    assert set(_mcp_schema()["properties"]) - {"sort", "limit"} == mcp
    forms = [SearchRequest.surface(n).form for n in FIELDS]
    assert len(set(forms)) == len(forms) and "unit" not in forms and "sort" not in forms


_TEXT = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)


def _codes(name: str) -> st.SearchStrategy[tuple[str, ...]]:
    vocab = SearchRequest.surface(name).codes
    assert vocab is not None
    values = list(vocab._value2member_map_)
    return st.lists(st.sampled_from(values), max_size=3, unique=True).map(tuple)


def _radius() -> st.SearchStrategy[str]:
    whole = st.integers(1, 12_000).map(str)
    decimal = st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 999), st.integers(1, 99))
    return st.builds(lambda n, unit: n + unit, whole | decimal, st.sampled_from(["km", "mi"]))


def _field(name: str, info: Any) -> st.SearchStrategy[Any]:
    if name in LISTS:
        return _codes(name)
    if name == "age":
        return st.none() | st.floats(0, 130)
    if name == "sex":
        return st.none() | st.sampled_from(["FEMALE", "MALE"])
    if name == "radius":
        return _radius()
    if name == "updated_since":
        return st.none() | st.dates().map(lambda d: d.isoformat())
    if info.annotation == bool | None:
        return st.none() | st.booleans()
    return st.none() | _TEXT


REQUESTS = st.fixed_dictionaries(
    {name: _field(name, info) for name, info, _ in SearchRequest.surfaces()}
).map(lambda values: SearchRequest(**values))

HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYPOTHESIS
@given(REQUESTS)
def test_a_saved_search_reads_back_as_the_same_request(request: SearchRequest) -> None:
    assert SearchRequest.from_json(request.to_json()) == request


@HYPOTHESIS
@given(REQUESTS)
def test_the_search_page_link_reads_back_as_the_same_request(request: SearchRequest) -> None:
    # what a saved search's "open this search" link asks, as the page reads it
    query = search_url(request).partition("?")[2]
    assert SearchForm.from_params(QueryParams(query)).request() == request
    assert urlencode(request_params(request)) == query


@HYPOTHESIS
@given(REQUESTS)
def test_mcp_arguments_read_back_as_the_same_request(request: SearchRequest) -> None:
    arguments = request.to_mcp()
    checked = _mcp_arguments_model().model_validate(arguments)
    given_back = {k: v for k, v in checked.model_dump().items() if k in arguments}
    assert SearchRequest.from_mcp(given_back) == request


def _parsed_by_the_cli(arguments: list[str]) -> SearchRequest:
    probe = typer.Typer()
    seen: list[SearchRequest] = []

    @probe.command()
    @with_search_options
    def capture(request: SearchRequest) -> None:
        seen.append(request)

    result = CliRunner().invoke(probe, arguments)
    assert result.exit_code == 0, (arguments, result.output)
    return seen[0]


@HYPOTHESIS
@given(REQUESTS)
def test_the_cli_reads_its_own_description_as_the_same_request(request: SearchRequest) -> None:
    words = request.describe()
    arguments = [] if words == "(every trial)" else shlex.split(words)
    assert _parsed_by_the_cli(arguments) == request


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"age": "old"}, "is not a number of years"),
        ({"status": ["OPEN"]}, "Unknown trial status 'OPEN'"),
        ({"phase": "PHASE9"}, "Unknown phase 'PHASE9'"),
        ({"radius": "0km"}, "not a distance above 0"),
        ({"updated_since": "2024-02-30"}, "Cannot read the date"),
        ({"cond": "x" * 301}, "'cond' must be text of at most 300"),
        ({"colour": "red"}, "Unknown search option 'colour'"),
    ],
)
def test_bad_values_are_usage_errors_with_a_message(values: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        SearchRequest.from_values(values)
