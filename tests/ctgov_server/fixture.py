"""Run the fake CT.gov server in a subprocess, for tests and benchmarks.

    from tests.ctgov_server.fixture import ctgov_server  # noqa: F401   (pytest fixture)
    from tests.ctgov_server.fixture import ServerHandle, running_server

``ctgov_server`` is session-scoped and shared: however many test modules (or conftest.py)
import it, one server process serves the whole session. Tests call ``reset()`` themselves.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


class ServerHandle:
    """A running fake CT.gov: its URLs and its remote control (``/_control``)."""

    def __init__(self, root: str, process: subprocess.Popen[bytes]) -> None:
        self.root = root  # http://127.0.0.1:PORT
        self.base_url = f"{root}/api/v2"  # what a client calls CT.gov's base URL
        self.process = process
        self.control = httpx.Client(base_url=f"{root}/_control", timeout=30)

    @property
    def port(self) -> int:
        return int(self.root.rsplit(":", 1)[1])

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        content = (
            None if body is None else (body if isinstance(body, bytes) else orjson.dumps(body))
        )
        response = self.control.request(method, path, content=content)
        response.raise_for_status()
        return response.json()

    def add_fault(
        self,
        kind: str,
        match: str = "/api",
        times: int = 1,
        *,
        retry_after: float | None = None,
        delay: float | None = None,
        fraction: float | None = None,
    ) -> list[dict[str, Any]]:
        """Queue ``kind`` (429 500 503 slow truncate html drop) for the next ``times`` requests
        whose path starts with ``match``. Returns the pending faults."""
        fault: dict[str, Any] = {"kind": kind, "match": match, "times": times}
        options = {"retry_after": retry_after, "delay": delay, "fraction": fraction}
        fault.update({k: v for k, v in options.items() if v is not None})
        faults: list[dict[str, Any]] = self._call("POST", "/faults", fault)["faults"]
        return faults

    def faults(self) -> list[dict[str, Any]]:
        pending: list[dict[str, Any]] = self._call("GET", "/faults")["faults"]
        return pending

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def log(self) -> list[dict[str, Any]]:
        """API requests so far: time, method, path, query_string, params, headers, status,
        fault."""
        entries: list[dict[str, Any]] = self._call("GET", "/log")
        return entries

    def clear_log(self) -> None:
        self._call("DELETE", "/log")

    def put_study(self, study: dict[str, Any] | bytes) -> bool:
        """Add or replace a v2 study (by its nctId). True when it was new."""
        raw = study if isinstance(study, bytes) else orjson.dumps(study)
        nct = orjson.loads(raw)["protocolSection"]["identificationModule"]["nctId"]
        created: bool = self._call("PUT", f"/studies/{nct}", raw)["created"]
        return created

    def delete_study(self, nct_id: str) -> None:
        self._call("DELETE", f"/studies/{nct_id}")

    def add_alias(self, alias: str, target: str) -> None:
        self._call("POST", "/aliases", {"alias": alias, "target": target})

    def info(self) -> dict[str, Any]:
        """Counts: studies, history (versions per trial), aliases, generation."""
        info: dict[str, Any] = self._call("GET", "/info")
        return info

    def reset(self) -> None:
        """Back to the start-up state: records, aliases, no faults, empty log."""
        self._call("POST", "/reset")

    def close(self) -> None:
        self.control.close()


def _wait_until_up(root: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            # the socket already listens (bound by us), so this waits for the app, not a port
            if httpx.get(f"{root}/api/v2/version", timeout=START_TIMEOUT).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"fake CT.gov server exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"fake CT.gov server did not answer within {START_TIMEOUT}s")
        time.sleep(0.05)


@contextmanager
def running_server(
    records: Sequence[str | Path] | None = None,
    limit: int | None = None,
    history: str | Path | None = "default",
) -> Iterator[ServerHandle]:
    """Start ``python -m tests.ctgov_server`` on a free 127.0.0.1 port; stop it at the end.

    ``records``: v2 JSONL(.gz) files or folders (default: the shared corpus' v2/);
    ``history``: legacy-XML file for the history endpoints (None: no history).
    """
    # Bind here and hand the listening socket over: the port is known at once, and no other
    # process can take it between choosing and binding.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    fd = sock.fileno()
    command = [sys.executable, "-m", "tests.ctgov_server", "--fd", str(fd)]
    if records:
        command += ["--records", *map(str, records)]
    if limit is not None:
        command += ["--limit", str(limit)]
    if history is None:
        command += ["--history", "none"]
    elif history != "default":
        command += ["--history", str(history)]
    with sock:
        process = subprocess.Popen(command, cwd=REPO, pass_fds=(fd,))
        root = f"http://127.0.0.1:{sock.getsockname()[1]}"
    handle = ServerHandle(root, process)
    try:
        _wait_until_up(root, process)
        yield handle
    finally:
        handle.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _Shared:
    """One server for the session, however many modules registered the fixture."""

    def __init__(self) -> None:
        self.stack: ExitStack | None = None
        self.handle: ServerHandle | None = None
        self.users = 0

    def acquire(self) -> ServerHandle:
        if self.handle is None:
            self.stack = ExitStack()
            self.handle = self.stack.enter_context(running_server())
        self.users += 1
        return self.handle

    def release(self) -> None:
        self.users -= 1
        if self.users == 0 and self.stack is not None:
            self.stack.close()
            self.stack = self.handle = None


_shared = _Shared()


@pytest.fixture(scope="session")
def ctgov_server() -> Iterator[ServerHandle]:
    """The fake CT.gov on the default record set (call ``reset()`` before relying on state)."""
    handle = _shared.acquire()
    try:
        yield handle
    finally:
        _shared.release()
