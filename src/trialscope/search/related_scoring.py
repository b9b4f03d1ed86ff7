"""The related-trials scorer: every trial's features as compact integer arrays, and an
exact top-k that scores only the trials that can still make the list.

The score of trial ``d`` for trial ``q`` (see :mod:`trialscope.search.related`): each
shared disease concept weighs its specificity times its rarity (IDF), an own concept
met as an own concept fully and otherwise 0.4; each shared intervention 0.6 × IDF; plus
3 × the cosine similarity of the IDF-weighted title words (words in more than 5% of
trials left out of ``q``'s side). A trial with specific concepts is related only to
trials sharing one. Ties go to the closer title, then the newer record, then the id.

Memory: features are integers; a trial's features and each feature's trials are slices
of two flat ``array('i')`` (about 8 bytes per stored feature row), not sets of strings.

Speed (MaxScore): ``q``'s features are taken by what they can add per trial that has
them, most first. Every trial met in one of them is scored exactly from its own feature
slice; before each next feature, the most the features not yet taken could add is
compared with the k-th best score so far, and the search stops when no unseen trial can
reach it (or, for a gated trial, when no concept is left). Common features (a broad
ancestor, "placebo") are then rarely walked. Scoring every trial sharing a feature grew
with the square of the corpus; this scores about N^0.6 trials per list (measured on
subsets of the shared corpus, docs/benchmarks.md "Import").

Budget: a corpus made with ``budget`` also stops a list's search once it has scored that
many trials, so a list costs the same at 500k trials as at 50k. Features are taken
rarest and most telling first and each feature's trials newest first (the tie-break), so
the trials met first are the likeliest to make the list; the refresh's budget
(:data:`trialscope.search.related.BUDGET`) leaves 99.9% of the shared corpus's lists
exactly as the exhaustive search finds them.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: neighbours stored per trial (pages show 5; the CLI and API may ask for up to this)
STORED = 10
#: title words in more than this share of trials say nothing (study, patients, trial)
COMMON_WORD = 0.05
OWN, ANCESTOR, INTERVENTION, TITLE = "c", "a", "i", "t"
_KINDS = {OWN: 0, ANCESTOR: 1, INTERVENTION: 2, TITLE: 3}
#: a key's first byte (its kind letter) to the kind's code
_CODES = np.zeros(256, dtype=np.uint8)
for _letter, _code in _KINDS.items():
    _CODES[ord(_letter)] = _code
#: weight of a shared concept by kind: an own concept met as an own one, else 0.4
OWN_WEIGHT, ANCESTOR_WEIGHT, INTERVENTION_WEIGHT = 1.0, 0.4, 0.6
TITLE_WEIGHT = 3.0
#: room for rounding (scores are compared at 4 decimals) in the stopping test
_SLACK = 1e-3


@dataclass(frozen=True, slots=True)
class _Scratch:
    """Work arrays of one process's searches: trials seen, the query's weight of each
    feature (0: not shared), the query's gating concepts."""

    seen: np.ndarray[Any, np.dtype[np.bool_]]
    table: np.ndarray[Any, np.dtype[np.float64]]
    gated: np.ndarray[Any, np.dtype[np.bool_]]


def _round4(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``round(v, 4)`` of each value, exactly as Python rounds it: numpy's rint of v × 10⁴
    picks the same integer unless v × 10⁴ lies within rounding error of a half, and those
    few are rounded by Python."""
    scaled = values * 10000.0
    out: np.ndarray[Any, Any] = np.rint(scaled) / 10000.0
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).tolist():
        out[i] = round(float(values[i]), 4)
    return out


@dataclass(frozen=True, slots=True)
class Neighbour:
    nct_id: str
    score: float
    title_similarity: float
    last_update: str


def order_key(n: Neighbour) -> tuple[float, float, str, str]:
    """Best score first; ties to the closer title, then the newer record, then the id."""
    return (-n.score, -n.title_similarity, _newest_first(n.last_update), n.nct_id)


def _newest_first(last_update: str) -> str:
    """A last-update date as :func:`order_key` sorts it: newer first, unknown last."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in last_update) or "\U0010ffff"


def _newest_ranks(updated: list[str]) -> list[int]:
    """Each trial's date as a number that sorts as :func:`_newest_first` does (equal
    dates equal numbers): the dates are few, the trials many."""
    order = sorted(set(updated), key=_newest_first)
    rank = {date: at for at, date in enumerate(order)}
    return [rank[date] for date in updated]


@dataclass
class Tables:
    """A corpus in canonical form: the trials with features (sorted ids), their
    last-update dates, the distinct features (sorted keys: kind letter + value) and each
    trial's features as ascending feature numbers (``forward[starts[d]:starts[d + 1]]``).
    Every way of making a corpus (a full load, a cached corpus patched with the studies
    that changed: :mod:`trialscope.search.related_cache`) goes through
    :func:`canonical`, so equal rows give equal tables and equal tables equal lists."""

    ids: list[str]
    updated: list[str]
    keys: list[str]
    starts: np.ndarray[Any, np.dtype[np.int64]]
    forward: np.ndarray[Any, np.dtype[np.int32]]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Tables)
            and (self.ids, self.updated, self.keys) == (other.ids, other.updated, other.keys)
            and np.array_equal(self.starts, other.starts)
            and np.array_equal(self.forward, other.forward)
        )


