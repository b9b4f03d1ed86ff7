"""The JSON API in process on a real store: one study, versions, changes, the error
envelope and the OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from tests.conftest import Backend, needs_corpus
from tests.webapp import SEED, TestClient, build_db, client_for
from trialscope.store import Store, open_store

pytestmark = needs_corpus


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> str:
    return build_db(tmp_path_factory.mktemp("api"), backend)


@pytest.fixture(scope="module")
def client(db: str) -> Iterator[TestClient]:
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


def test_study_is_the_stored_json_byte_for_byte(client: TestClient, db: str) -> None:
    response = client.get(f"/api/v2/studies/{SEED}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with open_store(db) as store:
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
    assert [v["source_format"] for v in versions] == ["ctgov_legacy_xml", "ctgov_v2"]
    assert {"version_id", "content_hash", "first_seen", "last_seen", "partial"} <= set(versions[0])
    first = client.get(f"/api/v2/studies/{SEED}/versions/{versions[0]['version_id']}")
    assert first.status_code == 200
    assert first.json()["protocolSection"]["statusModule"]["overallStatus"] == "RECRUITING"


def test_version_of_another_study_is_not_found(client: TestClient) -> None:
    versions = client.get(f"/api/v2/studies/{SEED}/versions").json()["versions"]
    response = client.get(f"/api/v2/studies/NCT99999901/versions/{versions[0]['version_id']}")
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
    assert status["ct_date"] == "2020-06-04"
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


def test_unexpected_failure_is_a_500_envelope(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from trialscope.web.app import Backend

    def broken(self: Backend) -> Store:
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


# -- search: CT.gov API v2 /studies ----------------------------------------------------------


def studies(client: TestClient, **params: object) -> dict[str, object]:
    response = client.get("/api/v2/studies", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, object] = response.json()
    return body


def ids_of(body: dict[str, object]) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in body["studies"]]  # type: ignore[index, union-attr]


def leaf(study: dict[str, object], *path: str) -> object:
    node: object = study
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None  # type: ignore[assignment]
    return node


def test_search_answers_in_the_ctgov_shape(client: TestClient, db: str) -> None:
    body = studies(client, **{"query.cond": "colon cancer", "countTotal": "true"})
    assert set(body) <= {"studies", "nextPageToken", "totalCount"}
    assert isinstance(body["totalCount"], int) and body["totalCount"] >= 1
    assert SEED in ids_of(body)[:3]
    seed = next(
        s
        for s in body["studies"]
        if leaf(s, "protocolSection", "identificationModule", "nctId") == SEED
    )  # type: ignore[union-attr, arg-type]
    with open_store(db) as store:
        assert seed == orjson.loads(store.study_bytes(SEED))  # the stored JSON, whole
    assert "totalCount" not in studies(client, **{"query.cond": "colon cancer"})


def test_paging_follows_next_page_token_to_the_end(client: TestClient) -> None:
    params = {"filter.overallStatus": "RECRUITING|NOT_YET_RECRUITING", "pageSize": "7"}
    first = studies(client, **params, countTotal="true")
    total = first["totalCount"]
    assert isinstance(total, int) and total > 14
    seen = ids_of(first)
    token = first.get("nextPageToken")
    pages = 1
    while token:
        page = studies(client, **params, pageToken=token)
        again = studies(client, **params, pageToken=token)
        assert again == page  # a token is repeatable
        seen += ids_of(page)
        token = page.get("nextPageToken")
        pages += 1
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // 7)


def test_page_token_of_another_search_is_refused(client: TestClient) -> None:
    token = studies(client, **{"query.cond": "cancer", "pageSize": "2"})["nextPageToken"]
    response = client.get(
        "/api/v2/studies", params={"query.cond": "asthma", "pageSize": "2", "pageToken": token}
    )
    assert_envelope(response, 400, "bad_parameter")
    garbage = client.get("/api/v2/studies", params={"pageToken": "not-a-token"})
    assert_envelope(garbage, 400, "bad_parameter")


def test_status_ids_and_fields_filters(client: TestClient) -> None:
    body = studies(
        client, **{"filter.overallStatus": "RECRUITING", "fields": "NCTId,OverallStatus"}
    )
    assert body["studies"]
    for study in body["studies"]:  # type: ignore[attr-defined]
        assert study == {
            "protocolSection": {
                "identificationModule": {
                    "nctId": study["protocolSection"]["identificationModule"]["nctId"]
                },
                "statusModule": {"overallStatus": "RECRUITING"},
            }
        }
    picked = studies(client, **{"filter.ids": f"{SEED},NCT99999901", "fields": "NCTId"})
    assert sorted(ids_of(picked)) == [SEED, "NCT99999901"]


def test_geo_filter_counts_sites_within_the_radius(client: TestClient) -> None:
    shanghai = studies(client, **{"filter.geo": "distance(31.23,121.47,50mi)", "pageSize": "100"})
    assert SEED in ids_of(shanghai)
    lyon = studies(client, **{"filter.geo": "distance(45.76,4.84,50km)", "pageSize": "100"})
    assert SEED not in ids_of(lyon)
    assert_envelope(
        client.get("/api/v2/studies", params={"filter.geo": "distance(95,0,5mi)"}),
        400,
        "bad_parameter",
    )
    assert_envelope(
        client.get("/api/v2/studies", params={"filter.geo": "near(1,2)"}), 400, "bad_parameter"
    )


def test_advanced_area_and_ranges(client: TestClient) -> None:
    phase3 = studies(client, **{"filter.advanced": "AREA[Phase]PHASE3", "pageSize": "100"})
    assert phase3["studies"]
    for study in phase3["studies"]:  # type: ignore[attr-defined]
        assert "PHASE3" in leaf(study, "protocolSection", "designModule", "phases")  # type: ignore[operator]
    since = studies(
        client,
        **{"filter.advanced": "AREA[LastUpdatePostDate]RANGE[2024-01-01,MAX]", "pageSize": "100"},
    )
    dates = [
        leaf(s, "protocolSection", "statusModule", "lastUpdatePostDateStruct", "date")
        for s in since["studies"]  # type: ignore[attr-defined]
    ]
    assert dates and all(str(d) >= "2024-01-01" for d in dates)
    started = studies(
        client,
        **{"filter.advanced": "AREA[StartDate]RANGE[2019-01, 2020-12-31]", "pageSize": "100"},
    )
    starts = [
        str(leaf(s, "protocolSection", "statusModule", "startDateStruct", "date"))
        for s in started["studies"]  # type: ignore[attr-defined]
    ]
    assert starts and all("2019-01" <= d <= "2020-12-31" for d in starts)
    assert SEED in ids_of(started)  # started 2020-04-01


def _years(text: object) -> float | None:
    from trialscope.record import age_in_years

    return age_in_years(text if isinstance(text, str) else None)


def test_patient_age_through_minimum_and_maximum_age_ranges(client: TestClient) -> None:
    expression = "AREA[MinimumAge]RANGE[MIN, 62 years] AND AREA[MaximumAge]RANGE[62 years, MAX]"
    body = studies(client, **{"filter.advanced": expression, "pageSize": "1000"})
    everything = studies(client, pageSize="1000")
    assert 0 < len(body["studies"]) < len(everything["studies"])  # type: ignore[arg-type]
    for study in body["studies"]:  # type: ignore[attr-defined]
        low = _years(leaf(study, "protocolSection", "eligibilityModule", "minimumAge"))
        high = _years(leaf(study, "protocolSection", "eligibilityModule", "maximumAge"))
        assert (low is None or low <= 62) and (high is None or high >= 62)
    # a range the index cannot run alone is checked study by study
    children = studies(
        client,
        **{"filter.advanced": "AREA[MinimumAge]RANGE[MIN, 17 years]", "pageSize": "1000"},
    )
    assert children["studies"]
    for study in children["studies"]:  # type: ignore[attr-defined]
        low = _years(leaf(study, "protocolSection", "eligibilityModule", "minimumAge"))
        assert low is None or low <= 17


def test_checked_filters_page_and_count_like_the_others(client: TestClient) -> None:
    params = {"filter.advanced": "AREA[EnrollmentCount]RANGE[100, 500]", "pageSize": "9"}
    first = studies(client, **params, countTotal="true")
    seen = ids_of(first)
    token = first.get("nextPageToken")
    while token:
        page = studies(client, **params, pageToken=token)
        seen += ids_of(page)
        token = page.get("nextPageToken")
    assert len(seen) == len(set(seen)) == first["totalCount"]
    counts = studies(client, **{**params, "pageSize": "1000", "fields": "EnrollmentCount"})
    assert counts["studies"]
    for study in counts["studies"]:  # type: ignore[attr-defined]
        assert (
            100 <= leaf(study, "protocolSection", "designModule", "enrollmentInfo", "count") <= 500
        )  # type: ignore[operator]
    none = studies(
        client,
        **{
            "filter.advanced": "NOT AREA[OverallStatus]RECRUITING AND AREA[OverallStatus]RECRUITING"
        },
    )
    assert none["studies"] == []


def test_query_term_takes_expressions_as_the_sync_client_sends_them(client: TestClient) -> None:
    body = studies(
        client,
        **{
            "query.term": "AREA[LastUpdatePostDate]RANGE[2020-06-01,MAX] resection",
            "filter.ids": SEED,
        },
    )
    assert ids_of(body) == [SEED]


def test_sort_by_last_update(client: TestClient) -> None:
    body = studies(
        client, sort="LastUpdatePostDate:desc", pageSize="50", fields="LastUpdatePostDate"
    )
    dates = [
        str(leaf(s, "protocolSection", "statusModule", "lastUpdatePostDateStruct", "date"))
        for s in body["studies"]  # type: ignore[attr-defined]
    ]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"query.nope": "x"}, 400, "bad_parameter"),
        ({"filter.overallStatus": "OPEN"}, 400, "bad_parameter"),
        ({"filter.ids": "NCT123"}, 400, "bad_parameter"),
        ({"filter.advanced": "AREA[Nope]x"}, 400, "bad_parameter"),
        ({"filter.advanced": "AREA[Phase](PHASE2 OR"}, 400, "bad_parameter"),
        ({"filter.advanced": "AREA[MinimumAge]RANGE[MIN, old]"}, 400, "bad_parameter"),
        ({"filter.advanced": "AREA[StartDate]RANGE[soon, MAX]"}, 400, "bad_parameter"),
        ({"filter.advanced": "NOT asthma"}, 400, "bad_parameter"),
        ({"sort": "BriefTitle"}, 400, "bad_parameter"),
        ({"sort": "@distance"}, 400, "bad_parameter"),
        ({"fields": "Nope"}, 400, "bad_parameter"),
        ({"pageSize": "0"}, 422, "validation_error"),
        ({"pageSize": "1001"}, 422, "validation_error"),
        ({"countTotal": "maybe"}, 422, "validation_error"),
        ({"format": "csv"}, 422, "validation_error"),
    ],
)
def test_bad_search_parameters(
    client: TestClient, params: dict[str, str], status: int, code: str
) -> None:
    error = assert_envelope(client.get("/api/v2/studies", params=params), status, code)
    if status == 400:
        assert error["hint"]
