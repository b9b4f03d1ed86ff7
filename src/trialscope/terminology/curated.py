"""The built-in vocabulary: common trial abbreviations and everyday names of frequent
conditions, written by hand.

It is added on top of MeSH and the Disease Ontology (neither has "NSCLC", "CRLM" or "heart
attack" as a term) and is the whole vocabulary when no vocabulary folder is configured.
The concepts are the data files ``trialscope/data/vocabulary_mesh.tsv`` (one MeSH
descriptor a line) and ``vocabulary_own.tsv`` (concepts neither vocabulary has). Terms are
``;``-separated phrases; a leading ``=`` makes a term match only as written, upper case
(MS, PE, MI: ordinary words or other meanings in lower case). The MeSH UIs and names are
checked against MeSH 2024 by the tests.
"""

from __future__ import annotations

from trialscope.data import load_rows
from trialscope.data.schema import MeshConceptRow, OwnConceptRow

#: the files the concepts come from (the vocabulary cache is keyed by their contents)
DATA_FILES = (MeshConceptRow.data_file, OwnConceptRow.data_file)

#: concepts neither vocabulary has: (id, name, parent ids, terms joined by "; ")
OWN_CONCEPTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = tuple(
    (row.id, row.name, row.parents, "; ".join(row.terms)) for row in load_rows(OwnConceptRow)
)


def mesh_terms() -> list[tuple[str, str, str, str]]:
    """The curated MeSH concepts as (UI, name, parent UI or "", terms joined by "; ") rows."""
    return [
        (row.ui, row.name, row.parent or "", "; ".join(row.terms))
        for row in load_rows(MeshConceptRow)
    ]
