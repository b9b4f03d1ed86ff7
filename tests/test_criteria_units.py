"""Units after a number: one label per unit, and lengths and temperatures that become
constraints in the variable's unit (millimetres were once read as millimolar)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialscope.criteria import parse_criteria
from trialscope.criteria.units import _PINT, unit_label


@pytest.mark.parametrize("label", sorted(_PINT))
def test_a_label_reads_back_as_itself(label: str) -> None:
    assert unit_label(label) == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("mm", "mm"),
        ("MM", "mm"),
        ("millimeters", "mm"),
        ("mM", "mmol/L"),
        ("uM", "umol/L"),
        ("mmol/L", "mmol/L"),
        ("cm", "cm"),
        ("degC", "degC"),
        ("deg C", "degC"),
        ("°C", "degC"),
        ("degF", "degF"),
        ("mmHg", "mmHg"),
        ("/mm3", "/uL"),
    ],
)
def test_unit_label(text: str, label: str) -> None:
    assert unit_label(text) == label


@pytest.mark.parametrize(
    ("line", "variable", "low", "high"),
    [
        ("resection margin ≥ 1 mm", "resection_margin", 1.0, None),
        ("tumor size < 30 mm", "tumor_size", None, 30.0),
        ("tumor size < 3 cm", "tumor_size", None, 30.0),
        ("temperature > 38.5 degC", "temperature", 38.5, None),
        ("temperature > 38.5 °C", "temperature", 38.5, None),
        ("temperature > 101.3 degF", "temperature", 38.5, None),
    ],
)
def test_lengths_and_temperatures_constrain(
    line: str, variable: str, low: float | None, high: float | None
) -> None:
    found = [c for c in parse_criteria(f"Inclusion Criteria:\n- {line}").constraints]
    assert [c.variable for c in found] == [variable], [c.describe() for c in found]
    got = found[0]
    assert (got.low and round(got.low.value, 1), got.high and round(got.high.value, 1)) == (
        low,
        high,
    )


@given(
    value=st.integers(min_value=1, max_value=200),
    unit=st.sampled_from(["mm", "cm", "millimeters", "centimetres"]),
    operator=st.sampled_from(["<", "≤", "<="]),
)
def test_any_tumor_size_in_mm_or_cm_is_a_bound_in_mm(value: int, unit: str, operator: str) -> None:
    parsed = parse_criteria(f"Inclusion Criteria:\n- tumor size {operator} {value} {unit}")
    sizes = [c for c in parsed.constraints if c.variable == "tumor_size"]
    assert len(sizes) == 1, [c.describe() for c in parsed.constraints]
    scale = 10 if unit.startswith("c") else 1
    assert sizes[0].unit == "mm"
    assert sizes[0].high is not None and sizes[0].high.value == pytest.approx(value * scale)
