"""Forked worker pools for the import's derived stages (search index rows, match views).

The parent alone reads and writes the store, one transaction per batch as without a
pool; the workers get bytes, return bytes or plain rows, and inherit what the parent
loaded before the fork (vocabulary, matcher tables, the gazetteer's tables), so what
they compute is what the parent would. A worker exits when its parent dies (kill -9),
instead of waiting on the task pipe forever.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator, Sequence
from multiprocessing.pool import Pool
from typing import TypeVar

from trialscope.pipeline import _worker_start

T = TypeVar("T")


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def fork_pool(workers: int) -> Iterator[Pool | None]:
    """``workers`` forked processes (None when fewer than 2, or where there is no fork:
    the workers need what this process has loaded)."""
    if workers < 2 or not can_fork():
        yield None
        return
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_start)
    try:
        yield pool
    finally:
        pool.terminate()  # results still on their way are not wanted (read-ahead)
        pool.join()


def parts(values: Sequence[T], size: int) -> list[list[T]]:
    """``values`` in tasks of ``size``: small enough that every worker gets a share."""
    return [list(values[at : at + size]) for at in range(0, len(values), size)]
