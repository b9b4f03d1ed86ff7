"""The plain-language page of each seed trial in real headless Chromium, on the real
server (`trialscope serve` on a free loopback port): the sections a patient reads, the
registry's criteria folded away but there, no sideways scrolling on a phone. Screenshots
plain-<NCT>-{desktop,phone}.png go to the test's tmp folder, or with
``TRIALSCOPE_SCREENSHOTS=docs/screenshots`` where the README shows them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.test_browser import (  # noqa: F401  (the shots and browser fixtures)
    DESKTOP,
    PHONE,
    browser,
    pytestmark,
    serving,
    shot,
    shots,
)
from tests.test_plain_pages import SEED_IDS
from tests.webapp import build_db
from trialscope.importer import import_paths
from trialscope.store import SQLiteStore

__all__ = ["pytestmark"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("plain-browser")
    db = build_db(folder)
    with SQLiteStore(db) as store:
        import_paths(store, [FIXTURES / "seed_trials.v2.jsonl"], workers=1)
    with serving(db, folder) as base:
        yield base


SECTIONS = (
    "Quick facts",
    "What this trial studies",
    "What is being tested",
    "Who should consider this trial",
    "Good fit",
    "Not a fit",
    "How to take part",
)


@pytest.mark.parametrize("nct", SEED_IDS)
def test_plain_language_page_of_each_seed_trial(
    server: str,
    browser: Any,  # noqa: F811
    nct: str,
    shots: Path,  # noqa: F811
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{server}/trials/{nct}/patient")
        for heading in SECTIONS:
            assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
        good = page.locator(".fit.good").inner_text()
        assert "You may fit if you are 18 years" in good
        # no machine chips: no operators or variable names in our own words
        own = " ".join(page.locator(".plain").all_inner_texts())
        assert not any(mark in own for mark in ("≤", "≥", " = ", "_", "not computable"))
        # the registry's criteria: folded away, quoted, and opened with one click
        criteria = page.locator("details.registry-criteria")
        assert not criteria.locator("blockquote.registry").first.is_visible()
        criteria.locator("summary").click()
        assert criteria.locator("blockquote.registry").first.is_visible()
        status = page.locator('[data-field="status"]').inner_text()
        assert status, nct
        page.locator("details.registry-criteria summary").click()  # fold again for the shot
        shot(page, shots, f"plain-{nct}-desktop", full=True)
    finally:
        context.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    small = phone.new_page()
    try:
        small.goto(f"{server}/trials/{nct}/patient")
        overflow = small.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (nct, overflow)
        shot(small, shots, f"plain-{nct}-phone")
    finally:
        phone.close()


def test_seed_004_says_what_is_missing_and_what_fits(server: str, browser: Any) -> None:  # noqa: F811
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{server}/trials/NCT06934018/patient")
        body = page.locator("body").inner_text()
        assert "The record does not give a recruitment status. Check with the study team." in body
        for false_fact in ("does not take new people", "Unknown status", "no drug phase"):
            assert false_fact not in body
        good = page.locator(".fit.good").inner_text()
        assert "Up to 5 tumours in the liver." in good
        assert "Healthy liver function (Child-Pugh A)." in good
        bad = page.locator(".fit.bad").inner_text()
        assert "Cancer outside the liver that has not been treated." in bad
        assert "More than 5 tumours in the liver before chemotherapy." in bad
    finally:
        context.close()


def test_stale_seed_trial_shows_the_warning(server: str, browser: Any) -> None:  # noqa: F811
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{server}/trials/NCT06120127/patient")  # recruiting; ended 2025-09-25
        warning = page.locator(".stale-warning")
        assert warning.is_visible()
        assert "This record may be out of date." in warning.inner_text()
        page.goto(f"{server}/trials/NCT06120127")
        assert page.locator(".stale-warning").is_visible()
    finally:
        context.close()
