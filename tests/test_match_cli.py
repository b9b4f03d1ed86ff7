"""`trialscope match` through the real entry point on a real store (the web tests' records:
about 200 trials, leukemia and spine ones recruiting): the text report against a golden
file, --json, free text and stdin, --answer, --ask, --save, errors without tracebacks,
and the patient never written to the database."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli_runner import run_cli
from tests.conftest import FIXTURES, Backend, needs_corpus
from tests.webapp import build_db, files_beside, stored_anywhere

pytestmark = needs_corpus

PATIENT = FIXTURES / "patient_aml.yaml"
GOLDEN = Path(__file__).parent / "golden" / "match_cli_aml.txt"
#: BMF-500 (possibly eligible: a WBC limit and consent are open) and CC-96191 (prior
#: anticancer therapy < 28 days before: the patient is on cytarabine now)
POSSIBLE, EXCLUDED = "NCT05918692", "NCT04789655"
#: a word no record holds, to look for in the database afterwards
MARKER = "Quillfeatherson"
NOTE = (
    f"Mr {MARKER} is a 45-year-old man with relapsed acute myeloid leukemia. ECOG 1. "
    "Platelets 80,000/uL. He denies HIV infection. Prior chemotherapy with cytarabine."
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> str:
    return build_db(tmp_path_factory.mktemp("match-cli"), backend)


def run(
    db: Path, *args: str, code: int = 0, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli("match", *args, db=db, code=code, env={"COLUMNS": "100"}, stdin=stdin, cwd=cwd)


def report_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_text_report_matches_the_golden_file(db: Path) -> None:
    done = run(db, str(PATIENT), "--trial", POSSIBLE, "--trial", EXCLUDED)
    text = done.stdout
    for heading in ("2 candidate trial(s) near Paris, France", "Questions that settle"):
        assert heading in text
    # deciding criteria first, with their evidence and its source
    excluded = text.split(f"{EXCLUDED}  INELIGIBLE", 1)[1]
    marks = [
        line.strip()
        for line in excluded.splitlines()
        if line.startswith("  ") and line[2] in "✓✗?–"
    ]
    assert marks[0].startswith("✗ excl deciding:")  # an exclusion that applies rules out
    # received systemic anticancer therapy; "CNS leukemia" asks whether the AML is in the
    # CNS, and "second cancers requiring ... treatment" is not the AML's own treatment
    assert sum(m.startswith("✗ excl deciding:") for m in marks) == 1
    # an exclusion that does not apply is no cross against the patient
    assert not any(m.startswith("✗") and "deciding" not in m for m in marks)
    assert "evidence: cytarabine (active) — structured therapies[0]" in excluded
    assert "lab:wbc=NUMBER (10^9/L)" in text
    text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"  # rich pads cells
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, "utf-8")
    assert GOLDEN.exists(), f"no golden file {GOLDEN.name}; UPDATE_GOLDEN=1 to write it"
    assert text == GOLDEN.read_text("utf-8"), f"{GOLDEN.name} differs; UPDATE_GOLDEN=1 to accept"


def test_note_as_text_searches_ranks_and_quotes_sentences(db: Path) -> None:
    report = report_of(run(db, NOTE, "--limit", "5", "--json"))
    trials = report["trials"]
    assert 0 < len(trials) <= 5 < report["candidates"]
    assert "acute myeloid leukemia" in report["query"]
    scores = [t["score"] for t in trials]
    assert scores == sorted(scores, reverse=True)  # best match first
    sources = [
        e["source"]
        for t in trials
        for c in t["criteria"]
        for e in c["evidence"]
        if e["source"] and e["source"]["kind"] == "note"
    ]
    assert any(s["ref"] == "sentence 2" and "ECOG 1" in s["text"] for s in sources)
    decides = [q["decides"] for q in report["questions"]]
    assert decides and decides == sorted(decides, reverse=True)
    assert all(q["decides"] == len(q["trials"]) for q in report["questions"])


def test_stdin_answers_and_save(db: Path, tmp_path: Path) -> None:
    before = report_of(run(db, "-", "--trial", POSSIBLE, "--json", stdin=NOTE))
    wbc = [q for q in before["questions"] if q["key"] == "lab:wbc"]
    assert wbc and wbc[0]["trials"] == [POSSIBLE]

    saved = tmp_path / "answered.yaml"
    args = ("--trial", POSSIBLE, "--answer", "lab:wbc=12", "--save", str(saved), "--json")
    after = report_of(run(db, "-", *args, stdin=NOTE))
    assert "lab:wbc" not in {q["key"] for q in after["questions"]}
    (item,) = [c for c in after["trials"][0]["criteria"] if "WBC count" in c["text"]]
    assert item["verdict"] == "NOT_MET"
    assert item["evidence"][0]["source"] == {
        "kind": "answer",
        "ref": "lab:wbc",
        "text": "12",
        "span": None,
    }

    # the saved patient has the note's facts and the answer, and matches the same way
    data = yaml.safe_load(saved.read_text("utf-8"))
    assert data["age"] == 45 and data["sex"] == "male"
    assert {k: data["labs"][-1][k] for k in ("test", "value")} == {"test": "wbc", "value": 12.0}
    again = report_of(run(db, str(saved), "--trial", POSSIBLE, "--json"))
    assert again["trials"][0]["counts"] == after["trials"][0]["counts"]


def test_ask_turns_the_questions_into_a_questionnaire(db: Path) -> None:
    # questions come most-deciding first, then by key: heart disease, WBC, a strong CYP3A4
    # inhibitor, consent; the second round asks what the answers opened (hypertension)
    # until input ends
    stdin = "no\nmany\n12\nno\nyes\n"
    done = run(db, str(PATIENT), "--trial", POSSIBLE, "--ask", stdin=stdin)
    assert "Cardiovascular disease? [yes/no]:" in done.stderr
    assert "must be a number, not 'many'" in done.stderr  # asked again, then 12 taken
    assert "Willing to give consent" in done.stderr
    first, second = done.stdout.split("With your answers", 1)
    assert "4/0/6" in first and "5/0/4" in second  # fits / rules out / unknown
    assert "lab:wbc=NUMBER" in first and "lab:wbc=NUMBER" not in second


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("nope/patient.yaml",), 1, "no such file"),
        (("{labs}",), 1, "unknown lab test"),
        (("{unit}",), 1, "Patient field 'labs.platelets.unit': cannot convert 'furlongs'"),
        (("{broken}",), 1, "line 2 column"),
        ((NOTE, "--trial", "NCT00000000"), 1, "No study NCT00000000 in this mirror."),
        ((NOTE, "--answer", "lab:wbc"), 2, "Cannot read the answer 'lab:wbc'"),
        ((NOTE, "--answer", "lab:wbc=lots"), 2, "must be a number"),
        ((NOTE, "--status", "RECRUITING", "--any-status"), 2, "not both"),
        ((NOTE, "--radius", "far"), 2, "Cannot read the radius"),
    ],
)
def test_errors_are_a_message_and_a_hint(
    db: Path, tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    files = {
        "{labs}": "age: 45\nlabs:\n  sparkle: 3 mg/dL\n",
        "{unit}": "age: 45\nlabs:\n  platelets: 80 furlongs\n",
        "{broken}": "age: 45\n labs: [\n",
    }
    for name, text in files.items():
        (tmp_path / f"{name[1:-1]}.yaml").write_text(text, "utf-8")
    args = tuple(str(tmp_path / f"{a[1:-1]}.yaml") if a in files else a for a in args)
    done = run(db, *args, code=code)
    assert message in done.stderr
    assert done.stderr.startswith("Error:")
    assert done.stdout == ""


def test_the_patient_is_never_written(db: str, tmp_path: Path) -> None:
    before = files_beside(db)
    run(db, NOTE, "--json", cwd=tmp_path)
    run(db, NOTE, "--trial", POSSIBLE, "--answer", "lab:wbc=12", cwd=tmp_path)
    assert files_beside(db) == before
    assert list(tmp_path.iterdir()) == []
    assert not stored_anywhere(db, MARKER)
