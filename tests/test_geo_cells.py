"""The site cells of the tantivy index: a radius's cover must hold exactly the points the
SQL engine would take (inside cells only matching points; every matching point inside a
cell or in an edge cell, which is checked site by site)."""

from __future__ import annotations

import random

import pytest

from trialscope.search import locate_place
from trialscope.search.gazetteer import distance_km
from trialscope.search.geo_cells import LEVELS, Box, cell, cover, site_cells


@pytest.mark.parametrize(
    ("place", "km"),
    [("Boston", 50), ("Shanghai", 300), ("Paris", 200), ("Mumbai", 50), ("Boston", 0.5)],
)
def test_a_cover_holds_exactly_the_points_in_the_radius(place: str, km: float) -> None:
    centre = locate_place(place)
    found = cover(centre.lat, centre.lon, km)
    assert found is not None
    inside, edge = set(found.inside), set(found.edge)
    box = Box.around(centre.lat, centre.lon, km)
    rng = random.Random(7)
    for _ in range(20_000):
        lat = rng.uniform(box.lat0 - 0.3, box.lat1 + 0.3)
        lon = rng.uniform(box.lon0 - 0.3, box.lon1 + 0.3)
        tokens = {cell(level, lat, lon) for level in range(len(LEVELS))}
        near = distance_km(centre.lat, centre.lon, lat, lon) <= km
        in_box = box.lat0 <= lat <= box.lat1 and box.lon0 <= lon <= box.lon1
        if tokens & inside:
            assert near and in_box
        elif near and in_box:
            assert cell(len(LEVELS) - 1, lat, lon) in edge


def test_wide_or_polar_radii_are_left_to_sql() -> None:
    assert cover(42.36, -71.06, 2000) is None
    assert cover(89.5, 0.0, 50) is None
    assert cover(10.0, 179.9, 50) is None


def test_site_cells_name_each_level_with_and_without_status() -> None:
    tokens = site_cells([(42.36, -71.06, "RECRUITING"), (42.36, -71.06, None)])
    assert len(tokens) == 2 * len(LEVELS)
    assert "0/42/-72" in tokens and "0/42/-72/RECRUITING" in tokens
