"""Top-k engines compared (issue 13): today's SQLite FTS5 engine vs a tantivy index.

    python bench/engine_compare.py [--db STORE] [--no-relevance]

Without ``--db`` the shared corpus is imported with the real CLI into a temporary store.
Both engines then answer the 50 representative queries of ``search_bench.py``:

* **FTS5** -- the current ``SearchEngine`` (totals and every facet), each query's first run
  on its own, then the median of 5 repeated runs (totals and facets from its cache);
* **tantivy** -- an index built beside the store from the same text rows (``search_fts``,
  the same 11 columns with the engine's BM25 weights as field boosts, English stemming),
  with the document filters as fast fields; top 10 with the exact count and one facet
  (overall status, a terms aggregation), first run and median of 5.

Geo radii and site-level statuses have no tantivy equivalent here (the Python bindings
have no geo query): those queries run without them in tantivy and are marked. Index
build: the same text rows written into a fresh FTS5 table (scratch file) and into
tantivy, timed and sized.

Relevance (tuning cohorts only, ``splits.py``): NDCG@10 of both engines on the TREC 2021
and 2023 judged pairs whose trials are in the store, ranked as ``match_rank_eval.py``'s
BM25 baseline queries them (the note's conditions over the conditions/keywords fields,
else its content words over all text), restricted to the covered trials; trials a query
does not hit get no gain, for both engines alike (no random fill). The real engines
(``SearchEngine`` with the sql and the tantivy settings) are scored the same way;
``--relevance-only`` scores only those.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import tantivy  # noqa: E402
from import_bench import CTGOV, RECORD_FOLDERS  # noqa: E402
from search_bench import queries  # noqa: E402

from trialscope.config import SearchSettings  # noqa: E402
from trialscope.search import SearchEngine, SearchQuery, SortOrder  # noqa: E402
from trialscope.search.plan import query_phrases  # noqa: E402
from trialscope.search.sqlite_dialect import COLUMNS, TEXT_SCOPES, WEIGHTS  # noqa: E402
from trialscope.store import SQLiteStore  # noqa: E402

REPEATS = 5
#: the fields a geo-less tantivy run cannot honour
UNSUPPORTED = ("geo", "site_statuses", "state", "city", "locn")


def p50_p95(values: list[float]) -> str:
    ordered = sorted(values)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {ordered[-1]:7.1f} ms"


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = run()
    return (time.perf_counter() - started) * 1000, out


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- the tantivy index --------------------------------------------------------------------

_DOC_COLUMNS = (
    "d.nct_id, d.overall_status, d.phases, d.study_type, d.intervention_types,"
    " d.min_age_years, d.max_age_years, d.sex, d.healthy_volunteers, d.start_date,"
    " d.last_update, d.has_results"
)


def _day(date: str | None) -> int:
    """YYYY-MM(-DD) as an integer yyyymmdd (0 when unknown), a fast field to range over."""
    if not date:
        return 0
    parts = [*date.split("-"), "01", "01"][:3]
    return int("".join(p.zfill(2) for p in parts))


def _bars(value: str | None) -> list[str]:
    return [v for v in (value or "").split("|") if v]


def tantivy_schema() -> Any:
    builder = tantivy.SchemaBuilder()
    for column in COLUMNS:
        builder.add_text_field(column, stored=False, tokenizer_name="en_stem")
    builder.add_text_field("nct_id", stored=True, tokenizer_name="raw", fast=True)
    for keyword in ("status", "phase", "study_type", "itype", "sex", "country"):
        builder.add_text_field(keyword, stored=False, tokenizer_name="raw", fast=True)
    for number in ("min_age", "max_age"):
        builder.add_float_field(number, indexed=True, fast=True)
    for flag in ("healthy", "results", "started", "updated"):
        builder.add_integer_field(flag, indexed=True, fast=True)
    return builder.build()


def build_tantivy(store_path: Path, folder: Path) -> tuple[Any, float]:
    """An index of every search document; returns it and the build seconds."""
    schema = tantivy_schema()
    folder.mkdir()
    index = tantivy.Index(schema, path=str(folder))
    db = sqlite3.connect(store_path)
    countries: dict[int, list[str]] = {}
    for doc, value in db.execute("SELECT doc, value FROM search_places WHERE kind = 'country'"):
        countries.setdefault(doc, []).append(value)
    started = time.perf_counter()
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    rows = db.execute(
        f"SELECT d.rowid, {_DOC_COLUMNS}, {', '.join('f.' + c for c in COLUMNS)}"
        " FROM search_docs d JOIN search_fts f ON f.rowid = d.rowid"
    )
    for row in rows:
        rowid, nct, status, phases, stype, itypes, lo, hi, sex, healthy, start, upd, res = row[:13]
        fields: dict[str, Any] = dict(zip(COLUMNS, row[13:], strict=True))
        fields = {k: v for k, v in fields.items() if v}
        fields.update(
            nct_id=nct,
            status=status or "(none)",
            phase=_bars(phases) or ["(none)"],
            study_type=stype or "(none)",
            itype=_bars(itypes) or ["(none)"],
            sex=sex or "ALL",
            country=countries.get(rowid, ["(none)"]),
            min_age=float(lo) if lo is not None else -1.0,
            max_age=float(hi) if hi is not None else 1000.0,
            healthy=-1 if healthy is None else int(healthy),
            results=int(res or 0),
            started=_day(start),
            updated=_day(upd),
        )
        writer.add_document(tantivy.Document(**fields))
    writer.commit()
    writer.wait_merging_threads()
    took = time.perf_counter() - started
    db.close()
    index.reload()
    return index, took


def build_fts5(store_path: Path, target: Path) -> float:
    """The same text rows into a fresh FTS5 table of the engine's layout; build seconds."""
    source = sqlite3.connect(store_path)
    db = sqlite3.connect(target)
    db.execute(
        f"CREATE VIRTUAL TABLE search_fts USING fts5 ({', '.join(COLUMNS)},"
        " tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    marks = ", ".join("?" * (1 + len(COLUMNS)))
    rows = source.execute(f"SELECT rowid, {', '.join(COLUMNS)} FROM search_fts")
    started = time.perf_counter()
    with db:
        db.executemany(
            f"INSERT INTO search_fts (rowid, {', '.join(COLUMNS)}) VALUES ({marks})", rows
        )
    took = time.perf_counter() - started
    db.execute("VACUUM")
    db.close()
    source.close()
    return took


# -- queries in tantivy -------------------------------------------------------------------


def _text_query(index: Any, text: str, scope: str | None) -> Any | None:
    """The engine's text semantics: phrases and words ANDed, an OR kept, over the scope's
    fields (every column when None) with the engine's weights as boosts."""
    parts = query_phrases(text)
    if not parts:
        return None
    joined: list[str] = []
    for i, part in enumerate(parts):
        if part != "OR" and i and parts[i - 1] != "OR":
            joined.append("AND")
        joined.append(part)
    fields = scope.strip("{}").split() if scope else list(COLUMNS)
    boosts = {f: WEIGHTS[f] for f in fields}
    return index.parse_query(" ".join(joined), fields, field_boosts=boosts)


def tantivy_query(index: Any, q: SearchQuery) -> Any:
    schema = index.schema
    must: list[Any] = []
    for name in ("text", "cond", "intr", "titles", "locn", "sponsor"):
        value = getattr(q, name)
        if value and name != "locn":
            found = _text_query(index, value, TEXT_SCOPES[name])
            if found is not None:
                must.append(found)

    def any_of(field: str, values: tuple[str, ...] | list[str]) -> None:
        if values:
            must.append(tantivy.Query.term_set_query(schema, field, list(values)))

    any_of("status", q.statuses)
    any_of("phase", q.phases)
    any_of("study_type", q.study_types)
    any_of("itype", q.intervention_types)
    if q.country:
        any_of("country", [q.country])
    if q.sex:
        any_of("sex", ["ALL", q.sex.upper()])
    if q.age_years is not None:
        must.append(
            tantivy.Query.range_query(schema, "min_age", tantivy.FieldType.Float, -2.0, q.age_years)
        )
        must.append(
            tantivy.Query.range_query(
                schema, "max_age", tantivy.FieldType.Float, q.age_years, 2000.0
            )
        )
    if q.healthy_volunteers is not None:
        must.append(tantivy.Query.term_query(schema, "healthy", int(q.healthy_volunteers)))
    if q.has_results is not None:
        must.append(tantivy.Query.term_query(schema, "results", int(q.has_results)))
    for field, low in (("started", q.start_from), ("updated", q.updated_from)):
        if low:
            must.append(
                tantivy.Query.range_query(
                    schema, field, tantivy.FieldType.Integer, _day(low), 99_999_999
                )
            )
    if q.nct_ids:
        any_of("nct_id", q.nct_ids)
    if not must:
        return tantivy.Query.all_query()
    if len(must) == 1:
        return must[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, m) for m in must])


