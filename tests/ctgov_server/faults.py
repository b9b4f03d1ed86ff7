"""Fault injection and the request log, as an ASGI middleware around the API.

Faults are queued by ``POST /_control/faults`` and consumed in order by the next requests whose
path starts with the fault's ``match``. ``truncate`` and ``drop`` run the real handler, buffer
its response and then damage it, so they work on every endpoint, including the bulk zip and
its ``Range`` answers. Control requests are neither faulted nor logged.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# "pass" answers normally: queued before other faults, it lets N requests through first
KINDS = ("429", "500", "503", "slow", "truncate", "html", "drop", "pass")
CONTROL_PREFIX = "/_control"

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
    b"request. Please try again later.</p></body></html>\n"
)

# what uvicorn logs (as an error) when a response is left unfinished: expected after a drop
DROP_LOG_MESSAGE = "ASGI callable returned without completing response."


@dataclass
class Fault:
    match: str
    kind: str
    times: int = 1
    retry_after: float = 1
    delay: float = 1.0
    # share of the body sent before truncating/dropping
    fraction: float = 0.5

    @classmethod
    def from_json(cls, body: Any) -> Fault:
        if not isinstance(body, dict):
            raise ValueError("a fault is a JSON object")
        unknown = set(body) - {"match", "kind", "times", "retry_after", "delay", "fraction"}
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        kind = str(body.get("kind"))
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        fault = cls(
            match=str(body.get("match", "/")),
            kind=kind,
            times=int(body.get("times", 1)),
            retry_after=float(body.get("retry_after", 1)),
            delay=float(body.get("delay", 1.0)),
            fraction=float(body.get("fraction", 0.5)),
        )
        if fault.times < 1 or not 0 <= fault.fraction < 1 or fault.delay < 0:
            raise ValueError("need times >= 1, 0 <= fraction < 1, delay >= 0")
        return fault

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Faults:
    """The queue of pending faults and the log of API requests (state shared with the app)."""

    queue: list[Fault] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    def take(self, path: str) -> Fault | None:
        for fault in self.queue:
            if path.startswith(fault.match):
                fault.times -= 1
                if fault.times == 0:
                    self.queue.remove(fault)
                return fault
        return None


def _headers(status: int, content_type: bytes, length: int, extra: dict[bytes, bytes]) -> Message:
    headers = [(b"content-type", content_type), (b"content-length", str(length).encode())]
    headers += list(extra.items())
    return {"type": "http.response.start", "status": status, "headers": headers}


async def _answer(send: Send, status: int, body: bytes, content_type: bytes, **extra: str) -> None:
    encoded = {k.replace("_", "-").encode(): v.encode() for k, v in extra.items()}
    await send(_headers(status, content_type, len(body), encoded))
    await send({"type": "http.response.body", "body": body})


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        entry: dict[str, Any] = {
            "time": time.time(),
            "method": scope["method"],
            "path": scope["path"],
            "query_string": scope["query_string"].decode("latin-1"),
            "headers": dict(Headers(scope=scope)),
            # the last value of a repeated name, for easy assertions
            "params": dict(QueryParams(scope["query_string"])),
            "status": None,
            "fault": None,
        }
        self.faults.log.append(entry)

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        fault = self.faults.take(scope["path"])
        if fault is None:
            await self.app(scope, receive, logging_send)
            return
        entry["fault"] = fault.kind
        await self._inject(fault, scope, receive, logging_send)

    async def _inject(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        kind = fault.kind
        if kind == "429":
            retry = f"{fault.retry_after:g}"
            body = b'{"message": "Too Many Requests"}'
            await _answer(send, 429, body, b"application/json", retry_after=retry)
        elif kind in ("500", "503"):
            text = "Internal Server Error" if kind == "500" else "Service Unavailable"
            body = b'{"message": "' + text.encode() + b'"}'
            await _answer(send, int(kind), body, b"application/json")
        elif kind == "html":
            await _answer(send, 200, HTML_PAGE, b"application/json")
        elif kind in ("slow", "pass"):
            if kind == "slow":
                await asyncio.sleep(fault.delay)
            await self.app(scope, receive, send)
        else:
            await self._damage(fault, scope, receive, send)

    async def _damage(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, buffer)
        body = b"".join(chunks)
        cut = body[: int(len(body) * fault.fraction)]
        headers = list(start.get("headers", []))
        has_length = any(k.lower() == b"content-length" for k, _ in headers)
        if fault.kind == "truncate":
            # a well-formed response that happens to hold half the body
            if has_length:
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(cut)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": cut})
            return
        # drop: the headers promise the whole body (or a chunked one), part of it arrives, and
        # the connection closes. Returning without finishing the response makes uvicorn close
        # the transport once the bytes already written are flushed.
        await send(start)
        await send({"type": "http.response.body", "body": cut, "more_body": True})
