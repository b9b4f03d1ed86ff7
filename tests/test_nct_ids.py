"""The one NCT id pattern: any case and surrounding spaces in, the stored form out, and a
named error with a hint for everything else."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialscope.errors import NotAnNctId, UsageError
from trialscope.record.ids import NCT_ID_ANY_CASE, is_nct_id, normalise_nct_id

digits = st.text(alphabet="0123456789", min_size=8, max_size=8)
spaces = st.text(alphabet=" \t", max_size=3)


@given(prefix=st.sampled_from(["NCT", "nct", "Nct", "nCt"]), number=digits, pad=spaces)
def test_any_case_and_spaces_give_the_stored_form(prefix: str, number: str, pad: str) -> None:
    text = f"{pad}{prefix}{number}{pad}"
    assert is_nct_id(text)
    assert normalise_nct_id(text) == f"NCT{number}"
    assert normalise_nct_id(normalise_nct_id(text)) == f"NCT{number}"
    assert re.match(NCT_ID_ANY_CASE, f"{prefix}{number}")


@given(st.text(max_size=20))
def test_anything_else_is_a_usage_error_with_a_hint(text: str) -> None:
    if re.fullmatch(r"\s*[Nn][Cc][Tt][0-9]{8}\s*", text):
        return
    assert not is_nct_id(text)
    with pytest.raises(NotAnNctId) as caught:
        normalise_nct_id(text)
    assert isinstance(caught.value, UsageError)
    assert caught.value.hint and "NCT04416854" in caught.value.hint


@pytest.mark.parametrize(
    "text", ["NCT0441685", "NCT044168540", "NCT04416854\nx", "NCT0441685٤", "NCT 04416854", ""]
)
def test_near_misses_are_refused(text: str) -> None:
    assert not is_nct_id(text)
    assert re.match(NCT_ID_ANY_CASE, text) is None


def test_the_error_quotes_what_was_typed() -> None:
    with pytest.raises(NotAnNctId, match=r"^'garbage' is not an NCT id"):
        normalise_nct_id("  garbage ")
