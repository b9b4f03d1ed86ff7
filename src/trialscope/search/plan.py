"""The parts of a search statement both backends share: the plan (FROM, WHERE, score,
distance), the orders, the page query, the facet tests and the shaping of facet rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from trialscope.search.types import SortOrder
from trialscope.vocab import InterventionType, Phase

#: a quoted phrase or a bare word of the user's text
TOKENS = re.compile(r'"[^"]*"|\S+')
#: the words inside a token (punctuation never reaches the query syntax)
WORDS = re.compile(r"\w+", re.UNICODE)


def query_phrases(text: str) -> list[str]:
    """The user's text as ``"quoted phrases"`` (one per word or phrase) with a bare ``OR``
    kept between two of them: the common ground of FTS5's and tantivy's query syntax, so
    no punctuation of the user's ever reaches either."""
    parts: list[str] = []
    for token in TOKENS.findall(text):
        if token == "OR" and parts and parts[-1] != "OR":
            parts.append("OR")
            continue
        words = WORDS.findall(token)
        if words:
            parts.append('"' + " ".join(words) + '"')
    while parts and parts[-1] == "OR":
        parts.pop()
    return parts


#: ascending: scores are "lower is better" on both backends (bm25, negated ts_rank_cd)
ORDER = {
    SortOrder.RELEVANCE: "{score}, {updated} DESC, {row}",
    SortOrder.DISTANCE: "{km}, {score}, {row}",
    SortOrder.LAST_UPDATE: "{updated} IS NULL, {updated} DESC, {row}",
    SortOrder.START_DATE: "{started} IS NULL, {started} DESC, {row}",
}


class TextMatch(NamedTuple):
    """The full-text part of a search, in a dialect's own SQL."""

    source: str
    where: str
    params: list[Any]
    #: lower is better
    score: str


@dataclass(frozen=True, slots=True)
class Plan:
    """One search as SQL parts over ``search_docs d``."""

    source: str
    where: str
    params: list[Any]
    score: str
    km: str
    #: a WITH clause the statements start with (its parameters lead ``params``)
    head: str = ""

    def page_direct(self, sort: SortOrder) -> tuple[str, list[Any]]:
        """The page (LIMIT ? OFFSET ? to append) straight from the documents."""
        order = ORDER[sort].format(
            score="score", km="km", updated="d.last_update", started="d.start_date", row="d.rowid"
        )
        outer = ORDER[sort].format(
            score="p.score", km="p.km", updated="p.updated", started="p.started", row="p.rowid"
        )
        if self.score == "0.0":
            # No text: drop the constant score so the date indexes can serve the order.
            order = order.removeprefix("score, ")
        # Cards are read for the page's rows only, after the limit.
        return (
            f"{self.head}SELECT p.nct_id, p.score, c.card FROM"
            f" (SELECT d.rowid AS rowid, d.nct_id AS nct_id, {self.score} AS score,"
            f" {self.km} AS km, d.last_update AS updated, d.start_date AS started"
            f" FROM {self.source} WHERE {self.where} ORDER BY {order} LIMIT ? OFFSET ?) p"
            f" JOIN search_cards c ON c.rowid = p.rowid ORDER BY {outer}",
            self.params,
        )


def in_list(column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    return f"{column} IN ({','.join('?' * len(values))})", list(values)


def any_bar(column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    """Any of ``values`` in a ``|A|B|`` column."""
    clause = " OR ".join(f"{column} LIKE ?" for _ in values)
    return f"({clause})", [f"%|{v}|%" for v in values]


def facet_tests() -> list[str]:
    """Conditions over a hit's columns, one per phase, intervention type, then results."""
    return (
        [f"phases LIKE '%|{p.value}|%'" for p in Phase]
        + [f"itypes LIKE '%|{k.value}|%'" for k in InterventionType]
        + ["results = 1"]
    )


def shape_facets(
    statuses: list[Any], types: list[Any], counts: Sequence[Any], places: list[Any]
) -> dict[str, dict[str, int]]:
    """The facets dict from (value, count) rows, the facet_tests() counts and
    (kind, value, count) place rows, all most frequent first."""
    phases = [p.value for p in Phase]
    kinds = [t.value for t in InterventionType]
    values = [int(v or 0) for v in counts]
    facets = {
        "overall_status": {str(k): int(v) for k, v in statuses},
        "study_type": {str(k): int(v) for k, v in types},
        "phase": {p: n for p, n in zip(phases, values, strict=False) if n},
        "intervention_type": {
            k: n for k, n in zip(kinds, values[len(phases) :], strict=False) if n
        },
        "has_results": {"true": values[-1]} if values[-1] else {},
    }
    facets["country"], facets["site_status"] = {}, {}
    for kind, value, count in places:
        bucket = facets["country" if kind == "country" else "site_status"]
        if len(bucket) < 30:
            bucket[str(value)] = int(count)
    return facets
