"""Helpers for the legacy XML mapper: CT.gov text-block re-flow, markdown escaping as v2
presents it, cheap lxml child access (one pass over children, no XPath), and the contacts /
locations module (the hot path: sites are over a third of all elements in the corpus)."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from trialscope.formats import legacy_values as lv

__all__ = ["clean_textblock"]

_El = etree._Element
_Kids = dict[str, list[_El]]


def _kids(el: _El) -> _Kids:
    """Children grouped by tag: one pass instead of a scan per field."""
    out: _Kids = {}
    for child in el:
        tag = child.tag
        if isinstance(tag, str):
            out.setdefault(tag, []).append(child)
    return out


_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_BULLET = re.compile(r"-[ \t][ \t]+|-[ \t](?=\S)")
_NUMBER = re.compile(r"(\d{1,3}\.)[ \t]+(?=\S)")


def clean_textblock(text: str, markdown: bool = True) -> str:
    """Undo the XML rendering of a CT.gov text block, as the v2 API presents the same text.

    The legacy XML re-flows text to ~100 columns with indentation, separates every paragraph and
    list item by a blank line, and renders list items as ``-  item`` / ``1. item`` indented by
    5 per nesting level. Consecutive non-blank lines are always a wrap there (a real line break
    became a blank line), so a block's lines are joined with single spaces; list items become
    markdown ``* item`` / ``1. item`` lines like v2's, nested under their parent's text column.
    With ``markdown`` the text itself is escaped as v2 escapes it (``<``, ``^``, ``&``...).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if markdown:
        text = lv.md_escape(text)  # once for the block; the list markers added below stay bare
    # blank lines are empty in CT.gov's rendering; the regex is only needed when they are not
    chunks = _BLANK_LINES.split(text) if " \n" in text or "\t" in text else text.split("\n\n")
    blocks: list[tuple[int, str]] = []
    for chunk in chunks:
        chunk = chunk.lstrip("\n")
        body = chunk.lstrip()
        if body:
            blocks.append((len(chunk) - len(body), body))
    if not blocks:
        return ""
    base = min(indent for indent, _ in blocks)
    out: list[str] = []
    widths: list[int] = []  # text offset of the open list item at each nesting level
    prev_level = -1  # nesting level of the previous block when it was a list item
    for indent, body in blocks:
        rel = indent - base
        head = body[0]
        found = _BULLET.match(body) if head == "-" and (rel > 0 or body[1:3] == "  ") else None
        label = "* "
        if found is None and head.isdigit():
            found = _NUMBER.match(body)
            if found is not None:
                label = found.group(1) + " "
        if found is not None:
            level = min(max(0, round((rel + found.end() - 5) / 5)), len(widths))
            sep = "\n" if level <= prev_level else "\n\n"
            widths = [*widths[:level], len(label)]
            rest = " ".join(body[found.end() :].split())
            item = " " * sum(widths[:level]) + label + rest
            out.append(sep + item if out else item)
            prev_level = level
        else:
            pad = " " * sum(widths) if rel > 0 else ""
            if not pad:
                widths = []
            para = " ".join(body.split())
            para = pad + para
            out.append("\n\n" + para if out else para)
            prev_level = -1
    return "".join(out)


def _clean(raw: str | None) -> str | None:
    """Element text; multi-line (wrapped) text is re-flowed like a text block."""
    if not raw:
        return None
    if "\n" in raw or "\r" in raw:
        return clean_textblock(raw, markdown=False) or None
    return raw.strip() or None


def _md(raw: str | None) -> str | None:
    """Text of a field v2 serves as markdown (descriptions, criteria)."""
    if not raw:
        return None
    if "\n" in raw or "\r" in raw:
        return clean_textblock(raw) or None
    text = raw.strip()
    return lv.md_escape(text) if text else None


def _text(el: _El | None) -> str | None:
    return None if el is None else _clean(el.text)


def _leaves(el: _El) -> dict[Any, str | None]:
    """Tag -> raw text of a struct's children (for structs whose children do not repeat)."""
    return {child.tag: child.text for child in el}


def _lt(leaves: dict[Any, str | None], tag: str) -> str | None:
    return _clean(leaves.get(tag))


def _esc(text: str | None) -> str | None:
    return lv.md_escape(text) if text else None


