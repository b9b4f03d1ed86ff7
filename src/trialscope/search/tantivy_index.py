"""The top-k index beside the store: a tantivy index that replays the store's change log.

**What it holds.** One document per indexed study, made from the engine document the
index writer logs (``search_log.doc``, :func:`trialscope.search.rows.engine_doc`): the
eleven full-text fields of the FTS5 table (English stemming, accents folded, searched
with the FTS5 engine's column weights as boosts), and the document filters as indexed
fast fields (status, study type, phases, intervention types, sex, age bounds, healthy
volunteers, results, start and update dates, site countries and site statuses), which
also serve the facets (terms aggregations) and the date orders.

**Catching up.** Each index batch of the store takes the next generation
(``search_state``) and logs, per study, that generation and its document. The index
keeps its own watermark (the generation it has replayed up to, in ``state.json``): a
search that finds the store's generation ahead replays the log rows above the watermark
(delete by NCT id, then add), commits, waits for merges and only then writes the new
watermark. A crash before the watermark is written replays the same rows again, which
deletes and re-adds them: nothing is lost or duplicated. Several indexes (one per host
on PostgreSQL) each replay what they missed, independently.

**One writer per folder.** The replay holds ``index.lock`` (an OS file lock, released if
its process dies); other processes wait for it, then only reload their searcher. Readers
reload by hand, only once a replay is complete, so a cursor's pages see one layout.

**Rebuilds.** An index of another store (``store_id``), of an older layout
(``LAYOUT``), or ahead of the store (a restored database) is rebuilt into a fresh
``build-*`` folder, and ``state.json`` switches to it when it is complete; a build cut
short (kill -9) is a folder no state names, removed by the next build.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import tantivy

from trialscope.config import SearchSettings, search_settings
from trialscope.errors import ConfigError
from trialscope.search.geo_cells import LOGGED_AS, site_cells
from trialscope.search.rows import TextRow, read_engine_doc
from trialscope.store import Store

#: the index's layout: a change here rebuilds every index from the change log
#: (2: site cells, trialscope.search.geo_cells)
LAYOUT = 2
TEXT_FIELDS = TextRow._fields
#: the analyzer of the text fields: as FTS5's porter unicode61 remove_diacritics
ANALYZER = "trialscope_en"
#: raw (untokenised) keyword fields: filters, facets
KEYWORDS = ("status", "study_type", "sex", "phase", "itype", "country", "site_status")
#: absent values stand in as these (as ``coalesce(x, '(none)')`` does in SQL)
NONE = "(none)"
#: the order keys of the date sorts: yyyymmdd * KEY_SPAN + the NCT number
KEY_SPAN = 100_000_000
WRITER_HEAP = 128_000_000
#: how long a search waits for another process's replay before using the index as it is
LOCK_WAIT_S = 120.0
_NCT_NUMBER = re.compile(r"^NCT(\d{8})$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def day_number(date: str | None, *, high: bool = False) -> int | None:
    """``2020-04-15`` → 20200415; a partial date keeps the SQL engine's text order:
    ``2020-04`` is 20200400, before its days (or 20200499 as an upper bound)."""
    if not date:
        return None
    found = _DATE.match(date)
    if found is None:
        return None
    fill = "99" if high else "00"
    year, month, day = found.group(1), found.group(2) or fill, found.group(3) or fill
    return int(year + month + day)


def order_key(date: str | None, nct_id: str) -> int:
    """A unique, stable order key: the day, then the NCT number (0 for no date: last)."""
    day = day_number(date) or 0
    found = _NCT_NUMBER.match(nct_id)
    return day * KEY_SPAN + (int(found.group(1)) if found else 0)


def schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("nct_id", stored=True, tokenizer_name="raw", fast=True)
    for field in TEXT_FIELDS:
        builder.add_text_field(field, tokenizer_name=ANALYZER)
    for field in KEYWORDS:
        builder.add_text_field(field, tokenizer_name="raw", fast=True, index_option="basic")
    # country filters ignore case, as the SQL engine's do
    builder.add_text_field("country_key", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("cell", tokenizer_name="raw", index_option="basic")
    for field in ("min_age", "max_age"):
        builder.add_float_field(field, indexed=True, fast=True)
    for field in ("healthy", "results", "started", "updated"):
        builder.add_integer_field(field, indexed=True, fast=True)
    return builder.build()


def _analyzer() -> Any:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def document(data: dict[str, Any], cells: list[str] | None = None) -> Any:
    """A tantivy document from a logged engine document and its sites' cells."""
    nct_id = str(data["nct_id"])
    fields: dict[str, Any] = {f: data[f] for f in TEXT_FIELDS if data.get(f)}
    phases = [v for v in (data.get("phases") or "").split("|") if v]
    itypes = [v for v in (data.get("intervention_types") or "").split("|") if v]
    countries = [str(c) for c in data.get("countries") or ()]
    healthy = data.get("healthy_volunteers")
    low, high = data.get("min_age_years"), data.get("max_age_years")
    fields.update(
        nct_id=nct_id,
        status=data.get("overall_status") or NONE,
        study_type=data.get("study_type") or NONE,
        sex=data.get("sex") or NONE,
        min_age=-1.0 if low is None else float(low),
        max_age=1e9 if high is None else float(high),
        healthy=-1 if healthy is None else int(healthy),
        results=int(data.get("has_results") or 0),
        started=order_key(data.get("start_date"), nct_id),
        updated=order_key(data.get("last_update"), nct_id),
    )
    for field, values in (
        ("phase", phases),
        ("itype", itypes),
        ("country", countries),
        ("country_key", [c.lower() for c in countries]),
        ("site_status", [str(s) for s in data.get("site_statuses") or ()]),
        ("cell", cells or []),
    ):
        if values:
            fields[field] = values
    return tantivy.Document(**fields)


