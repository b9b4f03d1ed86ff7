"""Readers for the vocabulary files (see ../shared/data/vocab/SOURCES.md): MeSH descriptors
and disease SCRs, the Disease Ontology (a full OBO release plus the newer DO reports) and
OncoTree. Each returns plain records; ``build.py`` merges them into one concept graph."""

from __future__ import annotations

import csv
import functools
import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from trialscope.errors import VocabularyError

#: MeSH branches that hold conditions: C (Diseases), F03 (Mental Disorders), and the
#: behavioural symptoms and addictions of F01 that CT.gov also indexes trials under
#: (Depression, Suicidal Ideation, Behavior, Addictive; Smoking, which criteria ask about)
DISEASE_TREES = ("C", "F03", "F01.145.126", "F01.145.527", "F01.145.805")
_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+(EXACT|NARROW|RELATED|BROAD)\s*(\S*)')
# a field too large for csv's default limit would be a corrupt file, not a long term list
csv.field_size_limit(10_000_000)

#: what a truncated, corrupt or foreign file makes the readers below raise
BROKEN_FILE = (
    OSError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    EOFError,
    csv.Error,
    zlib.error,
)
_Reader = TypeVar("_Reader", bound=Callable[..., Iterator[Any]])


def unreadable(path: Path, exc: BaseException) -> VocabularyError:
    return VocabularyError(
        f"The vocabulary file {path} cannot be read ({type(exc).__name__}: {exc}).",
        hint="Replace it with an intact copy (see SOURCES.md in the vocabulary folder), point"
        " TRIALSCOPE_VOCAB_DIR at another folder, or unset it for the built-in vocabulary.",
    )


