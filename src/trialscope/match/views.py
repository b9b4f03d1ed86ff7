"""Trial views for matching, worked out ahead and kept in the store (``match_views``).

A view is what matching needs of one record version, none of it about a patient: the
title, status and eligibility fields, the trial's own condition concepts, and its
compiled criteria (``match.bulk``): the keys each item may read of a patient and every
item's results for the synthetic *blank* patients of the usual profiles (a man or a
woman, with a complete history or not). Judging those results is most of what the
first patient after a process start costs (every criterion of every trial is judged
once per profile), so the importer, the sync runner and ``trialscope reparse`` store
them for the open trials (:func:`refresh_views`, after the parses), and matching reads
them (:func:`load_views`) instead of judging them again.

Rows are written in batches, one transaction each, so a killed refresh loses at most
the batch in hand and the next one finishes the work. Each row carries a ``view_key``:
the parse key, a hash of the matcher's code and data files and the vocabulary's
fingerprint. A row with another key is stale: it is never read, and the next refresh
rewrites it, so a changed verdict rule never serves an old result.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import sys
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import orjson

from trialscope.criteria import ParsedCriteria
from trialscope.criteria.parser import parse_key
from trialscope.criteria.store import load_parse
from trialscope.forkpool import can_fork, fork_pool, parts
from trialscope.match.blank_share import fill_blanks
from trialscope.match.bulk import CompiledTrial, Profile, compile_trial
from trialscope.match.concepts import vocabulary
from trialscope.match.patient import Provenance
from trialscope.match.reading import Reading, read_item
from trialscope.match.trials import own_concepts, screened_concepts
from trialscope.match.verdicts import Basis, CriterionResult, Evidence, Question, Verdict
from trialscope.store.codec import compress, decompress
from trialscope.store.sqlite import utc_now

if TYPE_CHECKING:
    from trialscope.store import Store

#: the profiles whose blank results are stored: notes are complete histories, forms not
PROFILES: tuple[Profile, ...] = (
    ("female", True),
    ("male", True),
    ("female", False),
    ("male", False),
)
#: the statuses whose views :func:`refresh_views` stores unless told otherwise (what
#: ``trialscope match`` judges by default: ``run.OPEN_STATUSES``)
OPEN_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION")
#: versions per transaction
BATCH = 200
FORMAT = 3


@dataclass(frozen=True, slots=True)
class TrialView:
    """What matching needs of one trial version, none of it about the patient."""

    title: str
    status: str | None
    eligibility: dict[str, Any]
    parsed: ParsedCriteria
    #: the trial's own condition concepts (condition list + MeSH terms)
    concepts: frozenset[str]
    #: what a screening trial screens for ("CRC Screening")
    screened: frozenset[str] = frozenset()
    #: what its items may read of a patient, and their results for blank patients
    compiled: CompiledTrial | None = None


def build_view(nct_id: str, study: dict[str, Any], parsed: ParsedCriteria) -> TrialView:
    section = study.get("protocolSection", {})
    ident = section.get("identificationModule", {})
    names = section.get("conditionsModule", {}).get("conditions") or []
    browse = study.get("derivedSection", {}).get("conditionBrowseModule", {})
    eligibility = section.get("eligibilityModule", {}) or {}
    return TrialView(
        title=ident.get("briefTitle") or ident.get("officialTitle") or nct_id,
        status=section.get("statusModule", {}).get("overallStatus"),
        eligibility=eligibility,
        parsed=parsed,
        concepts=own_concepts(names, [str(m.get("id", "")) for m in browse.get("meshes") or []]),
        screened=screened_concepts(names),
        compiled=compile_trial(parsed),
    )


@lru_cache(maxsize=1)
def view_key() -> str:
    """What stored views depend on: the parse, the matcher's code and data, the vocabulary."""
    digest = hashlib.sha256(f"{FORMAT}:{parse_key()}".encode())
    for package in ("trialscope.match", "trialscope.data", "trialscope.terminology"):
        files = resources.files(package)
        for entry in sorted(files.iterdir(), key=lambda e: e.name):
            if entry.is_file():
                digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    digest.update(getattr(vocabulary(), "path", "").__str__().encode())
    return f"{FORMAT}-{digest.hexdigest()[:24]}"


# -- encoding -------------------------------------------------------------------------------


def _result_row(result: CriterionResult, texts: dict[int, str]) -> list[Any]:
    return [
        result.index,
        result.kind,
        None if texts.get(result.index) == result.text else result.text,
        result.span[0],
        result.span[1],
        result.verdict.value,
        result.reason,
        result.basis.value,
        [
            [e.fact, None if e.source is None else e.source.model_dump(mode="json")]
            for e in result.evidence
        ],
        list(result.constraints),
        [[q.key, q.text, q.answer, q.unit] for q in result.questions],
    ]


