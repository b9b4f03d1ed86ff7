"""Errors for people: HTML pages speak plainly (no command lines, codes or patterns), the
JSON API keeps its envelope and hints, and a query string that is not text is a 400."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import Backend, needs_corpus
from tests.webapp import TestClient, build_db, client_for
from trialscope.web.errors import readable_query

pytestmark = needs_corpus
HTML = {"accept": "text/html"}
#: what a patient must never read on a page
TECHNICAL = re.compile(r"trialscope |`|/docs|/api/|\^|\[0-9\]|\\d|pattern|_error|not_found")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[TestClient]:
    with client_for(build_db(tmp_path_factory.mktemp("errors"), backend)) as opened:
        yield opened


def _main_text(html: str) -> str:
    main = re.search(r"<main.*?</main>", html, re.S)
    assert main, html[:500]
    return " ".join(re.sub(r"<[^>]+>", " ", main.group(0)).split())


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/trials/NCT00000000", 404, "We could not find trial NCT00000000. Check the number"),
        ("/trials/NCT00000000/patient", 404, "We could not find trial NCT00000000."),
        ("/trials/garbage", 422, "“garbage” is not a trial number."),
        ("/trials/NCT123", 422, "Trial numbers look like NCT04416854"),
        ("/no/such/page", 404, "There is no page at this address."),
        ("/search?cond=%ff", 400, "This address has characters we cannot read."),
        ("/search?q=caf%E9", 400, "This address has characters we cannot read."),
    ],
)
def test_html_errors_are_in_plain_words(
    client: TestClient, url: str, status: int, says: str
) -> None:
    page = client.get(url, headers=HTML)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    text = _main_text(page.text)
    assert says in text
    assert not TECHNICAL.search(text), text
    assert 'action="/search"' in page.text  # a way on: search by disease


@pytest.mark.parametrize(
    ("url", "status", "code", "hint"),
    [
        ("/api/v2/studies/NCT00000000", 404, "not_found", "trialscope import"),
        ("/api/v2/studies/garbage", 422, "validation_error", "/docs"),
        ("/api/v2/studies?query.cond=%ff", 400, "bad_request", "UTF-8"),
        ("/api/v2/studies?query.term=%C3%28", 400, "bad_request", "UTF-8"),
    ],
)
def test_the_api_keeps_its_envelope_and_hints(
    client: TestClient, url: str, status: int, code: str, hint: str
) -> None:
    response = client.get(url)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["status"] == status
    assert hint in error["hint"]


def test_percent_encoded_utf8_is_still_read(client: TestClient) -> None:
    everything = client.get("/api/v2/studies", params={"pageSize": 1000}).json()["studies"]
    found = client.get("/api/v2/studies?query.cond=caf%C3%A9&pageSize=1000")
    assert found.status_code == 200
    assert len(found.json()["studies"]) < len(everything)  # a filter, not the registry


@pytest.mark.parametrize(
    ("query", "readable"),
    [
        (b"", True),
        (b"q=liver", True),
        (b"q=caf%C3%A9", True),
        (b"q=S%C3%A3o+Paulo&near=Lyon%2C+France", True),
        (b"q=%ff", False),
        (b"q=%C3%28", False),
        (b"q=%E9t%E9", False),
        (b"q=\xff", False),
    ],
)
def test_readable_query(query: bytes, readable: bool) -> None:
    assert readable_query(query) is readable


def test_a_very_long_note_gives_a_bounded_readable_page(client: TestClient) -> None:
    sentence = (
        "A 62-year-old woman with colorectal cancer and liver metastases. ECOG 1. She had a"
        " heart attack in 2019 and takes metformin for diabetes. "
    )
    note = sentence * (60_000 // len(sentence) + 1)  # over the 50,000 characters read
    page = client.post("/match", data={"note": note})
    assert page.status_code == 200
    shown = re.sub(r"<textarea.*?</textarea>|<input[^>]*>", "", page.text, flags=re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", shown).split())
    assert "Only the first 50,000 characters of “Clinical note” were read." in text
    assert len(text) < 20_000  # 60,000 characters in, a page a person can read out
    assert "Likely eligible" in text or "Possibly eligible" in text or "Not eligible" in text
    for block in re.findall(r"(?:<p class=\"evidence\">.*?</p>\s*)+", page.text, re.S):
        assert block.count('class="evidence"') <= 4  # three and "… and N more in the note"
    assert "more in the note" in text


@pytest.mark.parametrize("data", [{"age": "40"}, {"note": "x"}, {}])
def test_the_match_page_shows_no_command_line_hints(
    client: TestClient, data: dict[str, str]
) -> None:
    page = client.post("/match", data=data)
    assert page.status_code in (400, 422)
    alert = re.search(r'<div class="alert".*?</div>', page.text, re.S)
    assert alert, page.text[:2000]
    text = " ".join(re.sub(r"<[^>]+>", " ", alert.group(0)).split())
    assert "Please check" in text
    assert "--" not in text and not TECHNICAL.search(text), text
