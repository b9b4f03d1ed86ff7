"""Turn paths (files, folders, globs, archives) into a stream of raw record chunks.

Reading is streaming with bounded memory: JSONL and gzip are read line by
line, zip archives member by member, and a JSON document larger than
``BIG_DOCUMENT`` is walked with ijson instead of being loaded whole. What a
chunk *is* (v2 study, classic study, legacy XML, ...) is decided later from its
content by :mod:`trialscope.formats.detect`, never from the file name.
"""

from __future__ import annotations

import glob
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import ijson
import orjson
from stream_unzip import stream_unzip

from trialscope.formats.encoding import (
    NotText,
    strip_utf8_bom,
    why_not_utf8,
    wide_codec,
    wide_to_utf8,
)

#: Documents above this size are streamed with ijson rather than loaded whole.
BIG_DOCUMENT = 32 * 1024 * 1024
#: File names that sit beside records but are plainly not records.
NOT_RECORD_SUFFIXES = frozenset(
    {".md", ".tsv", ".txt", ".csv", ".rst", ".html", ".yml", ".yaml", ".py", ".pdf", ".png"}
)
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_FIRST_KEY = re.compile(rb'^\s*\{\s*"([^"]+)"')
# Where the studies sit inside the known multi-study JSON documents.
_STREAM_PREFIXES = {
    b"studies": "studies.item",
    b"FullStudiesResponse": "FullStudiesResponse.FullStudies.item",
    b"FullStudies": "FullStudies.item",
}


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Chunk:
    """The bytes of one record (or one JSON value holding records) and where it came from."""

    source: str
    position: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class Problem:
    """Something unreadable: it goes to quarantine with the reason and the bytes."""

    source: str
    position: str
    reason: str
    raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that is not a record file (a note, not a problem)."""

    source: str
    reason: str


Item = Chunk | Problem | Skipped


@dataclass
class SourceReader:
    """Iterates the chunks of many paths and keeps count of the bytes read."""

    paths: list[Path]
    missing: list[str] = field(default_factory=list)
    bytes_done: int = 0

    @classmethod
    def expand(cls, args: Iterable[str | Path]) -> SourceReader:
        """Resolve files, folders (recursively) and glob patterns, in a stable order."""
        paths: list[Path] = []
        missing: list[str] = []
        for arg in args:
            text = str(arg)
            path = Path(text).expanduser()
            if path.is_dir():
                paths.extend(_files_under(path))
            elif path.exists():
                paths.append(path)
            elif any(ch in text for ch in "*?["):
                matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
                files = [m for m in matches if m.is_file()]
                for m in matches:
                    if m.is_dir():
                        files.extend(_files_under(m))
                if files:
                    paths.extend(files)
                else:
                    missing.append(text)
            else:
                missing.append(text)
        unique = list(dict.fromkeys(paths))
        return cls(paths=unique, missing=missing)

    @property
    def total_bytes(self) -> int:
        return sum(_size(path) for path in self.paths)

    def __iter__(self) -> Iterator[Item]:
        for path in self.paths:
            start = self.bytes_done
            size = _size(path)
            if path.name.startswith(".") or _is_not_record_name(path.name):
                yield Skipped(str(path), "not a record file (by name)")
            else:
                yield from self._read_file(path)
            self.bytes_done = start + size

    def _read_file(self, path: Path) -> Iterator[Item]:
        source = str(path)
        try:
            with open(path, "rb") as handle:
                magic = handle.read(4)
                handle.seek(0)
                if magic.startswith(_ZIP_MAGIC):
                    yield from _read_zip(path)
                elif magic.startswith(_GZIP_MAGIC):
                    with gzip.GzipFile(fileobj=handle, mode="rb") as unzipped:
                        codec = wide_codec(unzipped.peek(4)[:4])
                        if codec:
                            yield from _read_wide(source, unzipped.read(), codec)
                        else:
                            yield from _read_stream(source, unzipped, size=None)
                elif codec := wide_codec(magic):
                    yield from _read_wide(source, handle.read(), codec)
                else:
                    yield from _read_stream(source, handle, size=_size(path))
        except (OSError, EOFError, zlib.error) as exc:
            yield Problem(
                source, "file", f"unreadable file: {getattr(exc, 'strerror', None) or exc}"
            )


def _read_wide(source: str, data: bytes, codec: str) -> Iterator[Item]:
    """A UTF-16/32 file (a Windows editor's "Unicode"), read as the UTF-8 it says."""
    try:
        converted = wide_to_utf8(data, codec)
    except NotText as exc:
        yield Problem(source, "file", f"not UTF-8 and not readable text: {exc}", data[:4096])
        return
    yield from _read_stream(source, io.BytesIO(converted), size=len(converted))


def _files_under(folder: Path) -> list[Path]:
    # A dangling link is kept: it is a record file that cannot be read, to quarantine.
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _is_not_record_name(name: str) -> bool:
    lowered = name.lower()
    return any(lowered.endswith(suffix) for suffix in NOT_RECORD_SUFFIXES)


def _first_significant(data: bytes) -> bytes:
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped[:1]


def _read_stream(source: str, stream: Readable, size: int | None) -> Iterator[Item]:
    """A plain or gunzipped byte stream: XML document, JSON document or JSONL.

    The whole first line is read to decide, however long: a JSONL line can be a
    megabyte (records with results), and a cut-off first line would make JSONL
    look like one big document.
    """
    skipped = 0
    try:
        first_line = stream.readline()
        while first_line and not first_line.strip():
            skipped += 1
            first_line = stream.readline()
    except (OSError, EOFError, zlib.error) as exc:
        yield Problem(source, "start", f"unreadable or corrupt compressed stream: {exc}")
        return
    first_line = strip_utf8_bom(first_line)  # JSON parsers refuse it; XML does not need it
    first = _first_significant(first_line)
    if first == b"<":
        try:
            rest = stream.read()
        except (OSError, EOFError, zlib.error) as exc:
            reason = f"truncated or corrupt stream: {exc}"
            yield Problem(source, "document", reason, first_line[:4096])
            return
        yield Chunk(source, "document", first_line + rest)
        return
    if first not in (b"{", b"["):
        kind = "empty file" if not first_line.strip() else "content is neither JSON nor XML"
        yield Problem(source, "start", f"not a CT.gov record file: {kind}", first_line[:4096])
        return
    if _is_complete_json(first_line):
        yield from _read_jsonl(source, first_line, stream, first_number=skipped + 1)
    elif size is not None and size > BIG_DOCUMENT:
        yield from _stream_document(source, _Prepend(first_line, stream), first_line)
    else:
        yield from _read_whole(source, _Prepend(first_line, stream))


def _is_complete_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


class _Prepend(io.RawIOBase):
    """A stream with already-read bytes put back in front."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_jsonl(
    source: str, first_line: bytes, stream: Readable, first_number: int
) -> Iterator[Item]:
    number = first_number
    yield Chunk(source, f"line {number}", first_line)
    try:
        while line := stream.readline():
            number += 1
            if line.strip():
                yield Chunk(source, f"line {number}", line)
    except (OSError, EOFError, zlib.error) as exc:
        yield Problem(source, f"after line {number}", f"truncated or corrupt stream: {exc}")


def _read_whole(source: str, stream: io.RawIOBase) -> Iterator[Item]:
    try:
        data = stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        yield Problem(source, "document", f"truncated or corrupt stream: {exc}")
        return
    yield from _read_document(source, data or b"")


def _read_document(source: str, data: bytes) -> Iterator[Item]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        yield from _salvage_lines(source, data, exc)
        return
    if isinstance(value, list):
        for index, element in enumerate(value):
            yield Chunk(source, f"item {index}", orjson.dumps(element))
    elif isinstance(value, dict) and isinstance(value.get("studies"), list):
        for index, element in enumerate(value["studies"]):
            yield Chunk(source, f"studies[{index}]", orjson.dumps(element))
    else:
        yield Chunk(source, "document", data)


def _salvage_lines(source: str, data: bytes, exc: orjson.JSONDecodeError) -> Iterator[Item]:
    """A document that does not parse may still be JSONL whose first line is broken."""
    lines = [line for line in data.split(b"\n") if line.strip()]
    if len(lines) > 1 and sum(_is_complete_json(line) for line in lines[:20]) >= 1:
        for number, line in enumerate(data.split(b"\n"), start=1):
            if line.strip():
                yield Chunk(source, f"line {number}", line)
        return
    yield Problem(source, "document", why_not_utf8(data) or f"malformed JSON: {exc}", data)


def _stream_document(source: str, stream: io.RawIOBase, head: bytes) -> Iterator[Item]:
    first_key = _FIRST_KEY.match(head)
    if head.lstrip().startswith(b"["):
        prefix = "item"
    elif first_key and first_key.group(1) in _STREAM_PREFIXES:
        prefix = _STREAM_PREFIXES[first_key.group(1)]
    else:
        yield from _read_whole(source, stream)
        return
    index = -1
    try:
        for index, element in enumerate(ijson.items(stream, prefix, use_float=True)):
            yield Chunk(source, f"{prefix}[{index}]", orjson.dumps(element))
    except (ijson.JSONError, OSError, EOFError, zlib.error) as exc:
        yield Problem(source, f"after {prefix}[{index}]", f"malformed or truncated JSON: {exc}")


def _read_zip(path: Path) -> Iterator[Item]:
    source = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        # No central directory (a download cut short): walk the local headers.
        yield from _salvage_zip(path)
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            where = f"{source}!{info.filename}"
            if _is_not_record_name(info.filename):
                yield Skipped(where, "not a record file (by name)")
                continue
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                yield Problem(source, info.filename, f"corrupt zip member: {exc}")
                continue
            yield from _member_items(where, data)


def _salvage_zip(path: Path) -> Iterator[Item]:
    source = str(path)
    last = "start"

    def chunks() -> Iterator[bytes]:
        with open(path, "rb") as handle:
            while block := handle.read(1024 * 1024):
                yield block

    try:
        for name, _, members in stream_unzip(chunks()):
            member = name.decode("utf-8", "replace")
            data = b"".join(members)
            last = member
            if member.endswith("/"):
                continue
            if _is_not_record_name(member):
                yield Skipped(f"{source}!{member}", "not a record file (by name)")
                continue
            yield from _member_items(f"{source}!{member}", data)
    except Exception as exc:  # stream_unzip raises its own tree plus zlib/ValueError
        yield Problem(
            source, f"after member {last}", f"truncated or corrupt zip: {type(exc).__name__}"
        )


def _member_items(where: str, data: bytes) -> Iterator[Item]:
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            yield Problem(where, "member", f"corrupt gzip member: {exc}")
            return
    if codec := wide_codec(data[:4]):
        try:
            data = wide_to_utf8(data, codec)
        except NotText as exc:
            yield Problem(where, "member", f"not UTF-8 and not readable text: {exc}", data[:4096])
            return
    data = strip_utf8_bom(data)
    first = _first_significant(data[:4096])
    if first == b"<":
        yield Chunk(where, "member", data)
    elif first in (b"{", b"["):
        yield from _read_document(where, data)
    else:
        yield Problem(where, "member", "not a CT.gov record: neither JSON nor XML", data[:4096])
