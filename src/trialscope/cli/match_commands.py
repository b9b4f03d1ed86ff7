"""`trialscope match`: one patient against the mirror's trials.

The patient comes from a file (YAML / JSON / FHIR R4 Bundle / a ``.txt`` note), from
free text on the command line, or from stdin (``-``). Nothing about the patient is
written anywhere unless ``--save PATH`` asks for it; the database is only read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from trialscope.cli.app import app, state
from trialscope.cli.output import console, err_console, print_json
from trialscope.errors import UsageError
from trialscope.match import (
    CriterionResult,
    Mark,
    MatchReport,
    Patient,
    RankedQuestion,
    TrialMatch,
    TrialVerdict,
    apply_answers,
)
from trialscope.match.intake import load_patient
from trialscope.record.markdown import unescape_markdown
from trialscope.search.request import parse_radius
from trialscope.service import MatchScope, run_match

Opt = typer.Option

#: the checklist's marks, from the patient's side: an exclusion that is not met does
#: not apply to the patient, it is no cross against them
MARKS = {
    Mark.FITS: ("✓", "green"),
    Mark.RULES_OUT: ("✗", "red"),
    Mark.UNKNOWN: ("?", "yellow"),
    Mark.DOES_NOT_APPLY: ("–", "dim"),
}
VERDICT_WORDS = {
    TrialVerdict.ELIGIBLE: "eligible",
    TrialVerdict.POSSIBLY_ELIGIBLE: "possibly",
    TrialVerdict.INELIGIBLE: "ineligible",
}
VERDICT_STYLE = {
    TrialVerdict.ELIGIBLE: "bold green",
    TrialVerdict.POSSIBLY_ELIGIBLE: "yellow",
    TrialVerdict.INELIGIBLE: "red",
}
#: how many open questions the interactive questionnaire asks per round
ASK_AT_MOST = 12
LEGEND = "✓ fits  ✗ rules out  ? unknown  – does not apply (for this patient)"


def read_patient(source: str) -> Patient:
    """``-`` (stdin), a file, or the free text itself -> a :class:`Patient`."""
    return load_patient(source)


def parse_answers(pairs: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"Cannot read the answer {pair!r}.",
                hint="Write KEY=VALUE with a key from the questions, e.g. lab:platelets=150"
                " or pregnant=no.",
            )
        answers[key.strip()] = value.strip()
    return answers


def save_patient(patient: Patient, path: Path) -> None:
    """Write the patient (with any answers) where the user asked: JSON for ``.json``,
    else YAML; ``trialscope match PATH`` reads it back."""
    data = patient.model_dump(mode="json", exclude_defaults=True)
    if path.suffix.lower() == ".json":
        import orjson

        text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    try:
        path.write_text(text, "utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


# -- text output ------------------------------------------------------------------------


def _counts(match: TrialMatch) -> str:
    c = match.marks()
    return f"{c[Mark.FITS]}/{c[Mark.RULES_OUT]}/{c[Mark.UNKNOWN]}"


def _site(match: TrialMatch) -> str:
    """Distance and place of the nearest recruiting site (the facility is on the page)."""
    if match.nearest_site is None:
        return ""
    distance = f"{match.distance_km:,.0f} km · " if match.distance_km is not None else ""
    parts = [p.strip() for p in match.nearest_site.split(",")]
    return distance + ", ".join(parts[-2:])


def print_ranking(report: MatchReport) -> None:
    summary = report.to_json()["verdicts"]
    where = f" near {report.near}" if report.near else ""
    top = f"; top {len(report.trials)}" if len(report.trials) < report.candidates else ""
    console.print(
        f"[bold]{report.candidates} candidate trial(s){where}[/]{top}: "
        f"{summary['ELIGIBLE']} eligible, {summary['POSSIBLY_ELIGIBLE']} possibly eligible, "
        f"{summary['INELIGIBLE']} ineligible",
        highlight=False,
    )
    for note in report.notes:
        console.print(f"[dim]{note}[/]", highlight=False)
    if not report.trials:
        return
    table = Table(show_lines=False, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("verdict")
    table.add_column("score", justify="right")
    table.add_column("trial", no_wrap=True)
    table.add_column("title · nearest recruiting site", ratio=1)
    table.add_column("✓/✗/?", justify="right", no_wrap=True)
    for rank, match in enumerate(report.trials, 1):
        title = Text(match.title)
        if match.nearest_site:
            title.append(f"\n{_site(match)}", style="dim")
        table.add_row(
            str(rank),
            Text(VERDICT_WORDS[match.verdict], style=VERDICT_STYLE[match.verdict]),
            f"{match.score:.2f}",
            match.nct_id,
            title,
            _counts(match),
        )
    console.print(table)


def clean(text: str) -> str:
    """Criteria text on one line, CT.gov's markdown escapes (``\\<``) undone."""
    return unescape_markdown(" ".join(text.split()))


