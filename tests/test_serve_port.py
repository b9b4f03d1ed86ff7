"""`trialscope serve` on a port something else holds: one clear line, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.cli_runner import run_cli


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
