"""The search engine on real records, on both backends: relevance sanity, every filter,
distance, facets, paging."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest

from tests.conftest import CTGOV, FIXTURES, Backend, needs_corpus
from trialscope.errors import UsageError
from trialscope.importer import import_paths
from trialscope.record import Study
from trialscope.record.ages import age_in_years
from trialscope.search import (
    GeoFilter,
    SearchEngine,
    SearchQuery,
    SortOrder,
    distance_km,
    locate_place,
)
from trialscope.search.pg_dialect import tsquery_text
from trialscope.search.sqlite_dialect import fts_expression

pytestmark = needs_corpus

# Full v2 records with sites, statuses, phases and ages; India oncology and leukemia sets.
FILES = [
    CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz",
    CTGOV / "v2" / "dgg32__graph_bigquery.jsonl.gz",
    CTGOV / "v2" / "vrinda2019__NSCLCBench.jsonl.gz",
    CTGOV / "v2" / "alexxpz__LLM.jsonl",
    CTGOV / "legacy_xml" / "datasets__clinical-trials-us.jsonl",
    FIXTURES / "NCT04416854.2026.v2.json",
]


@pytest.fixture(scope="module")
def engine(backend: Backend) -> Iterator[SearchEngine]:
    with backend.open() as store:
        import_paths(store, FILES)
        made = SearchEngine(store)
        made.refresh()
        yield made


def studies(engine: SearchEngine, ids: list[str]) -> list[Study]:
    return [Study.from_json(engine.store.study_bytes(n)) for n in ids]


def all_ids(engine: SearchEngine, query: SearchQuery) -> list[str]:
    result = engine.search(query)
    ids = [h.nct_id for h in result.hits]
    while result.next_cursor:
        result = engine.search(_with_cursor(query, result.next_cursor))
        ids += [h.nct_id for h in result.hits]
    return ids


def _with_cursor(query: SearchQuery, cursor: str) -> SearchQuery:
    return replace(query, cursor=cursor)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (SearchQuery(text="palliative primary tumor resection colon"), "NCT04416854"),
        (SearchQuery(cond="metastatic colon cancer"), "NCT04416854"),
        (SearchQuery(titles="Kinesiotape"), "NCT05013879"),
        (SearchQuery(text="congenital adrenal hyperplasia nifedipine"), "NCT00000102"),
    ],
)
def test_relevance_sanity(engine: SearchEngine, query: SearchQuery, expected: str) -> None:
    top = [h.nct_id for h in engine.search(query).hits[:10]]
    assert expected in top


def test_title_hits_outrank_eligibility_hits(engine: SearchEngine) -> None:
    hits = engine.search(SearchQuery(text="leukemia", limit=20)).hits
    assert hits and all(h.score >= hits[-1].score for h in hits)
    assert "leukemia" in (hits[0].brief_title or "").lower() + " ".join(hits[0].conditions).lower()


def test_status_phase_and_type_filters(engine: SearchEngine) -> None:
    query = SearchQuery(text="cancer", statuses=("RECRUITING",), phases=("PHASE3",), limit=50)
    found = engine.search(query)
    assert found.total > 0
    for study in studies(engine, [h.nct_id for h in found.hits]):
        assert str(study.overall_status) == "RECRUITING"
        assert "PHASE3" in [str(p) for p in study.phases]
    assert set(found.facets["overall_status"]) == {"RECRUITING"}
    assert found.facets["phase"]["PHASE3"] == found.total


@pytest.mark.parametrize("age", [5, 17, 45, 80])
def test_age_falls_within_the_trial_limits(engine: SearchEngine, age: float) -> None:
    found = engine.search(SearchQuery(age_years=age, limit=200, with_facets=False))
    assert found.total > 0
    for study in studies(engine, [h.nct_id for h in found.hits]):
        low, high = age_in_years(study.min_age), age_in_years(study.max_age)
        assert (low is None or low <= age) and (high is None or high >= age)


def test_sex_and_healthy_volunteers(engine: SearchEngine) -> None:
    males = engine.search(SearchQuery(sex="MALE", limit=200)).hits
    assert males
    for study in studies(engine, [h.nct_id for h in males]):
        module = study.protocol_section.eligibility_module if study.protocol_section else None
        assert module is None or module.sex is None or str(module.sex) in ("ALL", "MALE")
    healthy = engine.search(SearchQuery(healthy_volunteers=True, limit=200)).hits
    assert healthy
    for study in studies(engine, [h.nct_id for h in healthy]):
        module = study.protocol_section.eligibility_module if study.protocol_section else None
        assert module is not None and module.healthy_volunteers is True


def test_country_filter_and_site_status(engine: SearchEngine) -> None:
    found = engine.search(SearchQuery(country="India", site_statuses=("RECRUITING",), limit=100))
    assert found.total > 0
    for study in studies(engine, [h.nct_id for h in found.hits]):
        assert any(s.country == "India" and str(s.status) == "RECRUITING" for s in study.locations)


def test_distance_counts_only_sites_with_a_matching_status(engine: SearchEngine) -> None:
    shanghai = locate_place("Shanghai")
    geo = GeoFilter(shanghai.lat, shanghai.lon, 50, shanghai.label)
    near = engine.search(SearchQuery(geo=geo, sort=SortOrder.DISTANCE, limit=100))
    assert "NCT04416854" in [h.nct_id for h in near.hits]
    distances = [h.nearest_site.distance_km for h in near.hits if h.nearest_site]
    assert distances == sorted(distances) and all(d <= 50 for d in distances)
    # its one Shanghai site is RECRUITING: asking for completed sites drops it
    completed = engine.search(SearchQuery(geo=geo, site_statuses=("COMPLETED",), limit=100))
    assert "NCT04416854" not in [h.nct_id for h in completed.hits]


def test_sites_without_geopoint_are_placed_by_the_gazetteer(engine: SearchEngine) -> None:
    # NCT00000102 (2013 legacy XML) has a Charleston, South Carolina site and no geoPoint
    placed = engine.db.execute(
        "SELECT lat, lon, placed FROM search_sites WHERE nct_id = 'NCT00000102'"
    ).fetchone()
    assert placed[2] == "gazetteer"
    assert distance_km(placed[0], placed[1], 32.78, -79.93) < 20
    charleston = locate_place("Charleston, South Carolina")
    geo = GeoFilter(charleston.lat, charleston.lon, 30)
    near = engine.search(SearchQuery(geo=geo, sort=SortOrder.DISTANCE, limit=1000)).hits
    assert "NCT00000102" in [h.nct_id for h in near]


def test_facets_count_all_matches_not_the_page(engine: SearchEngine) -> None:
    found = engine.search(SearchQuery(text="cancer", limit=3))
    assert len(found.hits) == 3 and found.total > 3
    assert sum(found.facets["overall_status"].values()) == found.total
    assert sum(found.facets["study_type"].values()) == found.total


def test_cursor_pages_cover_every_match_once(engine: SearchEngine) -> None:
    query = SearchQuery(text="cancer", limit=7, with_facets=False)
    ids = all_ids(engine, query)
    assert len(ids) == len(set(ids)) == engine.search(query).total


def test_a_cursor_from_another_search_is_refused(engine: SearchEngine) -> None:
    cursor = engine.search(SearchQuery(text="cancer", limit=2)).next_cursor
    assert cursor
    with pytest.raises(UsageError, match="different search"):
        engine.search(SearchQuery(text="leukemia", limit=2, cursor=cursor))
    with pytest.raises(UsageError):
        engine.search(SearchQuery(text="cancer", limit=2, cursor="not-a-cursor"))


@pytest.mark.parametrize("order", [SortOrder.LAST_UPDATE, SortOrder.START_DATE])
def test_date_sorts(engine: SearchEngine, order: SortOrder) -> None:
    hits = engine.search(SearchQuery(text="cancer", sort=order, limit=50)).hits
    key = "last_update_post_date" if order is SortOrder.LAST_UPDATE else "start_date"
    dates = [getattr(h, key) for h in hits if getattr(h, key)]
    assert dates == sorted(dates, reverse=True)


def test_related_trials_share_conditions(engine: SearchEngine) -> None:
    # a leukemia trial among the 100 leukemia trials of dgg32/graph_bigquery
    leukemia = engine.search(SearchQuery(cond="acute myeloid leukemia", limit=1)).hits[0]
    related = engine.related(leukemia.nct_id, k=5)
    assert len(related) == 5 and leukemia.nct_id not in [h.nct_id for h in related]
    for hit in related:
        text = (" ".join(hit.conditions) + " " + (hit.brief_title or "")).lower()
        assert "leukemia" in text or "aml" in text, hit


@pytest.mark.parametrize(
    ("text", "scope", "expected"),
    [
        ("liver metastases", None, '("liver" "metastases")'),
        (
            '"liver metastases" OR crlm',
            "{conditions}",
            '{conditions} : ("liver metastases" OR "crlm")',
        ),
        ("AND ) ( * :", None, '("AND")'),
        ("OR", None, '("OR")'),  # a lone OR is a word, not an operator
        ("", None, None),
    ],
)
def test_user_text_becomes_a_safe_fts_query(
    text: str, scope: str | None, expected: str | None
) -> None:
    assert fts_expression(text, scope) == expected


def test_index_follows_a_new_version(backend: Backend) -> None:
    with backend.open() as store:
        import_paths(store, [CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml"])
        engine = SearchEngine(store)
        assert engine.search(SearchQuery(statuses=("RECRUITING",))).total == 1
        import_paths(store, [FIXTURES / "NCT04416854.2026.v2.json"])
        assert engine.search(SearchQuery(statuses=("RECRUITING",))).total == 0
        assert engine.search(SearchQuery(statuses=("UNKNOWN",))).total == 1


def test_cli_search_json_and_errors(backend: Backend) -> None:
    run = [sys.executable, "-m", "trialscope", "--db", backend.location()]
    subprocess.run(
        [*run, "import", "--quiet", str(FIXTURES / "NCT04416854.2026.v2.json")],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [
            *run,
            "search",
            "colon cancer",
            "--near",
            "Shanghai",
            "--radius",
            "50km",
            "--age",
            "62",
            "--sex",
            "female",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert [h["nct_id"] for h in result["hits"]] == ["NCT04416854"]
    assert result["hits"][0]["nearest_site"]["city"] == "Shanghai"
    for args, message in [
        (["search", "x", "--near", "Atlantis of the Deep"], "Unknown place"),
        (["search", "x", "--near", "Paris", "--radius", "far"], "Cannot read the radius"),
        (["search", "x", "--sort", "distance"], "needs a place"),
        (["related", "NCT99999999"], "No study NCT99999999"),
    ]:
        bad = subprocess.run([*run, *args], capture_output=True, text=True)
        assert bad.returncode in (1, 2) and message in bad.stderr and "Traceback" not in bad.stderr


def test_cached_totals_follow_changes_from_another_connection(backend: Backend) -> None:
    path = backend.location()
    with backend.open(path) as reader_store, backend.open(path) as writer_store:
        import_paths(writer_store, [CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml"])
        reader = SearchEngine(reader_store)
        query = SearchQuery(statuses=("UNKNOWN",))
        assert reader.search(query).total == 0
        assert reader.search(query).total == 0  # now served from the cache
        import_paths(writer_store, [FIXTURES / "NCT04416854.2026.v2.json"])
        SearchEngine(writer_store).refresh()
        assert reader.search(query).total == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("liver metastases", "'liver' & 'metastases'"),
        ('"liver metastases" OR crlm', "(('liver' <-> 'metastases') | 'crlm')"),
        ("a b OR c", "'a' & ('b' | 'c')"),
        ("AND ) ( * : ' &|!", "'AND'"),
        ("Sjögren café", "'Sjogren' & 'cafe'"),
        ("OR", "'OR'"),
        ("", None),
    ],
)
def test_user_text_becomes_a_safe_tsquery(text: str, expected: str | None) -> None:
    assert tsquery_text(text) == expected


def test_related_trials_of_the_seed_trial(engine: SearchEngine) -> None:
    related = engine.related("NCT04416854", k=10)
    assert len(related) == 10 and all(h.nct_id != "NCT04416854" for h in related)
    assert [h.score for h in related] == sorted((h.score for h in related), reverse=True)
    # each shares a condition, MeSH or intervention term, or title words, with the seed

    def terms(nct: str) -> set[tuple[str, str]]:
        query = "SELECT kind, term FROM search_terms WHERE nct_id = ?"
        return {(r[0], r[1]) for r in engine.db.execute(query, (nct,))}

    def words(nct: str) -> set[str]:
        (study,) = studies(engine, [nct])
        titles = f"{study.brief_title} {study.official_title}".replace(":", " ")
        return {w.lower() for w in titles.split() if len(w) > 3}

    for hit in related:
        assert terms(hit.nct_id) & terms("NCT04416854") or words(hit.nct_id) & words(
            "NCT04416854"
        ), hit
