"""Eligibility criteria commands: ``criteria`` (one study's or a given text's items and
constraints) and ``reparse`` (redo stored parses after the parser changed)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from trialscope.cli.app import app, state
from trialscope.cli.options import JsonFlag
from trialscope.cli.output import console, print_json
from trialscope.config import Settings
from trialscope.criteria import PARSER_VERSION, Item, ParsedCriteria, parse_criteria
from trialscope.criteria.store import load_parse, parse_counts, parse_pending
from trialscope.derived import refresh_derived
from trialscope.errors import UsageError
from trialscope.match.views import refresh_views
from trialscope.record.ids import normalise_nct_id


def _facts(item: Item) -> Text:
    """The constraints, windows and mentions of an item, one per line."""
    lines = [("or " if c.joiner == "or" else "") + c.describe() for c in item.constraints]
    lines += [
        f"{w.relation} {w.amount:g} {w.unit}" + (f" ({w.anchor})" if w.anchor else "")
        for w in item.windows
    ]
    for m in item.mentions:
        flags = [
            name
            for name, on in (
                ("negated", m.negated),
                ("historical", m.historical),
                ("hypothetical", m.hypothetical),
                ("family", m.family),
            )
            if on
        ]
        lines.append(f"{m.category}: {m.concept}" + (f" [{', '.join(flags)}]" if flags else ""))
    if not item.computable:
        lines.append(f"non-computable: {item.non_computable_reason}")
    return Text("\n".join(lines))


def _print_table(parsed: ParsedCriteria, title: str) -> None:
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("kind")
    table.add_column("criterion", ratio=3)
    table.add_column("constraints", ratio=2)
    for item in parsed.items:
        indent = "  " * item.level
        table.add_row(
            str(item.index),
            item.kind,
            Text(indent + " ".join(item.text.split())),
            _facts(item),
        )
    console.print(table)
    if parsed.flags:
        console.print(Text("flags: " + ", ".join(parsed.flags)), style="dim")


@app.command("criteria")
def criteria(
    ctx: typer.Context,
    nct_id: Annotated[str | None, typer.Argument(help="NCT id of a study in the mirror.")] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Parse this criteria text instead.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Eligibility criteria as items: kind, nesting, text and computable constraints."""
    if (nct_id is None) == (text is None):
        raise UsageError(
            "Give either an NCT id or --text, not both or neither.",
            hint='trialscope criteria NCT04416854   or   trialscope criteria --text "Age ≥ 18"',
        )
    if text is not None:
        parsed = parse_criteria(text)
        if as_json:
            print_json(parsed.to_json())
        else:
            _print_table(parsed, "Criteria")
        return
    assert nct_id is not None
    nct = normalise_nct_id(nct_id)
    stored = load_parse(state(ctx).store(), nct)
    if as_json:
        payload: dict[str, Any] = {
            "nct_id": stored.nct_id,
            "version_id": stored.version_id,
            "parsed_at": stored.parsed_at,
            "stale": stored.stale,
            **stored.parsed.to_json(),
        }
        print_json(payload)
        return
    if not stored.parsed.items:
        console.print(f"{nct} has no eligibility criteria text.")
        return
    _print_table(stored.parsed, f"Eligibility criteria of {nct} (version {stored.version_id})")


@app.command("reparse")
def reparse(
    ctx: typer.Context,
    everything: Annotated[
        bool, typer.Option("--all", help="Reparse every study, not only stale or missing parses.")
    ] = False,
    nct_ids: Annotated[
        list[str] | None, typer.Option("--nct", help="Only this study (repeatable).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes that parse (env: TRIALSCOPE_WORKERS; default: CPUs).", min=1),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Parse eligibility criteria again after the parser changed (stale or missing parses)."""
    st = state(ctx)
    processes = Settings.resolve(db=st.db, workers=workers).workers
    store = st.store()
    if nct_ids or everything:
        count = parse_pending(store, nct_ids or None, everything=everything, workers=processes)
        # what matching reads of the open trials, made from the parses (``match.views``)
        views = refresh_views(store, nct_ids or None, everything=everything, workers=processes)
    else:  # every study looked at, and the keys recorded for later runs (``derived``)
        derived = refresh_derived(store, workers=processes, scan=True)
        count, views = derived.parsed, derived.views
    counts = {
        "parsed": count,
        "parser_version": PARSER_VERSION,
        **parse_counts(store),
        "match_views": views,
    }
    if as_json:
        print_json(counts)
        return
    console.print(
        f"Parsed {count:,} eligibility texts (parser version {PARSER_VERSION});"
        f" {counts['current']:,} of {counts['studies']:,} studies are up to date;"
        f" {views:,} match views of open trials stored."
    )
