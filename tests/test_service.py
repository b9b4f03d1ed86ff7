"""The service layer every shell calls, on real stores of both backends with real records:
the per-thread store holder, the agent page, patient assembly and the match run, sync
targets, the index refresh, and related trials read from their stored lists; and the MCP entry path,
which must not load the web stack."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.conftest import CTGOV, FIXTURES, Backend, needs_corpus
from trialscope import service
from trialscope.config import Settings
from trialscope.errors import NotFoundError, PatientError, UsageError
from trialscope.importer import import_paths
from trialscope.search import related as related_stage
from trialscope.store import Store, open_store
from trialscope.sync import Selection

SEED = "NCT04416854"
#: acute myeloid leukemia trials in the corpus file below
AML_TRIAL = "NCT05918692"
CORPUS_FILE = CTGOV / "v2" / "dgg32__graph_bigquery.jsonl.gz"
NOTE = (
    "A 45-year-old man with relapsed acute myeloid leukemia. ECOG 1. Platelets 80,000/uL."
    " He denies HIV infection."
)


@pytest.fixture(scope="module")
def location(backend: Backend) -> str:
    """A database holding the seed trial in two versions and one corpus file, not indexed."""
    found = backend.location()
    paths = [CTGOV / "seeds" / f"{SEED}.legacy_ctgov.xml", FIXTURES / f"{SEED}.2026.v2.json"]
    with open_store(found) as store:
        summary = import_paths(store, [*paths, CORPUS_FILE], workers=1)
    assert summary.counts["new"] > 50, summary.as_dict()
    return found


@pytest.fixture
def held(location: str) -> Iterator[service.Backend]:
    holder = service.Backend(Settings(db=location, base_url="https://trials.example.org"))
    yield holder
    holder.close()


# -- the per-thread store holder and the engine -------------------------------------------


@needs_corpus
def test_each_thread_has_its_own_store_and_engine(held: service.Backend) -> None:
    mine = held.store()
    assert held.store() is mine
    assert held.engine() is held.engine()
    assert held.engine().store is mine
    with ThreadPoolExecutor(4) as pool:
        theirs = list(
            pool.map(
                lambda _: (held.store(), held.engine(), held.store().count_studies()), range(8)
            )
        )
    assert all(store is not mine for store, _, _ in theirs)
    assert all(engine.store is store for store, engine, _ in theirs)
    assert {id(store) for store, _, _ in theirs} <= {id(s) for _, s in held._opened}
    assert {count for _, _, count in theirs} == {mine.count_studies()}


@needs_corpus
def test_a_store_of_an_ended_thread_is_closed_when_another_opens(held: service.Backend) -> None:
    opened: list[Store] = []
    worker = threading.Thread(target=lambda: opened.append(held.store()))
    worker.start()
    worker.join()
    held.store()  # this thread's first store: the ended thread's is closed now
    assert [s for _, s in held._opened] == [held.store()]
    with pytest.raises(Exception):  # noqa: B017  (each backend's own closed error)
        opened[0].count_studies()


# -- pages ----------------------------------------------------------------------------------


@needs_corpus
def test_agent_page_is_the_cli_page_with_a_canonical_link(
    held: service.Backend, location: str
) -> None:
    page = service.agent_page(held.store(), SEED.lower(), base_url="https://trials.example.org")
    assert page.startswith("---\n")
    assert f"https://trials.example.org/trials/{SEED}.md" in page
    assert "## Eligibility" in page
    shown = run_cli(
        "show", SEED, db=location, env={"TRIALSCOPE_BASE_URL": "https://trials.example.org"}
    )
    assert shown.stdout == page
    without = service.agent_page(held.store(), SEED)
    assert "trials.example.org" not in without
    assert service.canonical_url(None, SEED) is None


@needs_corpus
def test_card_and_text_pages(held: service.Backend) -> None:
    card = service.card_page(held.store(), SEED)
    text = service.text_page(held.store(), SEED.lower())
    title = "The Value of Palliative Primary Tumor Resection in Metastatic Colon Cancer"
    assert card.startswith(title)
    assert "Status and phase" in card
    assert title in text and len(text) > len(card)
    plain = service.plain_page(held.store(), SEED)
    assert plain.startswith(title) and "Status:" in plain


# -- the patient and the match --------------------------------------------------------------


def test_note_and_structured_fields_merge_with_the_fields_winning() -> None:
    patient = service.build_patient({"age": 50, "conditions": ["hypertension"]}, NOTE)
    assert patient.age == 50  # the note says 45
    names = [c.name.lower() for c in patient.conditions]
    assert "hypertension" in names
    assert any("myeloid" in n for n in names)
    answered = service.build_patient(None, NOTE, answers={"pregnant": "no"})
    assert answered.pregnant is False


def test_an_undated_structured_reading_wins_over_the_notes() -> None:
    # both undated: the structured field is the one that counts, as for the age above
    note = "A 60-year-old man. Platelets 90 x10^9/L. ECOG 2."
    structured = {"labs": {"platelets": "150 x10^9/L"}, "ecog": 1}
    patient = service.build_patient(structured, note)
    platelets, ecog = patient.lab("platelets"), patient.performance_score("ecog")
    assert platelets is not None and platelets.value == 150, patient.labs
    assert ecog is not None and ecog.value == 1, patient.performance
    # the questionnaire's answer goes on top of both
    answered = service.build_patient(structured, note, answers={"lab:platelets": "200"})
    assert answered.lab("platelets").value == 200  # type: ignore[union-attr]
    # a dated reading is newer than any undated one, wherever it is listed
    dated = {"labs": {"platelets": {"value": 120, "unit": "10^9/L", "date": "2026-01-05"}}}
    both = service.merge_patients(service.build_patient(dated), service.build_patient(structured))
    assert both.lab("platelets").value == 120  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("structured", "note", "fhir", "field"),
    [
        (None, None, None, "patient"),
        ({"age": 40}, None, {"resourceType": "Bundle", "entry": []}, "fhir"),
        (None, None, {"resourceType": "Patient"}, "fhir.resourceType"),
        ({"age": "old"}, None, None, "patient.age"),
        (None, "x" * (service.MAX_NOTE + 1), None, "note"),
    ],
)
def test_bad_patient_input_names_the_field(
    structured: dict[str, object] | None,
    note: str | None,
    fhir: dict[str, object] | None,
    field: str,
) -> None:
    with pytest.raises(PatientError) as caught:
        service.build_patient(structured, note, fhir)
    assert caught.value.field == field


def test_merge_adds_lists_and_replaces_values() -> None:
    base = service.build_patient({"age": 30, "conditions": ["asthma"]})
    extra = service.build_patient({"age": 31, "conditions": ["diabetes"]})
    merged = service.merge_patients(base, extra)
    assert merged.age == 31
    assert [c.name for c in merged.conditions] == ["asthma", "diabetes"]
    assert [c.name for c in base.conditions] == ["asthma"]  # the inputs are untouched


@needs_corpus
def test_match_given_trials_and_a_search(held: service.Backend) -> None:
    patient = service.build_patient(None, NOTE)
    given = service.run_match(
        held.store(), patient, service.MatchScope(trials=(AML_TRIAL.lower(),)), held.engine()
    )
    assert [t.nct_id for t in given.trials] == [AML_TRIAL]
    searched = service.run_match(held.store(), patient, service.MatchScope(statuses=(), limit=5))
    assert searched.candidates > 0
    assert 0 < len(searched.trials) <= 5


def test_a_bad_nct_id_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="'banana' is not an NCT id"):
        service.checked_trials(("NCT04416854", " banana "))
    assert service.checked_trials((" nct04416854 ", "")) == ["NCT04416854"]


def test_unexpected_failures_lose_their_message() -> None:
    with pytest.raises(service.MatchFailed) as caught, service.no_patient_in_logs():
        raise ValueError("patient Jane Doe, born 1970-01-01")
    assert "Jane" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# -- sync targets ---------------------------------------------------------------------------


def test_selection_from_options() -> None:
    assert service.selection_from() is None
    chosen = service.selection_from(cond="asthma", status=[" recruiting "], nct=["nct04416854"])
    assert chosen == Selection(
        cond="asthma", status=("RECRUITING",), nct_ids=("NCT04416854",), everything=False
    )


def test_sync_targets(store: Store) -> None:
    chosen = Selection(cond="asthma")
    assert service.sync_targets(store, None, chosen) == [(chosen.describe(), chosen)]
    assert service.sync_targets(store, "mine", chosen) == [("mine", chosen)]
    with pytest.raises(UsageError, match="No sync profile named 'mine'") as caught:
        service.sync_targets(store, "mine", None)
    assert caught.value.hint and "--profile mine" in caught.value.hint
    with pytest.raises(UsageError, match="no unfinished sync"):
        service.sync_targets(store, None, None, resume=True)
    with pytest.raises(UsageError, match="Nothing selected") as nothing:
        service.sync_targets(store, None, None)
    assert nothing.value.hint


def test_downloads_folder(tmp_path: Path) -> None:
    assert service.downloads_folder(f"sqlite:///{tmp_path}/a.db") == tmp_path / "downloads"
    assert service.downloads_folder(str(tmp_path / "b.db")) == tmp_path / "downloads"
    assert service.downloads_folder("postgresql://u@h/db").name == "downloads"


# -- the index refresh and related trials ---------------------------------------------------


@needs_corpus
def test_refresh_index_reports_progress_then_has_nothing_to_do(backend: Backend) -> None:
    with backend.open() as store:
        import_paths(store, [CORPUS_FILE], workers=1)
        waiting = service.pending_index(store)
        assert waiting > 50
        seen: list[tuple[int, int]] = []
        assert service.refresh_index(store, lambda done, total: seen.append((done, total))) == (
            waiting
        )
        assert seen[0] == (0, waiting) and seen[-1] == (waiting, waiting)
        assert service.pending_index(store) == 0
        assert service.refresh_index(store) == 0


@needs_corpus
def test_related_trials_are_shared_across_threads(held: service.Backend) -> None:
    # indexed first, as after an import: on PostgreSQL a thread that finds another one
    # indexing skips the locked rows and would answer from the unfinished index
    service.refresh_index(held.store())
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: service.related_trials(held, AML_TRIAL, 3), range(16)))
    assert answers[0] and len(answers[0]) <= 3
    assert all([h.nct_id for h in a] == [h.nct_id for h in answers[0]] for a in answers)
    assert AML_TRIAL not in {h.nct_id for h in answers[0]}
    assert service.related_trials(held, "NCT00000000", 3) == []


@needs_corpus
def test_related_trials_show_a_refreshed_list_at_once(held: service.Backend) -> None:
    store = held.store()
    service.refresh_index(store)
    first = [h.nct_id for h in service.related_trials(held, AML_TRIAL, 3)]
    assert first and [h.nct_id for h in service.related_trials(held, AML_TRIAL.lower(), 3)] == (
        first
    )
    # a stored list that changes (as a refresh rewrites it) is read on the next visit
    with store.transaction() as db:
        db.execute(
            "DELETE FROM related_trials WHERE nct_id = ? AND other = ?", (AML_TRIAL, first[0])
        )
    shown = [h.nct_id for h in service.related_trials(held, AML_TRIAL, 3)]
    assert shown and first[0] not in shown and shown[0] == first[1]
    # re-indexed with the same features (a status update): its stored list stands
    with store.transaction() as db:
        related_stage.mark_dirty(db, [AML_TRIAL])
    seconds: dict[str, float] = {}
    service.refresh_index(store, seconds=seconds)
    assert related_stage.pending(store) == 0 and seconds["related_lists_stored"] == 0
    assert [h.nct_id for h in service.related_trials(held, AML_TRIAL, 3)] == shown
    # and the list the next refresh stores again (queued as another's spread queues it)
    # shows without waiting
    with store.transaction() as db:
        db.execute(
            "INSERT INTO related_dirty (nct_id, features_done, spread) VALUES (?, 1, 0)",
            (AML_TRIAL,),
        )
    service.refresh_index(store)
    assert related_stage.pending(store) == 0
    assert [h.nct_id for h in service.related_trials(held, AML_TRIAL, 3)] == first
    # a study whose list was never stored gets one, even with unchanged features
    with store.transaction() as db:
        db.execute("DELETE FROM related_trials WHERE nct_id = ?", (AML_TRIAL,))
        db.execute("DELETE FROM related_lists WHERE nct_id = ?", (AML_TRIAL,))
        related_stage.mark_dirty(db, [AML_TRIAL])
    service.refresh_index(store)
    assert [h.nct_id for h in service.related_trials(held, AML_TRIAL, 3)] == first


# -- the MCP entry path loads no web stack --------------------------------------------------

_PROBE = """
import json, sys
sys.argv = ["trialscope", "--db", sys.argv[1], "mcp"]
from trialscope.cli import main
try:
    main()
