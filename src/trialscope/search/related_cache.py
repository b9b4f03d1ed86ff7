"""The related-trials corpus kept in a file beside the store and patched with what changed.

Why: a refresh scores lists against every study's features. Reading them all from the
store (8.5M rows at 500k: 12.9 s) cost a sync of 2,000 changed studies more than the
lists it then computed. The file holds the corpus's :class:`Tables` (ids, dates,
feature keys and each trial's feature numbers, as arrays) and the store positions they
were read at; the next load re-reads only the studies that changed since and patches
the tables with them.

**Same lists as a full load.** Tables are canonical (:func:`canonical`: sorted ids and
keys, nothing unused): the tables of a patched file equal those read afresh from the
store, so the scores, whose statistics (IDF, title norms) span every trial, and the
lists are the same (``tests/test_related_cache.py`` checks both on the shared corpus).

**What changed.** The features stage stamps each study whose features it changed with
the next related generation (``related_log``); the index logs each study it writes,
whose last-update date may have moved, with its generation (``search_log``). The file
records both generations; a load reads, in one snapshot, the studies logged above them,
their features and dates, and the generations reached.

**Crash-safe.** The file is written whole to a temporary name and renamed over the old
one, after the store's transactions it reflects committed: a kill leaves the old file
(whose generations say what to re-read) or the new one. A file that cannot be read, of
another store (``store_id``) or format, or ahead of the store (a restored database) is
ignored: the corpus is loaded in full and the file written again.

**Where.** ``<db>.related`` beside an SQLite file; ``TRIALSCOPE_INDEX_DIR/<store
id>/related.corpus`` when that is set (any backend, as the tantivy index); none for a
PostgreSQL store without it (every refresh loads in full).
"""

from __future__ import annotations

import contextlib
import logging
import os
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from trialscope.config import env
from trialscope.search.related_scoring import Tables, canonical, tables_from_rows
from trialscope.search.tantivy_index import read_snapshot, store_position
from trialscope.store import Store
from trialscope.store.dbapi import Connection

log = logging.getLogger("trialscope.related")

MAGIC = b"trialscope related corpus\n"
#: the file's layout; another is ignored (and rewritten)
FORMAT = 1
#: studies read per query when patching
CHUNK = 500


def cache_path(store: Store) -> Path | None:
    """Where the store's corpus file lives (None: nowhere, every load is a full one)."""
    folder = env("INDEX_DIR")
    if folder:
        return Path(folder).expanduser() / store_position(store)[1] / "related.corpus"
    text = str(store.location).removeprefix("sqlite:///")
    if "://" not in text and text != ":memory:":
        return Path(text + ".related")
    return None


def load_tables(store: Store, path: Path | None = None, kept: Stored | None = None) -> Tables:
    """The corpus's tables as the store holds them now: the file patched with what
    changed since it was written, or a full load; the file is (re)written either way.
    ``path`` overrides :func:`cache_path`; ``kept``: the features this refresh stored,
    used instead of the store's when they are all it holds (:class:`Stored`)."""
    path = path if path is not None else cache_path(store)
    _, store_id = store_position(store)
    with read_snapshot(store):
        related_at, index_at = _generations(store.conn)
        fresh = kept is not None and kept.usable(related_at)
        cached = _read(path) if path is not None and not fresh else None
        if cached is not None and not _usable(cached, store_id, related_at, index_at):
            cached = None
        if fresh:
            assert kept is not None
            tables = kept.tables(_updated(store.conn.execute(_DATES)))
        elif cached is None:
            tables = _full(store.conn)
        else:
            header, tables = cached
            if (related_at, index_at) == (header["related"], header["index"]):
                return tables
            changed = _changed(store.conn, int(header["related"]), int(header["index"]))
            if changed:
                tables = _patched(store.conn, tables, changed)
    if path is not None:
        _write(path, tables, {"store_id": store_id, "related": related_at, "index": index_at})
    return tables


def _generations(db: Connection) -> tuple[int, int]:
    related = db.execute("SELECT generation FROM related_state").fetchone()[0]
    index = db.execute("SELECT generation FROM search_state").fetchone()[0]
    return int(related), int(index)


def _usable(cached: tuple[dict[str, Any], Tables], store_id: str, related: int, index: int) -> bool:
    header = cached[0]
    return (
        header.get("store_id") == store_id
        and int(header.get("related", -1)) <= related
        and int(header.get("index", -1)) <= index
    )


_DATES = "SELECT nct_id, last_update FROM search_docs"


