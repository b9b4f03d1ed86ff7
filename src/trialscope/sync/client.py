"""A polite, fault-tolerant HTTP client for the ClinicalTrials.gov API v2.

CT.gov documents no rate limit, but its robots.txt asks for one request a
second and third-party clients report 429s above about 50 a minute, so requests
are spaced (``rate`` per second, 0 = unlimited). Transient failures are retried
with exponential backoff and full jitter: 429 (honouring ``Retry-After``), 5xx,
timeouts, connection resets, a body cut short, and the HTML error pages CT.gov
sometimes serves with a JSON content type. After the last attempt a
:class:`~trialscope.errors.FetchError` names the URL and what happened.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from trialscope import __version__
from trialscope.errors import FetchError, StudyGone

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"trialscope/{__version__} (+https://github.com/trialscope; polite mirror)"


@dataclass
class Politeness:
    """How hard to push: requests per second, retries and their backoff."""

    rate: float = 1.0
    retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    timeout: float = 30.0


@dataclass(frozen=True)
class Fetched:
    """A JSON answer: the parsed value, its bytes, and the URL that finally answered."""

    url: str
    value: Any
    raw: bytes
    redirected_from: tuple[str, ...] = ()


class _Retry(Exception):
    """A transient failure: try again after ``wait`` seconds (None = backoff)."""

    def __init__(self, problem: str, wait: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait = wait


def internal_base(base_url: str) -> str:
    """``.../api/v2`` → ``.../api/int``: where the website's history and download live."""
    root = base_url.rstrip("/")
    return root[: -len("/v2")] + "/int" if root.endswith("/v2") else root + "/int"


def request_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    parsed = email.utils.parsedate_to_datetime(value)
    if parsed is None:
        return None
    return max(0.0, (parsed - datetime.now(UTC)).total_seconds())


