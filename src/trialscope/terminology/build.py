"""Merge the vocabularies into one concept graph and write it as a small SQLite file.

Canonical ids are MeSH (descriptors ``MESH:D…``, supplementary concepts ``MESH:C…``). A
Disease Ontology class joins the MeSH concept it cross-references when that pairing is
unambiguous, so DO synonyms enrich MeSH concepts; other DO classes keep their ``DOID:`` id
and get the MeSH concepts they cross-reference as parents ("equivalent or broader").
OncoTree types join a DO class through their NCIt/UMLS codes, or keep ``ONCOTREE:`` ids.
Hand-written concepts (``TS:…``) fill gaps such as liver metastases.
"""

from __future__ import annotations

import marshal
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from trialscope.terminology import curated
from trialscope.terminology.normalise import normalise_word, phrase_key, tokens, uninvert
from trialscope.terminology.sources import (
    Source,
    SourceFiles,
    mesh_tree_depths,
    read_do_report,
    read_mesh,
    read_mesh_scr,
    read_obo,
    read_oncotree,
)

FORMAT_VERSION = 1
#: DO's upper classes: so general that sharing one says nothing ("disease", "disease of
#: anatomical entity", "disease of cellular proliferation", "syndrome", ...). They are left
#: out of the graph altogether; MeSH has no such nodes (its categories are not descriptors).
BROAD_DOIDS = frozenset(
    {
        "DOID:4",
        "DOID:7",
        "DOID:14566",
        "DOID:150",
        "DOID:0014667",
        "DOID:0050117",
        "DOID:630",
        "DOID:0080015",
        "DOID:225",
        "DOID:0050736",  # autosomal dominant disease
        "DOID:0050737",  # autosomal recessive disease
    }
)
#: single words that are vocabulary terms but mostly mean something else in clinical text
#: (or are too vague to tag); they match only as an all-capitals abbreviation
_STOP_TEXT = """
    aids cold hand sage said lead cast mass sign symptom disease disorder syndrome illness
    condition lesion injury infection abnormality complication death sudden ache tic pica
    chill shock fall overweight weight dependence tolerance habit crush burn stress attack
    mole growth spot plaque heat drowning ill sick finding emergency
"""
STOP_WORDS = frozenset(normalise_word(word) for word in _STOP_TEXT.split())
MAX_TOKENS = 12
_PAREN = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")


@dataclass
class Concept:
    id: str
    name: str
    terms: dict[str, int] = field(default_factory=dict)  # surface form → rank
    exact_terms: dict[str, int] = field(default_factory=dict)  # matched as written
    parents: set[str] = field(default_factory=set)

    def add_terms(self, terms: Iterable[str], rank: int, *, exact: bool = False) -> None:
        table = self.exact_terms if exact else self.terms
        for term in terms:
            if term and rank < table.get(term, 99):
                table[term] = rank


@dataclass
class Graph:
    concepts: dict[str, Concept] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)  # any id → canonical id
    mesh_terms: dict[str, str] = field(default_factory=dict)  # casefolded MeSH term → id
    tree_depth: dict[str, int] = field(default_factory=dict)
    #: DO parents of a concept MeSH places, where the parent is a DO class only
    do_only_parents: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def concept(self, source: Source) -> Concept:
        found = self.concepts.get(source.id)
        if found is None:
            found = self.concepts[source.id] = Concept(source.id, source.name)
            self.alias[source.id] = source.id
        return found


def _do_ancestors(doids: dict[str, Source]) -> dict[str, set[str]]:
    memo: dict[str, set[str]] = {}

    def up(doid: str, seen: frozenset[str]) -> set[str]:
        if doid in memo:
            return memo[doid]
        result: set[str] = set()
        for parent in doids[doid].parents if doid in doids else ():
            if parent not in seen:
                result |= {parent} | up(parent, seen | {parent})
        memo[doid] = result
        return result

    return {d: up(d, frozenset({d})) for d in doids}


