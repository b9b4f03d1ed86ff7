"""What a backend must provide for search, and the choice of one, made once per engine.

**Where SQL lives.** SQL that both backends run as written lives in the backend-neutral
modules: the filters, paging and nearest sites in :mod:`~trialscope.search.engine`, the
page statement and facet tests in :mod:`~trialscope.search.plan`, the deletes and the
side tables in :mod:`~trialscope.search.index`. SQL that only one backend understands
(full text and its ranking, distance, temporary tables or CTEs, snapshots, how a batch of
queued studies is claimed, how documents get rowids and text) lives in that backend's
dialect, :mod:`~trialscope.search.sqlite_dialect` or :mod:`~trialscope.search.pg_dialect`,
behind this protocol. Nothing outside ``trialscope.search`` writes search SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from trialscope.search.plan import Plan, TextMatch
from trialscope.search.rows import IndexRows
from trialscope.search.types import GeoFilter, SearchQuery
from trialscope.store import Store
from trialscope.store.dbapi import Connection

Facets = dict[str, dict[str, int]]


class SearchDialect(Protocol):
    """The backend-specific SQL of the search engine and the index writer."""

    name: str

    # -- searching ------------------------------------------------------------------

    def prepare(self, db: Any) -> None:
        """Once per connection, before the first search."""

    def snapshot(self, db: Any) -> AbstractContextManager[Any]:
        """One consistent read of the index for a whole search."""

    def stamp(self, db: Any) -> object:
        """A value that changes whenever any process changes the index."""

    def run(self, db: Any, statement: tuple[str, list[Any]]) -> Any:
        """Execute a search statement; a query the backend refuses is a UsageError."""

    def text_match(self, texts: list[tuple[str, str]]) -> TextMatch | None:
        """The full-text part for (SearchQuery text field, user text) pairs, if any."""

    def same_text(self, column: str) -> str:
        """Case-insensitive equality of ``column`` with one parameter."""

    def near(
        self, db: Any, geo: GeoFilter, where: list[str], params: list[Any]
    ) -> tuple[str, list[Any], str]:
        """Studies with a site (``search_sites s`` under ``where``) within the radius and
        their nearest km: a WITH clause, its parameters, and the relation to join."""

    def first_page(
        self, db: Any, plan: Plan, query: SearchQuery, limit: int, offset: int
    ) -> tuple[list[Any], int, Facets]:
        """The page rows (nct_id, score, card), the total and the facets of a search."""

    # -- writing the index ----------------------------------------------------------

    def claim(
        self, store: Store, size: int
    ) -> AbstractContextManager[tuple[Connection, list[str]]]:
        """A write transaction holding up to ``size`` queued studies for this process;
        they leave the queue when it commits."""

    def delete_text(self, db: Connection, old_rowids: str, nct_ids: list[str]) -> None:
        """Remove the full text of the documents the ``old_rowids`` query selects."""

    def new_rowids(self, db: Connection, count: int) -> Sequence[int]:
        """Rowids for ``count`` new documents."""

    def insert_docs(self, db: Connection, rowids: Sequence[int], rows: list[IndexRows]) -> None:
        """Insert the documents and their full text."""

    def first_build(self, store: Store) -> AbstractContextManager[bool]:
        """While an empty index is filled: its tables' secondary indexes set aside, made
        again at the end (yields whether they were)."""


def dialect_for(store: Store) -> SearchDialect:
    """The dialect of the store's backend (a fresh one: it may keep per-engine state)."""
    if store.dialect == "postgres":
        from trialscope.search.pg_dialect import PostgresDialect

        return PostgresDialect()
    from trialscope.search.sqlite_dialect import SqliteDialect

    return SqliteDialect()
