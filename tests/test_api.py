"""The JSON API in process on a real store: one study, versions, changes, the error
envelope and the OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from trialscope.store import SQLiteStore

from .conftest import needs_corpus
from .webapp import SEED, TestClient, build_db, client_for

pytestmark = needs_corpus


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_db(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with client_for(db) as opened:
        yield opened


def assert_envelope(response: object, status: int, code: str) -> dict[str, object]:
    assert hasattr(response, "status_code") and hasattr(response, "json")
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    error: dict[str, object] = body["error"]
    assert error["code"] == code
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return error


# -- one study ---------------------------------------------------------------------------


def test_study_is_the_stored_json_byte_for_byte(client: TestClient, db: Path) -> None:
    response = client.get(f"/api/v2/studies/{SEED}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with SQLiteStore(db) as store:
        assert response.content == store.study_bytes(SEED)
    assert client.get(f"/api/v2/studies/{SEED.lower()}").content == response.content


def test_study_as_markdown(client: TestClient) -> None:
    response = client.get(f"/api/v2/studies/{SEED}", params={"format": "md"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text == client.get(f"/trials/{SEED}.md").text
    assert "## Key Facts" in response.text


def test_fields_keep_only_the_named_pieces(client: TestClient) -> None:
    response = client.get(
        f"/api/v2/studies/{SEED}", params={"fields": "NCTId|OverallStatus,LocationCity"}
    )
    assert response.json() == {
        "protocolSection": {
            "identificationModule": {"nctId": SEED},
            "statusModule": {"overallStatus": "UNKNOWN"},
            "contactsLocationsModule": {"locations": [{"city": "Shanghai"}]},
        }
    }
    modules = client.get(
        f"/api/v2/studies/{SEED}",
        params=[("fields", "EligibilityModule"), ("fields", "protocolSection.designModule.phases")],
    ).json()
    assert set(modules["protocolSection"]) == {"eligibilityModule", "designModule"}
    assert modules["protocolSection"]["designModule"] == {"phases": ["PHASE3"]}


def test_unknown_field_is_a_bad_parameter(client: TestClient) -> None:
    error = assert_envelope(
        client.get(f"/api/v2/studies/{SEED}", params={"fields": "NoSuchField"}),
        400,
        "bad_parameter",
    )
    assert "NoSuchField" in str(error["message"])
    assert error["hint"]


# -- versions and changes -----------------------------------------------------------------


def test_versions_oldest_first(client: TestClient) -> None:
    body = client.get(f"/api/v2/studies/{SEED}/versions").json()
    assert body["nctId"] == SEED
    versions = body["versions"]
    assert [v["sourceFormat"] for v in versions] == ["ctgov_legacy_xml", "ctgov_v2"]
    assert {"versionId", "contentHash", "firstSeen", "lastSeen", "partial"} <= set(versions[0])
    first = client.get(f"/api/v2/studies/{SEED}/versions/{versions[0]['versionId']}")
    assert first.status_code == 200
    assert first.json()["protocolSection"]["statusModule"]["overallStatus"] == "RECRUITING"


def test_version_of_another_study_is_not_found(client: TestClient) -> None:
    versions = client.get(f"/api/v2/studies/{SEED}/versions").json()["versions"]
    response = client.get(f"/api/v2/studies/NCT99999901/versions/{versions[0]['versionId']}")
    assert_envelope(response, 404, "not_found")


def test_changes_filtered_by_field(client: TestClient) -> None:
    body = client.get(f"/api/v2/studies/{SEED}/changes", params={"field": "status.*"}).json()
    assert body["nctId"] == SEED
    paths = {c["path"] for c in body["changes"]}
    assert "status.overallStatus" in paths
    assert all(p.startswith("status.") for p in paths)
    status = next(
        c for c in body["changes"] if c["path"] == "status.overallStatus" and c["kind"] == "changed"
    )
    assert (status["old"], status["new"]) == ("RECRUITING", "UNKNOWN")
    assert status["ctDate"] == "2020-06-04"
    none = client.get(
        f"/api/v2/studies/{SEED}/changes", params={"since": "2999-01-01", "firstSight": "false"}
    )
    assert none.json()["changes"] == []


# -- errors ---------------------------------------------------------------------------------


def test_not_found_study(client: TestClient) -> None:
    error = assert_envelope(client.get("/api/v2/studies/NCT00000000"), 404, "not_found")
    assert error["message"] == "No study NCT00000000 in this mirror."
    for suffix in ("/versions", "/changes"):
        assert_envelope(client.get(f"/api/v2/studies/NCT00000000{suffix}"), 404, "not_found")


def test_validation_error(client: TestClient) -> None:
    error = assert_envelope(client.get("/api/v2/studies/not-an-id"), 422, "validation_error")
    assert isinstance(error["details"], list) and error["details"]
    assert_envelope(
        client.get(f"/api/v2/studies/{SEED}", params={"format": "xml"}), 422, "validation_error"
    )
    assert_envelope(
        client.get(f"/api/v2/studies/{SEED}/changes", params={"limit": 0}), 422, "validation_error"
    )


def test_bad_parameter(client: TestClient) -> None:
    error = assert_envelope(
        client.get(f"/api/v2/studies/{SEED}/changes", params={"since": "yesterday-ish"}),
        400,
        "usage_error",
    )
    assert "30d" in str(error["hint"])


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_envelope(client.get("/api/v2/nothing-here"), 404, "not_found")
    assert_envelope(client.post(f"/api/v2/studies/{SEED}"), 405, "method_not_allowed")


def test_unexpected_failure_is_a_500_envelope(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trialscope.web.app import Backend

    def broken(self: Backend) -> SQLiteStore:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Backend, "store", broken)
    with client_for(db) as client:
        response = client.get(f"/api/v2/studies/{SEED}")
    error = assert_envelope(response, 500, "internal_error")
    assert "disk on fire" not in response.text
    assert error["hint"]


# -- OpenAPI --------------------------------------------------------------------------------


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v2/studies/{nct}",
        "/api/v2/studies/{nct}/versions",
        "/api/v2/studies/{nct}/versions/{version_id}",
        "/api/v2/studies/{nct}/changes",
    ):
        assert path in paths, path
        responses = paths[path]["get"]["responses"]
        assert responses["404"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorEnvelope"
        }
        assert "422" in responses
    assert not any(p.startswith("/trials") for p in paths)  # pages are not API
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert orjson.loads(client.get("/openapi.json").content)["info"]["title"] == "trialscope"
