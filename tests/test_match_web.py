"""Patient matching on the web, on a real store through the in-process ASGI client:
``POST /api/v1/match`` (structured, note, FHIR, answers; errors in the one envelope naming
the field; the OpenAPI entry) and the ``/match`` form (labels, results with checklists,
questions re-posted with the input in hidden fields, no patient data in URLs, logs or
the database)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Backend, needs_corpus
from tests.webapp import SEED, TestClient, build_db, client_for, stored_anywhere
from trialscope.errors import PatientError
from trialscope.web.match_api import MatchFailed, no_patient_in_logs

pytestmark = needs_corpus

POSSIBLE, EXCLUDED = "NCT05918692", "NCT04789655"
MARKER = "Quillfeatherson"
NOTE = (
    f"Mr {MARKER} is a 45-year-old man with relapsed acute myeloid leukemia. ECOG 1. "
    "Platelets 80,000/uL. He denies HIV infection. Prior chemotherapy with cytarabine."
)
PATIENT = {
    "age": 45,
    "sex": "male",
    "ecog": 1,
    "conditions": ["relapsed acute myeloid leukemia", {"name": "HIV", "status": "absent"}],
    "labs": {"platelets": "80 x10^9/L"},
    # on cytarabine now: CC-96191 excludes therapy < 28 days before (undated, it asks when)
    "therapies": [{"name": "cytarabine", "status": "active"}, "daunorubicin"],
}
FHIR = ROOT / "examples" / "patients" / "crc_liver_mets.fhir.json"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> str:
    return build_db(tmp_path_factory.mktemp("match-web"), backend)


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with client_for(db) as opened:
        yield opened


def match(client: TestClient, status: int = 200, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/match", json=body)
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    return data


def error(client: TestClient, status: int, **body: Any) -> dict[str, Any]:
    data = match(client, status, **body)
    assert set(data) == {"error"}
    found: dict[str, Any] = data["error"]
    assert found["status"] == status
    return found


# -- the API ----------------------------------------------------------------------------


def test_note_finds_ranks_and_explains(client: TestClient) -> None:
    report = match(client, note=NOTE, limit=5)
    assert 0 < len(report["trials"]) <= 5 < report["candidates"]
    assert sum(report["verdicts"].values()) == len(report["trials"])  # of those shown
    scores = [t["score"] for t in report["trials"]]
    assert scores == sorted(scores, reverse=True)  # best match first
    first = report["trials"][0]
    assert set(first["counts"]) == {"MET", "NOT_MET", "UNKNOWN", "NOT_APPLICABLE"}
    quoted = [
        e["source"]
        for t in report["trials"]
        for c in t["criteria"]
        for e in c["evidence"]
        if e["source"] and e["source"]["kind"] == "note"
    ]
    assert any(q["ref"] == "sentence 1" and MARKER in q["text"] for q in quoted)
    decides = [q["decides"] for q in report["questions"]]
    assert decides == sorted(decides, reverse=True) and decides[0] >= 2


def test_structured_patient_near_a_place_and_given_trials(client: TestClient) -> None:
    report = match(client, patient=PATIENT, trials=[POSSIBLE, EXCLUDED], near="Paris")
    assert report["near"] == "Paris, France"
    verdicts = {t["nct_id"]: t["verdict"] for t in report["trials"]}
    assert verdicts == {POSSIBLE: "POSSIBLY_ELIGIBLE", EXCLUDED: "INELIGIBLE"}
    excluded = next(t for t in report["trials"] if t["nct_id"] == EXCLUDED)
    first = excluded["criteria"][0]
    assert first["index"] in excluded["deciding"]
    assert first["kind"] == "exclusion" and first["verdict"] == "MET"
    assert first["mark"] == "rules out"  # the patient's side of an exclusion that applies
    assert first["evidence"][0]["source"]["kind"] == "structured"
    marks = {(c["kind"], c["verdict"]): c["mark"] for t in report["trials"] for c in t["criteria"]}
    assert marks.get(("exclusion", "NOT_MET"), "does not apply") == "does not apply"
    assert marks.get(("inclusion", "MET")) == "fits"
    assert sum(excluded["marks"].values()) == len(excluded["criteria"])


def test_answers_rerun_the_match(client: TestClient) -> None:
    before = match(client, note=NOTE, trials=[POSSIBLE])
    assert "lab:wbc" in {q["key"] for q in before["questions"]}
    after = match(client, note=NOTE, trials=[POSSIBLE], answers={"lab:wbc": 12})
    assert "lab:wbc" not in {q["key"] for q in after["questions"]}
    (item,) = [c for c in after["trials"][0]["criteria"] if "WBC count" in c["text"]]
    assert item["verdict"] == "NOT_MET"
    assert item["evidence"][0]["source"]["kind"] == "answer"


def test_fhir_bundle(client: TestClient) -> None:
    bundle = json.loads(FHIR.read_text("utf-8"))
    report = match(client, fhir=bundle, trials=[SEED], statuses=[])
    (trial,) = report["trials"]
    sources = {e["source"]["kind"] for c in trial["criteria"] for e in c["evidence"] if e["source"]}
    assert "fhir" in sources
    assert trial["counts"]["MET"] >= 2


def test_note_and_structured_fields_together(client: TestClient) -> None:
    report = match(client, note=NOTE, patient={"age": 17}, trials=[POSSIBLE])
    (age,) = [c for c in report["trials"][0]["criteria"] if c["text"] == "Age: 18 Years to any"]
    assert age["verdict"] == "NOT_MET"  # the structured age wins over the note's
    assert report["trials"][0]["verdict"] == "INELIGIBLE"


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ({"patient": {"labs": {"platelets": "80 furlongs"}}}, 422, "bad_patient", "patient.labs"),
        ({"patient": {"age": 45, "favourite": "tea"}}, 422, "bad_patient", "'patient.favourite'"),
        ({"fhir": {"resourceType": "Patient"}}, 422, "bad_patient", "'fhir.resourceType'"),
        ({"fhir": {"resourceType": "Bundle"}, "note": NOTE}, 422, "bad_patient", "'fhir'"),
        ({}, 422, "bad_patient", "no patient given"),
        ({"note": NOTE, "limit": 0}, 422, "validation_error", "body.limit"),
        ({"note": NOTE, "radius_km": -1}, 422, "validation_error", "body.radius_km"),
        ({"note": NOTE, "nonsense": 1}, 422, "validation_error", "body.nonsense"),
        ({"note": NOTE, "trials": ["NCT00000000"]}, 404, "not_found", "NCT00000000"),
        ({"note": NOTE, "trials": ["12345"]}, 400, "usage_error", "not an NCT id"),
        ({"note": NOTE, "answers": {"lab:wbc": "lots"}}, 400, "usage_error", "must be a number"),
        ({"note": NOTE, "answers": {"colour": "red"}}, 400, "usage_error", "Unknown question"),
    ],
)
def test_errors_in_the_one_envelope_naming_the_field(
    client: TestClient, body: dict[str, Any], status: int, code: str, words: str
) -> None:
    found = error(client, status, **body)
    assert found["code"] == code
    assert words in found["message"]


def test_openapi_documents_the_operation_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/match"]["post"]
    assert operation["tags"] == ["patient matching"]
    body = operation["requestBody"]["content"]["application/json"]
    assert set(body["examples"]) == {"structured", "note", "trials"}
    schema = spec["components"]["schemas"]["MatchRequest"]
    assert {"patient", "note", "fhir", "trials", "near", "radius_km", "answers"} <= set(
        schema["properties"]
    )
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/MatchReportOut")
    assert {"422", "404", "400"} <= set(operation["responses"])
    # the documented example runs
    example = body["examples"]["trials"]["value"]
    assert match(client, **example)["trials"][0]["nct_id"] == POSSIBLE


# -- the form ---------------------------------------------------------------------------


class Form(HTMLParser):
    """Inputs (name, type, value, id), labels' targets, forms, links and roles."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.forms: list[dict[str, str]] = []
        self.links: list[str] = []
        self.roles: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag in ("input", "select", "textarea"):
            self.inputs.append({"tag": tag, **found})
        elif tag == "label" and found.get("for"):
            self.label_for.add(found["for"])
        elif tag == "form":
            self.forms.append(found)
        elif tag == "a":
            self.links.append(found.get("href", ""))
        if found.get("role"):
            self.roles.add(found["role"])


