"""The parser's shortcuts change nothing: the cheap substring tests before its slow
patterns (biomarkers, "carcinoma of the X", age phrases) skip only items the patterns find
nothing in, and the header pattern's possessive blanks match every line as the plain
pattern does; checked on every item and line of the shared corpus's criteria texts."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from tests.conftest import CTGOV, needs_corpus
from trialscope.criteria import biomarkers, constraints, segmenter, vocabulary
from trialscope.criteria.cleantext import CleanText
from trialscope.criteria.segmenter import segment

pytestmark = needs_corpus

Item = tuple[str, int, int]


def corpus_texts() -> Iterator[str]:
    for path in sorted((CTGOV / "v2").glob("*.jsonl*")):
        opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as lines:
            for line in lines:
                try:
                    study = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                module = study.get("protocolSection", {}).get("eligibilityModule", {})
                text = module.get("eligibilityCriteria")
                if text:
                    yield CleanText(text).text


def corpus_items() -> Iterator[Item]:
    for text in corpus_texts():
        for seg in segment(text)[0]:
            yield text, seg.start, seg.end


@pytest.fixture(scope="module")
def items() -> list[Item]:
    found = list(dict.fromkeys(corpus_items()))
    assert len(found) > 10_000
    return found


def read(items: list[Item]) -> list[Any]:
    return [
        (
            [(m.concept, m.start, m.end) for m in biomarkers.find_markers(text, lo, hi)],
            list(vocabulary.site_first_phrases(text, lo, hi)),
            [
                (f.variable.id, f.mention, f.comparison)
                for f in constraints._age_phrases(text, lo, hi, [])
            ],
        )
        for text, lo, hi in items
    ]


def test_every_corpus_item_reads_the_same_without_the_substring_tests(
    items: list[Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    tested = read(items)
    monkeypatch.setattr(biomarkers, "_may_name_a_marker", lambda *a: True)
    monkeypatch.setattr(vocabulary, "_may_name_a_kind", lambda *a: True)
    monkeypatch.setattr(constraints, "_DIGIT", re.compile(""))  # always "has a digit"
    untested = read(items)
    assert sum(1 for t in tested if any(t)) > 1000  # the readers do find things here
    assert tested == untested


def test_the_header_pattern_matches_every_corpus_line_as_without_possessive_blanks() -> None:
    plain = re.compile(segmenter._HEADER.pattern.replace("*+", "*"), segmenter._HEADER.flags)
    assert plain.pattern != segmenter._HEADER.pattern
    lines = {line for text in corpus_texts() for line in text.splitlines() if len(line) < 200}
    lines |= {"   Inclusion Criteria:", "#   **Exclusion criteria**:", "\t\t  eligibility"}
    headers = 0
    for line in lines:
        fast, slow = segmenter._HEADER.match(line), plain.match(line)
        assert (fast and (fast.span(), fast.groupdict())) == (
            slow and (slow.span(), slow.groupdict())
        )
        headers += fast is not None
    assert headers > 100


@pytest.mark.parametrize(
    "text",
    [
        "HER2-negative",
        "her-2/neu positive",
        "RAS wild-type",
        "Wild-type KRAS and NRAS",
        "ROS1 rearrangement",
        "pd-l1 tps >= 50%",
        "triple-negative breast cancer",
        "MSI-H or dMMR",
        "deficient mismatch repair",
        "gBRCAm",
        "ER+/PR+",
        "CLDN18.2 positive",
        "KRAS G12C",  # Kelvin sign
        "PıK3CA mutated",  # dotless i: (?i:...) matches it, lower() does not make an i
    ],
)
def test_marker_statements_pass_the_substring_test(text: str) -> None:
    assert biomarkers._may_name_a_marker(text, 0, len(text))
    assert biomarkers.find_markers(text) or "ı" in text