def _keys(source: Source | Concept) -> set[str]:
    terms = source.terms if isinstance(source, Source) else list(source.terms)
    return {phrase_key(uninvert(t)) for t in terms}


def _merge_doids(graph: Graph, doids: dict[str, Source]) -> dict[str, str]:
    """DOID → the MeSH concept it merges into, where unambiguous."""
    claims: dict[str, list[str]] = defaultdict(list)
    for doid, source in doids.items():
        for xref in source.xrefs:
            if xref in graph.concepts and doid not in BROAD_DOIDS:
                claims[xref].append(doid)
    ancestors = _do_ancestors(doids)
    named_by: dict[str, set[str]] = defaultdict(set)  # a MeSH name or synonym → headings
    for cid, concept in graph.concepts.items():
        for term, rank in concept.terms.items():
            if rank <= 2:
                named_by[phrase_key(_clean(term, cid))].add(cid)
    picks: dict[str, list[str]] = defaultdict(list)  # DOID → MeSH concepts that chose it
    for mesh, candidates in claims.items():
        # among the DOIDs whose name is one of the heading's terms (else all of them), the
        # one above the others: "colon cancer", not "colon adenocarcinoma"
        mesh_keys = _keys(graph.concepts[mesh])
        pool = [c for c in candidates if phrase_key(doids[c].name) in mesh_keys] or [
            # never a DOID named like another heading (DO's "tuberculosis" → Tuberculoma)
            c
            for c in candidates
            if not named_by.get(phrase_key(doids[c].name), set()) - {mesh}
        ]
        tops = [c for c in pool if all(c in ancestors[o] for o in pool if o != c)]
        if len(tops) == 1:
            picks[tops[0]].append(mesh)
    chosen: dict[str, str] = {}
    for doid, meshes in picks.items():
        # chosen by two headings (viral hepatitis → human and animal): the one sharing its
        # name, or none
        named = [m for m in meshes if phrase_key(doids[doid].name) in _keys(graph.concepts[m])]
        if len(meshes) == 1 or len(named) == 1:
            chosen[doid] = meshes[0] if len(meshes) == 1 else named[0]
    # a DOID without a usable cross-reference joins the MeSH heading of the same name
    # ("autoimmune disease" = Autoimmune Diseases)
    taken = set(chosen.values())
    for doid, source in doids.items():
        if doid in chosen or doid in BROAD_DOIDS:
            continue
        owners = named_by.get(phrase_key(source.name), set())
        if len(owners) == 1 and not owners & taken:
            chosen[doid] = owners.pop()
            taken.add(chosen[doid])
    return chosen


def _add_mesh(graph: Graph, files: SourceFiles) -> None:
    if files.mesh is not None:
        for source in read_mesh(files.mesh):
            concept = graph.concept(source)
            concept.add_terms(source.terms, source.rank)
            concept.parents |= set(source.parents)
            for term in source.terms:
                graph.mesh_terms.setdefault(term.casefold(), source.id)
        graph.tree_depth = mesh_tree_depths(files.mesh)
    if files.mesh_scr is not None:
        for source in read_mesh_scr(files.mesh_scr):
            concept = graph.concept(source)
            concept.add_terms(source.terms, source.rank)
            concept.parents |= {p for p in source.parents if p in graph.concepts}
            for term in source.terms:
                graph.mesh_terms.setdefault(term.casefold(), source.id)


def _read_doids(files: SourceFiles) -> dict[str, Source]:
    doids = {s.id: s for s in read_obo(files.doid)} if files.doid else {}
    if files.do_report is not None and files.do_report.exists():
        newer = {s.id: s for s in read_obo(files.do_ncit)} if files.do_ncit else {}
        for source in read_do_report(files.do_report, files.do_xrefs, set(doids)):
            doids[source.id] = newer.get(source.id, source)
    return doids


