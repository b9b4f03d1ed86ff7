"""The store and search engine each thread of a long-running server uses.

The web app and the MCP server serve requests on a pool of threads. A SQLite connection
belongs to the thread that opened it, so each thread gets its own store, opened on first
use and closed at shutdown, or when a new one is opened after its thread ended (the
thread pool retires idle threads; a PostgreSQL server would otherwise keep their
connections). The CLI runs one command on one thread and opens its store directly.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from trialscope.config import Settings
from trialscope.search import SearchEngine
from trialscope.search.tantivy_index import top_index
from trialscope.store import Store, open_store

T = TypeVar("T")
log = logging.getLogger("trialscope.service")


def open_engine(store: Store) -> SearchEngine:
    """The search engine for ``store``: the one place that chooses it for a backend."""
    return SearchEngine(store)


class Backend:
    """The per-thread store (and what is built on it) of one database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[tuple[threading.Thread, Store]] = []

    def store(self) -> Store:
        """This thread's store, opened on first use."""
        found: Store | None = getattr(self._local, "store", None)
        if found is None:
            found = open_store(self.settings.db)
            self._local.store = found
            with self._lock:
                gone = [s for thread, s in self._opened if not thread.is_alive()]
                self._opened = [(t, s) for t, s in self._opened if t.is_alive()]
                self._opened.append((threading.current_thread(), found))
            for store in gone:
                # a connection of an ended thread: closing it may be refused, and it is
                # going anyway; nothing to tell anyone
                with contextlib.suppress(Exception):
                    store.close()
        return found

    def per_thread(self, name: str, build: Callable[[Store], T]) -> T:
        """An object built once per thread from this thread's store."""
        built: dict[str, object] | None = getattr(self._local, "built", None)
        if built is None:
            built = self._local.built = {}
        if name not in built:
            built[name] = build(self.store())
        return built[name]  # type: ignore[return-value]

    def engine(self) -> SearchEngine:
        """This thread's search engine (it keeps per-connection state: statements, totals)."""
        return self.per_thread("search", open_engine)

    def preload(self) -> None:
        """Bring the tantivy index up to date and read it into memory, on a thread of
        its own (a server at start: its first searches then read memory, not disk)."""

        def run() -> None:
            try:
                store = self.store()
                top = top_index(store)
                if top is not None:
                    top.preload(store)
            except Exception as exc:  # the first search will say what is wrong
                log.warning("The search index was not preloaded: %s", exc)

        threading.Thread(target=run, name="trialscope-preload", daemon=True).start()

    def close(self) -> None:
        """Close every store this backend opened (at server shutdown)."""
        with self._lock:
            opened, self._opened = self._opened, []
        for _thread, store in opened:
            # closing another thread's connection may be refused; it goes with the process
            with contextlib.suppress(Exception):
                store.close()
