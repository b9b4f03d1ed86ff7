"""Match one patient to trials: candidates, verdicts, ranking, questions, answers.

Candidates come from the search engine (the patient's conditions as a full-text query
over the conditions field, restricted to recruiting trials open to the patient's age
and sex, near a place if asked) or from an explicit list of NCT ids. Each candidate is
judged criterion by criterion; the ranking score blends topical fit, eligibility, search
relevance and distance to the nearest recruiting site with the weights of the ranking
config (``trialscope/data/ranking.yaml``, which names the cohort they were tuned on;
``WEIGHTS`` here), and an INELIGIBLE verdict scales the score down rather than sorting the
trial last. Topical fit is whether the trial's own conditions (its condition list and
MeSH terms, through the vocabulary) cover one of the patient's: an ELIGIBLE verdict on a
trial about another disease says little.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache

from trialscope.criteria.store import load_parse
from trialscope.data import load_document
from trialscope.data.schema import RankingConfig
from trialscope.errors import NotFoundError, StudyNotFound, UsageError
from trialscope.match.bulk import BulkJudge
from trialscope.match.candidate_query import condition_query
from trialscope.match.concepts import ancestors, vocabulary
from trialscope.match.facts import PatientFacts
from trialscope.match.patient import (
    Patient,
)
from trialscope.match.primary import healthy
from trialscope.match.trials import (
    blocks,
    eligibility_score,
    judge_trial,
)
from trialscope.match.verdicts import TrialMatch, TrialVerdict, Verdict
from trialscope.match.views import TrialView, build_view, load_views
from trialscope.pipeline import lenient_gc
from trialscope.search import SearchEngine
from trialscope.search.types import GeoFilter, Hit, SearchQuery

if TYPE_CHECKING:
    from trialscope.store import Store

#: recruiting now or soon: the trials a patient could actually join
OPEN_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION")
#: search hits that give relevance when every trial is judged (the engine's page limit)
MAX_HITS = 1000
#: the ranking config: weights, factors and the cohort they were tuned on
RANKING: RankingConfig = load_document(RankingConfig)
#: part -> weight of a trial's score (topical, eligibility, relevance, distance)
WEIGHTS: dict[str, float] = RANKING.score.weights.model_dump()


@dataclass(frozen=True, slots=True)
class RankedQuestion:
    key: str
    text: str
    answer: str
    unit: str | None
    #: trials whose verdict this answer would decide
    trials: tuple[str, ...]

    @property
    def decides(self) -> int:
        return len(self.trials)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "text": self.text,
            "answer": self.answer,
            "unit": self.unit,
            "decides": self.decides,
            "trials": list(self.trials),
        }


@dataclass(slots=True)
class MatchReport:
    trials: list[TrialMatch]
    questions: list[RankedQuestion]
    candidates: int
    query: str | None = None
    near: str | None = None
    elapsed_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    #: verdicts over every candidate judged, not only the trials shown
    candidate_verdicts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        counts = {v.value: 0 for v in TrialVerdict}
        for trial in self.trials:
            counts[trial.verdict.value] += 1
        return {
            "candidates": self.candidates,
            "query": self.query,
            "near": self.near,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "verdicts": counts,
            "candidate_verdicts": self.candidate_verdicts,
            "notes": self.notes,
            "trials": [t.to_json() for t in self.trials],
            "questions": [q.to_json() for q in self.questions],
        }


def match_patient(
    store: Store,
    patient: Patient,
    *,
    trials: Iterable[str] = (),
    query: str | None = None,
    near: str | None = None,
    radius_km: float | None = None,
    statuses: tuple[str, ...] = OPEN_STATUSES,
    limit: int = 20,
    candidates: int = 100,
    engine: SearchEngine | None = None,
    every: bool = False,
) -> MatchReport:
    """Rank trials for ``patient``. Nothing about the patient is stored or logged.
    ``every``: judge every trial of ``statuses`` (not only the search's candidates);
    the search still gives the relevance of its best hits."""
    started = time.perf_counter()
    facts = PatientFacts.of(patient)
    wanted = [t.strip().upper() for t in trials if t.strip()]
    geo = _geo(patient, near, radius_km)
    notes: list[str] = []
    hits: dict[str, Hit] = {}
    text = None
    if wanted:
        ids = wanted
        text = query or condition_query(patient)
        if text:  # relevance of the named trials, for ranking them
            engine = engine or SearchEngine(store)
            scoped = SearchQuery(text=text, nct_ids=tuple(wanted), limit=len(wanted),
                                 with_facets=False, geo=geo)  # fmt: skip
            hits = {h.nct_id: h for h in engine.search(scoped).hits}
    elif every:
        if near:
            raise UsageError(
                "Matching every trial does not take a place.",
                hint="Leave out --near, or leave out --all to search near the place.",
            )
        if geo is not None:
            notes.append("every trial judged: the patient's place is not used")
            geo = None
        ids = store.nct_ids(statuses=statuses)
        text = query or condition_query(patient)
        if text:
            engine = engine or SearchEngine(store)
            # relevance only: age and sex are judged from every record anyway
            ranked = SearchQuery(cond=text, statuses=statuses, limit=MAX_HITS, with_facets=False)
            hits = {h.nct_id: h for h in engine.search(ranked).hits}
    else:
        engine = engine or SearchEngine(store)
        text = query or condition_query(patient)
        volunteer = not text and healthy(facts) is not None
        if not text and not volunteer:
            raise UsageError(
                "The patient has no condition to search trials for.",
                hint="Give --trial NCT... or a search text with --query, or add conditions.",
            )
        found = _search(engine, patient, text, statuses, geo, candidates, volunteer)
        hits = {h.nct_id: h for h in found}
        ids = list(hits)
        if volunteer:
            notes.append("A healthy person: candidates are trials that accept healthy volunteers.")
        if not ids:
            wanted_text = f"{text!r}" if text else "healthy volunteers"
            notes.append(
                f"No {'/'.join(s.lower() for s in statuses) or ''} trial matches "
                f"{wanted_text}{' near ' + geo.label if geo and geo.label else ''}."
            )
    bulk = BulkJudge(facts)
    ids = list(dict.fromkeys(ids))
    with lenient_gc():  # views and results are long-lived: full collections are waste
        _prefetch(store, ids)
        matches = [_match_one(store, nct, facts, hits.get(nct), geo, bulk) for nct in ids]
    _score(matches, geo)
    matches.sort(key=lambda m: -m.score)
    shown = matches[:limit] if not wanted else matches
    return MatchReport(
        trials=shown,
        questions=rank_questions(matches),
        candidates=len(matches),
        query=text,
        near=geo.label if geo else None,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        notes=notes,
        candidate_verdicts={
            v.value: sum(1 for m in matches if m.verdict is v) for v in TrialVerdict
        },
    )


def match_trial(store: Store, nct_id: str, patient: Patient | PatientFacts) -> TrialMatch:
    facts = patient if isinstance(patient, PatientFacts) else PatientFacts.of(patient)
    return _match_one(store, nct_id.strip().upper(), facts, None, None)


#: views by (NCT id, content hash): a long-lived server matches many patients against
#: the same trials; decompressing and rebuilding a parse is most of the per-trial cost.
#: Server threads share it, so every access holds the lock.
_VIEWS: LRUCache[tuple[str, str], TrialView] = LRUCache(maxsize=50_000)
_VIEWS_LOCK = threading.Lock()
#: the view type under its former name (benchmarks build replicas with it)
_TrialView = TrialView


def _trial_view(store: Store, nct_id: str) -> TrialView:
    try:
        info = store.current_version(nct_id)
    except NotFoundError as exc:
        raise StudyNotFound(nct_id) from exc
    key = (nct_id, info.content_hash)
    with _VIEWS_LOCK:
        view = _VIEWS.get(key)
    if view is not None:
        return view
    stored = load_views(store, [nct_id]).get(nct_id)
    if stored is not None and stored[0] == info.content_hash:
        view = stored[1]
    else:
        parsed = load_parse(store, nct_id, parse_if_missing=True).parsed
        view = build_view(nct_id, store.study_json(nct_id), parsed)
    with _VIEWS_LOCK:
        _VIEWS[key] = view
    return view


def _prefetch(store: Store, nct_ids: list[str]) -> None:
    """Read the stored views of many trials at once (one query per 500) into ``_VIEWS``."""
    with _VIEWS_LOCK:
        cached = {nct for nct, _ in _VIEWS}
    missing = [n for n in nct_ids if n not in cached]
    if len(missing) < PREFETCH_MIN:
        return
    found = load_views(store, missing)
    with _VIEWS_LOCK:
        for nct_id, (content_hash, view) in found.items():
            _VIEWS[(nct_id, content_hash)] = view


#: below this many trials without a view in memory, each is read on its own
PREFETCH_MIN = 50


def _match_one(
    store: Store,
    nct_id: str,
    facts: PatientFacts,
    hit: Hit | None,
    geo: GeoFilter | None,
    bulk: BulkJudge | None = None,
) -> TrialMatch:
    view = _trial_view(store, nct_id)
    if bulk is not None and view.compiled is not None:
        verdict, results, deciding = bulk.judge(
            view.compiled, view.eligibility, view.parsed, own=view.concepts, screened=view.screened
        )
    else:
        verdict, results, deciding = judge_trial(
            nct_id, view.eligibility, view.parsed, facts, own=view.concepts, screened=view.screened
        )
    first = sorted(
        (r for r in results if r.index in deciding), key=lambda r: deciding.index(r.index)
    )
    # then what is still open, then the rest
    open_ = [r for r in results if r.index not in deciding and blocks(r)]
    rest = [r for r in results if r.index not in deciding and not blocks(r)]
    match = TrialMatch(
        nct_id=nct_id,
        title=view.title,
        verdict=verdict,
        score=eligibility_score(verdict, results),
        criteria=first + open_ + rest,
        deciding=deciding,
        relevance=hit.score if hit is not None else None,
        status=view.status,
        topical=_topical(view.concepts, facts),
    )
    if hit is not None and hit.nearest_site is not None:
        site = hit.nearest_site
        match.distance_km = site.distance_km
        match.nearest_site = ", ".join(p for p in (site.facility, site.city, site.country) if p)
    if not view.parsed.items:
        match.notes.append("no eligibility criteria text in the record")
    unread = sum(1 for r in results if r.verdict is Verdict.UNKNOWN)
    if verdict is TrialVerdict.ELIGIBLE and unread:
        # "eligible" covers what could be checked; say what a person still has to read
        match.notes.append(
            f"fits every criterion trialscope could check; {unread} more "
            f"{'needs' if unread == 1 else 'need'} a person to review"
        )
    return match


def _score(matches: list[TrialMatch], geo: GeoFilter | None) -> None:
    best = max((m.relevance for m in matches if m.relevance is not None), default=None)
    settings = RANKING.score
    for m in matches:
        eligibility = m.score
        relevance = settings.relevance_unknown
        if best and m.relevance is not None:
            relevance = m.relevance / best
        elif best:
            relevance = settings.relevance_missed  # searched for, not found
        distance = settings.distance_unknown
        if geo is not None and m.distance_km is not None:
            distance = max(0.0, 1.0 - m.distance_km / max(geo.radius_km, 1.0))
        m.score = (
            WEIGHTS["topical"] * m.topical
            + WEIGHTS["eligibility"] * eligibility
            + WEIGHTS["relevance"] * relevance
            + WEIGHTS["distance"] * distance
        )
        if m.verdict is TrialVerdict.INELIGIBLE:
            m.score *= settings.ineligible_factor


def _topical(concepts: frozenset[str], facts: PatientFacts) -> float:
    """``covers`` (1) when a condition of the trial covers one of the patient's (the
    patient's is the same or narrower), ``narrower`` (0.6) when the trial's is narrower
    than the patient's, else 0 (the values: ``RANKING.topical``)."""
    covering = [c for c in concepts if facts.has(c)]
    specific = [c for c in covering if not _broad(c)]
    if specific:
        cancers = {id(f.condition) for f in facts.has("lex:malignancy")}
        if cancers and not any(id(f.condition) in cancers for c in specific for f in facts.has(c)):
            # a patient with cancer: a trial of their hypertension alone is not what they seek
            return RANKING.topical.comorbidity
        return RANKING.topical.covers
    if covering:
        return RANKING.topical.broad
    own = {fact.concept for facts_ in facts.present.values() for fact in facts_}
    if any(own & ancestors(c) for c in concepts):
        return RANKING.topical.narrower
    return 0.0


#: lexicon concepts that name a class of diseases, not one
_BROAD_LEXICON = frozenset({"lex:malignancy", "lex:infection", "lex:distant_metastases"})


def _broad(concept: str) -> bool:
    """A class of diseases ("Neoplasms by Site", "cancer"), two steps or fewer below a root
    of the vocabulary: covering a patient's disease it says little about the trial."""
    if concept.startswith("lex:"):
        return concept in _BROAD_LEXICON
    return 0 <= vocabulary().depth(concept) <= 1


def rank_questions(matches: list[TrialMatch]) -> list[RankedQuestion]:
    """Unknown facts across the trials still open, by how many verdicts each decides."""
    by_key: dict[str, tuple[Any, list[str]]] = {}
    for match in matches:
        if match.verdict is not TrialVerdict.POSSIBLY_ELIGIBLE:
            continue
        seen: set[str] = set()
        for result in match.criteria:
            for question in result.questions:
                if question.key.startswith("criterion:") or question.key in seen:
                    continue
                seen.add(question.key)
                entry = by_key.setdefault(question.key, (question, []))
                entry[1].append(match.nct_id)
    ranked = [
        RankedQuestion(q.key, q.text, q.answer, q.unit, tuple(trials))
        for q, trials in by_key.values()
    ]
    ranked.sort(key=lambda q: (-q.decides, q.key))
    return ranked


def _search(
    engine: SearchEngine,
    patient: Patient,
    text: str,
    statuses: tuple[str, ...],
    geo: GeoFilter | None,
    candidates: int,
    volunteer: bool = False,
) -> list[Hit]:
    """Candidates open to the patient's age and sex; a healthy person with no condition
    gets the trials that accept healthy volunteers (no text to rank them by)."""
    age = patient.age_years()
    base = {
        "statuses": statuses,
        "age_years": age,
        "sex": patient.sex.upper() if patient.sex else None,
        "geo": geo,
        "site_statuses": ("RECRUITING", "NOT_YET_RECRUITING") if geo else (),
        "limit": candidates,
        "with_facets": False,
    }
    if volunteer:
        query = SearchQuery(healthy_volunteers=True, **base)  # type: ignore[arg-type]
        return engine.search(query).hits
    result = engine.search(SearchQuery(cond=text, **base))  # type: ignore[arg-type]
    if not result.hits:
        result = engine.search(SearchQuery(text=text, **base))  # type: ignore[arg-type]
    return result.hits


def _geo(patient: Patient, near: str | None, radius_km: float | None) -> GeoFilter | None:
    from trialscope.search.gazetteer import locate_place

    location = patient.location
    radius = (
        radius_km or (location.radius_km if location else None) or RANKING.score.default_radius_km
    )
    if near:
        place = locate_place(near)
        return GeoFilter(place.lat, place.lon, radius, place.label)
    if location is None:
        return None
    if location.latitude is not None and location.longitude is not None:
        return GeoFilter(location.latitude, location.longitude, radius, location.place)
    if location.place:
        place = locate_place(location.place)
        return GeoFilter(place.lat, place.lon, radius, place.label)
    return None
