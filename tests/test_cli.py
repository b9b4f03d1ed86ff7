"""The command line through its real entry point: output, --json, and errors without tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rich.markup
import typer

from tests.cli_runner import run_cli
from tests.conftest import CTGOV, FIXTURES, needs_corpus
from trialscope.cli.app import app

SEED_XML = CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml"
LATER = FIXTURES / "NCT04416854.2026.v2.json"


def run(db: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, db=db, code=0 if ok else None)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    if CTGOV.is_dir():
        run(path, "import", str(SEED_XML), str(LATER), "--quiet")
    return path


@needs_corpus
def test_import_json_summary(tmp_path: Path) -> None:
    done = run(tmp_path / "x.db", "import", str(SEED_XML), str(LATER), "--json")
    summary = json.loads(done.stdout)
    assert summary["records"] == 2
    assert summary["new"] == 1
    assert summary["by_format"] == {"ctgov_legacy_xml": 1, "ctgov_v2": 1}


@needs_corpus
def test_import_text_summary_and_warnings(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"broken\n')
    done = run(tmp_path / "x.db", "import", str(LATER), str(bad), str(tmp_path / "nope.json"))
    assert "Import summary" in done.stdout
    assert "quarantined" in done.stderr
    assert "nope.json" in done.stderr


@needs_corpus
def test_import_progress_counts_records_and_names_each_stage(tmp_path: Path) -> None:
    # A terminal (FORCE_COLOR) gets the bar; two files of 124 records in all.
    files = [CTGOV / "v2" / "genomoncology__biomcp.jsonl", SEED_XML]
    done = run_cli("import", *map(str, files), db=tmp_path / "x.db", env={"FORCE_COLOR": "1"})
    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", done.stderr)
    assert "1/4 storing" in shown and "2/4 criteria" in shown and "3/4 index" in shown
    assert "4/4 related trials" in shown
    records = json.loads(run(tmp_path / "y.db", "import", *map(str, files), "--json").stdout)
    assert f"{records['records']} of {records['records']} records" in shown
    assert "files" not in shown


def test_import_of_nothing_readable_fails_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{broken\n")
    done = run(tmp_path / "x.db", "import", str(bad), ok=False)
    assert done.returncode == 1
    assert "no record could be read" in done.stderr


@needs_corpus
@pytest.mark.parametrize(
    ("fmt", "expect"),
    [
        ("md", "## Recent Field Changes (last 30 days)"),
        ("card", "Status and phase"),
        ("text", "ELIGIBILITY"),
        ("json", '"protocolSection"'),
    ],
)
def test_show_formats(db: Path, fmt: str, expect: str) -> None:
    assert expect in run(db, "show", "nct04416854", "--format", fmt).stdout


@needs_corpus
def test_changes_filters_and_json(db: Path) -> None:
    rows = json.loads(run(db, "changes", "NCT04416854", "--field", "status.*", "--json").stdout)
    assert rows
    assert all(r["path"].startswith("status.") for r in rows)
    assert any(
        (r["path"], r["kind"], r["old"], r["new"])
        == ("status.overallStatus", "changed", "RECRUITING", "UNKNOWN")
        for r in rows
    )
    text = run(db, "changes", "--since", "30d").stdout
    assert "status.overallStatus" in text


@needs_corpus
@pytest.mark.parametrize(
    "command", [["stats"], ["versions", "NCT04416854"], ["runs"], ["quarantine", "list"]]
)
def test_read_commands_have_json(db: Path, command: list[str]) -> None:
    json.loads(run(db, *command, "--json").stdout)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["show", "NCT99999999"], 1, "No study NCT99999999"),
        (["show", "garbage"], 2, "'garbage' is not an NCT id"),
        (["changes", "--since", "yesterday-ish"], 2, "Cannot read the time window"),
        (["quarantine", "show", "42"], 1, "No quarantine entry 42"),
        (["show", "NCT1", "--format", "pdf"], 2, "pdf"),
        (["frobnicate"], 2, "No such command"),
    ],
)
def test_user_errors_are_messages_not_tracebacks(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    done = run(tmp_path / "empty.db", *args, ok=False)
    assert done.returncode == code
    assert message in done.stderr


def test_bad_database_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = run(blocker / "sub" / "x.db", "stats", ok=False)
    assert done.returncode == 1
    assert "Cannot open the database" in done.stderr


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["import"],
        ["show"],
        ["changes"],
        ["versions"],
        ["stats"],
        ["runs"],
        ["quarantine"],
        ["quarantine", "list"],
        ["quarantine", "show"],
    ],
)
def test_help_everywhere(tmp_path: Path, command: list[str]) -> None:
    done = run(tmp_path / "x.db", *command, "--help")
    assert "Usage" in done.stdout


def _commands(command: Any, path: str = "trialscope") -> Iterator[tuple[str, Any]]:
    # typer carries its own click: walk by attribute, not by click's classes
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{path} {name}")


def test_no_help_text_is_eaten_as_markup() -> None:
    # "[env: TRIALSCOPE_WORKERS; default: CPUs]" was read as a rich tag and vanished,
    # leaving "Processes that parse ." in `trialscope reparse --help`
    commands = list(_commands(typer.main.get_command(app)))
    helps = [(path, p.name, p.help) for path, c in commands for p in c.params if p.help]
    assert len(commands) > 20 and len(helps) > 100  # the walk reached the subcommands
    eaten = [h for h in helps if rich.markup.render(h[2]).plain != h[2]]
    assert not eaten


def test_help_names_the_environment_variable() -> None:
    done = run_cli("reparse", "--help", env={"COLUMNS": "200"})
    assert "env: TRIALSCOPE_WORKERS; default: CPUs" in done.stdout
