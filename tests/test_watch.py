"""Saved searches on real records: the seed trial NCT04416854 gets its later version (status
RECRUITING → UNKNOWN) and a newcomer joins; runs, the Atom feed (checked by feedparser),
the JSON API, the search page's save form, and the CLI through its real entry point."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.cli_runner import run_cli
from tests.conftest import CTGOV, FIXTURES, Backend, needs_corpus
from tests.webapp import TestClient, client_for
from trialscope.errors import NotFoundError, UsageError
from trialscope.importer import import_paths
from trialscope.search.request import SearchRequest
from trialscope.store import SQLiteStore, Store, open_store
from trialscope.watch import Watches, core

pytestmark = needs_corpus

SEED = "NCT04416854"
NEWCOMER = "NCT99999902"
SEED_XML = CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml"
LATER = FIXTURES / "NCT04416854.2026.v2.json"
CORPUS = CTGOV / "v2" / "genomoncology__biomcp.jsonl"
COLON = SearchRequest(cond="colon cancer")


def newcomer(folder: Path) -> Path:
    """The seed's later record under another id: a trial that joins the colon search."""
    data = json.loads(LATER.read_text("utf-8"))
    ident = data["protocolSection"]["identificationModule"]
    ident["nctId"] = NEWCOMER
    ident["briefTitle"] = "Primary tumour resection in colon cancer, a second trial"
    path = folder / f"{NEWCOMER}.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


@dataclass
class World:
    db: str | Path
    later: list[Path]

    def store(self) -> Store:
        return open_store(self.db)

    def import_later(self) -> None:
        with self.store() as store:
            import_paths(store, self.later, workers=1)


@pytest.fixture
def world(tmp_path: Path) -> World:
    db = tmp_path / "watch.db"
    with SQLiteStore(db) as store:
        import_paths(store, [SEED_XML, CORPUS], workers=1)
    return World(db, [LATER, newcomer(tmp_path)])


@pytest.fixture
def any_world(backend: Backend, tmp_path: Path) -> World:
    """The same world on each backend (SQLite file, PostgreSQL database)."""
    location = backend.location()
    with open_store(location) as store:
        import_paths(store, [SEED_XML, CORPUS], workers=1)
    return World(location, [LATER, newcomer(tmp_path)])


# -- runs --------------------------------------------------------------------------------


def test_a_run_reports_new_and_changed_trials_with_their_changes(any_world: World) -> None:
    with any_world.store() as store:
        saved = Watches(store).add("colon", COLON)
        assert saved.members == 1 and saved.runs == 0
        quiet = Watches(store).run("colon")
    assert quiet.events == [] and quiet.left == [] and quiet.total == 1

    any_world.import_later()
    with any_world.store() as store:
        watches = Watches(store)
        run = watches.run("colon")
        again = watches.run("colon")
        events = watches.events("colon")
        watch = watches.get("colon")

    kinds = {e.nct_id: e.kind for e in run.events}
    assert kinds == {SEED: "changed", NEWCOMER: "new"}
    changed = next(e for e in run.events if e.nct_id == SEED)
    status = next(c for c in changed.changes if c["path"] == "status.overallStatus")
    assert (status["kind"], status["old"], status["new"]) == ("changed", "RECRUITING", "UNKNOWN")
    assert changed.status == "UNKNOWN"
    assert changed.title and changed.title.startswith("The Value of Palliative")
    assert run.since == quiet.ran_at and run.total == 2
    # nothing happened since: the next run reports nothing, and the log keeps both
    assert again.events == [] and again.total == 2
    assert {e.nct_id for e in events} == {SEED, NEWCOMER}
    assert watch.runs == 3 and watch.members == 2 and watch.last_run_at == again.ran_at


def test_a_trial_that_stops_matching_has_left(any_world: World) -> None:
    with any_world.store() as store:
        Watches(store).add("recruiting-colon", SearchRequest(cond="colon", status=("RECRUITING",)))
    any_world.import_later()
    with any_world.store() as store:
        run = Watches(store).run("recruiting-colon")
    assert run.left == [SEED]
    assert SEED not in {e.nct_id for e in run.events}


