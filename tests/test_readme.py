"""Keep the README true: every command it should document is documented, and the
quick start names the targets that exist."""

from __future__ import annotations

from pathlib import Path

import typer

from trialscope.cli import app  # the package registers every command

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")
MAKEFILE = (ROOT / "Makefile").read_text("utf-8")


def _command_names() -> list[str]:
    group = typer.main.get_group(app)
    names = []
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        names += [f"{name} {child}" for child in sub] if sub else [name]
    return names


def test_every_command_is_in_the_readme() -> None:
    missing = [n for n in _command_names() if f"trialscope {n}" not in README]
    assert not missing, f"document these in README.md: {missing}"


def test_quick_start_is_two_make_targets_that_exist() -> None:
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make run", "make test"]
    for target in ("run:", "test:"):
        assert f"\n{target}" in MAKEFILE


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "\nmake test\n" in ci
    assert "\nmake lint\n" in ci
