"""Tumour biomarkers as criteria and notes write them: "HER2-negative", "ER and/or PR
positive", "HR+/HER2-", "triple-negative", "KRAS G12C", "EGFR exon 19 deletion",
"PD-L1 TPS ≥ 50%", "MSI-H/dMMR", "germline BRCA1/2 mutation", "FLT3-ITD".

One reader serves both sides, so a criterion and a note mean the same by the same words.
A finding is a :class:`Marker`: the genes or receptors named (all of them, or any one),
what is said of them, and its span. Its ``concept`` is the string a criteria
:class:`~trialscope.criteria.model.Mention` carries (category ``biomarker``):
``HER2=negative``, ``HR=positive``, ``ER+PR+HER2=negative``, ``KRAS=G12C``,
``EGFR=exon19del|L858R``, ``PD-L1>=50``; :func:`parse_concept` reads it back.

A name is only a marker when a result is said of it ("PR" alone is a partial response,
"HR 80" a heart rate). Results are normalised: ``positive`` (mutated, rearranged,
amplified, 3+), ``negative`` (wild-type, 0/1+/2+ for HER2), ``low`` (HER2 1+ or 2+
without amplification), ``zero`` (HER2 0), ``equivocal`` (HER2 2+ untested by ISH), a
variant (``G12C``, ``V600E``, ``exon19del``, ``ITD``), or a PD-L1 threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: alias (regex) -> canonical name; short upper-case names are matched case-sensitively.
#: A new name needs its word in ``_CASED`` or ``_FOLDED`` below too (a test checks the
#: corpus reads the same with and without that test).
_ALIASES: tuple[tuple[str, str], ...] = (
    (r"(?i:hormone[\s-]+receptors?|hormonal[\s-]+receptors?)|HR", "HR"),
    (r"(?i:o?estrogen[\s-]+receptors?(?:[\s-]+alpha)?)|ERα|ER", "ER"),
    (r"(?i:progesterone[\s-]+receptors?)|PgR|PR", "PR"),
    (
        r"(?i:human\s+epidermal\s+growth\s+factor\s+receptor[\s-]*2|her[\s-]?2(?:/neu)?|erbb2)",
        "HER2",
    ),
    (r"(?i:pd[\s-]?l1)", "PD-L1"),
    (r"(?i:egfr)", "EGFR"),
    (r"ALK", "ALK"),
    (r"(?i:ros[\s-]?1)", "ROS1"),
    (r"(?i:kras)", "KRAS"),
    (r"(?i:nras)", "NRAS"),
    (r"(?i:braf)", "BRAF"),
    # "RAS wild-type" (extended RAS testing): KRAS and NRAS
    (r"(?i:all[\s-]+)?RAS", "RAS"),
    (r"RET", "RET"),
    (r"MET", "MET"),
    (r"(?i:ntrk[1-3]?)", "NTRK"),
    (r"(?i:pik3ca)", "PIK3CA"),
    (r"(?i:esr1)", "ESR1"),
    (r"(?i:brca[\s-]?1\s*/\s*2|brca1\s*(?:and|or|/)\s*brca2|brca(?![12]))", "BRCA1|BRCA2"),
    (r"(?i:brca[\s-]?1)", "BRCA1"),
    (r"(?i:brca[\s-]?2)", "BRCA2"),
    (r"(?i:idh[\s-]?1)", "IDH1"),
    (r"(?i:idh[\s-]?2)", "IDH2"),
    (r"(?i:flt[\s-]?3)", "FLT3"),
    (r"(?i:npm[\s-]?1)", "NPM1"),
    (r"(?i:tp53|p53)", "TP53"),
    (r"(?i:fgfr[\s-]?2)", "FGFR2"),
    (r"(?i:fgfr[\s-]?3)", "FGFR3"),
    (r"(?i:claudin[\s-]?18(?:\.2)?|cldn[\s-]?18(?:\.2)?)", "CLDN18.2"),
)
_NAME_RE = "|".join(f"(?:{pattern})" for pattern, _ in _ALIASES)
_CANONICAL = [(re.compile(rf"(?:{pattern})\Z"), name) for pattern, name in _ALIASES]
#: a variant named with its gene: "G12C", "V600E", "exon 19 deletion", "ITD"
_VARIANT = (
    r"(?:[A-Z]\d{2,4}(?:[A-Z]|del|ins|fs)(?![A-Za-z0-9])|(?i:exon\s*\d{1,2}\s*(?:deletions?|del"
    r"|insertions?|ins|skipping|mutations?)|ex\d{1,2}(?:del|ins))|ITD|TKD)"
)
_RESULT = (
    r"(?P<pos>positive|pos\b|\+(?![\d+])|over-?expressi(?:ng|on)|amplified|amplification"
    r"|mutation[\s-]+positive|mutants?|mutated|mutations?|alterations?|altered|rearrangements?"
    r"|rearranged|fusions?|translocations?|variants?|driver\s+mutations?)"
    r"|(?P<neg>negative|neg\b|wild[\s-]?type|wt\b|non[\s-]?mutated|unmutated|non[\s-]?amplified"
    r"|not\s+amplified|mutation[\s-]+negative|[-−–](?=\s*(?:[,;/).:]|and\b|or\b|\w+\s+(?:breast"
    r"|cancer|tumou?r|disease|carcinoma)|breast|cancer|tumou?r|disease|carcinoma|$)))"
    r"|(?P<low>low\b|[\s-]low)|(?P<ihc>(?:ihc\s*)?(?:score\s*(?:of\s*)?)?(?P<score>[0-3])\s*(?P<plus>\+)?)"
)
_UNIT = re.compile(
    rf"(?<![A-Za-z0-9])(?P<name>{_NAME_RE})(?![A-Za-z0-9])"
    r"(?:\s*\((?:ER|PR|PgR|HR|HER2|ERBB2)\))?"
    rf"(?P<variant>[\s-]*(?:{_VARIANT})(?:\s*(?:/|or|and)\s*(?:{_VARIANT}))*)?"
    r"(?:[\s:-]*(?:status|expression|gene|testing|test|result)?[\s:-]*(?:is|was|were|are)?"
    rf"[\s:-]*(?:{_RESULT}))?",
)
# "KRAS G12C inhibitor", "HER2-targeted therapy", "EGFR TKI": a drug named by its target
_DRUG_AFTER = re.compile(
    r"[\s-]*(?:inhibitors?|targeted|targeting|directed|therap(?:y|ies)|tkis?|antibod(?:y|ies)"
    r"|agents?|drugs?|blockers?|blockade|treatments?|vaccines?|adcs?|conjugates?)\b",
    re.I,
)
# the result before the gene or a list of genes: "wild-type FLT3", "Wild-type KRAS and
# NRAS", "activating EGFR mutation" (read after)
_NAMES_AFTER = (
    rf"(?:{_NAME_RE})(?![A-Za-z0-9])(?:\s*(?:,\s*(?:and/or|and|or)?|/|and/or|and|or|&)\s*"
    rf"(?:{_NAME_RE})(?![A-Za-z0-9]))*"
)
_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:(?P<neg>(?i:wild[\s-]?type|non[\s-]?mutated|unmutated))"
    r"|(?P<pos>(?i:mutant|mutated|activating|sensitizing)))"
    rf"\s+(?P<names>{_NAMES_AFTER})"
    r"(?![\s-]*(?:mutat|positive|negative|amplif|rearrang|fusion|wild))",
)
_ONE_NAME = re.compile(rf"(?<![A-Za-z0-9])(?:{_NAME_RE})(?![A-Za-z0-9])")
_LIST_JOIN = re.compile(r"\s*(?:,\s*(?:and/or|and|or)?|/|and/or|and|or|&)\s*\Z", re.I)
_TRIPLE = re.compile(r"(?<![A-Za-z])(?:triple[\s-]+negative|TNBC)(?![A-Za-z])", re.I)
_MSI = re.compile(
    r"(?<![A-Za-z])(?:(?P<pos>MSI[\s-]*H(?:igh)?|MSI[\s-]+high|dMMR|MMR[\s-]*deficien\w*"
    r"|(?i:microsatellite[\s-]+instability[\s-]*(?:-|\()?\s*high\)?|mismatch[\s-]+repair[\s-]+"
    r"deficien\w*|deficient\s+mismatch\s+repair))|(?P<neg>MSS|MSI[\s-]*L(?:ow)?|pMMR|MMR[\s-]*"
    r"proficient|(?i:microsatellite[\s-]+stable|mismatch[\s-]+repair[\s-]+proficient"
    r"|proficient\s+mismatch\s+repair)))(?![A-Za-z])"
)
_BRCA_SHORT = re.compile(r"(?<![A-Za-z])g?BRCA(?:1/2)?m(?![A-Za-z])")
_PDL1_VALUE = re.compile(
    r"(?<![A-Za-z])(?i:pd[\s-]?l1)(?P<scale>[\s(:-]*(?i:expression|tps|tumou?r\s+proportion\s+"
    r"score|cps|combined\s+positive\s+score|score|level|\(22c3\)|22c3|sp263|staining|status"
    r"|of|is|was|\)|:)){0,4}\s*(?P<op>≥|>=|=>|>|≤|<=|<|=|at\s+least|greater\s+than\s+or\s+"
    r"equal\s+to|greater\s+than|more\s+than|less\s+than|of)?\s*(?P<value>\d{1,3}(?:\.\d+)?)"
    r"\s*(?P<pct>%|percent)?",
)


#: what every statement above contains, as a substring of the item: a name ("ER", "kras",
#: "her" and a "2"), "triple", "MSI", "mismatch", ... Plain substring tests cost a tenth
#: of the readers' six regex passes, and most items name no marker.
_CASED = ("ER", "PR", "HR", "PgR", "RAS", "ALK", "RET", "MET", "MSI", "MSS", "MMR")
_FOLDED = (
    *("hormon", "estrogen", "progesterone", "human", "erbb2", "pd", "egfr", "kras", "nras"),
    *("braf", "ntrk", "pik3ca", "esr1", "brca", "idh", "flt", "npm", "p53", "fgfr", "claudin"),
    *("cldn", "triple", "tnbc", "microsatellite", "mismatch"),
)
#: the letters (?i:...) also matches outside ASCII, which lower() would not make ASCII
FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u212a": "k", "\u017f": "s"})


def _may_name_a_marker(text: str, lo: int, hi: int) -> bool:
    part = text[lo:hi]
    if any(word in part for word in _CASED):
        return True
    low = part.translate(FOLD).lower()
    return (
        any(word in low for word in _FOLDED)
        or ("her" in low and "2" in low)
        or ("ros" in low and "1" in low)
    )


@dataclass(frozen=True, slots=True)
class Marker:
    """``names`` with ``result`` (``all_of``: each of them; else any one of them)."""

    names: tuple[str, ...]
    result: str
    start: int
    end: int
    all_of: bool = True
    #: PD-L1 thresholds: ``>=``/``>``/``<``/``<=``/``=`` and the number (a % or a CPS)
    op: str | None = None
    value: float | None = None

    @property
    def concept(self) -> str:
        joined = ("+" if self.all_of else "|").join(self.names)
        if self.op is not None:
            return f"{joined}{self.op}{self.value:g}"
        return f"{joined}={self.result}"


def parse_concept(concept: str) -> Marker:
    """A :attr:`Marker.concept` read back (span 0, 0)."""
    match = re.fullmatch(r"(?P<names>[^=<>]+)(?P<op>>=|<=|=|>|<)(?P<rest>.*)", concept)
    if match is None:
        raise ValueError(f"not a biomarker concept: {concept!r}")
    names_text = match.group("names")
    all_of = "|" not in names_text or "+" in names_text
    names = tuple(re.split(r"[+|]", names_text))
    if match.group("op") == "=":
        return Marker(names, match.group("rest"), 0, 0, all_of)
    value = float(match.group("rest"))
    return Marker(names, "value", 0, 0, all_of, match.group("op"), value)


def canonical(name: str) -> str | None:
    """``"her-2/neu"`` -> ``"HER2"``; None for a name that is no marker."""
    text = name.strip()
    for pattern, canon in _CANONICAL:
        if pattern.fullmatch(text):
            return canon
    return None


def find_markers(text: str, lo: int = 0, hi: int | None = None) -> list[Marker]:
    """Every biomarker statement in ``text[lo:hi]``, in order."""
    hi = len(text) if hi is None else hi
    found: list[Marker] = []
    if not _may_name_a_marker(text, lo, hi):
        return found
    taken: list[tuple[int, int]] = []

    def add(marker: Marker) -> None:
        if any(marker.start < e and s < marker.end for s, e in taken):
            return
        found.append(marker)
        taken.append((marker.start, marker.end))

    for match in _TRIPLE.finditer(text, lo, hi):
        add(Marker(("ER", "PR", "HER2"), "negative", match.start(), match.end()))
    for match in _MSI.finditer(text, lo, hi):
        add(Marker(("MSI",), "positive" if match.group("pos") else "negative", *match.span()))
    for match in _BRCA_SHORT.finditer(text, lo, hi):
        add(Marker(("BRCA1", "BRCA2"), "positive", *match.span(), all_of=False))
    for match in _PDL1_VALUE.finditer(text, lo, hi):
        marker = _pdl1(match)
        if marker is not None:
            add(marker)
    for match in _BEFORE.finditer(text, lo, hi):
        listed = match.group("names")
        canon = [canonical(n.group()) for n in _ONE_NAME.finditer(listed)]
        names = [n for n in canon if n is not None]
        if names and len(names) == len(canon) and not _DRUG_AFTER.match(text, match.end(), hi):
            said = "negative" if match.group("neg") else "positive"
            add(_marker(names, said, *match.span(), listed))
    pending: list[tuple[str, int, int]] = []  # names waiting for a list's result
    for match in _UNIT.finditer(text, lo, hi):
        name = canonical(match.group("name"))
        if name is None:
            continue
        if pending and not _LIST_JOIN.match(text[pending[-1][2] : match.start()]):
            pending = []
        result = _result(match, name)
        if result is not None and _DRUG_AFTER.match(text, match.end(), hi):
            pending = []
            continue
        if result is None:
            pending.append((name, match.start(), match.end()))
            continue
        names = [n for n, _, _ in pending] + [name]
        start = pending[0][1] if pending else match.start()
        joiner = text[pending[0][2] : match.start()] if pending else ""
        pending = []
        add(_marker(names, result, start, match.end(), joiner))
    found.sort(key=lambda m: m.start)
    return found


def _marker(names: list[str], result: str, start: int, end: int, joiner: str) -> Marker:
    if "RAS" in names:
        # RAS wild-type is KRAS and NRAS wild-type; a RAS mutation is one in either
        if result != "negative" and len(names) == 1:
            return Marker(("KRAS", "NRAS"), result, start, end, all_of=False)
        at = names.index("RAS")
        names = [*names[:at], "KRAS", "NRAS", *names[at + 1 :]]
    unique = tuple(dict.fromkeys(names))
    # "ER and/or PR positive" is hormone-receptor positive (either one); "ER/PR
    # negative" is hormone-receptor negative (both)
    if set(unique) == {"ER", "PR"} and (
        result == "negative" or (result == "positive" and not re.search(r"\band\b(?!/)", joiner))
    ):
        return Marker(("HR",), result, start, end)
    any_one = bool(re.search(r"\bor\b", joiner)) and result != "negative"
    if len(unique) == 1 and "|" in unique[0]:
        return Marker(tuple(unique[0].split("|")), result, start, end, all_of=False)
    return Marker(unique, result, start, end, all_of=not any_one)


def _result(match: re.Match[str], name: str) -> str | None:
    variant = match.group("variant")
    if variant:
        found = re.findall(_VARIANT, variant)
        return "|".join(_variant(v) for v in found)
    if match.group("pos"):
        return "positive"
    if match.group("neg"):
        return "negative"
    if match.group("low") and name == "HER2":
        return "low"
    if match.group("ihc") and name == "HER2":
        score = int(match.group("score"))
        if score > 0 and not match.group("plus"):
            return None  # "HER2 2" without "+" is no IHC score
        return {0: "zero", 1: "low", 2: "equivocal", 3: "positive"}[score]
    return None


def _variant(text: str) -> str:
    text = re.sub(r"\s+", "", text).lower()
    exon = re.match(r"(?:exon|ex)(\d+)(del|ins|skip|mut)", text)
    if exon:
        return f"exon{exon.group(1)}{exon.group(2)}"
    return text.upper()


def _pdl1(match: re.Match[str]) -> Marker | None:
    scale = (match.group("scale") or "").lower()
    op = match.group("op") or ""
    pct = match.group("pct")
    if not op and not pct:
        return None  # "PD-L1 22C3" or a bare number is no reading
    name = "PD-L1 CPS" if "cps" in scale or "combined" in scale else "PD-L1"
    ops = {
        "≥": ">=",
        ">=": ">=",
        "=>": ">=",
        "at least": ">=",
        "greater than or equal to": ">=",
        ">": ">",
        "greater than": ">",
        "more than": ">",
        "≤": "<=",
        "<=": "<=",
        "<": "<",
        "less than": "<",
    }
    canon = ops.get(re.sub(r"\s+", " ", op.lower()), "=")
    return Marker((name,), "value", *match.span(), op=canon, value=float(match.group("value")))
