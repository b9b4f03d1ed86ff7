"""A search in the tantivy index: the query, the top k with an offset, the exact total and
the facets, with the SQL engine's meaning for every filter.

The text follows the FTS5 engine: quoted words and phrases ANDed, an ``OR`` between two
of them kept (it binds tighter than the AND), each text option over its own fields, with
the FTS5 column weights as field boosts (tantivy sums per-field BM25s). The document
filters are term, term-set and range queries on fast fields. What the index cannot
answer (a radius, a site's own status, city or state: conditions on one site) the caller
resolves in SQL to a set of NCT ids, passed in as ``only``; it is applied as a term-set
filter. Orders: relevance (ties: the index's own order), or a date then the NCT number,
undated last; with no text, relevance is the last-update order, as in SQL.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import tantivy

from trialscope.errors import UsageError
from trialscope.search.plan import query_phrases
from trialscope.search.sqlite_dialect import TEXT_SCOPES, WEIGHTS
from trialscope.search.tantivy_index import KEY_SPAN, NONE, TEXT_FIELDS, day_number
from trialscope.search.types import SearchQuery, SortOrder
from trialscope.vocab import InterventionType, Phase

#: facet name → (index field, how many values the SQL engine keeps: None = all)
FACETS: dict[str, tuple[str, int | None]] = {
    "overall_status": ("status", None),
    "study_type": ("study_type", None),
    "phase": ("phase", None),
    "intervention_type": ("itype", None),
    "has_results": ("results", None),
    "country": ("country", 30),
    "site_status": ("site_status", 30),
}
#: every value of each field: a terms aggregation is exact when it returns them all
_AGGREGATION = {
    name: {"terms": {"field": field, "size": 5000}} for name, (field, _) in FACETS.items()
}
_DATE_FIELDS = {SortOrder.LAST_UPDATE: "updated", SortOrder.START_DATE: "started"}


@dataclass(frozen=True, slots=True)
class Found:
    """One page: (NCT id, score) pairs, the exact total (None when not asked)."""

    hits: list[tuple[str, float]]
    total: int | None


def _group(parts: list[str]) -> str:
    """``["a", "b", "OR", "c"]`` → ``(a) AND (b OR c)``: FTS5's reading, spelled out."""
    groups: list[list[str]] = []
    after_or = False
    for part in parts:
        if part == "OR":
            after_or = True
            continue
        if after_or and groups:
            groups[-1].append(part)
        else:
            groups.append([part])
        after_or = False
    return " AND ".join(f"({' OR '.join(g)})" for g in groups)


def text_query(index: Any, name: str, text: str) -> Any | None:
    """One text option (``SearchQuery.text``, ``cond``, ...) over its fields, boosted."""
    parts = query_phrases(text)
    if not parts:
        return None
    scope = TEXT_SCOPES[name]
    fields = scope.strip("{}").split() if scope else list(TEXT_FIELDS)
    try:
        return index.parse_query(
            _group(parts), fields, field_boosts={f: WEIGHTS[f] for f in fields}
        )
    except ValueError as exc:
        raise UsageError(f"Cannot run this search: {exc}") from None


def country_only(q: SearchQuery) -> bool:
    """A country with no other site condition: the index filters it (any site there)."""
    return bool(q.country) and q.geo is None and not (q.state or q.city or q.site_statuses)


def only_query(index: Any, nct_ids: Collection[str]) -> Any:
    """The filter of the studies a site condition allows (resolved in SQL); built once
    per place and index state by the caller, as a set of tens of thousands costs ms."""
    if not nct_ids:
        return tantivy.Query.empty_query()
    return tantivy.Query.term_set_query(index.schema, "nct_id", list(nct_ids))


def terms(index: Any, field: str, values: Collection[str]) -> Any:
    return tantivy.Query.term_set_query(index.schema, field, list(values))


def any_of(parts: list[Any]) -> Any:
    """Documents matching at least one of ``parts`` (none: no document)."""
    if not parts:
        return tantivy.Query.empty_query()
    if len(parts) == 1:
        return parts[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, p) for p in parts])


def all_of(parts: list[Any]) -> Any:
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, p) for p in parts])


def matching_ids(searcher: Any, query: Any) -> list[str]:
    """The NCT id of every match, from the id fast field (no stored document read)."""
    total = count(searcher, query)
    if not total:
        return []
    found = searcher.search(query, total, count=False, order_by_field="nct_id")
    return [str(value) for value, _ in found.hits]