def test_add_refuses_what_it_cannot_follow(
    any_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with any_world.store() as store:
        watches = Watches(store)
        watches.add("colon", COLON)
        with pytest.raises(UsageError, match="exists already"):
            watches.add("colon", COLON)
        with pytest.raises(UsageError, match="cannot name a saved search"):
            watches.add("no spaces", COLON)
        monkeypatch.setattr(core, "MAX_MEMBERS", 3)
        with pytest.raises(UsageError, match="a saved search follows at most 3"):
            watches.add("everything", SearchRequest())
        with pytest.raises(NotFoundError, match="No saved search named 'nope'"):
            watches.run("nope")
        watches.remove("colon")
        assert watches.all() == []
        # the snapshot and the log went with it
        assert store.conn.execute("SELECT count(*) FROM watch_members").fetchone()[0] == 0


def test_search_options_round_trip_and_refuse_bad_json() -> None:
    options = SearchRequest(
        text="liver metastases", status=("recruiting",), age=62.0, sex="female", near="Lyon"
    )
    assert options.status == ("RECRUITING",) and options.sex == "FEMALE"
    stored = options.to_json()
    assert stored == {
        "text": "liver metastases",
        "status": ["RECRUITING"],
        "age": 62.0,
        "sex": "FEMALE",
        "near": "Lyon",
        "radius": "100km",
    }
    assert SearchRequest.from_json(stored) == options
    assert options.describe() == (
        "'liver metastases' --status RECRUITING --age 62 --sex FEMALE --near Lyon --radius 100km"
    )
    query = options.to_query(limit=5)
    assert query.geo is not None and query.geo.radius_km == 100 and query.age_years == 62
    for bad, message in (
        ({"colour": "red"}, "Unknown search option 'colour'"),
        ({"status": "RECRUITING"}, "'status' must be a list"),
        ({"age": "62"}, "'age' must be a number"),
        ({"healthy": "yes"}, "'healthy' must be true or false"),
        ({"sex": "other"}, "Unknown sex"),
        ({"near": "Lyon", "radius": "far"}, "Cannot read the radius"),
        ({"updated_since": "last week"}, "Cannot read the date"),
        ({"": -9223372036854775809}, "exceeds 64-bit range"),
        ({"age": 2**64}, "exceeds 64-bit range"),
    ):
        with pytest.raises(UsageError, match=message):
            SearchRequest.from_json(bad)


# -- the feed and the web ----------------------------------------------------------------


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with world.store() as store:
        Watches(store).add("colon", COLON)
    world.import_later()
    with world.store() as store:
        Watches(store).run("colon")
    with client_for(world.db) as opened:
        yield opened


def test_feed_is_valid_atom_with_an_entry_per_new_or_changed_trial(client: TestClient) -> None:
    response = client.get("/feeds/colon.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "trialscope: colon"
    assert feed.feed.id == "tag:trialscope,2026:watch/colon"
    entries = {e.link.rsplit("/", 1)[1]: e for e in feed.entries}
    assert set(entries) == {SEED, NEWCOMER}
    seed = entries[SEED]
    assert seed.link == f"http://testserver/trials/{SEED}"
    assert re.fullmatch(rf"tag:trialscope,2026:watch/colon/{SEED}/[0-9a-f]{{16}}", seed.id)
    assert seed.title.startswith(f"{SEED} (changed): The Value of Palliative")
    assert seed.tags[0].term == "changed" and entries[NEWCOMER].tags[0].term == "new"
    assert seed.updated_parsed is not None
    html = seed.content[0].value
    assert "<code>status.overallStatus</code> changed from <q>RECRUITING</q> to <q>UNKNOWN</q>" in (
        html
    )
    assert "New to this search" in entries[NEWCOMER].content[0].value
    # entry ids are per trial and version: a second read, or a run with nothing new, keeps them
    assert client.post("/api/v1/watches/colon/run").json()["changed"] == []
    again = feedparser.parse(client.get("/feeds/colon.atom").content)
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]


def test_feed_of_an_unknown_search_is_a_404_envelope(client: TestClient) -> None:
    response = client.get("/feeds/nothing-here.atom")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "No saved search named 'nothing-here'" in response.json()["error"]["message"]


def test_watches_api(client: TestClient) -> None:
    listed = client.get("/api/v1/watches").json()["watches"]
    assert [(w["name"], w["search"], w["members"]) for w in listed] == [
        ("colon", {"cond": "colon cancer"}, 2)
    ]
    created = client.post(
        "/api/v1/watches",
        json={"name": "shanghai", "search": {"cond": "colon cancer", "near": "Shanghai"}},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["members"] == 2 and body["feed"] == "/feeds/shanghai.atom"
    assert body["description"] == "--cond 'colon cancer' --near Shanghai --radius 100km"
    again = client.post("/api/v1/watches", json={"name": "shanghai", "search": {}})
    assert again.status_code == 400 and "exists already" in again.json()["error"]["message"]
    unknown = client.post("/api/v1/watches", json={"name": "x", "search": {"colour": "red"}})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "usage_error"
    assert client.post("/api/v1/watches", json={"name": "a b"}).status_code == 422
    one = client.get("/api/v1/watches/colon").json()
    assert {e["nct_id"] for e in one["events"]} == {SEED, NEWCOMER}
    assert client.get("/api/v1/watches/nope").status_code == 404
    # agents learn of both from /llms.txt
    guide = client.get("/llms.txt").text
    assert "/api/v1/watches" in guide and "trialscope mcp" in guide


def test_a_number_beyond_64_bits_is_a_usage_error_not_a_crash(client: TestClient) -> None:
    body = {"name": "0", "search": {"": -9223372036854775809}}
    response = client.post("/api/v1/watches", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "usage_error" and "64-bit" in error["message"]
    assert client.get("/api/v1/watches/0").status_code == 404  # nothing was saved


def test_search_page_saves_a_search_and_links_its_feed(client: TestClient) -> None:
    page = client.get("/search", params={"cond": "colon cancer", "status": "UNKNOWN"}).text
    form = re.search(
        r'<form class="save-search" action="/watches" method="post">.*?</form>', page, re.S
    )
    assert form is not None
    hidden = re.search(r'name="search" value="([^"]*)"', form.group(0))
    assert hidden is not None
    search = hidden.group(1).replace("&amp;", "&")
    assert search == "cond=colon+cancer&status=UNKNOWN"
    saved = client.post(
        "/watches", data={"name": "from-the-web", "search": search}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/watches/from-the-web"
    shown = client.get("/watches/from-the-web").text
    assert 'href="/feeds/from-the-web.atom"' in shown
    assert 'type="application/atom+xml"' in shown
    stored = client.get("/api/v1/watches/from-the-web").json()
    assert stored["search"] == {"cond": "colon cancer", "status": ["UNKNOWN"]}
    assert stored["members"] == 2
    bad = client.post("/watches", data={"name": "", "search": search}, follow_redirects=False)
    assert bad.status_code == 400


# -- the CLI -----------------------------------------------------------------------------


def cli(db: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, db=db, code=code)


def test_cli_round_trip(world: World) -> None:
    db = world.db
    added = json.loads(cli(db, "watch", "add", "colon", "--cond", "colon cancer", "--json").stdout)
    assert added["members"] == 1 and added["search"] == {"cond": "colon cancer"}
    listed: list[dict[str, Any]] = json.loads(cli(db, "watch", "list", "--json").stdout)
    assert [w["name"] for w in listed] == ["colon"]
    assert "colon  --cond 'colon cancer'" in cli(db, "watch", "list").stdout

    cli(db, "import", *map(str, world.later), "--quiet")
    runs = json.loads(cli(db, "watch", "run", "--json").stdout)
    assert [r["name"] for r in runs] == ["colon"]
    assert [t["nct_id"] for t in runs[0]["changed"]] == [SEED]
    assert [t["nct_id"] for t in runs[0]["new"]] == [NEWCOMER]
    paths = {c["path"] for c in runs[0]["changed"][0]["changes"]}
    assert "status.overallStatus" in paths
    text = cli(db, "watch", "run", "colon").stdout
    assert "colon: 0 new, 0 changed, 0 left" in text

    duplicate = cli(db, "watch", "add", "colon", "--cond", "x", code=2)
    assert "exists already" in duplicate.stderr and "Hint:" in duplicate.stderr
    assert "Unknown sex" in cli(db, "watch", "add", "odd", "--sex", "other", code=2).stderr
    cli(db, "watch", "remove", "colon")
    assert json.loads(cli(db, "watch", "list", "--json").stdout) == []
    assert "No saved search named 'colon'" in cli(db, "watch", "run", "colon", code=1).stderr


def _options(*command: str) -> set[str]:
    import typer.main

    from trialscope.cli import app
    from trialscope.cli import search_commands as _search  # noqa: F401
    from trialscope.cli import watch_commands as _watch  # noqa: F401

    group: Any = typer.main.get_group(app)
    found = group
    for name in command:
        found = found.commands[name]
    return {name for p in found.params for name in p.opts + p.secondary_opts}


def test_watch_add_takes_exactly_the_search_options() -> None:
    search = _options("search") - {"--sort", "--limit", "--cursor", "--json"}
    assert "--near" in search and "--site-status" in search and "--not-healthy" in search
    assert _options("watch", "add") - {"--json", "name"} == search
    assert "text" in search  # the words, an argument after NAME: watch add NAME "words"
