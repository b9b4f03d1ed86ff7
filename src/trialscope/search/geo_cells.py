"""Sites as grid cells in the tantivy index, so a radius is a term query, not a site scan.

Each site with a point is indexed as the cells that hold it at four sizes (1°, 1/4°,
1/16°, 1/64° of latitude and longitude; the finest is about 1.7 km), once plain and once
with the site's own status. A radius is then covered by cells: those wholly inside the
circle (and inside the engine's bounding box, which the SQL engine also requires) match
any study with a site in them; the finest cells on the circle's edge name candidates
whose sites the caller checks exactly in SQL, as the SQL engine would. So the index
answers "studies with a matching site within r km" exactly, and its cost grows with the
circle's edge, not with the tens of thousands of sites around a big city.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

#: cells per degree at each level, coarse to fine
LEVELS = (1, 4, 16, 64)
#: a cell counts as inside only with this much to spare (the haversines round apart)
_SPARE_KM = 0.01
#: the mean Earth radius of gazetteer.distance_km and both dialects' SQL
_R = 6371.0088
#: the key of a study's cells in its engine document (``rows.engine_doc``), made by the
#: index writer that places the sites, so a replay need not read the sites back and make
#: them again. Change it with LEVELS or :func:`cell`: cells logged under another key are
#: not used (the replay then makes them from the store's sites).
LOGGED_AS = "cells1"


def cell(level: int, lat: float, lon: float) -> str:
    k = LEVELS[level]
    return f"{level}/{math.floor(lat * k)}/{math.floor(lon * k)}"


@functools.lru_cache(maxsize=1 << 15)
def _point_cells(lat: float, lon: float, status: str | None) -> tuple[str, ...]:
    """One site's tokens. Sites repeat their points (a city centre, a big hospital: the
    corpus's 124,008 placed sites have 8,102 distinct points and statuses), so these are
    kept: indexing made them anew for every site."""
    tokens = [cell(level, lat, lon) for level in range(len(LEVELS))]
    return (*tokens, *(f"{token}/{status}" for token in tokens)) if status else tuple(tokens)


def site_cells(points: Iterable[tuple[float, float, str | None]]) -> list[str]:
    """The distinct cell tokens of a study's sites (lat, lon, the site's status)."""
    found: set[str] = set()
    for lat, lon, status in points:
        found.update(_point_cells(lat, lon, status))
    return sorted(found)


@dataclass(frozen=True)
class Box:
    """The SQL engine's bounding box of a radius (engine._near_sites)."""

    lat0: float
    lat1: float
    lon0: float
    lon1: float

    @classmethod
    def around(cls, lat: float, lon: float, radius_km: float) -> Box:
        dlat = radius_km / 111.0
        dlon = radius_km / (111.320 * max(0.01, math.cos(math.radians(lat))))
        return cls(lat - dlat, lat + dlat, lon - dlon, lon + dlon)


@dataclass(frozen=True)
class Cover:
    """A radius in cells: ``inside`` hold only matching sites; ``edge`` (finest cells)
    hold sites that may or may not be within it."""

    inside: tuple[str, ...]
    edge: tuple[str, ...]


