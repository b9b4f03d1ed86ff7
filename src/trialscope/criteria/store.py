"""Parses kept beside record versions (table ``criteria_parses``, migration 0004).

:func:`parse_pending` parses every current version that has no parse, or a stale one
(its parse key, :func:`~trialscope.criteria.parser.parse_key`: the parser version and a
hash of its data files, is not the running parser's); the importer and the sync runner
call it when they finish, so only what a run made current is parsed. :func:`load_parse`
reads one back for the CLI, the web app and the matcher.
"""

from __future__ import annotations

import hashlib
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
#: one parse as stored: items, constraints, compressed JSON
Result = tuple[int, int, bytes]
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
    store: Store, nct_ids: Sequence[str] | None, everything: bool, marked: bool = False
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
        "SELECT s.nct_id, s.current_version_id FROM "
        + ("derive_dirty d JOIN studies s ON s.nct_id = d.nct_id" if marked else "studies s")
        + " LEFT JOIN criteria_parses c ON c.version_id = s.current_version_id"
        f" WHERE {' AND '.join(where)} ORDER BY s.nct_id",
        params,
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def _parse_one(text: str | None) -> Result:
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
    marked: bool = False,
) -> int:
    """Parse the current versions without an up-to-date parse; returns how many.

    ``nct_ids`` limits the work to those studies; ``marked`` to the studies marked in
    ``derive_dirty`` (what runs made current since, ``trialscope.derived``), instead of
    looking at every study; ``everything`` reparses even
    up-to-date ones (``trialscope reparse --all``). ``workers`` > 1 parses in that many
    processes when there is enough to do, the next batch parsing while this one is
    written. Identical texts are parsed once in a run (versions of one study that did
    not touch the criteria, copies, registries' boilerplate): a text parsed earlier in
    the run is found by its digest and its stored parse copied.
    """
    ids = None if nct_ids is None else list(nct_ids)
    todo = _pending(store, ids, everything, marked)
    if todo and workers > 1 and len(todo) >= POOL_MIN:
        warm_up()  # before the fork: the workers inherit the loaded tables
        pool = _pool(workers)
    else:
        pool = None
    run = _Run(store, pool, everything)
    done = 0
    try:
        chunks = (todo[at : at + BATCH] for at in range(0, len(todo), BATCH))
        waiting = None
        for chunk in chunks:
            batch = run.start(chunk)
            if waiting is not None:
                done += run.finish(waiting)
                if on_progress is not None:
                    on_progress(done, len(todo))
            waiting = batch
        if waiting is not None:
            done += run.finish(waiting)
            if on_progress is not None:
                on_progress(done, len(todo))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return done


@dataclass
class _Batch:
    chunk: Sequence[tuple[str, int]]
    texts: list[str]
    digests: list[bytes]
    #: texts this batch sent to be parsed, and their results when they come
    fresh: list[str]
    parsing: Any
    #: results known when the batch started (earlier versions of its studies)
    known: dict[bytes, Result]


class _Run:
    """One :func:`parse_pending` call: which texts it has parsed and where each parse is.

    Only digests and version ids are kept for the whole run (about 100 bytes a text),
    never the parses: a text met again is copied from its stored row.
    """

    def __init__(self, store: Store, pool: Pool | None, everything: bool) -> None:
        self.store, self.pool, self.everything = store, pool, everything
        self.key = current_parse_key()
        #: digest -> a version whose parse of that text is written (committed)
        self.written: dict[bytes, int] = {}
        #: digests sent to the pool by a batch not finished yet
        self.in_flight: set[bytes] = set()

    def start(self, chunk: Sequence[tuple[str, int]]) -> _Batch:
        """Read a batch's texts and send those never seen in this run to be parsed."""
        texts = [criteria_text(self.store.version_json(v)) or "" for _, v in chunk]
        digests = [_digest(t) for t in texts]
        known: dict[bytes, Result] = {}
        if not self.everything:
            known = {_digest(t): r for t, r in _earlier_parses(self.store, chunk, self.key).items()}
        fresh: dict[bytes, str] = {}
        for text, digest in zip(texts, digests, strict=True):
            if digest in known or digest in self.written or digest in self.in_flight:
                continue
            fresh.setdefault(digest, text)
        self.in_flight.update(fresh)
        todo = list(fresh.values())
        if self.pool is not None:
            parsing: Any = self.pool.map_async(_parse_one, todo, chunksize=16)
        else:
            parsing = [_parse_one(t) for t in todo]
        return _Batch(chunk, texts, digests, todo, parsing, known)

    def finish(self, batch: _Batch) -> int:
        """Wait for a batch's parses and write every version's row (one transaction)."""
        results = batch.parsing.get() if self.pool is not None else batch.parsing
        found = dict(batch.known)
        found.update(zip((_digest(t) for t in batch.fresh), results, strict=True))
        copied = {d: self.written[d] for d in batch.digests if d not in found}
        if copied:
            found.update(self._read(copied))
        for text, digest in zip(batch.texts, batch.digests, strict=True):
            if digest not in found:  # its row was rewritten meanwhile (another parser)
                found[digest] = _parse_one(text)
        # in version order: concurrent parsers (PostgreSQL) lock rows in one order
        rows = sorted(
            (version_id, nct_id, PARSER_VERSION, self.key, utc_now(), *found[digest])
            for (nct_id, version_id), digest in zip(batch.chunk, batch.digests, strict=True)
        )
        with self.store.transaction() as db:
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
        for (_, version_id), digest in zip(batch.chunk, batch.digests, strict=True):
            self.written.setdefault(digest, version_id)
        self.in_flight.difference_update(_digest(t) for t in batch.fresh)
        return len(rows)

    def _read(self, versions: dict[bytes, int]) -> dict[bytes, Result]:
        """Parses this run already wrote, by digest."""
        by_version = {v: d for d, v in versions.items()}
        marks = ",".join("?" * len(by_version))
        found: dict[bytes, Result] = {}
        for version_id, items, constraints, data in self.store.conn.execute(
            "SELECT version_id, items, constraints, data FROM criteria_parses"
            f" WHERE version_id IN ({marks}) AND parse_key = ?",
            [*by_version, self.key],
        ):
            found[by_version[int(version_id)]] = (int(items), int(constraints), bytes(data))
        return found


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _earlier_parses(store: Store, chunk: Sequence[tuple[str, int]], key: str) -> dict[str, Result]:
    """Up-to-date parses of other versions of these studies, by their criteria text: a
    new version that left the criteria as they were (most changes a sync brings: status,
    dates, sites) takes its parse from the one before instead of parsing again."""
    marks = ",".join("?" * len(chunk))
    rows = store.conn.execute(
        "SELECT version_id, items, constraints, data FROM criteria_parses"
        f" WHERE nct_id IN ({marks}) AND parse_key = ?",
        [nct for nct, _ in chunk] + [key],
    ).fetchall()
    found: dict[str, Result] = {}
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
