"""The bulk download (``/api/int/studies/download?format=json.zip``): one zip of every study.

Built into a temporary file in a worker thread (so start-up does not wait for it) and rebuilt
when the records have changed since. Served like the real one, chunked with no Content-Length,
but ``Range: bytes=N-`` (or ``N-M``) gets a 206 so a client can resume a broken download.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import tempfile
import threading
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tests.ctgov_server.records import Study

FILENAME = "ctg-studies.json.zip"
CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@dataclass(frozen=True)
class Built:
    path: Path
    size: int
    etag: str
    generation: int


def build_zip(studies: list[Study], folder: Path, generation: int) -> Built:
    path = folder / f"ctg-studies.{generation}.json.zip"
    digest = hashlib.sha256()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for study in sorted(studies, key=lambda s: s.nct_id):
            archive.writestr(f"{study.nct_id}.json", study.raw)
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return Built(path, path.stat().st_size, f'"{digest.hexdigest()[:32]}"', generation)


class BulkZip:
    """The current zip; ``get`` waits for (re)building when the records have changed."""

    def __init__(self, snapshot: Callable[[], tuple[int, list[Study]]]) -> None:
        # snapshot() -> (records generation, studies); called on the event loop
        self._snapshot = snapshot
        self._folder = tempfile.TemporaryDirectory(prefix="ctgov-bulk-")
        self._built: Built | None = None
        self._building: asyncio.Task[Built] | None = None
        self._lock = threading.Lock()  # one build at a time (start-up thread vs a request)

    def _build(self, generation: int, studies: list[Study]) -> Built:
        with self._lock:
            if self._built is not None and self._built.generation == generation:
                return self._built
            built = build_zip(studies, Path(self._folder.name), generation)
            old, self._built = self._built, built
            if old is not None:
                old.path.unlink(missing_ok=True)
            return built

    def start(self) -> None:
        """Build in the background now (called at start-up)."""
        generation, studies = self._snapshot()
        threading.Thread(target=self._build, args=(generation, studies), daemon=True).start()

    async def get(self) -> Built:
        generation, studies = self._snapshot()
        built = self._built
        if built is not None and built.generation == generation:
            return built
        return await asyncio.to_thread(self._build, generation, studies)

    def close(self) -> None:
        self._folder.cleanup()


async def _stream(handle: BinaryIO, start: int, end: int) -> AsyncIterator[bytes]:
    with handle:
        handle.seek(start)
        left = end - start
        while left > 0:
            block = handle.read(min(CHUNK, left))
            if not block:
                break
            left -= len(block)
            yield block


async def download(request: Request, bulk: BulkZip) -> Response:
    fmt = request.query_params.get("format")
    if fmt != "json.zip":
        return JSONResponse({"message": "format must be json.zip"}, status_code=400)
    built = await bulk.get()
    headers = {
        "Content-Disposition": f'attachment; filename="{FILENAME}"',
        "Accept-Ranges": "bytes",
        "ETag": built.etag,
    }
    start, end, status = 0, built.size, 200
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if wanted and (if_range is None or if_range == built.etag):
        m = _RANGE.match(wanted.strip())
        if not m or int(m[1]) >= built.size or (m[2] and int(m[2]) < int(m[1])):
            headers["Content-Range"] = f"bytes */{built.size}"
            return Response(status_code=416, headers=headers)
        start, status = int(m[1]), 206
        end = min(int(m[2]) + 1, built.size) if m[2] else built.size
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{built.size}"
        headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        response = Response(status_code=status, headers=headers, media_type="application/zip")
        if status == 200:
            del response.headers["content-length"]  # as for the chunked GET
        return response
    # opened now: a rebuild replaces (unlinks) the file, and an open handle survives that
    handle = open(built.path, "rb")  # noqa: SIM115 (closed by the stream)
    return StreamingResponse(
        _stream(handle, start, end),
        status_code=status,
        headers=headers,
        media_type="application/zip",
    )