def build_query(index: Any, q: SearchQuery, only: Any | None) -> Any:
    """The whole query: text options and filters, all required; ``only``: the filter of
    the studies the site conditions allow (:func:`only_query`), None when there are none."""
    schema = index.schema
    must: list[Any] = []
    for name in TEXT_SCOPES:
        value = getattr(q, name)
        if value and (found := text_query(index, name, value)) is not None:
            must.append(found)

    def any_of(field: str, values: Collection[str]) -> None:
        must.append(tantivy.Query.term_set_query(schema, field, list(values)))

    if q.statuses:
        any_of("status", q.statuses)
    if q.study_types:
        any_of("study_type", q.study_types)
    if q.phases:
        any_of("phase", q.phases)
    if q.intervention_types:
        any_of("itype", q.intervention_types)
    if q.nct_ids:
        any_of("nct_id", [n.upper() for n in q.nct_ids])
    if q.sex:
        any_of("sex", [NONE, "ALL", q.sex.upper()])
    if q.age_years is not None:
        age, kind = float(q.age_years), tantivy.FieldType.Float
        must.append(tantivy.Query.range_query(schema, "min_age", kind, None, age))
        must.append(tantivy.Query.range_query(schema, "max_age", kind, age, None))
    if q.healthy_volunteers is not None:
        must.append(tantivy.Query.term_query(schema, "healthy", int(q.healthy_volunteers)))
    if q.has_results is not None:
        must.append(tantivy.Query.term_query(schema, "results", int(q.has_results)))
    for field, low, high in (
        ("started", q.start_from, q.start_to),
        ("updated", q.updated_from, q.updated_to),
    ):
        if low or high:
            must.append(_date_range(schema, field, low, high))
    if country_only(q):
        assert q.country is not None
        any_of("country_key", [q.country.lower()])
    if only is not None:
        must.append(only)
    if not must:
        return tantivy.Query.all_query()
    if len(must) == 1:
        return must[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, m) for m in must])


def _date_range(schema: Any, field: str, low: str | None, high: str | None) -> Any:
    """A date range over an order key (day * KEY_SPAN + NCT number); undated never match."""
    lower = day_number(low) if low else 1
    upper = day_number(high, high=True) if high else None
    if lower is None or (high and upper is None):
        raise UsageError(f"Cannot read the date {low if lower is None else high!r}.")
    top = None if upper is None else upper * KEY_SPAN + KEY_SPAN - 1
    return tantivy.Query.range_query(
        schema, field, tantivy.FieldType.Integer, lower * KEY_SPAN, top
    )


def has_text(q: SearchQuery) -> bool:
    return any(query_phrases(getattr(q, name) or "") for name in TEXT_SCOPES)


def top(searcher: Any, query: Any, q: SearchQuery, limit: int, offset: int, count: bool) -> Found:
    """A page of the order the query asks for (distance is the caller's: see ``all_hits``)."""
    field = _DATE_FIELDS.get(q.sort)
    if field is None and not has_text(q):
        field = "updated"  # no text: relevance is the last-update order, as in SQL
    if field is None:
        found = searcher.search(query, limit, count=count, offset=offset)
    else:
        found = searcher.search(
            query, limit, count=count, order_by_field=field, offset=offset, order=tantivy.Order.Desc
        )
    ids = _ids(searcher, [address for _, address in found.hits])
    scores = [float(s) if field is None else 0.0 for s, _ in found.hits]
    total = None if not count else int(found.count or 0)
    return Found(list(zip(ids, scores, strict=True)), total)


def all_hits(searcher: Any, query: Any, at_most: int) -> list[tuple[str, float]]:
    """Every match (there are at most ``at_most``) with its score, for an order the index
    cannot make: distance."""
    if at_most <= 0:
        return []
    found = searcher.search(query, at_most, count=False)
    # the ids from the nct_id fast field (a second pass ordered by it) rather than a
    # stored-document read per hit: thousands of matches near a city cost 1 ms, not 50
    named = searcher.search(query, at_most, count=False, order_by_field="nct_id")
    ids = {(a.segment_ord, a.doc): str(n) for n, a in named.hits}
    return [(ids[(a.segment_ord, a.doc)], float(s)) for s, a in found.hits]


def _ids(searcher: Any, addresses: list[Any]) -> list[str]:
    return [str(searcher.doc(a)["nct_id"][0]) for a in addresses]


def count(searcher: Any, query: Any) -> int:
    return int(searcher.search(query, 1, count=True).count or 0)


def facets(searcher: Any, query: Any) -> dict[str, dict[str, int]]:
    """The SQL engine's facets, over every match, from one aggregation request."""
    return counted(searcher, query)[1]


def counted(searcher: Any, query: Any) -> tuple[int, dict[str, dict[str, int]]]:
    """The exact total and the facets, in one pass over the matches: every document
    has one status (``(none)`` when absent), so the status counts sum to the total and
    the top k need not count (which lets it skip the blocks that cannot make it)."""
    found = searcher.aggregate(query, _AGGREGATION)
    counts: dict[str, dict[str, int]] = {}
    total = 0
    for name, (_, keep) in FACETS.items():
        buckets = (found.get(name) or {}).get("buckets") or []
        pairs = [(_key(b["key"]), int(b["doc_count"])) for b in buckets if b["doc_count"]]
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        if name == "overall_status":
            total = sum(n for _, n in pairs)
        counts[name] = dict(pairs[:keep] if keep else pairs)
    # phases and intervention types in their vocabulary's order; results as SQL has them
    counts["phase"] = {p.value: n for p in Phase if (n := counts["phase"].get(p.value))}
    kinds = counts["intervention_type"]
    counts["intervention_type"] = {
        k.value: n for k in InterventionType if (n := kinds.get(k.value))
    }
    results = counts["has_results"].get("1", 0)
    counts["has_results"] = {"true": results} if results else {}
    return total, counts


def _key(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
