"""One error envelope for every error the web layer returns.

``{"error": {"code": "not_found", "message": "...", "hint": "...", "status": 404}}``:
library errors keep their ``TrialscopeError.code``; validation errors, unknown
routes and unexpected failures get codes of their own. Browsers asking for an HTML
page get the same facts as a page, in words for a patient: no command lines, codes or
patterns ("We could not find trial NCT… — check the number, or search by disease").
A query string that is not UTF-8 once percent-decoded is refused with a 400 before any
route reads it (a route would see replacement characters and drop the filter). Nothing
about the request but its method and path is logged (query strings can hold a patient's
age or sex).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from trialscope.errors import StudyNotFound, TrialscopeError, UsageError
from trialscope.record.ids import is_nct_id

log = logging.getLogger("trialscope.web")

#: HTTP status for each TrialscopeError code; anything else is a 500
STATUS_BY_CODE = {
    "not_found": 404,
    "study_not_found": 404,
    "usage_error": 400,
    "place_not_found": 400,
    "bad_request": 400,
    "bad_parameter": 400,
    "bad_record": 400,
    "bad_source": 400,
    "bad_patient": 422,
    "config_error": 500,
    "store_error": 503,
    "sync_error": 502,
    "fetch_failed": 502,
}
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
}


class BadParameter(UsageError):
    """A query parameter the API cannot honour (unknown, malformed, unsupported)."""

    code = "bad_parameter"


class ErrorBody(BaseModel):
    code: str
    message: str
    hint: str | None = None
    status: int
    details: list[dict[str, Any]] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


#: the error responses every route documents (OpenAPI), all in the one envelope
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": text}
    for status, text in (
        (400, "Bad parameter"),
        (404, "Not found"),
        (422, "Validation error"),
        (500, "Internal error"),
    )
}


@dataclass(frozen=True, slots=True)
class PeopleText:
    """What an HTML error page says: a sentence and advice a patient can act on."""

    message: str
    advice: str | None = None


SEARCH_ADVICE = "Check the number, or search by disease."
#: marks of text written for developers: commands, code, routes, patterns
_TECHNICAL = re.compile(r"trialscope |`|--\w|/api\b|/docs|\[0-9\]|\\d|\^|\$|pattern|\{\d")


def for_people(text: str | None) -> str | None:
    """``text`` if a patient can act on it; None for a command line, code or pattern."""
    return None if text is None or _TECHNICAL.search(text) else text


def people_text(status: int, message: str, hint: str | None) -> PeopleText:
    """The page's words for an error the library or the framework raised."""
    if status == 404:
        return PeopleText(
            "There is no page at this address.", "Check the address, or search the trials."
        )
    if status >= 500:
        return PeopleText("Something went wrong on our side.", "Please try again in a minute.")
    if status in (400, 422) and for_people(message):
        return PeopleText(message, for_people(hint))
    return PeopleText(
        "We could not read that request.",
        "Check the address, or start again from the search page.",
    )


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    hint: str | None = None,
    details: list[dict[str, Any]] | None = None,
    people: PeopleText | None = None,
) -> Response:
    """The JSON envelope, or for a browser an HTML page in plain words (``people``)."""
    body = ErrorBody(code=code, message=message, hint=hint, status=status, details=details)
    if _wants_html(request):
        render = getattr(request.app.state, "render_error", None)
        if render is not None:
            words = people or people_text(status, message, hint)
            html: str = render(request, body, words)
            return HTMLResponse(html, status_code=status)
    return JSONResponse(ErrorEnvelope(error=body).model_dump(exclude_none=True), status_code=status)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for problem in exc.errors():
        where = ".".join(str(part) for part in problem.get("loc", ()))
        details.append({"loc": where, "msg": str(problem.get("msg", "invalid"))})
    return details


async def _on_trialscope_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TrialscopeError)
    status = STATUS_BY_CODE.get(exc.code, 500)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc.code)
    people = None
    if isinstance(exc, StudyNotFound):
        people = PeopleText(f"We could not find trial {exc.nct_id}.", SEARCH_ADVICE)
    elif status == 404:
        people = PeopleText(exc.message, "Check the address, or search the trials.")
    return error_response(request, status, exc.code, exc.message, exc.hint, people=people)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    first = details[0] if details else {"loc": "request", "msg": "invalid"}
    people = None
    nct = request.path_params.get("nct")
    if first["loc"] == "path.nct" and isinstance(nct, str) and not is_nct_id(nct):
        people = PeopleText(
            f"“{nct[:40]}” is not a trial number.",
            "Trial numbers look like NCT04416854: NCT and 8 digits. " + SEARCH_ADVICE,
        )
    return error_response(
        request,
        422,
        "validation_error",
        f"Invalid request: {first['loc']}: {first['msg']}",
        hint="See the parameters at /docs.",
        details=details,
        people=people,
    )


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail) if exc.detail else code.replace("_", " ")
    hint = None
    if exc.status_code == 404:
        message = f"Nothing at {request.url.path}."
        hint = "The API lives under /api/v2 (see /docs); trials under /trials/NCT..."
    response = error_response(request, exc.status_code, code, message, hint)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("%s %s failed unexpectedly", request.method, request.url.path)
    return error_response(
        request,
        500,
        "internal_error",
        "Something went wrong on the server.",
        hint="Try again; if it goes on, report it with the URL you asked for.",
    )


def readable_query(query: bytes) -> bool:
    """Whether a raw query string is UTF-8 text once percent-decoded."""
    if b"%" not in query and query.isascii():
        return True
    try:
        unquote_to_bytes(query).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class UnreadableQueryGuard:
    """A 400 in the error envelope for a query string that is not UTF-8 (``?q=%ff``).

    Starlette would decode it with replacement characters; a filter made of them matches
    nothing and may be dropped, so the request would answer with the whole registry.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not readable_query(scope.get("query_string", b"")):
            response = error_response(
                Request(scope),
                400,
                "bad_request",
                "The query string is not valid UTF-8 text once percent-decoded.",
                hint="Percent-encode text as UTF-8, e.g. query.cond=caf%C3%A9 for café.",
                people=PeopleText(
                    "This address has characters we cannot read.",
                    "Check the link, or search again from the search page.",
                ),
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(UnreadableQueryGuard)
    app.add_exception_handler(TrialscopeError, _on_trialscope_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
