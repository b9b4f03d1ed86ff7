"""Views of a study: agent markdown (seed 000), card (seed 001), plain-text detail."""

from trialscope.render.card import render_card
from trialscope.render.markdown import render_markdown
from trialscope.render.text import render_text

__all__ = ["render_card", "render_markdown", "render_text"]
