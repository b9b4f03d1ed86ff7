"""CT.gov API v2 serves its long text fields as markdown, escaping characters of the
submitted text with a backslash (``\\<=``, ``mm\\^3``, ``\\&``). This is the one place
that undoes the escapes: the criteria parser, the web pages and the CLI all use it.

As in CommonMark, a backslash before any ASCII punctuation is an escape; a backslash
before anything else is a backslash.
"""

from __future__ import annotations

import re

#: a markdown backslash escape; group 1 is the character meant
MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape_markdown(text: str) -> str:
    """``text`` with its markdown backslash escapes undone (``\\<`` -> ``<``)."""
    return MARKDOWN_ESCAPE.sub(r"\1", text) if "\\" in text else text