def _add_doids(graph: Graph, doids: dict[str, Source]) -> None:
    merged = _merge_doids(graph, doids)
    for doid, source in doids.items():
        if doid in BROAD_DOIDS:
            continue
        target = merged.get(doid)
        if target is None:
            concept = graph.concept(source)
            # one cross-referenced MeSH concept is equivalent or broader; two are a guess
            meshes = {x for x in source.xrefs if x in graph.concepts}
            if len(meshes) == 1:
                concept.parents |= meshes
        else:
            concept = graph.concepts[target]
            graph.alias[doid] = target
        concept.add_terms(source.terms, source.rank)
        concept.add_terms(source.exact_terms, source.rank, exact=True)
        for xref in source.xrefs:
            if xref.startswith("ALT:"):
                graph.alias[xref[4:]] = concept.id
    # is_a edges, once every DOID has its canonical id. A concept MeSH places keeps MeSH's
    # parents, and of DO's only those MeSH has no heading for ("acute leukemia" above
    # AML, "thyroid cancer" above papillary thyroid carcinoma): DO asserts a few links
    # between concepts both know that clinicians would not (autoimmune disease is_a
    # primary immunodeficiency; liver cancer is_a endocrine gland cancer).
    for doid, source in doids.items():
        if doid in graph.alias:
            concept = graph.concepts[graph.alias[doid]]
            parents = {graph.alias[p] for p in source.parents if p in graph.alias}
            if concept.id == doid or not concept.parents:
                concept.parents |= parents
            else:
                graph.do_only_parents[concept.id] |= {p for p in parents if p.startswith("DOID:")}


def _add_oncotree(graph: Graph, files: SourceFiles, doids: dict[str, Source]) -> None:
    if files.oncotree is None:
        return
    by_code: dict[str, set[str]] = defaultdict(set)
    for doid, source in doids.items():
        for xref in source.xrefs:
            if xref.startswith(("NCI:", "UMLS:")) and doid in graph.alias:
                by_code[xref].add(graph.alias[doid])
    nodes = list(read_oncotree(files.oncotree))
    for node in nodes:
        targets = {t for x in node.xrefs for t in by_code.get(x, ())}
        if len(targets) == 1:
            target = targets.pop()
            graph.alias[node.id] = target
            graph.concepts[target].add_terms(node.terms, node.rank)
        else:
            graph.concept(node).add_terms(node.terms, node.rank)
    for node in nodes:
        concept = graph.concepts[graph.alias[node.id]]
        if concept.id == node.id:
            concept.parents |= {graph.alias[p] for p in node.parents if p in graph.alias}


def _add_curated(graph: Graph) -> None:
    for ui, name, parent, terms in curated.mesh_terms():
        cid = f"MESH:{ui}"
        concept = graph.concept(Source(cid, name))
        # the hierarchy when MeSH is absent, and a few clinical is-a links MeSH lacks
        # (Adenocarcinoma of Lung under Carcinoma, Non-Small-Cell Lung)
        if parent:
            concept.parents.add(f"MESH:{parent}")
        _add_curated_terms(concept, terms)
        graph.mesh_terms.setdefault(name.casefold(), cid)
    for cid, name, parents, terms in curated.OWN_CONCEPTS:
        concept = graph.concept(Source(cid, name))
        concept.parents |= set(parents)
        _add_curated_terms(concept, terms)


def _add_curated_terms(concept: Concept, terms: str) -> None:
    """Abbreviations outrank every source (none of them has "NSCLC"); written-out phrases
    rank last, so a more specific vocabulary concept keeps "colon adenocarcinoma"."""
    for term in (t.strip() for t in terms.split(";")):
        if term.startswith("="):
            concept.add_terms([term[1:]], 0, exact=True)
        elif " " not in term and not term.islower():
            concept.add_terms([term], 1)
        else:
            concept.add_terms([term], 7)


