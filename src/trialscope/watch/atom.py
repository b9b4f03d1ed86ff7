"""A saved search's runs as an Atom 1.0 feed (RFC 4287): one entry per trial and version
that joined the result set or changed, its content the field changes as an HTML list."""

from __future__ import annotations

import html
from typing import Any
from xml.etree import ElementTree as ET

import orjson

from trialscope import __version__
from trialscope.watch.core import Watch, WatchEvent

ATOM = "http://www.w3.org/2005/Atom"
#: tag: URIs (RFC 4151) name entries apart from any host the mirror is served under
TAG = "tag:trialscope,2026:"
_SHORT = 160


def entry_id(event: WatchEvent) -> str:
    """Stable per watch, trial and version: the content hash is the same in every mirror."""
    return f"{TAG}watch/{event.watch}/{event.nct_id}/{event.content_hash[:16]}"


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    text = " ".join(text.split())
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def change_html(change: dict[str, Any]) -> str:
    path = f"<code>{html.escape(change['path'])}</code>"
    kind = change["kind"]
    if kind == "changed" and change.get("old") is not None and change.get("new") is not None:
        detail = (
            f"changed from <q>{html.escape(_value(change['old']))}</q>"
            f" to <q>{html.escape(_value(change['new']))}</q>"
        )
    elif kind == "added" and change.get("new") is not None:
        detail = f"added: <q>{html.escape(_value(change['new']))}</q>"
    elif kind == "removed" and change.get("old") is not None:
        detail = f"removed: <q>{html.escape(_value(change['old']))}</q>"
    else:
        detail = html.escape(kind)
    return f"<li>{path} {detail}</li>"


def entry_html(event: WatchEvent) -> str:
    what = "New to this search" if event.kind == "new" else "Changed"
    status = f" · status {html.escape(event.status)}" if event.status else ""
    parts = [f"<p>{what}{status}.</p>"]
    if event.changes:
        parts.append("<ul>" + "".join(change_html(c) for c in event.changes) + "</ul>")
    elif event.kind == "changed":
        parts.append("<p>No field-level changes were logged for this version.</p>")
    return "".join(parts)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = text
    return element


def _link(parent: ET.Element, href: str, rel: str, kind: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}link", {"rel": rel, "href": href, "type": kind})


def atom_feed(
    watch: Watch,
    events: list[WatchEvent],
    *,
    base_url: str,
    self_url: str,
    search_url: str,
) -> bytes:
    """The feed document; ``base_url`` (no trailing slash) prefixes the trial links."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", f"{TAG}watch/{watch.name}")
    _text(feed, "title", f"trialscope: {watch.name}")
    _text(feed, "subtitle", f"New and changed trials for: {watch.request.describe()}")
    newest = max([e.found_at for e in events] + [watch.last_run_at])
    _text(feed, "updated", newest)
    _link(feed, self_url, "self", "application/atom+xml")
    _link(feed, search_url, "alternate", "text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "trialscope")
    _text(feed, "generator", "trialscope", version=__version__)
    for event in events:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", entry_id(event))
        label = "new" if event.kind == "new" else "changed"
        _text(entry, "title", f"{event.nct_id} ({label}): {event.title or 'untitled'}")
        _text(entry, "updated", event.updated)
        _link(entry, f"{base_url}/trials/{event.nct_id}", "alternate", "text/html")
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": event.kind})
        _text(entry, "content", entry_html(event), type="html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