@dataclass(frozen=True)
class State:
    """What ``state.json`` records: the build folder, its store and its watermark."""

    build: str
    store_id: str
    watermark: int
    layout: int = LAYOUT
    #: the total and facets of the search without criteria at this watermark, counted by
    #: the replay that wrote it (over every study, the costliest facets to compute)
    everything: dict[str, Any] | None = None


def store_position(store: Store) -> tuple[int, str]:
    """The store's index generation and identity. A PostgreSQL database made from another
    (CREATE DATABASE ... TEMPLATE) has its store id: its own oid tells them apart."""
    if store.dialect == "postgres":
        row = store.conn.execute(
            "SELECT s.generation, s.store_id || '-' || d.oid FROM search_state s"
            " JOIN pg_database d ON d.datname = current_database()"
        ).fetchone()
    else:
        row = store.conn.execute("SELECT generation, store_id FROM search_state").fetchone()
    return int(row[0]), str(row[1])


class TantivyIndex:
    """The tantivy index of one store in one folder, shared by a process's threads."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"Cannot make the search index folder {self.folder}: {exc.strerror}.",
                hint="Set TRIALSCOPE_INDEX_DIR to a folder this user can write.",
            ) from None
        self._lock = threading.Lock()
        self._index: Any = None
        self._build = ""
        #: the store position this process's searcher is known to be up to date with
        self._seen: tuple[int, str] | None = None
        self.watermark = 0
        #: how often this process (re)opened its reader: cached answers name it, so a
        #: replay that rewrote the index at the same watermark is never hidden by them
        self._reloads = 0
        #: State.everything of the state this process's searcher shows
        self.everything: dict[str, Any] | None = None
        #: the searched segments' files this process keeps mapped (:meth:`preload`)
        self._maps: dict[str, tuple[int, mmap.mmap]] = {}
        self._preloading = False

    # -- reading ----------------------------------------------------------------------

    def searcher(self, store: Store) -> tuple[Any, Any, str]:
        """The tantivy index, a searcher up to date with the store (its change log
        replayed first) and what it shows (build, watermark, reload), taken together."""
        self.catch_up(store)
        with self._lock:
            index = self._index
            return index, index.searcher(), f"{self._build}:{self.watermark}:{self._reloads}"

    def catch_up(self, store: Store) -> int:
        """Bring the index (and this process's searcher) up to the store's generation;
        returns the generation the searcher shows."""
        position = store_position(store)
        if position == self._seen and self._index is not None:
            return self.watermark
        with self._lock:
            state = self._read_state()
            if not _fresh(state, position):
                with self._file_lock() as locked:
                    if locked:
                        state = self._replay(store, self._read_state())
                    # else: another process holds it for long (a rebuild): use what is there
            if state is None:
                raise ConfigError(f"The search index at {self.folder} could not be built.")
            self._open(state)
            self._seen = position
            self.watermark = state.watermark
            self.everything = state.everything
        return self.watermark

    def _open(self, state: State) -> None:
        self._reloads += 1
        if self._index is None or state.build != self._build:
            self._index = self._tantivy(self.folder / state.build, create=False)
            self._index.config_reader("Manual")
            self._build = state.build
        else:
            self._index.reload()
        if self._preloading:
            self._map_segments()

    # -- keeping the index in memory ----------------------------------------------------

    def preload(self, store: Store) -> int:
        """Read the index into memory and keep it there while this process lives (a
        server calls it once at start): the first searches read memory, not disk, and
        the OS keeps mapped pages where it may drop an idle file's cached ones (a VM's
        reclaimer does within a minute). Later replays' segments are mapped as they
        come. Returns the bytes mapped."""
        self.catch_up(store)
        with self._lock:
            self._preloading = True
            return self._map_segments()

    def _map_segments(self) -> int:
        """Map every file of the searched segments (read in now: MAP_POPULATE), and
        release the maps of segments a replay merged away."""
        folder = self.folder / self._build
        try:
            live = orjson.loads((folder / "meta.json").read_bytes())["segments"]
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        prefixes = tuple(str(s["segment_id"]).replace("-", "") + "." for s in live)
        kept: dict[str, tuple[int, mmap.mmap]] = {}
        for path in folder.iterdir():
            if not path.name.startswith(prefixes):
                continue
            with contextlib.suppress(OSError, ValueError):  # gone, or empty
                inode = path.stat().st_ino
                known = self._maps.get(path.name)
                if known is not None and known[0] == inode:
                    kept[path.name] = known
                    continue
                with open(path, "rb") as handle:
                    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
                    mapped = mmap.mmap(handle.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
                kept[path.name] = (inode, mapped)
        for name, (_, mapped) in self._maps.items():
            if kept.get(name, (0, None))[1] is not mapped:
                mapped.close()
        self._maps = kept
        return sum(len(m) for _, m in kept.values())

    @staticmethod
    def _tantivy(path: Path, create: bool) -> Any:
        if create:
            path.mkdir(parents=True)
        index = tantivy.Index(schema(), path=str(path), reuse=not create)
        index.register_tokenizer(ANALYZER, _analyzer())
        return index

    # -- the state file and the lock ----------------------------------------------------

    def _read_state(self) -> State | None:
        try:
            data = orjson.loads((self.folder / "state.json").read_bytes())
            state = State(**data)
        except (OSError, ValueError, TypeError):
            return None
        return state if (self.folder / state.build).is_dir() else None

    def _write_state(self, state: State) -> None:
        """Atomically: a crash leaves the old state or the new one."""
        temporary = self.folder / f"state.json.{os.getpid()}"
        with open(temporary, "wb") as out:
            out.write(orjson.dumps(state.__dict__))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.folder / "state.json")

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[bool]:
        """The folder's writer lock; False if another process kept it past LOCK_WAIT_S."""
        with open(self.folder / "index.lock", "a+b") as handle:
            deadline = time.monotonic() + LOCK_WAIT_S
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        yield False
                        return
                    time.sleep(0.05)
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- writing (under the file lock) ------------------------------------------------------

    def _replay(self, store: Store, state: State | None) -> State:
        """Replay the change log above the watermark (everything, into a new build, when
        the index is missing, of another store or layout, or ahead of the store)."""
        generation, store_id = store_position(store)
        if state is not None and _fresh(state, (generation, store_id)):
            return state  # another process caught up while this one waited
        rebuild = (
            state is None
            or state.store_id != store_id
            or state.layout != LAYOUT
            or state.watermark > generation
        )
        if rebuild or state is None:
            build = f"build-{uuid.uuid4().hex[:12]}"
            self._remove_builds(keep=state.build if state is not None else None)
            index = self._tantivy(self.folder / build, create=True)
            since = 0
        else:
            build, since = state.build, state.watermark
            index = self._tantivy(self.folder / build, create=False)
        writer = index.writer(WRITER_HEAP, 1)
        try:
            generation = self._apply(store, writer, since, deletes=not rebuild)
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.rollback()
            raise
        done = State(build, store_id, generation, everything=_everything(index))
        self._write_state(done)
        if rebuild and state is not None:
            self._remove_builds(keep=build)
        return done

    def _apply(self, store: Store, writer: Any, since: int, *, deletes: bool) -> int:
        """Log rows above ``since``, read in one snapshot with the generation they reach."""
        db = store.conn
        whole = contextlib.nullcontext() if since > 0 else _read_once(store)
        with whole, read_snapshot(store):
            generation = int(db.execute("SELECT generation FROM search_state").fetchone()[0])
            for rows in _log_pages(db, since):
                made: dict[str, list[str]] | None = None
                for nct_id, blob in rows:
                    if deletes:
                        writer.delete_documents_by_term("nct_id", nct_id)
                    if blob is None:
                        continue
                    data = read_engine_doc(blob)
                    cells: Any = data.get(LOGGED_AS)
                    if cells is None:  # logged before its cells were: made from its sites
                        if made is None:
                            made = _site_cells(db, [r[0] for r in rows if r[1] is not None])
                        cells = made.get(nct_id)
                    writer.add_document(document(data, cells))
            return generation

    def _remove_builds(self, keep: str | None) -> None:
        for path in self.folder.glob("build-*"):
            if path.name != keep:
                shutil.rmtree(path, ignore_errors=True)

    def rebuild(self, store: Store) -> State:
        """Build the index afresh from the change log (``trialscope index --rebuild``)."""
        with self._lock, self._file_lock() as locked:
            if not locked:
                raise ConfigError(
                    f"Another process is writing the search index at {self.folder}.",
                    hint="Wait for it to finish, then try again.",
                )
            state = self._read_state()
            stale = State(state.build, "", 0) if state is not None else None
            done = self._replay(store, stale)
            self._seen = None
            return done


