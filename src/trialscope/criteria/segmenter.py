"""Split an eligibility text into ordered items with kind, nesting and span.

Works line by line on the cleaned text. A header line ("Inclusion Criteria:", "Key
exclusion criteria", "INCLUSION CRITERIA", "Exclusion criteria include", "Patients
will be excluded if ...") switches the kind of the items after it; text after a
header's colon on the same line is an item. A bullet (``*``, ``-``, ``•``, ``1.``,
``1)``, ``(a)``, ``a.``, ``ii.``) starts an item; its nesting level comes from its
indentation and its bullet style (a new style at the same indentation nests under the
previous item, a style already open closes the deeper levels). A line without a
bullet continues the previous item unless a blank line came first, or the section has
no bullets at all (one criterion per line, as in many records and in Chia).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from trialscope.criteria.model import ItemKind

# the leading blanks are taken possessively (*+): an indented line that is no header
# otherwise fails once per way of splitting its indent between them (20 us a line)
_HEADER = re.compile(
    # "* INCLUSION CRITERIA:" (NIH Clinical Center records): a bullet before the header
    r"^[ \t]*+(?:[*\-•][ \t]++(?=\S))?(?:#+\s*+)?(?:\*\*)?[ \t]*+(?:the\s+)?"
    r"(?:(?:key|main|major|general|specific"
    r"|additional|other|study|patient|subject|selection|principal|primary|secondary)\s+)?"
    r"(?P<kind>(?:non[- ]?)?inclusion|exclusion|eligibility|inclusionary|exclusionary|include"
    r"|exclude)(?:s(?![\w]))?\s*(?:and\s+exclusion\s+)?"
    r"(?:criteri(?:a|on|as)|requirements?|conditions?|factors?)?(?:\s+(?:for\s+[\w\s\-]{1,40}?"
    # "Exclusion criteria include the following:", "The exclusion criteria are as follows:"
    r"|(?:include[sd]?|are|consist(?:s|ed)?\s+of)(?:\s+(?:as\s+follows|the\s+following))?|is|:))?"
    r"(?:\s*\(\s*[\w\s,\-]{1,40}\))?[ \t]*(?:\*\*)?[ \t]*(?:[:：.\-]|$)",
    re.IGNORECASE,
)
_SENTENCE_HEADER = re.compile(
    r"^[ \t]*(?:(?:patients?|subjects?|participants?|individuals?|people|candidates?|women|men"
    r"|volunteers?)\s+(?:will\s+be|are|must\s+be|who\s+are|shall\s+be)\s+(?P<kind>excluded|"
    r"included|eligible|ineligible)\b[^\n]{0,80}?(?:[:：]|if\s*:?)|(?:to\s+be\s+eligible|in\s+"
    r"order\s+to\s+be\s+eligible)[^\n]{0,80}?[:：]|(?:any\s+of\s+the\s+following\s+(?:will|"
    r"would)\s+(?P<kind2>exclude))[^\n]{0,40}?[:：])[ \t]*$",
    re.IGNORECASE,
)
# a header with a title after it and nothing else on the line
_TITLED_HEADER = re.compile(
    r"^[ \t]*(?P<kind>inclusion|exclusion)\s+criteria\s+(?:[A-Za-z/\-]+[ \t]*){1,4}$", re.I
)
_BULLET = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker>[*\-•·●○◦▪■□►▸‣⁃]|(?P<num>\d{1,3})(?:[.)](?!\d)"
    r"|[,．](?!\s*\d))|\(\d{1,3}\)|(?P<alpha>[a-zA-Z])[.)](?=\s)|\([a-zA-Z]\)|(?P<roman>(?:i{1,3}|iv|vi{0,3}|ix|x"
    r"|I{1,3}|IV|VI{0,3}|IX|X))[.)](?=\s)|\((?:i{1,3}|iv|vi{0,3}|ix|x)\))[ \t]*",
)
_BLANK = re.compile(r"^[ \t]*$")


@dataclass(frozen=True, slots=True)
class Segment:
    """An item's place in the cleaned text, before constraint extraction."""

    start: int
    end: int
    kind: ItemKind
    level: int
    parent: int | None
    marker: str | None