def parse(html: str) -> Form:
    parser = Form()
    parser.feed(html)
    return parser


def visible_fields_are_labelled(page: Form) -> None:
    for field in page.inputs:
        if field.get("type") == "hidden":
            continue
        assert field.get("id") in page.label_for, field


def asked_keys(html: str) -> set[str]:
    """The question keys a questions form asks (its visible answer inputs)."""
    inputs = parse(html).inputs
    return {
        f["name"][7:] for f in inputs if f["name"].startswith("answer:") and f["type"] != "hidden"
    }


def post(client: TestClient, fields: dict[str, str]) -> Any:
    return client.post("/match", data=fields)


def test_the_form_is_labelled_and_linked_from_the_nav(client: TestClient) -> None:
    response = client.get("/match")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = parse(response.text)
    assert page.forms == [
        {
            "class": "match-form",
            "id": "match-form",
            "action": "/match",
            "method": "post",
            "autocomplete": "off",  # the browser keeps no patient details for autofill
            "aria-describedby": "form-help",
        }
    ]
    visible_fields_are_labelled(page)
    names = {f.get("name") for f in page.inputs}
    for name in ("age", "sex", "conditions", "ecog", "pregnant", "care_setting", "near", "note"):
        assert name in names
    assert {"lab_platelets", "unit_creatinine", "lab_alt"} <= names
    assert "/match" in parse(client.get("/search").text).links
    guide = client.get("/llms.txt").text  # agents learn of it too
    assert "/api/v1/match" in guide and "`match_patient`" in guide