def _block(el: _El | None) -> str | None:
    """A ``<x><textblock>..</textblock></x>`` container's text (a markdown field in v2)."""
    if el is None:
        return None
    tb = el.find("textblock")
    return _md((tb if tb is not None else el).text)


def _first(kids: _Kids, tag: str) -> _El | None:
    found = kids.get(tag)
    return found[0] if found else None


def _first_of(kids: _Kids, *tags: str) -> _El | None:
    """First element of the first tag present (elements are falsy when childless: no ``or``)."""
    for tag in tags:
        found = kids.get(tag)
        if found:
            return found[0]
    return None


def _ftext(kids: _Kids, tag: str) -> str | None:
    return _text(_first(kids, tag))


def _ctext(el: _El, path: str) -> str | None:
    return _text(el.find(path))


def _texts(els: list[_El] | None) -> list[str]:
    if not els:
        return []
    return [t for t in (_text(e) for e in els) if t]


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values: None, "", [] and {} (False and 0 are values)."""
    return {k: v for k, v in d.items() if v or v == 0}


# --- dates ----------------------------------------------------------------------------------


def _date(el: _El | None) -> str | None:
    return lv.partial_date(el.text) if el is not None else None


def _date_struct(el: _El | None, default_type: str | None = None) -> dict[str, Any] | None:
    if el is None:
        return None
    date = lv.partial_date(el.text)
    if date is None:
        return None
    return _compact({"date": date, "type": lv.date_type(el.get("type")) or default_type})


def _person(leaves: dict[Any, str | None]) -> str | None:
    # contact_struct / investigator_struct split a name; in practice last_name holds it all
    parts = [_clean(leaves.get(t)) for t in ("first_name", "middle_name", "last_name")]
    name = " ".join(p for p in parts if p)
    degrees = _clean(leaves.get("degrees"))
    if degrees:
        name = f"{name}, {degrees}" if name else degrees
    return name or None


_CONTACT_KEYS = {"phone": "phone", "phone_ext": "phoneExt", "email": "email"}
_NAME_PARTS = frozenset({"first_name", "middle_name", "last_name", "degrees"})


def _contact(el: _El, role: str | None = "CONTACT") -> dict[str, Any]:
    out: dict[str, Any] = {}
    names: dict[Any, str | None] = {}
    for child in el:
        tag = child.tag
        if tag in _NAME_PARTS:
            names[tag] = child.text
        elif tag == "role":
            role = lv.role(child.text) or role
        else:
            key = _CONTACT_KEYS.get(tag)
            value = _clean(child.text) if key else None
            if value:
                out[key] = value  # type: ignore[index]
    name = _person(names)
    head: dict[str, Any] = {"name": name} if name else {}
    if not out and not head:
        return {}
    if role:
        head["role"] = role
    head.update(out)
    return head


_ADDRESS = frozenset({"city", "state", "zip", "country"})  # same names in v2


def _location(el: _El) -> dict[str, Any]:
    # Hot path: sites are over a third of all elements in the corpus, so walk them directly.
    out: dict[str, Any] = {}
    contacts = []
    for child in el:
        tag = child.tag
        if tag == "facility":
            for part in child:
                if part.tag == "name":
                    name = _clean(part.text)
                    if name:
                        out["facility"] = name
                elif part.tag == "address":
                    for line in part:
                        value = _clean(line.text)
                        if value and line.tag in _ADDRESS:
                            out[line.tag] = value
        elif tag == "status":
            out["status"] = lv.status(child.text)
        elif tag == "contact" or tag == "contact_backup":
            contacts.append(_contact(child))
        elif tag == "investigator":
            contacts.append(_contact(child, None))
    contacts = [c for c in contacts if c]
    if contacts:
        out["contacts"] = contacts
    return _compact(out)


def _contacts_locations(k: _Kids) -> dict[str, Any]:
    central = [
        _contact(e) for e in (*k.get("overall_contact", ()), *k.get("overall_contact_backup", ()))
    ]
    officials = []
    for el in k.get("overall_official", ()):
        leaves = _leaves(el)
        officials.append(
            _compact(
                {
                    "name": _person(leaves),
                    "affiliation": _clean(leaves.get("affiliation")),
                    "role": lv.role(leaves.get("role")),
                }
            )
        )
    return _compact(
        {
            "centralContacts": [c for c in central if c],
            "overallOfficials": officials,
            "locations": [loc for loc in map(_location, k.get("location", ())) if loc],
        }
    )
