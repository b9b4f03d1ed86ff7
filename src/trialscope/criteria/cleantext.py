"""A cleaned copy of the source text that remembers where each character came from.

CT.gov stores criteria as markdown, so comparators arrive escaped (``\\<``, ``\\>=``,
``\\*``, ``\\^``); Chinese-authored records mix in full-width punctuation (；、，：（）);
units use micro signs, Greek mu and superscripts. The parser works on one plain form and
reports spans in the original text through :meth:`CleanText.source_span`.

Only the changed places are recorded (breakpoints), so an ASCII text without escapes
costs one regex scan and an identity mapping.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache

from trialscope.criteria.model import Span
from trialscope.record.markdown import MARKDOWN_ESCAPE

# markdown escapes (the backslash is dropped) and runs of non-ASCII characters
_SPECIAL = re.compile(MARKDOWN_ESCAPE.pattern + r"|[^\x00-\x7f]+")

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")

_TABLE = {
    "；": ";",
    "、": ",",
    "，": ",",
    "：": ":",
    "（": "(",
    "）": ")",
    "。": ".",
    "～": "~",
    "μ": "u",  # Greek mu, as in μL
    "µ": "u",  # micro sign
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "‒": "-",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "\u00a0": " ",
    "\u3000": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",
    "\ufeff": "",
    "≧": "≥",
    "⩾": "≥",
    "≦": "≤",
    "⩽": "≤",
    "＞": ">",
    "＜": "<",
    "＝": "=",
    "×": "×",
    "•": "•",
    "·": "·",
    "℃": "°C",
    "㎡": "m^2",
    "㎎": "mg",
    "㎏": "kg",
    "㎖": "mL",
    "㎕": "uL",
    "㎜": "mm",
    "㎝": "cm",
    "≥": "≥",
    "≤": "≤",
    "≠": "≠",
}


@lru_cache(maxsize=4096)
def _clean_run(run: str) -> str:
    """Clean one run of non-ASCII characters (cached: the same few recur everywhere)."""
    out: list[str] = []
    superscript = False
    for char in run:
        if char in "⁰¹²³⁴⁵⁶⁷⁸⁹":
            # 10⁹ -> 10^9, mm³ -> mm^3: one caret per run of superscript digits
            out.append(
                char.translate(_SUPERSCRIPTS)
                if superscript
                else "^" + char.translate(_SUPERSCRIPTS)
            )
            superscript = True
            continue
        superscript = False
        mapped = _TABLE.get(char)
        if mapped is None:
            folded = unicodedata.normalize("NFKC", char)
            mapped = folded if folded.isascii() else char
        out.append(mapped)
    return "".join(out)


class CleanText:
    """``text`` is the cleaned form; offsets map back with :meth:`source_offset`."""

    __slots__ = ("_clean_starts", "_source_starts", "source", "text")

    def __init__(self, source: str) -> None:
        self.source = source
        pieces: list[str] = []
        # breakpoints: clean offset -> source offset where a replaced piece starts/ends
        clean_starts: list[int] = [0]
        source_starts: list[int] = [0]
        at = 0
        length = 0
        for match in _SPECIAL.finditer(source):
            start, end = match.span()
            if start > at:
                pieces.append(source[at:start])
                length += start - at
            token = match.group()
            replacement = token[1] if token[0] == "\\" else _clean_run(token)
            if replacement != token:
                if len(replacement) == len(token) and token[0] != "\\":
                    # same length: one breakpoint per character keeps positions exact
                    pieces.append(replacement)
                    length += len(replacement)
                else:
                    clean_starts.append(length)
                    source_starts.append(start)
                    pieces.append(replacement)
                    length += len(replacement)
                    clean_starts.append(length)
                    source_starts.append(end)
            else:
                pieces.append(token)
                length += len(token)
            at = end
        pieces.append(source[at:])
        self.text = "".join(pieces)
        self._clean_starts = clean_starts
        self._source_starts = source_starts

    def source_offset(self, clean: int) -> int:
        """The source offset of clean offset ``clean`` (inside a replaced piece: its start)."""
        k = bisect_right(self._clean_starts, clean) - 1
        base_clean = self._clean_starts[k]
        base_source = self._source_starts[k]
        if k + 1 < len(self._clean_starts):
            # inside a replaced piece: clamp to its source length
            next_source = self._source_starts[k + 1]
            return min(base_source + (clean - base_clean), next_source)
        return base_source + (clean - base_clean)

    def source_span(self, start: int, end: int) -> Span:
        if end <= start:
            at = self.source_offset(start)
            return (at, at)
        first = self.source_offset(start)
        last = self.source_offset(end - 1)
        # the end is one past the source character the last clean character came from
        k = bisect_right(self._clean_starts, end - 1) - 1
        if k + 1 < len(self._clean_starts) and self._clean_starts[k + 1] == end:
            return (first, self._source_starts[k + 1])
        return (first, last + 1)
