"""Parses stored at import (a real record into a real SQLite file), reparse after the parser
changed, and the criteria / reparse commands through ``python -m trialscope``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.conftest import CTGOV, FIXTURES, needs_corpus
from trialscope.criteria import PARSER_VERSION, parse_criteria
from trialscope.criteria import store as criteria_store
from trialscope.criteria.store import load_parse, parse_counts, parse_pending
from trialscope.errors import StudyNotFound
from trialscope.importer import import_paths
from trialscope.store import SQLiteStore

LATER = FIXTURES / "NCT04416854.2026.v2.json"
SEED_XML = CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml"


def test_import_stores_the_parse_of_the_current_version(store: SQLiteStore) -> None:
    import_paths(store, [LATER])
    stored = load_parse(store, "nct04416854", parse_if_missing=False)
    assert stored.parser_version == PARSER_VERSION and not stored.stale
    described = [c.describe() for c in stored.parsed.constraints]
    assert "anc >= 1.5 10^9/L" in described
    assert "platelets >= 90 10^9/L" in described
    assert "ast <= 2.5 x ULN" in described
    kinds = {i.kind for i in stored.parsed.items}
    assert kinds == {"inclusion", "exclusion"}
    assert parse_counts(store) == {"studies": 1, "unparsed": 0, "stale": 0, "current": 1}


@needs_corpus
def test_a_new_current_version_gets_its_own_parse(store: SQLiteStore) -> None:
    import_paths(store, [SEED_XML])
    first = load_parse(store, "NCT04416854")
    import_paths(store, [LATER])
    second = load_parse(store, "NCT04416854")
    assert second.version_id != first.version_id
    rows = store.conn.execute("SELECT count(*) FROM criteria_parses").fetchone()[0]
    assert rows == 2  # the old version keeps its parse


def test_a_version_with_the_same_criteria_takes_the_earlier_parse(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_paths(store, [LATER])
    first = load_parse(store, "NCT04416854", parse_if_missing=False)
    study = json.loads(LATER.read_text())
    study["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    (tmp_path / "later.json").write_text(json.dumps(study))

    def no_parsing(text: str | None) -> None:
        raise AssertionError("the unchanged criteria were parsed again")

    monkeypatch.setattr("trialscope.criteria.store._parse_one", no_parsing)
    import_paths(store, [tmp_path / "later.json"])
    second = load_parse(store, "NCT04416854", parse_if_missing=False)
    assert second.version_id != first.version_id and not second.stale
    assert second.parsed.to_json() == first.parsed.to_json()


def test_stale_parses_are_redone_and_fresh_ones_left_alone(store: SQLiteStore) -> None:
    import_paths(store, [LATER])
    assert parse_pending(store) == 0
    with store.transaction() as db:
        db.execute("UPDATE criteria_parses SET parse_key = '0-older'")
    assert parse_counts(store)["stale"] == 1
    assert parse_pending(store) == 1
    assert parse_counts(store)["current"] == 1
    assert parse_pending(store, everything=True) == 1


def test_a_study_imported_before_parsing_is_parsed_when_asked(store: SQLiteStore) -> None:
    import_paths(store, [LATER])
    with store.transaction() as db:
        db.execute("DELETE FROM criteria_parses")
    assert load_parse(store, "NCT04416854").parsed.items


def test_unknown_study(store: SQLiteStore) -> None:
    with pytest.raises(StudyNotFound):
        load_parse(store, "NCT00000000")


# -- CLI ---------------------------------------------------------------------------------


def run(*args: str, db: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, db=db, code=0 if ok else None)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("criteria") / "cli.db"
    run("import", str(LATER), "--quiet", db=path)
    return path


def test_criteria_table(db: Path) -> None:
    out = run("criteria", "NCT04416854", db=db).stdout
    assert "inclusion" in out and "exclusion" in out
    assert "anc >= 1.5 10^9/L" in out
    assert "non-computable: consent" in out or "non-computable" in out


def test_criteria_json(db: Path) -> None:
    data = json.loads(run("criteria", "NCT04416854", "--json", db=db).stdout)
    assert data["nct_id"] == "NCT04416854"
    assert data["parser_version"] == PARSER_VERSION and data["stale"] is False
    variables = {c["variable"] for i in data["items"] for c in i["constraints"]}
    assert {"anc", "platelets", "hemoglobin", "ecog", "age"} <= variables


def test_criteria_of_a_given_text(tmp_path: Path) -> None:
    text = "Inclusion Criteria:\n* ECOG 0-1\n* ANC≥1.5\\*109/L；PLT≥90\\*109/L"
    data = json.loads(run("criteria", "--text", text, "--json", db=tmp_path / "x.db").stdout)
    found = [c["variable"] for i in data["items"] for c in i["constraints"]]
    assert found == ["ecog", "anc", "platelets"]
    table = run("criteria", "--text", text, db=tmp_path / "x.db").stdout
    assert "platelets >= 90 10^9/L" in table


def test_reparse(db: Path) -> None:
    data = json.loads(run("reparse", "--all", "--json", db=db).stdout)
    assert data["parsed"] == 1 and data["current"] == 1
    assert "up to date" in run("reparse", db=db).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [((), "either an NCT id or --text"),
     (("NCT04416854", "--text", "x"), "either an NCT id or --text"),
     (("banana",), "is not an NCT id"),
     (("NCT00000000",), "No study NCT00000000")],
)  # fmt: skip
def test_errors_are_messages_with_hints(db: Path, args: tuple[str, ...], message: str) -> None:
    done = run("criteria", *args, db=db, ok=False)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Hint:" in done.stderr


def _copies(folder: Path, texts: list[str], count: int) -> Path:
    """``count`` copies of the later seed version with fresh ids, cycling ``texts`` as
    their criteria (as a registry's boilerplate, or the scale-up, repeats them)."""
    study = json.loads(LATER.read_text())
    lines = []
    for n in range(count):
        study["protocolSection"]["identificationModule"]["nctId"] = f"NCT9{n:07d}"
        study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = texts[n % len(texts)]
        lines.append(json.dumps(study))
    path = folder / "copies.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


TEXTS = [
    "Inclusion Criteria:\n* Age >= 18 years\n* ANC >= 1.5 x 10^9/L",
    "Inclusion Criteria:\n* ECOG 0-1\n\nExclusion Criteria:\n* Pregnancy",
    "Inclusion Criteria:\n* Platelets >= 100,000/mm3\n* Creatinine <= 1.5 x ULN",
    "",
]


def test_identical_texts_are_parsed_once_per_run_across_batches(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copies(tmp_path, TEXTS, 40)
    monkeypatch.setattr("trialscope.criteria.store.BATCH", 7)
    monkeypatch.setattr("trialscope.importer.refresh_derived", lambda *a, **k: None)
    import_paths(store, [path])
    parsed: list[str | None] = []
    real = criteria_store._parse_one

    def counting(text: str | None) -> tuple[int, int, bytes]:
        parsed.append(text)
        return real(text)

    monkeypatch.setattr("trialscope.criteria.store._parse_one", counting)
    assert parse_pending(store) == 40
    assert sorted(parsed, key=str) == sorted(TEXTS, key=str)  # 40 versions, 4 parses
    for n in range(40):
        stored = load_parse(store, f"NCT9{n:07d}", parse_if_missing=False)
        assert stored.parsed.to_json() == parse_criteria(TEXTS[n % len(TEXTS)]).to_json()


def test_a_parse_copied_row_that_is_gone_is_parsed_again(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copies(tmp_path, TEXTS, 20)
    monkeypatch.setattr("trialscope.criteria.store.BATCH", 3)
    monkeypatch.setattr("trialscope.importer.refresh_derived", lambda *a, **k: None)
    import_paths(store, [path])
    # as if another parser had rewritten every row this run wrote before it was copied
    monkeypatch.setattr(criteria_store._Run, "_read", lambda self, versions: {})
    assert parse_pending(store) == 20
    for n in range(20):
        stored = load_parse(store, f"NCT9{n:07d}", parse_if_missing=False)
        assert stored.parsed.to_json() == parse_criteria(TEXTS[n % len(TEXTS)]).to_json()


def test_the_parse_pool_gives_every_version_its_own_texts_parse(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [f"Inclusion Criteria:\n* Age >= {n} years\n* ECOG 0-{n % 3}" for n in range(30)]
    path = _copies(tmp_path, texts, 90)
    monkeypatch.setattr("trialscope.criteria.store.BATCH", 11)
    monkeypatch.setattr("trialscope.criteria.store.POOL_MIN", 10)
    monkeypatch.setattr("trialscope.importer.refresh_derived", lambda *a, **k: None)
    import_paths(store, [path])
    assert parse_pending(store, workers=2) == 90
    assert parse_counts(store) == {"studies": 90, "unparsed": 0, "stale": 0, "current": 90}
    for n in range(90):
        stored = load_parse(store, f"NCT9{n:07d}", parse_if_missing=False)
        assert stored.parsed.to_json() == parse_criteria(texts[n % 30]).to_json()
