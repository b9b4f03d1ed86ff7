"""The server-rendered pages on a real store: sections of seed 002 and 004, escaping of
registry text, reading grade of the patient page, the markdown page and /llms.txt."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
import textstat

from tests.conftest import Backend, needs_corpus
from tests.webapp import HOSTILE, SCRIPT, SEED, TestClient, build_db, client_for
from trialscope.record import Study
from trialscope.render import render_markdown
from trialscope.store import open_store

pytestmark = needs_corpus
MAX_GRADE = 8.0


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> str:
    return build_db(tmp_path_factory.mktemp("web"), backend)


@pytest.fixture(scope="module")
def client(db: str) -> Iterator[TestClient]:
    with client_for(db) as opened:
        yield opened


class Outline(HTMLParser):
    """Headings, the text of elements with a given class, and blockquote text."""

    def __init__(self, text_class: str = "plain") -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.classed: list[str] = []
        self.quoted: list[str] = []
        self.labels: list[str] = []
        self._stack: list[tuple[str, bool]] = []
        self._heading: int | None = None
        self._text_class = text_class
        self._buffer: list[str] = []
        self._quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in {"br", "img", "input", "meta", "link", "hr"}:
            return
        self._stack.append((tag, self._text_class in classes))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = int(tag[1])
            self._buffer = []
        if tag == "blockquote":
            self._quote_depth += 1
        if tag == "label":
            self.labels.append(dict(attrs).get("for") or "")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        self._stack.pop()
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._heading, "".join(self._buffer).strip()))
            self._heading = None
        if tag == "blockquote":
            self._quote_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._buffer.append(data)
        if any(flag for _, flag in self._stack) and self._quote_depth == 0:
            self.classed.append(data)
        if self._quote_depth:
            self.quoted.append(data)


def outline(html: str, text_class: str = "plain") -> Outline:
    parser = Outline(text_class)
    parser.feed(html)
    return parser


def test_trial_page_has_the_sections_of_seed_002(client: TestClient) -> None:
    response = client.get(f"/trials/{SEED}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = outline(response.text)
    titles = [text for _, text in page.headings]
    assert titles[0] == "The Value of Palliative Primary Tumor Resection in Metastatic Colon Cancer"
    for section in (
        "Study results",
        "Basic information",
        "Brief summary",
        "Conditions",
        "Study design",
        "Study groups",
        "Interventions",
        "Eligibility criteria",
        "Inclusion criteria",
        "Exclusion criteria",
        "Sponsors",
        "Locations (1)",
        "Other identifiers",
        "More related trials",
        "Recent field changes (last 30 days)",
    ):
        assert section in titles, section
    html = response.text
    assert "Pathological diagnosis of colon cancer adenocarcinoma" in html
    assert "Fudan University Shanghai Cancer Center" in html
    assert "Recruiting</span>" in html  # the site's own status
    assert "<code>status.overallStatus</code> — changed" in html
    assert f'href="/trials/{SEED}/patient"' in html
    assert f'href="/trials/{SEED}.md"' in html


def test_headings_are_nested_without_gaps(client: TestClient) -> None:
    for path in (f"/trials/{SEED}", f"/trials/{SEED}/patient", "/trials/NCT00000000"):
        page = outline(client.get(path, headers={"accept": "text/html"}).text)
        levels = [level for level, _ in page.headings]
        assert levels.count(1) == 1, path
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, (path, page.headings)


def test_criteria_split_into_inclusion_and_exclusion_lists(client: TestClient) -> None:
    html = client.get(f"/trials/{SEED}").text
    inclusion = html.split("Inclusion criteria</h3>", 1)[1].split("</ol>", 1)[0]
    exclusion = html.split("Exclusion criteria</h3>", 1)[1].split("</ol>", 1)[0]
    assert inclusion.count("<li") == 8
    assert exclusion.count("<li") == 9
    assert "Multiple primary colorectal carcinoma" in exclusion
    assert "Multiple primary colorectal carcinoma" not in inclusion


def test_criteria_show_what_the_parser_computed(client: TestClient) -> None:
    # seed 000's criteria: "ECOG ... 0-1", "ANC≥1.5\*109/L；PLT≥90\*109/L", informed consent
    html = client.get(f"/trials/{SEED}").text
    inclusion = html.split("Inclusion criteria</h3>", 1)[1].split("</ol>", 1)[0]
    notes = re.findall(r'<span class="constraint">([^<]*)</span>', inclusion)
    assert "ecog 0-1" in notes
    assert "anc ≥ 1.5 10^9/L" in notes and "platelets ≥ 90 10^9/L" in notes
    # "voluntary participation, and sign the informed consent" is kept, marked non-computable
    assert any(note.startswith("not computable: ") for note in notes)


@pytest.mark.parametrize("suffix", ["", "/patient"])
def test_registry_text_is_escaped(client: TestClient, suffix: str) -> None:
    html = client.get(f"/trials/{HOSTILE}{suffix}").text
    assert SCRIPT not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Escaping &lt;b&gt;test&lt;/b&gt; &amp; trial" in html
    assert "Pregnancy &lt;= 12 weeks" in html  # CT.gov's markdown escape undone, then escaped


def test_patient_page_has_the_sections_of_seed_004(client: TestClient) -> None:
    response = client.get(f"/trials/{SEED}/patient")
    assert response.status_code == 200
    page = outline(response.text)
    titles = [text for _, text in page.headings]
    for section in (
        "Quick facts",
        "What this trial studies",
        "Who should consider this trial",
        "Good fit",
        "Not a fit",
        "Why it matters",
        "Where this trial is running",
        "How to take part",
    ):
        assert section in titles, section
    own = " ".join(page.classed)
    assert "You may fit if you are 18 years to 75 years old." in own
    assert "You do not fit if you are younger than 18 years or older than 75 years." in own
    assert "Chance decides which group you are in" in own
    quoted = " ".join(page.quoted)
    assert "Pathological diagnosis of colon cancer adenocarcinoma" in quoted
    assert "Multiple primary colorectal carcinoma" in quoted
    assert "Pathological diagnosis" not in own  # registry text only inside quotes


def _grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(text))


def test_patient_pages_read_at_grade_8_or_below(client: TestClient, db: str) -> None:
    """trialscope's own sentences (not the quoted registry text), for every trial."""
    with open_store(db) as store:
        ids = store.nct_ids()
    grades = {}
    for nct in ids:
        page = outline(client.get(f"/trials/{nct}/patient").text)
        text = " ".join(" ".join(page.classed).split())
        assert text, nct
        grades[nct] = (_grade(text), float(textstat.text_standard(text, float_output=True)))
    worst = max(grades.items(), key=lambda item: item[1][0])
    assert worst[1][0] <= MAX_GRADE, worst
    assert max(consensus for _, consensus in grades.values()) <= MAX_GRADE
    assert len(grades) >= 200