def _full(db: Connection) -> Tables:
    updated = _updated(db.execute(_DATES))
    rows = db.execute("SELECT nct_id, kind, feature FROM related_features")
    return tables_from_rows(rows, lambda n: updated.get(n, ""))


def _updated(rows: Iterable[Any]) -> dict[str, str]:
    return {str(n): str(u or "") for n, u in rows}


def _changed(db: Connection, related: int, index: int) -> list[str]:
    """Studies whose features (related_log) or index row (search_log) changed since."""
    found: set[str] = set()
    for table, since in (("related_log", related), ("search_log", index)):
        query = f"SELECT nct_id FROM {table} WHERE seq > ?"
        found |= {str(r[0]) for r in db.execute(query, (since,))}
    return sorted(found)


def _patched(db: Connection, old: Tables, changed: list[str]) -> Tables:
    """``old`` with the changed studies' rows and dates replaced by the store's."""
    rows: list[tuple[str, str, str]] = []
    updated: dict[str, str] = {}
    for at in range(0, len(changed), CHUNK):
        part = changed[at : at + CHUNK]
        marks = ",".join("?" * len(part))
        rows += db.execute(
            f"SELECT nct_id, kind, feature FROM related_features WHERE nct_id IN ({marks})", part
        ).fetchall()
        query = f"SELECT nct_id, last_update FROM search_docs WHERE nct_id IN ({marks})"
        updated |= _updated(db.execute(query, part))
    # the changed studies' old rows go (a study's rows are one slice of forward)
    keep = np.ones(len(old.ids), dtype=bool)
    for nct in changed:
        at = bisect_left(old.ids, nct)
        if at < len(old.ids) and old.ids[at] == nct:
            keep[at] = False
    lengths = np.diff(old.starts)
    kept = np.repeat(keep, lengths)
    old_docs = np.repeat(np.arange(len(old.ids), dtype=np.int64), lengths)[kept]
    old_features = old.forward[kept].astype(np.int64)
    # their current rows (and dates) come after, as new ids; an old id left without rows
    # is dropped by canonical(), as is a key no row uses any more
    ids, keys = list(old.ids), list(old.keys)
    dates = list(old.updated)
    doc: dict[str, int] = {}
    added: dict[str, int] = {}
    docs, features = [], []
    for nct, kind, value in rows:
        nct = str(nct)
        d = doc.get(nct)
        if d is None:
            d = doc[nct] = len(ids)
            ids.append(nct)
            dates.append(updated.get(nct, ""))
        key = str(kind) + str(value)
        f = _key_number(old.keys, key)
        if f is None:
            f = added.get(key)
            if f is None:
                f = added[key] = len(keys)
                keys.append(key)
        docs.append(d)
        features.append(f)
    return canonical(
        ids,
        dates,
        keys,
        np.concatenate((old_docs, np.asarray(docs, dtype=np.int64))),
        np.concatenate((old_features, np.asarray(features, dtype=np.int64))),
    )


def _key_number(keys: list[str], key: str) -> int | None:
    at = bisect_left(keys, key)
    return at if at < len(keys) and keys[at] == key else None


# ---- the file ------------------------------------------------------------------------------


def _write(path: Path, tables: Tables, header: dict[str, Any]) -> None:
    """Atomically (a temporary file renamed over the old one); a file that cannot be
    written only costs the next load a full read."""
    texts = {name: "\n".join(getattr(tables, name)).encode() for name in ("ids", "updated", "keys")}
    for name, blob in texts.items():
        if blob.count(b"\n") + 1 != max(1, len(getattr(tables, name))):
            log.warning("related corpus not cached: a %s value holds a line break", name)
            return
    arrays = {
        "starts": tables.starts.astype("<i8").tobytes(),
        "forward": tables.forward.astype("<i4").tobytes(),
    }
    parts = {**arrays, **texts}
    sizes = {name: len(blob) for name, blob in parts.items()}
    counts = [len(tables.ids), len(tables.keys)]
    head = orjson.dumps({**header, "format": FORMAT, "counts": counts, "sizes": sizes})
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_orphans(path)
        with open(temporary, "wb") as out:
            out.write(MAGIC + head + b"\n")
            for blob in parts.values():
                out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("related corpus not cached at %s: %s", path, exc.strerror)
        with contextlib.suppress(OSError):
            temporary.unlink()


