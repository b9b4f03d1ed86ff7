"""Under CI=true a skip fails the run (tests/ci_strict.py); locally it stays a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SAMPLE = """
import pytest

def test_runs():
    assert True

@pytest.mark.skipif(True, reason="no chromium here")
def test_marked():
    pass

def test_skips_inside():
    pytest.skip("no postgres here")

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_failure():
    assert False
"""
MODULE_SKIP = 'import pytest\npytest.importorskip("no_such_module_here")\n'


def _run(folder: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.ci_strict",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    return tmp_path


@pytest.mark.parametrize("ci", [None, "false"])
def test_outside_ci_a_skip_is_a_skip(sample: Path, ci: str | None) -> None:
    done = _run(sample, ci)
    assert done.returncode == 0, done.stdout
    assert "1 passed, 2 skipped, 1 xfailed" in done.stdout


@pytest.mark.parametrize("ci", ["true"])
def test_under_ci_every_skip_fails_with_its_reason(sample: Path, ci: str) -> None:
    done = _run(sample, ci)
    assert done.returncode == 1, done.stdout
    # a skip mark is evaluated in setup, so that one counts as an error
    assert "1 failed, 1 passed, 1 xfailed, 1 error" in done.stdout
    for reason in ("no chromium here", "no postgres here"):
        assert f"skipped under CI=true, where it must run: {reason}" in done.stdout


@pytest.mark.parametrize(("ci", "code"), [(None, 5), ("true", 2)])
def test_a_skipped_module_fails_collection_under_ci(
    tmp_path: Path, ci: str | None, code: int
) -> None:
    """A module that skips itself (a missing import) stops a CI run at collection."""
    (tmp_path / "test_module_skip.py").write_text(MODULE_SKIP)
    done = _run(tmp_path, ci)
    assert done.returncode == code, done.stdout
    failed = "skipped under CI=true, where it must run: could not import 'no_such_module_here'"
    assert (failed in done.stdout) == (ci == "true")