def _result(row: list[Any], texts: dict[int, str]) -> CriterionResult:
    index = row[0]
    return CriterionResult(
        index,
        row[1],
        texts[index] if row[2] is None else row[2],
        (row[3], row[4]),
        Verdict(row[5]),
        row[6],
        Basis(row[7]),
        tuple(
            Evidence(fact, None if source is None else Provenance.model_validate(source))
            for fact, source in row[8]
        ),
        tuple(row[9]),
        tuple(Question(*q) for q in row[10]),
    )


def encode_view(view: TrialView) -> bytes:
    """The view as stored, without its parse (kept in ``criteria_parses``). Each
    profile's blank results are a JSON text of their own inside it: read as one string,
    parsed only when a patient of that profile comes (most never do)."""
    compiled = view.compiled or compile_trial(view.parsed)
    texts = {item.index: item.text for item in view.parsed.items}
    profiles = dict.fromkeys([*compiled.blank, *(key[0] for key in compiled.blank_items)])
    blank: dict[str, str] = {}
    for profile in profiles:
        rows: list[list[Any]] = []
        ids: dict[int, int] = {}  # id(result) -> row: results in both maps stored once

        def ref(result: CriterionResult, rows: list[list[Any]] = rows,
                ids: dict[int, int] = ids) -> int:  # fmt: skip
            found = ids.get(id(result))
            if found is None:
                found = ids[id(result)] = len(rows)
                rows.append(_result_row(result, texts))
            return found

        listed = compiled.blank.get(profile)
        entry = {
            "list": None if listed is None else [ref(r) for r in listed],
            "items": [
                [index, kind, requirements, ref(result)]
                for (owner, index, kind, requirements), result in compiled.blank_items.items()
                if owner == profile
            ],
        }
        blank[_profile_name(profile)] = orjson.dumps({**entry, "rows": rows}).decode()
    data = {
        "readings": _readings_text(view.parsed, compiled),
        "title": view.title,
        "status": view.status,
        "eligibility": view.eligibility,
        "concepts": sorted(view.concepts),
        "screened": sorted(view.screened),
        "keys": [[index, sorted(keys)] for index, keys in compiled.keys.items()],
        "blank": blank,
    }
    return compress(orjson.dumps(data))


def decode_view(data: bytes, parsed: ParsedCriteria) -> TrialView:
    raw = orjson.loads(decompress(data))
    keys = {index: _key_set(tuple(k)) for index, k in raw["keys"]}
    compiled = compile_trial(parsed, keys)

    def unpacker(profile: Profile, text: str) -> Callable[[CompiledTrial], None]:
        def unpack(compiled: CompiledTrial) -> None:
            entry = orjson.loads(text)
            texts = {item.index: item.text for item in parsed.items}
            results = [_result(row, texts) for row in entry["rows"]]
            if entry["list"] is not None:
                compiled.blank[profile] = [results[at] for at in entry["list"]]
            for index, kind, requirements, at in entry["items"]:
                compiled.blank_items[(profile, index, kind, requirements)] = results[at]

        return unpack

    if raw.get("readings"):
        compiled.stored_readings = _readings_unpacker(parsed, raw["readings"])
    for name, text in raw["blank"].items():
        profile = _profile_of(name)
        compiled.stored[profile] = unpacker(profile, text)
    return TrialView(
        title=raw["title"],
        status=raw["status"],
        eligibility=raw["eligibility"],
        parsed=parsed,
        concepts=frozenset(raw["concepts"]),
        screened=frozenset(raw["screened"]),
        compiled=compiled,
    )


@lru_cache(maxsize=100_000)
def _key_set(keys: tuple[str, ...]) -> frozenset[str]:
    """One set object for the same keys everywhere (as ``bulk`` builds them): thousands
    of trials name the same concepts, and each key set holds their ancestors."""
    return frozenset(sys.intern(key) for key in keys)


def _readings_text(parsed: ParsedCriteria, compiled: CompiledTrial) -> str | None:
    """Every item's ``reading.read_item`` as JSON (runs of named things as positions in
    the item's mentions); None when a reading holds anything else: worked out when used."""
    rows = []
    for item in parsed.items:
        reading = compiled.readings.get(item.index) or read_item(item)
        where = {id(m): at for at, m in enumerate(item.mentions)}
        row: dict[str, Any] = {}
        for part in fields(Reading):
            value = getattr(reading, part.name)
            if isinstance(value, tuple):  # runs of named things: their positions
                try:
                    value = {"runs": [[[where[id(m)] for m in slot] for slot in run]
                                      for run in value]}  # fmt: skip
                except (KeyError, TypeError):
                    return None
            elif not isinstance(value, str | bool | int | float | None):
                return None
            row[part.name] = value
        rows.append([item.index, row])
    return orjson.dumps(rows).decode()