def _style(match: re.Match[str]) -> str:
    marker = match.group("marker")
    if match.group("num") or (marker.startswith("(") and marker[1:2].isdigit()):
        return "num" + marker[-1]
    if match.group("roman") or re.fullmatch(r"\((?:i{1,3}|iv|vi{0,3}|ix|x)\)", marker):
        return "roman"
    if match.group("alpha") or marker.startswith("("):
        return "alpha-upper" if marker.strip("().")[:1].isupper() else "alpha"
    return marker


def header_kind(line: str) -> tuple[ItemKind | None, int]:
    """(kind, end of the header in the line), or (None, 0) when ``line`` is no header."""
    m = _HEADER.match(line)
    if m:
        word = m.group("kind").lower()
        rest = line[m.end() :].strip()
        # "Inclusion of ..." or "Exclude patients who ..." are items, not headers
        closed = m.group().rstrip().endswith((":", "："))
        # "EXCLUSIONS - NORMAL VOLUNTEERS:": the header, then whom its items are for
        closed = closed or (m.group().rstrip().endswith("-") and rest.endswith(":"))
        if not closed and rest and not re.search(r"criteri|requirement", m.group(), re.I):
            return None, 0
        if word.startswith(("eligib", "include", "exclude ")) and line.lstrip()[:1] in "*-•":
            return None, 0  # "* Eligibility: ..." under a header is one of its items
        if word.startswith("inclu"):
            return "inclusion", m.end()
        if word.startswith(("exclu", "non")):  # "Non-inclusion criteria" (translations)
            return "exclusion", m.end()
        return "unknown", m.end()
    titled = _TITLED_HEADER.match(line)
    if titled:  # "Exclusion Criteria Disease Related" (NCT03633708)
        return ("inclusion" if titled.group("kind").lower() == "inclusion" else "exclusion"), len(
            line
        )
    s = _SENTENCE_HEADER.match(line)
    if s:
        word = (s.group("kind") or s.group("kind2") or "").lower()
        if word in ("excluded", "ineligible", "exclude"):
            return "exclusion", s.end()
        return "inclusion", s.end()
    return None, 0


def segment(text: str) -> tuple[list[Segment], bool]:
    """Items of ``text`` and whether any header was found."""
    lines: list[tuple[int, int]] = []
    at = 0
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        lines.append((at, at + len(stripped)))
        at += len(line)
    bulleted = _has_bullets(text, lines)
    items: list[Segment] = []
    kind: ItemKind = "unknown"
    saw_header = False
    # open nesting levels: (indent, style, item index)
    stack: list[tuple[int, str, int]] = []
    blank_before = True
    current: list[int] | None = None  # [start, end] of the open item

    def close() -> None:
        nonlocal current
        current = None

    for start, end in lines:
        line = text[start:end]
        if _BLANK.match(line):
            blank_before = True
            continue
        # a header may open a long line ("Exclusion Criteria: 1. Age ... 2. No ..."): read
        # only its first 200 characters (the pattern's cost grows with the line)
        head, head_end = header_kind(line[:200])
        if head is not None:
            saw_header = True
            kind = head
            stack.clear()
            close()
            rest_start = start + head_end
            rest = text[rest_start:end]
            if rest.strip():
                lead = len(rest) - len(rest.lstrip())
                bullet = _BULLET.match(rest.lstrip())
                offset = rest_start + lead + (bullet.end() if bullet else 0)
                items.append(Segment(offset, end, kind, 0, None, None))
                current = [len(items) - 1]
            blank_before = False
            continue
        bullet = _BULLET.match(line)
        if bullet and end > start + bullet.end():
            indent = len(bullet.group("indent").expandtabs(4))
            style = _style(bullet)
            while stack and stack[-1][0] > indent:
                stack.pop()
            if stack and stack[-1][0] == indent and stack[-1][1] != style:
                styles = [s for _, s, _ in stack]
                if style in styles:
                    while stack and stack[-1][1] != style:
                        stack.pop()
                else:
                    pass  # a new style at the same indentation nests deeper
            if stack and stack[-1][0] == indent and stack[-1][1] == style:
                stack.pop()
            parent = stack[-1][2] if stack else None
            level = len(stack)
            items.append(Segment(start + bullet.end(), end, kind, level, parent,
                                 bullet.group("marker")))  # fmt: skip
            stack.append((indent, style, len(items) - 1))
            current = [len(items) - 1]
        elif (
            current is not None
            and not blank_before
            and (bulleted or _continues(text, items[current[0]], line))
        ):
            old = items[current[0]]
            items[current[0]] = Segment(old.start, end, old.kind, old.level, old.parent, old.marker)
        else:
            lead = len(line) - len(line.lstrip())
            parent = stack[-1][2] if stack and bulleted and blank_before is False else None
            level = 0 if parent is None else items[parent].level + 1
            if not bulleted:
                stack.clear()
            items.append(Segment(start + lead, end, kind, level, parent, None))
            current = [len(items) - 1]
        blank_before = False
    return _split_flattened(text, items), saw_header


