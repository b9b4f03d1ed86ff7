"""Parsers for CT.gov age strings and partial dates."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialscope.record import (
    Age,
    AgeUnit,
    PartialDate,
    age_in_years,
    format_partial_date,
    parse_age,
    parse_partial_date,
)

V2 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ctgov" / "v2"

# --- ages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("18 Years", 18, AgeUnit.YEARS),
        ("1 Year", 1, AgeUnit.YEARS),
        ("65 years", 65, AgeUnit.YEARS),
        ("6 Months", 6, AgeUnit.MONTHS),
        ("1 Month", 1, AgeUnit.MONTHS),
        ("2 Weeks", 2, AgeUnit.WEEKS),
        ("30 Days", 30, AgeUnit.DAYS),
        ("1 Day", 1, AgeUnit.DAYS),
        ("12 Hours", 12, AgeUnit.HOURS),
        ("18 Minutes", 18, AgeUnit.MINUTES),
        ("0 Years", 0, AgeUnit.YEARS),
        ("  21 YEARS ", 21, AgeUnit.YEARS),
        ("5 yrs", 5, AgeUnit.YEARS),
        ("3 mos", 3, AgeUnit.MONTHS),
        ("1.5 Years", 1.5, AgeUnit.YEARS),
        ("18 years old", 18, AgeUnit.YEARS),
        ("18years", 18, AgeUnit.YEARS),
    ],
)
def test_parse_age(text: str, value: float, unit: AgeUnit) -> None:
    assert parse_age(text) == Age(value, unit)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "N/A",
        "NA",
        "n/a",
        "None",
        "Years",
        "18",
        "eighteen years",
        "18 Parsecs",
        "-3 Years",
        "18 Yearss",
        "1e3 Years",
        "18 Years 6 Months",
    ],
)
def test_parse_age_without_a_limit(text: str | None) -> None:
    assert parse_age(text) is None
    assert age_in_years(text) is None


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("18 Years", 18.0),
        ("6 Months", 0.5),
        ("18 Months", 1.5),
        ("365.25 Days", 1.0),
        ("52 Weeks", 52 * 7 / 365.25),
        ("8766 Hours", 1.0),
    ],
)
def test_years(text: str, years: float) -> None:
    assert age_in_years(text) == pytest.approx(years)


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (Age(18, AgeUnit.YEARS), "18 Years"),
        (Age(1, AgeUnit.YEARS), "1 Year"),
        (Age(1.0, AgeUnit.MONTHS), "1 Month"),
        (Age(2.5, AgeUnit.WEEKS), "2.5 Weeks"),
        (Age(0, AgeUnit.DAYS), "0 Days"),
    ],
)
def test_age_str_is_the_ctgov_spelling(age: Age, text: str) -> None:
    assert str(age) == text


def test_ages_order_by_years() -> None:
    texts = ["2 Years", "6 Months", "30 Days", "1 Year", "3 Weeks"]
    ordered = sorted(texts, key=lambda t: age_in_years(t) or 0.0)
    assert ordered == ["3 Weeks", "30 Days", "6 Months", "1 Year", "2 Years"]


@given(st.text())
def test_parse_age_never_raises(text: str) -> None:
    result = parse_age(text)
    assert result is None or (isinstance(result, Age) and result.years >= 0)


ages = st.builds(Age, st.integers(min_value=0, max_value=999_999), st.sampled_from(AgeUnit))


@given(ages)
def test_age_round_trips_through_its_text(age: Age) -> None:
    assert parse_age(str(age)) == age


@given(st.integers(0, 999), st.sampled_from(AgeUnit), st.sampled_from([str.lower, str.upper]))
def test_age_parsing_ignores_case(value: int, unit: AgeUnit, case: object) -> None:
    assert callable(case)
    assert parse_age(case(f"{value} {unit.value}")) == Age(value, unit)


# --- partial dates ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2020", PartialDate(2020), "year"),
        ("2020-04", PartialDate(2020, 4), "month"),
        ("2020-04-01", PartialDate(2020, 4, 1), "day"),
        (" 2024-02-29 ", PartialDate(2024, 2, 29), "day"),
        ("2019-05-14T10:21", PartialDate(2019, 5, 14), "day"),
        ("April 2020", PartialDate(2020, 4), "month"),
        ("July 28, 2020", PartialDate(2020, 7, 28), "day"),
        ("Sept 2019", PartialDate(2019, 9), "month"),
        ("dec. 3, 1999", PartialDate(1999, 12, 3), "day"),
    ],
)
def test_parse_partial_date(text: str, expected: PartialDate, precision: str) -> None:
    parsed = parse_partial_date(text)
    assert parsed == expected
    assert parsed is not None and parsed.precision == precision


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "N/A",
        "2020-13",
        "2020-00",
        "2023-02-29",
        "2020-04-31",
        "0000",
        "20-04-01",
        "2020/04/01",
        "Smarch 2020",
        "April",
        "yesterday",
        "2020-04-01-02",
    ],
)
def test_parse_partial_date_rejects(text: str | None) -> None:
    assert parse_partial_date(text) is None


@pytest.mark.parametrize(
    ("text", "lower", "upper"),
    [
        ("2020", date(2020, 1, 1), date(2020, 12, 31)),
        ("2020-02", date(2020, 2, 1), date(2020, 2, 29)),
        ("2021-02", date(2021, 2, 1), date(2021, 2, 28)),
        ("2020-04-15", date(2020, 4, 15), date(2020, 4, 15)),
    ],
)
def test_bounds(text: str, lower: date, upper: date) -> None:
    parsed = parse_partial_date(text)
    assert parsed is not None
    assert (parsed.lower, parsed.upper) == (lower, upper)


@pytest.mark.parametrize(
    ("text", "iso", "human"),
    [
        ("2020", "2020", "2020"),
        ("2020-04", "2020-04", "April 2020"),
        ("2020-04-01", "2020-04-01", "April 1, 2020"),
        ("April 1, 2020", "2020-04-01", "April 1, 2020"),
        ("not a date", "not a date", "not a date"),
    ],
)
def test_format_partial_date(text: str, iso: str, human: str) -> None:
    assert format_partial_date(text) == iso
    assert format_partial_date(text, human=True) == human


def test_format_partial_date_none() -> None:
    assert format_partial_date(None) is None


def test_partial_dates_order_by_lower_bound_then_precision() -> None:
    texts = ["2020-04-01", "2019", "2020", "2020-04", "2020-03-31", "2021-01"]
    parsed = [parse_partial_date(t) for t in texts]
    ordered = sorted(p for p in parsed if p is not None)
    assert [str(p) for p in ordered] == [
        "2019",
        "2020",
        "2020-03-31",
        "2020-04",
        "2020-04-01",
        "2021-01",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0,), "year"),
        ((2020, 13), "month"),
        ((2020, None, 1), "day needs a month"),
        ((2021, 2, 29), "day"),
    ],
)
def test_invalid_partial_date_cannot_be_built(args: tuple[int, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PartialDate(*args)


@given(st.text())
def test_parse_partial_date_never_raises(text: str) -> None:
    result = parse_partial_date(text)
    assert result is None or result.lower <= result.upper


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    day = draw(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
    precision = draw(st.sampled_from(["year", "month", "day"]))
    if precision == "year":
        return PartialDate(day.year)
    if precision == "month":
        return PartialDate(day.year, day.month)
    return PartialDate.from_date(day)


@given(partial_dates())
def test_partial_date_round_trips_through_both_spellings(value: PartialDate) -> None:
    assert parse_partial_date(value.isoformat()) == value
    assert parse_partial_date(value.human()) == value
    assert value.lower <= value.upper


@given(partial_dates(), partial_dates())
def test_order_agrees_with_lower_bound(a: PartialDate, b: PartialDate) -> None:
    if a.lower < b.lower:
        assert a < b
    assert (a < b) + (a == b) + (a > b) == 1


# --- every age and date of the real corpus reads ----------------------------


def _status_and_eligibility() -> list[tuple[dict[str, object], dict[str, object]]]:
    out = []
    for path in sorted(V2.glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                protocol = json.loads(line)["protocolSection"]
                out.append(
                    (protocol.get("statusModule", {}), protocol.get("eligibilityModule", {}))
                )
    return out


@pytest.mark.slow
@pytest.mark.skipif(not V2.is_dir(), reason=f"v2 corpus not found at {V2}")
def test_every_corpus_age_and_date_parses() -> None:
    ages_seen = dates_seen = 0
    for status, eligibility in _status_and_eligibility():
        for key in ("minimumAge", "maximumAge"):
            if isinstance(text := eligibility.get(key), str):
                ages_seen += 1
                assert parse_age(text) is not None, text
        for key, value in status.items():
            text = value.get("date") if isinstance(value, dict) else value
            if key.endswith(("Date", "DateStruct")) and isinstance(text, str):
                dates_seen += 1
                parsed = parse_partial_date(text)
                assert parsed is not None and parsed.isoformat() == text, text
    assert ages_seen > 2000 and dates_seen > 10000
