"""The fake CT.gov server itself, over real HTTP: paging, filters, aliases, history, bulk, faults,
the control API."""

from __future__ import annotations

import contextlib
import gzip
import io
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import CTGOV, needs_corpus
from tests.ctgov_server.fixture import ServerHandle, ctgov_server, running_server  # noqa: F401
from trialscope.errors import RecordError
from trialscope.formats.legacy_xml import legacy_xml_to_v2

pytestmark = needs_corpus

STUDIES = "/api/v2/studies"


@pytest.fixture
def server(ctgov_server: ServerHandle) -> Iterator[ServerHandle]:  # noqa: F811
    ctgov_server.reset()
    yield ctgov_server
    ctgov_server.reset()


@pytest.fixture
def api(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.root, timeout=30) as client:
        yield client


def nct(study: dict[str, Any]) -> str:
    value: str = study["protocolSection"]["identificationModule"]["nctId"]
    return value


def walk(api: httpx.Client, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every study a query matches, following tokens; and the pages as received."""
    pages: list[dict[str, Any]] = []
    token = None
    while True:
        query = {**params, **({"pageToken": token} if token else {})}
        response = api.get(STUDIES, params=query)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        token = pages[-1].get("nextPageToken")
        if not token:
            return [s for p in pages for s in p["studies"]], pages


@pytest.fixture(scope="module")
def everything(ctgov_server: ServerHandle) -> list[dict[str, Any]]:  # noqa: F811
    ctgov_server.reset()
    with httpx.Client(base_url=ctgov_server.root, timeout=30) as client:
        return walk(client, pageSize=1000)[0]


def error_message(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    message: str = response.json()["message"]
    return message


# -- paging ------------------------------------------------------------------------------


def test_paging_walks_every_record_once(api: httpx.Client, server: ServerHandle) -> None:
    studies, pages = walk(api, pageSize=200)
    ids = [nct(s) for s in studies]
    assert ids == sorted(set(ids)), "each study once, in NCT id order"
    assert len(ids) == server.info()["studies"] > 1900
    assert all("nextPageToken" in p for p in pages[:-1]) and "nextPageToken" not in pages[-1]
    assert [len(p["studies"]) for p in pages[:-1]] == [200] * (len(pages) - 1)
    # the default page is 10, and more than 1000 is coerced down to 1000
    assert len(api.get(STUDIES).json()["studies"]) == 10
    assert len(api.get(STUDIES, params={"pageSize": 5000}).json()["studies"]) == 1000


def test_count_total_only_when_asked_and_on_the_first_page(api: httpx.Client) -> None:
    first = api.get(STUDIES, params={"query.cond": "asthma", "countTotal": "true"}).json()
    studies, _ = walk(api, **{"query.cond": "asthma", "pageSize": 1000})
    assert first["totalCount"] == len(studies) > 10
    assert "totalCount" not in api.get(STUDIES, params={"query.cond": "asthma"}).json()
    # countTotal and pageSize may change between pages; the count is not repeated
    second = api.get(
        STUDIES,
        params={
            "query.cond": "asthma",
            "countTotal": "true",
            "pageSize": 3,
            "pageToken": first["nextPageToken"],
        },
    ).json()
    assert "totalCount" not in second
    assert [nct(s) for s in second["studies"]] == [nct(s) for s in studies[10:13]]


def test_a_follow_up_page_must_repeat_the_parameters(api: httpx.Client) -> None:
    token = api.get(STUDIES, params={"query.cond": "cancer"}).json()["nextPageToken"]
    for changed in ({"query.cond": "asthma"}, {}, {"query.cond": "cancer", "format": "json"}):
        message = error_message(api.get(STUDIES, params={**changed, "pageToken": token}), 400)
        assert "repeat" in message
    assert "pageToken" in error_message(api.get(STUDIES, params={"pageToken": "@@"}), 400)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"pageSize": "-1"}, "negative"),
        ({"pageSize": "ten"}, "integer"),
        ({"countTotal": "yes"}, "countTotal"),
        ({"format": "csv"}, "json only"),
        ({"filter.overallStatus": "RECRUTING"}, "RECRUTING"),
        ({"filter.ids": "NCT1234567890"}, "NCT id"),
        ({"query.bogus": "x"}, "unknown parameter"),
        ({"sort": "LastUpdatePostDate"}, "not supported"),
        ({"query.term": "AREA[Phase]PHASE2"}, "not supported"),
        ({"query.cond": "asthma OR copd"}, "not supported"),
        ({"query.term": "AREA[LastUpdatePostDate]RANGE[yesterday,MAX]"}, "RANGE bound"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(
    api: httpx.Client, params: dict[str, str], words: str
) -> None:
    assert words in error_message(api.get(STUDIES, params=params), 400)


# -- queries and filters -----------------------------------------------------------------


def _date(study: dict[str, Any]) -> str | None:
    struct = study["protocolSection"].get("statusModule", {}).get("lastUpdatePostDateStruct")
    return struct["date"] if struct else None


@pytest.mark.parametrize(
    ("expression", "low", "high"),
    [
        ("AREA[LastUpdatePostDate]RANGE[2024-06-01,MAX]", "2024-06-01", "9999"),
        ("AREA[LastUpdatePostDate]RANGE[MIN, 2015-12-31]", "0000", "2015-12-31"),
        ("AREA[LastUpdatePostDate]RANGE[2020-01-01,2020-12-31]", "2020-01-01", "2020-12-31"),
    ],
)
def test_last_update_post_date_range(
    api: httpx.Client,
    everything: list[dict[str, Any]],
    expression: str,
    low: str,
    high: str,
) -> None:
    expected = [nct(s) for s in everything if low <= (_date(s) or "-") <= high]
    assert expected, "the corpus has studies in every window"
    for params in ({"query.term": expression}, {"filter.advanced": expression}):
        found, _ = walk(api, pageSize=1000, **params)
        assert [nct(s) for s in found] == expected
    # combined with text by AND
    found, _ = walk(api, pageSize=1000, **{"query.term": f"{expression} AND cancer"})
    assert 0 < len(found) < len(expected)
    assert all("cancer" in orjson.dumps(s).decode().lower() for s in found)


def test_text_queries_and_status_filter(
    api: httpx.Client, everything: list[dict[str, Any]]
) -> None:
    def conditions(study: dict[str, Any]) -> str:
        module = study["protocolSection"].get("conditionsModule", {})
        return " ".join(module.get("conditions", []) + module.get("keywords", [])).lower()

    found, _ = walk(api, pageSize=1000, **{"query.cond": "ASTHMA"})
    assert [nct(s) for s in found] == [nct(s) for s in everything if "asthma" in conditions(s)]
    statuses = {"RECRUITING", "COMPLETED"}
    for value in ("RECRUITING|COMPLETED", "RECRUITING,COMPLETED"):
        found, _ = walk(
            api, pageSize=1000, **{"query.cond": "asthma", "filter.overallStatus": value}
        )
        assert found and {s["protocolSection"]["statusModule"]["overallStatus"] for s in found} <= (
            statuses
        )
    locn, _ = walk(api, pageSize=1000, **{"query.locn": "bangalore"})
    assert locn and all("bangalore" in orjson.dumps(s).decode().lower() for s in locn)


def test_filter_ids(api: httpx.Client, everything: list[dict[str, Any]]) -> None:
    wanted = sorted(nct(s) for s in everything[5:8])
    for value in ("|".join(wanted), ",".join(wanted), ",".join(w.lower() for w in wanted)):
        page = api.get(STUDIES, params={"filter.ids": value}).json()
        assert [nct(s) for s in page["studies"]] == wanted
    # ids are also looked up among aliases (NCT05712863 is an alias of NCT03103880)
    page = api.get(STUDIES, params={"filter.ids": "NCT05712863"}).json()
    assert [nct(s) for s in page["studies"]] == ["NCT03103880"]


# -- single studies ----------------------------------------------------------------------


def test_single_study_is_the_exact_record(api: httpx.Client) -> None:
    page = api.get(STUDIES, params={"filter.ids": "NCT03103880"})
    one = api.get(f"{STUDIES}/NCT03103880")
    assert one.status_code == 200 and one.headers["content-type"] == "application/json"
    assert one.content in page.content, "the record's own bytes, in both answers"
    assert nct(one.json()) == "NCT03103880"


def test_alias_redirects_and_unknown_is_404(api: httpx.Client, server: ServerHandle) -> None:
    moved = api.get(f"{STUDIES}/NCT05712863")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{STUDIES}/NCT03103880"
    followed = api.get(f"{STUDIES}/NCT05712863", follow_redirects=True)
    assert followed.status_code == 200 and nct(followed.json()) == "NCT03103880"
    assert "NCT99999999" in error_message(api.get(f"{STUDIES}/NCT99999999"), 404)
    server.add_alias("NCT99999999", "NCT03103880")
    assert api.get(f"{STUDIES}/NCT99999999").headers["location"] == f"{STUDIES}/NCT03103880"


# -- history -----------------------------------------------------------------------------


def _legacy_versions(nct_id: str) -> list[dict[str, Any]]:
    mapped = []
    with gzip.open(CTGOV / "legacy_xml" / "ctti-clinicaltrials__aact.jsonl.gz", "rb") as lines:
        for line in lines:
            wrapper = orjson.loads(line)
            if wrapper["nct_id"] == nct_id:
                with contextlib.suppress(RecordError):  # the one malformed AACT record
                    mapped.append(legacy_xml_to_v2(wrapper["xml"]))
    return mapped


def test_history_lists_versions_and_serves_each(api: httpx.Client, server: ServerHandle) -> None:
    counts: dict[str, int] = server.info()["history"]
    nct_id = max(counts, key=lambda k: (counts[k], k))
    changes = api.get(f"/api/int/studies/{nct_id}", params={"history": "true"}).json()
    changes = changes["history"]["changes"]
    assert [c["version"] for c in changes] == list(range(counts[nct_id])) and len(changes) >= 5
    assert [c["date"] for c in changes] == sorted(c["date"] for c in changes)
    legacy = _legacy_versions(nct_id)
    bodies = []
    for change in changes:
        study = api.get(f"/api/int/studies/{nct_id}/history/{change['version']}").json()["study"]
        status = study["protocolSection"]["statusModule"]
        assert change["date"] == status["lastUpdatePostDateStruct"]["date"]
        assert change["status"] == status["overallStatus"]
        assert study in legacy, "each version is a mapped legacy record"
        bodies.append(study)
    assert all(m in bodies for m in legacy), "every distinct legacy record is a version"
    # the latest version is what the public API serves
    assert api.get(f"{STUDIES}/{nct_id}").json() == bodies[-1]
    assert api.get(f"/api/int/studies/{nct_id}/history/{len(changes)}").status_code == 404


def test_history_of_a_trial_without_versions_and_of_an_unknown_one(api: httpx.Client) -> None:
    none = api.get("/api/int/studies/NCT03103880", params={"history": "true"}).json()
    assert none == {"history": {"changes": []}}
    assert api.get("/api/int/studies/NCT99999999", params={"history": "true"}).status_code == 404


# -- bulk --------------------------------------------------------------------------------

DOWNLOAD = "/api/int/studies/download"


def test_bulk_zip_is_chunked_and_resumable(api: httpx.Client, server: ServerHandle) -> None:
    full = api.get(DOWNLOAD, params={"format": "json.zip"})
    assert full.status_code == 200 and "content-length" not in full.headers
    assert full.headers["transfer-encoding"] == "chunked"
    assert 'filename="ctg-studies.json.zip"' in full.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(full.content)) as archive:
        names = archive.namelist()
        assert len(names) == server.info()["studies"]
        for name in names[::50]:
            assert nct(orjson.loads(archive.read(name))) + ".json" == name
    tail = api.get(DOWNLOAD, params={"format": "json.zip"}, headers={"Range": "bytes=1000-"})
    assert tail.status_code == 206 and tail.content == full.content[1000:]
    size = len(full.content)
    assert tail.headers["content-range"] == f"bytes 1000-{size - 1}/{size}"
    head = api.head(DOWNLOAD, params={"format": "json.zip"})
    assert head.status_code == 200 and head.content == b"" and "content-length" not in head.headers
    beyond = api.get(DOWNLOAD, params={"format": "json.zip"}, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416


# -- faults ------------------------------------------------------------------------------


def test_error_faults(api: httpx.Client, server: ServerHandle) -> None:
    server.add_fault("429", match=STUDIES, retry_after=2)
    server.add_fault("500", match=STUDIES)
    server.add_fault("503", match=STUDIES)
    too_many, failed, unavailable, fine = (api.get(STUDIES) for _ in range(4))
    assert too_many.status_code == 429 and too_many.headers["retry-after"] == "2"
    assert (failed.status_code, unavailable.status_code, fine.status_code) == (500, 503, 200)


def test_faults_are_consumed_in_order_and_only_where_they_match(
    api: httpx.Client, server: ServerHandle
) -> None:
    server.add_fault("pass", match=STUDIES, times=1)
    server.add_fault("500", match=STUDIES, times=2)
    server.add_fault("503", match="/api/int")
    assert api.get("/api/v2/version").status_code == 200
    assert [api.get(STUDIES).status_code for _ in range(4)] == [200, 500, 500, 200]
    assert api.get("/api/int/studies/NCT03103880").status_code == 503
    assert server.faults() == []


def test_slow_html_and_truncate(api: httpx.Client, server: ServerHandle) -> None:
    whole = api.get(STUDIES).content
    server.add_fault("slow", match=STUDIES, delay=0.4)
    started = time.monotonic()
    assert api.get(STUDIES).content == whole and time.monotonic() - started >= 0.4
    server.add_fault("html", match=STUDIES)
    html = api.get(STUDIES)
    assert html.status_code == 200 and html.headers["content-type"] == "application/json"
    assert html.text.startswith("<!DOCTYPE html>")
    server.add_fault("truncate", match=STUDIES)
    cut = api.get(STUDIES)
    assert cut.status_code == 200 and cut.content == whole[: len(whole) // 2]
    assert cut.headers["content-length"] == str(len(cut.content))
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(cut.content)


def test_drop_breaks_the_connection_mid_body(api: httpx.Client, server: ServerHandle) -> None:
    server.add_fault("drop", match=STUDIES)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.get(STUDIES, params={"pageSize": 100})
    server.add_fault("drop", match=DOWNLOAD)
    received = bytearray()
    with (
        pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)),
        api.stream("GET", DOWNLOAD, params={"format": "json.zip"}) as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            received += chunk
    assert received, "part of the zip came before the drop"
    rest = api.get(
        DOWNLOAD, params={"format": "json.zip"}, headers={"Range": f"bytes={len(received)}-"}
    )
    with zipfile.ZipFile(io.BytesIO(bytes(received) + rest.content)) as archive:
        assert archive.testzip() is None, "resumed after the drop, the zip is whole"
    assert api.get(STUDIES).status_code == 200, "the server itself is fine"


# -- control -----------------------------------------------------------------------------


def test_log_records_api_requests(api: httpx.Client, server: ServerHandle) -> None:
    server.add_fault("503", match=STUDIES)
    api.get(STUDIES, params={"query.cond": "asthma", "pageSize": 5})
    api.get(STUDIES, params={"query.cond": "asthma", "pageSize": 5})
    api.get(f"{STUDIES}/NCT99999999")
    log = server.log()
    assert [(e["method"], e["path"], e["status"], e["fault"]) for e in log] == [
        ("GET", STUDIES, 503, "503"),
        ("GET", STUDIES, 200, None),
        ("GET", f"{STUDIES}/NCT99999999", 404, None),
    ]
    assert log[0]["params"] == {"query.cond": "asthma", "pageSize": "5"}
    assert log[0]["time"] <= log[1]["time"] and "user-agent" in log[0]["headers"]
    server.clear_log()
    assert server.log() == []


def test_put_changes_what_is_served_and_reset_restores(
    api: httpx.Client, server: ServerHandle
) -> None:
    original = api.get(f"{STUDIES}/NCT03103880").json()
    changed = orjson.loads(orjson.dumps(original))
    status = changed["protocolSection"]["statusModule"]
    status["overallStatus"] = "TERMINATED"
    status["lastUpdatePostDateStruct"] = {"date": "2026-11-20", "type": "ACTUAL"}
    assert server.put_study(changed) is False
    assert api.get(f"{STUDIES}/NCT03103880").json() == changed
    recent = api.get(
        STUDIES, params={"query.term": "AREA[LastUpdatePostDate]RANGE[2026-11-20,MAX]"}
    ).json()
    assert [nct(s) for s in recent["studies"]] == ["NCT03103880"]
    # a new trial, an alias and a fault: reset undoes them all
    new = orjson.loads(orjson.dumps(changed))
    new["protocolSection"]["identificationModule"]["nctId"] = "NCT99999998"
    assert server.put_study(new) is True
    server.add_alias("NCT99999997", "NCT99999998")
    server.add_fault("500", match="/nowhere")
    count = server.info()["studies"]
    server.reset()
    assert server.info()["studies"] == count - 1 and server.faults() == []
    assert api.get(f"{STUDIES}/NCT03103880").json() == original
    assert api.get(f"{STUDIES}/NCT99999997").status_code == 404
    wrong = server.control.put("/studies/NCT00000001", content=orjson.dumps(changed))
    assert "is not NCT00000001" in error_message(wrong, 400)


def test_records_and_limit_options() -> None:
    source = CTGOV / "v2" / "Jinash-Rouniyar__trial-match-ai.jsonl"
    ids = sorted({nct(orjson.loads(line)) for line in source.read_bytes().splitlines()})
    with running_server(records=[source], limit=4, history=None) as small:
        page = httpx.get(f"{small.base_url}/studies", params={"countTotal": "true"}).json()
        assert page["totalCount"] == 4 and [nct(s) for s in page["studies"]] == ids[:4]
        assert small.info()["history"] == {}