_STATUS_FACET = {"status": {"terms": {"field": "status", "size": 20}}}
#: about what the engine's facets hold (status, type, phase, intervention type, results,
#: country), in one aggregation request
ALL_FACETS = {
    **_STATUS_FACET,
    "study_type": {"terms": {"field": "study_type", "size": 10}},
    "phase": {"terms": {"field": "phase", "size": 10}},
    "itype": {"terms": {"field": "itype", "size": 20}},
    "results": {"terms": {"field": "results", "size": 2}},
    "country": {"terms": {"field": "country", "size": 30}},
}


def tantivy_search(
    index: Any, q: SearchQuery, limit: int = 10, facets: dict[str, Any] = _STATUS_FACET
) -> tuple[list[str], int, Any]:
    """Top ``limit`` ids, the exact count and the facets (by default: status only)."""
    searcher = index.searcher()
    query = tantivy_query(index, q)
    texts = (q.text, q.cond, q.intr, q.titles, q.sponsor)
    # no text: the engine orders by last update, as it does when asked to
    by_update = q.sort is SortOrder.LAST_UPDATE or not any(texts)
    if by_update or q.sort is SortOrder.START_DATE:
        field = "updated" if by_update else "started"
        found = searcher.search(
            query, limit, count=True, order_by_field=field, order=tantivy.Order.Desc
        )
    else:
        found = searcher.search(query, limit, count=True)
    ids = [searcher.doc(address)["nct_id"][0] for _, address in found.hits]
    facet = searcher.aggregate(query, facets)
    return ids, int(found.count or 0), facet