@dataclass
class CtgovClient:
    """GETs against CT.gov with spacing and retries; use as a context manager."""

    base_url: str = DEFAULT_BASE_URL
    politeness: Politeness = field(default_factory=Politeness)
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    _last_request: float = field(default=0.0, init=False)
    _http: httpx.Client | None = field(default=None, init=False)
    _turn: threading.Lock = field(default_factory=threading.Lock, init=False)
    #: requests actually sent, for summaries and tests
    requests_sent: int = field(default=0, init=False)

    def __enter__(self) -> CtgovClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                timeout=self.politeness.timeout,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                transport=self.transport,
                follow_redirects=True,
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- spacing and retrying ------------------------------------------------------

    def _space(self) -> None:
        """Wait for this request's turn; a lock keeps the spacing with a prefetching thread."""
        with self._turn:
            if self.politeness.rate > 0:
                gap = 1.0 / self.politeness.rate - (time.monotonic() - self._last_request)
                if gap > 0:
                    self.sleep(gap)
            self._last_request = time.monotonic()
            self.requests_sent += 1

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.politeness.max_backoff, self.politeness.backoff * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)

    def _attempts(self, url: str, once: Callable[[], Any]) -> Any:
        last = "no attempt made"
        attempts = self.politeness.retries + 1
        for attempt in range(attempts):
            self._space()
            try:
                return once()
            except _Retry as retry:
                last = retry.problem
                if attempt + 1 < attempts:
                    wait = retry.wait if retry.wait is not None else self._backoff(attempt)
                    self.sleep(min(wait, self.politeness.max_backoff))
            except httpx.TimeoutException as exc:
                last = f"timed out ({type(exc).__name__})"
                if attempt + 1 < attempts:
                    self.sleep(self._backoff(attempt))
            except httpx.TransportError as exc:
                last = f"connection failed: {exc or type(exc).__name__}"
                if attempt + 1 < attempts:
                    self.sleep(self._backoff(attempt))
        raise FetchError(
            url,
            last,
            attempts=attempts,
            hint="The work done so far is kept; run the same command again to resume.",
        )

    # -- JSON ----------------------------------------------------------------------

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Fetched:
        """GET a JSON document, retrying transient failures."""
        shown = request_url(url, params)

        def once() -> Fetched:
            response = self.http.get(url, params=dict(params or {}))
            if response.status_code in RETRY_STATUSES:
                wait = _retry_after(response.headers.get("Retry-After"))
                raise _Retry(f"HTTP {response.status_code}", wait)
            if response.status_code == 404:
                raise StudyGone(shown, "HTTP 404: not found on CT.gov")
            if response.status_code >= 400:
                raise FetchError(shown, f"HTTP {response.status_code}: {_message(response)}")
            body = response.content
            if body.lstrip()[:1] == b"<":
                raise _Retry("got an HTML page instead of JSON")
            try:
                value = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise _Retry(f"incomplete or malformed JSON body ({exc})") from exc
            history = tuple(str(r.url) for r in response.history)
            return Fetched(str(response.url), value, body, history)

        result: Fetched = self._attempts(shown, once)
        return result

    # -- API calls -----------------------------------------------------------------

    def pages(
        self, params: Mapping[str, Any], token: str | None = None
    ) -> Iterator[tuple[Fetched, str | None]]:
        """``/studies`` pages from ``token`` on, each with the token of the next one.

        Every follow-up request repeats the same parameters, as the API requires;
        ``countTotal`` is asked for on the first page only.
        """
        url = f"{self.base_url.rstrip('/')}/studies"
        while True:
            query = {**params, "pageSize": params.get("pageSize", 1000)}
            if token:
                query["pageToken"] = token
            else:
                query["countTotal"] = "true"
            page = self.get_json(url, query)
            token = page.value.get("nextPageToken") if isinstance(page.value, dict) else None
            yield page, token
            studies = page.value.get("studies") if isinstance(page.value, dict) else None
            if not token or not studies:
                return

    def study(self, nct_id: str) -> Fetched:
        """One study; a 301 from an alias id is followed and shows in ``redirected_from``."""
        return self.get_json(f"{self.base_url.rstrip('/')}/studies/{nct_id}")

    def history(self, nct_id: str) -> list[dict[str, Any]]:
        """The dated versions CT.gov lists for a study (``version`` counted from 0)."""
        url = f"{internal_base(self.base_url)}/studies/{nct_id}"
        found = self.get_json(url, {"history": "true"}).value
        changes = (found.get("history") or {}).get("changes") if isinstance(found, dict) else None
        return [c for c in changes or [] if isinstance(c, dict)]

    def history_version(self, nct_id: str, version: int) -> Fetched:
        return self.get_json(f"{internal_base(self.base_url)}/studies/{nct_id}/history/{version}")

    def download(
        self,
        url: str,
        target: Path,
        params: Mapping[str, Any] | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> Path:
        """Stream a file to ``target``, resuming a ``.part`` file with HTTP Range."""
        partial = target.with_name(target.name + ".part")
        shown = request_url(url, params)

        def once() -> Path:
            have = partial.stat().st_size if partial.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            with self.http.stream("GET", url, params=dict(params or {}), headers=headers) as r:
                if r.status_code in RETRY_STATUSES:
                    raise _Retry(
                        f"HTTP {r.status_code}", _retry_after(r.headers.get("Retry-After"))
                    )
                if r.status_code == 416:  # asked past the end: the part is whole already
                    partial.replace(target)
                    return target
                if r.status_code >= 400:
                    raise FetchError(shown, f"HTTP {r.status_code}")
                mode = "ab" if r.status_code == 206 else "wb"
                with open(partial, mode) as out:
                    for block in r.iter_bytes():  # as received: a drop keeps what came
                        out.write(block)
                        if on_bytes:
                            on_bytes(len(block))
            partial.replace(target)
            return target

        result: Path = self._attempts(shown, once)
        return result


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:300]
    return str(body)[:300]