def _readings_unpacker(parsed: ParsedCriteria, text: str) -> Callable[[CompiledTrial], None]:
    def unpack(compiled: CompiledTrial) -> None:
        items = {item.index: item for item in parsed.items}
        for index, row in orjson.loads(text):
            mentions = items[index].mentions
            for name, value in row.items():
                if isinstance(value, dict):
                    row[name] = tuple(
                        tuple(tuple(mentions[at] for at in slot) for slot in run)
                        for run in value["runs"]
                    )
            compiled.readings.setdefault(index, Reading(**row))

    return unpack


def _profile_name(profile: Profile) -> str:
    sex, complete = profile
    return f"{sex or '-'}:{int(complete)}"


def _profile_of(name: str) -> Profile:
    sex, complete = name.split(":")
    return (None if sex == "-" else sex, complete == "1")


# -- the store ------------------------------------------------------------------------------


def load_views(store: Store, nct_ids: Sequence[str]) -> dict[str, tuple[str, TrialView]]:
    """Stored, up-to-date views of these studies' current versions: NCT id -> (content
    hash, view). Studies without one are left out (the caller builds them)."""
    out: dict[str, tuple[str, TrialView]] = {}
    key, parsing = view_key(), parse_key()
    for at in range(0, len(nct_ids), 500):
        chunk = list(nct_ids[at : at + 500])
        marks = ",".join("?" * len(chunk))
        rows = store.conn.execute(
            "SELECT s.nct_id, v.content_hash, m.data, c.data FROM studies s"
            " JOIN versions v ON v.id = s.current_version_id"
            " JOIN match_views m ON m.version_id = s.current_version_id AND m.view_key = ?"
            " JOIN criteria_parses c ON c.version_id = s.current_version_id"
            " AND c.parse_key = ?"
            f" WHERE s.nct_id IN ({marks})",
            [key, parsing, *chunk],
        ).fetchall()
        for nct_id, content_hash, data, parse in rows:
            parsed = ParsedCriteria.from_json(orjson.loads(decompress(bytes(parse))))
            out[str(nct_id)] = (str(content_hash), decode_view(bytes(data), parsed))
    return out