@functools.lru_cache(maxsize=64)
def cover(lat: float, lon: float, radius_km: float) -> Cover | None:
    """The cells of a radius, row by row of each level (coarse cells first, finer ones
    only where the coarser did not fit); None when it is too wide for cells to pay (or
    spans the antimeridian or a pole), and the caller resolves it in SQL."""
    box = Box.around(lat, lon, radius_km)
    if box.lon0 < -180 or box.lon1 >= 180 or box.lat0 < -89 or box.lat1 >= 89:
        return None
    if (box.lat1 - box.lat0) * (box.lon1 - box.lon0) > 100:  # about 500 km across
        return None
    inside: list[str] = []
    edge: list[str] = []
    #: per row of the current level: column ranges already inside (coarser cells)
    taken: dict[int, list[tuple[int, int]]] = {}
    for level, k in enumerate(LEVELS):
        finest = level + 1 == len(LEVELS)
        step = LEVELS[level + 1] // k if not finest else 1
        below: dict[int, list[tuple[int, int]]] = {}
        for i in range(math.floor(box.lat0 * k), math.floor(box.lat1 * k) + 1):
            a, b = i / k, (i + 1) / k
            have = taken.get(i, [])
            fits = _inner(lat, lon, radius_km, box, a, b, k)
            if fits is not None:
                for j0, j1 in _minus(fits, have):
                    inside.extend(f"{level}/{i}/{j}" for j in range(j0, j1 + 1))
                have = _union(have, fits)
            if finest:
                reach = _outer(lat, lon, radius_km, box, a, b, k)
                if reach is not None:
                    for j0, j1 in _minus(reach, have):
                        edge.extend(f"{level}/{i}/{j}" for j in range(j0, j1 + 1))
            elif have:
                scaled = [(j0 * step, j1 * step + step - 1) for j0, j1 in have]
                for child in range(i * step, (i + 1) * step):
                    below[child] = scaled
        taken = below
    return Cover(tuple(inside), tuple(edge))


def _half_width(lat: float, row_lat: float, radius_km: float) -> float | None:
    """Degrees of longitude either side of the centre within ``radius_km`` at ``row_lat``
    (the haversine solved for the longitude difference); None: no point of that latitude."""
    if radius_km <= 0:
        return None
    hav = math.sin(radius_km / (2 * _R)) ** 2 - math.sin(math.radians(row_lat - lat) / 2) ** 2
    if hav < 0:
        return None
    scale = math.cos(math.radians(lat)) * math.cos(math.radians(row_lat))
    if scale <= 0 or hav >= scale:
        return 180.0
    return math.degrees(2 * math.asin(math.sqrt(hav / scale)))


def _inner(
    lat: float, lon: float, radius_km: float, box: Box, a: float, b: float, k: int
) -> tuple[int, int] | None:
    """The columns of the row [a, b) whose cells lie wholly inside the circle and the
    box: all four corners within the radius (the farthest point of a cell from the
    centre is a corner), with a margin for the two haversines' rounding."""
    if a < box.lat0 or b > box.lat1:
        return None
    widths = [_half_width(lat, edge, radius_km - _SPARE_KM) for edge in (a, b)]
    if None in widths:
        return None
    w = min(x for x in widths if x is not None)
    low, high = max(lon - w, box.lon0), min(lon + w, box.lon1)
    j0, j1 = math.ceil(low * k), math.floor(high * k) - 1
    return (j0, j1) if j0 <= j1 else None


def _outer(
    lat: float, lon: float, radius_km: float, box: Box, a: float, b: float, k: int
) -> tuple[int, int] | None:
    """The columns of the row [a, b) whose cells may hold a site within the radius and
    the box: the widest reach over the row's latitudes, with a km and a cell to spare."""
    if b <= box.lat0 or a > box.lat1:
        return None
    probes = (a, b, min(max(lat, a), b), (a + b) / 2)
    widths = [w for x in probes if (w := _half_width(lat, x, radius_km + 2.0)) is not None]
    if not widths:
        return None
    w = max(widths)
    low, high = max(lon - w, box.lon0), min(lon + w, box.lon1)
    return math.floor(low * k) - 1, math.floor(high * k) + 1


def _minus(span: tuple[int, int], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of the column range ``span`` not in ``taken`` (sorted, disjoint)."""
    parts: list[tuple[int, int]] = []
    start, end = span
    for t0, t1 in taken:
        if t1 < start or t0 > end:
            continue
        if t0 > start:
            parts.append((start, t0 - 1))
        start = max(start, t1 + 1)
    if start <= end:
        parts.append((start, end))
    return parts


def _union(taken: list[tuple[int, int]], span: tuple[int, int]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for j0, j1 in sorted([*taken, span]):
        if merged and j0 <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], j1))
        else:
            merged.append((j0, j1))
    return merged


def with_status(cells: Iterable[str], statuses: Iterable[str]) -> list[str]:
    """The tokens of cells restricted to sites with one of ``statuses``."""
    return [f"{c}/{s}" for c in cells for s in statuses]