def test_results_checklists_and_questions_carry_the_input(client: TestClient) -> None:
    fields = {
        "age": "45",
        "sex": "male",
        "conditions": "acute myeloid leukemia",
        "ecog": "1",
        "care_setting": "inpatient",
        "lab_platelets": "80",
        "unit_platelets": "10^9/L",
        "note": NOTE,
    }
    response = post(client, fields)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    page = parse(html)
    assert {"status", "alert"} & page.roles == {"status"}
    summary = re.search(r'id="match-summary"[^>]*>(.*?)</p>', html, re.S)
    assert summary is not None and "trials checked" in summary.group(1)
    assert html.count('class="match-card') >= 5
    assert "Criterion by criterion" in html
    assert "Must not have:" in html and "Evidence:" in html
    # evidence quotes the note's whole sentence; a value typed in the form is cited as such
    quoted = 'note sentence 5: "Prior chemotherapy with cytarabine."'
    assert quoted in html or quoted.replace('"', "&#34;") in html
    assert "structured ecog" in html
    visible_fields_are_labelled(page)
    # no patient detail in any link or form action
    assert all(MARKER not in link and "age=" not in link for link in page.links)
    assert page.forms and all(f.get("method") == "post" for f in page.forms)
    # the questions form carries the original input as hidden fields
    questions = html.split('id="questions"', 1)[1].split("</form>", 1)[0]
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', questions))
    assert hidden["age"] == "45" and hidden["lab_platelets"] == "80"
    assert hidden["care_setting"] == "inpatient"
    assert '<option value="inpatient" selected>In hospital</option>' in html
    assert MARKER in hidden["note"]
    assert "will_consent" in asked_keys(questions)

    # answering re-posts everything and re-runs: the question is settled
    again = post(client, {**hidden, "answer:will_consent": "yes"})
    assert again.status_code == 200
    rest = again.text.split('id="questions"', 1)
    assert "will_consent" not in asked_keys(rest[1].split("</form>")[0] if rest[1:] else "")
    carried = re.findall(r'type="hidden" name="answer:will_consent" value="yes"', again.text)
    assert carried  # kept for the next round


def test_bad_input_shows_the_form_again_naming_the_field(client: TestClient) -> None:
    response = post(client, {"age": "45", "conditions": "leukemia", "lab_platelets": "lots"})
    assert response.status_code == 422
    page = parse(response.text)
    assert "alert" in page.roles
    assert "Please check “Platelet count”:" in response.text
    assert 'value="lots"' in response.text  # what was typed is kept
    response = post(client, {"conditions": "leukemia", "near": "Paris", "radius": "0"})
    assert response.status_code == 422
    assert "Within (km)”:</strong> must be between 1 and 20,000 km." in response.text
    response = post(client, {"age": "", "note": "  "})
    assert response.status_code == 422
    assert "Send a structured patient, a free-text note" in response.text
    response = post(client, {"age": "45"})
    assert response.status_code == 400
    assert "no condition to search trials for" in response.text


def test_patient_data_is_never_logged_or_stored(
    client: TestClient, db: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        match(client, note=NOTE, trials=[POSSIBLE])
        error(client, 422, note=NOTE, patient={"labs": {"platelets": f"1 {MARKER}"}})
        post(client, {"note": NOTE, "lab_platelets": "80"})
    assert caplog.records, "nothing was logged at all: the check would prove nothing"
    for record in caplog.records:
        assert MARKER not in record.getMessage()
        assert "45-year-old" not in record.getMessage()
    assert not stored_anywhere(db, MARKER)


def test_an_unexpected_failure_loses_what_could_quote_the_patient(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def fails() -> None:
        raise ValueError(f"could not read {MARKER}'s platelets")

    with (
        caplog.at_level(logging.DEBUG),
        pytest.raises(MatchFailed) as raised,
        no_patient_in_logs(),
    ):
        fails()
    assert str(raised.value) == "matching failed (ValueError)"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    (record,) = [r for r in caplog.records if r.name == "trialscope.match"]
    assert "in fails" in record.getMessage()  # where it failed, for a bug report
    assert MARKER not in record.getMessage()
    # a library error passes through untouched (it becomes the usual envelope)
    with pytest.raises(PatientError), no_patient_in_logs():
        raise PatientError("age", "is not a number")
