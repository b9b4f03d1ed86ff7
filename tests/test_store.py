"""The versioned store on both backends (a real SQLite file, a real PostgreSQL database):
versions chain, change log, quarantine, runs."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests import pg_server
from tests.conftest import FIXTURES, Backend
from trialscope.errors import ConfigError, NotFoundError, StoreError, StudyNotFound
from trialscope.store import (
    ChangeKind,
    IncomingVersion,
    Outcome,
    QuarantinedRecord,
    SQLiteStore,
    Store,
    base,
    open_store,
)
from trialscope.store.base import migrations
from trialscope.store.fingerprint import content_hash
from trialscope.sync.runner import _prepare as prepare_page


def seed_2026() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "NCT04416854.2026.v2.json").read_text())
    return loaded


def incoming(
    study: dict[str, Any], source: str = "test", snapshot: str | None = None
) -> IncomingVersion:
    status = study["protocolSection"].get("statusModule", {})
    return IncomingVersion.build(
        nct_id=study["protocolSection"]["identificationModule"]["nctId"],
        data=orjson.dumps(study),
        content_hash=content_hash(study),
        source=source,
        source_format="ctgov_v2",
        last_update_post_date=status.get("lastUpdatePostDateStruct", {}).get("date"),
        snapshot_date=snapshot,
        overall_status=status.get("overallStatus"),
    )


def with_status(study: dict[str, Any], status: str, updated: str) -> dict[str, Any]:
    copied = copy.deepcopy(study)
    module = copied["protocolSection"]["statusModule"]
    module["overallStatus"] = status
    module["lastUpdatePostDateStruct"] = {"date": updated, "type": "ACTUAL"}
    return copied


def test_schema_is_migrated_and_wal(store: Store, backend: Backend) -> None:
    assert store.schema_version >= 5
    if backend.name == "sqlite":
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    else:  # both schemas carry the same numbers; reopening migrates nothing
        assert store.schema_version == max(n for n, _ in migrations("postgres"))


def test_new_then_identical_adds_no_version(store: Store) -> None:
    study = seed_2026()
    assert store.write_batch([incoming(study)]) == [Outcome.NEW]
    first = store.current_version("NCT04416854")
    assert store.write_batch([incoming(copy.deepcopy(study), source="again")]) == [
        Outcome.UNCHANGED
    ]
    versions = store.versions("NCT04416854")
    assert len(versions) == 1
    assert versions[0].last_seen >= first.last_seen
    assert versions[0].source == "test"  # provenance of the first sighting is kept


def test_volatile_version_holder_is_not_a_change(store: Store) -> None:
    study = seed_2026()
    refreshed = copy.deepcopy(study)
    refreshed["derivedSection"]["miscInfoModule"]["versionHolder"] = "2026-06-01"
    store.write_batch([incoming(study)])
    assert store.write_batch([incoming(refreshed)]) == [Outcome.UNCHANGED]


def test_newer_version_becomes_current_with_field_changes(store: Store) -> None:
    old = seed_2026()
    new = with_status(old, "COMPLETED", "2026-01-10")
    store.write_batch([incoming(old)])
    assert store.write_batch([incoming(new)]) == [Outcome.CHANGED]
    assert store.study_json("NCT04416854")["protocolSection"]["statusModule"]["overallStatus"] == (
        "COMPLETED"
    )
    logged = store.changes(["NCT04416854"], include_first_sight=False)
    assert sorted(((c.path, c.kind, c.old, c.new) for c in logged), key=str) == [
        (
            "status.lastUpdatePostDate",
            ChangeKind.CHANGED,
            {"date": "2020-06-04", "type": "ACTUAL"},
            {"date": "2026-01-10", "type": "ACTUAL"},
        ),
        ("status.overallStatus", ChangeKind.CHANGED, "UNKNOWN", "COMPLETED"),
    ]
    assert all(c.ct_date == "2026-01-10" for c in logged)


def test_older_version_arriving_late_goes_to_history(store: Store) -> None:
    base = seed_2026()
    v2021 = with_status(base, "RECRUITING", "2021-01-01")
    v2023 = with_status(base, "ACTIVE_NOT_RECRUITING", "2023-01-01")
    v2025 = with_status(base, "COMPLETED", "2025-01-01")
    store.write_batch([incoming(v2021), incoming(v2025)])
    assert store.write_batch([incoming(v2023)]) == [Outcome.HISTORY]
    # Current stays the newest by CT.gov date.
    current = store.study_json("NCT04416854")["protocolSection"]["statusModule"]
    assert current["overallStatus"] == "COMPLETED"
    # The 2021→2025 link was split into 2021→2023→2025.
    status_changes = sorted(
        (c.old, c.new)
        for c in store.changes(["NCT04416854"], path_glob="status.overallStatus")
        if c.kind is ChangeKind.CHANGED
    )
    assert status_changes == [
        ("ACTIVE_NOT_RECRUITING", "COMPLETED"),
        ("RECRUITING", "ACTIVE_NOT_RECRUITING"),
    ]
    assert [v.last_update_post_date for v in store.versions("NCT04416854")] == [
        "2021-01-01",
        "2023-01-01",
        "2025-01-01",
    ]


def test_same_update_date_is_ordered_by_snapshot(store: Store) -> None:
    base = seed_2026()
    recruiting = with_status(base, "RECRUITING", "2020-06-04")
    # The 2026 snapshot arrives first, the 2020 one after: 2026 must stay current.
    store.write_batch([incoming(base, snapshot="2026-05-11")])
    assert store.write_batch([incoming(recruiting, snapshot="2020-07-28")]) == [Outcome.HISTORY]
    assert store.current_version("NCT04416854").last_update_post_date == "2020-06-04"
    assert (
        store.study_json("NCT04416854")["protocolSection"]["statusModule"]["overallStatus"]
        == "UNKNOWN"
    )


_STATUS_HISTORY = (
    ("RECRUITING", "2021-01-01"),
    ("ACTIVE_NOT_RECRUITING", "2023-01-01"),
    ("COMPLETED", "2025-01-01"),
)


@pytest.mark.parametrize("arrival", list(itertools.permutations(range(3))))
def test_changes_are_listed_newest_version_first_whatever_the_arrival_order(
    store: Store, arrival: tuple[int, ...]
) -> None:
    base = seed_2026()
    versions = [with_status(base, status, day) for status, day in _STATUS_HISTORY]
    for index in arrival:  # one import run per version
        store.write_batch([incoming(versions[index])])
    listed = [
        (c.old, c.new)
        for c in store.changes(["NCT04416854"], path_glob="status.overallStatus")
        if c.kind is ChangeKind.CHANGED
    ]
    # Newest first, and the first line ends where the record is now.
    assert listed == [
        ("ACTIVE_NOT_RECRUITING", "COMPLETED"),
        ("RECRUITING", "ACTIVE_NOT_RECRUITING"),
    ]
    dates = [c.ct_date for c in store.changes(["NCT04416854"], include_first_sight=False)]
    assert dates == sorted(dates, reverse=True)
    # The first version's fields come last, as "added".
    everything = store.changes(["NCT04416854"])
    assert everything[-1].kind is ChangeKind.ADDED
    assert everything[0].kind is ChangeKind.CHANGED


def test_same_date_status_change_without_an_update_post_is_listed_first(store: Store) -> None:
    """Issue 12: CT.gov turned NCT04416854 from RECRUITING to UNKNOWN without a new update
    post. Whatever arrives when, the log's first status line must end at UNKNOWN."""
    base = seed_2026()
    recruiting = with_status(base, "RECRUITING", "2020-06-04")
    del recruiting["protocolSection"]["statusModule"]["lastKnownStatus"]
    later = copy.deepcopy(base)
    later["protocolSection"]["statusModule"]["whyStopped"] = "no contact"
    later["derivedSection"]["miscInfoModule"]["versionHolder"] = "2026-12-01"
    store.write_batch([incoming(base, snapshot="2026-05-11")])
    # A sync: the current record as a page brings it (it must keep its versionHolder day,
    # or it sorts before the history version of the same date) and a dated history version.
    (page_record,), problems, _ = prepare_page([later], "https://ctgov.example/api/v2/studies")
    assert not problems and page_record.snapshot_date == "2026-12-01"
    store.write_batch([page_record, incoming(recruiting, snapshot="2020-06-04")])
    status = store.changes(["NCT04416854"], path_glob="status.overallStatus")
    assert (status[0].old, status[0].new) == ("RECRUITING", "UNKNOWN")
    assert store.changes(["NCT04416854"], include_first_sight=False)[0].path == "status.whyStopped"
    current = store.study_json("NCT04416854")["protocolSection"]["statusModule"]
    assert current["overallStatus"] == "UNKNOWN" and current["whyStopped"] == "no contact"


