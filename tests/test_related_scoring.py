"""The related-trials scorer on its own: the budget bounds what one list costs, finds the
newest of equally good trials first, and changes nothing when it is not reached (the
corpus's lists with the product's budget against the exact ones: tests/test_related.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trialscope.search.related_scoring import Corpus

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