# -- the runs -----------------------------------------------------------------------------


def run_both(store_path: Path, index: Any) -> None:
    with SQLiteStore(store_path) as store:
        engine = SearchEngine(store)
        engine.refresh()
        studies = store.count_studies()
        results: dict[str, dict[str, list[float]]] = {
            "fts5": {"first": [], "repeated": []},
            "tantivy": {"first": [], "repeated": []},
            "tantivy, 6 facets": {"repeated": []},
        }
        agree = compared = overlap = 0
        marked: list[int] = []
        apart: list[str] = []
        broad: dict[str, tuple[int, int, float, float, float, float]] = {}
        for number, query in enumerate(queries()):
            first, answer = timed(lambda q=query: engine.search(q))
            runs = [timed(lambda q=query: engine.search(q))[0] for _ in range(REPEATS)]
            results["fts5"]["first"].append(first)
            results["fts5"]["repeated"].append(statistics.median(runs))
            t_first, (top, count, _) = timed(lambda q=query: tantivy_search(index, q))
            t_runs = [timed(lambda q=query: tantivy_search(index, q))[0] for _ in range(REPEATS)]
            results["tantivy"]["first"].append(t_first)
            results["tantivy"]["repeated"].append(statistics.median(t_runs))
            all_runs = [
                timed(lambda q=query: tantivy_search(index, q, facets=ALL_FACETS))[0]
                for _ in range(REPEATS)
            ]
            results["tantivy, 6 facets"]["repeated"].append(statistics.median(all_runs))
            if any(getattr(query, f) for f in UNSUPPORTED):
                marked.append(number)
            else:
                compared += 1
                overlap += len(set(top) & {h.nct_id for h in answer.hits})
                # totals differ where the two tokenisers/stemmers disagree; report how close
                close = abs(count - answer.total) <= max(1, answer.total // 50)
                agree += close
                if not close:
                    apart.append(f"query {number}: fts5 {answer.total:,}, tantivy {count:,}")
            if query.text == "cancer" or query == SearchQuery():
                label = "cancer" if query.text else "everything"
                broad[label] = (answer.total, count, first, statistics.median(runs), t_first)
                broad[label] += (statistics.median(t_runs),)
    print(f"{studies:,} studies; 50 queries; {len(marked)} run without geo/site filters in tantivy")
    for engine_name, runs_of in results.items():
        for kind, values in runs_of.items():
            print(f"  {engine_name:<17} {kind:<9} {p50_p95(values)}")
    for label, (total, count, first, again, t_first, t_again) in broad.items():
        print(
            f"  {label:<10} fts5 total {total:>7,} first {first:7.1f} repeated {again:6.1f} ms;"
            f" tantivy count {count:>7,} first {t_first:6.1f} repeated {t_again:6.1f} ms"
        )
    print(f"  totals within 2%: {agree} of {compared} comparable queries")
    print(f"  top 10 shared with FTS5: {overlap / compared:.1f} of 10 on average")
    for line in apart:
        print(f"    {line}")


# -- relevance (tuning cohorts only) ------------------------------------------------------


def relevance(store_path: Path) -> None:
    from match_rank_eval import load_cohort, ndcg
    from splits import RANKING_ROLES, TUNING, ranking_topics

    from trialscope.match import read_note
    from trialscope.match.candidate_query import condition_query as _condition_query

    with SQLiteStore(store_path) as store:
        engine = SearchEngine(store, settings=SearchSettings("sql"))
        # the real tantivy engine (trialscope.search.tantivy_*), beside the bench's own index
        real = SearchEngine(store, settings=SearchSettings("tantivy", f"{store_path}.tantivy"))
        present = {r[0] for r in store.conn.execute("SELECT nct_id FROM search_docs")}
        index = _relevance_index
        for cohort in ("trec_2021", "trec_2023"):
            assert RANKING_ROLES[cohort] == TUNING  # never a held-out cohort
            topics, qrels = load_cohort(cohort)
            per_engine: dict[str, list[float]] = {"fts5": [], "tantivy": [], "engine": []}
            for topic in ranking_topics(cohort, qrels):
                labels = {n: g for n, g in qrels[topic].items() if n in present}
                if not labels or not any(labels.values()):
                    continue
                covered = tuple(sorted(labels))
                q = _topic_query(topics[topic], covered, read_note, _condition_query)
                if q is None:
                    continue
                fts_ids = [h.nct_id for h in engine.search(q).hits]
                tan_ids = tantivy_search(index, q)[0] if index is not None else []
                real_ids = [h.nct_id for h in real.search(q).hits]
                runs = [("fts5", fts_ids), ("engine", real_ids)]
                runs += [("tantivy", tan_ids)] if index is not None else []
                for name, ids in runs:
                    score = ndcg(ids, labels)
                    if score is not None:
                        per_engine[name].append(score)
            bench_index = (
                f"  bench tantivy {statistics.fmean(per_engine['tantivy']):.3f}"
                if per_engine["tantivy"]
                else ""
            )
            print(
                f"  {cohort}: {len(per_engine['fts5'])} topics  NDCG@10 sql engine (FTS5)"
                f" {statistics.fmean(per_engine['fts5']):.3f}  tantivy engine"
                f" {statistics.fmean(per_engine['engine']):.3f}{bench_index}"
            )


_relevance_index: Any = None


def _topic_query(
    note: str, covered: tuple[str, ...], read_note: Any, condition_query: Any
) -> SearchQuery | None:
    """match_rank_eval's BM25 baseline query: the note's conditions over the conditions
    fields, else up to 60 of its content words (OR) over all text."""
    from match_rank_eval import _STOP

    text = condition_query(read_note(note))
    if text:
        return SearchQuery(cond=text, nct_ids=covered, limit=10, with_facets=False)
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9-]{2,}", note) if w.lower() not in _STOP]
    text = " OR ".join(dict.fromkeys(w.lower() for w in words[:60]))
    if not text:
        return None
    return SearchQuery(text=text, nct_ids=covered, limit=10, with_facets=False)


