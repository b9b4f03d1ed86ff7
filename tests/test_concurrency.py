"""Concurrent writers on PostgreSQL: two importers and a sync, in separate processes, write
overlapping studies (the same records, and different dated versions of the same trials)
into one database at once. Nothing may be duplicated or lost: the result must hold the
same versions as running them one after another, and every study's chain, current version
and change log must be whole."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import pytest

from tests import pg_server
from tests.conftest import CTGOV, FIXTURES, needs_corpus, store_state
from tests.ctgov_server.fixture import ServerHandle, ctgov_server  # noqa: F401
from trialscope.store import open_store

pytestmark = needs_corpus

LLM = CTGOV / "v2" / "alexxpz__LLM.jsonl"
# The AACT fixtures: the same trials' dated versions as classic JSON and as legacy XML.
IMPORT_A = [LLM, CTGOV / "classic_api" / "ctti-clinicaltrials__aact.jsonl.gz"]
IMPORT_B = [
    CTGOV / "legacy_xml" / "ctti-clinicaltrials__aact.jsonl.gz",
    LLM,
    CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml",
    FIXTURES / "NCT04416854.2026.v2.json",
]


@pytest.fixture
def server(ctgov_server: ServerHandle) -> Iterator[ServerHandle]:  # noqa: F811
    ctgov_server.reset()
    yield ctgov_server


def _commands(url: str, server: ServerHandle) -> list[list[str]]:
    base = [sys.executable, "-m", "trialscope", "--db", url]
    # small batches and one worker each: many short transactions that interleave
    importing = ["import", "--quiet", "--workers", "1", "--batch-size", "40"]
    return [
        [*base, *importing, *map(str, IMPORT_A)],
        [*base, *importing, *map(str, IMPORT_B)],
        [*base, "sync", "--all", "--page-size", "200", "--quiet"],
    ]


def _env(server: ServerHandle) -> dict[str, str]:
    return {
        **os.environ,
        "TRIALSCOPE_CTGOV_URL": server.base_url,
        "TRIALSCOPE_SYNC_RATE": "0",
        "TRIALSCOPE_WORKERS": "1",
    }


def _chains(url: str) -> dict[str, Any]:
    """Per study: its chain (content hashes in store order), each version's ordering key,
    its current version, the links the change log covers, and whether two versions tie on
    every ordering key but arrival (then which is current depends on who wrote first)."""
    with open_store(url) as store:
        db = store.conn
        chains: dict[str, list[str]] = defaultdict(list)
        keys: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for nct, digest, key in (
            (r[0], r[1], (r[2], r[3], r[4]))
            for r in db.execute(
                "SELECT nct_id, content_hash, coalesce(last_update_post_date, ''), is_partial,"
                " coalesce(snapshot_date, '') FROM versions ORDER BY nct_id,"
                " coalesce(last_update_post_date, ''), is_partial DESC,"
                " coalesce(snapshot_date, ''), id"
            )
        ):
            chains[nct].append(digest)
            keys[nct].append((digest, key))
        links: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for nct, a, b in db.execute(
            "SELECT DISTINCT c.nct_id, a.content_hash, b.content_hash FROM changes c"
            " JOIN versions a ON a.id = c.from_version_id JOIN versions b ON b.id = c.to_version_id"
        ):
            links[nct].add((a, b))
        current = dict(
            tuple(r)
            for r in db.execute(
                "SELECT s.nct_id, v.content_hash FROM studies s"
                " JOIN versions v ON v.id = s.current_version_id"
            )
        )
        duplicates = db.execute(
            "SELECT count(*) FROM (SELECT nct_id, content_hash FROM versions"
            " GROUP BY 1, 2 HAVING count(*) > 1) AS d"
        ).fetchone()[0]
        dirty = db.execute("SELECT count(*) FROM search_dirty").fetchone()[0]
        indexed = db.execute("SELECT count(DISTINCT nct_id) FROM search_docs").fetchone()[0]
    ties = {n for n, k in keys.items() if len({key for _, key in k}) < len(k)}
    return {
        "chains": chains,
        "keys": {n: dict(k) for n, k in keys.items()},
        "links": links,
        "current": current,
        "duplicates": duplicates,
        "ties": ties,
        "dirty": dirty,
        "indexed": indexed,
    }


def _wait_at_gate(
    gate: psycopg.Connection[Any], running: list[subprocess.Popen[str]], writers: int
) -> None:
    """Wait until every run has begun and ``writers`` sessions wait on a lock."""
    with psycopg.connect(gate.info.dsn, autocommit=True) as watch:
        deadline = time.monotonic() + 120
        while True:
            for proc in running:
                if proc.poll() is not None:
                    _out, err = proc.communicate()
                    pytest.fail(f"a run ended at the gate ({proc.returncode}): {err[-2000:]}")
            began = watch.execute("SELECT count(*) FROM import_runs").fetchone()
            waiting = watch.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if began and waiting and began[0] >= writers and waiting[0] >= writers:
                return
            if time.monotonic() > deadline:
                sessions = watch.execute(
                    "SELECT state, wait_event_type, left(query, 80) FROM pg_stat_activity"
                    " WHERE datname = current_database()"
                ).fetchall()
                pytest.fail(f"the runs never all reached the gate: {sessions}")
            time.sleep(0.2)


def test_two_importers_and_a_sync_at_once_lose_and_duplicate_nothing(
    pg: pg_server.PgServer, server: ServerHandle
) -> None:
    env = _env(server)
    sequential = pg.new_database()
    for command in _commands(sequential, server):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    together = pg.new_database()
    # A starting gate, so the runs overlap on any machine: while this transaction holds
    # the versions table (readers pass, writers wait), every run starts and queues up;
    # leaving the block commits and lets all three write at once.
    with psycopg.connect(together) as gate:
        gate.execute("LOCK TABLE versions IN EXCLUSIVE MODE")
        running = [
            subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for c in _commands(together, server)
        ]
        _wait_at_gate(gate, running, writers=len(running))
    for proc in running:
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert "Traceback" not in err

    with open_store(together) as store:
        runs = store.runs()
    assert len(runs) == 3 and all(r["status"] == "completed" for r in runs)
    # they did write at the same time: the three runs overlap
    assert max(r["started_at"] for r in runs) < min(r["finished_at"] for r in runs)

    expected, found = store_state(sequential), store_state(together)
    # every version stored once: the same (study, content) pairs as one after another
    assert found["versions"] == expected["versions"]
    assert len(found["versions"]) == len(set(found["versions"]))
    chains, reference = _chains(together), _chains(sequential)
    assert chains["duplicates"] == 0
    assert set(chains["current"]) == {nct for nct, _ in expected["versions"]}
    for nct, chain in chains["chains"].items():
        # the current version is the newest link, and the change log only joins
        # consecutive links (a version that split a link re-diffed it, nothing stale)
        assert chains["current"][nct] == chain[-1], nct
        assert chains["links"].get(nct, set()) <= set(itertools.pairwise(chain))
    # Where arrival order cannot matter, everything equals the sequential run. It can:
    # a version's snapshot date is the first writer's (the same content comes as classic
    # JSON and as legacy XML, with different download dates), and it orders the chain.
    settled = {
        nct
        for nct in set(chains["chains"]) - chains["ties"] - reference["ties"]
        if chains["keys"][nct] == reference["keys"][nct]
    }
    assert len(settled) > 1000
    multi = [n for n in settled if len(chains["chains"][n]) > 2]
    assert len(multi) >= 10, "several studies got many versions from the writers at once"
    for nct in settled:
        assert chains["chains"][nct] == reference["chains"][nct], nct
        assert chains["links"].get(nct) == reference["links"].get(nct), nct
    # and the search index caught up with every study, once each
    assert chains["dirty"] == 0
    assert chains["indexed"] == len(chains["current"])


def test_store_state_reads_both_backends(pg: pg_server.PgServer, tmp_path: Path) -> None:
    url, path = pg.new_database(), tmp_path / "s.db"
    seed = FIXTURES / "NCT04416854.2026.v2.json"
    for location in (url, str(path)):
        subprocess.run(
            [sys.executable, "-m", "trialscope", "--db", location, "import", "--quiet", str(seed)],
            check=True,
            capture_output=True,
        )
    assert store_state(url) == store_state(path)


def _get_from_a_worker(port: int, path: str, workers: list[psutil.Process]) -> tuple[int, Any]:
    """GET ``path`` on a fresh connection; returns which worker process accepted it (the
    one holding the server end of the connection) and the JSON it answered."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.connect()
        assert conn.sock is not None
        mine = conn.sock.getsockname()
        conn.request("GET", path)
        response = conn.getresponse()  # the connection is accepted and answered
        owner = [
            w.pid
            for w in workers
            if any(c.raddr and tuple(c.raddr) == mine for c in w.net_connections("tcp"))
        ]
        assert response.status == 200, response.read()
        assert len(owner) == 1, f"no single worker holds the connection: {owner}"
        return owner[0], json.loads(response.read())
    finally:
        conn.close()


