"""The patient page, detail page, markdown and JSON API on a real store: plain words from
the parsed criteria, no machine chips, and for every trial in the store no status or phase
the record does not give, and the staleness flag on every view."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.cli_runner import run_cli
from tests.conftest import FIXTURES, needs_corpus
from tests.test_plain_language import machine_words
from tests.webapp import SEED, TestClient, build_db, client_for
from trialscope.importer import import_paths
from trialscope.record import Study
from trialscope.record.freshness import freshness
from trialscope.render.card import STATUS_NOT_GIVEN, phase_words, status_word
from trialscope.render.plain_language import NO_STATUS
from trialscope.store import SQLiteStore
from trialscope.vocab import label_of

pytestmark = needs_corpus
SEED_IDS = ("NCT04416854", "NCT05797077", "NCT06120127", "NCT06873178", "NCT06934018")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_db(tmp_path_factory.mktemp("plain"))
    with SQLiteStore(path) as store:
        import_paths(store, [FIXTURES / "seed_trials.v2.jsonl"], workers=1)
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with client_for(db) as opened:
        yield opened


class Page(HTMLParser):
    """Visible text, our own sentences (class "plain", outside quotes), and the text
    of elements marked ``data-field`` (status, phase, stale)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.own: list[str] = []
        self.fields: dict[str, list[str]] = {}
        self.classes: set[str] = set()
        self._stack: list[tuple[str, bool, str | None]] = []
        self._quotes = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "img", "input", "meta", "link", "hr"}:
            return
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        self.classes.update(classes)
        self._stack.append((tag, "plain" in classes, found.get("data-field")))
        if tag in {"blockquote", "q"}:
            self._quotes += 1
        if tag in {"script", "style", "title"}:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        self._stack.pop()
        if tag in {"blockquote", "q"}:
            self._quotes -= 1
        if tag in {"script", "style", "title"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._quotes == 0 and any(plain for _, plain, _ in self._stack):
            self.own.append(data)
        for _, _, name in self._stack:
            if name:
                self.fields.setdefault(name, []).append(data.strip())

    def field(self, name: str) -> list[str]:
        return [t for t in self.fields.get(name, []) if t]


def page(client: TestClient, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, path
    parsed = Page()
    parsed.feed(response.text)
    return parsed


def study(db: Path, nct: str) -> Study:
    with SQLiteStore(db) as store:
        return Study.from_json(store.study_bytes(nct))


@pytest.mark.parametrize("nct", SEED_IDS)
def test_patient_page_has_no_machine_chips(client: TestClient, nct: str) -> None:
    seen = page(client, f"/trials/{nct}/patient")
    assert not {"constraint", "parsed"} & seen.classes
    assert "not computable" not in " ".join(seen.text)
    assert not machine_words(" ".join(seen.own))
    snake = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
    assert not snake.findall(" ".join(seen.text)), nct


def test_seed_004_page_is_plain_and_honest(client: TestClient) -> None:
    seen = page(client, "/trials/NCT06934018/patient")
    own = " ".join(" ".join(seen.own).split())
    assert NO_STATUS in own
    assert seen.field("status") == [STATUS_NOT_GIVEN]
    for false_fact in ("does not take new people", "Unknown status", "no drug phase"):
        assert false_fact not in " ".join(seen.text)
    for words in (
        "The study is for people with colorectal cancer that has spread to the liver.",
        "Up to 5 tumours in the liver.",
        "Able to care for yourself and do light work (ECOG 0–1).",
        "Healthy liver function (Child-Pugh A).",
        "Cancer outside the liver that has not been treated.",
        "The team compares the new approach with another choice.",
    ):
        assert words in own, words
    text = " ".join(seen.text)
    assert "Wide margin surgery" in text and "Narrow margin surgery" in text  # quoted arms
    # the registry's own criteria stay on the page, quoted
    assert "The number of liver metastases was less than or equal to 5;" in text


def test_stale_record_says_so_on_every_view(client: TestClient, db: Path) -> None:
    nct = "NCT06120127"  # recruiting, but its completion date (2025-09-25) has passed
    assert freshness(study(db, nct)).stale
    patient = page(client, f"/trials/{nct}/patient")
    assert "This record may be out of date." in " ".join(patient.field("stale"))
    detail = page(client, f"/trials/{nct}")
    assert "May be out of date: completion date 2025-09-25 has passed" in " ".join(
        detail.field("stale")
    )
    front = yaml.safe_load(client.get(f"/trials/{nct}.md").text.split("---\n")[1])
    assert front["possibly_stale"] is True
    assert "completion_date_passed" in front["stale_reasons"]
    data = client.get(f"/api/v2/studies/{nct}/plain").json()
    assert data["freshness"]["stale"] is True
    assert "completion_date_passed" in data["freshness"]["reasons"]


def test_plain_api_is_the_patient_page_words(client: TestClient) -> None:
    data = client.get(f"/api/v2/studies/{SEED}/plain").json()
    assert data["nct_id"] == SEED
    assert data["status_fact"] == "Unknown status"  # CT.gov's own UNKNOWN
    assert data["freshness"]["stale"] is False
    own = " ".join(page(client, f"/trials/{SEED}/patient").own)
    assert data["good_fit"]
    assert all(" ".join(s.split()) in " ".join(own.split()) for s in data["good_fit"])
    missing = client.get("/api/v2/studies/NCT00000000/plain")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_no_view_states_a_status_or_phase_the_record_does_not_give(
    client: TestClient, db: Path
) -> None:
    """Every trial in the store: the patient and detail pages' status and phase, their
    staleness warnings, and the markdown flag, against the record itself."""
    with SQLiteStore(db) as store:
        ids = store.nct_ids()
    assert len(ids) >= 200
    for nct in ids:
        record = study(db, nct)
        stale = freshness(record).stale
        patient = page(client, f"/trials/{nct}/patient")
        detail = page(client, f"/trials/{nct}")
        assert patient.field("status") == [status_word(record.overall_status)], nct
        expected_phase = phase_words(record)
        assert patient.field("phase")[-1:] == ([expected_phase] if expected_phase else []), nct
        # the detail page: a badge per phase the record gives, then the basic-facts line
        badges = [label_of(p) for p in record.phases]
        assert detail.field("phase") == badges + ([expected_phase] if expected_phase else []), nct
        given = label_of(record.overall_status) if record.overall_status else STATUS_NOT_GIVEN
        assert detail.field("status") == [status_word(record.overall_status), given], nct
        if record.overall_status is None:
            assert NO_STATUS in " ".join(" ".join(patient.own).split()), nct
        assert bool(patient.field("stale")) is stale, nct
        assert bool(detail.field("stale")) is stale, nct
        markdown = client.get(f"/trials/{nct}.md").text
        assert ("possibly_stale: true" in markdown) is stale, nct
        assert not machine_words(" ".join(patient.own)), nct


def test_cli_shows_the_same_plain_words(client: TestClient, db: Path) -> None:
    done = run_cli("show", "NCT06934018", "--format", "plain", db=db)
    text = done.stdout
    assert text.startswith("Impact of surgical margin width")
    assert NO_STATUS in text
    assert f"Status: {STATUS_NOT_GIVEN}" in text
    assert "  - Up to 5 tumours in the liver." in text
    assert "  - Cancer outside the liver that has not been treated." in text
    assert not machine_words(text.split("\n", 1)[1])
    stale = run_cli("show", "NCT06120127", "--format", "plain", db=db).stdout
    assert "Warning: This record may be out of date." in stale
