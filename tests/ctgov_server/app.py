"""A fake ClinicalTrials.gov API v2 (plus the internal history and bulk endpoints) for tests.

Layout as on clinicaltrials.gov: ``/api/v2/...`` (public API), ``/api/int/...`` (internal
endpoints used by the website and cthist). ``/_control/...`` is the test-side remote control:
fault injection, the request log, changing records and aliases, reset.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.ctgov_server.bulk import BulkZip, download
from tests.ctgov_server.faults import Fault, FaultMiddleware, Faults
from tests.ctgov_server.query import BadRequest, Search, make_token, nct_id, parse_search
from tests.ctgov_server.records import Corpus, Study, Version

API_VERSION = "2.0.5"
_NCT = re.compile(r"^NCT\d{8}$")


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(obj), status, headers, media_type="application/json")


def error(status: int, message: str) -> Response:
    return json_response({"message": message}, status)


class State:
    """What the server serves now: the start-up corpus plus the changes tests made."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.faults = Faults()
        self._changes = 0
        self.reset()

    def reset(self) -> None:
        self.studies: dict[str, Study] = dict(self.corpus.studies)
        self.aliases: dict[str, str] = dict(self.corpus.aliases)
        self.history: dict[str, list[Version]] = {
            k: list(v) for k, v in self.corpus.history.items()
        }
        self.faults.queue.clear()
        self.faults.log.clear()
        # 0 is the start-up content; every change gets a number never used before, so the
        # bulk zip and the search cache can tell whether they are current
        self.generation = 0
        self._order: list[Study] | None = None
        self._searches: dict[str, list[Study]] = {}

    def changed(self) -> None:
        self._changes += 1
        self.generation = self._changes
        self._order = None
        self._searches.clear()

    def ordered(self) -> list[Study]:
        if self._order is None:
            self._order = [self.studies[k] for k in sorted(self.studies)]
        return self._order

    def snapshot(self) -> tuple[int, list[Study]]:
        return self.generation, self.ordered()

    def matching(self, search: Search) -> list[Study]:
        # the same search is repeated for every page: filter once per content generation
        found = self._searches.get(search.fingerprint)
        if found is None:
            if len(self._searches) > 64:
                self._searches.clear()
            found = [s for s in self.ordered() if search.matches(s)]
            self._searches[search.fingerprint] = found
        return found

    def resolve(self, nct: str) -> str | None:
        """The current id an alias points to (following chains), or None if not an alias."""
        seen = {nct}
        target = self.aliases.get(nct)
        while target is not None and target in self.aliases and target not in seen:
            seen.add(target)
            target = self.aliases[target]
        return target

    def put(self, study: Study) -> bool:
        created = study.nct_id not in self.studies
        self.studies[study.nct_id] = study
        for alias in study.aliases:
            if alias != study.nct_id:
                self.aliases[alias] = study.nct_id
        trail = self.history.get(study.nct_id)
        last = study.last_update
        if trail and last and last > trail[-1].date:
            # an update of a trial with history is its newest version
            trail.append(Version(last, study.overall_status, study))
        self.changed()
        return created


def _state(request: Request) -> State:
    state: State = request.app.state.ctgov
    return state


def _moved(request: Request, target: str, prefix: str) -> Response:
    location = f"{prefix}/{target}"
    if request.url.query:
        location += f"?{request.url.query}"
    return Response(status_code=301, headers={"Location": location})


# --- public API -----------------------------------------------------------------------------


async def version(request: Request) -> Response:
    dates = [s.last_update for s in _state(request).studies.values() if s.last_update]
    stamp = f"{max(dates, default='2024-01-01')}T09:00:00"
    return json_response({"apiVersion": API_VERSION, "dataTimestamp": stamp})


async def studies(request: Request) -> Response:
    state = _state(request)
    try:
        search = parse_search(request.query_params.multi_items())
    except BadRequest as exc:
        return error(400, str(exc))
    found = state.matching(search)
    end = search.offset + search.page_size
    body = b'{"studies":[' + b",".join(s.raw for s in found[search.offset : end]) + b"]"
    if end < len(found):
        body += b',"nextPageToken":"' + make_token(end, search.fingerprint).encode() + b'"'
    # as CT.gov: the count comes with the first page only, and only when asked for
    if search.count_total and search.offset == 0:
        body += b',"totalCount":' + str(len(found)).encode()
    return Response(body + b"}", media_type="application/json")


def _single_study_params(request: Request) -> str | None:
    for name, value in request.query_params.multi_items():
        if name == "format" and value != "json":
            return f"format={value}: the fake CT.gov server serves format=json only"
        if name not in ("format", "markupFormat"):
            return f"parameter {name} is not supported by the fake CT.gov server"
    return None


