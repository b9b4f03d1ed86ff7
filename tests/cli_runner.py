"""Run the real ``trialscope`` entry point in a subprocess, the way a user does: a clean
environment (no TRIALSCOPE_* from the developer's shell), and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_cli(
    *args: str,
    db: str | Path | None = None,
    code: int | None = 0,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``trialscope [--db DB] ARGS``; asserts the exit code unless ``code`` is None."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIALSCOPE_")}
    # wide enough that rich never wraps a long temporary path in the middle of a message
    clean["COLUMNS"] = "200"
    clean.update(env or {})
    command = [sys.executable, "-m", "trialscope"]
    if db is not None:
        command += ["--db", str(db)]
    done = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        env=clean,
        input=stdin,
        cwd=cwd,
        timeout=timeout,
    )
    assert "Traceback" not in done.stderr, done.stderr
    if code is not None:
        assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    return done
