"""Copy an SQLite store into PostgreSQL, then build the PostgreSQL search index.

    python bench/pg_copy.py SQLITE_PATH postgresql://... [--indexers 2]

For the benchmarks: the 500k scale-up store (built by bench/search_bench.py --scale)
loaded into PostgreSQL without re-reading its records. The store's own tables are
streamed with COPY (the stored bytes as they are); the search index is then built by
the real refresh code, in ``--indexers`` processes at once (each claims its batches
with SKIP LOCKED).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import time

from trialscope.search import index
from trialscope.store import open_store
from trialscope.store.postgres import PostgresStore

TABLES = {
    "import_runs": "id, kind, started_at, finished_at, status, sources, counts",
    "versions": "id, nct_id, content_hash, source, source_format, last_update_post_date,"
    " snapshot_date, is_partial, first_seen, last_seen, data, original",
    "studies": "nct_id, current_version_id, brief_title, overall_status, phases, study_type,"
    " lead_sponsor, last_update_post_date, source_format, is_partial, first_seen, last_seen",
    "changes": "id, nct_id, from_version_id, to_version_id, path, kind, old_value, new_value,"
    " detected_at, ct_date",
    "quarantine": "id, run_id, source, position, reason, raw, created_at",
    "criteria_parses": "version_id, nct_id, parser_version, parsed_at, items, constraints, data",
}
IDENTITIES = {"import_runs": "id", "versions": "id", "changes": "id", "quarantine": "id"}


def copy_tables(source: str, store: PostgresStore) -> None:
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    raw = store.conn.raw
    for table, columns in TABLES.items():
        began, rows = time.perf_counter(), 0
        with raw.transaction(), raw.cursor() as cur:
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in lite.execute(f"SELECT {columns} FROM {table}"):
                    copy.write_row(row)
                    rows += 1
            if table in IDENTITIES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" coalesce(max(id), 0) + 1, false) FROM {table}"
                )
        print(f"{table}: {rows:,} rows in {time.perf_counter() - began:.0f} s", flush=True)
    with raw.transaction():
        raw.execute("INSERT INTO search_dirty (nct_id) SELECT nct_id FROM studies")
        raw.execute("ANALYZE")


def _index(url: str) -> int:
    with open_store(url) as store:
        return index.refresh(store)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sqlite")
    parser.add_argument("url")
    parser.add_argument("--indexers", type=int, default=2)
    args = parser.parse_args()
    with open_store(args.url) as store:
        assert isinstance(store, PostgresStore)
        if store.count_studies() == 0:
            copy_tables(args.sqlite, store)
    began = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.indexers) as pool:
        done = sum(pool.map(_index, [args.url] * args.indexers))
    elapsed = time.perf_counter() - began
    print(f"search index: {done:,} studies in {elapsed:.0f} s ({done / elapsed:,.0f}/s)")
    with open_store(args.url) as store:
        store.conn.execute("VACUUM ANALYZE")


if __name__ == "__main__":
    main()
