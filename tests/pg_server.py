"""A real PostgreSQL server for the test session: initdb into a temporary folder, a free
port on 127.0.0.1, the socket in that folder, stopped and removed at the end.

PostgreSQL refuses to run as root, so as root (CI) the server runs as the ``postgres``
user that Debian's package creates. Each test gets its own database, copied from a
migrated template (CREATE DATABASE ... TEMPLATE takes milliseconds).
"""

from __future__ import annotations

import glob
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

TEMPLATE = "trialscope_template"
# Stops the server and removes its folder once the test process is gone, however it went
# (a SIGKILLed or timed-out pytest runs no teardown; the server would outlive it).
WATCHDOG = """
import json, os, shutil, subprocess, sys, time
parent, stop, folder = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
while True:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
subprocess.run(stop, capture_output=True)
shutil.rmtree(folder, ignore_errors=True)
"""


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    # Debian keeps the server binaries out of PATH, one folder per major version
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PgServer:
    folder: Path
    port: int
    user: str
    as_user: list[str]
    pg_ctl: str
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def new_database(self, template: str = TEMPLATE) -> str:
        """A fresh database copied from ``template`` (by default migrated and empty);
        returns its URL. Nothing may be connected to the template meanwhile."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    @staticmethod
    def name_of(url: str) -> str:
        return url.rsplit("/", 1)[1]

    def stop_command(self) -> list[str]:
        data = str(self.folder / "data")
        return [*self.as_user, self.pg_ctl, "-D", data, "-m", "immediate", "stop"]

    def stop(self) -> None:
        subprocess.run(self.stop_command(), capture_output=True, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def start(durable: bool = False) -> PgServer | str:
    """Start a server, or say why one cannot be started here (``durable``: fsync on, as a
    real deployment runs, for benchmarks)."""
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        return "PostgreSQL server binaries not found (apt-get install postgresql)"
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="trialscope-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port, user = folder / "data", free_port(), "trialscope"
    run = [*as_user]
    subprocess.run(
        [*run, initdb, "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8", "--locale=C"],
        check=True,
        capture_output=True,
    )
    # durability off: a test database is thrown away, and fsync dominates its writes
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    started = subprocess.run(
        [*run, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log}")
    server = PgServer(folder, port, user, as_user, pg_ctl)
    stop = json.dumps(server.stop_command())
    subprocess.Popen(
        [sys.executable, "-c", WATCHDOG, str(os.getpid()), stop, str(folder)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    from trialscope.store.postgres import PostgresStore

    with server.admin() as conn:
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    PostgresStore(server.url(TEMPLATE)).close()  # migrated once, copied per test
    return server