def tables_from_rows(
    rows: Iterable[tuple[str, str, str]], last_update: Callable[[str], str]
) -> Tables:
    """Tables from ``(nct_id, kind, feature)`` rows in any order (duplicates once)."""
    doc: dict[str, int] = {}
    key_of: dict[str, int] = {}
    docs, features = array("q"), array("q")
    for nct, kind, value in rows:
        d = doc.get(nct)
        if d is None:
            d = doc[nct] = len(doc)
        key = kind + value
        f = key_of.get(key)
        if f is None:
            f = key_of[key] = len(key_of)
        docs.append(d)
        features.append(f)
    ids = list(doc)
    return canonical(
        ids,
        [last_update(n) for n in ids],
        list(key_of),
        np.frombuffer(docs, dtype=np.int64),
        np.frombuffer(features, dtype=np.int64),
    )


def canonical(
    ids: list[str],
    updated: list[str],
    keys: list[str],
    docs: np.ndarray[Any, Any],
    features: np.ndarray[Any, Any],
) -> Tables:
    """The tables of rows ``(ids[docs[r]], keys[features[r]])``: ids and keys sorted,
    those no row uses left out, duplicate rows once. Sorting a mostly sorted list or
    array (a cached corpus and a few changes) costs little more than reading it."""
    id_order = sorted(range(len(ids)), key=ids.__getitem__)
    key_order = sorted(range(len(keys)), key=keys.__getitem__)
    id_rank = _inverse(id_order)
    key_rank = _inverse(key_order)
    pairs = np.sort((id_rank[docs] << 32) | key_rank[features], kind="stable")
    if len(pairs) > 1:
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    row_doc, row_key = pairs >> 32, pairs & 0xFFFFFFFF
    used_docs = np.flatnonzero(np.bincount(row_doc, minlength=len(ids)))
    used_keys = np.flatnonzero(np.bincount(row_key, minlength=len(keys)))
    # renumber past the ids and keys no row uses (a patched corpus's removed ones)
    doc_number = np.zeros(len(ids), dtype=np.int64)
    doc_number[used_docs] = np.arange(len(used_docs))
    key_number = np.zeros(len(keys), dtype=np.int64)
    key_number[used_keys] = np.arange(len(used_keys))
    row_doc = doc_number[row_doc]
    starts = np.zeros(len(used_docs) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_doc, minlength=len(used_docs)), out=starts[1:])
    return Tables(
        ids=[ids[id_order[d]] for d in used_docs.tolist()],
        updated=[updated[id_order[d]] for d in used_docs.tolist()],
        keys=[keys[key_order[f]] for f in used_keys.tolist()],
        starts=starts,
        forward=key_number[row_key].astype(np.int32),
    )


def _inverse(order: list[int]) -> np.ndarray[Any, np.dtype[np.int64]]:
    rank = np.empty(len(order), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int64)
    return rank


