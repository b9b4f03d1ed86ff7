"""A broken package data file stops the real ``trialscope`` command with a message and a
hint (exit 1), not a traceback: the files are read when the CLI is imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import entry_points

import pytest

# Start the real entry point with one data file's text replaced, as if the installed
# file were broken: the loader's reader is the one place package files are read.
BROKEN_RUN = textwrap.dedent(
    """
    import sys
    import trialscope.data as data

    real_read = data._read
    broken = dict([({name!r}, {text!r})])
    data._read = lambda name: broken.get(name) or real_read(name)
    sys.argv = ["trialscope", *{argv!r}]
    from trialscope.__main__ import main
    main()
    """
)


def run_with(name: str, text: str, *argv: str) -> subprocess.CompletedProcess[str]:
    code = BROKEN_RUN.format(name=name, text=text, argv=list(argv))
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- id: age\n  name: [unclosed\n", "criteria_variables.yaml"),
        ("- id: age\n  no_such_field: 1\n", "criteria_variables.yaml"),
    ],
)
@pytest.mark.parametrize("argv", [("--help",), ("criteria", "--text", "Age >= 18")])
def test_a_broken_data_file_is_a_message_and_a_hint(
    text: str, problem: str, argv: tuple[str, ...]
) -> None:
    done = run_with("criteria_variables.yaml", text, *argv)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "Error:" in done.stderr and problem in done.stderr
    assert "Hint:" in done.stderr and "docs/data-files.md" in done.stderr


def test_the_same_run_with_the_real_file_works() -> None:
    done = run_with("no-such-file.tsv", "", "criteria", "--text", "Age >= 18")
    assert done.returncode == 0, done.stderr
    assert "age" in done.stdout.lower()


def test_the_installed_command_is_the_guarded_entry_point() -> None:
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "trialscope"]
    assert script.value == "trialscope.__main__:main"
