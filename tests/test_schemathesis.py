"""Property-based tests of the JSON API from its own OpenAPI description (schemathesis):
no generated request, valid or not, may make the server fail (zero 5xx), and every
answer must match what the description promises (status codes, content types, shapes).

Kept bounded: 40 valid and 20 invalid requests per operation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import needs_corpus
from tests.webapp import build_db

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode  # noqa: E402

pytestmark = needs_corpus
EXAMPLES = 40


@pytest.fixture(scope="module")
def web_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from trialscope.config import Settings
    from trialscope.web import create_app

    db = build_db(tmp_path_factory.mktemp("schemathesis"))
    app = create_app(Settings(db=str(db)))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


#: "METHOD path" of every operation the API describes
OPERATIONS = [
    "GET /api/v2/studies",
    "GET /api/v2/studies/{nct}",
    "GET /api/v2/studies/{nct}/versions",
    "GET /api/v2/studies/{nct}/versions/{version_id}",
    "GET /api/v2/studies/{nct}/changes",
    "GET /api/v2/studies/{nct}/plain",
    "GET /api/v1/watches",
    "POST /api/v1/watches",
    "GET /api/v1/watches/{name}",
    "POST /api/v1/watches/{name}/run",
    "POST /api/v1/match",
]


def test_every_api_operation_is_fuzzed(web_schema: Any) -> None:
    described = {f"{op.method.upper()} {op.path}" for op in _operations(web_schema)}
    assert described == set(OPERATIONS)


#: operations without any input: nothing to break, so no negative requests
NO_INPUT = {"GET /api/v1/watches"}


@pytest.mark.parametrize(
    ("mode", "operation_name"),
    [
        (mode, name)
        for mode in ("positive", "negative")
        for name in OPERATIONS
        if not (mode == "negative" and name in NO_INPUT)
    ],
)
def test_api_never_fails_and_keeps_its_promises(
    web_schema: Any, operation_name: str, mode: str
) -> None:
    """Valid requests (positive) and requests that break the schema (negative)."""
    method, path = operation_name.split(" ", 1)
    operation = next(
        op for op in _operations(web_schema) if op.path == path and op.method.upper() == method
    )
    statuses: list[int] = []

    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    @settings(
        max_examples=EXAMPLES if mode == "positive" else EXAMPLES // 2,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        response = case.call()
        statuses.append(response.status_code)
        assert response.status_code < 500, (case.formatted_path, case.query, response.text[:300])
        case.validate_response(response, checks=CHECKS)

    check()
    assert statuses and max(statuses) < 500
