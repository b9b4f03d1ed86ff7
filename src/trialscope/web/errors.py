"""One error envelope for every error the web layer returns.

``{"error": {"code": "not_found", "message": "...", "hint": "...", "status": 404}}``:
library errors keep their ``TrialscopeError.code``; validation errors, unknown
routes and unexpected failures get codes of their own. Browsers asking for an HTML
page get the same facts as a page. Nothing about the request but its method and path
is logged (query strings can hold a patient's age or sex).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from trialscope.errors import TrialscopeError, UsageError

log = logging.getLogger("trialscope.web")

#: HTTP status for each TrialscopeError code; anything else is a 500
STATUS_BY_CODE = {
    "not_found": 404,
    "study_not_found": 404,
    "usage_error": 400,
    "place_not_found": 400,
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
) -> Response:
    body = ErrorBody(code=code, message=message, hint=hint, status=status, details=details)
    if _wants_html(request):
        render = getattr(request.app.state, "render_error", None)
        if render is not None:
            html: str = render(request, body)
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
    return error_response(request, status, exc.code, exc.message, exc.hint)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    first = details[0] if details else {"loc": "request", "msg": "invalid"}
    return error_response(
        request,
        422,
        "validation_error",
        f"Invalid request: {first['loc']}: {first['msg']}",
        hint="See the parameters at /docs.",
        details=details,
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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TrialscopeError, _on_trialscope_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