def test_two_serve_workers_share_one_database(pg: pg_server.PgServer, tmp_path: Path) -> None:
    """Both workers answer from the database, and neither serves totals cached before
    another process changed the index (every refresh bumps a generation they key on)."""
    url = pg.new_database()
    run = [sys.executable, "-m", "trialscope", "--db", url]
    older, newer = (
        CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml",
        FIXTURES / "NCT04416854.2026.v2.json",
    )
    subprocess.run([*run, "import", "--quiet", str(older)], check=True, capture_output=True)
    port = pg_server.free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        serving = subprocess.Popen(
            [*run, "serve", "--port", str(port), "--workers", "2"], stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    query = "/api/v2/studies?filter.overallStatus=RECRUITING&countTotal=true"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/llms.txt", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert serving.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        # the processes that accept connections on the shared socket
        workers = [
            w
            for w in psutil.Process(serving.pid).children()
            if any(c.status == psutil.CONN_LISTEN for c in w.net_connections("tcp"))
        ]
        assert len(workers) == 2, workers

        def totals() -> dict[int, set[int]]:
            """Each worker's totals, asking on fresh connections until both have answered
            (the kernel hands each connection to whichever worker accepts it first)."""
            seen: dict[int, set[int]] = defaultdict(set)
            for _ in range(200):
                pid, body = _get_from_a_worker(port, query, workers)
                seen[pid].add(int(body["totalCount"]))
                if set(seen) == {w.pid for w in workers}:
                    break
            assert set(seen) == {w.pid for w in workers}, f"answered by {set(seen)}"
            return dict(seen)

        assert set(map(frozenset, totals().values())) == {frozenset({1})}
        assert httpx.get(f"{base}/trials/NCT04416854", timeout=30).status_code == 200
        subprocess.run([*run, "import", "--quiet", str(newer)], check=True, capture_output=True)
        # the 2026 version is UNKNOWN, and every worker knows it
        assert set(map(frozenset, totals().values())) == {frozenset({0})}
    finally:
        serving.terminate()
        serving.wait(timeout=30)
    assert "Traceback" not in log.read_text()