except SystemExit:
    pass
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"fastapi", "jinja2", "trialscope"})
web = sorted(m for m in sys.modules if m.startswith("trialscope.web"))
served = "trialscope.mcp_server.tools" in sys.modules
sys.stderr.write("LOADED " + json.dumps({"top": loaded, "web": web, "mcp": served}) + "\\n")
"""


def test_trialscope_mcp_imports_no_fastapi_or_jinja(tmp_path: Path) -> None:
    """The real entry point serves MCP on stdio until stdin closes, then reports what it
    had imported: the server and its tools, and nothing of FastAPI, Jinja or the web app."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "mcp.db")],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED "))
    loaded = json.loads(line.removeprefix("LOADED "))
    assert loaded == {"top": ["trialscope"], "web": [], "mcp": True}, done.stderr
    assert (tmp_path / "mcp.db").exists()  # it did run: the store was opened


CORE = ("service", "store", "sync", "search", "criteria", "match", "render", "terminology")
SHELL_MODULES = ("trialscope.cli", "trialscope.web", "trialscope.mcp_server", "typer", "fastapi")
SHELL_MODULES += ("starlette", "jinja2", "mcp", "uvicorn", "rich")


@pytest.mark.parametrize("package", CORE)
def test_the_core_and_the_service_import_no_shell(package: str) -> None:
    import ast

    import trialscope

    root = Path(trialscope.__file__).parent
    files = sorted((root / package).rglob("*.py"))
    assert files
    for path in files:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.module:  # relative: ..web
                names = [f"trialscope.{node.module}"] if node.level >= 2 else []
            else:
                continue
            for name in names:
                assert not name.startswith(SHELL_MODULES), f"{path.name} imports {name}"


# -- field changes ----------------------------------------------------------------------------


@needs_corpus
def test_field_changes_of_a_trial_and_of_all(held: service.Backend) -> None:
    store = held.store()
    mine = service.field_changes(store, [SEED.lower()], field="status.*", first_sight=False)
    assert mine.since is None
    assert mine.changes and {c.nct_id for c in mine.changes} == {SEED}
    assert all(c.path.startswith("status.") for c in mine.changes)
    everything = service.field_changes(store, since="3650d")
    assert everything.since is not None and everything.since.endswith("Z")
    assert len(everything.changes) > len(mine.changes)
    with pytest.raises(NotFoundError):
        service.field_changes(store, ["NCT00000000"])
