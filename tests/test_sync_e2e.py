"""Sync end to end against a real HTTP server on 127.0.0.1 that serves real CT.gov records
the way the API v2 does, with faults injected on demand; on both store backends."""

from __future__ import annotations

import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import Backend, needs_corpus, store_state
from tests.ctgov_server.fixture import ServerHandle, ctgov_server  # noqa: F401
from trialscope.errors import FetchError
from trialscope.store import ChangeKind, Store, is_postgres_url
from trialscope.sync import CtgovClient, Politeness, Selection, SyncRunner

pytestmark = needs_corpus

FAST = Politeness(rate=0, retries=3, backoff=0.01, max_backoff=0.05, timeout=5)


@pytest.fixture
def server(ctgov_server: ServerHandle) -> Iterator[ServerHandle]:  # noqa: F811
    ctgov_server.reset()
    yield ctgov_server
    ctgov_server.reset()


def runner(
    store: Store,
    server: ServerHandle,
    selection: Selection,
    name: str = "test",
    politeness: Politeness = FAST,
    **options: Any,
) -> SyncRunner:
    client = CtgovClient(server.base_url, politeness)
    return SyncRunner(store, client, name, selection, **options)


def cli(
    db: str | Path, server: ServerHandle, *args: str, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRIALSCOPE_CTGOV_URL": server.base_url, "TRIALSCOPE_SYNC_RATE": "0"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trialscope",
            "--db",
            str(db),
            "sync",
            *("--backoff", "0.01", "--retries", "3", "--timeout", "5"),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def served_ids(server: ServerHandle, **params: str) -> set[str]:
    import httpx

    found: set[str] = set()
    token = None
    while True:
        query = {**params, "pageSize": "1000", **({"pageToken": token} if token else {})}
        page = httpx.get(f"{server.base_url}/studies", params=query, timeout=30).json()
        found |= {s["protocolSection"]["identificationModule"]["nctId"] for s in page["studies"]}
        token = page.get("nextPageToken")
        if not token:
            return found


def study_requests(server: ServerHandle) -> list[dict[str, Any]]:
    return [e for e in server.log() if e["path"].endswith("/api/v2/studies")]


# -- a first sync, paged ----------------------------------------------------------------


def test_full_sync_pages_through_every_match(backend: Backend, server: ServerHandle) -> None:
    expected = served_ids(server, **{"query.cond": "cancer"})
    server.clear_log()
    with backend.open() as store:
        summary = runner(store, server, Selection(cond="cancer"), page_size=100).run()
        assert set(store.nct_ids()) == expected
        assert summary.counts["new"] == len(expected) and summary.pages >= 2
        assert summary.watermark_after is not None
        assert store.profile("test") is not None and store.checkpoint("test") is None
    asked = study_requests(server)
    # every page repeats the selection; only the first asks for the total
    assert all(r["params"]["query.cond"] == "cancer" for r in asked)
    assert [("countTotal" in r["params"]) for r in asked] == [True] + [False] * (len(asked) - 1)
    assert all("pageToken" in r["params"] for r in asked[1:])


def test_cli_sync_status_and_dry_run(backend: Backend, server: ServerHandle) -> None:
    db = backend.location()
    server.clear_log()
    dry = cli(db, server, "--cond", "asthma", "--dry-run")
    assert "query.cond=asthma" in dry.stdout and "countTotal=true" in dry.stdout
    assert server.log() == [], "a dry run sends nothing"
    done = json.loads(cli(db, server, "--profile", "asthma", "--cond", "asthma", "--json").stdout)
    assert done["new"] >= 1 and done["status"] == "completed"
    status = json.loads(cli(db, server, "status", "--json").stdout)
    (row,) = status
    assert row["profile"] == "asthma" and row["watermark"] == done["watermark_after"]
    assert row["last_run"]["status"] == "completed" and row["unfinished"] is None
    # re-run by name only: incremental, so nothing is new
    again = json.loads(cli(db, server, "--profile", "asthma", "--json").stdout)
    assert again["new"] == 0 and again["changed"] == 0
    assert "Sync profiles" in cli(db, server, "status").stdout


def test_cli_user_errors(backend: Backend, server: ServerHandle) -> None:
    db = backend.location()
    for args, message in [
        ((), "Nothing selected"),
        (("--profile", "nope"), "No sync profile named 'nope'"),
        (("--status", "RECRUTING"), "Unknown status RECRUTING"),
        (("--nct", "12345"), "Not an NCT id"),
        (("--resume",), "no unfinished sync"),
    ]:
        done = cli(db, server, *args, ok=False)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)


