"""The plain-text view (`--format text`) keeps what a number means."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import FIXTURES
from trialscope.record import Study
from trialscope.render.text import render_text


def _seed() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "NCT04416854.2026.v2.json").read_text())
    return loaded


@pytest.mark.parametrize(
    ("info", "line"),
    [
        (None, "  Enrollment: 627 participants (estimated)"),  # the seed's own: a target
        ({"count": 612, "type": "ACTUAL"}, "  Enrollment: 612 participants (actual)"),
        ({"count": 40}, "  Enrollment: 40 participants"),
    ],
)
def test_enrollment_says_estimated_or_actual(info: dict[str, Any] | None, line: str) -> None:
    record = copy.deepcopy(_seed())
    if info is not None:
        record["protocolSection"]["designModule"]["enrollmentInfo"] = info
    text = render_text(Study.model_validate(record))
    assert line in text.splitlines()


def test_no_enrollment_no_line() -> None:
    record = copy.deepcopy(_seed())
    del record["protocolSection"]["designModule"]["enrollmentInfo"]
    assert "Enrollment" not in render_text(Study.model_validate(record))
