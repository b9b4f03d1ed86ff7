"""Serve the fake CT.gov API on 127.0.0.1.

python -m tests.ctgov_server --port N [--records FILE ...] [--limit N] [--history FILE|none]
"""

from __future__ import annotations

import argparse
import logging
import socket
import time
from pathlib import Path

import uvicorn

from tests.ctgov_server.app import create_app
from tests.ctgov_server.faults import DROP_LOG_MESSAGE
from tests.ctgov_server.records import DEFAULT_HISTORY, DEFAULT_RECORDS_DIR, load_corpus


class _NoDeliberateDrops(logging.Filter):
    """uvicorn reports an unfinished response as an error; after a ``drop`` fault it is meant."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != DROP_LOG_MESSAGE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.ctgov_server", description=__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int, help="port on 127.0.0.1 (0: any free port)")
    where.add_argument("--fd", type=int, help="an inherited listening socket (used by fixture.py)")
    parser.add_argument(
        "--records",
        type=Path,
        nargs="+",
        help=f"v2 JSONL(.gz) files or folders (default: {DEFAULT_RECORDS_DIR})",
    )
    parser.add_argument("--limit", type=int, help="serve only the first N studies by NCT id")
    parser.add_argument(
        "--history",
        default=str(DEFAULT_HISTORY),
        help="legacy-XML wrapper JSONL(.gz) with dated versions, or 'none'",
    )
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    history = None if args.history == "none" else Path(args.history)
    corpus = load_corpus(args.records, history, args.limit)
    if args.fd is not None:
        sock = socket.socket(fileno=args.fd)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", args.port))
    config = uvicorn.Config(
        create_app(corpus), log_level=args.log_level, access_log=False, lifespan="on"
    )
    # after Config, which (re)configures uvicorn's loggers
    logging.getLogger("uvicorn.error").addFilter(_NoDeliberateDrops())
    port = sock.getsockname()[1]
    print(
        f"ctgov_server: http://127.0.0.1:{port}/api/v2 serving {len(corpus.studies)} studies "
        f"({len(corpus.history)} with history), loaded in {time.perf_counter() - started:.2f}s",
        flush=True,
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
