"""Parses kept beside record versions (table ``criteria_parses``, migration 0004).

:func:`parse_pending` parses every current version that has no parse, or a stale one
(its parse key, :func:`~trialscope.criteria.parser.parse_key`: the parser version and a
hash of its data files, is not the running parser's); the importer and the sync runner
call it when they finish, so only what a run made current is parsed. :func:`load_parse`
reads one back for the CLI, the web app and the matcher.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from multiprocessing.pool import Pool
from typing import TYPE_CHECKING, Any

import orjson

from trialscope.criteria.model import ParsedCriteria
from trialscope.criteria.parser import PARSER_VERSION, parse_criteria
from trialscope.criteria.parser import parse_key as current_parse_key
from trialscope.criteria.units import _registry as units_registry
from trialscope.errors import StudyNotFound
from trialscope.store.codec import compress, decompress
from trialscope.store.sqlite import utc_now

if TYPE_CHECKING:
    from trialscope.store import Store

#: versions parsed per transaction
BATCH = 500
#: below this many texts a process pool costs more than it saves
POOL_MIN = 2000


@dataclass(frozen=True, slots=True)
class StoredParse:
    nct_id: str
    version_id: int
    parser_version: int
    parsed_at: str
    parsed: ParsedCriteria
    parse_key: str | None = None

    @property
    def stale(self) -> bool:
        return self.parse_key != current_parse_key()


def criteria_text(study: dict[str, Any]) -> str | None:
    """The eligibility criteria text of a v2 study JSON, if any."""
    module = study.get("protocolSection", {}).get("eligibilityModule") or {}
    text = module.get("eligibilityCriteria")
    return text if isinstance(text, str) else None


def _pending(
    store: Store, nct_ids: Sequence[str] | None, everything: bool
) -> list[tuple[str, int]]:
    where = ["1 = 1"]
    params: list[Any] = []
    if not everything:
        where.append("(c.version_id IS NULL OR c.parse_key IS NULL OR c.parse_key <> ?)")
        params.append(current_parse_key())
    if nct_ids is not None:
        ids = sorted({n.upper() for n in nct_ids})
        if not ids:
            return []
        where.append(f"s.nct_id IN ({','.join('?' * len(ids))})")
        params.extend(ids)
    rows = store.conn.execute(
        "SELECT s.nct_id, s.current_version_id FROM studies s"
        " LEFT JOIN criteria_parses c ON c.version_id = s.current_version_id"
        f" WHERE {' AND '.join(where)} ORDER BY s.nct_id",
        params,
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def _parse_one(text: str | None) -> tuple[int, int, bytes]:
    """(items, constraints, compressed JSON) of one text; runs in worker processes too."""
    parsed = parse_criteria(text)
    return len(parsed.items), len(parsed.constraints), compress(orjson.dumps(parsed.to_json()))


def parse_pending(
    store: Store,
    nct_ids: Iterable[str] | None = None,
    *,
    everything: bool = False,
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Parse the current versions without an up-to-date parse; returns how many.

    ``nct_ids`` limits the work to those studies; ``everything`` reparses even
    up-to-date ones (``trialscope reparse --all``). ``workers`` > 1 parses in that many
    processes when there is enough to do. Identical texts (versions of one study that
    did not touch the criteria, copies) are parsed once.
    """
    ids = None if nct_ids is None else list(nct_ids)
    todo = _pending(store, ids, everything)
    done = 0
    if todo and workers > 1 and len(todo) >= POOL_MIN:
        warm_up()  # before the fork: the workers inherit the loaded tables
        pool = _pool(workers)
    else:
        pool = None
    seen: dict[str, tuple[int, int, bytes]] = {}
    key = current_parse_key()
    try:
        for at in range(0, len(todo), BATCH):
            chunk = todo[at : at + BATCH]
            texts = [criteria_text(store.version_json(v)) or "" for _, v in chunk]
            if not everything:
                seen.update(_earlier_parses(store, chunk, key))
            fresh = sorted({t for t in texts if t not in seen})
            results = pool.map(_parse_one, fresh, chunksize=16) if pool else map(_parse_one, fresh)
            seen.update(zip(fresh, results, strict=True))
            # in version order: concurrent parsers (PostgreSQL) lock rows in one order
            rows = sorted(
                (version_id, nct_id, PARSER_VERSION, key, utc_now(), *seen[text])
                for (nct_id, version_id), text in zip(chunk, texts, strict=True)
            )
            if len(seen) > 4 * BATCH:
                seen.clear()  # bounded memory; copies are usually near each other
            with store.transaction() as db:
                db.executemany(
                    "INSERT INTO criteria_parses (version_id, nct_id, parser_version, parse_key,"
                    " parsed_at, items, constraints, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (version_id) DO UPDATE SET"
                    " parser_version = excluded.parser_version, parse_key = excluded.parse_key,"
                    " parsed_at = excluded.parsed_at,"
                    " items = excluded.items, constraints = excluded.constraints,"
                    " data = excluded.data",
                    rows,
                )
            done += len(rows)
            if on_progress is not None:
                on_progress(done, len(todo))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return done


