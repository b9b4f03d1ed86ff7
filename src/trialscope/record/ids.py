"""NCT ids: the one pattern and the one normaliser every part of trialscope uses.

ClinicalTrials.gov ids are ``NCT`` and eight digits; trialscope stores them upper case
and accepts any case and surrounding spaces from people.
"""

from __future__ import annotations

import re

from trialscope.errors import NotAnNctId

#: a stored NCT id (upper case); use ``fullmatch``: ``$`` would let a trailing newline in
NCT_ID = re.compile(r"NCT[0-9]{8}")
#: the same as a regular expression string for validators that want one (FastAPI paths);
#: case-blind, as people type them
NCT_ID_ANY_CASE = r"^[Nn][Cc][Tt][0-9]{8}$"

HINT = "NCT ids look like NCT04416854: NCT and 8 digits."


def is_nct_id(text: str) -> bool:
    """Whether ``text`` is an NCT id in any case, spaces around allowed."""
    return NCT_ID.fullmatch(text.strip().upper()) is not None


def normalise_nct_id(text: str) -> str:
    """``text`` as a stored NCT id (`` nct04416854`` -> ``NCT04416854``), or
    :class:`~trialscope.errors.NotAnNctId` with a hint."""
    found = text.strip().upper()
    if NCT_ID.fullmatch(found) is None:
        raise NotAnNctId(f"{text.strip()[:60]!r} is not an NCT id.", hint=HINT)
    return found
