"""One JSON form per result type: a field change, a search hit and a stored version read
the same through the real CLI (``--json``), the JSON API and the real MCP server."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.cli_runner import run_cli
from tests.conftest import Backend, needs_corpus
from tests.webapp import SEED, build_db, client_for
from trialscope.store import ChangeKind, FieldChange

pytestmark = needs_corpus

SCRIPT = Path(sys.executable).with_name("trialscope")

CHANGE_KEYS = {"nct_id", "path", "kind", "old", "new", "detected_at", "ct_date"}
VERSION_KEYS = {
    "nct_id",
    "version_id",
    "ct_last_update_post_date",
    "source_format",
    "source",
    "content_hash",
    "first_seen",
    "last_seen",
    "partial",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> str:
    return build_db(tmp_path_factory.mktemp("results"), backend)


def mcp_calls(db: str, *calls: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each tool call's structured answer from the real ``trialscope mcp`` over stdio."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIALSCOPE_")}
    target = StdioServerParameters(command=str(SCRIPT), args=["--db", db, "mcp"], env=env)

    async def main() -> list[dict[str, Any]]:
        async with Client(target) as client:
            return [(await client.call_tool(n, a)).structured_content for n, a in calls]

    return anyio.run(main)


def test_change_hit_and_version_are_one_shape_everywhere(db: str) -> None:
    cli_changes = json.loads(
        run_cli("changes", SEED, "--since", "2000-01-01", "--json", db=db).stdout
    )
    cli_versions = json.loads(run_cli("versions", SEED, "--json", db=db).stdout)
    cli_hits = json.loads(run_cli("search", "colon cancer", "--json", db=db).stdout)["hits"]
    with client_for(db) as client:
        api_changes = client.get(f"/api/v2/studies/{SEED}/changes", params={"since": "2000-01-01"})
        api_versions = client.get(f"/api/v2/studies/{SEED}/versions")
    mcp_search, mcp_changes = mcp_calls(
        db,
        ("search_trials", {"condition": "colon cancer", "limit": 5}),
        ("trial_changes", {"nct_id": SEED, "since": "2000-01-01"}),
    )

    changes = [cli_changes, api_changes.json()["changes"], mcp_changes["changes"]]
    assert all(changes), changes
    assert [{frozenset(c) for c in found} for found in changes] == [{frozenset(CHANGE_KEYS)}] * 3
    # the same change reads the same, value for value
    firsts = [{(c["path"], c["kind"]): c for c in found} for found in changes]
    status = ("status.overallStatus", "changed")
    assert firsts[0][status] == firsts[1][status] == firsts[2][status]

    versions = [cli_versions, api_versions.json()["versions"]]
    assert [[set(v) for v in found] for found in versions] == [[VERSION_KEYS] * 2] * 2
    assert versions[0] == versions[1]

    hits = [cli_hits, mcp_search["hits"]]
    assert all(hits), hits
    assert {frozenset(h) for h in hits[0]} == {frozenset(h) for h in hits[1]}
    assert {h["nct_id"] for h in hits[1]} <= {h["nct_id"] for h in hits[0]}
    assert {"nct_id", "brief_title", "overall_status", "nearest_site"} <= set(hits[0][0])


json_values = st.none() | st.booleans() | st.integers() | st.text(max_size=20)


@given(
    path=st.text(min_size=1, max_size=30),
    kind=st.sampled_from(list(ChangeKind)),
    old=json_values,
    new=json_values,
    detected=st.none()
    | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)),
    ct_date=st.none() | st.dates().map(str),
)
def test_a_change_reads_back_from_its_json(
    path: str, kind: ChangeKind, old: Any, new: Any, detected: Any, ct_date: str | None
) -> None:
    change = FieldChange(SEED, path, kind, old, new, detected, ct_date)
    data = json.loads(json.dumps(change.to_json()))
    assert FieldChange.from_json(data) == change
    del data["nct_id"]  # saved-search events written before the id was part of the form
    assert FieldChange.from_json(data, SEED) == change