def _everything(index: Any) -> dict[str, Any]:
    """The total and facets of every study in the index just committed."""
    from trialscope.search import tantivy_search  # it builds on this module

    index.reload()
    searcher = index.searcher()
    every = tantivy.Query.all_query()
    return {"total": searcher.num_docs, "facets": tantivy_search.facets(searcher, every)}


#: log rows read per page
LOG_PAGE = 2000


def _log_pages(db: Any, since: int) -> Iterator[list[tuple[str, bytes | None]]]:
    """The log rows above ``since`` in pages. A catch-up finds its studies through the
    ``seq`` index, then reads their documents: keyset pages by NCT id filtered on
    ``seq`` walked the whole log (SQLite chose the primary key for the order), 9.9 s for
    2,000 studies at 500k. A rebuild (``since`` 0) reads everything in keyset pages (a
    client-side cursor would hold every row in memory)."""
    if since > 0:
        changed = sorted(str(r[0]) for r in db.execute(
            "SELECT nct_id FROM search_log WHERE seq > ?", (since,)
        ))  # fmt: skip
        for at in range(0, len(changed), LOG_PAGE):
            part = changed[at : at + LOG_PAGE]
            marks = ",".join("?" * len(part))
            yield db.execute(
                f"SELECT nct_id, doc FROM search_log WHERE nct_id IN ({marks}) ORDER BY nct_id",
                part,
            ).fetchall()
        return
    last = ""
    while True:
        rows = db.execute(
            "SELECT nct_id, doc FROM search_log WHERE nct_id > ? ORDER BY nct_id LIMIT ?",
            (last, LOG_PAGE),
        ).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _site_cells(db: Any, nct_ids: list[str]) -> dict[str, list[str]]:
    """The cells of the studies' sites with a point, from the store's site table (read in
    the same snapshot as their log rows, so the two agree): for documents logged before
    the index writer logged their cells (``geo_cells.LOGGED_AS``)."""
    if not nct_ids:
        return {}
    points: dict[str, list[tuple[float, float, str | None]]] = {}
    marks = ",".join("?" * len(nct_ids))
    for nct_id, lat, lon, status in db.execute(
        f"SELECT nct_id, lat, lon, status FROM search_sites WHERE nct_id IN ({marks})"
        " AND lat IS NOT NULL AND lon IS NOT NULL",
        nct_ids,
    ):
        points.setdefault(str(nct_id), []).append((float(lat), float(lon), status))
    return {nct_id: site_cells(found) for nct_id, found in points.items()}


