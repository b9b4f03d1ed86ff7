"""Registry text made ready for HTML templates (which escape it): markdown escapes
undone, paragraphs split, and eligibility criteria cut into inclusion and exclusion
lists at their headers.

CT.gov API v2 writes its free text as markdown: ``\\<=`` for ``<=``, ``*`` or ``1.``
list markers, blank lines between paragraphs. Nothing here produces markup; the
templates escape every string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trialscope.errors import NotFoundError
from trialscope.record.markdown import unescape_markdown

if TYPE_CHECKING:
    from trialscope.criteria.store import StoredParse
    from trialscope.store import Store

_BULLET = re.compile(r"^(\s*)(?:[*\-•·▪●]|\d{1,3}[.)]|[a-zA-Z][.)]|\(\w{1,3}\))\s+(.*)$")
_HEADER = re.compile(
    r"^\s*[#*_ ]*(?:key\s+|main\s+|major\s+|general\s+|other\s+)?"
    r"(inclusion|exclusion)\s+criteri(?:a|on)\b[^:\n]{0,40}?:?[*_ ]*(?::\s*(?P<rest>.*))?$",
    re.IGNORECASE,
)


def paragraphs(text: str | None) -> list[str]:
    """Blank-line separated paragraphs, escapes undone; line breaks inside kept."""
    if not text or not text.strip():
        return []
    blocks = re.split(r"\n\s*\n", text.strip())
    return [unescape_markdown(block.strip("\n")).strip() for block in blocks if block.strip()]


def one_line(text: str | None) -> str:
    return " ".join(unescape_markdown(text or "").split())


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    #: 0 for a top-level item, 1 for an indented sub-item
    level: int = 0
    #: what the criteria parser computed from it: "platelets ≥ 90 10^9/L", "not computable: consent"
    notes: tuple[str, ...] = ()


_SYMBOLS = {">=": "≥", "<=": "≤"}


def constraint_notes(constraints: Any, computable: bool, reason: str | None) -> tuple[str, ...]:
    notes = []
    for constraint in constraints:
        text = constraint.describe()
        for ascii_form, symbol in _SYMBOLS.items():
            text = text.replace(f" {ascii_form} ", f" {symbol} ")
        notes.append(text)
    if not computable:
        notes.append(f"not computable: {(reason or 'free text').replace('_', ' ')}")
    return tuple(notes)


@dataclass(slots=True)
class Criteria:
    """Eligibility criteria cut at their "Inclusion"/"Exclusion" headers."""

    inclusion: list[Item] = field(default_factory=list)
    exclusion: list[Item] = field(default_factory=list)
    #: text before the first header, or all of it when there is no header
    other: list[Item] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.inclusion or self.exclusion or self.other)


def split_criteria(text: str | None) -> Criteria:
    """Inclusion and exclusion lists from CT.gov's criteria text.

    A header line ("Inclusion Criteria:", "Key exclusion criteria", ...) switches
    the list; each bullet or numbered line starts an item; a plain line right
    after an item continues it; indented bullets are sub-items.
    """
    found = Criteria()
    if not text:
        return found
    target = found.other
    previous_blank = True
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            previous_blank = True
            continue
        header = _HEADER.match(line) if len(line) <= 120 else None
        if header:
            target = found.inclusion if header.group(1).lower() == "inclusion" else found.exclusion
            rest = (header.group("rest") or "").strip()
            if rest:
                target.append(Item(unescape_markdown(rest)))
            previous_blank = True
            continue
        bullet = _BULLET.match(line)
        if bullet:
            level = 1 if len(bullet.group(1).expandtabs(4)) >= 2 else 0
            target.append(Item(unescape_markdown(bullet.group(2).strip()), level))
        elif target and not previous_blank:
            last = target[-1]
            target[-1] = Item(f"{last.text} {unescape_markdown(line.strip())}", last.level)
        else:
            target.append(Item(unescape_markdown(line.strip())))
        previous_blank = False
    return found


def stored_parse_of(store: Store, nct_id: str) -> StoredParse | None:
    """The criteria parse the import stored for the current version (an older parser's
    too), or None. Never parses (tens of ms) nor writes."""
    from trialscope.criteria.store import load_parse

    try:
        return load_parse(store, nct_id, parse_if_missing=False)
    except NotFoundError:
        return None


def eligibility_lists(store: Store, nct_id: str, text: str | None) -> Criteria:
    """:func:`criteria_lists` of a study's stored parse."""
    return criteria_lists(stored_parse_of(store, nct_id), text)


def criteria_lists(stored: StoredParse | None, text: str | None) -> Criteria:
    """Inclusion and exclusion lists from the criteria parser's stored parse
    (``trialscope.criteria``, written at import), which knows more header spellings and
    list shapes; the header split above when there is no current parse or it found no
    inclusion/exclusion header."""
    if stored is None:
        return split_criteria(text)
    parsed = stored.parsed
    if stored.stale or not parsed.items or {"no_header", "empty"} & set(parsed.flags):
        return split_criteria(text)
    found = Criteria()
    for item in parsed.items:
        target = {"inclusion": found.inclusion, "exclusion": found.exclusion}.get(
            item.kind, found.other
        )
        notes = constraint_notes(item.constraints, item.computable, item.non_computable_reason)
        target.append(Item(one_line(item.text), min(item.level, 1), notes))
    return found
