"""The offline gazetteer: places as people type them, and close names when one is unknown."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.cli_runner import run_cli
from trialscope.errors import PlaceNotFound, UsageError
from trialscope.search.gazetteer import distance_km, locate_place, normalise, suggest_places


@pytest.mark.parametrize(
    ("typed", "label", "lat", "lon"),
    [
        ("Boston, MA", "Boston, MA, United States", 42.36, -71.06),  # MA is also Morocco
        ("San Francisco, CA", "San Francisco, CA, United States", 37.77, -122.42),
        ("Springfield, IL", "Springfield, IL, United States", 39.80, -89.64),  # IL: Israel
        ("Cambridge, MA", "Cambridge, MA, United States", 42.38, -71.11),
        ("Cambridge, UK", "Cambridge, United Kingdom", 52.20, 0.12),
        ("Toronto, ON", "Toronto, ON, Canada", 43.71, -79.40),
        ("Montreal, QC", "Montréal, QC, Canada", 45.51, -73.59),
        ("Vancouver, British Columbia", "Vancouver, BC, Canada", 49.25, -123.12),
        ("Lyon, France", "Lyon, France", 45.75, 4.85),
        ("Lyon France", "Lyon, France", 45.75, 4.85),
        ("Boston Massachusetts", "Boston, MA, United States", 42.36, -71.06),
        ("São Paulo", "São Paulo, Brazil", -23.55, -46.64),
        ("Sao Paulo", "São Paulo, Brazil", -23.55, -46.64),
        ("sao paulo, brazil", "São Paulo, Brazil", -23.55, -46.64),
        ("Zurich, Switzerland", "Zürich, Switzerland", 47.37, 8.55),
        ("Paris, TX", "Paris, TX, United States", 33.66, -95.56),
        ("Paris", "Paris, France", 48.85, 2.35),
        ("Shanghai", "Shanghai, China", 31.22, 121.46),
        ("Charleston, South Carolina", "Charleston, SC, United States", 32.78, -79.93),
    ],
)
def test_places_as_people_type_them(typed: str, label: str, lat: float, lon: float) -> None:
    place = locate_place(typed)
    assert place.label == label
    assert distance_km(place.lat, place.lon, lat, lon) < 5


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("Bostn", "Boston, MA"),
        ("Philadelpia", "Philadelphia, PA"),
        ("Seatle", "Seattle, WA"),
        ("Sao Palo", "São Paulo, Brazil"),
        ("Lyonn, France", "Lyon, France"),
        ("Boston, TX", "Boston, MA"),  # no Boston in Texas: the Bostons that exist
    ],
)
def test_an_unknown_place_offers_the_closest_known_names(typed: str, first: str) -> None:
    with pytest.raises(PlaceNotFound) as caught:
        locate_place(typed)
    error = caught.value
    assert error.suggestions[0] == first
    assert len(error.suggestions) <= 5
    assert f"Did you mean {first}" in error.message
    # every suggestion is something the user can type back and it resolves
    for suggestion in error.suggestions:
        locate_place(suggestion)


def test_nothing_close_suggests_nothing() -> None:
    with pytest.raises(PlaceNotFound) as caught:
        locate_place("Xyzzyqw")
    assert caught.value.suggestions == []
    assert "Did you mean" not in caught.value.message
    assert suggest_places("") == []


@pytest.mark.parametrize("typed", ["", " , ", "91,10", "12,200"])
def test_no_place_or_bad_coordinates_is_a_usage_error(typed: str) -> None:
    with pytest.raises(UsageError):
        locate_place(typed)


def test_the_cli_shows_the_suggestions(tmp_path: object) -> None:
    done = run_cli("search", "x", "--near", "Bostn", code=2, db=f"{tmp_path}/g.db")
    assert "Unknown place 'Bostn'. Did you mean Boston, MA" in done.stderr


# -- the normaliser (hypothesis) ----------------------------------------------------------

_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=30)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@settings(max_examples=300, deadline=None)
@given(_names)
@example("𝕬")  # compatibility letters fold like their plain form (found by hypothesis)
@example("ǰ ΐ ẖ İ ß")
def test_normalise_is_idempotent_and_plain(name: str) -> None:
    once = normalise(name)
    assert normalise(once) == once
    assert once == once.strip() and "  " not in once
    assert not any(unicodedata.combining(ch) for ch in once)
    assert once == once.casefold()


@settings(max_examples=300, deadline=None)
@given(_names)
def test_accents_case_and_punctuation_are_optional(name: str) -> None:
    expected = normalise(name)
    assert normalise(_strip_accents(name)) == expected
    assert normalise(unicodedata.normalize("NFC", name)) == expected
    assert normalise(name.upper().lower()) == normalise(name.lower())
    assert normalise(f"  {name} ,. ") == expected


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["São Paulo", "Zürich", "Montréal", "Bogotá", "Kraków", "Málaga"]),
    st.sampled_from(["upper", "lower", "plain", "spaced"]),
)
def test_a_city_resolves_however_its_accents_and_case_are_typed(city: str, how: str) -> None:
    typed = {
        "upper": city.upper(),
        "lower": city.lower(),
        "plain": _strip_accents(city),
        "spaced": f"  {_strip_accents(city).lower()}  ",
    }[how]
    assert locate_place(typed) == locate_place(city)
