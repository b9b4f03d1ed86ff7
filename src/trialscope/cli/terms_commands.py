"""``trialscope terms``: the disease concepts a text mentions, and (re)building the
vocabulary cache."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from trialscope.cli.app import app, state
from trialscope.cli.options import JsonFlag
from trialscope.cli.output import console, print_json
from trialscope.errors import UsageError
from trialscope.terminology import Terminology, build_terminology, load_terminology

SYNONYMS_SHOWN = 4
ANCESTORS_SHOWN = 8


def _ancestors(term: Terminology, concept: str) -> list[dict[str, Any]]:
    """Most specific first, without the concept itself."""
    above = [a for a in term.ancestors(concept) if a != concept]
    rows = [{"id": a, "name": term.name(a), "depth": term.depth(a)} for a in above]
    return sorted(rows, key=lambda r: (-r["depth"], r["name"]))


@app.command("terms")
def terms(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="Text to tag with disease concepts.")] = None,
    rebuild: Annotated[
        bool, typer.Option("--build", help="(Re)build the vocabulary cache and print counts.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Disease concepts in a text: spans, names, synonyms and the concepts above them."""
    vocab = state(ctx).settings.vocab_dir
    folder = Path(vocab) if vocab else None
    if rebuild:
        started = time.perf_counter()
        path = build_terminology(folder, force=True)
        seconds = time.perf_counter() - started
        counts = Terminology(path).counts
        summary = {"cache": str(path), "vocab_dir": vocab, "seconds": round(seconds, 2), **counts}
        if as_json:
            print_json(summary)
        else:
            source = vocab or "the built-in table (no vocabulary folder found)"
            console.print(
                f"Built {counts['concepts']:,} concepts, {counts['phrases']:,} phrases and"
                f" {counts['exact_terms']:,} case-sensitive abbreviations from {source}"
                f" in {seconds:.1f} s → {path}",
                highlight=False,
            )
        if text is None:
            return
    if text is None:
        raise UsageError(
            "Give a text to tag, or --build.",
            hint='trialscope terms "58-year-old with NSCLC and a history of MI"',
        )
    term = load_terminology(folder)
    matches = term.find(text)
    payload: list[dict[str, Any]] = [
        {
            "concept": m.concept,
            "name": m.name,
            "start": m.start,
            "end": m.end,
            "text": m.text,
            "depth": term.depth(m.concept),
            "synonyms": term.synonyms(m.concept)[:SYNONYMS_SHOWN],
            "ancestors": _ancestors(term, m.concept),
        }
        for m in matches
    ]
    if as_json:
        print_json({"vocab_dir": vocab, "matches": payload})
        return
    if not payload:
        console.print("No disease concepts found.")
        return
    for row in payload:
        console.print(
            Text.assemble(
                (f"{row['start']}-{row['end']} ", "dim"),
                (repr(row["text"]), "bold"),
                f" → {row['name']} ",
                (f"[{row['concept']}]", "cyan"),
            )
        )
        if row["synonyms"]:
            console.print(Text("    also: " + "; ".join(row["synonyms"])), highlight=False)
        above = [a["name"] for a in row["ancestors"][:ANCESTORS_SHOWN]]
        if above:
            more = len(row["ancestors"]) - len(above)
            chain = " › ".join(above) + (f" (+{more} more)" if more > 0 else "")
            console.print(Text("    under: " + chain), highlight=False)