def evidence_lines(result: CriterionResult) -> list[str]:
    """Each piece of evidence once: the fact and where it came from."""
    lines: dict[str, None] = {}
    for evidence in result.evidence:
        where = f" — {evidence.source.describe()}" if evidence.source else ""
        lines[f"{evidence.fact}{where}"] = None
    return list(lines)


def print_checklist(match: TrialMatch) -> None:
    console.print()
    console.print(
        Text.assemble(
            (f"{match.nct_id}  ", "bold cyan"),
            (VERDICT_WORDS[match.verdict].upper(), VERDICT_STYLE[match.verdict]),
            f"  {match.title}",
        )
    )
    for note in match.notes:
        console.print(f"  [dim]{note}[/]", highlight=False)
    grid = Table.grid(padding=(0, 1), pad_edge=False)
    grid.add_column(width=1)
    grid.add_column(width=1)
    grid.add_column(no_wrap=True)
    grid.add_column()
    for result in match.criteria:
        symbol, style = MARKS[result.mark]
        body = Text()
        if result.index in match.deciding:
            body.append("deciding: ", style="bold red")
        body.append(clean(result.text))
        body.append(f"\n{result.mark.value}", style=f"bold {style}")
        body.append(f": {result.reason}", style="italic")
        for line in evidence_lines(result):
            body.append(f"\nevidence: {line}", style="dim")
        grid.add_row("", Text(symbol, style=f"bold {style}"), result.kind[:4], body)
    console.print(grid)


def print_questions(questions: list[RankedQuestion], limit: int = 10) -> None:
    if not questions:
        return
    console.print()
    console.print("[bold]Questions that settle the unknowns[/]")
    grid = Table.grid(padding=(0, 2), pad_edge=False)
    grid.add_column()
    grid.add_column(no_wrap=True)
    grid.add_column(style="dim", overflow="fold")
    for question in questions[:limit]:
        plural = "trial" if question.decides == 1 else "trials"
        grid.add_row(
            question.text,
            Text(f"decides {question.decides} {plural}", style="bold"),
            f"{question.key}={_answer_hint(question)}",
        )
    console.print(Padding(grid, (0, 0, 0, 2)))
    console.print("  [dim]Answer with --answer KEY=VALUE (repeatable), or --ask.[/]")
    if len(questions) > limit:
        console.print(f"  [dim]… {len(questions) - limit} more (--json lists them all)[/]")


def _answer_hint(question: RankedQuestion) -> str:
    if question.answer == "number":
        return f"NUMBER{f' ({question.unit})' if question.unit else ''}"
    if question.answer == "yes_no":
        return "yes|no"
    if question.answer == "date":
        return "YYYY-MM"
    return question.answer.upper()


def print_report(report: MatchReport, checklists: int) -> None:
    print_ranking(report)
    shown = report.trials[:checklists]
    if shown:
        console.print(f"\n[dim]{LEGEND}[/]")
    for match in shown:
        print_checklist(match)
    print_questions(report.questions)


# -- the questionnaire ------------------------------------------------------------------


