"""The one markdown unescape: it undoes what CT.gov's escaping does, and the criteria
parser, the web pages and the CLI read escapes alike."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialscope.cli.match_commands import clean
from trialscope.criteria.cleantext import CleanText
from trialscope.formats.legacy_values import md_escape
from trialscope.record.markdown import unescape_markdown
from trialscope.web.textfmt import one_line


@pytest.mark.parametrize(
    ("escaped", "meant"),
    [
        ("ANC \\>= 1500/mm\\^3", "ANC >= 1500/mm^3"),
        ("AST/ALT \\<2.5 x ULN", "AST/ALT <2.5 x ULN"),
        ("R\\&D \\[phase 2\\]", "R&D [phase 2]"),
        ("\\* not a bullet", "* not a bullet"),
        ("C:\\temp stays", "C:\\temp stays"),  # backslash before a letter is a backslash
        ("a \\\\ b", "a \\ b"),
        ("", ""),
    ],
)
def test_unescape(escaped: str, meant: str) -> None:
    assert unescape_markdown(escaped) == meant


@given(st.text())
def test_unescape_undoes_the_v2_escaping(text: str) -> None:
    assert unescape_markdown(md_escape(text)) == text


@given(st.text(alphabet=st.characters(max_codepoint=127, exclude_characters="\r"), max_size=60))
def test_parser_web_and_cli_read_escapes_alike(text: str) -> None:
    escaped = md_escape(text)
    assert CleanText(escaped).text == unescape_markdown(escaped)
    assert one_line(escaped) == clean(escaped) == " ".join(text.split())
