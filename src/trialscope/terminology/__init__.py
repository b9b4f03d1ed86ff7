"""Disease vocabulary for matching: MeSH, the Disease Ontology and OncoTree merged into one
concept graph with MeSH ids, plus a hand-written table of trial abbreviations (which is all
there is when no vocabulary folder is configured).

    term = load_terminology()
    term.find("58 y/o with NSCLC and CRLM")       # [ConceptMatch(...), ...]
    term.subsumes("MESH:D008175", "MESH:D002289")  # lung neoplasms ⊇ NSCLC
"""

from trialscope.terminology.terminology import (
    ConceptMatch,
    Terminology,
    build_terminology,
    cache_path,
    load_terminology,
)

__all__ = [
    "ConceptMatch",
    "Terminology",
    "build_terminology",
    "cache_path",
    "load_terminology",
]