class Corpus:
    """Every trial's features, inverted, with the statistics scores need.

    Built from ``(nct_id, kind, feature)`` rows (any order); ``last_update`` breaks
    ties; ``specificity`` weighs a concept. :meth:`from_tables` builds one from
    :class:`Tables` (the same corpus the same rows give).
    """

    def __init__(
        self,
        rows: Iterable[tuple[str, str, str]],
        last_update: dict[str, str],
        specificity: Callable[[str], float],
        budget: int | None = None,
    ) -> None:
        tables = tables_from_rows(rows, lambda n: last_update.get(n, ""))
        self._build(tables, specificity, budget)

    @classmethod
    def from_tables(
        cls, tables: Tables, specificity: Callable[[str], float], budget: int | None = None
    ) -> Corpus:
        corpus = cls.__new__(cls)
        corpus._build(tables, specificity, budget)
        return corpus

    def _build(
        self, tables: Tables, specificity: Callable[[str], float], budget: int | None
    ) -> None:
        """The arrays the search reads, made with numpy from the tables: a row-by-row
        build in Python took most of a 500k refresh's corpus load."""
        #: trials scored per list at most (None: exact; see :meth:`neighbours`)
        self.budget = budget
        self.tables = tables
        self.ids = tables.ids
        self.doc = {n: d for d, n in enumerate(self.ids)}
        total, keys, forward = len(self.ids), tables.keys, tables.forward
        codes = np.frombuffer("".join(k[0] for k in keys).encode("ascii"), dtype=np.uint8)
        kind = _CODES[codes]
        self._kind = bytearray(kind.tobytes())
        df = np.bincount(forward, minlength=len(keys))
        self._df = array("i", df.astype(np.int32).tobytes())
        idf = [math.log(1 + total / n) for n in df.tolist()]
        self._idf = array("d", idf)
        spec = [0.0] * len(keys)
        concepts: dict[str, list[int]] = {}  # concept -> [own feature, ancestor feature]
        for fid in np.flatnonzero(kind <= 1).tolist():
            value = keys[fid][1:]
            spec[fid] = specificity(value)
            concepts.setdefault(value, [-1, -1])[self._kind[fid]] = fid
        self._spec = array("d", spec)
        #: the same concept as an own concept and as an ancestor, per concept feature
        self._twins: dict[int, tuple[int, int]] = {}
        for own, above in concepts.values():
            for fid in (own, above):
                if fid >= 0:
                    self._twins[fid] = (own, above)
        self._common = COMMON_WORD * total
        self._updated = tables.updated
        #: the tie-break after the title, as a number (:func:`order_key`'s date, ordered)
        self._newest = array("i", _newest_ranks(tables.updated))
        self._forward = array("i", forward.astype(np.int32).tobytes())
        self._starts = array("q", tables.starts.astype(np.int64).tobytes())
        row_doc = np.repeat(np.arange(total, dtype=np.int64), np.diff(tables.starts))
        # the trials of each feature, newest first, then by id: a search cut short by the
        # budget has met the newest trials, which win ties; an exact search walks whole
        # postings, in any order
        newest = sorted(range(total), key=self._updated.__getitem__, reverse=True)
        rank = _inverse(newest)
        # the keys are unique: any sort gives this one order
        order = np.argsort((forward.astype(np.int64) << 32) | rank[row_doc])
        self._postings = array("i", row_doc[order].astype(np.int32).tobytes())
        post_starts = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(df, out=post_starts[1:])
        self._post_starts = array("q", post_starts.tobytes())
        titles = kind[forward] == 3
        squares = np.asarray(idf, dtype=np.float64)[forward[titles]] ** 2
        norm = np.sqrt(np.bincount(row_doc[titles], weights=squares, minlength=total))
        norm[norm == 0] = 1.0
        self._title_norm = array("d", norm.tobytes())
        # the same memory as numpy arrays, for the search's gathers
        self._np_forward = np.frombuffer(self._forward, dtype=np.int32)
        self._np_starts = np.frombuffer(self._starts, dtype=np.int64)
        self._np_postings = np.frombuffer(self._postings, dtype=np.int32)
        self._np_title_norm = np.frombuffer(self._title_norm, dtype=np.float64)
        #: trials scored so far, over all queries (the benchmark's measure of work)
        self.scored = 0

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self.doc

    def __len__(self) -> int:
        return len(self.ids)

    def updated(self, nct_id: str) -> str:
        """A trial's last-update date as ties read it ("" when unknown)."""
        d = self.doc.get(nct_id)
        return "" if d is None else self._updated[d]

    def neighbours(self, nct_id: str, k: int = STORED) -> list[Neighbour]:
        """The ``k`` trials most like ``nct_id``, best first.

        With a :attr:`budget`, the search also stops once it has scored that many
        trials: the best of those met first (through the rarest, most telling features,
        newest trials first), not always the exact top ``k``.

        The walk is the one the module docstring describes, feature by feature; the
        trials met are scored in blocks with numpy (one gather of their features, one
        sum per trial) instead of one set intersection each in Python, then the stopping
        test is replayed feature by feature over the block's scores, so the trials
        listed, the trials counted as scored and every score are what a walk scoring
        each trial as it meets it gives (tests/test_related_scoring.py)."""
        q = self.doc.get(nct_id)
        if q is None:
            return []
        weights, titles, gate = self._query(q)
        if not weights and not titles:
            return []
        norm = math.sqrt(sum(titles.values())) or 1.0
        # each feature with the most it can add to a trial's score, the most per trial
        # to score first (fewer trials scored before the test below stops the search)
        units = sorted(
            (
                (self._df[f], f, TITLE_WEIGHT * math.sqrt(w) / norm if f in titles else w)
                for f, w in {**weights, **titles}.items()
            ),
            key=lambda u: -u[2] / u[0],
        )
        # the most the features from each one on can add (the stopping test's bound)
        bounds = [0.0] * len(units)
        left = title = 0.0
        walk = len(units)  # a trial met after the last gating concept is never listed
        gating = gate is None
        for at in range(len(units) - 1, -1, -1):
            _, f, most = units[at]
            if f in titles:
                title += most
            else:
                left += most
            bounds[at] = left + min(TITLE_WEIGHT, title)
            if gate is not None and not gating and f in gate:
                gating, walk = True, at + 1
        if not gating:
            walk = 0
        # one table: concept and intervention weights, and title words as -IDF²
        table = {**weights, **{f: -w for f, w in titles.items()}}
        scratch = self._scratch()
        keys = np.fromiter(table, dtype=np.int64, count=len(table))
        scratch.table[keys] = np.fromiter(table.values(), dtype=np.float64, count=len(table))
        gates = np.fromiter(gate or (), dtype=np.int64)
        scratch.gated[gates] = True
        scratch.seen[q] = True
        met: list[np.ndarray[Any, Any]] = []
        budget = len(self) if self.budget is None else self.budget
        best: list[float] = []  # the k best scores so far (a min-heap)
        kept: list[tuple[np.ndarray[Any, Any], ...]] = []
        scored = at = 0
        try:
            while at < walk and scored < budget:
                # a block of features: the trials each meets first, up to the budget
                first, block, parts, size = at, [0], [], 0
                while at < walk and size < max(64, scored) and scored + size < budget:
                    new = self._unseen(units[at][1], budget - scored - size, scratch.seen)
                    scratch.seen[new] = True
                    met.append(new)
                    parts.append(new)
                    size += len(new)
                    block.append(size)
                    at += 1
                docs = np.concatenate(parts)
                score, similarity, listed = self._score_block(docs, scratch, gate, norm)
                scores, ok = score.tolist(), listed.tolist()
                end = size
                for n in range(at - first):
                    if len(best) >= k and best[0] > bounds[first + n] + _SLACK:
                        end, at = block[n], walk  # no trial not yet seen can reach the list
                        break
                    for i in range(block[n], block[n + 1]):
                        if ok[i]:
                            if len(best) < k:
                                heapq.heappush(best, scores[i])
                            elif scores[i] > best[0]:
                                heapq.heapreplace(best, scores[i])
                kept.append((docs[:end], score[:end], similarity[:end], listed[:end]))
                scored += end
        finally:
            scratch.table[keys] = 0.0
            scratch.gated[gates] = False
            scratch.seen[q] = False
            for docs in met:
                scratch.seen[docs] = False
        self.scored += scored
        if not best:
            return []
        cutoff = best[0]  # the k-th best, or the lowest when fewer were found
        # ordered as order_key orders them, the date compared by its rank
        ranked: list[tuple[float, float, int, str, int]] = []
        ids, newest = self.ids, self._newest
        for docs, score, similarity, listed in kept:
            chosen = np.flatnonzero(listed & (score >= cutoff))
            for d, value, close in zip(
                docs[chosen].tolist(),
                score[chosen].tolist(),
                similarity[chosen].tolist(),
                strict=True,
            ):
                ranked.append((-value, -close, newest[d], ids[d], d))
        ranked.sort()
        return [
            Neighbour(nct, -value, -close, self._updated[d])
            for value, close, _, nct, d in ranked[:k]
        ]

    def _unseen(self, f: int, room: int, seen: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The first ``room`` trials of feature ``f``'s postings not yet seen, in order."""
        at, end = self._post_starts[f], self._post_starts[f + 1]
        step = 2 * room + 64
        found: list[np.ndarray[Any, Any]] = []
        while at < end and room > 0:
            part = self._np_postings[at : min(end, at + step)]
            new = part[~seen[part]][:room]
            found.append(new)
            room -= len(new)
            at += step
            step *= 2
        if len(found) == 1:
            return found[0]
        return np.concatenate(found) if found else self._np_postings[:0]

    def _score_block(
        self, docs: np.ndarray[Any, Any], scratch: _Scratch, gate: set[int] | None, norm: float
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """(score, title similarity, listable) of each trial in ``docs``: :func:`_score`'s
        arithmetic, in the same order (each trial's features ascending), for many."""
        count = len(docs)
        begin = self._np_starts[docs]
        lengths = self._np_starts[docs + 1] - begin
        owner = np.repeat(np.arange(count), lengths)
        offsets = np.cumsum(lengths) - lengths
        features = self._np_forward[np.arange(len(owner)) + (begin - offsets)[owner]]
        w = scratch.table[features]
        shared = np.flatnonzero(w)  # usually a few of a trial's dozens
        w, owner, features = w[shared], owner[shared], features[shared]
        positive = w > 0
        # bincount adds each trial's values in order, as _score's loop does
        score = np.bincount(owner, np.where(positive, w, 0.0), count)
        dot = np.bincount(owner, np.where(positive, 0.0, -w), count)
        similarity = np.zeros(count)
        titled = np.flatnonzero(dot)
        similarity[titled] = _round4(dot[titled] / (norm * self._np_title_norm[docs[titled]]))
        score = _round4(score + TITLE_WEIGHT * similarity)
        listed = score > 0
        if gate is not None:
            shares = owner[positive & scratch.gated[features]]
            listed &= np.bincount(shares, minlength=count) > 0
        return score, similarity, listed

    def _scratch(self) -> _Scratch:
        """Per-process work arrays of :meth:`neighbours`, made on first use (after a fork,
        each worker makes its own) and left clean after each search."""
        scratch = self.__dict__.get("_scratch_arrays")
        if scratch is None:
            scratch = _Scratch(
                np.zeros(len(self.ids), dtype=bool),
                np.zeros(len(self._df), dtype=np.float64),
                np.zeros(len(self._df), dtype=bool),
            )
            self.__dict__["_scratch_arrays"] = scratch
        return scratch

    def standing(self, nct_id: str, other: str) -> Neighbour | None:
        """What ``other`` scores in ``nct_id``'s search, as :meth:`neighbours` scores it
        (the same arithmetic, in the same order); None when it could not be listed (no
        shared specific concept, nothing shared, or either unknown)."""
        q, d = self.doc.get(nct_id), self.doc.get(other)
        if q is None or d is None or q == d:
            return None
        weights, titles, gate = self._query(q)
        norm = math.sqrt(sum(titles.values())) or 1.0
        table = {**weights, **{f: -w for f, w in titles.items()}}
        features = self._forward[self._starts[d] : self._starts[d + 1]]
        scored = _score(table, gate, norm, features, self._title_norm[d])
        if scored is None:
            return None
        return Neighbour(other, scored[0], scored[1], self._updated[d])

    def _query(self, q: int) -> tuple[dict[int, float], dict[int, float], set[int] | None]:
        """What each feature of another trial adds to its score for trial ``q``: concept
        and intervention weights, title words' squared IDF, and the concept features a
        trial must have one of (None when ``q`` names no specific disease)."""
        weights: dict[int, float] = {}
        titles: dict[int, float] = {}
        gate: set[int] = set()
        has_own = False
        kinds, idf, spec = self._kind, self._idf, self._spec
        for f in self._forward[self._starts[q] : self._starts[q + 1]]:
            code = kinds[f]
            if code <= 1:
                has_own = has_own or code == 0
                weight = spec[f] * idf[f]
                own, above = self._twins[f]
                for other, factor in ((own, OWN_WEIGHT if code == 0 else ANCESTOR_WEIGHT),
                                      (above, ANCESTOR_WEIGHT)):  # fmt: skip
                    if other >= 0:
                        weights[other] = weights.get(other, 0.0) + factor * weight
                        gate.add(other)
            elif code == 2:
                weights[f] = weights.get(f, 0.0) + INTERVENTION_WEIGHT * idf[f]
            elif self._df[f] <= self._common:
                titles[f] = idf[f] ** 2
        return weights, titles, gate if has_own else None


def _score(
    table: dict[Any, float],
    gate: Any,
    norm: float,
    features: Any,
    title_norm: float,
) -> tuple[float, float] | None:
    """A trial's (score, title similarity) in a search from its features: concept and
    intervention weights (> 0) summed, title words (-IDF²) as a cosine; None when it
    shares no gating concept or scores nothing. :meth:`Corpus.neighbours` and
    :meth:`Corpus.standing` both score with it, so a standing is what the search gives."""
    score, dot, shares = 0.0, 0.0, gate is None
    # the shared features, found in C (usually a few of a trial's dozens), added in
    # ascending order as Corpus._score_block adds them
    for g in sorted(table.keys() & features):
        w = table[g]
        if w > 0:
            score += w
            shares = shares or g in gate
        else:
            dot -= w
    if not shares:
        return None
    similarity = round(dot / (norm * title_norm), 4) if dot else 0.0
    score = round(score + TITLE_WEIGHT * similarity, 4)
    return None if score <= 0 else (score, similarity)