def build_graph(files: SourceFiles) -> Graph:
    graph = Graph()
    _add_mesh(graph, files)
    doids = _read_doids(files)
    _add_doids(graph, doids)
    _add_oncotree(graph, files, doids)
    _add_curated(graph)
    for concept in graph.concepts.values():
        concept.parents = {p for p in concept.parents if p in graph.concepts} - {concept.id}
    _add_do_only_parents(graph)
    return graph


def _add_do_only_parents(graph: Graph) -> None:
    """Give a concept both vocabularies place its DO-only parents too, unless the parent
    sits below the concept already (a DO class that cross-references the concept's own
    heading as broader): that edge would make the two one concept."""
    for cid, parents in sorted(graph.do_only_parents.items()):
        concept = graph.concepts.get(cid)
        if concept is None:
            continue
        for parent in sorted(parents):
            if parent in graph.concepts and parent != cid and not _reaches(graph, parent, cid):
                concept.parents.add(parent)


def _reaches(graph: Graph, start: str, goal: str) -> bool:
    """``goal`` is ``start`` or one of its ancestors."""
    seen = {start}
    stack = [start]
    while stack:
        here = stack.pop()
        if here == goal:
            return True
        for parent in graph.concepts[here].parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return False


def _closure(graph: Graph) -> dict[str, list[str]]:
    """Every concept's ancestors (itself first); cycles from merging are harmless."""
    result: dict[str, list[str]] = {}
    for cid in graph.concepts:
        seen = {cid}
        stack = [cid]
        while stack:
            for parent in graph.concepts[stack.pop()].parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        result[cid] = [cid, *sorted(seen - {cid})]
    return result


def _depths(graph: Graph) -> dict[str, int]:
    """Longest is_a path up to a root (roots are 0; a cycle counts as a root)."""
    depth: dict[str, int] = {}
    on_path: set[str] = set()

    def walk(cid: str) -> int:
        if cid in depth:
            return depth[cid]
        if cid in on_path:
            return -1
        on_path.add(cid)
        parents = graph.concepts[cid].parents
        value = 1 + max((walk(p) for p in parents), default=-1)
        on_path.discard(cid)
        depth[cid] = value
        return value

    for cid in graph.concepts:
        walk(cid)
    return depth


def _clean(term: str, concept_id: str) -> str:
    term = _PAREN.sub("", term).strip()
    return uninvert(term) if concept_id.startswith("MESH:") else term


def _single_word(raw: str, key: str, rank: int) -> str:
    """How a one-word term is matched: "p" normalised, "x" only as written, "" never."""
    if key.isdigit() or key in STOP_WORDS:
        return "x" if raw.isupper() and len(raw) >= 4 else ""  # AIDS, not "aids"
    if len(raw) <= 5 and not raw.islower() and raw != raw.capitalize():
        if rank <= 1:  # hand-written: NSCLC in any case; MI, PsA, mCRC as written
            return "p" if raw.isupper() and len(raw) >= 4 else "x"
        # the vocabularies' short acronyms are mostly other things in notes (CP, FBS, PCO)
        return "x" if raw.isupper() and len(raw) >= 4 else ""
    return "" if len(key) <= 2 else "p"


def _term_entries(concept: Concept) -> list[tuple[str, str, int]]:
    """(kind, key, rank) for each usable term; kind "p" = normalised phrase, "x" = exact."""
    entries: list[tuple[str, str, int]] = []
    for term, rank in concept.exact_terms.items():
        words = list(tokens(term))
        if len(words) == 1:
            entries.append(("x", words[0].raw, rank))
        elif words:
            entries.append(("p", " ".join(w.key for w in words), rank))
    for term, rank in concept.terms.items():
        words = list(tokens(_clean(term, concept.id)))
        if not words or len(words) > MAX_TOKENS:
            continue
        if len(words) == 1:
            kind = _single_word(words[0].raw, words[0].key, rank)
            if kind == "x":
                entries.append(("x", words[0].raw, rank))
            if kind != "p":
                continue
        entries.append(("p", " ".join(w.key for w in words), rank))
    return entries


