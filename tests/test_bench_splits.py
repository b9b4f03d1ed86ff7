"""The held-out parts of the matcher benchmarks stay held out (bench/splits.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import splits  # noqa: E402

needs_gold = pytest.mark.skipif(
    not (SHARED_DATA / "criteria" / "trialgpt_criterion_annotations").is_dir(),
    reason="no TrialGPT criterion annotations in ../shared/data",
)


@pytest.mark.parametrize("part", ["trec_2022", "sigir", "test", "all", "trec_2024"])
def test_the_guard_refuses_held_out_parts(part: str) -> None:
    assert not splits.may_show_errors(part)
    with pytest.raises(splits.HeldOutError, match="never shown"):
        splits.check_errors_allowed(part)


@pytest.mark.parametrize("part", ["dev", "trec_2021", "trec_2023"])
def test_the_guard_lets_tuning_parts_through(part: str) -> None:
    assert splits.may_show_errors(part)
    splits.check_errors_allowed(part)


def test_trec_2022_is_the_only_held_out_ranking_cohort() -> None:
    held_out = [c for c, role in splits.RANKING_ROLES.items() if role == splits.HELD_OUT]
    assert held_out == ["trec_2022"]


def test_the_criterion_split_is_fixed() -> None:
    ids = [f"p{i}" for i in range(10)]
    dev, test = splits.criterion_split(ids)
    assert (dev, test) == splits.criterion_split(reversed(ids))
    assert not dev & test and dev | test == set(ids) and len(dev) == 5


@needs_gold
def test_sigir_drops_the_criterion_dev_patients() -> None:
    dev, test = splits.criterion_dev_patients(), splits.criterion_test_patients()
    assert len(dev) == 26 and len(test) == 27
    assert "sigir-20141" in test  # the patient an earlier test used: test half
    kept = splits.ranking_topics("sigir", sorted(dev | test | {"sigir-unannotated"}))
    assert set(kept) == test | {"sigir-unannotated"}
    assert splits.ranking_topics("trec_2022", ["trec-20221"]) == ["trec-20221"]


@needs_gold
def test_tests_and_benches_read_only_dev_half_patients() -> None:
    named: set[str] = set()
    held_out: set[str] = set()
    for path in [*Path(__file__).parent.glob("*.py"), *BENCH.glob("*.py")]:
        if path.name == Path(__file__).name:
            continue  # this file names sigir-20141 as the example of a test-half patient
        text = path.read_text()
        named |= set(re.findall(r"sigir-\d{5,6}", text))
        held_out |= set(re.findall(r"trec-2022\d+", text))
    assert named and named <= splits.criterion_dev_patients()
    assert not held_out  # no TREC 2022 topic is read by name


@needs_gold
@pytest.mark.parametrize(
    "args",
    [
        ["match_eval.py", "--split", "test", "--errors", "5"],
        ["match_eval.py", "--split", "all", "--errors", "1"],
        ["match_rank_eval.py", "--cohort", "trec_2022", "--errors", "5", "--db", "/nonexistent"],
        ["match_rank_eval.py", "--cohort", "sigir", "--errors", "1", "--db", "/nonexistent"],
    ],
)
def test_the_benches_refuse_to_print_held_out_errors(args: list[str]) -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "never shown" in run.stderr
    assert "accuracy" not in run.stdout and "label" not in run.stdout