def ask(questions: list[RankedQuestion], asked: set[str], patient: Patient) -> dict[str, str]:
    """Prompt for each open question (blank skips); prompts go to stderr. Each answer is
    tried on ``patient`` itself: some ("the lab's upper limit", "when was it") attach
    to a record an empty patient lacks."""
    answers: dict[str, str] = {}
    pending = [q for q in questions if q.key not in asked][:ASK_AT_MOST]
    if not pending:
        return answers
    err_console.print("[bold]Answer what you know; leave blank to skip.[/]")
    for question in pending:
        asked.add(question.key)
        unit = f" ({question.unit})" if question.unit else ""
        choices = " [yes/no]" if question.answer == "yes_no" else ""
        while True:
            try:
                raw = typer.prompt(
                    f"{question.text}{unit}{choices}",
                    default="",
                    show_default=False,
                    err=True,
                ).strip()
            except typer.Abort:  # end of input: keep what was answered
                err_console.print()
                return answers
            if not raw:
                break
            try:
                apply_answers(patient, {question.key: raw})
            except UsageError as exc:
                err_console.print(f"[red]{exc.message}[/]", highlight=False)
                continue
            answers[question.key] = raw
            break
    return answers


# -- the command ------------------------------------------------------------------------


@app.command("match")
def match(
    ctx: typer.Context,
    patient_source: Annotated[
        str,
        typer.Argument(
            metavar="PATIENT_FILE_OR_TEXT",
            help="A YAML / JSON / FHIR Bundle / .txt file, the note itself in quotes,"
            " or - for stdin.",
        ),
    ],
    trials: Annotated[
        list[str] | None, Opt("--trial", help="Judge this trial only (repeatable).")
    ] = None,
    query: Annotated[
        str | None, Opt(help="Search text for candidates (default: the patient's conditions).")
    ] = None,
    near: Annotated[
        str | None, Opt(help="Place name or lat,lon: rank by the nearest recruiting site.")
    ] = None,
    radius: Annotated[
        str | None, Opt(help="Distance from --near: 100 (km), 100km, 50mi. (default: 100km)")
    ] = None,
    statuses: Annotated[
        list[str] | None,
        Opt("--status", help="Overall status of candidates, repeatable. (default: open ones)"),
    ] = None,
    any_status: Annotated[
        bool, Opt("--any-status", help="Candidates of every status (closed ones too).")
    ] = False,
    every: Annotated[
        bool,
        Opt("--all", help="Judge every trial of the statuses, not only the search's candidates."),
    ] = False,
    limit: Annotated[int, Opt(help="Trials in the ranking.", min=1, max=200)] = 10,
    checklists: Annotated[
        int | None,
        Opt(
            help="Per-criterion checklists for the top N trials (default: 3, or every --trial).",
            min=0,
            max=200,
            show_default=False,
        ),
    ] = None,
    interactive: Annotated[
        bool, Opt("--ask", help="Ask the questions that settle the unknowns, then re-run.")
    ] = False,
    answer: Annotated[
        list[str] | None,
        Opt("--answer", help="Answer a question: KEY=VALUE, e.g. lab:platelets=150 (repeatable)."),
    ] = None,
    save: Annotated[
        Path | None,
        Opt(help="Write the patient (with the answers) to this YAML or JSON file.", dir_okay=False),
    ] = None,
    as_json: Annotated[bool, Opt("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Match a patient to trials: verdicts per criterion with evidence, ranking, questions.

    Example: trialscope match patient.yaml --near Boston --radius 200
    """
    if any_status and statuses:
        raise UsageError("Give --status or --any-status, not both.")
    if every and trials:
        raise UsageError("Give --trial or --all, not both.")
    wanted_statuses = () if any_status else tuple(statuses) if statuses else None
    radius_km = parse_radius(radius) if radius else None
    patient = read_patient(patient_source)
    if answer:
        patient = apply_answers(patient, parse_answers(answer))
    store = state(ctx).store()
    scope = MatchScope(
        trials=tuple(trials or ()),
        query=query,
        near=near,
        radius_km=radius_km,
        statuses=wanted_statuses,
        limit=limit,
        every=every,
    )
    report = run_match(store, patient, scope)
    shown = checklists if checklists is not None else len(trials) if trials else 3
    asked: set[str] = set()
    while interactive:
        if not as_json:
            print_report(report, shown)
        answers = ask(report.questions, asked, patient)
        if not answers:
            break
        patient = apply_answers(patient, answers)
        report = run_match(store, patient, scope)
        if not as_json:
            console.rule("[bold]With your answers[/]")
    if save is not None:
        save_patient(patient, save)
    if as_json:
        print_json(report.to_json())
    elif not interactive:
        print_report(report, shown)
    if save is not None:
        err_console.print(f"Saved the patient to {save}.", highlight=False)