@dataclass
class Tables:
    ids: list[str]
    names: list[str]
    phrases: dict[str, int]  # normalised phrase → concept index
    prefixes: set[str]
    exact: dict[str, int]  # token as written → concept index
    synonyms: list[list[str]]


def tables(graph: Graph) -> Tables:
    ids = sorted(graph.concepts)
    index = {cid: i for i, cid in enumerate(ids)}
    best: dict[tuple[str, str], tuple[int, int, str, str]] = {}
    synonyms: list[list[str]] = []
    for cid in ids:
        concept = graph.concepts[cid]
        name_key = phrase_key(concept.name)
        for kind, key, rank in _term_entries(concept):
            # ties go to the concept whose own name this is, then to MeSH, then by id
            own = 0 if key == name_key else 1
            score = (rank, own, "0" if cid.startswith("MESH") else cid, cid)
            if (kind, key) not in best or score < best[(kind, key)]:
                best[(kind, key)] = score
        shown: dict[str, str] = {}
        for term, _ in sorted(concept.terms.items(), key=lambda kv: (kv[1], len(kv[0]))):
            cleaned = _clean(term, cid)
            shown.setdefault(phrase_key(cleaned), cleaned)
        shown.pop(name_key, None)
        written = [t for t in sorted(concept.exact_terms) if phrase_key(t) not in shown]
        synonyms.append(written + list(shown.values()))
    phrases = {key: index[score[3]] for (k, key), score in best.items() if k == "p"}
    exact = {key: index[score[3]] for (k, key), score in best.items() if k == "x"}
    prefixes: set[str] = set()
    for key in phrases:
        parts = key.split(" ")
        prefixes.update(" ".join(parts[:n]) for n in range(1, len(parts)))
    return Tables(ids, [graph.concepts[c].name for c in ids], phrases, prefixes, exact, synonyms)


def write(path: Path, graph: Graph, counts: dict[str, int]) -> None:
    """Write the cache file (atomic: concurrent builders each finish a whole file)."""
    built = tables(graph)
    closure = _closure(graph)
    depth = _depths(graph)
    for cid, tree in graph.tree_depth.items():  # MeSH's own levels where it has them
        if cid in depth:
            depth[cid] = max(depth[cid], tree - 1)
    counts |= {
        "concepts": len(built.ids),
        "phrases": len(built.phrases),
        "exact_terms": len(built.exact),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    with sqlite3.connect(temporary) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB)")
        conn.execute(
            "CREATE TABLE concepts (idx INTEGER PRIMARY KEY, id TEXT, depth INTEGER,"
            " ancestors TEXT, synonyms TEXT)"
        )
        conn.execute("CREATE TABLE aliases (alias TEXT PRIMARY KEY, id TEXT)")
        conn.execute("CREATE TABLE mesh_terms (term TEXT PRIMARY KEY, id TEXT)")
        blobs: dict[str, object] = {
            "ids": built.ids,
            "names": built.names,
            "phrases": built.phrases,
            "prefixes": built.prefixes,
            "exact": built.exact,
            "counts": counts,
        }
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [(k, marshal.dumps(v)) for k, v in blobs.items()],  # type: ignore[arg-type]
        )
        conn.executemany(
            "INSERT INTO concepts VALUES (?, ?, ?, ?, ?)",
            [
                (i, cid, depth[cid], " ".join(closure[cid]), "\n".join(built.synonyms[i]))
                for i, cid in enumerate(built.ids)
            ],
        )
        conn.executemany("INSERT INTO aliases VALUES (?, ?)", graph.alias.items())
        conn.executemany(
            "INSERT OR IGNORE INTO mesh_terms VALUES (?, ?)",
            [(t, graph.alias.get(c, c)) for t, c in graph.mesh_terms.items()],
        )
    conn.close()
    temporary.replace(path)
