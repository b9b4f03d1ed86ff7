"""What is held out, frozen in code. Every matcher bench asks here before it shows an error.

Criterion level (TrialGPT expert labels, ``match_gold.py``): the 53 SIGIR patients are
split once 50/50 with seed 6 into *dev* (tuning: errors may be read) and *test* (scored,
printed once, never read).

Ranking (``match_rank_eval.py``):

* **TREC 2021, TREC 2023** -- *tuning*: their errors were read while writing rules;
* **TREC 2022** -- *held out*: the only held-out ranking cohort; aggregate figures only;
* **SIGIR 2016** -- its topics that are criterion-level dev patients are dropped (their
  notes were tuned on); the rest are test-half patients, so its errors are refused too.

Nothing here reads a label: the split is a function of patient ids alone.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from trialscope.errors import UsageError

SEED = 6  # issue 6's number; the criterion-level split is made once and never changed

TUNING = "tuning"
HELD_OUT = "held out"
TEST_PATIENTS = "test-half patients"
#: ranking cohort -> its role
RANKING_ROLES = {
    "sigir": TEST_PATIENTS,
    "trec_2021": TUNING,
    "trec_2022": HELD_OUT,
    "trec_2023": TUNING,
}


class HeldOutError(UsageError):
    """Asked to show the errors of data that is held out."""


def criterion_split(patient_ids: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(dev, test) patient ids: half each, chosen once with ``SEED``."""
    patients = sorted(set(patient_ids))
    random.Random(SEED).shuffle(patients)
    half = len(patients) // 2
    return frozenset(patients[:half]), frozenset(patients[half:])


def criterion_dev_patients() -> frozenset[str]:
    """The dev half's patient ids (the SIGIR topic ids of the TrialGPT annotations)."""
    from match_gold import annotated_patients

    return criterion_split(annotated_patients())[0]


def criterion_test_patients() -> frozenset[str]:
    from match_gold import annotated_patients

    return criterion_split(annotated_patients())[1]


def ranking_topics(cohort: str, topics: Iterable[str]) -> list[str]:
    """The topics a ranking cohort is scored on: SIGIR loses its criterion-dev patients."""
    if cohort != "sigir":
        return list(topics)
    dev = criterion_dev_patients()
    return [t for t in topics if t not in dev]


def may_show_errors(part: str) -> bool:
    """Whether errors of ``part`` (a ranking cohort, or ``dev`` / ``test`` / ``all`` of
    the criterion-level gold) may be shown."""
    return part == "dev" or RANKING_ROLES.get(part) == TUNING


def check_errors_allowed(part: str) -> None:
    """Raise :class:`HeldOutError` unless the errors of ``part`` may be shown."""
    if may_show_errors(part):
        return
    role = RANKING_ROLES.get(part) or (
        "holds the criterion-level test half" if part in ("test", "all") else "not a known part"
    )
    raise HeldOutError(
        f"{part} ({role}): its errors are never shown",
        hint="Errors are printed for the criterion-level dev half (--split dev) and the "
        "tuning cohorts (trec_2021, trec_2023) only; see bench/splits.py.",
    )