def test_studies_are_listed_most_recently_changed_first(store: Store) -> None:
    base = seed_2026()
    other = copy.deepcopy(base)
    other["protocolSection"]["identificationModule"]["nctId"] = "NCT00000001"
    store.write_batch([incoming(base), incoming(other)])
    store.write_batch([incoming(with_status(base, "COMPLETED", "2026-01-10"))])
    listed = [c.nct_id for c in store.changes()]
    assert listed[0] == "NCT04416854"
    assert listed == sorted(listed, key=lambda n: n != "NCT04416854")  # grouped per study


def test_a_stored_change_with_the_same_meaning_is_not_listed(store: Store) -> None:
    """Stores written before dates were compared by day keep such rows; they are not shown."""
    base = seed_2026()
    store.write_batch([incoming(base)])
    store.write_batch([incoming(with_status(base, "COMPLETED", "2026-01-10"))])
    versions = [v.version_id for v in store.versions("NCT04416854")]
    with store.transaction() as db:
        db.execute(
            "INSERT INTO changes (nct_id, from_version_id, to_version_id, path, kind, old_value,"
            " new_value, detected_at, ct_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "NCT04416854",
                versions[0],
                versions[1],
                "status.startDate",
                "changed",
                '{"date": "2020-04-01", "type": "ESTIMATED"}',
                '{"date": "2020-04-01", "type": "ACTUAL"}',
                "2026-01-11T00:00:00.000Z",
                "2026-01-10",
            ),
        )
    listed = store.changes(["NCT04416854"], include_first_sight=False)
    assert "status.startDate" not in {c.path for c in listed}
    assert {c.path for c in listed} == {"status.overallStatus", "status.lastUpdatePostDate"}