# PDQ's labelled sections flattened into one line ("PATIENT CHARACTERISTICS: Age: 48 to 78
# Sex: Female ... Performance status: Not specified"): each label starts a criterion of its
# own (1,219 of the corpus's 9,154 trials have such lines)
_PDQ_LABELS = (
    r"(?:PATIENT CHARACTERISTICS|DISEASE CHARACTERISTICS|PRIOR CONCURRENT THERAPY"
    r"|Biologic therapy|Chemotherapy|Endocrine therapy|Hormonal therapy|Radiotherapy|Surgery"
    r"|Other|Age|Sex|Menopausal status|Performance status|Life expectancy|Hematopoietic"
    r"|Hepatic|Renal|Cardiovascular|Cardiac|Pulmonary|Neurologic)\s*:"
)
_PDQ_LABEL = re.compile(rf"(?<=\s){_PDQ_LABELS}")
#: a PDQ label opening an item ("Radiotherapy: ..."), to read what follows it
PDQ_LABEL_FIRST = re.compile(rf"^\s*{_PDQ_LABELS}\s*")


def _split_flattened(text: str, items: list[Segment]) -> list[Segment]:
    """Items holding two or more PDQ labels split at each label (parents re-indexed)."""
    if not any(len(_PDQ_LABEL.findall(text, i.start, i.end)) >= 2 for i in items):
        return items
    out: list[Segment] = []
    moved: dict[int, int] = {}
    for index, item in enumerate(items):
        cuts = [m.start() for m in _PDQ_LABEL.finditer(text, item.start, item.end)]
        parent = moved.get(item.parent) if item.parent is not None else None
        moved[index] = len(out)
        if len(cuts) < 2:
            out.append(Segment(item.start, item.end, item.kind, item.level, parent, item.marker))
            continue
        bounds = [item.start, *cuts, item.end]
        for lo, hi in itertools.pairwise(bounds):
            piece = text[lo:hi]
            if piece.strip():
                lead = len(piece) - len(piece.lstrip())
                end = lo + len(piece.rstrip())
                out.append(Segment(lo + lead, end, item.kind, item.level, parent, item.marker))
    return out


def _has_bullets(text: str, lines: list[tuple[int, int]]) -> bool:
    count = sum(1 for s, e in lines if _BULLET.match(text, s, e))
    return count >= 2


def _continues(text: str, previous: Segment, line: str) -> bool:
    """In a section without bullets, does ``line`` continue the item before it?"""
    tail = text[previous.start : previous.end].rstrip()
    first = line.lstrip()[:1]
    return bool(tail) and tail[-1] not in ".;:!?" and first.islower()