def _fresh(state: State | None, position: tuple[int, str]) -> bool:
    generation, store_id = position
    return (
        state is not None
        and state.layout == LAYOUT
        and state.store_id == store_id
        and state.watermark >= generation
    )


@contextlib.contextmanager
def read_snapshot(store: Store) -> Iterator[None]:
    """One consistent read of the log and its generation, on either backend."""
    if store.dialect == "postgres":
        with store.conn.transaction():  # type: ignore[attr-defined]
            store.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    store.conn.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        store.conn.execute("COMMIT")


#: SQLite's page cache (KiB) while a rebuild reads the whole log
READ_ONCE_CACHE_KIB = 2048


@contextlib.contextmanager
def _read_once(store: Store) -> Iterator[None]:
    """A small SQLite page cache while the whole log is read. Each of its pages is read
    once, so the store's 64 MiB cache only kept pages no one reads again, and the
    replay's own allocations (documents on their way to the writer) fragmented around
    them: the cache's pages made about 100 MB of the replay's 280 MB at 20k studies
    (docs/benchmarks.md, issue 13)."""
    if store.dialect != "sqlite":
        yield
        return
    before = int(store.conn.execute("PRAGMA cache_size").fetchone()[0])
    store.conn.execute(f"PRAGMA cache_size=-{READ_ONCE_CACHE_KIB}")
    try:
        yield
    finally:
        store.conn.execute(f"PRAGMA cache_size={before}")


_OPEN: dict[str, TantivyIndex] = {}
_OPEN_LOCK = threading.Lock()


def index_for(folder: str | Path) -> TantivyIndex:
    """The process's one TantivyIndex of ``folder`` (its threads share a reader)."""
    key = str(Path(folder).resolve())
    with _OPEN_LOCK:
        found = _OPEN.get(key)
        if found is None:
            found = _OPEN[key] = TantivyIndex(key)
        return found


def top_index(store: Store, settings: SearchSettings | None = None) -> TantivyIndex | None:
    """The store's tantivy index as configured (None: the sql engine answers)."""
    chosen = settings or search_settings(store.location)
    if chosen.engine != "tantivy" or chosen.index_dir is None:
        return None
    folder = Path(chosen.index_dir)
    if chosen.per_store:
        folder = folder / store_position(store)[1]
    return index_for(folder)
