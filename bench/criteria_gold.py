"""Gold numeric constraints from the annotated corpora in ../shared/data/criteria.

- LCT (Leaf Clinical Trials corpus): an event whose ``Numeric-Filter`` argument points
  at an ``Eq-Comparison`` event; the comparison's ``Operator``, ``Value``/``Value2``,
  ``Unit`` (+ ``Per``) or ``Temporal-Unit`` give the slots, the head entity (``Age``,
  ``Observation``, ...) the variable.
- Chia: a ``Measurement`` (or a ``Person`` with an age-like value) linked by
  ``Has_value`` to a ``Value`` entity, whose text ("<1.5 X ULN", "between 18 and 65
  years") is decomposed here by a small reader of its own, written apart from the
  parser's comparison reader so the parser's mistakes are not repeated on the gold side.

The variable's name is mapped onto the catalogue with the catalogue's alias table;
names it does not know are "uncovered" and counted, never scored.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trialscope.criteria.catalogue import BY_ID, variable_lexicon
from trialscope.criteria.units import UNIT_PATTERN, assumed_unit, to_canonical, unit_label

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "criteria"
SEED = 5  # the number; the split is made once and never changed
_NCT = re.compile(r"NCT\d{8}")


@dataclass(frozen=True)
class GoldConstraint:
    doc: str
    trial: str
    name: str  # the variable as the annotators' span reads
    variable: str | None  # catalogue id, None when the catalogue has no such variable
    operator: str  # > >= < <= = range
    low: float | None
    high: float | None
    unit: str | None  # canonical unit label after conversion
    span: tuple[int, int]
    text: str


@dataclass(frozen=True)
class Document:
    doc: str
    trial: str
    text: str
    gold: tuple[GoldConstraint, ...]


def split(trials: set[str]) -> tuple[set[str], set[str]]:
    """The one split: sorted ids shuffled by random.Random(SEED); first half is dev."""
    ordered = sorted(trials)
    random.Random(SEED).shuffle(ordered)
    half = (len(ordered) + 1) // 2
    return set(ordered[:half]), set(ordered[half:])


# -- an independent reader of gold value strings ------------------------------------

_OPS: tuple[tuple[str, str], ...] = (
    (r"(?:greater|more|higher)\s+than\s+or\s+equal(?:\s+to)?|equal\s+to\s+or\s+(?:greater|more)"
     r"(?:\s+than)?|at\s+least|no\s+less\s+than|not\s+less\s+than|minimum(?:\s+of)?|≥|>=|=>"
     r"|>\s*or\s*=|>\s*/\s*=|>\s*_|≧|at\s+or\s+after|or\s+more|or\s+greater|or\s+older|and\s+older|and\s+above|or\s+above"
     r"|and\s+over|or\s+over|or\s+higher|and\s+higher|or\s+later|and\s+up", ">="),
    (r"(?:less|lower|fewer)\s+than\s+or\s+equal(?:\s+to)?|equal\s+to\s+or\s+less(?:\s+than)?"
     r"|<\s*or\s*=|<\s*/\s*=|<\s*_|≦|no\s+more\s+than|not\s+more\s+than|no\s+greater\s+than|not\s+greater\s+than|not\s+"
     r"exceed(?:ing)?|at\s+most|up\s+to|maximum(?:\s+of)?|≤|<=|=<|or\s+less|or\s+younger"
     r"|or\s+fewer|or\s+lower|or\s+below|and\s+younger|and\s+under|or\s+under|and\s+below"
     r"|or\s+earlier|or\s+smaller", "<="),
    (r"greater\s+than|more\s+than|higher\s+than|older\s+than|above|over|exceed(?:s|ing)?"
     r"|in\s+excess\s+of|>|＞", ">"),
    (r"less\s+than|lower\s+than|fewer\s+than|younger\s+than|below|under|<|＜", "<"),
)  # fmt: skip
_OP_RES = tuple((re.compile(p, re.I), op) for p, op in _OPS)
_NUM = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?|\.\d+")
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "eighteen": 18}  # fmt: skip
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
_RANGE_WORD = re.compile(r"\d\s*(?:-|–|to|~|through)\s*\d|between|from\s+\S+\s+to", re.I)


def gold_operator(text: str) -> str | None:
    for pattern, op in _OP_RES:
        if pattern.search(text):
            return op
    return None


def _number(text: str) -> float | None:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


_UNIT_DIGITS = re.compile(r"m\s*\^?\s*2\b|m²|1[.,]73|10\s*\^\s*\d+|[x×*]\s*10\s*\d+|h2o", re.I)


def gold_numbers(text: str, variable: str | None) -> list[float]:
    text = _UNIT_DIGITS.sub(" ", text)  # the 2 of kg/m^2 is no value
    found = [n for n in (_number(m) for m in _NUM.findall(text)) if n is not None]
    if found:
        return found
    if variable in ("nyha", "asa"):
        return [float(_ROMAN[r.lower()]) for r in re.findall(r"\b(IV|V?I{1,3}|VI?)\b", text, re.I)]
    if variable == "child_pugh":
        return [float("ABC".index(c) + 1) for c in re.findall(r"\b([ABC])\b", text)]
    return [float(_WORDS[w.lower()]) for w in re.findall(r"[A-Za-z]+", text) if w.lower() in _WORDS]


def gold_unit(text: str) -> str | None:
    """The unit as written: what follows the last number (or the whole text)."""
    numbers = list(_NUM.finditer(text))
    tail = text[numbers[-1].end() :] if numbers else text
    tail = re.sub(r"^\s*[)\]]?\s*", "", tail)
    tail = re.sub(r"\s*(?:or|and)\s+(?:more|less|greater|older|younger|above|below|over).*$",
                  "", tail, flags=re.I)  # fmt: skip
    tail = tail.strip(" .;,")
    if tail.count("(") > tail.count(")"):
        tail += ")"
    tail = tail.strip(" .;,")
    return tail if tail and unit_label(tail) else None  # as written; make_gold labels it


def make_gold(
    doc: str, trial: str, name: str, variable: str | None, op_text: str, numbers: list[float],
    unit_text: str | None, span: tuple[int, int], text: str, is_range: bool,
) -> GoldConstraint | None:  # fmt: skip
    if not numbers:
        return None
    label = unit_label(unit_text) if unit_text else None
    if is_range and len(numbers) >= 2:
        op = "range"
        listed = (
            numbers if variable in ("ecog", "who_ps", "nyha", "asa", "child_pugh") else numbers[:2]
        )
        low, high = min(listed), max(listed)
    else:
        op = gold_operator(op_text) or "="
        low = numbers[0] if op in (">", ">=", "=") else None
        high = numbers[0] if op in ("<", "<=", "=") else None
    unit = label
    if variable is not None:
        var = BY_ID[variable]
        probe = low if low is not None else high
        if label is None and probe is not None:
            label = assumed_unit(var, probe)
        unit = label
        if low is not None:
            low, unit = to_canonical(low, label, var)
        if high is not None:
            high, unit = to_canonical(high, label, var)
    return GoldConstraint(doc, trial, name, variable, op, low, high, unit, span, text)


def catalogue_variable(name: str) -> str | None:
    """The catalogue variable a gold span names, if any (longest alias inside it)."""
    text = " ".join(name.split())
    exact = variable_lexicon().lookup(text)
    if exact is not None:
        return exact
    hits = list(variable_lexicon().finditer(text))
    if not hits:
        return None
    best = max(hits, key=lambda h: h.end - h.start)
    return best.value


# -- brat --------------------------------------------------------------------------


def _read(path: Path) -> str:
    """The text exactly as brat counted it: no newline translation (Chia has CRLF files)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


