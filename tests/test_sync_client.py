"""The CT.gov client's politeness and fault handling, on httpx.MockTransport.

End-to-end behaviour against a real HTTP server is in test_sync_e2e.py; these
pin down each rule on its own, fast, with real records as payloads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import pytest

from tests.conftest import needs_corpus
from tests.corpus import nct_of, v2_records
from trialscope.errors import FetchError, StudyGone
from trialscope.sync.client import CtgovClient, Politeness, internal_base

BASE = "https://ctgov.test/api/v2"
Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, **politeness: float) -> tuple[CtgovClient, list[float]]:
    slept: list[float] = []
    settings = Politeness(rate=0, retries=3, backoff=0.5, timeout=5)
    for key, value in politeness.items():
        setattr(settings, key, value)
    made = CtgovClient(BASE, settings, transport=httpx.MockTransport(handler), sleep=slept.append)
    return made, slept


def scripted(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def ok(value: object) -> httpx.Response:
    return httpx.Response(
        200, content=orjson.dumps(value), headers={"Content-Type": "application/json"}
    )


def test_internal_base() -> None:
    assert (
        internal_base("https://clinicaltrials.gov/api/v2") == "https://clinicaltrials.gov/api/int"
    )
    assert internal_base("http://127.0.0.1:9/api/v2/") == "http://127.0.0.1:9/api/int"


@pytest.mark.parametrize(
    "fault",
    [
        httpx.Response(500),
        httpx.Response(503),
        httpx.Response(502),
        httpx.Response(
            200,
            content=b"<html><body>Service unavailable</body></html>",
            headers={"Content-Type": "application/json"},
        ),
        httpx.Response(
            200,
            content=b'{"studies": [{"protocolSection": {"identif',
            headers={"Content-Type": "application/json"},
        ),
        httpx.ConnectError("connection reset by peer"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    ],
    ids=["500", "503", "502", "html-as-json", "truncated", "reset", "timeout", "dropped"],
)
def test_transient_faults_are_retried_with_backoff(fault: httpx.Response | Exception) -> None:
    handler, seen = scripted(fault, ok({"studies": []}))
    made, slept = client(handler)
    assert made.get_json(f"{BASE}/studies").value == {"studies": []}
    assert len(seen) == 2
    # exponential backoff with jitter: the first wait lies in [backoff/2, backoff]
    assert len(slept) == 1 and 0.25 <= slept[0] <= 0.5


def test_429_honours_retry_after() -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": "7"}), ok({}))
    made, slept = client(handler)
    made.get_json(f"{BASE}/studies")
    assert slept == [7.0]


def test_backoff_doubles_and_is_capped() -> None:
    handler, seen = scripted(httpx.Response(503))
    made, slept = client(handler, retries=4, backoff=1, max_backoff=3)
    with pytest.raises(FetchError) as caught:
        made.get_json(f"{BASE}/studies", {"query.cond": "asthma"})
    assert len(seen) == 5
    assert [round(max(s, 0)) <= cap for s, cap in zip(slept, [1, 2, 3, 3], strict=True)] == [
        True
    ] * 4
    assert all(s >= cap / 2 for s, cap in zip(slept, [1, 2, 3, 3], strict=True))
    message = str(caught.value)
    assert (
        "query.cond=asthma" in message and "after 5 attempts" in message and "HTTP 503" in message
    )


def test_client_errors_are_not_retried() -> None:
    handler, seen = scripted(httpx.Response(400, json={"message": "bad pageToken"}))
    made, _ = client(handler)
    with pytest.raises(FetchError, match="HTTP 400: bad pageToken"):
        made.get_json(f"{BASE}/studies")
    assert len(seen) == 1


def test_requests_are_spaced_by_rate() -> None:
    handler, _ = scripted(ok({}))
    made, slept = client(handler, rate=2)
    for _ in range(3):
        made.get_json(f"{BASE}/version")
    assert len(slept) == 2 and all(0.3 < s <= 0.5 for s in slept)


@needs_corpus
def test_pages_repeat_parameters_and_follow_tokens() -> None:
    studies = v2_records(5)
    pages = {None: (studies[:2], "t1"), "t1": (studies[2:4], "t2"), "t2": (studies[4:], None)}

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("pageToken")
        chunk, following = pages[token]
        body: dict[str, object] = {"studies": chunk}
        if following:
            body["nextPageToken"] = following
        return ok(body)

    seen: list[httpx.Request] = []
    made, _ = client(lambda r: (seen.append(r), handler(r))[1])
    got = [
        nct_of(s) for page, _ in made.pages({"query.cond": "asthma"}) for s in page.value["studies"]
    ]
    assert got == [nct_of(s) for s in studies]
    assert [r.url.params.get("query.cond") for r in seen] == ["asthma"] * 3
    assert [r.url.params.get("pageSize") for r in seen] == ["1000"] * 3
    assert [r.url.params.get("countTotal") for r in seen] == ["true", None, None]


@needs_corpus
def test_alias_redirect_is_followed_and_reported() -> None:
    study = v2_records(1)[0]
    current = nct_of(study)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/NCT00000001"):
            return httpx.Response(301, headers={"Location": f"{BASE}/studies/{current}"})
        return ok(study)

    made, _ = client(handler)
    fetched = made.study("NCT00000001")
    assert fetched.value == study
    assert fetched.redirected_from == (f"{BASE}/studies/NCT00000001",)


def test_404_is_study_gone() -> None:
    handler, seen = scripted(httpx.Response(404, json={"message": "not found"}))
    made, _ = client(handler)
    with pytest.raises(StudyGone, match="NCT00000009"):
        made.study("NCT00000009")
    assert len(seen) == 1


def test_download_resumes_with_range(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 4000
    calls: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        wanted = request.headers.get("Range")
        calls.append(wanted)
        if wanted is None:  # first try: the connection drops after 300 kB
            return httpx.Response(200, stream=_Broken(payload[:300_000]))
        start = int(wanted.removeprefix("bytes=").removesuffix("-"))
        return httpx.Response(206, content=payload[start:])

    made, _ = client(handler)
    target = made.download(f"{BASE}/download", tmp_path / "bulk.zip")
    assert target.read_bytes() == payload
    assert calls == [None, "bytes=300000-"]
    assert not (tmp_path / "bulk.zip.part").exists()


class _Broken(httpx.SyncByteStream):
    def __init__(self, head: bytes) -> None:
        self.head = head

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield self.head
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body"
        )