# -- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["429", "500", "503", "html", "truncate", "drop", "slow"])
def test_each_fault_is_retried_and_the_sync_completes(
    backend: Backend, server: ServerHandle, kind: str
) -> None:
    expected = served_ids(server, **{"query.cond": "asthma"})
    extra: dict[str, Any] = {"retry_after": 1} if kind == "429" else {}
    if kind == "slow":
        extra["delay"] = 3
    server.add_fault(match="/api/v2/studies", kind=kind, times=1, **extra)
    server.clear_log()
    politeness = Politeness(rate=0, retries=3, backoff=0.01, timeout=1.5)
    with backend.open() as store:
        started = time.monotonic()
        summary = runner(store, server, Selection(cond="asthma"), politeness=politeness).run()
        assert set(store.nct_ids()) == expected
        assert summary.requests >= 2
    if kind == "429":
        assert time.monotonic() - started >= 1.0, "Retry-After: 1 was honoured"


def test_giving_up_names_the_url_and_keeps_the_work(backend: Backend, server: ServerHandle) -> None:
    expected = served_ids(server, **{"query.cond": "cancer"})
    with backend.open() as store:
        sync = runner(store, server, Selection(cond="cancer"), page_size=100)
        # the first two pages go through, then the server keeps failing
        server.add_fault(match="/api/v2/studies", kind="pass", times=2)
        server.add_fault(match="/api/v2/studies", kind="503", times=50)
        with pytest.raises(FetchError) as caught:
            sync.run()
        assert "/api/v2/studies" in caught.value.url and "HTTP 503" in str(caught.value)
        kept = store.count_studies()
        assert kept == 200
        assert store.runs()[0]["status"] == "failed"
        server.clear_faults()
        resumed = runner(store, server, Selection(cond="cancer"), page_size=100).run()
        assert resumed.resumed and set(store.nct_ids()) == expected
        assert resumed.counts["new"] == len(expected) - kept


def test_cli_failure_is_a_message_not_a_traceback(backend: Backend, server: ServerHandle) -> None:
    server.add_fault(match="/api/v2/studies", kind="500", times=50)
    done = cli(backend.location(), server, "--cond", "asthma", ok=False)
    assert done.returncode == 1
    assert "failed after 4 attempts: HTTP 500" in done.stderr and "resume" in done.stderr


# -- kill and resume ---------------------------------------------------------------------


def _pages_done(db: str) -> int:
    # read with the driver alone: opening a store would migrate beside the running sync
    query = "SELECT pages FROM sync_checkpoints"
    try:
        if is_postgres_url(db):
            with psycopg.connect(db, connect_timeout=1) as pg:
                row = pg.execute(query).fetchone()
        else:
            with sqlite3.connect(db, timeout=1) as conn:
                row = conn.execute(query).fetchone()
        return int(row[0]) if row else 0
    except (sqlite3.Error, psycopg.Error):
        return 0


def test_killed_sync_resumes_to_the_same_store(backend: Backend, server: ServerHandle) -> None:
    straight = backend.location()
    cli(straight, server, "--all", "--page-size", "40")
    expected = store_state(straight)

    killed = backend.location()
    env = {**os.environ, "TRIALSCOPE_CTGOV_URL": server.base_url, "TRIALSCOPE_SYNC_RATE": "0"}
    # slow pages so the kill lands midway, whatever the machine's speed
    server.add_fault(match="/api/v2/studies", kind="slow", times=1000, delay=0.05)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trialscope",
            "--db",
            killed,
            "sync",
            "--all",
            "--page-size",
            "40",
            "--quiet",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while _pages_done(killed) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    server.clear_faults()
    assert 0 < len(store_state(killed)["current"]) < len(expected["current"])

    resumed = json.loads(cli(killed, server, "--all", "--page-size", "40", "--json").stdout)
    assert resumed["resumed"] is True
    assert store_state(killed) == expected


# -- incremental -------------------------------------------------------------------------


