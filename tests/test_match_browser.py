"""The /match page in real headless Chromium against the real server (the fixtures of
tests/test_browser.py): reach it from the nav, fill the form by its labels, read the
ranked results and a checklist, answer a question and see the results re-run, with the
patient never in the address bar; no sideways scrolling on a phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    browser,
    pytestmark,
    server,
    shot,
    shots,
)

NOTE = "He denies HIV infection. Prior chemotherapy with cytarabine."

#: every visible field must have a label the browser knows (its accessible name)
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)
    && !e.getAttribute('aria-label'))
  .map(e => e.name)"""

#: checklist rows marked with a cross that do not rule the patient out
STRAY_CROSSES = """() => [...document.querySelectorAll('ul.checklist li')]
  .filter(li => li.querySelector('.mark').textContent.trim() === '✗'
    && !li.classList.contains('effect-bad'))
  .map(li => li.innerText)"""


def fill_patient(page: Any) -> None:
    page.get_by_label("Age (years)").fill("45")
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Conditions, one per line").fill("acute myeloid leukemia")
    page.get_by_label("Performance status (ECOG)").select_option("1")
    page.get_by_label("Platelet count").fill("80")
    page.get_by_label("Creatinine", exact=True).fill("80")
    page.get_by_label("Unit of Creatinine").select_option("umol/L")
    page.get_by_label("Clinical note (optional)").fill(NOTE)


def test_match_a_patient_and_answer_a_question(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{server}/")
        page.get_by_role("navigation", name="Site").get_by_role(
            "link", name="Match a patient"
        ).click()
        page.wait_for_url(f"{server}/match")
        assert page.title() == "Match a patient to trials · trialscope"
        assert page.evaluate(UNLABELLED) == []
        fill_patient(page)
        page.get_by_role("button", name="Find matching trials").click()
        page.wait_for_load_state()

        assert page.url == f"{server}/match"  # posted: nothing about the patient in the URL
        summary = page.get_by_role("status").inner_text()
        assert re.search(r"\d+ trials checked", summary), summary
        cards = page.locator("li.match-card")
        assert cards.count() >= 5
        first = cards.first
        assert first.locator(".badge.verdict").inner_text() in (
            "Likely eligible",
            "Possibly eligible",
            "Not eligible",
        )
        checklist = first.locator("ul.checklist li")
        assert checklist.first.is_visible()  # the best trial's checklist starts open
        assert checklist.count() >= 3
        # evidence names where each fact came from: a form field, a note sentence
        assert page.get_by_text("Evidence: ECOG 1 — structured ecog").count() >= 1
        assert page.get_by_text('— note sentence 1: "He denies HIV infection."').count() >= 1
        # marks read from the patient's side: a red cross only where the patient is
        # ruled out; the HIV exclusion the note denies does not apply
        assert page.evaluate(STRAY_CROSSES) == []
        hiv = page.locator("ul.checklist li", has_text="HIV").filter(has_text="Must not have")
        assert hiv.count() >= 1
        assert (hiv.first.locator(".verdict-line").text_content() or "").startswith(
            "Does not apply"
        )
        assert (hiv.first.locator(".mark").text_content() or "").strip() == "–"
        assert page.evaluate(UNLABELLED) == []
        shot(page, shots, "match-desktop")

        # answer the top question and update: it is settled, the rest of the input kept
        questions = page.locator("form#questions")
        consent = questions.get_by_role("group", name=re.compile("Willing to give consent"))
        consent.get_by_label("Yes").check()
        questions.get_by_role("button", name="Update the results").click()
        page.wait_for_load_state()
        assert page.url == f"{server}/match"
        assert (
            page.locator("form#questions")
            .get_by_role("group", name=re.compile("Willing to give consent"))
            .count()
            == 0
        )
        page.get_by_text("Change the patient details").click()
        assert page.get_by_label("Age (years)").input_value() == "45"
        assert page.get_by_label("Clinical note (optional)").input_value() == NOTE
        assert page.get_by_label("Unit of Creatinine").input_value() == "umol/L"
    finally:
        context.close()


def test_bad_value_is_named_and_the_input_kept(server: str, browser: Any) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{server}/match")
        page.get_by_label("Conditions, one per line").fill("leukemia")
        page.get_by_label("Age (years)").fill("45")
        page.get_by_label("ALT").fill("30")
        page.get_by_label("Near a place").fill("Nowhere-on-earth-xyz")
        page.get_by_role("button", name="Find matching trials").click()
        page.wait_for_load_state()
        alert = page.get_by_role("alert")
        assert alert.is_visible()
        assert "Nowhere-on-earth-xyz" in alert.inner_text()
        assert page.get_by_label("ALT").input_value() == "30"
    finally:
        context.close()


def test_results_fit_a_phone(server: str, browser: Any, shots: Path) -> None:  # noqa: F811
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        phone.goto(f"{server}/match")
        fill_patient(phone)
        phone.get_by_role("button", name="Find matching trials").click()
        phone.wait_for_load_state()
        assert phone.locator("li.match-card").count() >= 5
        overflow = phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, overflow
        shot(phone, shots, "match-phone")
    finally:
        context.close()
