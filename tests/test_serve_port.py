"""`trialscope serve` on a port something else holds: one clear line, no traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.cli_runner import run_cli
from tests.conftest import FIXTURES
from trialscope.criteria.store import parse_counts
from trialscope.store import SQLiteStore


def test_a_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as holder:  # a real listener on the port serve is asked for
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = run_cli("serve", "--port", str(port), db=tmp_path / "s.db", code=1, timeout=60)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [
        f"Error: Port {port} on 127.0.0.1 is already in use; pick another with --port"
        f" {port + 1} (or TRIALSCOPE_PORT)."
    ]


def test_an_unknown_host_is_one_clear_line(tmp_path: Path) -> None:
    done = run_cli("serve", "--host", "no-such-host.invalid", db=tmp_path / "s.db", code=1)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Cannot listen on 'no-such-host.invalid'" in lines[0]


def test_serve_reparses_stale_criteria_in_the_background(tmp_path: Path) -> None:
    """After an upgrade that changes the parser, `serve` brings every parse up to date in
    a separate process, so trial pages are not parsed on their first visit."""
    db = tmp_path / "s.db"
    run_cli("import", str(FIXTURES / "NCT04416854.2026.v2.json"), db=db)
    with SQLiteStore(db) as store:
        store.conn.execute("UPDATE criteria_parses SET parse_key = 'an older parser'")
        store.conn.commit()
        assert parse_counts(store)["stale"] == 1
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIALSCOPE_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "trialscope", "--db", str(db), "serve", "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=clean,
    )
    try:
        deadline = time.monotonic() + 120
        counts: dict[str, int] = {}
        while time.monotonic() < deadline:
            with SQLiteStore(db) as store:
                counts = parse_counts(store)
            if counts["current"] == 1:
                break
            time.sleep(0.5)
        assert counts == {"studies": 1, "unparsed": 0, "stale": 0, "current": 1}
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=60)
    assert "1 of 1 eligibility parses are stale or missing" in stderr
    assert "Traceback" not in stderr
