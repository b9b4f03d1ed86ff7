"""Robustness: any unicode parses without an exception, spans stay inside the text, and the
time to parse grows about linearly with the length of the text."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialscope.criteria import ParsedCriteria, parse_criteria

# pieces of real criteria, so the fuzzer reaches the numeric and header paths, not only noise
_PIECES = st.sampled_from(
    ["Inclusion Criteria:", "Exclusion criteria", "\n", "\n\n", "* ", "  - ", "1. ", "a) ",
     "ANC", "≥", "\\>=", "\\<", "1.5", "\\*109/L", "×10^9/L", "；", "、", "，", "ULN", "(UNL)",
     "age", "years", "ECOG", "0-1", "or", "and", "no", "history of", "brain metastases", ";",
     "within", "7 days", "x", "if liver metastases", "(", ")", "mg/dL", "μmol/L", "between",
     "I-III", "NYHA", "Child-Pugh", "B", "%", ",", "000", " ", "\t", "٣", "ﾟ", "\u200b"]
)  # fmt: skip
_TEXT = st.one_of(st.text(max_size=400), st.lists(st.one_of(_PIECES, st.text(max_size=5)),
                                                   max_size=80).map("".join))  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_any_text_parses(text: str) -> None:
    parsed = parse_criteria(text)
    for item in parsed.items:
        assert 0 <= item.span[0] <= item.span[1] <= len(text)
        for c in item.constraints:
            assert 0 <= c.span[0] <= c.span[1] <= len(text)
    assert ParsedCriteria.from_json(parsed.to_json()) == parsed


def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        parse_criteria(text)
        best = min(best, time.perf_counter() - started)
    return best


def test_time_grows_linearly_with_length() -> None:
    block = (
        "* ANC≥1.5\\*109/L；PLT≥90\\*109/L；HB≥90g/L；TBI≤1.5(UNL); ALT、AST≤2.5ULN\n"
        "* No history of HIV, HBV or HCV infection within 5 years; brain metastases allowed\n"
        "* ECOG 0-1 and life expectancy ≥ 12 weeks\n"
    )
    small = _seconds("Inclusion Criteria:\n" + block * 20)
    large = _seconds("Inclusion Criteria:\n" + block * 160)
    assert large < small * 8 * 2.5  # 8x the text, well under quadratic (64x)


def test_one_huge_line_is_linear_too() -> None:
    line = "ANC ≥ 1.5 × 10^9/L, " * 200
    small = _seconds(line)
    large = _seconds(line * 8)
    assert large < small * 8 * 2.5