def _remove_orphans(path: Path) -> None:
    """Temporary files of writers that died (kill -9) before renaming theirs."""
    for found in path.parent.glob(f"{path.name}.*.tmp"):
        pid = found.name.removeprefix(f"{path.name}.").removesuffix(".tmp")
        if not pid.isdigit() or not _alive(int(pid)):
            with contextlib.suppress(OSError):
                found.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> tuple[dict[str, Any], Tables] | None:
    """The file's header and tables (None: missing, of another format, or damaged)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(MAGIC):
            return None
        end = data.index(b"\n", len(MAGIC))
        header = orjson.loads(data[len(MAGIC) : end])
        if header.get("format") != FORMAT:
            return None
        sizes = header["sizes"]
        at, blobs = end + 1, {}
        for name in ("starts", "forward", "ids", "updated", "keys"):
            blobs[name] = data[at : at + int(sizes[name])]
            at += int(sizes[name])
        if at != len(data):
            return None
        count, key_count = (int(n) for n in header["counts"])
        texts = {
            name: blobs[name].decode().split("\n") if count_of else []
            for name, count_of in (("ids", count), ("updated", count), ("keys", key_count))
        }
        tables = Tables(
            ids=texts["ids"],
            updated=texts["updated"],
            keys=texts["keys"],
            starts=np.frombuffer(blobs["starts"], dtype="<i8").astype(np.int64),
            forward=np.frombuffer(blobs["forward"], dtype="<i4").astype(np.int32),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    consistent = (
        len(tables.ids) == len(tables.updated) == count
        and len(tables.keys) == key_count
        and len(tables.starts) == count + 1
        and (count == 0 or int(tables.starts[-1]) == len(tables.forward))
    )
    return (header, tables) if consistent else None


# ---- the features a first build stored, kept for its corpus -------------------------------


class Stored:
    """The features one refresh's features stage stored, kept as the corpus's rows (each
    study's feature numbers in one flat array, 4 bytes a row), so the corpus after it
    needs no read-back of them: at 500k the stage wrote 8.5M feature rows and then read
    every one back (43-57 s, the parent's largest allocation of the stage).

    Only begun on a store holding no features (:meth:`begin`: a first import), and used
    only when the related generation then moved by exactly this stage's own changes
    (:meth:`usable`): every feature row in the store is then one this stage wrote, and
    no one else changed any (a changed or removed study's features bump the generation
    in the transaction that writes them), so the tables equal a full read's. A study
    stored twice (an index run beside requeued it) gives up: rows are not replaced."""

    def __init__(self, generation: int) -> None:
        #: the related generation the stage started from, and the bumps it made itself
        self.start, self.bumps = generation, 0
        self.given_up = False
        #: the corpus was made from these (for the stage's timings)
        self.used = False
        self._doc: dict[str, int] = {}
        self._key: dict[str, int] = {}
        #: each study's number of rows (its rows are the next ones in ``_features``)
        self._lengths, self._features = array("i"), array("i")

    @classmethod
    def begin(cls, db: Connection) -> Stored | None:
        """A collector when the store holds no features yet, else None. The generation
        is read first: features written after it bump it past what this stage counts."""
        generation = int(db.execute("SELECT generation FROM related_state").fetchone()[0])
        if db.execute("SELECT 1 FROM related_features LIMIT 1").fetchone() is not None:
            return None
        return cls(generation)

    def add(self, found: dict[str, dict[str, frozenset[str]]], bumped: bool) -> None:
        """A committed batch's features (as stored: each kind's values, kind letter +
        value a key) and whether its transaction bumped the generation."""
        self.bumps += bumped
        if self.given_up:
            return
        doc, key_of = self._doc, self._key
        for nct, kinds in found.items():
            values = [kind + value for kind, vs in kinds.items() for value in vs]
            if not values:
                continue  # no rows, as in the store
            if nct in doc:
                self.given_up = True
                return
            doc[nct] = len(doc)
            # a new key gets the next number (len before it is added); one call a row
            self._features.extend([key_of.setdefault(k, len(key_of)) for k in values])
            self._lengths.append(len(values))

    def usable(self, generation: int) -> bool:
        return not self.given_up and generation == self.start + self.bumps

    def tables(self, updated: dict[str, str]) -> Tables:
        """The canonical tables of the rows kept (dates from ``updated``); frees them."""
        ids = list(self._doc)
        lengths = np.frombuffer(self._lengths, dtype=np.int32)
        docs = np.repeat(np.arange(len(ids), dtype=np.int64), lengths)
        features = np.frombuffer(self._features, dtype=np.int32).astype(np.int64)
        keys = list(self._key)
        self._doc, self._key = {}, {}
        self._lengths, self._features = array("i"), array("i")
        self.used = True
        return canonical(ids, [updated.get(n, "") for n in ids], keys, docs, features)