async def study(request: Request) -> Response:
    state = _state(request)
    nct = request.path_params["nct_id"]
    target = state.resolve(nct)
    if target is not None:
        return _moved(request, target, "/api/v2/studies")
    problem = _single_study_params(request)
    if problem:
        return error(400, problem)
    found = state.studies.get(nct)
    if found is None:
        return error(404, f"study {nct} not found")
    return Response(found.raw, media_type="application/json")


# --- internal endpoints ---------------------------------------------------------------------


async def int_study(request: Request) -> Response:
    state = _state(request)
    nct = request.path_params["nct_id"]
    target = state.resolve(nct)
    if target is not None:
        return _moved(request, target, "/api/int/studies")
    found = state.studies.get(nct)
    if found is None:
        return error(404, f"study {nct} not found")
    if request.query_params.get("history") != "true":
        return Response(b'{"study":' + found.raw + b"}", media_type="application/json")
    changes = [
        {"version": n, "date": v.date, "status": v.status}
        for n, v in enumerate(state.history.get(nct, []))
    ]
    return json_response({"history": {"changes": changes}})


async def int_study_version(request: Request) -> Response:
    state = _state(request)
    nct = request.path_params["nct_id"]
    number: int = request.path_params["version"]
    trail = state.history.get(nct, [])
    if not 0 <= number < len(trail):
        return error(404, f"study {nct} has no version {number}")
    return Response(b'{"study":' + trail[number].study.raw + b"}", media_type="application/json")


async def int_download(request: Request) -> Response:
    bulk: BulkZip = request.app.state.bulk
    return await download(request, bulk)


# --- control --------------------------------------------------------------------------------


async def _json_body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise HTTPException(400, f"body is not JSON: {exc}") from None


async def control_faults(request: Request) -> Response:
    faults = _state(request).faults
    if request.method == "POST":
        try:
            fault = Fault.from_json(await _json_body(request))
        except (ValueError, TypeError) as exc:
            return error(400, str(exc))
        faults.queue.append(fault)
    elif request.method == "DELETE":
        faults.queue.clear()
    return json_response({"faults": [f.as_json() for f in faults.queue]})


async def control_log(request: Request) -> Response:
    faults = _state(request).faults
    if request.method == "DELETE":
        faults.log.clear()
    return json_response(faults.log)


async def control_study(request: Request) -> Response:
    state = _state(request)
    nct = request.path_params["nct_id"]
    if request.method == "DELETE":
        if state.studies.pop(nct, None) is None:
            return error(404, f"study {nct} not found")
        state.changed()
        return json_response({"nctId": nct, "deleted": True})
    try:
        new = Study.from_bytes(await request.body())
    except ValueError as exc:
        return error(400, f"not a v2 study: {exc}")
    if new.nct_id != nct:
        return error(400, f"the study's nctId {new.nct_id} is not {nct}")
    return json_response({"nctId": nct, "created": state.put(new)})


async def control_aliases(request: Request) -> Response:
    state = _state(request)
    body = await _json_body(request)
    try:
        alias, target = nct_id(str(body["alias"])), nct_id(str(body["target"]))
    except (BadRequest, KeyError, TypeError) as exc:
        return error(400, f'expected {{"alias": "NCT...", "target": "NCT..."}}: {exc}')
    state.aliases[alias] = target
    return json_response({"aliases": state.aliases})


async def control_reset(request: Request) -> Response:
    _state(request).reset()
    return json_response({"reset": True})


async def control_info(request: Request) -> Response:
    state = _state(request)
    return json_response(
        {
            "studies": len(state.studies),
            "history": {k: len(v) for k, v in state.history.items()},
            "aliases": state.aliases,
            "generation": state.generation,
        }
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error(exc.status_code, exc.detail)


def create_app(corpus: Corpus) -> ASGIApp:
    state = State(corpus)
    bulk = BulkZip(state.snapshot)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        bulk.start()
        try:
            yield
        finally:
            bulk.close()

    routes = [
        Route("/api/v2/version", version),
        Route("/api/v2/studies", studies),
        Route("/api/v2/studies/{nct_id}", study),
        Route("/api/int/studies/download", int_download),
        Route("/api/int/studies/{nct_id}", int_study),
        Route("/api/int/studies/{nct_id}/history/{version:int}", int_study_version),
        Route("/_control/faults", control_faults, methods=["GET", "POST", "DELETE"]),
        Route("/_control/log", control_log, methods=["GET", "DELETE"]),
        Route("/_control/studies/{nct_id}", control_study, methods=["PUT", "DELETE"]),
        Route("/_control/aliases", control_aliases, methods=["POST"]),
        Route("/_control/reset", control_reset, methods=["POST"]),
        Route("/_control/info", control_info),
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error}
    )
    app.state.ctgov = state
    app.state.bulk = bulk
    return FaultMiddleware(app, state.faults)