def _pending(
    store: Store, nct_ids: Sequence[str] | None, statuses: Sequence[str], everything: bool
) -> list[tuple[str, int]]:
    where, params = ["1 = 1"], []
    if not everything:
        where.append("(m.version_id IS NULL OR m.view_key <> ?)")
        params.append(view_key())
    if statuses:
        where.append(f"s.overall_status IN ({','.join('?' * len(statuses))})")
        params.extend(statuses)
    if nct_ids is not None:
        ids = sorted({n.upper() for n in nct_ids})
        if not ids:
            return []
        where.append(f"s.nct_id IN ({','.join('?' * len(ids))})")
        params.extend(ids)
    rows = store.conn.execute(
        "SELECT s.nct_id, s.current_version_id FROM studies s"
        " LEFT JOIN match_views m ON m.version_id = s.current_version_id"
        f" WHERE {' AND '.join(where)} ORDER BY s.current_version_id",
        params,
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def pending_views(store: Store, statuses: Sequence[str] = OPEN_STATUSES) -> int:
    """How many current versions of ``statuses`` have no up-to-date stored view."""
    return len(_pending(store, None, statuses, False))


def refresh_views(
    store: Store,
    nct_ids: Iterable[str] | None = None,
    *,
    statuses: Sequence[str] = OPEN_STATUSES,
    profiles: Sequence[Profile] = PROFILES,
    everything: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> int:
    """Store the views of the current versions of ``statuses`` (every status when empty)
    that have none or a stale one; returns how many were written. Run after the parses
    are up to date (a missing parse is made on the way). ``workers`` > 1 builds them in
    that many forked processes when at least POOL_MIN are waiting (this process reads
    and writes the store, one transaction a batch, while the workers build the next)."""
    todo = _pending(store, None if nct_ids is None else list(nct_ids), statuses, everything)
    if workers > 1 and can_fork() and len(todo) >= POOL_MIN:
        return _refresh_pooled(store, todo, tuple(profiles), workers, on_progress)
    done = 0
    key = view_key()
    for at in range(0, len(todo), BATCH):
        rows = [
            (version_id, nct_id, key, utc_now(), _view_data(store, nct_id, version_id, profiles))
            for nct_id, version_id in todo[at : at + BATCH]
        ]
        _write(store, rows)
        done += len(rows)
        if on_progress is not None:
            on_progress(done, len(todo))
    return done


def _view_data(store: Store, nct_id: str, version_id: int, profiles: Sequence[Profile]) -> bytes:
    parsed = load_parse(store, nct_id).parsed
    return _encoded(nct_id, store.version_json(version_id), parsed, profiles)


def _encoded(
    nct_id: str, study: dict[str, Any], parsed: ParsedCriteria, profiles: Sequence[Profile]
) -> bytes:
    view = build_view(nct_id, study, parsed)
    assert view.compiled is not None
    # a woman's and a man's results once for the items that never read the sex
    fill_blanks(view.compiled, parsed, view.concepts, profiles)
    return encode_view(view)


def _write(store: Store, rows: list[tuple[int, str, str, str, bytes]]) -> None:
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO match_views (version_id, nct_id, view_key, made_at, data)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (version_id) DO UPDATE SET"
            " view_key = excluded.view_key, made_at = excluded.made_at,"
            " data = excluded.data",
            rows,
        )


# -- in worker processes (import, sync) -------------------------------------------------

#: below this many views a process pool costs more than it saves
POOL_MIN = 1000
#: views per task sent to a worker
PART = 10
#: (NCT id, version id, compressed version JSON, compressed parse)
_Input = tuple[str, int, bytes, bytes]


def _view_part(profiles: tuple[Profile, ...], part: list[_Input]) -> list[bytes]:
    """Runs in a worker: the stored form of each version's view."""
    return [
        _encoded(
            nct_id,
            orjson.loads(decompress(blob)),
            ParsedCriteria.from_json(orjson.loads(decompress(parse))),
            profiles,
        )
        for nct_id, _, blob, parse in part
    ]


def _inputs(store: Store, chunk: Sequence[tuple[str, int]]) -> dict[int, _Input]:
    """What the workers need of these versions: those with an up-to-date parse."""
    marks = ",".join("?" * len(chunk))
    rows = store.conn.execute(
        "SELECT v.nct_id, v.id, v.data, c.data FROM versions v JOIN criteria_parses c"
        f" ON c.version_id = v.id AND c.parse_key = ? WHERE v.id IN ({marks})",
        [parse_key(), *(version_id for _, version_id in chunk)],
    ).fetchall()
    return {int(r[1]): (str(r[0]), int(r[1]), bytes(r[2]), bytes(r[3])) for r in rows}


def warm_up() -> None:
    """Load what building a view reads (vocabulary, matcher tables) in this process, so
    workers forked from it start with them instead of each loading its own."""
    from trialscope.criteria.parser import parse_criteria

    view_key()
    text = (
        "Inclusion Criteria:\n* Age >= 18 years\n* Histologically confirmed breast cancer"
        "\n* ECOG 0-1\n* ANC >= 1.5 x 10^9/L\nExclusion Criteria:\n* Pregnant or"
        " breastfeeding\n* Prior chemotherapy within 4 weeks\n* HIV infection"
    )
    study = {"protocolSection": {"conditionsModule": {"conditions": ["Breast Cancer"]}}}
    _encoded("NCT00000000", study, parse_criteria(text), PROFILES)


def _refresh_pooled(
    store: Store,
    todo: list[tuple[str, int]],
    profiles: tuple[Profile, ...],
    workers: int,
    on_progress: Callable[[int, int], None] | None,
) -> int:
    warm_up()  # before the fork
    key = view_key()
    done = 0
    window: deque[tuple[list[tuple[str, int]], list[_Input], Any]] = deque()

    def finish() -> None:
        nonlocal done
        chunk, sent, result = window.popleft()
        made = {
            version_id: data
            for (_, version_id, _, _), data in zip(
                sent, itertools.chain.from_iterable(result.get()), strict=True
            )
        }
        rows = [
            (
                version_id,
                nct_id,
                key,
                utc_now(),
                made.get(version_id) or _view_data(store, nct_id, version_id, profiles),
            )
            for nct_id, version_id in chunk  # no up-to-date parse: made here, as before
        ]
        _write(store, rows)
        done += len(rows)
        if on_progress is not None:
            on_progress(done, len(todo))

    with fork_pool(workers) as pool:
        assert pool is not None
        for at in range(0, len(todo), BATCH):
            chunk = todo[at : at + BATCH]
            found = _inputs(store, chunk)
            sent = [found[version_id] for _, version_id in chunk if version_id in found]
            task = functools.partial(_view_part, profiles)
            window.append((chunk, sent, pool.map_async(task, parts(sent, PART))))
            if len(window) > 1:  # the workers build this batch while the last is written
                finish()
        while window:
            finish()
    return done