def _reader(read: _Reader) -> _Reader:
    """A reader whose broken input is a VocabularyError naming the file (its first
    argument), raised when the records are read."""

    @functools.wraps(read)
    def guarded(path: Path, *args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from read(path, *args, **kwargs)
        except BROKEN_FILE as exc:
            raise unreadable(path, exc) from exc

    return cast(_Reader, guarded)


@dataclass
class Source:
    """A vocabulary concept as its file states it (ids in the file's own namespace)."""

    id: str
    name: str
    terms: list[str] = field(default_factory=list)
    #: abbreviations and acronyms: matched only as written
    exact_terms: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    #: cross-references: MESH:D…, MESH:C…, NCI:C…, UMLS:C…
    xrefs: list[str] = field(default_factory=list)
    #: priority of the terms when two concepts claim one phrase (lower wins)
    rank: int = 5


@dataclass(frozen=True)
class SourceFiles:
    """The files found in a vocabulary folder; any of them may be missing."""

    mesh: Path | None = None
    mesh_scr: Path | None = None
    doid: Path | None = None
    do_report: Path | None = None
    do_xrefs: Path | None = None
    do_ncit: Path | None = None
    oncotree: Path | None = None

    def present(self) -> list[Path]:
        return [p for p in vars(self).values() if p is not None]


def _newest(folder: Path, pattern: str) -> Path | None:
    found = sorted(folder.glob(pattern))
    return found[-1] if found else None


def find_sources(folder: Path | None) -> SourceFiles:
    if folder is None:
        return SourceFiles()
    if not folder.is_dir():
        raise VocabularyError(
            f"The vocabulary folder {folder} does not exist.",
            hint="Point TRIALSCOPE_VOCAB_DIR at ../shared/data/vocab, or unset it to use the"
            " built-in vocabulary.",
        )
    current = _newest(folder, "doid/current_*")
    return SourceFiles(
        mesh=_newest(folder, "mesh/mesh*_descriptors.tsv"),
        mesh_scr=_newest(folder, "mesh/mesh*_disease_scr.tsv"),
        doid=_newest(folder, "doid/doid_*.obo.gz"),
        do_report=current / "HumanDO.tsv" if current else None,
        do_xrefs=current / "allXREFinDO.tsv" if current else None,
        do_ncit=current / "NCIthesaurus.obo.gz" if current else None,
        oncotree=_newest(folder, "oncotree/oncotree_*.json"),
    )


def _split(value: str) -> list[str]:
    return [v for v in value.split("|") if v]


def _animal(row: dict[str, str]) -> bool:
    """Veterinary headings (C22 only, or "…, Animal"): never a trial participant's condition,
    and DO cross-references some human diseases to them (viral hepatitis)."""
    trees = [t for t in _split(row["tree_numbers"]) if t.startswith(DISEASE_TREES)]
    return row["name"].endswith(", Animal") or all(t.startswith("C22") for t in trees)


@_reader
def read_mesh(path: Path) -> Iterator[Source]:
    """Descriptors with a C or F03 tree number; parents come from the tree numbers."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            row
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            if any(t.startswith(DISEASE_TREES) for t in _split(row["tree_numbers"]))
            and not _animal(row)
        ]
    owner = {t: row["ui"] for row in rows for t in _split(row["tree_numbers"])}
    for row in rows:
        parents = {
            owner[t.rsplit(".", 1)[0]]
            for t in _split(row["tree_numbers"])
            if "." in t and t.rsplit(".", 1)[0] in owner
        }
        yield Source(
            id=f"MESH:{row['ui']}",
            name=row["name"],
            terms=[row["name"], *_split(row["entry_terms"])],
            parents=sorted(f"MESH:{p}" for p in parents - {row["ui"]}),
            rank=2,
        )
        # narrower concepts NLM indexes under this heading: still this concept, lower rank
        yield Source(
            id=f"MESH:{row['ui']}",
            name=row["name"],
            terms=_split(row["other_concept_terms"]),
            rank=4,
        )


def mesh_tree_depths(path: Path) -> dict[str, int]:
    """MeSH UI → the smallest number of levels of its disease tree numbers (C04 = 1)."""
    depths: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                trees = _split(row["tree_numbers"])
                levels = [t.count(".") + 1 for t in trees if t.startswith(DISEASE_TREES)]
                if levels:
                    depths[f"MESH:{row['ui']}"] = min(levels)
    except BROKEN_FILE as exc:
        raise unreadable(path, exc) from exc
    return depths


@_reader
def read_mesh_scr(path: Path) -> Iterator[Source]:
    """Supplementary concepts (mostly rare diseases) under the descriptors they map to."""
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            yield Source(
                id=f"MESH:{row['scr_ui']}",
                name=row["name"],
                terms=[row["name"], *_split(row["synonyms"])],
                parents=[f"MESH:{d}" for d in _split(row["mapped_descriptors"])],
                rank=6,
            )


def _xref(value: str) -> str | None:
    prefix, _, local = value.partition(":")
    if prefix == "MESH":
        return value
    if prefix in ("NCI", "NCIT"):
        return f"NCI:{local}"
    if prefix == "UMLS_CUI":
        return f"UMLS:{local}"
    return None


@_reader
def read_obo(path: Path) -> Iterator[Source]:
    """Non-obsolete [Term] stanzas of a Disease Ontology OBO file (gzip)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        stanza: dict[str, list[str]] = {}
        in_term = False
        for line in handle:
            line = line.rstrip("\n")
            if line.startswith("["):
                if in_term:
                    yield from _obo_term(stanza)
                stanza, in_term = {}, line == "[Term]"
            elif in_term and ": " in line:
                tag, _, value = line.partition(": ")
                stanza.setdefault(tag, []).append(value)
        if in_term:
            yield from _obo_term(stanza)


def _obo_term(stanza: dict[str, list[str]]) -> Iterator[Source]:
    if stanza.get("is_obsolete") == ["true"] or "id" not in stanza:
        return
    source = Source(id=stanza["id"][0], name=stanza.get("name", [""])[0], rank=3)
    source.terms.append(source.name)
    for value in stanza.get("synonym", ()):
        match = _SYNONYM.match(value)
        # RELATED and BROAD synonyms are often other diseases (subtypes, OMIM entries)
        if match and match.group(2) in ("EXACT", "NARROW"):
            text = match.group(1).replace('\\"', '"')
            (source.exact_terms if "acronym" in match.group(3) else source.terms).append(text)
    source.parents = [v.split(" ! ")[0].strip() for v in stanza.get("is_a", ())]
    source.xrefs = [x for v in stanza.get("xref", ()) if (x := _xref(v.split()[0]))]
    source.xrefs += [f"ALT:{v.strip()}" for v in stanza.get("alt_id", ())]
    yield source


def _quoted_tsv(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader, None)
        yield from reader


@_reader
def read_do_report(report: Path, xrefs: Path | None, known: set[str]) -> Iterator[Source]:
    """DO classes newer than the full OBO release: label, parents (by label) and xrefs."""
    rows = list(_quoted_tsv(report))
    by_label = {label: doid for doid, label, _ in rows}
    found: dict[str, Source] = {}
    for doid, label, parent in rows:
        if doid in known:
            continue
        source = found.setdefault(doid, Source(id=doid, name=label, terms=[label], rank=3))
        if parent in by_label:
            source.parents.append(by_label[parent])
        elif parent == "disease":
            source.parents.append("DOID:4")
    if xrefs is not None:
        for doid, _, value in _quoted_tsv(xrefs):
            if doid in found and (x := _xref(value)):
                found[doid].xrefs.append(x)
    yield from found.values()


@_reader
def read_oncotree(path: Path) -> Iterator[Source]:
    """Cancer types (level 2 and below: level 1 nodes are tissues such as "Bowel")."""
    root: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))

    def walk(node: dict[str, Any]) -> Iterator[Source]:
        refs = node.get("externalReferences") or {}
        if int(node.get("level") or 0) >= 2:
            parent = str(node.get("parent") or "")
            yield Source(
                id=f"ONCOTREE:{node['code']}",
                name=str(node["name"]),
                terms=[str(node["name"])],
                parents=[f"ONCOTREE:{parent}"] if parent else [],
                xrefs=[f"NCI:{c}" for c in refs.get("NCI", ())]
                + [f"UMLS:{c}" for c in refs.get("UMLS", ())],
                rank=5,
            )
        for child in (node.get("children") or {}).values():
            yield from walk(child)

    for top in root.values():
        yield from walk(top)