def main() -> None:
    global _relevance_index
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an imported store (default: import the corpus)")
    parser.add_argument("--no-relevance", action="store_true", help="skip the NDCG@10 check")
    parser.add_argument(
        "--relevance-only", action="store_true", help="only NDCG@10, of the two real engines"
    )
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {os.cpu_count()} cores ·"
        f" load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} · SQLite {sqlite3.sqlite_version}"
        f" · {getattr(tantivy, '__version__', 'tantivy ?')}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store_path = args.db
        if store_path is None:
            if not CTGOV.is_dir():
                raise SystemExit(f"shared corpus not found at {CTGOV}")
            store_path = folder / "corpus.db"
            cli = [sys.executable, "-m", "trialscope", "--db", str(store_path), "import"]
            subprocess.run(
                [*cli, "--quiet", "--json", *map(str, RECORD_FOLDERS)],
                check=True,
                capture_output=True,
            )
        if args.relevance_only:
            relevance(store_path)
            return
        fts_took = build_fts5(store_path, folder / "fts5.db")
        index, tan_took = build_tantivy(store_path, folder / "tantivy")
        print(
            f"index build from the same text rows: FTS5 {fts_took:.1f} s,"
            f" {(folder / 'fts5.db').stat().st_size / 1e6:.0f} MB;"
            f" tantivy {tan_took:.1f} s, {folder_bytes(folder / 'tantivy') / 1e6:.0f} MB"
        )
        run_both(store_path, index)
        if not args.no_relevance:
            _relevance_index = index
            relevance(store_path)
        shutil.rmtree(folder / "tantivy", ignore_errors=True)


if __name__ == "__main__":
    main()
