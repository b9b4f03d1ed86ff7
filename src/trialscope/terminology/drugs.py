"""Drug and regimen names -> the therapy classes eligibility criteria speak of.

A criterion says "prior platinum-based chemotherapy", "strong CYP3A4 inhibitors" or
"systemic corticosteroids"; a patient record says "cisplatin 75 mg/m2" or "Keytruda".
This table bridges the two. Class ids reuse the criteria concept ids
(``trialscope.criteria.concepts._THERAPY``: ``chemotherapy``, ``pd1_pdl1``, ...) and add
finer ones (``platinum``, ``anticoagulant``, ``cyp3a4_inhibitor``); a finer class implies
its broader ones (:data:`_IMPLIES`), so cisplatin is also ``chemotherapy`` and
``systemic_therapy``.

The tables are data files in ``trialscope/data``: ``drugs.tsv`` (name, classes, aliases:
brand names and other spellings in the phrase syntax of ``criteria/lexicon.py``; a class
``@name`` names a component drug, so a regimen gets its components' classes),
``drug_class_words.tsv`` (generic words for a class) and ``drug_classes.tsv`` (class id,
label, the broader classes it implies). CYP3A4 entries list only strong inhibitors /
inducers (the ones criteria exclude). Written for trialscope; not a substitute for a
drug-interaction reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from trialscope.criteria.lexicon import Lexicon
from trialscope.data import load_rows
from trialscope.data.schema import DrugClassRow, DrugClassWordRow, DrugRow


def _class_rows() -> tuple[DrugClassRow, ...]:
    rows = load_rows(DrugClassRow)
    known = {row.id for row in rows}
    for row in rows:
        for broader in row.implies:
            if broader not in known:
                raise row.error("implies", f"unknown class {broader!r}")
    return rows


#: class id -> a label for display
CLASS_LABELS: dict[str, str] = {row.id: row.label for row in _class_rows()}
#: finer class -> the broader classes it implies (applied until nothing changes)
_IMPLIES: dict[str, tuple[str, ...]] = {row.id: row.implies for row in _class_rows()}


@cache
def _rows() -> tuple[DrugRow, ...]:
    """Drugs, then generic class words."""
    rows = load_rows(DrugRow) + load_rows(DrugClassWordRow)
    _check_references(rows, CLASS_LABELS)
    return rows


def _check_references(rows: tuple[DrugRow, ...], classes: Mapping[str, str]) -> None:
    """Every class a row names exists, and every ``@component`` is a drug of the table."""
    names = {row.name for row in rows}
    for row in rows:
        for ref in row.classes:
            if ref.startswith("@") and ref[1:] not in names:
                raise row.error("classes", f"{ref!r}: no drug of that name in the table")
            if not ref.startswith("@") and ref not in classes:
                raise row.error("classes", f"unknown class {ref!r} (not in drug_classes.tsv)")


def _close(classes: set[str]) -> frozenset[str]:
    todo = list(classes)
    while todo:
        for broader in _IMPLIES.get(todo.pop(), ()):
            if broader not in classes:
                classes.add(broader)
                todo.append(broader)
    return frozenset(classes)


@cache
def _table() -> dict[str, frozenset[str]]:
    """Drug name -> its classes with everything implied."""
    own: dict[str, set[str]] = {}
    rows = _rows()
    for row in rows:
        own.setdefault(row.name, set()).update(c for c in row.classes if not c.startswith("@"))
    for row in rows:
        for component in (c[1:] for c in row.classes if c.startswith("@")):
            own[row.name].update(own[component])
    return {name: _close(set(classes)) for name, classes in own.items()}


@cache
def _lexicon() -> Lexicon[str]:
    entries: list[tuple[str, str]] = []
    for row in _rows():
        name, aliases = row.name, row.aliases
        # regimens with short upper-case names are only found as written (=AC)
        if not any(alias.startswith("=") and alias[1:].lower() == name for alias in aliases):
            entries.append((name, name))
        entries.extend((alias, name) for alias in aliases)
    return Lexicon(entries)


def drug_names() -> list[str]:
    """Every drug, regimen and generic class word the table knows (canonical names)."""
    return sorted(_table())


def find_drugs(text: str) -> list[tuple[int, int, str, frozenset[str]]]:
    """Drug names in free text: ``(start, end, canonical name, classes)``, longest match
    first and non-overlapping ("nab-paclitaxel" is one hit, not paclitaxel)."""
    table = _table()
    return [(hit.start, hit.end, hit.value, table[hit.value]) for hit in _lexicon().finditer(text)]


@cache
def _components() -> dict[str, frozenset[str]]:
    """Regimen name -> the drugs it is made of ("folfox" -> fluorouracil, leucovorin,
    oxaliplatin)."""
    return {
        row.name: frozenset(c[1:] for c in row.classes if c.startswith("@"))
        for row in _rows()
        if any(c.startswith("@") for c in row.classes)
    }


def regimen_drugs(name: str) -> frozenset[str]:
    """The drugs of the regimens a record names: FOLFOX is oxaliplatin too, so "No prior
    oxaliplatin" finds it (empty for a single drug or an unknown name)."""
    parts = _components()
    return frozenset(d for _s, _e, found, _c in find_drugs(name) for d in parts.get(found, ()))


def drug_classes(name: str) -> frozenset[str]:
    """The classes of a drug or regimen as a record names it: brand or generic, any
    case, with a dose ("cisplatin 75 mg/m2") or several drugs ("carboplatin +
    pemetrexed"); unknown names give an empty set."""
    classes: set[str] = set()
    for _start, _end, _name, found in find_drugs(name):
        classes |= found
    return frozenset(classes)


@cache
def _criterion_concepts() -> dict[str, str]:
    """Canonical name -> the concept a criterion naming it is about: a drug is itself
    ("prior palbociclib" is not prior ribociclib); a class word is its own class, the
    first it lists ("CDK4/6 inhibitors" -> ``cdk46_inhibitor``)."""
    concepts = {row.name: row.name for row in load_rows(DrugRow)}
    for row in load_rows(DrugClassWordRow):
        own = [c for c in row.classes if not c.startswith("@")]
        concepts[row.name] = own[0] if own else row.name
    return concepts


def therapy_mentions(text: str, start: int, end: int) -> list[tuple[int, int, str, str]]:
    """Drugs and therapy class words in ``text[start:end]``, as a criterion names them:
    ``(start, end, concept, text as written)`` (see :func:`_criterion_concepts`)."""
    concepts = _criterion_concepts()
    return [
        (hit.start, hit.end, concepts[hit.value], hit.text)
        for hit in _lexicon().finditer(text, start, end)
    ]


def drug_aliases(name: str) -> frozenset[str]:
    """A drug's canonical name as a record may spell it ("Ibrance" -> palbociclib): the
    names a patient's therapy is also known by, so "prior palbociclib" finds it."""
    return frozenset(found for _s, _e, found, _c in find_drugs(name))
