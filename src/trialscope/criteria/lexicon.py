"""Find any of many phrases in one regex pass, longest first.

Python's ``re`` tries the branches of an alternation one after another at every
position, so a plain ``a|b|c...`` of a few hundred aliases costs hundreds of attempts
per character. Folding the phrases into a trie first makes the alternation branch on
one character at a time, which keeps a scan roughly linear in the text.

Phrase syntax: a space or hyphen matches any run of spaces and hyphens (or none), so
"child pugh" also finds "Child-Pugh" and "ChildPugh"; ``{a|b}`` expands to variants;
a leading ``=`` makes the phrase case-sensitive (for "K", "Na", "Cr", ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

T = TypeVar("T")

_Trie: TypeAlias = dict[str, "_Trie"]
_SEP = "\x00"  # trie token for "any run of spaces/hyphens, or none"
_BRACES = re.compile(r"\{([^{}]*)\}")
_KEY_DROP = re.compile(r"[\s\-]+")


def expand(phrase: str) -> list[str]:
    """``"metastas{is|es}"`` -> ``["metastasis", "metastases"]``."""
    match = _BRACES.search(phrase)
    if match is None:
        return [phrase]
    head, tail = phrase[: match.start()], phrase[match.end() :]
    return [v for option in match.group(1).split("|") for v in expand(head + option + tail)]


def key(text: str) -> str:
    """The lookup key of a matched text: lower case, spaces and hyphens dropped."""
    return _KEY_DROP.sub("", text).lower()


def _tokens(phrase: str) -> list[str]:
    out: list[str] = []
    for char in phrase:
        if char in " -":
            if not out or out[-1] != _SEP:
                out.append(_SEP)
        else:
            out.append(char)
    return out


def _trie_pattern(phrases: Iterable[str], fold_case: bool) -> str:
    trie: _Trie = {}
    for phrase in phrases:
        node = trie
        for token in _tokens(phrase.lower() if fold_case else phrase):
            node = node.setdefault(token, {})
        node[""] = {}
    return _node_pattern(trie)


def _node_pattern(node: _Trie) -> str:
    terminal = "" in node
    branches = []
    for token in sorted(k for k in node if k):
        child = node[token]
        atom = r"[\s\-]*" if token == _SEP else re.escape(token)
        rest = _node_pattern(child)
        branches.append(atom + rest)
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if terminal:
        # greedy optional: the longer phrase is tried first, the shorter is the fallback
        return "(?:" + body + ")?" if len(branches) == 1 else body + "?"
    return body


@dataclass(frozen=True, slots=True)
class Hit(Generic[T]):
    start: int
    end: int
    value: T
    text: str


class Lexicon(Generic[T]):
    """Phrases mapped to values; :meth:`finditer` yields non-overlapping longest hits."""

    def __init__(self, entries: Mapping[str, T] | Iterable[tuple[str, T]]) -> None:
        pairs = list(entries.items() if isinstance(entries, Mapping) else entries)
        self._folded: dict[str, T] = {}
        self._exact: dict[str, T] = {}
        for phrase, value in pairs:
            for variant in expand(phrase):
                if variant.startswith("="):
                    self._exact[_KEY_DROP.sub("", variant[1:])] = value
                else:
                    self._folded[key(variant)] = value
        parts = []
        folded = [p for phrase, _ in pairs for p in expand(phrase)]
        ci = [p for p in folded if not p.startswith("=")]
        cs = [p[1:] for p in folded if p.startswith("=")]
        if ci:
            parts.append("(?i:" + _trie_pattern(ci, True) + ")")
        if cs:
            parts.append(_trie_pattern(cs, False))
        body = "|".join(parts) or "(?!x)x"
        self.pattern = re.compile(r"(?<![A-Za-z0-9])(?:" + body + r")(?![A-Za-z0-9])")

    def lookup(self, text: str) -> T | None:
        exact = self._exact.get(_KEY_DROP.sub("", text))
        return exact if exact is not None else self._folded.get(key(text))

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[Hit[T]]:
        end = len(text) if endpos is None else endpos
        for match in self.pattern.finditer(text, pos, end):
            found = match.group()
            value = self.lookup(found)
            if value is not None:
                yield Hit(match.start(), match.end(), value, found)

    def match(self, text: str, pos: int) -> Hit[T] | None:
        match = self.pattern.match(text, pos)
        if match is None:
            return None
        value = self.lookup(match.group())
        return None if value is None else Hit(match.start(), match.end(), value, match.group())