def test_markdown_page_is_the_agent_page(client: TestClient, db: str) -> None:
    response = client.get(f"/trials/{SEED}.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    with open_store(db) as store:
        expected = render_markdown(
            Study.from_json(store.study_bytes(SEED)),
            info=store.current_version(SEED),
            changes=store.changes([SEED]),
            canonical_url=f"http://testserver/trials/{SEED}.md",  # the host that was asked
        )
    assert response.text == expected
    assert response.text.startswith("---\ntitle: The Value of Palliative")
    api = client.get(f"/api/v2/studies/{SEED}", params={"format": "md"})
    assert f'canonical_url: "http://testserver/trials/{SEED}.md"' in api.text


def test_canonical_links_use_the_base_url(db: str) -> None:
    with client_for(db, base_url="https://mirror.example") as client:
        text = client.get(f"/trials/{SEED}.md").text
        assert f'canonical_url: "https://mirror.example/trials/{SEED}.md"' in text
        assert "https://mirror.example/api/v2/studies" in client.get("/llms.txt").text


def test_llms_txt_explains_the_mirror(client: TestClient) -> None:
    response = client.get("/llms.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert text.startswith("# trialscope")
    needles = ("/trials/NCT04416854.md", "/api/v2/studies?", "filter.advanced", "/openapi.json")
    for needle in needles:
        assert needle in text, needle
    assert re.search(r"\(2\d\d studies\)", text)


def test_unknown_trial_is_a_404_page_for_browsers_and_json_for_clients(
    client: TestClient,
) -> None:
    html = client.get("/trials/NCT00000000", headers={"accept": "text/html"})
    assert html.status_code == 404
    assert "We could not find trial NCT00000000." in html.text
    assert html.headers["content-type"].startswith("text/html")
    data = client.get("/trials/NCT00000000", headers={"accept": "application/json"})
    assert data.status_code == 404
    assert data.json()["error"]["code"] == "not_found"


def test_pages_work_on_a_phone(client: TestClient) -> None:
    html = client.get(f"/trials/{SEED}").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert "@media (max-width: 760px)" in css.text


# -- search page ----------------------------------------------------------------------------


class Controls(HTMLParser):
    """Form controls (their ids) and the label targets of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label" and attributes.get("for"):
            self.labelled.add(str(attributes["for"]))
        if tag in ("input", "select", "textarea") and attributes.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append(str(attributes.get("id") or attributes.get("name")))


def test_search_page_form_has_a_label_for_every_control(client: TestClient) -> None:
    for path in ("/", "/search?q=cancer&near=Shanghai&radius=200"):
        response = client.get(path)
        assert response.status_code == 200
        page = Controls()
        page.feed(response.text)
        assert len(page.controls) >= 10
        unlabelled = [c for c in page.controls if c not in page.labelled]
        assert not unlabelled, unlabelled
    html = client.get("/").text
    for name in ("q", "cond", "intr", "age", "sex", "hv", "near", "radius", "status", "phase"):
        assert f'name="{name}"' in html, name


def test_search_results_are_cards_like_seed_001(client: TestClient) -> None:
    html = client.get("/search", params={"q": "palliative resection colon"}).text
    card = html.split('<article class="card">', 2)[1]
    assert f'href="/trials/{SEED}"' in card
    assert "The Value of Palliative Primary Tumor Resection" in card
    assert "Unknown status" in card
    assert "Phase 3" in card
    assert "Metastatic Colon Cancer · Surgery" in card
    assert "Procedure: resection of primary tumor · Drug: XELOX · Drug: mFOLFOX6" in card
    assert "Fudan University" in card


def test_filters_show_facet_counts_and_narrow_results(client: TestClient) -> None:
    everything = client.get("/search").text
    total = int(re.search(r'id="summary"><strong>([\d,]+)', everything).group(1))  # type: ignore[union-attr]
    recruiting = re.search(
        r'value="RECRUITING"\s*>\s*Recruiting <span class="count">(\d+)</span>', everything
    )
    assert recruiting, "a Recruiting checkbox with its count"
    narrowed = client.get("/search", params={"status": "RECRUITING"}).text
    count = int(re.search(r'id="summary"><strong>([\d,]+)', narrowed).group(1))  # type: ignore[union-attr]
    assert count == int(recruiting.group(1)) < total
    assert 'value="RECRUITING" checked' in narrowed


def test_near_a_place_shows_the_nearest_site_and_its_distance(client: TestClient) -> None:
    html = client.get(
        "/search", params={"near": "Shanghai", "radius": "60", "unit": "km", "sort": "distance"}
    ).text
    assert "within 60 km of Shanghai, China" in html
    assert "Nearest site" in html
    assert re.search(r"Shanghai[^<]*— \d+ km", html)
    assert 'value="distance" selected' in html


def test_bad_form_input_is_explained_on_the_page(client: TestClient) -> None:
    for params, message in (
        ({"near": "Nowhereville Xq"}, "Unknown place"),
        ({"age": "old"}, "is not a number of years"),
        ({"status": "OPEN"}, "Unknown trial status"),
    ):
        response = client.get("/search", params=params)
        assert response.status_code == 400
        assert 'role="alert"' in response.text
        assert message in response.text


def test_search_text_is_escaped(client: TestClient) -> None:
    html = client.get("/search", params={"q": SCRIPT, "cond": '"><b>x'}).text
    assert SCRIPT not in html
    assert '"><b>x' not in html


def test_trial_page_lists_related_trials(client: TestClient) -> None:
    html = client.get("/trials/NCT04388332").text  # one of many cancer trials in the store
    related = html.split('id="h-related"', 1)[1].split("</section>", 1)[0]
    assert related.count('<article class="card">') >= 1
    assert 'href="/trials/NCT04388332"' not in related