def test_first_sight_changes_are_derived(store: Store) -> None:
    store.write_batch([incoming(seed_2026())])
    found = store.changes(["NCT04416854"])
    assert found[0].kind is ChangeKind.ADDED
    assert "status.overallStatus" in {c.path for c in found}
    assert store.changes(["NCT04416854"], include_first_sight=False) == []
    assert [c.path for c in store.changes(path_glob="eligibility.*")] == [
        "eligibility.criteria",
        "eligibility.minAge",
        "eligibility.maxAge",
        "eligibility.sex",
    ]


def test_changes_since_filters_by_detection_time(store: Store) -> None:
    store.write_batch([incoming(seed_2026())])
    assert store.changes(since="2999-01-01T00:00:00.000Z") == []
    assert store.changes(since="2000-01-01T00:00:00.000Z") != []


def test_quarantine_keeps_reason_and_bytes(store: Store) -> None:
    run = store.begin_run(["x.jsonl"])
    store.write_batch([], [QuarantinedRecord("x.jsonl", "line 3", "malformed JSON", b"{oops")], run)
    (entry,) = store.quarantine(run_id=run)
    assert (entry.source, entry.position, entry.reason) == ("x.jsonl", "line 3", "malformed JSON")
    assert store.quarantine_entry(entry.id).raw == b"{oops"
    with pytest.raises(NotFoundError):
        store.quarantine_entry(999)


def test_runs_are_recorded(store: Store) -> None:
    run = store.begin_run(["a", "b"])
    store.finish_run(run, "completed", {"records": 3})
    (found,) = store.runs()
    assert found["sources"] == ["a", "b"]
    assert found["counts"] == {"records": 3}
    assert found["status"] == "completed"


def test_failed_batch_rolls_back_whole(store: Store) -> None:
    good = incoming(seed_2026())
    bad = incoming(seed_2026())
    object.__setattr__(bad, "content_hash", None)  # violates NOT NULL mid-batch
    object.__setattr__(bad, "nct_id", "NCT00000001")
    with pytest.raises(StoreError):
        store.write_batch([good, bad])
    assert store.count_studies() == 0


def test_unknown_study_is_a_clear_error(store: Store) -> None:
    with pytest.raises(StudyNotFound, match="NCT99999999"):
        store.study_json("nct99999999")


def test_open_store_accepts_paths_and_sqlite_urls(tmp_path: Path) -> None:
    open_store(tmp_path / "a.db").close()
    open_store(f"sqlite:///{tmp_path / 'b.db'}").close()
    with pytest.raises(ConfigError, match="mysql"):
        open_store("mysql://host/db")


def test_unopenable_database_is_a_store_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "junk.db"
    not_a_db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="Cannot open"):
        SQLiteStore(not_a_db)


def test_stats_count_by_columns(store: Store) -> None:
    store.write_batch([incoming(seed_2026())])
    figures = store.stats()
    assert figures["studies"] == 1
    assert figures["by_status"] == {"UNKNOWN": 1}
    assert (figures["versions"], figures["changes"], figures["partial"]) == (1, 0, 0)