def _earlier_parses(
    store: Store, chunk: Sequence[tuple[str, int]], key: str
) -> dict[str, tuple[int, int, bytes]]:
    """Up-to-date parses of other versions of these studies, by their criteria text: a
    new version that left the criteria as they were (most changes a sync brings: status,
    dates, sites) takes its parse from the one before instead of parsing again."""
    marks = ",".join("?" * len(chunk))
    rows = store.conn.execute(
        "SELECT version_id, items, constraints, data FROM criteria_parses"
        f" WHERE nct_id IN ({marks}) AND parse_key = ?",
        [nct for nct, _ in chunk] + [key],
    ).fetchall()
    found: dict[str, tuple[int, int, bytes]] = {}
    for version_id, items, constraints, data in rows:
        text = criteria_text(store.version_json(int(version_id))) or ""
        found[text] = (int(items), int(constraints), bytes(data))
    return found


def warm_up() -> None:
    """Load what a parse needs (vocabulary, lexicons, unit registry) in this process, so
    worker processes forked from it start with them instead of each loading its own."""
    parse_criteria("Inclusion Criteria:\n* Age >= 18 years\n* ANC >= 1.5 x 10^9/L")
    units_registry()  # pint's, about 1 s, otherwise built by each worker on first use


def _pool(workers: int) -> Pool:
    # fork where there is one: workers inherit the compiled patterns instead of rebuilding
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return context.Pool(workers)


def load_parse(store: Store, nct_id: str, *, parse_if_missing: bool = True) -> StoredParse:
    """The stored parse of a study's current version.

    A study imported before this table existed (or whose parse is stale) is parsed
    on the spot and stored when ``parse_if_missing``; raises StudyNotFound if the
    study is not in the mirror.
    """
    nct = nct_id.upper()
    row = _row(store, nct)
    if row is None or (row[5] != current_parse_key() and parse_if_missing):
        if store.conn.execute("SELECT 1 FROM studies WHERE nct_id = ?", (nct,)).fetchone() is None:
            raise StudyNotFound(nct)
        if parse_if_missing:
            parse_pending(store, [nct])
            row = _row(store, nct)
    if row is None or row[4] is None:
        raise StudyNotFound(nct)
    data = orjson.loads(decompress(row[4]))
    parsed = ParsedCriteria.from_json(data)
    return StoredParse(nct, int(row[1]), int(row[2]), str(row[3]), parsed, row[5])


def _row(store: Store, nct: str) -> tuple[Any, ...] | None:
    found = store.conn.execute(
        "SELECT s.nct_id, s.current_version_id, c.parser_version, c.parsed_at, c.data,"
        " c.parse_key"
        " FROM studies s LEFT JOIN criteria_parses c ON c.version_id = s.current_version_id"
        " WHERE s.nct_id = ?",
        (nct,),
    ).fetchone()
    return None if found is None else tuple(found)


def parse_counts(store: Store) -> dict[str, int]:
    """How many current versions are parsed, stale, or not parsed yet."""
    row = store.conn.execute(
        "SELECT count(*), sum(CASE WHEN c.version_id IS NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.version_id IS NOT NULL"
        " AND (c.parse_key IS NULL OR c.parse_key <> ?) THEN 1 ELSE 0 END)"
        " FROM studies s LEFT JOIN criteria_parses c ON c.version_id = s.current_version_id",
        (current_parse_key(),),
    ).fetchone()
    total, missing, stale = (int(v or 0) for v in row)
    return {
        "studies": total,
        "unparsed": missing,
        "stale": stale,
        "current": total - missing - stale,
    }
