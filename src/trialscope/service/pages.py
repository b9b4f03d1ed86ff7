"""One study as the views the shells show: the agent page, the card, the plain-language
page's words and every section as plain text."""

from __future__ import annotations

from trialscope.record import Study
from trialscope.record.ids import normalise_nct_id
from trialscope.render.card import render_card
from trialscope.render.markdown import render_markdown
from trialscope.render.plain_language import plain_for, render_plain_text
from trialscope.render.text import render_text
from trialscope.store import Store


def canonical_url(base_url: str | None, nct_id: str) -> str | None:
    """The public address of a study's agent page, when the mirror has one."""
    return f"{base_url.rstrip('/')}/trials/{nct_id}.md" if base_url else None


def agent_page(store: Store, nct_id: str, *, base_url: str | None = None) -> str:
    """The agent markdown page (seed 000) of a stored study, with its recent changes and,
    given the mirror's public ``base_url``, its canonical link."""
    nct_id = normalise_nct_id(nct_id)
    study = Study.from_json(store.study_bytes(nct_id))
    return render_markdown(
        study,
        info=store.current_version(nct_id),
        changes=store.changes([nct_id]),
        canonical_url=canonical_url(base_url, nct_id),
    )


def card_page(store: Store, nct_id: str) -> str:
    """The compact card (seed 001): status, phase, conditions, treatments."""
    return render_card(Study.from_json(store.study_bytes(normalise_nct_id(nct_id))))


def text_page(store: Store, nct_id: str) -> str:
    """Every section of the record as plain text, for a terminal."""
    return render_text(Study.from_json(store.study_bytes(normalise_nct_id(nct_id))))


def plain_page(store: Store, nct_id: str) -> str:
    """The plain-language patient page's words (seed 004) as text."""
    study = Study.from_json(store.study_bytes(normalise_nct_id(nct_id)))
    return render_plain_text(plain_for(store, study), study.brief_title)
