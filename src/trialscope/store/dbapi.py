"""The little of a DB-API connection the store and search code use, on both backends.

SQL is written once with ``?`` placeholders; sqlite3 takes it as is, and the
PostgreSQL adapter (trialscope.store.postgres) rewrites it for psycopg.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol


class Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...