def test_incremental_run_picks_up_exactly_the_changed_records(
    backend: Backend, server: ServerHandle
) -> None:
    with backend.open() as store:
        first = runner(store, server, Selection(cond="asthma")).run()
        watermark = first.watermark_after
        assert watermark
        changed_ids = sorted(store.nct_ids())[:3]
        for nct_id in changed_ids:
            study = copy.deepcopy(store.study_json(nct_id))
            status = study["protocolSection"]["statusModule"]
            status["overallStatus"] = "TERMINATED"
            status["whyStopped"] = "Sponsor decision"
            status["lastUpdatePostDateStruct"] = {"date": "2026-11-20", "type": "ACTUAL"}
            server.put_study(study)
        server.clear_log()
        second = runner(store, server, Selection(cond="asthma")).run()
        (asked,) = study_requests(server)
        since = asked["params"]["query.term"]
        assert "AREA[LastUpdatePostDate]RANGE[" in since and since.endswith(",MAX]")
        assert second.counts["changed"] == 3 and second.counts["new"] == 0
        assert second.watermark_after == "2026-11-20"
        assert dict(second.top_fields)["status.overallStatus"] == 3
        for nct_id in changed_ids:
            paths = {c.path: c for c in store.changes([nct_id], include_first_sight=False)}
            assert paths["status.overallStatus"].kind is ChangeKind.CHANGED
            assert paths["status.overallStatus"].new == "TERMINATED"
            assert paths["status.whyStopped"].kind is ChangeKind.ADDED
        # a third run sees the same overlap day again and adds nothing
        third = runner(store, server, Selection(cond="asthma")).run()
        assert third.counts["changed"] == 0 and third.counts["new"] == 0


# -- single studies, aliases, history, bulk ---------------------------------------------


def test_by_id_follows_alias_and_reports_404(backend: Backend, server: ServerHandle) -> None:
    target = sorted(served_ids(server, **{"query.cond": "asthma"}))[0]
    server.add_alias("NCT99999901", target)
    with backend.open() as store:
        summary = runner(store, server, Selection(nct_ids=("NCT99999901", "NCT99999902"))).run()
        assert summary.aliases == [("NCT99999901", target)]
        assert summary.not_found == ["NCT99999902"]
        assert store.nct_ids() == [target]
        assert store.resolve_alias("NCT99999901") == target


def test_history_backfills_dated_versions(backend: Backend, server: ServerHandle) -> None:
    import httpx

    candidates = []
    for nct_id in sorted(served_ids(server)):
        listed = httpx.get(
            f"{server.root}/api/int/studies/{nct_id}", params={"history": "true"}, timeout=30
        ).json()["history"]["changes"]
        if len(listed) >= 3:
            candidates.append((nct_id, len(listed)))
        if len(candidates) == 2:
            break
    assert candidates, "the AACT fixtures give some trials several versions"
    ids = tuple(n for n, _ in candidates)
    with backend.open() as store:
        summary = runner(store, server, Selection(nct_ids=ids), history=True).run()
        for nct_id, count in candidates:
            assert len(store.versions(nct_id)) >= count - 1
            assert store.changes([nct_id], include_first_sight=False)
        assert summary.history_versions >= 2
        server.clear_log()
        again = runner(store, server, Selection(nct_ids=ids), history=True).run()
        assert again.history_versions == 0
        assert not [e for e in server.log() if "/history/" in e["path"]], "known versions skipped"


def test_bulk_download_resumes_and_imports(tmp_path: Path, server: ServerHandle) -> None:
    server.add_fault(match="/api/int/studies/download", kind="drop", times=1)
    db = tmp_path / "bulk" / "b.db"
    done = json.loads(cli(db, server, "--bulk", "--json").stdout)
    assert done["members"] == done["records"] > 1000
    assert done["new"] == done["records"] - done["quarantined"]
    downloads = [e for e in server.log() if e["path"].endswith("/download")]
    assert len(downloads) >= 2, "the dropped download was resumed"


def test_paged_sync_with_history_and_resume(backend: Backend, server: ServerHandle) -> None:
    with_history = server.info()["history"]
    nct_id = next(n for n, count in sorted(with_history.items()) if count >= 3)
    selection = Selection(term=nct_id)
    with backend.open() as store:
        # history requests fail for good after the page is stored: the checkpoint must
        # not move past the page, so the re-run fetches its history
        server.add_fault(match="/api/int/studies", kind="500", times=50)
        with pytest.raises(FetchError):
            runner(store, server, selection, history=True).run()
        checkpoint = store.checkpoint("test")
        assert checkpoint is not None and checkpoint.next_page_token is None
        assert store.nct_ids() == [nct_id]
        server.clear_faults()
        summary = runner(store, server, selection, history=True).run()
        assert summary.resumed and summary.history_versions >= 2
        assert len(store.versions(nct_id)) >= with_history[nct_id] - 1
        assert store.checkpoint("test") is None
