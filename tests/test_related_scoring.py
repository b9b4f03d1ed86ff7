"""The related-trials scorer on its own: the budget bounds what one list costs, finds the
newest of equally good trials first, and changes nothing when it is not reached (the
corpus's lists with the product's budget against the exact ones: tests/test_related.py)."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator

import pytest

from trialscope.search.related_scoring import (
    TITLE_WEIGHT,
    Corpus,
    Neighbour,
    _score,
    order_key,
)

TRIALS = 300


def rows() -> Iterator[tuple[str, str, str]]:
    """Trials sharing one specific concept; every third also shares a title word."""
    for n in range(TRIALS):
        nct = f"NCT{n:08d}"
        yield nct, "c", "MESH:D000001"
        if n % 3 == 0:
            yield nct, "t", "glioma"
        yield nct, "t", f"word{n}"


def updated() -> dict[str, str]:
    return {f"NCT{n:08d}": f"2020-01-{1 + n % 28:02d}" for n in range(TRIALS)}


def test_a_budget_bounds_the_trials_scored_per_list() -> None:
    budgeted = Corpus(rows(), updated(), lambda c: 1.0, budget=20)
    for nct in ("NCT00000000", "NCT00000001", "NCT00000299"):
        before = budgeted.scored
        found = budgeted.neighbours(nct)
        assert len(found) == 10
        assert budgeted.scored - before <= 20


def test_an_unreached_budget_changes_nothing() -> None:
    exact = Corpus(rows(), updated(), lambda c: 1.0)
    roomy = Corpus(rows(), updated(), lambda c: 1.0, budget=TRIALS)
    for n in range(0, TRIALS, 7):
        nct = f"NCT{n:08d}"
        assert roomy.neighbours(nct) == exact.neighbours(nct)


def test_a_cut_search_meets_the_newest_trials_first() -> None:
    # a trial without the title word: every other trial ties on the concept alone, and
    # ties go to the newest record, which the budgeted search meets first
    exact = Corpus(rows(), updated(), lambda c: 1.0)
    budgeted = Corpus(rows(), updated(), lambda c: 1.0, budget=40)
    assert budgeted.neighbours("NCT00000001") == exact.neighbours("NCT00000001")


@pytest.mark.parametrize("budget", [1, 5])
def test_a_tiny_budget_still_lists_only_trials_sharing_a_concept(budget: int) -> None:
    extra = [("NCT99999999", "t", "glioma")]  # shares a word, no concept
    small = Corpus([*rows(), *extra], {**updated(), "NCT99999999": "2030-01-01"},
                   lambda c: 1.0, budget=budget)  # fmt: skip
    assert "NCT99999999" not in {x.nct_id for x in small.neighbours("NCT00000000")}


def _walk(corpus: Corpus, nct_id: str, k: int = 10) -> tuple[list[Neighbour], int]:
    """The search as the module docstring tells it, one trial scored as it is met (what
    :meth:`Corpus.neighbours` scored before its blocks): the lists and the trials met."""
    q = corpus.doc[nct_id]
    weights, titles, gate = corpus._query(q)
    if not weights and not titles:
        return [], 0
    norm = math.sqrt(sum(titles.values())) or 1.0
    units = sorted(
        (
            (corpus._df[f], f, TITLE_WEIGHT * math.sqrt(w) / norm if f in titles else w)
            for f, w in {**weights, **titles}.items()
        ),
        key=lambda u: -u[2] / u[0],
    )
    table = {**weights, **{f: -w for f, w in titles.items()}}
    budget = len(corpus) if corpus.budget is None else corpus.budget
    best: list[float] = []
    found: dict[int, tuple[float, float]] = {}
    seen = {q}
    for at, (_, f, _) in enumerate(units):
        rest = units[at:]
        left = sum(m for _, g, m in reversed(rest) if g not in titles)
        title = sum(m for _, g, m in reversed(rest) if g in titles)
        if len(seen) > budget or (len(best) >= k and best[0] > left + min(3.0, title) + 1e-3):
            break
        if gate is not None and not any(g in gate for _, g, _ in rest):
            break
        start, end = corpus._post_starts[f], corpus._post_starts[f + 1]
        for d in corpus._postings[start:end]:
            if d in seen:
                continue
            if len(seen) > budget:
                break
            seen.add(d)
            features = corpus._forward[corpus._starts[d] : corpus._starts[d + 1]]
            scored = _score(table, gate, norm, features, corpus._title_norm[d])
            if scored is not None:
                found[d] = scored
                if len(best) < k:
                    heapq.heappush(best, scored[0])
                elif scored[0] > best[0]:
                    heapq.heapreplace(best, scored[0])
    ranked = [
        Neighbour(corpus.ids[d], s, t, corpus._updated[d])
        for d, (s, t) in found.items()
        if best and s >= best[0]
    ]
    return sorted(ranked, key=order_key)[:k], len(seen) - 1


def varied_rows() -> Iterator[tuple[str, str, str]]:
    """Trials with a few of several concepts, interventions and title words, so lists are
    cut by the bound, the budget and the gate at many places."""
    pick = random.Random(13)
    for n in range(600):
        nct = f"NCT{n:08d}"
        for c in pick.sample(range(12), pick.randint(0, 3)):
            yield nct, pick.choice("ca"), f"MESH:D{c:06d}"
        for i in pick.sample(range(30), pick.randint(0, 2)):
            yield nct, "i", f"drug {i}"
        for w in pick.sample(range(80), pick.randint(1, 5)):
            yield nct, "t", f"word{w}"


@pytest.mark.parametrize("budget", [None, 1000, 60, 7])
def test_the_block_search_lists_and_scores_what_a_trial_by_trial_walk_does(
    budget: int | None,
) -> None:
    dates = {f"NCT{n:08d}": f"20{10 + n % 13}-0{1 + n % 9}-01" for n in range(600)}
    corpus = Corpus(varied_rows(), dates, lambda c: 0.0 if c.endswith("0") else 0.7, budget)
    for nct in corpus.ids:
        before = corpus.scored
        listed = corpus.neighbours(nct)
        assert (listed, corpus.scored - before) == _walk(corpus, nct)
