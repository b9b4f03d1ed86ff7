"""Run a sync: page through CT.gov, store each page with its checkpoint, summarise.

Each page's records and the checkpoint naming the next page are committed in
one transaction, so a sync killed at any moment resumes after the last stored
page, and since records are stored by content hash a page fetched twice adds
nothing. With ``history`` the checkpoint moves past a page only once the
dated versions of its studies are stored too.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from trialscope.derived import refresh_derived
from trialscope.errors import FetchError, RecordError, StudyGone
from trialscope.formats.detect import MappedRecord, SourceFormat, v2_snapshot
from trialscope.formats.sources import Chunk
from trialscope.pipeline import PreparePool, grouped, to_incoming
from trialscope.store import IncomingVersion, Outcome, QuarantinedRecord, Store
from trialscope.store.sqlite import utc_now
from trialscope.store.sync_state import Checkpoint
from trialscope.sync.client import CtgovClient, internal_base, request_url
from trialscope.sync.selection import Selection, incremental_start

T = TypeVar("T")


@dataclass
class SyncProgress:
    pages: int
    records: int
    total: int | None


@dataclass
class SyncSummary:
    profile: str
    run_id: int
    status: str = "completed"
    resumed: bool = False
    pages: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    top_fields: list[tuple[str, int]] = field(default_factory=list)
    watermark_before: str | None = None
    watermark_after: str | None = None
    requests: int = 0
    history_versions: int = 0
    aliases: list[tuple[str, str]] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    error: str | None = None
    #: wall seconds of each stage after the fetch: criteria, match views, and (added by
    #: the shell's refresh) index, related, tantivy
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(self.counts[o.value] for o in Outcome)

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "run_id": self.run_id,
            "status": self.status,
            "resumed": self.resumed,
            "pages": self.pages,
            "records": self.records,
            "new": self.counts["new"],
            "changed": self.counts["changed"],
            "history": self.counts["history"],
            "unchanged": self.counts["unchanged"],
            "quarantined": self.counts["quarantined"],
            "history_versions": self.history_versions,
            "top_changed_fields": dict(self.top_fields),
            "watermark_before": self.watermark_before,
            "watermark_after": self.watermark_after,
            "requests": self.requests,
            "aliases": dict(self.aliases),
            "not_found": self.not_found,
            "elapsed_seconds": round(self.elapsed, 3),
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "error": self.error,
        }


def _lupd(study: dict[str, Any]) -> str | None:
    status = (study.get("protocolSection") or {}).get("statusModule") or {}
    value = (status.get("lastUpdatePostDateStruct") or {}).get("date")
    return value if isinstance(value, str) else None


def _prepare(
    studies: Iterable[Any], source: str, snapshot: str | None = None
) -> tuple[list[IncomingVersion], list[QuarantinedRecord], str | None]:
    """Page studies → store records, quarantine entries, and the newest update date."""
    records: list[IncomingVersion] = []
    problems: list[QuarantinedRecord] = []
    newest: str | None = None
    for index, study in enumerate(studies):
        where = f"[{index}]"
        if not isinstance(study, dict) or "protocolSection" not in study:
            problems.append(QuarantinedRecord(source, where, "not a v2 study", orjson.dumps(study)))
            continue
        # A page's record says which day CT.gov produced it; without that it would sort
        # before a same-date history version and the chain would end on the older one.
        day = snapshot or v2_snapshot(study)
        mapped = MappedRecord(SourceFormat.V2, study, where, snapshot_date=day)
        try:
            records.append(to_incoming(mapped, f"{source}{where}"))
        except RecordError as exc:
            problems.append(QuarantinedRecord(source, where, exc.message, orjson.dumps(study)))
            continue
        updated = _lupd(study)
        if updated and (newest is None or updated > newest):
            newest = updated
    return records, problems, newest


class SyncRunner:
    """One sync of one profile against one client."""

    def __init__(
        self,
        store: Store,
        client: CtgovClient,
        profile: str,
        selection: Selection,
        *,
        history: bool = False,
        full: bool = False,
        page_size: int = 1000,
        workers: int = 1,
        on_progress: Callable[[SyncProgress], None] | None = None,
        derive_views: bool = True,
    ) -> None:
        self.store = store
        #: False: the match views are left to the caller (``derived.views_beside``)
        self.derive_views = derive_views
        self.client = client
        self.profile = profile
        self.selection = selection
        self.history = history
        self.full = full
        self.page_size = page_size
        self.workers = workers
        self.on_progress = on_progress
        self._pool = PreparePool(1)

    # -- planning (also what --dry-run prints) ---------------------------------------------

    def request(self) -> dict[str, str]:
        """The parameters this run sends: the selection, plus the incremental window."""
        saved = self.store.profile(self.profile)
        watermark = None if self.full or saved is None else saved.watermark
        params = self.selection.params(since=incremental_start(watermark))
        return {**params, "pageSize": str(self.page_size)}

    def planned_requests(self) -> list[str]:
        base = self.client.base_url.rstrip("/")
        if self.selection.by_id:
            lines = [f"GET {base}/studies/{nct}" for nct in self.selection.nct_ids]
        else:
            first = {**self.request(), "countTotal": "true"}
            following = {**self.request(), "pageToken": "<nextPageToken>"}
            lines = [
                f"GET {request_url(base + '/studies', first)}",
                f"GET {request_url(base + '/studies', following)}  (repeated until the last page)",
            ]
        if self.history:
            internal = internal_base(base)
            lines.append(f"GET {internal}/studies/<each NCT id>?history=true")
            lines.append(f"GET {internal}/studies/<each NCT id>/history/<each new version>")
        return lines

    # -- running ---------------------------------------------------------------------------

    def run(self) -> SyncSummary:
        saved = self.store.save_profile(
            self.profile, self.selection.to_json(), self.client.base_url
        )
        pending = self.store.checkpoint(self.profile)
        run_id = self.store.begin_run([f"sync {self.profile}"], kind="sync")
        summary = SyncSummary(self.profile, run_id, watermark_before=saved.watermark)
        started_at = utc_now()
        started = time.perf_counter()
        requests_before = self.client.requests_sent
        newest: str | None = None
        try:
            if self.selection.by_id:
                newest = self._by_id(summary, run_id)
            else:
                with PreparePool(self.workers) as self._pool:
                    newest = self._paged(summary, run_id, pending)
            summary.watermark_after = max(filter(None, [saved.watermark, newest]), default=None)
            self.store.finish_sync(self.profile, run_id, newest)
        except FetchError as exc:
            summary.status = "failed"
            summary.error = str(exc)
            raise
        except KeyboardInterrupt:
            summary.status = "interrupted"
            raise
        finally:
            summary.elapsed = time.perf_counter() - started
            summary.requests = self.client.requests_sent - requests_before
            summary.top_fields = self.store.changed_fields_since(started_at)
            self.store.finish_run(run_id, summary.status, summary.as_dict())
        # criteria of versions now current, and what matching reads of them
        refresh_derived(
            self.store,
            workers=self.workers,
            seconds=summary.stage_seconds,
            views=self.derive_views,
        )
        return summary

    def _paged(self, summary: SyncSummary, run_id: int, pending: Checkpoint | None) -> str | None:
        if pending is not None:
            summary.resumed = True
            request, token = pending.request, pending.next_page_token
            pages, records, total, newest = (
                pending.pages,
                pending.records,
                pending.total,
                pending.max_update,
            )
        else:
            request, token, pages, records, total, newest = self.request(), None, 0, 0, None, None
            self.store.start_checkpoint(Checkpoint(self.profile, run_id, request, None))
        try:
            for page, next_token in prefetched(self.client.pages(request, token)):
                value = page.value if isinstance(page.value, dict) else {}
                studies = value.pop("studies", None) or []
                if total is None and isinstance(value.get("totalCount"), int):
                    total = value["totalCount"]
                pages += 1
                source = f"{self.client.base_url}/studies page {pages}"
                page_newest = max(filter(None, map(_lupd, studies)), default=None)
                prepared, problems = self._prepare_page(studies, source)
                del studies, page, value  # only compressed bytes stay alive
                newest = max(filter(None, [newest, page_newest]), default=None)
                records += len(prepared)
                ids = [r.nct_id for r in prepared]
                # With history, the page is done (and the checkpoint moves) only after its
                # studies' past versions are stored; otherwise at once.
                cp = Checkpoint(
                    self.profile,
                    run_id,
                    request,
                    token if self.history else next_token,
                    pages,
                    records,
                    total,
                    newest,
                )
                outcomes = self.store.write_batch(prepared, problems, run_id, checkpoint=cp)
                self._count(summary, outcomes, problems)
                if self.history:
                    summary.history_versions += self._fetch_history(ids, run_id)
                    done = Checkpoint(
                        self.profile, run_id, request, next_token, pages, records, total, newest
                    )
                    self.store.start_checkpoint(done)
                token = next_token
                summary.pages = pages
                if self.on_progress:
                    self.on_progress(SyncProgress(pages, records, total))
        except FetchError as exc:
            if token and pending is not None and "HTTP 400" in exc.problem:
                # A page token from an old run may have expired: start the run over.
                self.store.drop_checkpoint(self.profile)
                return self._paged(summary, run_id, None)
            raise
        return newest

    def _prepare_page(
        self, studies: list[Any], source: str
    ) -> tuple[list[IncomingVersion], list[QuarantinedRecord]]:
        """Page studies → records, in the worker pool; each study crosses as JSON bytes."""
        chunks = [Chunk(source, f"[{i}]", orjson.dumps(s)) for i, s in enumerate(studies)]
        studies.clear()
        records: list[IncomingVersion] = []
        problems: list[QuarantinedRecord] = []
        for group in self._pool.map(grouped(chunks)):
            for item in group:
                if isinstance(item, IncomingVersion):
                    records.append(item)
                elif isinstance(item, QuarantinedRecord):
                    problems.append(item)
        return records, problems

    def _by_id(self, summary: SyncSummary, run_id: int) -> str | None:
        newest: str | None = None
        ids: list[str] = []
        for number, nct_id in enumerate(self.selection.nct_ids, start=1):
            try:
                fetched = self.client.study(nct_id)
            except StudyGone:
                summary.not_found.append(nct_id)
                continue
            prepared, problems, updated = _prepare([fetched.value], fetched.url)
            for record in prepared:
                if record.nct_id != nct_id:
                    self.store.record_alias(nct_id, record.nct_id)
                    summary.aliases.append((nct_id, record.nct_id))
                ids.append(record.nct_id)
            outcomes = self.store.write_batch(prepared, problems, run_id)
            self._count(summary, outcomes, problems)
            newest = max(filter(None, [newest, updated]), default=None)
            if self.on_progress:
                self.on_progress(SyncProgress(number, summary.records, len(self.selection.nct_ids)))
        if self.history:
            summary.history_versions += self._fetch_history(ids, run_id)
        return newest

    def _fetch_history(self, nct_ids: Sequence[str], run_id: int) -> int:
        """Store every dated version CT.gov lists for these studies; returns how many were new."""
        stored = 0
        for nct_id in nct_ids:
            done = self.store.history_fetched(nct_id)
            for entry in self.client.history(nct_id):
                version = entry.get("version")
                if not isinstance(version, int) or version in done:
                    continue
                fetched = self.client.history_version(nct_id, version)
                body = fetched.value.get("study") if isinstance(fetched.value, dict) else None
                day = entry.get("date") if isinstance(entry.get("date"), str) else None
                prepared, problems, _ = _prepare([body], fetched.url, snapshot=day)
                outcomes = self.store.write_batch(
                    prepared, problems, run_id, history_marks=[(nct_id, version, day)]
                )
                stored += sum(o is not Outcome.UNCHANGED for o in outcomes)
        return stored

    @staticmethod
    def _count(
        summary: SyncSummary, outcomes: Sequence[Outcome], problems: Sequence[QuarantinedRecord]
    ) -> None:
        summary.counts.update(o.value for o in outcomes)
        summary.counts["quarantined"] += len(problems)


def prefetched(pages: Iterator[T]) -> Iterator[T]:
    """Fetch the next item in a thread while the caller works on this one.

    The queue holds one item, so at most two pages are alive at once; an error in
    the fetching thread is raised in the caller at the point it would have come.
    """
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)

    def pump() -> None:
        try:
            for item in pages:
                box.put(("item", item))
            box.put(("done", None))
        except BaseException as exc:  # handed over to the caller's thread
            box.put(("error", exc))

    threading.Thread(target=pump, name="page-prefetch", daemon=True).start()
    while True:
        kind, value = box.get()
        if kind == "done":
            return
        if kind == "error":
            raise value
        yield value