Spans = dict[str, tuple[str, int, int, str]]


def _brat(path: Path) -> tuple[Spans, list[list[str]], list[tuple[str, str, str]]]:
    spans: dict[str, tuple[str, int, int, str]] = {}
    events: list[list[str]] = []
    relations: list[tuple[str, str, str]] = []
    for line in path.read_text("utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 3:
            kind, _, offsets = parts[1].partition(" ")
            pieces = [p.split() for p in offsets.split(";")]
            start, end = int(pieces[0][0]), int(pieces[-1][1])
            spans[parts[0]] = (kind, start, end, parts[2])
        elif line.startswith("E") and len(parts) >= 2:
            events.append([parts[0], *parts[1].split()])
        elif line.startswith("R") and len(parts) >= 2:
            kind, arg1, arg2 = parts[1].split()[:3]
            relations.append((kind, arg1.split(":", 1)[1], arg2.split(":", 1)[1]))
    return spans, events, relations


def lct_documents(root: Path = SHARED / "lct") -> Iterator[Document]:
    seen: set[str] = set()
    for ann in sorted((root / "ner" / "nic").glob("*/*.ann")):
        trial = ann.stem
        if trial in seen or not _NCT.fullmatch(trial):
            continue  # a few documents sit in two batches: read each trial once
        seen.add(trial)
        text = _read(ann.with_suffix(".txt"))
        spans, events, _ = _brat(ann)
        by_id = {e[0]: e for e in events}
        gold: list[GoldConstraint] = []
        for event in events:
            head_kind, head_id = event[1].split(":", 1)
            for arg in event[2:]:
                role, _, ref = arg.partition(":")
                if role != "Numeric-Filter" or ref not in by_id:
                    continue
                comparison = by_id[ref]
                args: dict[str, str] = {}
                for a in comparison[2:]:
                    r, _, t = a.partition(":")
                    args.setdefault(r, t)
                cmp_span = spans.get(comparison[1].split(":", 1)[1])
                head = spans.get(head_id)
                if cmp_span is None or head is None or "Value" not in args:
                    continue
                name = head[3]
                variable = "age" if head_kind == "Age" else catalogue_variable(name)
                values = [spans[args[k]][3] for k in ("Value", "Value2") if args.get(k) in spans]
                # "1.5 * 109/L": the annotators sometimes took the 109 of 10^9/L for a value
                multiplier = _MULTIPLIER.search(cmp_span[3])
                if multiplier:
                    values = [v for v in values if v.strip() not in ("109", "1012", "10", "10^9")]
                numbers = [n for v in values for n in gold_numbers(v, variable)]
                unit = None
                if args.get("Unit") in spans:
                    unit = spans[args["Unit"]][3]
                    if args.get("Per") in spans:
                        unit += "/" + spans[args["Per"]][3]
                elif args.get("Temporal-Unit") in spans:
                    unit = spans[args["Temporal-Unit"]][3]
                op_text = spans[args["Operator"]][3] if args.get("Operator") in spans else ""
                if multiplier:
                    unit = "x 10^12/L" if "12" in multiplier.group() else "x 10^9/L"
                elif unit is None:
                    unit = gold_unit(cmp_span[3])  # no Unit argument: what the span says
                if op_text.strip().lower() in _RANGE_OPS and len(numbers) < 2:
                    # a range operator whose second value was not annotated: the
                    # comparison's own span holds it ("18~27kg/m2")
                    numbers = gold_numbers(cmp_span[3], variable)
                is_range = len(numbers) >= 2 and ("Value2" in args or op_text.strip().lower()
                                                  in _RANGE_OPS)  # fmt: skip
                if variable in _BP and _SLASH.search(cmp_span[3]) and len(numbers) >= 2:
                    gold.extend(_bp(trial, name, op_text, numbers, unit, (min(head[1], cmp_span[1]),
                                    max(head[2], cmp_span[2])), cmp_span[3]))  # fmt: skip
                    continue
                start = min(head[1], cmp_span[1])
                end = max(head[2], cmp_span[2])
                found = make_gold(trial, trial, name, variable, op_text, numbers, unit,
                                  (start, end), cmp_span[3], is_range)  # fmt: skip
                if found is not None:
                    gold.append(found)
        yield Document(trial, trial, text, tuple(gold))


_MULTIPLIER = re.compile(r"[*x×]\s*10\s*\^?\s*(?:9|12)\b", re.I)
_RANGE_OPS = {"-", "–", "~", "to", "between", "from", "and"}
_BP = {"blood_pressure", "sbp", "dbp"}
_SLASH = re.compile(r"\d\s*/\s*\d")


def _bp(trial: str, name: str, op_text: str, numbers: list[float], unit: str | None,
        span: tuple[int, int], text: str) -> list[GoldConstraint]:  # fmt: skip
    """ "BP < 140/90 mmHg": systolic < 140 and diastolic < 90, as the parser writes it."""
    out = []
    for variable, value in (("sbp", numbers[0]), ("dbp", numbers[1])):
        found = make_gold(trial, trial, name, variable, op_text, [value], unit or "mmHg", span,
                          text, False)  # fmt: skip
        if found is not None:
            out.append(found)
    return out


_LOWER = re.compile(r"[>≥]|greater|more\s+than|above|over|at\s+least", re.I)
_UPPER = re.compile(r"[<≤]|less\s+than|below|under|at\s+most|up\s+to", re.I)
_AGE_WORDS = re.compile(r"\b(?:age[sd]?|old|older|years?)\b", re.I)


def chia_documents(root: Path = SHARED / "chia" / "chia_without_scope") -> Iterator[Document]:
    for ann in sorted(root.glob("NCT*.ann")):
        trial = ann.stem.split("_", 1)[0]
        text = _read(ann.with_suffix(".txt"))
        spans, _, relations = _brat(ann)
        gold: list[GoldConstraint] = []
        for kind, a1, a2 in relations:
            if kind != "Has_value" or a1 not in spans or a2 not in spans:
                continue
            head, value = spans[a1], spans[a2]
            if value[0] != "Value":
                continue
            if head[0] in ("Measurement", "Observation"):
                variable = catalogue_variable(head[3])
            elif head[0] == "Person" and _AGE_WORDS.search(head[3] + " " + value[3]):
                variable = "age"
                if not re.search(r"\d", value[3]):
                    continue
            else:
                continue
            numbers = gold_numbers(value[3], variable)
            unit = gold_unit(value[3])
            if unit is None and variable not in (None, "age"):
                # "≥ 37.0" annotated, "°C" written right after it
                after = UNIT_PATTERN.match(
                    text, value[2] + len(text[value[2] :]) - len(text[value[2] :].lstrip(" "))
                )
                unit = after.group() if after else None
            if variable in _BP and _SLASH.search(value[3]) and len(numbers) >= 2:
                span = (min(head[1], value[1]), max(head[2], value[2]))
                gold.extend(_bp(ann.stem, head[3], value[3], numbers, unit, span, value[3]))
                continue
            if variable == "age" and unit is None:
                unit = "years"
            both = _LOWER.search(value[3]) and _UPPER.search(value[3]) and " or " not in value[3]
            is_range = (
                bool(both)
                or bool(_RANGE_WORD.search(value[3]))
                or (
                    variable in ("ecog", "nyha", "asa", "child_pugh")
                    and len(numbers) >= 2
                    and gold_operator(value[3]) is None
                )
            )
            start, end = min(head[1], value[1]), max(head[2], value[2])
            found = make_gold(ann.stem, trial, head[3], variable, value[3], numbers, unit,
                              (start, end), value[3], is_range)  # fmt: skip
            if found is not None:
                gold.append(found)
        yield Document(ann.stem, trial, text, tuple(gold))
