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

#: neighbours stored per trial (pages show 5; the CLI and API may ask for up to this)
STORED = 10
#: title words in more than this share of trials say nothing (study, patients, trial)
COMMON_WORD = 0.05
OWN, ANCESTOR, INTERVENTION, TITLE = "c", "a", "i", "t"
_KINDS = {OWN: 0, ANCESTOR: 1, INTERVENTION: 2, TITLE: 3}
#: weight of a shared concept by kind: an own concept met as an own one, else 0.4
OWN_WEIGHT, ANCESTOR_WEIGHT, INTERVENTION_WEIGHT = 1.0, 0.4, 0.6
TITLE_WEIGHT = 3.0
#: room for rounding (scores are compared at 4 decimals) in the stopping test
_SLACK = 1e-3


@dataclass(frozen=True, slots=True)
class Neighbour:
    nct_id: str
    score: float
    title_similarity: float
    last_update: str


def order_key(n: Neighbour) -> tuple[float, float, str, str]:
    """Best score first; ties to the closer title, then the newer record, then the id."""
    newest_first = "".join(chr(0x10FFFF - ord(ch)) for ch in n.last_update)
    return (-n.score, -n.title_similarity, newest_first or "\U0010ffff", n.nct_id)


class Corpus:
    """Every trial's features, inverted, with the statistics scores need.

    Built from ``(nct_id, kind, feature)`` rows grouped by trial (the feature table's
    primary-key order); ``last_update`` breaks ties; ``specificity`` weighs a concept.
    """

    def __init__(
        self,
        rows: Iterable[tuple[str, str, str]],
        last_update: dict[str, str],
        specificity: Callable[[str], float],
        budget: int | None = None,
    ) -> None:
        #: trials scored per list at most (None: exact; see :meth:`neighbours`)
        self.budget = budget
        self.ids: list[str] = []
        self.doc: dict[str, int] = {}
        feature: dict[tuple[str, str], int] = {}
        concepts: dict[str, list[int]] = {}  # concept -> [own feature, ancestor feature]
        self._kind = bytearray()
        self._spec = array("d")
        df = array("i")
        forward, starts = array("i"), array("q", [0])
        previous = None
        for nct, kind, value in rows:
            if nct != previous:
                if previous is not None:
                    starts.append(len(forward))
                self.doc[nct] = len(self.ids)
                self.ids.append(nct)
                previous = nct
            fid = feature.get((kind, value))
            if fid is None:
                fid = feature[(kind, value)] = len(self._kind)
                code = _KINDS[kind]
                self._kind.append(code)
                df.append(0)
                self._spec.append(specificity(value) if code <= 1 else 0.0)
                if code <= 1:
                    concepts.setdefault(value, [-1, -1])[code] = fid
            df[fid] += 1
            forward.append(fid)
        if previous is not None:
            starts.append(len(forward))
        del feature
        self._forward, self._starts = forward, starts
        #: the same concept as an own concept and as an ancestor, per concept feature
        self._twins: dict[int, tuple[int, int]] = {}
        for own, above in concepts.values():
            for fid in (own, above):
                if fid >= 0:
                    self._twins[fid] = (own, above)
        total = len(self.ids)
        self._df = df
        self._idf = array("d", (math.log(1 + total / n) for n in df))
        self._common = COMMON_WORD * total
        self._updated = [last_update.get(n, "") for n in self.ids]
        # the trials of each feature, newest first, then by id (a counting sort of the
        # forward slices): a search cut short by the budget has met the newest trials,
        # which win ties; an exact search walks whole postings, in any order
        ends = array("q", [0]) * (len(df) + 1)
        for fid, count in enumerate(df):
            ends[fid + 1] = ends[fid] + count
        self._post_starts = array("q", ends)
        postings = array("i", [0]) * len(forward)
        fill = ends[:-1]
        for d in sorted(range(total), key=self._updated.__getitem__, reverse=True):
            for fid in forward[starts[d] : starts[d + 1]]:
                postings[fill[fid]] = d
                fill[fid] += 1
        self._postings = postings
        idf, kinds = self._idf, self._kind
        self._title_norm = array(
            "d",
            (
                math.sqrt(
                    sum(idf[f] ** 2 for f in forward[starts[d] : starts[d + 1]] if kinds[f] == 3)
                )
                or 1.0
                for d in range(total)
            ),
        )
        #: trials scored so far, over all queries (the benchmark's measure of work)
        self.scored = 0

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self.doc

    def __len__(self) -> int:
        return len(self.ids)

    def neighbours(self, nct_id: str, k: int = STORED) -> list[Neighbour]:
        """The ``k`` trials most like ``nct_id``, best first.

        With a :attr:`budget`, the search also stops once it has scored that many
        trials: the best of those met first (through the rarest, most telling features,
        newest trials first), not always the exact top ``k``."""
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
        remaining = [0.0] * (len(units) + 1)
        title_left = [0.0] * (len(units) + 1)
        gates_left = [0] * (len(units) + 1)
        for at in range(len(units) - 1, -1, -1):
            _, f, most = units[at]
            is_title = f in titles
            remaining[at] = remaining[at + 1] + (0.0 if is_title else most)
            title_left[at] = title_left[at + 1] + (most if is_title else 0.0)
            gates_left[at] = gates_left[at + 1] + (gate is not None and f in gate)
        best: list[float] = []  # the k best scores so far (a min-heap)
        found: dict[int, tuple[float, float]] = {}
        seen = {q}
        # one table: concept and intervention weights, and title words as -IDF²
        table = {**weights, **{f: -w for f, w in titles.items()}}
        keys = table.keys()
        forward, starts, postings = self._forward, self._starts, self._postings
        title_norm, post_starts = self._title_norm, self._post_starts
        budget = len(self) if self.budget is None else self.budget
        for at, (_, f, _) in enumerate(units):
            if len(seen) > budget:
                break  # enough met: the rest would cost more than they are likely to add
            bound = remaining[at] + min(TITLE_WEIGHT, title_left[at])
            if len(best) >= k and best[0] > bound + _SLACK:
                break  # no trial not yet seen can reach the list
            if gate is not None and not gates_left[at]:
                break  # a trial not yet seen shares none of the concepts: never listed
            for d in postings[post_starts[f] : post_starts[f + 1]]:
                if d in seen:
                    continue
                if len(seen) > budget:
                    break
                seen.add(d)
                score, dot, shares = 0.0, 0.0, gate is None
                # the shared features, found in C; usually a few of a trial's dozens
                for g in keys & forward[starts[d] : starts[d + 1]]:
                    w = table[g]
                    if w > 0:
                        score += w
                        shares = shares or g in gate  # type: ignore[operator]
                    else:
                        dot -= w
                if not shares:
                    continue
                similarity = round(dot / (norm * title_norm[d]), 4) if dot else 0.0
                score = round(score + TITLE_WEIGHT * similarity, 4)
                if score <= 0:
                    continue
                found[d] = (score, similarity)
                if len(best) < k:
                    heapq.heappush(best, score)
                elif score > best[0]:
                    heapq.heapreplace(best, score)
        self.scored += len(seen) - 1
        if not best:
            return []
        cutoff = best[0]  # the k-th best, or the lowest when fewer were found
        ranked = [
            Neighbour(self.ids[d], score, similarity, self._updated[d])
            for d, (score, similarity) in found.items()
            if score >= cutoff
        ]
        ranked.sort(key=order_key)
        return ranked[:k]

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