def test_reopening_keeps_everything(store: Store, backend: Backend) -> None:
    location = backend.location()
    with open_store(location) as first:
        first.write_batch([incoming(seed_2026())])
        version = first.schema_version
    with open_store(location) as again:
        assert again.nct_ids() == ["NCT04416854"]
        assert again.schema_version == version


def test_unreachable_postgresql_is_a_store_error_with_a_hint() -> None:
    with pytest.raises(StoreError, match="Cannot connect") as caught:
        open_store("postgresql://nobody:secret@127.0.0.1:1/trialscope")
    assert "secret" not in caught.value.message  # the password never reaches a message
    assert caught.value.hint and "TRIALSCOPE_DB" in caught.value.hint


def test_path_patterns_mean_the_same_on_both_backends(store: Store) -> None:
    store.write_batch([incoming(seed_2026())])
    assert {c.path for c in store.changes(path_glob="status.overall?tatus")} == {
        "status.overallStatus"
    }
    assert store.changes(path_glob="status_overallStatus") == []  # _ is no wildcard


def test_postgresql_reconnects_after_losing_its_connection(pg: pg_server.PgServer) -> None:
    def drop(store: Store) -> None:
        pid = store.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        with pg.admin() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with open_store(pg.new_database()) as store:
        store.write_batch([incoming(seed_2026())])
        drop(store)
        assert store.count_studies() == 1  # outside a transaction: reopened, asked again
        with pytest.raises(StoreError), store.transaction() as db:
            db.execute("SELECT 1")
            drop(store)
            db.execute("SELECT 2")  # inside one: its earlier statements are gone, so an error
        assert store.nct_ids() == ["NCT04416854"]


def _written(store: Store) -> dict[str, Any]:
    """Every row a batch of new studies writes, ids replaced by what they point at."""
    conn = store.conn
    return {
        "versions": sorted(
            tuple(r)
            for r in conn.execute(
                "SELECT nct_id, content_hash, source, source_format, last_update_post_date,"
                " snapshot_date, is_partial, data, original, first_seen = last_seen"
                " FROM versions"
            )
        ),
        "studies": sorted(
            tuple(r)
            for r in conn.execute(
                "SELECT s.nct_id, v.content_hash, s.brief_title, s.overall_status, s.phases,"
                " s.study_type, s.lead_sponsor, s.last_update_post_date, s.source_format,"
                " s.is_partial, s.first_seen = v.first_seen, s.last_seen = v.last_seen"
                " FROM studies s JOIN versions v ON v.id = s.current_version_id"
            )
        ),
        "search marks": sorted(r[0] for r in conn.execute("SELECT nct_id FROM search_dirty")),
        "derive marks": sorted(
            tuple(r)
            for r in conn.execute(
                "SELECT d.nct_id, v.content_hash FROM derive_dirty d"
                " JOIN versions v ON v.id = d.version_id AND v.nct_id = d.nct_id"
            )
        ),
        "quarantine": sorted(
            tuple(r) for r in conn.execute("SELECT source, position, reason FROM quarantine")
        ),
    }


def test_a_batch_of_new_studies_is_written_as_one_record_at_a_time_writes_it(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first import's batches (every study new) take the table-at-a-time path; what it
    writes is what the record-by-record path writes, and a batch that is not all new
    (a stored study, the same study twice) goes record by record."""
    records = []
    for n in range(7):
        study = with_status(
            seed_2026(), "RECRUITING" if n % 2 else "COMPLETED", f"2026-0{n + 1}-02"
        )
        study["protocolSection"]["identificationModule"]["nctId"] = f"NCT0000000{n}"
        records.append(incoming(study, source=f"file#{n}", snapshot="2026-08-01"))
    problem = QuarantinedRecord("file", "line 9", "malformed JSON", b"{")
    stores = []
    for table_at_a_time in (True, False):
        if not table_at_a_time:
            monkeypatch.setattr(base, "write_first_sightings", lambda *args: None)
        opened = backend.open()
        stores.append(opened)
        assert opened.write_batch(records, [problem]) == [Outcome.NEW] * 7
    bulk, one_by_one = (_written(s) for s in stores)
    assert bulk == one_by_one
    assert len(bulk["versions"]) == len(bulk["studies"]) == len(bulk["derive marks"]) == 7
    monkeypatch.undo()
    again = [incoming(with_status(seed_2026(), "WITHDRAWN", "2026-09-01")), records[0]]
    assert stores[0].write_batch(again) == [Outcome.NEW, Outcome.UNCHANGED]
    twice = [records[1], records[1]]
    fresh = backend.open()
    assert fresh.write_batch(twice) == [Outcome.NEW, Outcome.UNCHANGED]
    for opened in [*stores, fresh]:
        opened.close()
